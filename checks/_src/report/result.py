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
    """The worst input found: where the closed form is furthest outside tolerance.

    Attributes:
        inputs: each parameter → its value, a nested list.
        closed_form: the closed form's value there (NaN and ±inf as None in
            ``to_dict``).
        reference: autodiff's value there.
        element: index of the worst element within the derivative.
        region: each parameter → the stratum of its domain it was sampled from.

    Examples:
        >>> from checks import Counterexample
        >>> x = Counterexample({"beta": 0.5}, 2.0, -2.0, [], {"beta": "interior"})
        >>> x.to_dict()["reference"]
        -2.0
    """

    inputs: dict[str, Any]  # parameter -> nested list
    closed_form: Any  # nested list (NaN and ±inf as null)
    reference: Any
    element: list[int]  # index of the worst element within the derivative
    region: dict[str, str]  # parameter -> stratum it was sampled from

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's form of the counterexample.

        Returns:
            Plain data: NaN and ±inf as None, JSON has neither.

        Examples:
            >>> from checks import Counterexample
            >>> nan = float("nan")
            >>> Counterexample({"x": [nan]}, [1.0], [1.0], [0], {}).to_dict()["inputs"]
            {'x': [None]}
        """
        return {
            "inputs": {p: _json_nested(v) for p, v in self.inputs.items()},
            "closed_form": _json_nested(self.closed_form),
            "reference": _json_nested(self.reference),
            "element": self.element,
            "region": self.region,
        }


@dataclass
class CaseResult:
    """One (sizes, dtype, device) combination of one derivation.

    Attributes:
        dtype, device, dims: what was checked: ``"float64"``, ``"cpu"``,
            ``{"k": 3}``.
        samples: points sampled; ``checked``: points that took part.
        status: ``"pass"``, ``"fail"``, ``"error"`` or ``"skipped"``.
        ratio: the worst error over its tolerance; above 1 fails.
        max_abs_error, max_rel_error, max_ulp_error, worst_error, tolerance:
            the errors found and the tolerance at the worst point.
        counterexample: the worst input (a ``Counterexample``), or None.
        stability, stability_ratio: ``"stable"``, ``"unstable"`` or
            ``"not-checked"``, and the worst error over its allowance.
        engine: ``"numpy"`` or ``"xla"``, whichever evaluated the case.

    Examples:
        >>> from checks import CaseResult
        >>> c = CaseResult("float64", "cpu", {}, 1000, "pass", ratio=0.25)
        >>> c.to_dict()["error_over_tolerance"]
        0.25
    """

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
        """The JSON report's entry for this case.

        Returns:
            Plain data: NaN and ±inf as None.

        Examples:
            >>> from checks import CaseResult
            >>> CaseResult("float32", "cpu", {"k": 3}, 10, "pass").to_dict()["dims"]
            {'k': 3}
        """
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
    """All cases of one derivation, and its verdict against its expectation.

    Returned by ``checks.verify``; ``str(result)`` is the readable report.

    Attributes:
        name, source, kind: the entry (``kind``: ``"derivation"``, ``"claim"``
            or ``"rule"``).
        expect, why: ``"pass"`` or ``"fail"`` (a known-wrong entry), and why.
        cases: a ``CaseResult`` per sizes, dtype and device.
        message: an error that stopped every case (a declaration problem).
        shrunk: the simplest failing input found (a ``Counterexample``).
        diagnosis, repair: what is wrong with a failure, and the single edit
            that repairs it, when found.
        repro: plain-JAX code reproducing a failure.

    Examples:
        >>> from checks import CaseResult, DerivationResult
        >>> case = CaseResult("float64", "cpu", {}, 1000, "fail", ratio=40.0)
        >>> r = DerivationResult("f_grad", "", expect="fail", cases=[case])
        >>> r.outcome, r.status, r.ok
        ('fail', 'xfail', True)
    """

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
    mutants: Any = None  # a checks._src.search.mutate.MutationScore, with --mutants
    reused: bool = False  # read back from the result store (checks._src.store.store)
    # What is wrong with a failure, and the single edit repairing it, when found
    # (checks._src.search.diagnose: Diagnosis and Repair objects).
    diagnosis: list[Any] = field(default_factory=list)
    repair: Any = None

    @property
    def outcome(self) -> str:
        """pass, fail or error over all cases (error wins over fail); skipped
        when every case was skipped (skipped cases otherwise take no part).

        Examples:
            >>> from checks import CaseResult, DerivationResult
            >>> statuses = ("pass", "fail")
            >>> cases = [CaseResult("float64", "cpu", {}, 10, s) for s in statuses]
            >>> DerivationResult("f_grad", "", "pass", cases=cases).outcome
            'fail'
        """
        statuses = {c.status for c in self.cases}
        if self.message or "error" in statuses or not self.cases:
            return "error"
        if statuses == {"skipped"}:
            return "skipped"
        return "fail" if "fail" in statuses else "pass"

    @property
    def status(self) -> str:
        """The outcome read against ``expect``: pass, fail, error, skipped, or
        for a known-wrong entry xfail (it fails) and xpass (it passes).

        Examples:
            >>> from checks import CaseResult, DerivationResult
            >>> cases = [CaseResult("float64", "cpu", {}, 10, "pass")]
            >>> DerivationResult("f_grad", "", "fail", cases=cases).status
            'xpass'
        """
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
        """Met its expectation (a skipped check does not fail the run).

        Examples:
            >>> from checks import CaseResult, DerivationResult
            >>> cases = [CaseResult("float64", "cpu", {}, 10, "error")]
            >>> DerivationResult("f_grad", "", "pass", cases=cases).ok
            False
        """
        return self.status in ("pass", "xfail", "skipped")

    @property
    def stability(self) -> str:
        """unstable if any case is, stable if any was checked, else not-checked.

        Examples:
            >>> from checks import CaseResult, DerivationResult
            >>> c = CaseResult("float64", "cpu", {}, 10, "pass", stability="stable")
            >>> DerivationResult("f_grad", "", "pass", cases=[c]).stability
            'stable'
        """
        values = {c.stability for c in self.cases}
        if "unstable" in values:
            return "unstable"
        return "stable" if "stable" in values else "not-checked"

    def worst_case(self) -> CaseResult | None:
        """The case that decides the verdict: the first error, else the failing
        case of worst ratio, else the float64 case of worst ratio.

        Returns:
            That case, or None when there is none.

        Examples:
            >>> from checks import CaseResult, DerivationResult
            >>> a = CaseResult("float64", "cpu", {}, 10, "fail", ratio=3.0)
            >>> b = CaseResult("float32", "cpu", {}, 10, "fail", ratio=9.0)
            >>> DerivationResult("f_grad", "", "pass", cases=[a, b]).worst_case().dtype
            'float32'
        """
        errors = [c for c in self.cases if c.status == "error"]
        if errors:
            return errors[0]
        failing = [c for c in self.cases if c.status == "fail"]
        deciding = [c for c in self.cases if c.dtype == "float64"]
        pool = failing or deciding or self.cases
        return max(pool, key=lambda c: c.ratio, default=None)

    def __str__(self) -> str:
        """The readable report (what ``assert_derivation`` raises with)."""
        from checks._src.report.report import render_result

        return render_result(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's entry for this derivation.

        Returns:
            Plain data (what ``check-derivations --format json`` prints).

        Examples:
            >>> from checks import DerivationResult
            >>> d = DerivationResult("f_grad", "", "pass").to_dict()
            >>> d["status"], d["cases"]
            ('error', [])
        """
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
    """A whole run: every derivation's result and where it ran.

    Returned by ``checks.check_all``.

    Attributes:
        results: a ``DerivationResult`` per entry, in order.
        environment: the machine, versions, seed and devices.

    Examples:
        >>> from checks import CaseResult, DerivationResult, Report
        >>> case = CaseResult("float64", "cpu", {}, 10, "pass")
        >>> report = Report([DerivationResult("f_grad", "", "pass", cases=[case])], {})
        >>> report.ok, report.to_dict()["summary"]["pass"]
        (True, 1)
    """

    results: list[DerivationResult]
    environment: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Every entry met its expectation (the command line exits 0).

        Examples:
            >>> from checks import Report
            >>> Report([], {}).ok
            True
        """
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: results, a count per status, the environment.

        Returns:
            Plain data (what ``check-derivations --format json`` prints).

        Examples:
            >>> from checks import Report
            >>> sorted(Report([], {}).to_dict())
            ['environment', 'results', 'summary']
        """
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
