"""checks._src.judge.evidence: what a failure lacks of the evidence a documented error
must be found with (a counterexample per failing case; for a derivation, its simplest
failing input and a reproduction script)."""

import dataclasses

import checks
from checks._src.judge.evidence import missing_evidence
from checks._src.report.result import CaseResult
from tests.examples import bce_grad_beta_sign_flipped


def test_a_real_failure_shows_everything_and_each_gap_is_named():
    result = checks.verify(bce_grad_beta_sign_flipped, samples=50, dtypes=["float64"])
    assert result.outcome == "fail"
    assert missing_evidence(result) == []
    bare = dataclasses.replace(result, shrunk=None, repro="", repro_note="too big")
    assert missing_evidence(bare) == [
        "a simplest failing input",
        "a reproduction script (too big)",
    ]
    case = dataclasses.replace(result.cases[0], counterexample=None)
    assert missing_evidence(dataclasses.replace(result, cases=[case])) == [
        "a counterexample in 1 failing case(s) (float64 cpu)"
    ]
    claim = dataclasses.replace(result, kind="claim", shrunk=None, repro="")
    assert missing_evidence(claim) == []  # a claim has no input to shrink


def test_an_error_alone_is_no_failure_found():
    case = CaseResult("float64", "cpu", {}, 10, "error", message="boom")
    result = checks._src.report.result.DerivationResult("x", "", "fail", cases=[case])
    assert "a failing case" in missing_evidence(result)
