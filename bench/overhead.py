"""The cost of a verdict: the full check against computing the two sides bare.

For each of the four named derivations at its first declared sizes, in float64,
on the same sampled points:

- bare: ``jax.jit(jax.vmap(closed_form))`` plus ``jax.jit(jax.vmap(reference))``
  (``checks.reference``: ``jacrev``/``jacfwd``/``hessian`` of ``of``), values
  only — no sampling, no bounds, no comparison;
- the full check (``checks.case._program`` judged on the device, as a run of many
  samples does it, its few outputs fetched to the host): sampling, both sides
  with their running rounding-error bounds (``checks.rounding``), the comparison
  (``checks.compare``) and the choice of the worst points.

Overhead = full time / bare time. To say what costs what, the full check's parts
are timed alone as well: sampling; each side's values over points as the check
maps them (``lax.map`` over cache-sized blocks on a CPU, ``checks.case.over_points``);
each side with its bound, so mapped; the comparison and the choice of the worst
points (``checks.case.judge``).

Usage: ``python bench/overhead.py [--device cpu|gpu] [--samples N]``; prints a
Markdown table. ``bench/run.py --sections overhead`` runs the same.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import checks  # noqa: E402, F401  (turns on float64 before anything is traced)
from checks import sampling  # noqa: E402
from checks.case import (  # noqa: E402
    _bounded,
    _largest,
    _program,
    _reference,
    block_points,
    example_args,
    judge,
    over_points,
)
from checks.declare import as_derivation  # noqa: E402
from checks.lapack import with_inline_lapack  # noqa: E402
from checks.reference import reference  # noqa: E402
from checks.verify import resolve_devices  # noqa: E402

TARGET = 3.0  # the full check at most this many times the bare evaluation


def seconds_per_call(fn: Any, *args: Any, least: float = 0.5) -> float:
    """Seconds of the fastest of the calls ``fn(*args)`` (compiled beforehand,
    each waited for) made over at least ``least`` seconds, five at the least: on
    shared cores the fastest call is the one least disturbed."""
    jax.block_until_ready(fn(*args))
    times: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < least or len(times) < 5:
        begin = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - begin)
    return min(times)


def _fetched(fn: Any) -> Any:
    """``fn`` with its outputs brought to the host (as a run does with a chunk)."""

    def run(*args: Any) -> Any:
        return jax.device_get(fn(*args))

    return run


def measure(closed_form: Any, n: int, device: Any) -> dict[str, Any]:
    """Seconds per ``n`` points of the bare evaluation, the full check and its
    parts, for one derivation at its first sizes in float64."""
    d = as_derivation(closed_form)
    dims = next(d.dims_cases())
    domains = list(d.inputs.values())
    args64 = tuple(example_args(d, dims, jnp.float64))
    block = block_points(_largest(d, dims), (device,))
    with jax.default_device(device):
        key = sampling.stream(0)

        def sample(key: jax.Array) -> list[jax.Array]:
            return [
                dom.sample(
                    sampling.substream(key, i),
                    n,
                    dims,
                    "float64" if dom.floating else jnp.int32,
                )[0]
                for i, dom in enumerate(domains)
            ]

        sampler = jax.jit(sample)
        xs = jax.block_until_ready(sampler(key))
        ref_fn = reference(d.of, d.wrt_index, d.order, args64)
        wrap = with_inline_lapack
        bare_closed = jax.jit(wrap(jax.vmap(d.closed_form)))
        bare_ref = jax.jit(wrap(jax.vmap(ref_fn)))
        mapped_closed = jax.jit(wrap(over_points(d.closed_form, block)))
        mapped_ref = jax.jit(wrap(over_points(ref_fn, block)))
        bounded_closed = jax.jit(wrap(_bounded(d.closed_form, args64, block)))
        bounded_ref = jax.jit(
            wrap(_reference(d.of, d.wrt_index, d.order, args64, block))
        )
        c, ec = bounded_closed(*xs)
        r, er = bounded_ref(*xs)
        strata = [jnp.zeros(n, jnp.int32) for _ in xs]

        def judged(c, ec, r, er, xs, strata, count):
            o = {"c": c, "ec": ec, "r": r, "er": er, "same_dtype": None}
            return judge({**o, "xs": xs, "strata": strata}, "float64", count, jnp)

        judging = jax.jit(judged)
        program = _program(d, dims, ["float64"], n, (device,), True)
        count = np.int32(n)
        full = program.lower(key, count).compile()
        t = {
            "bare closed form": seconds_per_call(bare_closed, *xs),
            "bare reference": seconds_per_call(bare_ref, *xs),
            "sampling": seconds_per_call(sampler, key),
            "closed form, mapped": seconds_per_call(mapped_closed, *xs),
            "reference, mapped": seconds_per_call(mapped_ref, *xs),
            "closed form + bound": seconds_per_call(bounded_closed, *xs),
            "reference + bound": seconds_per_call(bounded_ref, *xs),
            "comparison": seconds_per_call(
                judging, c, ec, r, er, xs, strata, np.int32(n)
            ),
            "full check": seconds_per_call(_fetched(full), key, count),
        }
    t["bare"] = t["bare closed form"] + t["bare reference"]
    sizes = ", ".join(f"{k}={v}" for k, v in dims.items()) or "scalars"
    return {"name": d.name, "sizes": sizes, "n": n, "block": block, "seconds": t}


def markdown(rows: list[dict[str, Any]]) -> str:
    """Two tables: points per second and overhead; where each microsecond goes."""
    lines = [
        "| derivation | sizes | bare (points/s) | full check (points/s) "
        f"| overhead | target ≤ {TARGET:g}× |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        t, n = r["seconds"], r["n"]
        factor = t["full check"] / t["bare"]
        met = "met" if factor <= TARGET else "not met"
        lines.append(
            f"| {r['name']} | {r['sizes']} | {n / t['bare']:,.0f} "
            f"| {n / t['full check']:,.0f} | {factor:.2f}× | {met} |"
        )
    parts = (
        "bare closed form",
        "bare reference",
        "sampling",
        "closed form, mapped",
        "reference, mapped",
        "closed form + bound",
        "reference + bound",
        "comparison",
        "full check",
    )
    lines += [
        "",
        "Where the time goes, nanoseconds per point (each part timed alone; "
        "*mapped*: values only, over points as the check maps them; "
        "*comparison*: `checks.compare` and the choice of the worst points; "
        "the full check is one program, in which XLA fuses across the parts, so "
        "they need not add up to it):",
        "",
        "| derivation | " + " | ".join(parts) + " |",
        "|---|" + "---|" * len(parts),
    ]
    for r in rows:
        t, n = r["seconds"], r["n"]
        cells = " | ".join(f"{1e9 * t[p] / n:,.0f}" for p in parts)
        lines.append(f"| {r['name']} | {cells} |")
    return "\n".join(lines)


def run(device: Any, samples: int) -> list[dict[str, Any]]:
    from bench.run import NAMED

    rows = []
    for closed_form in NAMED:
        rows.append(measure(closed_form, samples, device))
        print(rows[-1]["name"], flush=True, file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()
    (device,) = resolve_devices(args.device)
    print(markdown(run(device, args.samples)))


if __name__ == "__main__":
    main()
