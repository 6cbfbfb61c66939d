"""Results: what a check found, as plain data (the JSON report is ``to_dict``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CaseResult", "Counterexample", "DerivationResult", "Report", "summarize"]

# "skipped": the check could not run here (a package its code needs is not
# installed); it meets its expectation but is never counted as a pass.
CASE_STATUSES = ("pass", "fail", "error", "skipped")
STATUSES = ("pass", "fail", "error", "xfail", "xpass", "skipped")


@dataclass
class Counterexample:
    """The worst input found: where the closed form is furthest outside tolerance."""

    inputs: dict[str, Any]  # parameter -> nested list
    closed_form: Any  # nested list (NaN and ±inf as null)
    reference: Any
    element: list[int]  # index of the worst element within the derivative
    region: dict[str, str]  # parameter -> stratum it was sampled from

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": {p: _json_nested(v) for p, v in self.inputs.items()},
            "closed_form": _json_nested(self.closed_form),
            "reference": _json_nested(self.reference),
            "element": self.element,
            "region": self.region,
        }


@dataclass
class CaseResult:
    """One (sizes, dtype, device) combination of one derivation."""

    dtype: str
    device: str
    dims: dict[str, int]
    samples: int
    status: str
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    tolerance: float = 0.0
    ratio: float = 0.0  # worst error / tolerance; > 1 fails
    worst_error: float = 0.0  # |C − R| at the element where the ratio is worst
    message: str = ""
    counterexample: Counterexample | None = None
    checked: int = 0  # points that took part
    seconds: float = 0.0
    max_ulp_error: float = 0.0  # in units in the last place of the case's dtype
    stability: str = "not-checked"  # "stable" | "unstable" | "not-checked"
    stability_ratio: float = 0.0  # worst error / stability allowance; > 1 unstable
    stability_message: str = ""
    stability_counterexample: Counterexample | None = None
    engine: str = ""  # "numpy" | "xla": which evaluated the check ("" not run)
    engine_fallback: str = ""  # why NumPy's evaluation failed and XLA ran instead

    def to_dict(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "device": self.device,
            "dims": dict(self.dims),
            "samples": self.samples,
            "checked": self.checked,
            "status": self.status,
            "max_abs_error": _json_float(self.max_abs_error),
            "max_rel_error": _json_float(self.max_rel_error),
            "max_ulp_error": _json_float(self.max_ulp_error),
            "tolerance": _json_float(self.tolerance),
            "worst_error": _json_float(self.worst_error),
            "error_over_tolerance": _json_float(self.ratio),
            "message": self.message,
            "counterexample": (
                self.counterexample.to_dict() if self.counterexample else None
            ),
            "stability": self.stability,
            "stability_ratio": _json_float(self.stability_ratio),
            "stability_message": self.stability_message,
            "stability_counterexample": (
                self.stability_counterexample.to_dict()
                if self.stability_counterexample
                else None
            ),
            "seconds": round(self.seconds, 4),
            "engine": self.engine,
            "engine_fallback": self.engine_fallback,
        }


@dataclass
class DerivationResult:
    """All cases of one derivation, and its verdict against its expectation."""

    name: str
    source: str
    expect: str
    why: str = ""
    cases: list[CaseResult] = field(default_factory=list)
    kind: str = "derivation"  # or "claim", "rule"
    message: str = ""  # an error that stopped every case (a declaration problem)
    shrunk: Counterexample | None = None  # the simplest failing input found
    shrunk_dims: dict[str, int] = field(default_factory=dict)
    non_differentiable: str = ""  # why the shrunk point is a kink, if it is
    repro: str = ""  # plain-JAX code reproducing the failure
    repro_note: str = ""  # why there is no such code, when there is none
    output: str = ""  # what its user code printed while it was checked
    mutants: Any = None  # a checks.mutate.MutationScore, with --mutants
    reused: bool = False  # read back from the result store (checks.store)
    # What is wrong with a failure, and the single edit repairing it, when found
    # (checks.diagnose: Diagnosis and Repair objects).
    diagnosis: list[Any] = field(default_factory=list)
    repair: Any = None

    @property
    def outcome(self) -> str:
        """pass, fail or error over all cases (error wins over fail); skipped
        when every case was skipped (skipped cases otherwise take no part)."""
        statuses = {c.status for c in self.cases}
        if self.message or "error" in statuses or not self.cases:
            return "error"
        if statuses == {"skipped"}:
            return "skipped"
        return "fail" if "fail" in statuses else "pass"

    @property
    def status(self) -> str:
        """The outcome read against ``expect`` (a known-wrong one that fails: xfail)."""
        outcome = self.outcome
        if outcome == "skipped":
            return "skipped"
        if self.expect == "fail" and outcome == "fail":
            return "xfail"
        if self.expect == "fail" and outcome == "pass":
            return "xpass"
        return outcome

    @property
    def ok(self) -> bool:
        """Met its expectation (a skipped check does not fail the run)."""
        return self.status in ("pass", "xfail", "skipped")

    @property
    def stability(self) -> str:
        """unstable if any case is, stable if any was checked, else not-checked."""
        values = {c.stability for c in self.cases}
        if "unstable" in values:
            return "unstable"
        return "stable" if "stable" in values else "not-checked"

    def worst_case(self) -> CaseResult | None:
        """The case that decides the verdict: first error, else worst ratio."""
        errors = [c for c in self.cases if c.status == "error"]
        if errors:
            return errors[0]
        failing = [c for c in self.cases if c.status == "fail"]
        deciding = [c for c in self.cases if c.dtype == "float64"]
        pool = failing or deciding or self.cases
        return max(pool, key=lambda c: c.ratio, default=None)

    def __str__(self) -> str:
        """The readable report (what ``assert_derivation`` raises with)."""
        from checks.report import render_result

        return render_result(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "expect": self.expect,
            "why": self.why,
            "status": self.status,
            "stability": self.stability,
            "message": self.message,
            "cases": [c.to_dict() for c in self.cases],
            "shrunk": (
                {**self.shrunk.to_dict(), "dims": self.shrunk_dims}
                if self.shrunk
                else None
            ),
            "non_differentiable": self.non_differentiable,
            "repro": self.repro,
            "repro_note": self.repro_note,
            "output": self.output,
            "reused": self.reused,
            **({"mutants": self.mutants.to_dict()} if self.mutants else {}),
            "diagnosis": [one.to_dict() for one in self.diagnosis],
            "repair": self.repair.to_dict() if self.repair else None,
        }


def summarize(results: list[DerivationResult]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for r in results:
        counts[r.status] += 1
    return counts


@dataclass
class Report:
    """A whole run: every derivation's result and where it ran."""

    results: list[DerivationResult]
    environment: dict[str, Any]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [r.to_dict() for r in self.results],
            "summary": summarize(self.results),
            "environment": self.environment,
        }


def _json_nested(value: Any) -> Any:
    """A nested list with NaN and ±inf as null (JSON has neither)."""
    if isinstance(value, list):
        return [_json_nested(v) for v in value]
    if isinstance(value, float):
        return _json_float(value)
    return value


def _json_float(x: float) -> float | None:
    """JSON has no NaN or infinity: those become null."""
    x = float(x)
    return x if x == x and abs(x) != float("inf") else None
