"""Reproduce the CPU deadlock of jaxlib 0.10's batched LAPACK kernels.

    python bench/repro_lapack_deadlock.py [--runs 6] [--unchunked]

Each run, in a fresh process, compiles the check of dλᵢ/dA = vᵢvᵢᵀ for 4 × 4
symmetric matrices, float64 and float32 in one program, 1000 points, and runs it.
With ``--unchunked`` the program is built as written (``checks.lapack`` off): on a
2-core machine about half the runs never return, every thread waiting in
``jax::ParallelBatchMap`` (``BlockingCounter::Wait``) on the 2-thread intra-op
pool (seen with gdb: ``thread apply all bt``). Without it, the LAPACK calls are
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

RUN = textwrap.dedent(
    """
    import sys
    import jax
    import jax.numpy as jnp
    import numpy as np
    from checks import case, lapack, on_host, sampling
    from checks.declare import make_derivation
    from checks import domain

    if sys.argv[1] == "unchunked":
        lapack._on_cpu = lambda: False

    def separated(key, shape, dtype):
        n = shape[-1]
        k1, k2 = jax.random.split(key)
        q = jnp.linalg.qr(jax.random.normal(k1, shape, dtype))[0]
        gaps = jax.random.uniform(k2, shape[:-1], dtype)
        lam = 2.0 * jnp.arange(n, dtype=dtype) - n + gaps
        a = (q * lam[..., None, :]) @ jnp.swapaxes(q, -1, -2)
        return 0.5 * (a + jnp.swapaxes(a, -1, -2))

    def eigenvalues(A):
        return jnp.linalg.eigh(A)[0]

    def jacobian(A):
        v = jnp.linalg.eigh(A)[1]
        return jnp.einsum("ji,ki->ijk", v, v)

    d = make_derivation(jacobian, of=eigenvalues, wrt="A",
                        inputs={"A": domain.custom(separated, ("n", "n"))},
                        dims={"n": (4,)})
    with on_host.engine("xla"):
        program = case._build_program(d, {"n": 4}, ["float64", "float32"], 1000)
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
                [sys.executable, "-c", RUN, mode],
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
