"""The cost of a verdict: the full check against computing the two sides bare.

For each of the four named derivations at its first declared sizes, in float64,
on the same sampled points, ``checks.profile_check`` times:

- bare: ``jax.jit(jax.vmap(closed_form))`` plus ``jax.jit(jax.vmap(reference))``
  (``jacrev``/``jacfwd``/``hessian`` of ``of``), values only — no sampling, no
  bounds, no comparison;
- the full check (the program a run of many samples executes, judged on the
  device, its few outputs fetched to the host): sampling, both sides with their
  running rounding-error bounds, the comparison and the choice of the worst
  points.

Overhead = full time / bare time. To say what costs what, the full check's parts
are timed alone as well (``checks.timing.PARTS``): sampling; each side's values
over points as the check maps them (``lax.map`` over cache-sized blocks on a
CPU); each side with its bound, so mapped; the comparison and the choice of the
worst points.

Usage: ``python bench/overhead.py [--device cpu|gpu] [--samples N]``; prints a
Markdown table. ``bench/run.py --sections overhead`` runs the same.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import checks  # noqa: E402
from checks.timing import PARTS  # noqa: E402

TARGET = 3.0  # the full check at most this many times the bare evaluation


def measure(closed_form: Any, n: int, device: str) -> dict[str, Any]:
    """Seconds per ``n`` points of the bare evaluation, the full check and its
    parts, for one derivation at its first sizes in float64."""
    d = checks.as_derivation(closed_form)
    t = checks.profile_check(d, samples=n, device=device)
    t["bare"] = t["bare closed form"] + t["bare reference"]
    dims = next(d.dims_cases())
    sizes = ", ".join(f"{k}={v}" for k, v in dims.items()) or "scalars"
    return {"name": d.name, "sizes": sizes, "n": n, "seconds": t}


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
    parts = PARTS
    lines += [
        "",
        "Where the time goes, nanoseconds per point (each part timed alone; "
        "*mapped*: values only, over points as the check maps them; "
        "*comparison*: `checks._src.judge.compare` and the choice of the worst points; "
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


def run(device: str, samples: int) -> list[dict[str, Any]]:
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
    print(markdown(run(args.device, args.samples)))


if __name__ == "__main__":
    main()
