"""A case's summary: its counts, worst point, stability and message, from
what each chunk of its points leaves (``checks._src.evaluate.case`` runs the chunks).

A chunk's comparison (``checks._src.judge.compare``) is tallied as it comes — points
checked and failing, points left out and why, the largest errors — and only the few
points that may be the worst are kept (``Tally``). ``summarize`` then states the verdict
at the worst point, by ``checks._src.judge.compare.verdict``, with the inputs and both
values there, and, in a dtype below float64, how stable the closed form is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
from jax.typing import ArrayLike

from checks._src.declare.declare import Derivation
from checks._src.declare.forms import part_element
from checks._src.judge import compare
from checks._src.judge.case_judge import Judged, Values
from checks._src.judge.compare import Comparison
from checks._src.report.result import CaseResult, Counterexample

__all__ = ["Tally", "nested", "summarize"]


def nested(x: ArrayLike) -> list | float | int | bool | None:
    """A nested list with NaN as None (JSON has no NaN; ±inf stay floats until
    the JSON report writes them as null too)."""
    a = np.asarray(x)
    if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
        a = a.astype(np.float64)
        obj = a.astype(object)
        obj[np.isnan(a)] = None
        return obj.tolist()
    return a.tolist()


@dataclass
class Tally:
    """What a case's summary needs from every chunk: counts, maxima, and the few
    points that may be the worst (the rest of each chunk is dropped)."""

    checked: int = 0
    failing: int = 0
    considered: int = 0
    unstable: int = 0
    unstable_nan: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    max_abs: float = 0.0
    max_rel: float = 0.0
    max_ulp: float = 0.0
    points: list[tuple[Values, Comparison]] = field(default_factory=list)

    def add(self, chunk: Judged, count: int) -> None:
        """Count the first ``count`` points of a chunk's output and keep its
        picked points."""
        cmp = Comparison(*(None if v is None else v[:count] for v in chunk["cmp"]))
        checked = cmp.checked
        self.checked += int(checked.sum())
        self.failing += int(np.sum(checked & compare.outside(cmp.ratio)))
        for name in ("reference_not_finite", "out_of_range", "dtype_limit"):
            self.skipped[name] = self.skipped.get(name, 0) + int(
                np.sum(getattr(cmp, name))
            )
        self.skipped["unbounded"] = self.skipped.get("unbounded", 0) + int(
            np.sum(cmp.unbounded)
        )
        useful = [bool(checked.any())]
        if checked.any():
            self.max_abs = max(self.max_abs, float(np.max(cmp.abs_error[checked])))
            self.max_rel = max(self.max_rel, float(np.max(cmp.rel_error[checked])))
            self.max_ulp = max(self.max_ulp, float(np.max(cmp.ulp_error[checked])))
        if cmp.stability_checked is not None:
            considered = cmp.stability_checked
            self.considered += int(considered.sum())
            self.unstable += int(
                np.sum(considered & compare.outside(cmp.stability_ratio))
            )
            self.unstable_nan += int(np.sum(considered & np.isinf(cmp.stability_ratio)))
            useful.append(bool(considered.any()))
        rows = np.flatnonzero(useful)
        if rows.size:
            index = np.asarray(chunk["index"])[rows]
            points = jax.tree.map(lambda x: _rows(np.asarray(x), rows), chunk["points"])
            picked = Comparison(*(None if v is None else v[index] for v in cmp))
            self.points.append((points, picked))

    def candidates(self) -> tuple[Values, Comparison] | None:
        """The kept points of every chunk, as one batch (a single chunk's own
        arrays: a point of a large case can be gigabytes)."""
        if not self.points:
            return None
        if len(self.points) == 1:  # one chunk: its arrays as they are, not copied
            return self.points[0]
        os_, cmps = zip(*self.points)
        o = {
            key: (
                None
                if os_[0][key] is None
                else [np.concatenate(parts) for parts in zip(*(x[key] for x in os_))]
                if isinstance(os_[0][key], list)
                else np.concatenate([x[key] for x in os_])
            )
            for key in os_[0]
        }
        cmp = Comparison(
            *(
                None if parts[0] is None else np.concatenate(parts)
                for parts in zip(*cmps)
            )
        )
        return o, cmp


def _rows(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``x[rows]``, without a copy when that is every row in order (a point of a
    large case can be gigabytes)."""
    if np.array_equal(rows, np.arange(len(x))):
        return x
    return x[rows]


def _counterexample(
    d: Derivation, o: Values, i: int, flat: int
) -> tuple[Counterexample, str]:
    """The inputs and values at point ``i``, and '[j, k]' naming element ``flat``."""
    params = list(d.inputs)
    ref_shape = np.shape(o["r"][i])
    element = [int(e) for e in np.unravel_index(flat, ref_shape)] if ref_shape else []
    counterexample = Counterexample(
        inputs={p: nested(x[i]) for p, x in zip(params, o["xs"])},
        closed_form=nested(o["c"][i]),
        reference=nested(o["r"][i]),
        element=element,
        region={p: d.inputs[p].strata[int(s[i])] for p, s in zip(params, o["strata"])},
    )
    if d.parts:  # several entries concatenated (checks._src.declare.forms)
        return counterexample, part_element(d.parts, flat)
    return counterexample, (f"[{', '.join(map(str, element))}]" if element else "")


def _value(x: ArrayLike, flat: int) -> float:
    return float(np.asarray(x, np.float64).reshape(-1)[flat])


def _region_note(ce: Counterexample) -> str:
    edges = ", ".join(f"{p}: {s}" for p, s in ce.region.items() if s != "bulk")
    return f" (sampled from {edges})" if edges else ""


