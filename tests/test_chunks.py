"""Runs of many samples go chunk by chunk; sizes can be set for a run."""

import io

import pytest

import checks
from checks._src.evaluate import case_plan
from checks._src.run.cli import main
from checks._src.run.verify import OptionError
from examples import bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(case_plan, "MAX_CHUNK", 64)


def test_every_sample_of_every_chunk_is_checked(small_chunks):
    result = checks.verify(bce_grad_beta, samples=200)
    assert result.status == "pass"
    assert [c.checked for c in result.cases] == [200, 200]


def test_a_wrong_derivation_fails_across_chunks(small_chunks):
    result = checks.verify(bce_grad_beta_sign_flipped, samples=200)
    assert result.outcome == "fail"
    assert all("of 200 points" in c.message for c in result.cases)


def test_the_first_chunk_samples_the_points_of_a_one_chunk_run(small_chunks):
    one = checks.verify(bce_grad_beta_sign_flipped, samples=64, dtypes=["float64"])
    many = checks.verify(bce_grad_beta_sign_flipped, samples=640, dtypes=["float64"])
    assert many.cases[0].max_abs_error >= one.cases[0].max_abs_error
    assert many.cases[0].ratio >= one.cases[0].ratio


def test_the_worst_point_of_any_chunk_is_reported(small_chunks):
    """The worst ratio over chunks equals the worst over the same points seen as
    separate runs of one chunk each (each chunk's points are its stream's; a
    chunked run is compiled, so the one-chunk run is compiled too: NumPy's
    transcendental functions may draw the points a last bit apart)."""
    many = checks.verify(bce_grad_beta_sign_flipped, samples=128, dtypes=["float64"])
    first = checks.verify(
        bce_grad_beta_sign_flipped, samples=64, dtypes=["float64"], engine="xla"
    )
    assert many.cases[0].ratio >= first.cases[0].ratio
    assert many.cases[0].counterexample is not None


def test_chunk_size_keeps_a_large_case_within_its_budget():
    d = checks._src.declare.declare.as_derivation(softmax_jacobian)
    size = case_plan.chunk_size(d, {"k": 4096}, ["float64", "float32"], 1000)
    per_point = 8 * 4 * 4096 * 4096 * 2
    assert 1 <= size and size * per_point <= case_plan.CHUNK_BYTES + per_point
    assert case_plan.chunk_size(d, {"k": 3}, ["float64"], 1000) == 1000


def test_progress_shows_a_bar_for_a_chunked_run(small_chunks):
    seen = []
    checks.check_all(
        [bce_grad_beta], samples=256, progress=lambda i, n, text: seen.append(text)
    )
    bars = [t for t in seen if "points" in t]
    assert bars[-1].endswith("100% 256/256 points")
    assert "█" in bars[-1] and "·" in bars[0]


def test_sizes_replace_the_declared_ones():
    result = checks.verify(softmax_jacobian, samples=8, sizes={"k": 50})
    assert {c.dims["k"] for c in result.cases} == {50}
    assert result.status == "pass"


def test_an_unknown_size_is_an_option_error():
    with pytest.raises(OptionError, match="no entry has a size"):
        checks.verify(softmax_jacobian, sizes={"q": 3})


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--sizes", "k"], "NAME=N"),
        (["--sizes", "q=3"], "no entry has a size named 'q'"),
        (["--sizes", "k=0"], "positive integer"),
    ],
)
def test_bad_sizes_exit_2_with_one_line(argv, needle):
    out, err = io.StringIO(), io.StringIO()
    code = main(["--only", "softmax_jacobian", *argv], out, err)
    assert code == 2 and needle in err.getvalue()
    assert err.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    "fn", [bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian]
)
def test_judging_on_the_device_and_on_the_host_agree(monkeypatch, fn):
    dtypes = ["float64", "float32"]
    host = checks.verify(fn, samples=300, dtypes=dtypes, engine="xla")
    monkeypatch.setattr(case_plan, "DEVICE_JUDGE_POINTS", 1)
    device = checks.verify(fn, samples=300, dtypes=dtypes, engine="xla")
    for h, d in zip(host.cases, device.cases):
        assert (h.status, h.checked, h.stability) == (d.status, d.checked, d.stability)
        assert (h.counterexample is None) == (d.counterexample is None)
        if h.counterexample:  # a wrong formula: the same worst point, same error
            assert h.counterexample.inputs == d.counterexample.inputs
            assert h.ratio == pytest.approx(d.ratio, rel=1e-6)
        else:  # rounding-level errors: the two programs may round an ulp apart
            assert h.ratio <= 1 and d.ratio <= 1
