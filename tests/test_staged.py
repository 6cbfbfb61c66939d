"""A point too large for one program is checked in stages, with the same verdict."""

import dataclasses

import jax
import pytest

import checks
from checks._src.declare.declare import as_derivation
from checks._src.evaluate import case, case_plan
from derivations.softmax_regression import softmax_cross_entropy_grad_logits
from examples import bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian

FIELDS = ("status", "checked", "ratio", "worst_error", "max_abs_error", "stability")


def _summary(result):
    return [tuple(getattr(c, f) for f in FIELDS) for c in result.cases]


def _same(a, b):
    """Equal verdicts and counts; equal errors up to summation order."""
    for x, y in zip(_summary(a), _summary(b), strict=True):
        for u, v in zip(x, y):
            assert u == (v if isinstance(v, str) else pytest.approx(v, rel=1e-12))


def _staged(monkeypatch):
    """Every case staged; the one-program runs they are compared with are
    compiled too (``engine="xla"``), so both draw the same points to the bit."""
    monkeypatch.setattr(case_plan, "STAGE_BYTES", 0)


@pytest.mark.parametrize("closed_form", [bce_grad_beta, softmax_jacobian])
def test_stages_give_the_verdict_and_worst_error_of_one_program(
    monkeypatch, closed_form
):
    whole = checks.verify(closed_form, samples=200, engine="xla")
    _staged(monkeypatch)
    staged = checks.verify(closed_form, samples=200)
    _same(staged, whole)
    assert whole.status == staged.status == "pass"


def test_a_wrong_derivation_fails_through_the_stages(monkeypatch):
    whole = checks.verify(bce_grad_beta_sign_flipped, samples=200, engine="xla")
    _staged(monkeypatch)
    staged = checks.verify(bce_grad_beta_sign_flipped, samples=200)
    assert staged.outcome == "fail"
    assert [c.message for c in staged.cases] == [c.message for c in whole.cases]
    for got, want in zip(staged.cases, whole.cases):
        assert dataclasses.asdict(got.counterexample) == dataclasses.asdict(
            want.counterexample
        )


def test_stages_go_chunk_by_chunk(monkeypatch):
    monkeypatch.setattr(case_plan, "MAX_CHUNK", 64)
    whole = checks.verify(bce_grad_beta_sign_flipped, samples=200, engine="xla")
    _staged(monkeypatch)
    staged = checks.verify(bce_grad_beta_sign_flipped, samples=200)
    assert staged.outcome == "fail"
    _same(staged, whole)


def test_only_a_point_larger_than_a_chunk_is_staged():
    d = as_derivation(softmax_cross_entropy_grad_logits)
    cpu = jax.devices("cpu")[0]
    large = case_plan._plan(d, {"m": 4096, "k": 32000}, ["float64"], cpu, 1, 1)
    small = case_plan._plan(d, {"m": 3, "k": 4}, ["float64", "float32"], cpu, 1000, 1)
    assert large.staged and large.on_device and large.chunk == 1
    assert not small.staged
    huge = dataclasses.replace(d, dims={"m": (4096,), "k": (32000,)})
    assert case.ahead_jobs(huge, ["float64"], cpu, 1, 0) == []
