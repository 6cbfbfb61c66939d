"""What is wrong with a failing derivation (``checks._src.search.diagnose``): each kind
of diagnosis given where it holds and withheld where it does not, a one-edit repair
reported only when the edited closed form passes, and both in every report."""

import json
from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np
import pytest

from checks import assert_derivation, verify
from checks._src.declare import domain
from checks._src.declare.declare import as_derivation
from checks._src.report.report import render_json, render_result
from checks._src.report.result import Report
from checks._src.search.diagnose import diagnose, repair
from checks._src.search.diagnose_region import _simplest_between, threshold
from checks._src.search.mutate import mutants
from checks._src.store.stored import from_plain, to_plain
from tests.mistakes import EXPECTED, matches, measure, near_misses
from tests.mistakes import factor as factor_mistakes
from tests.mistakes import region as region_mistakes
from tests.test_cli import run

SAMPLES = 300


def _diagnosis(fn):
    d = as_derivation(fn)
    return diagnose(d, list(d.dims_cases()))


def test_the_corpus_is_diagnosed_and_never_wrongly():
    """At least 80 % of the corpus gets its expected diagnosis and none gets
    another one. (``python -m tests.mistakes`` prints the same figures.)"""
    out = measure(samples=SAMPLES)
    assert out.total >= 30
    assert not out.not_failing, out.not_failing
    assert out.wrong == [], out.wrong
    assert len(out.right) / out.total >= 0.8, (out.right, out.missed)
    assert out.repaired, "no entry of the corpus repaired by one edit"
    print(
        f"diagnosed {len(out.right)}/{out.total}, "
        f"repaired {len(out.repaired)}/{out.total}"
    )


def test_every_kind_is_in_the_corpus():
    kinds = {kind for kind, _ in EXPECTED.values()}
    assert kinds == {
        "factor",
        "layout",
        "structure",
        "term",
        "region",
        "substitution",
        "swapped",
        "other-wrt",
        "own-entry",
        "scaled",
        "scaled-axis",
        "part",
    }


@pytest.mark.parametrize("name", sorted(near_misses.WRONG_NOT))
def test_a_near_miss_does_not_get_the_kind_it_resembles(name):
    fn = getattr(near_misses, name)
    result = verify(fn, samples=SAMPLES, dtypes=["float64"])
    assert result.outcome == "fail"
    kinds = [one.kind for one in result.diagnosis]
    assert near_misses.WRONG_NOT[name] not in kinds, result.diagnosis


@pytest.mark.parametrize("name", near_misses.RIGHT)
def test_a_right_derivation_that_looks_wrong_passes_undiagnosed(name):
    fn = getattr(near_misses, name)
    result = verify(fn, samples=SAMPLES, repair=True)
    assert result.status == "pass"
    assert result.diagnosis == [] and result.repair is None
    assert _diagnosis(fn) == []


def test_factor_names_the_missing_size_and_the_sign():
    (one,) = _diagnosis(factor_mistakes.mse_grad_without_mean)
    assert one.kind == "factor" and one.details["name"] == "m"
    assert "a 1/m is missing" in one.message
    assert [s["factor"] for s in one.details["by_sizes"]] == [3.0, 5.0]
    (one,) = _diagnosis(factor_mistakes.logistic_grad_sign_flipped)
    assert one.details["factor"] == -1.0 and "sign is flipped" in one.message


def test_a_factor_changing_with_the_sizes_is_reported_per_size():
    (one,) = _diagnosis(factor_mistakes.variance_grad_bessel)
    assert one.details["factor"] is None
    by = {s["dims"]["k"]: s["factor"] for s in one.details["by_sizes"]}
    assert by == pytest.approx({3: 3 / 2, 6: 6 / 5}, rel=1e-12)


def test_region_names_the_threshold_both_ways():
    (one,) = _diagnosis(region_mistakes.huber_grad_without_clip)
    assert one.details["threshold"] == {"feature": "|x|", "op": ">", "at": 1.0}
    assert one.message == "the closed form is right except where |x| > 1"
    (one,) = _diagnosis(region_mistakes.leaky_relu_grad_without_slope)
    assert one.details["threshold"] == {"feature": "x", "op": "<", "at": 0.0}


