"""Benchmarks: the catalog's cold wall time, and verified points per second.

Every figure is a ratio against a peer measured in the same run:

1. Start-up: ``check-derivations`` on the full catalog in a fresh process with
   an empty compilation cache (cold) and with the cache it filled (warm), against
   ``jax.test_util.check_grads`` run on every catalog derivation's function at
   one point each (also a fresh process). The two do different amounts of work:
   the checker compares each closed form with autodiff at 1000 points × sizes ×
   2 dtypes; ``check_grads`` compares autodiff with finite differences at one
   point. The ratio says what a full audit costs next to a one-point smoke test.
2. Throughput: for the four named derivations, points verified per second by the
   checker's compiled program (sampling, closed form and reference with their
   error bounds, on every point) against ``check_grads`` on the same function
   (one point per call), compilation excluded for both.

Usage: ``python bench/run.py [--device cpu|gpu] [--samples N] [--no-write]``.
Writes ``bench/RESULTS.md`` with the machine, versions and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

import checks  # noqa: E402, F401  (turns on float64 before anything is traced)
from checks import sampling  # noqa: E402
from checks.case import _program  # noqa: E402
from checks.declare import as_derivation  # noqa: E402
from checks.verify import resolve_devices  # noqa: E402
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


def cold_start(device: str) -> dict[str, float]:
    """The catalog from a fresh process: with an empty compilation cache (cold),
    then again with the cache that run filled (warm)."""
    env_exe = Path(sys.executable).with_name("check-derivations")
    cmd = [str(env_exe)] if env_exe.exists() else [sys.executable, "-m", "checks.cli"]
    argv = [*cmd, "--device", device, "--progress", "off"]
    with tempfile.TemporaryDirectory() as cache:
        env = {"XDG_CACHE_HOME": cache}
        cold = timed_process(argv, env)
        warm = timed_process(argv, env)
    peer = timed_process([sys.executable, "-c", PEER_SCRIPT.format(root=str(ROOT))])
    return {"cold": cold, "warm": warm, "check_grads": peer}


def points_per_second_ours(closed_form, n: int, device) -> tuple[float, float]:
    """(points/s, compile seconds) of the compiled check at the first sizes, float64."""
    d = as_derivation(closed_form)
    dims = next(d.dims_cases())
    with jax.default_device(device):
        program = _program(d, dims, ["float64"], n)
        key = sampling.stream(0)
        start = time.perf_counter()
        compiled = program.lower(key).compile()
        compile_s = time.perf_counter() - start
        jax.block_until_ready(compiled(key))
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0 or runs < 3:
            jax.block_until_ready(compiled(key))
            runs += 1
        seconds = (time.perf_counter() - start) / runs
    return n / seconds, compile_s


def points_per_second_check_grads(closed_form, device) -> float:
    d = as_derivation(closed_form)
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
        while time.perf_counter() - start < 1.0 or calls < 3:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    (device,) = resolve_devices(args.device)

    lines = [
        "# Benchmark results",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}",
        f"- machine: {machine()}",
        f"- device: {device}",
        f"- python {platform.python_version()}, jax {jax.__version__}, "
        f"numpy {np.__version__}",
        f"- command: `python bench/run.py --device {args.device} "
        f"--samples {args.samples}`",
        "",
        "## Cold start: the full catalog, fresh process",
        "",
        "| run | wall time (s) |",
        "|---|---|",
    ]
    cold = cold_start(args.device)
    lines += [
        f"| `check-derivations`, empty compilation cache (catalog: every entry, "
        f"1000 points × sizes × 2 dtypes) | {cold['cold']:.1f} |",
        f"| `check-derivations` again, compilation cache filled | {cold['warm']:.1f} |",
        f"| `check_grads` on every catalog function, one point each "
        f"| {cold['check_grads']:.1f} |",
        f"| ratio cold checker / check_grads "
        f"| {cold['cold'] / cold['check_grads']:.1f}× |",
        f"| ratio warm checker / check_grads "
        f"| {cold['warm'] / cold['check_grads']:.1f}× |",
        "",
        "## Throughput: verified points per second (compilation excluded)",
        "",
        "| derivation | checker (points/s) | check_grads (points/s) | ratio "
        "| checker compile (s) |",
        "|---|---|---|---|---|",
    ]
    for closed_form in NAMED:
        ours, compile_s = points_per_second_ours(closed_form, args.samples, device)
        peer = points_per_second_check_grads(closed_form, device)
        name = as_derivation(closed_form).name
        lines.append(
            f"| {name} | {ours:,.0f} | {peer:,.1f} | {ours / peer:,.0f}× "
            f"| {compile_s:.2f} |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (ROOT / "bench" / "RESULTS.md").write_text(text)


if __name__ == "__main__":
    main()
