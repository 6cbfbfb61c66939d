"""Every corpus entry meets its expectation under both engines, in every dtype.

``tests/corpus`` holds derivations as users bring them (matrix calculus on
well-conditioned matrices, CS231n backward passes, loops, special functions), right
and wrong. Each module is checked by ``check_all`` once per engine ("auto": NumPy
where it can, "xla": every check compiled), as the command line would (programs
compiled ahead, several to a program), in float64, float32 and bfloat16 (to keep
the run short, "xla" checks each entry at its first sizes only); one test per
entry and engine then asserts, for every dtype:

- no case is an error, but for what JAX itself cannot evaluate on the CPU
  (``_platform_limit``: no bfloat16 linear algebra), and then only that case;
- a right entry passes (``unstable`` in low precision only where
  ``UNSTABLE_IN_LOW_PRECISION`` says why);
- a wrong entry fails in float64 (``xfail``: it met its expectation);
- under "xla", each bfloat16 case has the verdict and stability of the same case
  under "auto" (``--dtype bfloat16`` gives the same verdicts under both engines;
  float64 and float32 are held to the expectation above under each).

``KNOWN_GAPS`` lists the (entry, engine) pairs where the checker, as it stands,
gives a wrong verdict; each is marked ``xfail(strict=True)`` with the symptom, so
a fixed one fails the suite (XPASS) until its line is deleted.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import pytest

import checks
import checks._src.report.report
from checks._src.evaluate import case_static
from tests.corpus import CATALOG

SAMPLES = 100

# (entry, engine) -> the symptom of a wrong verdict the checker gives today. Empty:
# every entry meets its expectation under both engines in every dtype.
KNOWN_GAPS: dict[tuple[str, str], str] = {}

# (entry, dtype) -> why the closed form itself loses accuracy in that dtype.
UNSTABLE_IN_LOW_PRECISION: dict[tuple[str, str], str] = {
    ("cube_third_grad_rounded_to_bfloat16", "float32"): (
        "rounds its result to bfloat16's 8 bits on purpose (reduce_precision)"
    ),
}

ENGINES = ("auto", "xla")
DTYPES = ("float64", "float32", "bfloat16")


def _jax_cannot_evaluate(d, dtype: str) -> bool:
    """Whether JAX itself cannot evaluate ``of``, the closed form or autodiff of
    ``of`` in ``dtype`` on the CPU (its LAPACK kernels have no bfloat16): then
    that case can only be an error."""
    dims = next(iter(d.dims_cases()))
    args = [
        jnp.ones(a.shape, a.dtype)
        for a in case_static.example_args(d, dims, jnp.dtype(dtype))
    ]
    autodiff = jax.jacrev(d.of, argnums=d.wrt_index)
    for fn in (d.of, d.closed_form, autodiff):
        try:  # lowered, not compiled: the CPU's LAPACK refuses in its lowering
            jax.jit(fn).lower(*args)
        except NotImplementedError as exc:
            if "Unsupported dtype" in str(exc):
                return True
    return False


_BY_NAME = {d.name: d for d in CATALOG}


@functools.cache
def _platform_limit(name: str) -> tuple[str, str] | None:
    """What JAX cannot evaluate of entry ``name``: (dtype, what its error says).
    That case is an error saying so, and only that case. Found when a test of
    the entry runs (not at collection, where every worker would lower every
    entry)."""
    if _jax_cannot_evaluate(_BY_NAME[name], "bfloat16"):
        return ("bfloat16", "linear algebra has no bfloat16 on CPU")
    return None


@functools.cache
def _report(module_name: str, engine: str) -> dict:
    entries = [d for d in CATALOG if d.closed_form.__module__ == module_name]
    if engine == "xla":  # every check compiled: at each entry's first sizes only
        entries = [
            dataclasses.replace(d, dims={k: v[:1] for k, v in d.dims.items()})
            for d in entries
        ]
    report = checks.check_all(
        entries, samples=SAMPLES, seed=0, dtypes=DTYPES, engine=engine
    )
    return {r.name: r for r in report.results}


def _params():
    for d in CATALOG:
        for engine in ENGINES:
            gap = KNOWN_GAPS.get((d.name, engine))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            # one worker per module: the runs ``_report`` caches, both engines'
            # (an "xla" test compares its bfloat16 cases with the "auto" run's)
            marks.append(pytest.mark.xdist_group(d.closed_form.__module__))
            yield pytest.param(d, engine, id=f"{d.name}-{engine}", marks=marks)


@pytest.mark.parametrize(("d", "engine"), list(_params()))
def test_corpus_entry_meets_its_expectation(d, engine):
    result = _report(d.closed_form.__module__, engine)[d.name]
    report = checks._src.report.report.render_result(result, verbose=True)
    assert not result.message, report
    for c in result.cases:
        if c.status == "error":
            limit = _platform_limit(d.name)
            assert limit and c.dtype == limit[0], report
            assert limit[1] in c.message, report
    cases = [c for c in result.cases if c.status != "error"]
    assert {c.dtype for c in cases} >= {"float64", "float32"}, report
    if d.expect == "pass":
        assert all(c.status == "pass" for c in cases), report
        for c in cases:
            if c.stability == "unstable":
                assert (d.name, c.dtype) in UNSTABLE_IN_LOW_PRECISION, report
    else:
        assert any(c.status == "fail" and c.dtype == "float64" for c in cases), report
        if len(cases) == len(result.cases):  # no case JAX cannot evaluate
            assert result.ok and result.status == "xfail", report
    if engine == "xla":
        _same_low_precision_verdicts(result, _report(d.closed_form.__module__, "auto"))


def _same_low_precision_verdicts(compiled, host_results: dict) -> None:
    """Each bfloat16 case of ``compiled`` (an "xla" result) has the status and
    stability of the case at the same sizes of the "auto" run."""
    host = {(str(c.dims), c.dtype): c for c in host_results[compiled.name].cases}
    low = [c for c in compiled.cases if c.dtype == "bfloat16"]
    assert low, compiled.name
    for c in low:
        h = host[(str(c.dims), c.dtype)]
        got, want = (c.status, c.stability), (h.status, h.stability)
        assert got == want, (compiled.name, c.dims, got, want, c.message, h.message)


def test_corpus_covers_right_and_wrong_derivations():
    assert len(CATALOG) >= 40
    assert sum(d.expect == "fail" for d in CATALOG) >= 10
    assert len({d.name for d in CATALOG}) == len(CATALOG)


def test_every_wrong_entry_says_why_and_what_is_right():
    for d in CATALOG:
        assert d.closed_form.__doc__, d.name
        if d.expect == "fail":
            assert d.why, d.name


def test_known_gaps_name_real_cases():
    names = {d.name for d in CATALOG}
    for name, engine in KNOWN_GAPS:
        assert name in names and engine in ENGINES
    for name, dtype in UNSTABLE_IN_LOW_PRECISION:
        assert name in names and dtype in ("float32", "bfloat16")


# Modules whose every check the NumPy engine evaluates under "auto": a case
# compiled with XLA instead (a primitive the engine lost) costs 0.3–1 s cold.
EVALUATED_BY_NUMPY = ("tests.corpus.backward_passes", "tests.corpus.matrix_calculus")


@pytest.mark.parametrize(
    "module_name",
    [pytest.param(m, marks=pytest.mark.xdist_group(m)) for m in EVALUATED_BY_NUMPY],
)
def test_numpy_engine_evaluates_every_case_of(module_name):
    results = _report(module_name, "auto")
    assert results
    compiled = {
        (name, c.dtype, str(c.dims), c.engine_fallback)
        for name, r in results.items()
        for c in r.cases
        if c.engine == "xla"  # "": not run (an error found before it)
    }
    assert not compiled, compiled