def _stability(
    d: Derivation, dtype: str, tally: Tally, kept: tuple[Values, Comparison] | None
) -> tuple[str, float, str, Counterexample | None]:
    """(stability, ratio, message, counterexample) of a low-precision case."""
    if kept is None or kept[1].stability_ratio is None:
        return "not-checked", 0.0, "", None
    if tally.considered == 0:
        return "not-checked", 0.0, "no point to compare", None
    o, cmp = kept
    ratio = np.where(cmp.stability_checked, cmp.stability_ratio, -1.0)
    i = int(np.argmax(ratio))
    worst = float(ratio[i])
    if compare.verdict(worst) == "pass":
        return "stable", worst, f"within 8× autodiff's {dtype} error", None
    flat = int(cmp.stability_element[i])
    ce, at = _counterexample(d, o, i, flat)
    c_val, r_val = _value(o["c"][i], flat), _value(o["r"][i], flat)
    a_val = _value(o["same_dtype"][i], flat)
    message = (
        f"in {dtype} the closed form{at} gives {c_val:.9g} where autodiff in {dtype} "
        f"gives {a_val:.9g} (float64: {r_val:.9g}){_region_note(ce)}; "
        f"unstable at {tally.unstable} of {tally.considered} points"
    )
    return "unstable", worst, message, ce


def summarize(
    d: Derivation,
    dims: dict[str, int],
    dtype: str,
    platform: str,
    samples: int,
    tally: Tally,
) -> CaseResult:
    """The case's result from its ``tally``: pass or fail by the worst point's error
    over tolerance (``checks._src.judge.compare.verdict``), with that point's inputs and
    values when it fails; an error when no point could be checked; what was left out and
    why; and the stability of a dtype below float64."""
    base = {"dtype": dtype, "device": platform, "dims": dict(dims), "samples": samples}
    kept = tally.candidates()
    stable, stable_ratio, stable_message, stable_ce = _stability(d, dtype, tally, kept)
    base.update(
        stability=stable,
        stability_ratio=stable_ratio,
        stability_message=stable_message,
        stability_counterexample=stable_ce,
    )
    n_checked = tally.checked
    skip_note = _skip_note(tally, dtype, samples)
    if (n_checked == 0 or kept is None) and stable_ce is not None:
        # Not finite wherever autodiff in this dtype is: a failure, at that input.
        if tally.unstable_nan == tally.considered:
            return CaseResult(
                status="fail",
                ratio=float("inf"),
                worst_error=float("inf"),
                message=f"the closed form is not finite at any of the "
                f"{tally.considered} points where autodiff in {dtype} is ("
                + stable_message.split(";")[0]
                + ")",
                counterexample=stable_ce,
                **base,
            )
    if n_checked == 0 or kept is None:
        return CaseResult(
            status="error",
            message=f"no sampled point could be checked{skip_note}",
            **base,
        )
    return _at_worst(d, tally, kept, skip_note, base)


def _at_worst(
    d: Derivation,
    tally: Tally,
    kept: tuple[Values, Comparison],
    skip_note: str,
    base: dict[str, Any],
) -> CaseResult:
    """Pass or fail by the worst checked point's error over tolerance, with that
    point's inputs and values when it fails."""
    n_checked = tally.checked
    o, cmp = kept
    checked = cmp.checked
    i = int(np.argmax(np.where(checked, cmp.ratio, -1.0)))
    ratio = float(cmp.ratio[i])
    status = compare.verdict(ratio)
    flat = int(cmp.worst_element[i])
    c_val, r_val = _value(o["c"][i], flat), _value(o["r"][i], flat)
    tol = float(cmp.tolerance[i])
    counterexample = None
    if status == "fail":
        counterexample, at = _counterexample(d, o, i, flat)
        if bool(cmp.closed_not_finite[i]):
            message = f"closed form{at} is {c_val} where autodiff gives {r_val:.9g}"
        else:
            message = (
                f"closed form{at} = {c_val:.9g} but autodiff gives {r_val:.9g}: "
                f"|error| {abs(c_val - r_val):.3g} > tolerance {tol:.3g}"
            )
        message += f"{_region_note(counterexample)}; fails at {tally.failing} of "
        message += f"{n_checked} points"
    else:
        message = f"{n_checked} points within tolerance"
    return CaseResult(
        status=status,
        max_abs_error=tally.max_abs,
        max_rel_error=tally.max_rel,
        max_ulp_error=tally.max_ulp,
        tolerance=tol,
        ratio=ratio,
        worst_error=abs(c_val - r_val),
        message=message + skip_note,
        counterexample=counterexample,
        checked=n_checked,
        **base,
    )


def _skip_note(tally: Tally, dtype: str, samples: int) -> str:
    """'; N points left out (M at which …, …)', or '' when none was."""
    n_checked = tally.checked
    skipped = {
        "the reference is not finite": tally.skipped.get("reference_not_finite", 0),
        f"the reference is outside {dtype}'s range": tally.skipped.get(
            "out_of_range", 0
        ),
        f"autodiff in {dtype} is not finite either": tally.skipped.get(
            "dtype_limit", 0
        ),
        f"the closed form is not finite but autodiff in {dtype} is (unstable)": (
            tally.unstable_nan
        ),
        "the closed form's error bound is not finite": tally.skipped.get(
            "unbounded", 0
        ),
    }
    notes = [f"{v} at which {k}" for k, v in skipped.items() if v]
    skip_note = (
        f"; {samples - n_checked} points left out ({', '.join(notes)})" if notes else ""
    )
    return skip_note
