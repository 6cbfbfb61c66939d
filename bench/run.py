"""Benchmarks: start-up, throughput, ten million samples, large shapes, many
devices, closed forms against autodiff, and the bandwidth floor.

Every figure is printed beside its target and, where there is one, against a peer
measured in the same run:

1. Start-up: ``check-derivations`` on the full catalog in a fresh process with
   empty caches (cold); again with the compiled programs kept but every entry
   checked again (recomputed); again as a user runs it after editing nothing
   (warm: every result reused, see ``checks._src.store.store``); cold with every check
   compiled by XLA (``--engine xla``: what evaluating small checks with NumPy,
   ``checks._src.evaluate.on_host``, saves); against
   ``jax.test_util.check_grads`` run on every catalog derivation's function at
   one point each (also a fresh process). The two do different amounts of work:
   the checker compares each closed form with autodiff at 1000 points × sizes ×
   2 dtypes; ``check_grads`` compares autodiff with finite differences at one
   point. The ratio says what a full audit costs next to a one-point smoke test.
   Each start-up figure is the median of three runs.
2. Throughput: for the four named derivations, points verified per second by the
   checker's compiled program (sampling, closed form and reference with their
   error bounds, and the comparison, on every point) against ``check_grads`` on
   the same function (one point per call), compilation excluded for both.
2a. The cost of a verdict (``bench/overhead.py``): the full check against the
   bare closed form and reference on the same points, and where its time goes.
3–6. ``bench/scale.py`` (10⁷ samples in bounded memory, large shapes, sharding
   over 1 to 4 devices, the bandwidth floor) and ``bench/autodiff.py`` (closed
   forms against ``jax.grad``, ``jax.jacfwd`` and ``jax.jacrev``).

Usage: ``python bench/run.py [--device cpu|gpu] [--samples N] [--no-write]``.
Rewrites, in ``bench/RESULTS.md``, only the blocks of the sections it ran, each
with the machine, versions and date (``bench/results_md.py``); sections measured
by hand stay as they are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

jax.config.update("jax_enable_x64", True)  # check_grads in float64
import checks  # noqa: E402
from bench import autodiff, results_md, scale  # noqa: E402
from checks import sampling  # noqa: E402
from derivations import (  # noqa: E402
    cross_entropy,
    logistic_regression,
    softmax,
    softmax_regression,
)

NAMED = (
    cross_entropy.binary_cross_entropy_grad_beta,
    softmax.softmax_jacobian,
    softmax_regression.softmax_cross_entropy_grad_logits,
    logistic_regression.logistic_regression_grad_theta,
)

PEER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    import checks, jax
    jax.config.update("jax_enable_x64", True)
    from jax.test_util import check_grads
    from checks import sampling
    from derivations import CATALOG
    for d in CATALOG:
        if d.kind != "derivation":
            continue
        dims = next(d.dims_cases())
        args = [dom.sample(sampling.stream(0), 1, dims, "float64")[0][0]
                for dom in d.inputs.values()]
        f = lambda x, d=d, args=args: d.of(
            *[x if i == d.wrt_index else a for i, a in enumerate(args)])
        try:
            check_grads(f, (args[d.wrt_index],), order=d.order, modes=("rev",))
        except AssertionError:
            pass
    """
)


