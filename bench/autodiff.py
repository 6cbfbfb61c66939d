"""What hand-deriving buys: closed forms against JAX autodiff at large sizes.

For four catalog derivations, the hand-derived closed form is timed against JAX
autodiff of the function it differentiates: ``jax.grad`` where that function is
scalar-valued, ``jax.jacfwd`` and ``jax.jacrev`` always. Everything is jitted and
runs on one device; each program is called once to compile (that first call is
reported on its own), then timed as the median of at least 5 calls (more, up to
about 2 s of calls, when they are fast), each waited for with
``jax.block_until_ready``. Inputs are drawn once with a seeded numpy generator and
put on the device before anything is timed. Every autodiff result is also
compared with the closed form, and the table says whether they agree.

What autodiff has to do, per derivation (f the function, x the input it is
differentiated against, J its Jacobian):

- Binary cross-entropy, ∂H/∂β = (β − α)/(β(1 − β)), over N pairs (α, β). The
  closed form is a few elementwise operations. ``jax.vmap`` of ``jax.grad`` runs
  the forward pass and one reverse pass per pair, ``jacfwd`` one forward-mode pass
  per pair; all three are O(N), so the question is only the constant.
- Softmax Jacobian, DS = diag(S) − S Sᵀ, at k logits. The closed form is one
  outer product: O(k²). ``jacfwd`` pushes the k basis tangents through softmax
  (k JVPs of O(k) each) and ``jacrev`` pulls k cotangents back: O(k²) as well.
  There is no ``jax.grad``: softmax is vector-valued.
- Cross-entropy through softmax, ∂E/∂z = (o − y)/m, for m × k logits. The closed
  form is a softmax and a subtraction: O(mk). ``jax.grad`` (and ``jacrev``, which
  for a scalar function is one vector-Jacobian product) is one forward and one
  reverse pass: O(mk) too. ``jacfwd`` would need one JVP per input, mk of them,
  O((mk)²) work in all: it is not run; one JVP is timed (vmapped over a few basis
  directions, as ``jacfwd`` does) and the full cost is extrapolated from it.
- Logistic regression, ∂J/∂θ = Xᵀ(σ(Xθ) − y)/m, for m examples of n features.
  The closed form is two matrix-vector products: O(mn). ``jax.grad`` and
  ``jacrev`` are O(mn) as well; ``jacfwd`` pushes the n basis tangents of θ,
  which turns Xθ into the matrix product X·Iₙ: O(mn²).

Agreement: elementwise, |autodiff − closed| ≤ rtol·|closed| + rtol·mean|closed|,
with rtol = 1e-4 in float32 (1e-10 in float64). The second term keeps entries
near zero, where the two forms cancel differently, from counting as
disagreements while still being tiny next to a typical entry.

Usage: ``python bench/autodiff.py [--device cpu|gpu] [--dtype float32|float64]``;
prints a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)  # float64 closed forms, run directly
from checks import Derivation, as_derivation  # noqa: E402
from derivations import (  # noqa: E402
    cross_entropy,
    logistic_regression,
    softmax,
    softmax_regression,
)

SEED = 0
METHODS = ("grad", "jacfwd", "jacrev")
LABELS = {
    "closed": "closed form",
    "grad": "jax.grad",
    "jacfwd": "jax.jacfwd",
    "jacrev": "jax.jacrev",
}
RTOL = {"float32": 1e-4, "float64": 1e-10}
TIME_BUDGET_S = 2.0  # time calls until this much has been spent (or MAX_RUNS)
MIN_RUNS, MAX_RUNS = 5, 50
JVP_DIRECTIONS = 2  # basis directions timed to extrapolate a jacfwd that is not run

# Sizes.
BCE_N = 10_000_000
SOFTMAX_K = 4096
CE_M, CE_K = 4096, 32_000
LOGREG_M, LOGREG_N = 4096, 1024

Array = Any  # a jax.Array or a numpy array


# --- Timing and agreement ------------------------------------------------------------


@dataclass
class Timing:
    """The median of several calls of a compiled program, and its first call."""

    median_ms: float
    first_call_s: float  # compilation plus the first call
    runs: int


def time_jitted(fn: Callable[..., Any], args: Sequence[Array]) -> tuple[Timing, Any]:
    """Jit ``fn``, call it once (compile), then time it; returns the first output."""
    jitted = jax.jit(fn)
    start = time.perf_counter()
    out = jax.block_until_ready(jitted(*args))
    first_call_s = time.perf_counter() - start
    times: list[float] = []
    while len(times) < MIN_RUNS or (
        sum(times) < TIME_BUDGET_S and len(times) < MAX_RUNS
    ):
        start = time.perf_counter()
        jax.block_until_ready(jitted(*args))
        times.append(time.perf_counter() - start)
    return Timing(1e3 * statistics.median(times), first_call_s, len(times)), out


@jax.jit
def _mismatch(auto: jax.Array, closed: jax.Array, rtol: float) -> tuple[Any, ...]:
    """(entries off, worst |Δ|/tolerance), in float64, without a host copy."""
    a = auto.astype(jnp.float64)
    c = closed.astype(jnp.float64)
    tol = rtol * jnp.abs(c) + rtol * jnp.mean(jnp.abs(c))
    diff = jnp.abs(a - c)
    off = jnp.sum(~(diff <= tol))  # a NaN on either side counts as off
    return off, jnp.max(diff / tol)


@dataclass
class Agreement:
    """How an autodiff result compares with the closed form."""

    off: int  # entries outside the tolerance
    total: int
    worst: float  # max |autodiff − closed| / tolerance

    @property
    def agrees(self) -> bool:
        return self.off == 0


def agreement(auto: jax.Array, closed: jax.Array, dtype: str) -> Agreement:
    if auto.shape != closed.shape:
        return Agreement(off=closed.size, total=closed.size, worst=math.inf)
    off, worst = _mismatch(auto, closed, RTOL[dtype])
    return Agreement(off=int(off), total=int(closed.size), worst=float(worst))


# --- The four derivations ------------------------------------------------------------


@dataclass
class Case:
    """One derivation at benchmark sizes: its inputs and the programs to time."""

    derivation: Derivation
    sizes: str
    inputs: tuple[Array, ...]
    autodiff: dict[str, Callable[..., Any]]
    not_run: dict[str, str] = field(default_factory=dict)  # method → why
    not_applicable: dict[str, str] = field(default_factory=dict)  # method → why
    estimate: Callable[[tuple[Array, ...], jax.Array], dict[str, Any]] | None = None


def _transform(d: Derivation, method: str) -> Callable[..., Any]:
    """``jax.grad`` / ``jacfwd`` / ``jacrev`` of ``d.of`` wrt its declared input."""
    transform = {"grad": jax.grad, "jacfwd": jax.jacfwd, "jacrev": jax.jacrev}
    return transform[method](d.of, argnums=d.wrt_index)


def bce_case(rng: np.random.Generator, dtype: str) -> Case:
    """∂H/∂β of the binary cross-entropy, elementwise over N (α, β) pairs."""
    d = as_derivation(cross_entropy.binary_cross_entropy_grad_beta)
    eps = np.finfo(dtype).eps
    alpha = rng.random(BCE_N, dtype=dtype)  # α ∈ [0, 1)
    beta = np.clip(rng.random(BCE_N, dtype=dtype), eps, 1 - eps)  # β ∈ (0, 1)
    autodiff = {m: jax.vmap(_transform(d, m)) for m in METHODS}
    return Case(d, f"N = {BCE_N:,} pairs", (alpha, beta), autodiff)


def softmax_case(rng: np.random.Generator, dtype: str) -> Case:
    """The k × k Jacobian of softmax."""
    d = as_derivation(softmax.softmax_jacobian)
    a = rng.standard_normal(SOFTMAX_K, dtype=dtype)
    autodiff = {m: _transform(d, m) for m in ("jacfwd", "jacrev")}
    why = {"grad": "jax.grad: not applicable, softmax is vector-valued"}
    return Case(d, f"k = {SOFTMAX_K:,}", (a,), autodiff, not_applicable=why)


def softmax_cross_entropy_case(rng: np.random.Generator, dtype: str) -> Case:
    """∂E/∂z of the mean cross-entropy through softmax, m × k logits."""
    d = as_derivation(softmax_regression.softmax_cross_entropy_grad_logits)
    z = rng.standard_normal((CE_M, CE_K), dtype=dtype)
    y = np.zeros((CE_M, CE_K), dtype=dtype)
    y[np.arange(CE_M), rng.integers(0, CE_K, CE_M)] = 1
    autodiff = {m: _transform(d, m) for m in ("grad", "jacrev")}
    inputs = CE_M * CE_K
    basis_bytes = inputs**2 * np.dtype(dtype).itemsize
    not_run = {
        "jacfwd": (
            f"jax.jacfwd: not run: {inputs:,} forward passes (one JVP per input); "
            f"its one-hot tangent basis alone would take {_bytes(basis_bytes)}"
        )
    }
    return Case(
        d,
        f"m × k = {CE_M:,} × {CE_K:,}",
        (z, y),
        autodiff,
        not_run=not_run,
        estimate=_jacfwd_estimate,
    )


def logistic_regression_case(rng: np.random.Generator, dtype: str) -> Case:
    """∂J/∂θ of the logistic-regression cost, m examples of n features."""
    d = as_derivation(logistic_regression.logistic_regression_grad_theta)
    theta = 0.1 * rng.standard_normal(LOGREG_N, dtype=dtype)
    X = rng.standard_normal((LOGREG_M, LOGREG_N), dtype=dtype)
    y = rng.integers(0, 2, LOGREG_M).astype(np.int32)
    autodiff = {m: _transform(d, m) for m in METHODS}
    return Case(d, f"m × n = {LOGREG_M:,} × {LOGREG_N:,}", (theta, X, y), autodiff)


CASES: tuple[Callable[[np.random.Generator, str], Case], ...] = (
    bce_case,
    softmax_case,
    softmax_cross_entropy_case,
    logistic_regression_case,
)


def _jacfwd_estimate(inputs: tuple[Array, ...], closed: jax.Array) -> dict[str, Any]:
    """Time JVPs of E(z) along the first few one-hot basis directions of z (vmapped,
    as ``jax.jacfwd`` does) and extrapolate to all m·k of them."""
    z, y = inputs
    d = as_derivation(softmax_regression.softmax_cross_entropy_grad_logits)
    directions = jnp.zeros((JVP_DIRECTIONS, z.size), z.dtype)
    directions = directions.at[jnp.arange(JVP_DIRECTIONS), jnp.arange(JVP_DIRECTIONS)]
    directions = directions.set(1).reshape(JVP_DIRECTIONS, *z.shape)

    def jvps(z: jax.Array, y: jax.Array, directions: jax.Array) -> jax.Array:
        def one(t: jax.Array) -> jax.Array:
            return jax.jvp(lambda z: d.of(z, y), (z,), (t,))[1]

        return jax.vmap(one)(directions)

    timing, out = time_jitted(jvps, (z, y, directions))
    expected = closed.reshape(-1)[:JVP_DIRECTIONS]
    check = agreement(out, expected, str(z.dtype))
    per_jvp_ms = timing.median_ms / JVP_DIRECTIONS
    return {
        "timing": timing,
        "per_jvp_ms": per_jvp_ms,
        "total_ms": per_jvp_ms * z.size,
        "agreement": check,
    }


# --- Running -------------------------------------------------------------------------


def _out_of_memory(error: Exception) -> bool:
    return isinstance(error, MemoryError) or "RESOURCE_EXHAUSTED" in str(error)


def measure(case: Case, device: jax.Device, dtype: str) -> dict[str, Any]:
    """Time the closed form and each autodiff program; compare their outputs."""
    d = case.derivation
    args = jax.block_until_ready(tuple(jax.device_put(x, device) for x in case.inputs))
    closed_timing, closed = time_jitted(d.closed_form, args)
    row: dict[str, Any] = {
        "name": d.name,
        "sizes": case.sizes,
        "closed_ms": closed_timing.median_ms,
        "bytes": sum(x.nbytes for x in args) + closed.nbytes,
        "first_call_s": {"closed": closed_timing.first_call_s},
        "runs": {"closed": closed_timing.runs},
        "agreement": {},
        "not_run": list(case.not_run),
        "notes": [*case.not_applicable.values(), *case.not_run.values()],
    }
    for method in METHODS:
        row[f"{method}_ms"] = None
        fn = case.autodiff.get(method)
        if fn is None:
            continue
        try:
            timing, out = time_jitted(fn, args)
        except Exception as error:  # report a program that does not fit, not hide it
            if not _out_of_memory(error):
                raise
            row["notes"].append(f"{LABELS[method]}: not run: out of memory ({error})")
            row["not_run"].append(method)
            continue
        row[f"{method}_ms"] = timing.median_ms
        row["first_call_s"][method] = timing.first_call_s
        row["runs"][method] = timing.runs
        row["agreement"][method] = agreement(out, closed, dtype)
        del out
        gc.collect()
    if case.estimate is not None:
        estimate = case.estimate(args, closed)
        row["jacfwd_estimate_ms"] = estimate["total_ms"]
        row["agreement"]["jacfwd (sampled JVPs)"] = estimate["agreement"]
        row["first_call_s"]["jacfwd (sampled JVPs)"] = estimate["timing"].first_call_s
        row["runs"]["jacfwd (sampled JVPs)"] = estimate["timing"].runs
        row["notes"].append(
            f"jax.jacfwd estimate: {JVP_DIRECTIONS} basis JVPs timed at "
            f"{_ms(estimate['per_jvp_ms'])} ms each; × {args[0].size:,} = "
            f"{_duration(estimate['total_ms'] / 1e3)} (an extrapolation, not a "
            f"measurement)"
        )
    row["speedups"] = {
        m: row[f"{m}_ms"] / row["closed_ms"] for m in METHODS if row[f"{m}_ms"]
    }
    row["agrees"] = all(a.agrees for a in row["agreement"].values())
    for method, check in row["agreement"].items():
        if not check.agrees:
            row["notes"].append(
                f"{method} disagrees with the closed form: {check.off:,} of "
                f"{check.total:,} entries off, worst |Δ| = {check.worst:.3g}× tolerance"
            )
    del args, closed
    return row


def run(device: jax.Device | None = None, dtype: str = "float32") -> list[dict]:
    """One row per derivation, measured one at a time on ``device``."""
    if dtype not in RTOL:
        raise ValueError(f"dtype must be one of {', '.join(RTOL)}, got {dtype!r}")
    device = device or jax.devices()[0]
    rows = []
    for make_case in CASES:
        case = make_case(np.random.default_rng(SEED), dtype)
        rows.append(measure(case, device, dtype))
        del case
        gc.collect()
    return rows


# --- Reporting -----------------------------------------------------------------------


def _ms(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms >= 100:
        return f"{ms:,.0f}"
    if ms >= 1:
        return f"{ms:.1f}"
    return f"{ms:.3f}"


def _bytes(n: float) -> str:
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.0f} {unit}"
    return f"{n:,.0f} bytes"


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600)):
        if seconds >= size:
            return f"≈ {seconds / size:,.1f} {unit}"
    return f"≈ {seconds:,.1f} s"


def _cell(row: dict, method: str) -> str:
    """Milliseconds; "not run" (with an extrapolation if any); "—" if not applicable."""
    if row[f"{method}_ms"] is not None or method not in row["not_run"]:
        return _ms(row[f"{method}_ms"])
    estimate = row.get(f"{method}_estimate_ms")
    if estimate is not None:
        return f"not run (extrapolated {_duration(estimate / 1e3)})"
    return "not run"


def _best(row: dict) -> str:
    if not row["speedups"]:
        return "—"
    method = min(row["speedups"], key=row["speedups"].get)
    return f"{row['speedups'][method]:.2f}× ({LABELS[method]})"


def _agrees(row: dict) -> str:
    if row["agrees"]:
        return "yes"
    return "no: " + ", ".join(m for m, a in row["agreement"].items() if not a.agrees)


def markdown(rows: list[dict]) -> str:
    """The timing table, then first-call times and notes."""
    lines = [
        "| derivation | sizes | closed form (ms) | jax.grad (ms) | jax.jacfwd (ms) "
        "| jax.jacrev (ms) | best autodiff / closed form | agrees |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            f"`{row['name']}`",
            row["sizes"],
            _ms(row["closed_ms"]),
            _cell(row, "grad"),
            _cell(row, "jacfwd"),
            _cell(row, "jacrev"),
            _best(row),
            _agrees(row),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Compilation plus first call (s), and the number of timed calls:",
        "",
        "| derivation | program | first call (s) | timed calls |",
        "|---|---|---|---|",
    ]
    for row in rows:
        for program, seconds in row["first_call_s"].items():
            label = LABELS.get(program, program)
            runs = row["runs"][program]
            lines.append(f"| `{row['name']}` | {label} | {seconds:.2f} | {runs} |")
    notes = [f"- `{row['name']}`: {note}" for row in rows for note in row["notes"]]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--dtype", default="float32", choices=tuple(RTOL))
    args = parser.parse_args(argv)
    device = jax.local_devices(backend=args.device)[0]
    start = time.perf_counter()
    rows = run(device, args.dtype)
    wall_s = time.perf_counter() - start
    print(markdown(rows))
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"\n{device} ({platform.machine()}), {args.dtype}, jax {jax.__version__}: "
        f"{wall_s:.0f} s in all, peak RSS {peak_gib:.1f} GiB"
    )


if __name__ == "__main__":
    main()
