"""Reproduce the CPU deadlock of jaxlib 0.10's batched LAPACK kernels.

    python bench/repro_lapack_deadlock.py [--runs 6] [--unchunked]

Each run, in a fresh process, compiles the check of dλᵢ/dA = vᵢvᵢᵀ for 4 × 4
symmetric matrices (``tests/linalg_files/symmetric_eigen.py``), float64 and
float32 in one program, 1000 points, and runs it.
With ``--unchunked`` the program is built as written
(``checks._src.evaluate.lapack`` off): on a 2-core machine about half the runs
never return, every thread waiting in ``jax::ParallelBatchMap``
(``BlockingCounter::Wait``) on the 2-thread intra-op pool (seen with gdb:
``thread apply all bt``). Without it, the LAPACK calls are
made in chunks that run inline, and every run finishes.

The cause, for an upstream report: ``GetLapackBatchChunkSize`` in
``jaxlib/cpu/lapack_kernels.cc`` (jaxlib 0.10) splits a batch whose work is at
least 200,000 flops over the FFI thread pool, and ``ParallelBatchMap`` then waits
on the calling thread, itself a pool thread when XLA's thunk executor runs
independent thunks concurrently. With as many such calls in flight as the pool
has threads, none of the scheduled pieces can start. jaxlib 0.11 compiles the
parallel path out of open-source builds. A smaller plain-JAX program (two
independent ``eigh`` calls on 2000 or 20,000 matrices after a large elementwise
kernel) did not hang in 20 runs on the same machine: the concurrency depends on
how the thunk executor schedules this particular program.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

FILE = Path(__file__).resolve().parent.parent / "tests/linalg_files/symmetric_eigen.py"

RUN = textwrap.dedent(
    """
    import sys
    import jax
    import numpy as np
    jax.config.update("jax_enable_x64", True)
    from checks import sampling
    from checks._src.evaluate import case_program, lapack, on_host
    from checks._src.run.load import load_targets

    if sys.argv[1] == "unchunked":
        lapack._on_cpu = lambda: False
    (d,) = [x for x in load_targets([sys.argv[2]]) if x.name == "eigenvalues_jacobian"]
    with on_host.engine("xla"):
        program = case_program._build_program(d, {"n": 4}, ["float64", "float32"], 1000)
        jax.block_until_ready(program(sampling.chunk_stream(0, 0), np.int32(1000)))
    print("finished")
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--unchunked", action="store_true")
    args = parser.parse_args()
    mode = "unchunked" if args.unchunked else "chunked"
    hung = 0
    for _ in range(args.runs):
        try:
            out = subprocess.run(
                [sys.executable, "-c", RUN, mode, str(FILE)],
                capture_output=True,
                text=True,
                timeout=args.timeout,
            )
            finished = "finished" in out.stdout
            if not finished:
                print(out.stderr[-2000:], file=sys.stderr)
        except subprocess.TimeoutExpired:
            finished = False
        hung += not finished
    print(f"{mode}: {hung} of {args.runs} runs did not finish in {args.timeout:g} s")


if __name__ == "__main__":
    main()