def test_simplest_number_between():
    assert _simplest_between(0.999, 4.0) == 1.0
    assert _simplest_between(-1e-8, 1e-8) == 0.0
    assert _simplest_between(19.2, 20.7) == 20.0
    assert _simplest_between(3.14159, 3.1417) == 3.1416


def test_matches_requires_every_expected_field():
    assert matches({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}})
    assert not matches({"a": 1}, {"a": 2})
    assert not matches({"a": 1}, {"b": None})


# ---------------------------------------------------------------- repair


def _check(samples=SAMPLES):
    def check(edited):
        return verify(edited, samples=samples).outcome

    return check


def test_a_repair_is_a_diff_whose_edit_passes_the_full_check():
    d = as_derivation(factor_mistakes.logistic_grad_sign_flipped)
    found = repair(d, list(d.dims_cases()), _check(), seconds=60)
    assert found is not None
    assert found.diff.startswith("--- a/logistic_grad_sign_flipped\n+++ b/")
    removed = [x for x in found.diff.splitlines() if x.startswith("-    ")]
    added = [x for x in found.diff.splitlines() if x.startswith("+    ")]
    assert len(removed) == len(added) == 1
    # The edit the diff shows, checked again on its own: it passes.
    (edited,) = [
        m for m in mutants(d, inverses=True) if added[0][1:] in m.source.splitlines()
    ]
    result = verify(
        edited.closed_form,
        of=d.of,
        wrt=d.wrt,
        inputs=d.inputs,
        dims=d.dims,
        samples=SAMPLES,
    )
    assert result.status == "pass"


def test_no_repair_unless_the_full_check_passes():
    d = as_derivation(factor_mistakes.logistic_grad_sign_flipped)
    assert repair(d, list(d.dims_cases()), lambda edited: "fail", seconds=60) is None


def test_the_repair_search_stops_at_its_time():
    d = as_derivation(factor_mistakes.logistic_grad_sign_flipped)
    assert repair(d, list(d.dims_cases()), _check(), seconds=1e-9) is None


def test_no_one_edit_repair_of_a_missing_size():
    """1/m cannot be put back by one edit of the catalog: no repair, and the
    search says so by returning None rather than something that fails."""
    d = as_derivation(factor_mistakes.mse_grad_without_mean)
    assert repair(d, list(d.dims_cases()), _check(), seconds=60) is None


# ---------------------------------------------------------------- reports


def _wrong_plain(w, X, y):
    return 2 * X.T @ (X @ w - y)


def _mse(w, X, y):
    return jnp.mean((X @ w - y) ** 2)


DECLARATION = {
    "of": _mse,
    "wrt": "w",
    "inputs": {
        "w": domain.real(("n",)),
        "X": domain.real(("m", "n")),
        "y": domain.real(("m",)),
    },
    "dims": {"m": (3,), "n": (2,)},
}


def test_assert_derivation_says_what_is_wrong():
    with pytest.raises(AssertionError) as raised:
        assert_derivation(_wrong_plain, samples=SAMPLES, **DECLARATION)
    lines = str(raised.value).splitlines()
    assert lines[0].startswith("FAIL _wrong_plain")
    assert lines[1].startswith("  diagnosis: the closed form is 3 × the reference")


def test_the_table_and_json_carry_diagnosis_and_repair():
    fn = factor_mistakes.logistic_grad_sign_flipped
    result = verify(fn, samples=SAMPLES, repair=True, repair_time=60)
    text = render_result(result).splitlines()
    assert text[0].startswith("XFAIL logistic_grad_sign_flipped")
    assert text[2] == (
        "  diagnosis: the sign is flipped: the closed form is −1 × the reference"
    )
    assert any(line.startswith("  one-edit repair (") for line in text)
    data = json.loads(render_json(Report([result], {})))["results"][0]
    assert data["diagnosis"] == [
        {
            "kind": "factor",
            "message": result.diagnosis[0].message,
            "details": {"factor": -1.0, "name": "-1"},
        }
    ]
    assert set(data["repair"]) == {"diff", "edit"}
    # Kept by the result store as it was.
    again = from_plain(json.loads(json.dumps(to_plain(result))))
    assert again.to_dict() == result.to_dict()


