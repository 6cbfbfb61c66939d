"""Every corpus entry meets its expectation under both engines, in every dtype.

``tests/corpus`` holds derivations as users bring them (matrix calculus on
well-conditioned matrices, CS231n backward passes, loops, special functions), right
and wrong. One generic test runs each entry × engine ("auto": NumPy where it can,
"xla": every check compiled) × dtype (float64 alone, or float64 with float32 or
bfloat16, the low precision measuring stability) and asserts:

- no case is an error;
- a right entry passes (``unstable`` in low precision only where
  ``UNSTABLE_IN_LOW_PRECISION`` says why the closed form is);
- a wrong entry fails in float64 (``xfail``: it met its expectation).

``KNOWN_GAPS`` lists the combinations where the checker, as it stands, gives a wrong
verdict or an error; each is marked ``xfail(strict=True)`` with the symptom, so the
suite passes now and a case starts failing (XPASS, strict) as soon as its bug is
fixed: then delete its line. bfloat16 runs under the "auto" engine only, to keep
the run short.
"""

import pytest

import checks
import checks.report
from tests.corpus import CATALOG

SAMPLES = 100

# The symptoms, as the current checker shows them (the case's message, or the
# exception verify raises).
_LOWERING = "error: 'Cannot lower jaxpr with verifier errors' (float64 and low case)"
_BF16_LINALG = (
    "error: 'Unsupported dtype bfloat16' from a linalg primitive (LAPACK has no "
    "bfloat16), and the float64 case of the same run errors with it"
)
_FALSE_FAIL_INV = "false FAIL in float64: |error| ~1e-16 > tolerance ~1e-18 (inv/solve/slogdet)"

# (entry, engine, dtype) -> the symptom. Filled from a run of the current checker.
KNOWN_GAPS: dict[tuple[str, str, str], str] = {}

# (entry, dtype) -> why the closed form itself loses accuracy in that dtype.
UNSTABLE_IN_LOW_PRECISION: dict[tuple[str, str], str] = {}

ENGINES = ("auto", "xla")
DTYPES = ("float64", "float32", "bfloat16")


def _params():
    for d in CATALOG:
        for engine in ENGINES:
            for dtype in DTYPES:
                if dtype == "bfloat16" and engine == "xla":
                    continue
                gap = KNOWN_GAPS.get((d.name, engine, dtype))
                marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
                yield pytest.param(
                    d, engine, dtype, id=f"{d.name}-{engine}-{dtype}", marks=marks
                )


@pytest.mark.parametrize(("d", "engine", "dtype"), list(_params()))
def test_corpus_entry_meets_its_expectation(d, engine, dtype):
    dtypes = (dtype,) if dtype == "float64" else ("float64", dtype)
    result = checks.verify(
        d, samples=SAMPLES, seed=0, dtypes=dtypes, engine=engine
    )
    report = checks.report.render_result(result, verbose=True)
    errors = [c for c in result.cases if c.status == "error"]
    assert not result.message and not errors, report
    if d.expect == "pass":
        assert result.status == "pass", report
        unstable = [c for c in result.cases if c.stability == "unstable"]
        if unstable:
            assert (d.name, dtype) in UNSTABLE_IN_LOW_PRECISION, report
    else:
        assert result.ok and result.status == "xfail", report
        assert any(
            c.status == "fail" and c.dtype == "float64" for c in result.cases
        ), report


def test_corpus_covers_right_and_wrong_derivations():
    assert len(CATALOG) >= 40
    assert sum(d.expect == "fail" for d in CATALOG) >= 10
    assert len({d.name for d in CATALOG}) == len(CATALOG)


def test_every_wrong_entry_says_why_and_what_is_right():
    for d in CATALOG:
        assert d.doc if hasattr(d, "doc") else d.closed_form.__doc__, d.name
        if d.expect == "fail":
            assert d.why, d.name


def test_known_gaps_name_real_cases():
    names = {d.name for d in CATALOG}
    for name, engine, dtype in KNOWN_GAPS:
        assert name in names and engine in ENGINES and dtype in DTYPES
        assert not (engine == "xla" and dtype == "bfloat16")
    for name, dtype in UNSTABLE_IN_LOW_PRECISION:
        assert name in names and dtype in ("float32", "bfloat16")
