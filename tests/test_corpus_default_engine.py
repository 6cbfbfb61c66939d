"""The corpus modules checked under the default engine alone
(``tests.corpus.DEFAULT_ENGINE_ONLY``): every entry meets its expectation in float64
and float32, at its first sizes.

- no case is an error;
- a right entry passes, and is stable (no ``unstable`` in float32);
- a wrong entry fails in float64 and is reported ``xfail``.

``tests/test_corpus.py`` holds the other modules to the same expectations under
both engines and in bfloat16 too.
"""

import dataclasses
import functools

import pytest

import checks
from checks._src.report.report import render_result
from tests.corpus import DEFAULT_ENGINE_ONLY

SAMPLES = 50
DTYPES = ("float64", "float32")
ENTRIES = [d for module in DEFAULT_ENGINE_ONLY for d in checks.derivations_in(module)]


@functools.cache
def _report(module_name: str) -> dict:
    entries = [
        dataclasses.replace(d, dims={k: v[:1] for k, v in d.dims.items()})
        for d in ENTRIES
        if d.closed_form.__module__ == module_name
    ]
    report = checks.check_all(entries, samples=SAMPLES, seed=0, dtypes=DTYPES)
    return {r.name: r for r in report.results}


@pytest.mark.parametrize(
    "d",
    [
        pytest.param(
            d, id=d.name, marks=pytest.mark.xdist_group(d.closed_form.__module__)
        )
        for d in ENTRIES
    ],
)
def test_entry_meets_its_expectation_under_the_default_engine(d):
    result = _report(d.closed_form.__module__)[d.name]
    report = render_result(result, verbose=True)
    assert not result.message, report
    assert {c.dtype for c in result.cases} == set(DTYPES), report
    assert all(c.status != "error" for c in result.cases), report
    if d.expect == "pass":
        assert result.status == "pass", report
        assert all(c.stability != "unstable" for c in result.cases), report
    else:
        assert any(c.status == "fail" and c.dtype == "float64" for c in result.cases)
        assert result.ok and result.status == "xfail", report


def test_the_modules_hold_right_and_wrong_entries_with_their_reasons():
    names = [d.name for d in ENTRIES]
    assert len(names) == len(set(names))
    for module in DEFAULT_ENGINE_ONLY:
        mine = checks.derivations_in(module)
        assert any(d.expect == "pass" for d in mine), module.__name__
        assert any(d.expect == "fail" for d in mine), module.__name__
    for d in ENTRIES:
        assert d.closed_form.__doc__, d.name
        if d.expect == "fail":
            assert d.why, d.name