def test_a_passing_result_has_no_diagnosis_in_json():
    result = verify(near_misses.huber_grad_as_clip, samples=SAMPLES)
    data = result.to_dict()
    assert data["diagnosis"] == [] and data["repair"] is None


def test_repair_options_are_checked():
    fn = near_misses.huber_grad_as_clip
    for bad in (0, -1.0, float("nan"), True, "5"):
        with pytest.raises(ValueError, match="repair_time must be"):
            verify(fn, samples=10, repair=True, repair_time=bad)
    with pytest.raises(ValueError, match="repair must be True or False"):
        verify(fn, samples=10, repair="yes")


def test_cli_repair(tmp_path):
    path = str(tmp_path / "wrong.py")
    with open(path, "w") as f:
        f.write(
            "from tests.mistakes.factor import logistic_grad_sign_flipped\n"
            "CATALOG = [logistic_grad_sign_flipped]\n"
        )
    code, out, err = run(path, "--samples", "300", "--no-cache", "--repair")
    assert code == 0, err
    assert "  diagnosis: the sign is flipped" in out
    assert "  one-edit repair (" in out
    code, out, err = run(path, "--repair-time", "-1", "--no-cache")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "repair_time must be" in err


def _square(x):
    return x**2


def _square_jacobian_negated(x):
    return -2 * jnp.diag(x)


