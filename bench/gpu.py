"""The GPU tables, in one run of under 8 minutes on one GPU.

``python bench/gpu.py`` (``--device gpu``, the default) measures, on the first
GPU JAX sees, and writes ``bench/RESULTS_GPU.md`` (``--output``):

2. throughput: verified points per second of the compiled check against
   ``jax.test_util.check_grads`` on the same function (``bench/run.py``'s
   section 2), for the four named derivations;
3. large shapes: the softmax Jacobian at k = 4096 and cross-entropy through
   softmax at batch × classes = 4096 × 32000, float64 (``bench/scale.py``);
5–6. the closed forms against autodiff and against the memory-bandwidth floor: the
   GPU's device-to-device copy bandwidth measured by a jitted in-place ``x + 1``
   over 1 GiB (``bench/autodiff.py``, ``bench/scale.py``);
7. the catalog's verdicts on the GPU against the CPU's: ``check-derivations
   --format json`` with ``--device gpu`` and with ``--device cpu``, the same
   seed, every entry's status and every case's status compared.

``--device cpu`` is a dry run of the same code on the CPU (its "GPU" run is
``--device cpu --engine xla``: compiled, as every GPU check is), and ``--small``
shrinks every size and timing (and checks only the three forms of
``binary_cross_entropy_grad_beta`` in section 7) so
that it finishes in well under a minute; the tests run ``--device cpu --small``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from bench import autodiff, run, scale  # noqa: E402

FULL = {
    "samples": 100_000,
    "softmax": {"n": 4096},
    "cross_entropy": {"m": 4096, "k": 32000},
    "copy_elements": 1 << 28,
    "autodiff": {"BCE_N": 10_000_000, "SOFTMAX_K": 4096, "CE_M": 4096},
    "timed_s": 1.0,
    "catalog": [],
}
SMALL = {
    "samples": 2_000,
    "softmax": {"n": 16},
    "cross_entropy": {"m": 4, "k": 100},
    "copy_elements": 1 << 20,
    "autodiff": {
        "BCE_N": 10_000,
        "SOFTMAX_K": 16,
        "CE_M": 4,
        "CE_K": 100,
        "LOGREG_M": 16,
        "LOGREG_N": 8,
        "TIME_BUDGET_S": 0.05,
        "MIN_RUNS": 3,
    },
    "timed_s": 0.1,
    "catalog": [
        "--samples",
        "200",
        "--kind",
        "derivation",
        "--only",
        "binary_cross_entropy_grad_beta",
    ],
}


def large_section(device: str, sizes: dict[str, Any]) -> list[str]:
    rows = [
        scale._large_case("softmax", "softmax_jacobian", sizes["softmax"], 4, device),
        scale._large_case(
            "softmax_regression",
            "softmax_cross_entropy_grad_logits",
            sizes["cross_entropy"],
            1,
            device,
        ),
    ]
    lines = [
        "## 3. Large shapes (float64)",
        "",
        "| derivation | sizes | samples | verdict | worst error / tolerance "
        "| time (s) | host peak memory (GiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        size = " × ".join(f"{k}={v}" for k, v in r["sizes"].items())
        if "error" in r:
            lines.append(
                f"| {r['name']} | {size} | {r['samples']} | failed: "
                f"{r['error']} | | | |"
            )
            continue
        seconds = r.get("seconds")
        lines.append(
            f"| {r['name']} | {size} | {r['samples']} | {r['status']} "
            f"| {r['ratio']:.3g} | {'—' if seconds is None else f'{seconds:.0f}'} "
            f"| {r.get('peak_gib', float('nan')):.1f} |"
        )
    return [*lines, ""]


def _catalog_json(device: str, extra: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        path = Path(out) / "report.json"
        argv = [sys.executable, "-m", "checks.cli", "--format", "json", "--no-cache"]
        argv += ["--progress", "off", "--device", device, "--output", str(path)]
        done = subprocess.run(
            [*argv, *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "XDG_CACHE_HOME": cache},
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
        return json.loads(path.read_text())


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    """Each entry's status and its cases' (dtype, sizes, status), by name."""
    return {
        r["name"]: (
            r["status"],
            [(c["dtype"], c["dims"], c["status"]) for c in r.get("cases", [])],
        )
        for r in report["results"]
    }


def verdicts_section(device: str, extra: list[str]) -> tuple[list[str], bool]:
    """The catalog on ``device`` against the CPU; (lines, whether they agree)."""
    start = time.perf_counter()
    # On the CPU, the dry run's "device" run compiles every check, as on a GPU.
    engine = ["--engine", "xla"] if device == "cpu" else []
    there = verdicts(_catalog_json(device, [*extra, *engine]))
    seconds = time.perf_counter() - start
    here = verdicts(_catalog_json("cpu", extra))
    differ = sorted(name for name in here if there.get(name) != here[name])
    differ += sorted(name for name in there if name not in here)
    statuses = [s for s, _ in there.values()]
    counts = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
    lines = [
        f"## 7. The catalog's verdicts on {device} against the CPU's",
        "",
        f"`check-derivations --format json --device {device}` "
        f"{' '.join(extra + engine)} against `--device cpu`, the same seed: "
        f"{len(there)} entries ({counts}), {seconds:.0f} s on {device}. "
        + (
            "Every entry's status and every case's status are the same."
            if not differ
            else f"Different: {', '.join(differ)}."
        ),
        "",
    ]
    return lines, not differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="gpu", choices=("gpu", "cpu"))
    parser.add_argument(
        "--small", action="store_true", help="small sizes: a dry run of the script"
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS_GPU.md"))
    args = parser.parse_args(argv)
    sizes = SMALL if args.small else FULL
    device = jax.local_devices(backend=args.device)[0]
    started = time.perf_counter()
    lines = [
        f"# GPU benchmark results{' (dry run: small sizes)' if args.small else ''}",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}",
        f"- device: {device} ({getattr(device, 'device_kind', '')})",
        f"- python {platform.python_version()}, jax {jax.__version__}, "
        f"numpy {np.__version__}",
        f"- command: `python bench/gpu.py --device {args.device}"
        f"{' --small' if args.small else ''}`",
        "",
    ]
    run.TIMED_S = sizes["timed_s"]
    lines += run.throughput_section(device, sizes["samples"])
    lines += large_section(args.device, sizes)
    for name, value in sizes["autodiff"].items():
        setattr(autodiff, name, value)
    bandwidth = scale.copy_bandwidth(args.device, sizes["copy_elements"])
    part = run.autodiff_section(device, bandwidth)
    size = f"over {4 * sizes['copy_elements'] / 2**20:,.0f} MiB"
    lines += [line.replace("over 1 GiB", size) for line in part]
    part, agree = verdicts_section(args.device, sizes["catalog"])
    lines += part
    lines.append(f"Whole run: {time.perf_counter() - started:.0f} s.")
    text = "\n".join(lines) + "\n"
    Path(args.output).write_text(text)
    print(text)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