def timed_process(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    return seconds


# Seconds over which a compiled check's and check_grads's calls are timed.
TIMED_S = 1.0

# Start-up runs timed for each figure (the median is reported): the machine's
# cores are shared, and one run can be 20% off.
REPEATS = 3


def cold_start(device: str) -> dict[str, float]:
    """The catalog from a fresh process: empty caches (cold); compiled programs
    kept, stored results removed (recomputed); nothing changed (warm). Each the
    median of ``REPEATS`` runs, with and against ``check_grads``."""
    env_exe = Path(sys.executable).with_name("check-derivations")
    cmd = [str(env_exe)] if env_exe.exists() else [sys.executable, "-m", "checks.cli"]
    argv = [*cmd, "--device", device, "--progress", "off"]
    times: dict[str, list[float]] = {"cold": [], "recomputed": [], "warm": []}
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as cache:
            env = {"XDG_CACHE_HOME": cache}
            times["cold"].append(timed_process(argv, env))
            shutil.rmtree(Path(cache) / "derivation-checker" / "results")
            times["recomputed"].append(timed_process(argv, env))
            times["warm"].append(timed_process(argv, env))
    with tempfile.TemporaryDirectory() as cache:
        compiled = timed_process([*argv, "--engine", "xla"], {"XDG_CACHE_HOME": cache})
    peer = [
        timed_process([sys.executable, "-c", PEER_SCRIPT.format(root=str(ROOT))])
        for _ in range(REPEATS)
    ]
    out = {name: float(np.median(t)) for name, t in times.items()}
    out["cold_range"] = (min(times["cold"]), max(times["cold"]))
    out["warm_range"] = (min(times["warm"]), max(times["warm"]))
    return {**out, "compiled": compiled, "check_grads": float(np.median(peer))}


def points_per_second_ours(closed_form, n: int, device) -> tuple[float, float]:
    """(points/s, compile seconds) of the compiled check at the first sizes, float64:
    sampling, closed form and reference with their error bounds, and the
    comparison, as a run of many samples does it (on the device), with the results
    brought back to the host (``checks.time_check``)."""
    t = checks.time_check(closed_form, samples=n, device=device.platform, least=TIMED_S)
    return t.points_per_s, t.compile_s


def points_per_second_check_grads(closed_form, device) -> float:
    d = checks.as_derivation(closed_form)
    dims = next(d.dims_cases())
    with jax.default_device(device):
        args = [
            dom.sample(sampling.stream(1), 1, dims, "float64")[0][0]
            for dom in d.inputs.values()
        ]

        def f(x):
            return d.of(*[x if i == d.wrt_index else a for i, a in enumerate(args)])

        x = args[d.wrt_index]
        check_grads(f, (x,), order=d.order, modes=("rev",))  # warm-up
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < TIMED_S or calls < 3:
            check_grads(f, (x,), order=d.order, modes=("rev",))
            calls += 1
    return calls / (time.perf_counter() - start)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


SECTIONS = (
    "startup",
    "throughput",
    "overhead",
    "samples",
    "large",
    "shards",
    "autodiff",
)


def _gib(row: dict) -> str:
    peak = row.get("peak_gib")
    return f"{peak:.1f}" if isinstance(peak, float) else "—"


def _range(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.1f}–{bounds[1]:.1f}"


def startup_section(device: str) -> list[str]:
    cold = cold_start(device)
    peer = cold["check_grads"]
    return [
        "## 1. Start-up: the full catalog (130 entries), fresh process",
        "",
        "Target: at most 5 s cold (empty caches) and 2 s warm, on 2 cores. "
        f"Cold, recomputed, warm and `check_grads`: the median of {REPEATS} runs "
        "(range in brackets).",
        "",
        "| run | wall time (s) | target (s) | against `check_grads` |",
        "|---|---|---|---|",
        f"| cold: empty caches (every entry, 1000 points × sizes × 2 dtypes) "
        f"| {cold['cold']:.1f} [{_range(cold['cold_range'])}] | 5 "
        f"| {cold['cold'] / peer:.1f}× |",
        f"| cold, every check compiled by XLA (`--engine xla`) "
        f"| {cold['compiled']:.1f} | — | {cold['compiled'] / peer:.1f}× |",
        f"| stored results removed, compilation cache kept "
        f"| {cold['recomputed']:.1f} | — | {cold['recomputed'] / peer:.1f}× |",
        f"| warm: nothing edited, every result reused "
        f"| {cold['warm']:.1f} [{_range(cold['warm_range'])}] | 2 "
        f"| {cold['warm'] / peer:.2f}× |",
        f"| `check_grads` on every catalog function, one point each "
        f"| {peer:.1f} | — | 1× |",
        "",
    ]


def throughput_section(device: Any, samples: int) -> list[str]:
    lines = [
        "## 2. Throughput: verified points per second (compilation excluded)",
        "",
        "Target: at least 10,000× `check_grads` on the same function.",
        "",
        "| derivation | checker (points/s) | check_grads (points/s) | ratio "
        "| target | checker compile (s) |",
        "|---|---|---|---|---|---|",
    ]
    for closed_form in NAMED:
        ours, compile_s = points_per_second_ours(closed_form, samples, device)
        peer = points_per_second_check_grads(closed_form, device)
        name = checks.as_derivation(closed_form).name
        ratio = ours / peer
        met = "met" if ratio >= 10_000 else "not met"
        lines.append(
            f"| {name} | {ours:,.0f} | {peer:,.1f} | {ratio:,.0f}× "
            f"| 10,000× ({met}) | {compile_s:.2f} |"
        )
        print(lines[-1], flush=True)
    return [*lines, ""]


def overhead_section(device: str, samples: int) -> list[str]:
    from bench import overhead

    return [
        "## 2a. The cost of a verdict: the full check against the bare evaluation",
        "",
        f"Float64, {samples:,} points, first declared sizes (`bench/overhead.py`): "
        "bare is `jit(vmap(closed_form))` plus `jit(vmap(reference))` on the "
        "same points; the full check adds sampling, both rounding-error bounds "
        f"and the comparison. Target: at most {overhead.TARGET:g}×.",
        "",
        overhead.markdown(overhead.run(device, samples)),
        "",
    ]


def samples_section(device: str) -> list[str]:
    rows = scale.many_samples(device)
    lines = [
        "## 2b. Ten million samples, chunk by chunk",
        "",
        "Target: `--samples 10000000` in bounded memory, with a progress bar "
        "(`check-derivations --samples 10000000 --progress on`). Each row is "
        "`checks.verify(d, samples=10_000_000)` (float64 and float32) in a fresh "
        "process, after a warm-up of two chunks' points that compiles the same "
        "programs (XLA compilations during the timed runs: "
        f"{sum(r.get('compiled_timed', 0) for r in rows)}).",
        "",
        "| derivation | verdict | worst error / tolerance | cases × points "
        "| time (s) | points/s | peak memory (GiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | error: {r['error']} | | | | | |")
            continue
        points = r["cases"] * 10_000_000
        lines.append(
            f"| {r['name']} | {r['status']} | {r['worst']:.2f} "
            f"| {r['cases']} × 10,000,000 | {r['seconds_check']:.1f} "
            f"| {points / r['seconds_check']:,.0f} | {_gib(r)} |"
        )
    return [*lines, ""]


def large_section(device: str) -> list[str]:
    rows = scale.large_shapes(device)
    lines = [
        "## 3. Large shapes (float64, checked on this machine's memory)",
        "",
        "Target: cross-entropy through softmax at batch × classes = 4096 × 32000 "
        "and the softmax Jacobian at k = 4096, with peak memory. Time is the "
        "fresh process's, importing JAX and compiling the check included.",
        "",
        "| derivation | sizes | samples | verdict | worst error / tolerance "
        "| process time (s) | peak memory (GiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        sizes = " × ".join(f"{k}={v}" for k, v in r["sizes"].items())
        if "error" in r or r.get("status") == "not run":
            why = r.get("message") or (
                "killed by the system (SIGKILL: out of memory)"
                if r.get("returncode") == -9
                else f"failed: {r.get('error')}"
            )
            lines.append(
                f"| {r['name']} | {sizes} | {r['samples']} | not run: {why} | | | |"
            )
            continue
        if r["status"] == "error":
            lines.append(
                f"| {r['name']} | {sizes} | {r['samples']} | error: {r['message']} "
                f"| | {r['seconds']:.0f} | {_gib(r)} |"
            )
            continue
        lines.append(
            f"| {r['name']} | {sizes} | {r['samples']} | {r['status']} "
            f"| {r['ratio']:.3g} | {r['seconds']:.0f} | {_gib(r)} |"
        )
    return [*lines, ""]


def sharding_section(device: str) -> list[str]:
    result = scale.sharding(device)
    lines = [
        "## 4. Many devices: points sharded over 1, 2 and 4 devices",
        "",
        "Target: samples sharded over all local devices with `jax.sharding`; "
        "scaling from 1 to N. On CPU the devices are made with "
        "`XLA_FLAGS=--xla_force_host_platform_device_count=4` and share the "
        f"machine's {os.cpu_count()} cores, which one device's program already "
        "uses: these rows show the sharded program's overhead, not a speed-up; "
        "real scaling needs real devices (several GPUs).",
        "",
        "| derivation | devices | points/s | against 1 device |",
        "|---|---|---|---|",
    ]
    rows = result.get("rows", [])
    base = {r["name"]: r["points_per_s"] for r in rows if r["shards"] == 1}
    for r in rows:
        speedup = r["points_per_s"] / base[r["name"]]
        lines.append(
            f"| {r['name']} | {r['shards']} | {r['points_per_s']:,.0f} "
            f"| {speedup:.2f}× |"
        )
    if "error" in result:
        lines.append(f"| error: {result['error']} | | | |")
    return [*lines, ""]


def autodiff_section(device: Any, bandwidth: float) -> list[str]:
    rows = autodiff.run(device, "float32")
    lines = [
        "## 5. What hand-deriving buys: closed form against autodiff (float32)",
        "",
        autodiff.markdown(rows),
        "",
        "## 6. Closed forms against the memory-bandwidth floor",
        "",
        f"Device-to-device copy bandwidth (jitted `x + 1` over 1 GiB, written in "
        f"place): "
        f"{bandwidth / 1e9:.1f} GB/s. The floor is the time to read a closed "
        "form's inputs and write its output once at that bandwidth. The closed "
        "forms write a fresh output on every call; on CPU, mapping that memory "
        "costs more than the arithmetic.",
        "",
        "| derivation | sizes | bytes read + written | floor (ms) | closed form (ms) "
        "| closed form / floor |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor_ms = 1e3 * r["bytes"] / bandwidth
        lines.append(
            f"| {r['name']} | {r['sizes']} | {r['bytes'] / 2**20:,.0f} MiB "
            f"| {floor_ms:.2f} | {r['closed_ms']:.2f} "
            f"| {r['closed_ms'] / floor_ms:.1f}× |"
        )
    return [*lines, ""]


def _dated(part: list[str], stamp: str) -> list[str]:
    """A section's lines with ``stamp`` (when and how it was measured) after its
    heading."""
    return [part[0], "", stamp, *part[1:]]


GPU_NOTE = [
    "## GPU",
    "",
    "Not measured: no GPU device was available for the GPU figures in this run, "
    "nor is one visible to JAX on this machine. `python bench/gpu.py` (about 8 "
    "minutes on one GPU) writes `bench/RESULTS_GPU.md`: throughput against "
    "`check_grads` on the GPU, the large shapes (softmax Jacobian at k = 4096, "
    "cross-entropy through softmax at 4096 × 32000), the closed forms against the "
    "GPU's measured device-to-device copy bandwidth, and the catalog's verdicts on "
    "the GPU compared with the CPU's, entry by entry and case by case. `python "
    "bench/gpu.py --device cpu --small` is its dry run on the CPU at small sizes "
    "(`tests/test_bench_gpu.py` runs it); `python bench/run.py --device gpu` gives "
    "every table above on a GPU.",
    "",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, from {', '.join(SECTIONS)} (only their blocks of "
        "RESULTS.md are rewritten)",
    )
    args = parser.parse_args()
    chosen = args.sections.split(",")
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)}")
    device = jax.local_devices(backend=args.device)[0]
    started = time.perf_counter()
    date = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}"
    versions = (
        f"python {platform.python_version()}, jax {jax.__version__}, "
        f"numpy {np.__version__}"
    )
    command = f"python bench/run.py --device {args.device} --samples {args.samples}"
    blocks = {
        "header": "\n".join(
            [
                "# Benchmark results",
                "",
                f"- date: {date}",
                f"- machine: {machine()}",
                f"- device: {device}",
                f"- {versions}",
                f"- command: `{command}`",
            ]
        )
    }
    sections = {
        "startup": lambda: startup_section(args.device),
        "throughput": lambda: throughput_section(device, args.samples),
        "overhead": lambda: overhead_section(args.device, args.samples),
        "samples": lambda: samples_section(args.device),
        "large": lambda: large_section(args.device),
        "shards": lambda: sharding_section(args.device),
        "autodiff": lambda: autodiff_section(device, scale.copy_bandwidth(args.device)),
    }
    for name in SECTIONS:
        if name not in chosen:
            continue
        stamp = (
            f"*Measured {date} on {machine()} ({device}), {versions}: "
            f"`{command} --sections {name}`.*"
        )
        part = _dated(sections[name](), stamp)
        print("\n".join(part), flush=True)
        blocks[name] = "\n".join(part)
    footer = GPU_NOTE if device.platform != "gpu" else []
    blocks["footer"] = "\n".join(
        [*footer, f"Whole run: {time.perf_counter() - started:.0f} s."]
    )
    if set(chosen) < set(SECTIONS):  # the date and the whole run's time are a
        del blocks["header"], blocks["footer"]  # full run's
    if not args.no_write:
        path = ROOT / "bench" / "RESULTS.md"
        old = path.read_text() if path.exists() else ""
        path.write_text(results_md.update(old, blocks))
        print(f"wrote {', '.join(blocks)} of {path}")


if __name__ == "__main__":
    main()