def test_a_large_derivative_is_diagnosed_on_fewer_points_or_not_at_all():
    """k = 100: 10,000 elements, so 104 points (2²⁰ values per array); k = 300:
    fewer than 16 points would fit, and it is not diagnosed."""
    from checks._src.declare.declare import make_derivation
    from checks._src.search.diagnose_points import MAX_VALUES, _affordable

    d = make_derivation(
        _square_jacobian_negated,
        of=_square,
        wrt="x",
        inputs={"x": domain.real(("k",))},
        dims={"k": (100, 300)},
    )
    assert _affordable(d, [{"k": 100}, {"k": 300}], 256) == [
        ({"k": 100}, MAX_VALUES // 10_000)
    ]
    (one,) = diagnose(d, [{"k": 100}, {"k": 300}])
    assert one.kind == "factor" and one.details["name"] == "-1"
    assert diagnose(d, [{"k": 300}]) == []


# ------------------------------------------------------------ the region's threshold


def test_a_threshold_passes_over_a_feature_not_finite_or_not_at_every_size():
    """One rule for derivations and claims
    (``checks._src.search.diagnose_region.threshold``): a feature with an infinite
    value, or one not given at every group of points (a scalar at one size, an array at
    another), is passed over for the next."""
    x = np.array([[1.0, 0.5], [1.0, 0.5], [np.inf, 5.0], [np.inf, 5.0]])
    wrong = np.array([False, False, True, True])
    assert threshold("x", [x], wrong) == {"feature": "min|x|", "op": ">", "at": 1.0}
    scalar = np.array([[1.0], [6.0]])  # at one size x has one entry: x, |x|
    assert threshold("x", [scalar, x[:2]], wrong) is None  # no feature at both
    assert threshold("x", [x[:2], x[2:]], wrong) == {
        "feature": "min|x|",
        "op": ">",
        "at": 1.0,
    }


def test_a_claims_region_passes_over_a_feature_that_is_not_finite():
    """A claim's threshold is the derivations' one: the feature max|x|, infinite
    at the wrong points, is passed over and min|x| splits them."""
    from checks._src.search.diagnose_claims import _claim_region

    claim = SimpleNamespace(form="identity", inputs={"x": domain.real(("k",))})
    x = np.array([[1.0, 0.5], [1.0, 0.5], [np.inf, 5.0], [np.inf, 5.0]])
    a = np.array([[1.0], [1.0], [1.0], [1.0]])
    b = np.array([[1.0], [1.0], [2.0], [2.0]])
    tol = np.full((4, 1), 1e-9)
    every = np.ones(4, bool)
    case = ([x], [np.zeros(4, np.int32)], a, b, tol, every)
    found = _claim_region(claim, [case])
    assert found is not None and found.kind == "region"
    assert found.details["threshold"] == {"feature": "min|x|", "op": ">", "at": 1.0}


def _sizes_apart(x):
    return jnp.sum(x**2)


def _sizes_apart_grad_without_small(x):
    return jnp.where(jnp.abs(x) < 0.5, 0.0, 2 * x)


def test_a_region_at_sizes_with_other_features_is_diagnosed():
    """At k = 1 the input's features are x and |x|, at k = 3 max|x| and min|x|:
    none is at both sizes, so none splits the points (and the diagnosis goes on,
    to the strata)."""
    from checks._src.declare.declare import make_derivation

    d = make_derivation(
        _sizes_apart_grad_without_small,
        of=_sizes_apart,
        wrt="x",
        inputs={"x": domain.real(("k",))},
        dims={"k": (1, 3)},
    )
    found = diagnose(d, [{"k": 1}, {"k": 3}])
    assert all("threshold" not in one.details for one in found), found


# ---------------------------------------------------------------- the neighbours


def _recording(monkeypatch):
    """The derivations the neighbours' point evaluators are made for, by size."""
    from checks._src.search import diagnose_neighbour

    made = []
    real = diagnose_neighbour.point_evaluator

    def record(n, dims, *sides):
        made.append((n, tuple(sorted(dims.items()))))
        return real(n, dims, *sides)

    monkeypatch.setattr(diagnose_neighbour, "point_evaluator", record)
    return made


@pytest.mark.parametrize(
    "name",
    [
        "logistic_grad_label_dropped",
        "kl_grad_of_the_reverse_divergence",
        "squared_logit_grad_own_term",
    ],
)
def test_each_neighbour_is_made_once_and_without_the_closed_form(name, monkeypatch):
    """A neighbour's derivation and point evaluator are made once per size for
    the screen and the full pass (and every substituted value and masked entry),
    and the declared closed form is not evaluated for a neighbour's reference."""
    from tests.mistakes import neighbour

    made = _recording(monkeypatch)
    (one,) = _diagnosis(getattr(neighbour, name))
    kind, details = EXPECTED[name]
    assert one.kind == kind and matches(one.details, details)
    d = as_derivation(getattr(neighbour, name))
    assert made and all(n.closed_form is not d.closed_form for n, _ in made)
    meanings = [(n.name, n.wrt, n.of.__name__, dims) for n, dims in made]
    assert len(meanings) == len(set(meanings)), meanings


def test_a_neighbour_that_does_not_evaluate_is_passed_over(monkeypatch):
    """The neighbours with another function or wrt raise where they are made: the
    diagnosis passes over them and finds the own-entry one after them."""
    from checks._src.search import diagnose_neighbour
    from tests.mistakes import neighbour

    real = diagnose_neighbour.point_evaluator

    def failing(n, dims, *sides):
        if n.name.endswith("[neighbour]"):
            raise ValueError("does not trace at these shapes")
        return real(n, dims, *sides)

    monkeypatch.setattr(diagnose_neighbour, "point_evaluator", failing)
    (one,) = _diagnosis(neighbour.squared_logit_grad_own_term)
    assert one.kind == "own-entry"


def test_an_error_of_the_diagnosis_itself_is_raised(monkeypatch):
    """Only a neighbour that cannot be made or evaluated is passed over: an error
    in the diagnosis's own code is not taken for one."""
    from checks._src.search import diagnose_neighbour
    from tests.mistakes import neighbour

    def broken(batches, refs):
        raise KeyError("a bug")

    monkeypatch.setattr(diagnose_neighbour, "_changes", broken)
    with pytest.raises(KeyError, match="a bug"):
        _diagnosis(neighbour.kl_grad_of_the_reverse_divergence)


def test_a_screen_without_a_compared_point_is_passed_over():
    """The screen's first points may all be left out of the comparison: the
    neighbours read nothing there (and do not raise)."""
    from checks._src.search.diagnose_neighbour import _head, _part
    from checks._src.search.diagnose_points import _batch
    from checks._src.search.diagnose_scaled import scaled, scaled_axis
    from tests.mistakes import neighbour

    d = as_derivation(neighbour.softmax_jacobian_without_row_factor)
    (dims,) = list(d.dims_cases())[:1]
    b = _batch(d, dims, 0, 64)
    none = _head(b, 64)
    none.checked = np.zeros_like(none.checked)
    none.wrong = np.zeros_like(none.wrong)
    assert scaled(d, [none]) is None
    assert scaled_axis([none]) is None
    assert _part(d, [none]) is None
