"""Small checks evaluated by NumPy give the verdicts of the compiled checks."""

import functools
import io

import jax
import jax.numpy as jnp
import pytest
from jax import lax

import checks
from checks._src.declare.claim_record import UNSAMPLED
from checks._src.declare.declare import Derivation
from checks._src.evaluate import interpret, on_host
from checks._src.run import load
from checks._src.run.cli import main
from checks._src.run.options import OptionError, resolve_devices
from checks._src.store import store
from examples import bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian

DTYPES = ["float64", "float32"]

# Tests that assert different things of the same check share its one run
# (``_verified``), on one worker.
SHARED = pytest.mark.xdist_group("test_engines-verified")


@functools.cache
def _verified(fn, engine: str, samples: int = 300) -> checks.DerivationResult:
    """``fn`` checked in float64 and float32 by ``engine``, once per module."""
    return checks.verify(fn, samples=samples, dtypes=DTYPES, engine=engine)


@SHARED
@pytest.mark.parametrize(
    "fn", [bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian]
)
def test_both_engines_give_the_same_verdicts(fn):
    host = _verified(fn, "auto")
    compiled = _verified(fn, "xla")
    for h, c in zip(host.cases, compiled.cases):
        assert (h.status, h.checked, h.stability) == (c.status, c.checked, c.stability)
        assert (h.counterexample is None) == (c.counterexample is None)
        if h.counterexample:  # a wrong formula: as far out (the worst may tie)
            assert h.ratio == pytest.approx(c.ratio, rel=1e-6)
        else:
            assert h.ratio <= 1 and c.ratio <= 1


@SHARED
def test_a_wrong_derivation_fails_and_a_right_one_passes_on_the_host():
    wrong = _verified(bce_grad_beta_sign_flipped, "auto")
    right = _verified(bce_grad_beta, "auto")
    assert wrong.outcome == "fail" and wrong.cases[0].status == "fail"
    assert right.status == "pass" and all(c.status == "pass" for c in right.cases)
    assert right.cases[1].dtype == "float32" and right.cases[1].checked == 300


def test_the_default_run_needs_no_compiled_claim(monkeypatch):
    """Every sampled claim of the catalog is evaluated by NumPy (every derivation:
    ``test_every_catalog_derivation_gets_the_same_verdicts_from_both_engines``,
    from the default run itself)."""
    for entry in load.load_catalog():
        if isinstance(entry, Derivation):
            continue
        if entry.form not in UNSAMPLED:
            for dims in entry.dims_cases():
                assert on_host.sides_program(entry, dims, 1000) is not None, entry.name
        elif entry.form == "value":
            assert on_host.value(entry.fn) is not None, entry.name
        # printed outputs, bounds and counts run their code once, in Python


def _log_gamma(x):
    return jnp.sum(lax.lgamma(x))


@checks.derivation(of=_log_gamma, wrt="x", inputs={"x": checks.domain.positive((3,))})
def log_gamma_grad(x):
    return lax.digamma(x)


@checks.derivation(of=_log_gamma, wrt="x", inputs={"x": checks.domain.positive((3,))})
def log_gamma_grad_off_by_one(x):
    return lax.digamma(x + 1.0)


def test_what_numpy_cannot_evaluate_is_compiled():
    d = checks._src.declare.declare.as_derivation(log_gamma_grad)
    assert on_host.case_program(d, {}, DTYPES, 100) is None
    assert checks.verify(log_gamma_grad, samples=100).status == "pass"
    assert checks.verify(log_gamma_grad_off_by_one, samples=100).outcome == "fail"


def test_a_failure_inside_numpy_falls_back_to_the_compiled_check(monkeypatch):
    def broken(params, *xs):
        raise RuntimeError("no")

    monkeypatch.setitem(interpret._VALUES, "div", broken)
    result = checks.verify(bce_grad_beta_sign_flipped, samples=100)
    assert result.outcome == "fail", [c.message for c in result.cases]
    assert all(c.checked == 100 for c in result.cases)
    for c in result.cases:  # not silently: the result says what ran, and why
        assert c.engine == "xla"
        assert c.engine_fallback == "RuntimeError: no"
        assert c.to_dict()["engine_fallback"] == "RuntimeError: no"
    assert "NumPy's evaluation failed (RuntimeError: no)" in str(result)


@SHARED
def test_each_case_names_the_engine_that_ran_it():
    host = _verified(bce_grad_beta, "auto")
    compiled = _verified(bce_grad_beta, "xla")
    assert [c.to_dict()["engine"] for c in host.cases] == ["numpy", "numpy"]
    assert [c.engine for c in compiled.cases] == ["xla", "xla"]
    assert all(c.engine_fallback == "" for c in host.cases + compiled.cases)


def test_an_unknown_engine_is_an_option_error():
    with pytest.raises(OptionError, match="engine must be one of auto, xla"):
        checks.verify(bce_grad_beta, engine="numpy")


def test_the_cli_takes_an_engine(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "tests/examples.py",
            "--only",
            "bce_grad_beta",
            "--engine",
            "xla",
            "--samples",
            "50",
            "--no-cache",
        ],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    assert "bce_grad_beta" in out.getvalue()


def test_results_stored_by_one_engine_are_not_reused_by_the_other():
    d = checks._src.declare.declare.as_derivation(bce_grad_beta)
    devices = resolve_devices("cpu")
    keys = set()
    for engine in on_host.ENGINES:
        with on_host.engine(engine):
            options = {"samples": 10, "seed": 0, "dtypes": DTYPES, "mutants": False}
            keys.add(store.fingerprint(d, devices=devices, **options))
    assert len(keys) == 2


def test_every_catalog_derivation_gets_the_same_verdicts_from_both_engines():
    derivations = [d for d in load.load_catalog() if isinstance(d, Derivation)]
    host = checks.check_all(derivations)
    # The default run needs no compiled check: NumPy evaluates every case.
    not_numpy = {
        (h.name, str(c.dims), c.dtype, c.engine_fallback)
        for h in host.results
        for c in h.cases
        if c.engine != "numpy"
    }
    assert not not_numpy, not_numpy
    compiled = checks.check_all(derivations, engine="xla")
    for h, c in zip(host.results, compiled.results, strict=True):
        assert h.outcome == c.outcome, h.name
        got = [(x.dims, x.dtype, x.status, x.stability) for x in h.cases]
        assert got == [(x.dims, x.dtype, x.status, x.stability) for x in c.cases]


@pytest.mark.parametrize("fn", [bce_grad_beta, bce_grad_beta_sign_flipped])
def test_bfloat16_gets_the_same_verdicts_from_both_engines(fn):
    """bfloat16 is a float to the NumPy engine too: it carries a rounding bound
    (without one, a right derivation failed in bfloat16 by NumPy alone)."""
    host = checks.verify(fn, samples=200, dtypes=["bfloat16"])
    compiled = checks.verify(fn, samples=200, dtypes=["bfloat16"], engine="xla")
    assert [c.engine for c in host.cases] == ["numpy"]
    for h, c in zip(host.cases, compiled.cases, strict=True):
        assert (h.status, h.checked, h.stability) == (c.status, c.checked, c.stability)
    assert checks.verify(bce_grad_beta, samples=200, dtypes=["bfloat16"]).ok


def _rnn(h0, xs):
    def step(h, x):
        h = jnp.tanh(0.5 * h + x)
        return h, h

    return jnp.sum(lax.scan(step, h0, xs)[1])


@checks.derivation(
    of=_rnn,
    wrt="h0",
    inputs={"h0": checks.domain.real((2,)), "xs": checks.domain.real((3, 2))},
)
def rnn_grad_h0(h0, xs):
    """Backpropagation through time, itself a reversed scan."""

    def step(h, x):
        h = jnp.tanh(0.5 * h + x)
        return h, h

    _, hs = lax.scan(step, h0, xs)

    def back(g, h):
        return (g + 1.0) * (1 - h * h) * 0.5, None

    return lax.scan(back, jnp.zeros_like(h0), hs, reverse=True)[0]


def _cross_entropy(Z, y):
    return -jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(Z), y[:, None], 1))


@checks.derivation(
    of=_cross_entropy,
    wrt="Z",
    inputs={"Z": checks.domain.real((4, 3)), "y": checks.domain.integers(0, 3, (4,))},
)
def cross_entropy_grad(Z, y):
    return jax.nn.softmax(Z).at[jnp.arange(4), y].add(-1)


def _spd(key, shape, dtype):
    A = jax.random.uniform(key, shape, dtype, -0.3, 0.3)
    eye = jnp.broadcast_to(jnp.eye(shape[-1], dtype=dtype), shape)
    return (A + jnp.swapaxes(A, -1, -2)) / 2 + 2 * eye


def _logabsdet(X):
    return jnp.linalg.slogdet(X)[1]


@checks.derivation(
    of=_logabsdet, wrt="X", inputs={"X": checks.domain.custom(_spd, (3, 3))}
)
def logabsdet_grad(X):
    """d/dX log|det X| = X⁻ᵀ."""
    return jnp.linalg.inv(X).T


@checks.derivation(
    of=_logabsdet,
    wrt="X",
    inputs={"X": checks.domain.custom(_spd, (3, 3))},
    expect="fail",
    why="scaled by 1.001",
)
def logabsdet_grad_off_by_a_thousandth(X):
    return 1.001 * jnp.linalg.inv(X).T


@pytest.mark.parametrize(
    "fn",
    [
        rnn_grad_h0,
        cross_entropy_grad,
        logabsdet_grad,
        logabsdet_grad_off_by_a_thousandth,
    ],
)
@SHARED
def test_loops_scatter_add_and_linear_algebra_are_checked(fn):
    """They were errors (loop carries of two types, float32 operands of float64
    operations); now checked, and a formula off by 0.1% still fails."""
    for engine in ("auto", "xla"):
        result = _verified(fn, engine, samples=100)
        assert result.ok, [c.message for c in result.cases]
        assert all(c.status != "error" for c in result.cases)


@SHARED
@pytest.mark.parametrize("fn", [logabsdet_grad, logabsdet_grad_off_by_a_thousandth])
def test_linear_algebra_is_evaluated_by_numpy(fn):
    """lu, triangular solves and custom_linear_solve (slogdet, inv) run on the
    host, with the verdict the compiled check gives."""
    host = _verified(fn, "auto", samples=100)
    assert [c.engine for c in host.cases] == ["numpy"] * len(DTYPES), [
        c.engine_fallback for c in host.cases
    ]
    compiled = _verified(fn, "xla", samples=100)
    assert [c.status for c in host.cases] == [c.status for c in compiled.cases]


def test_bfloat16_linear_algebra_is_one_clear_error_in_both_engines():
    for engine in ("auto", "xla"):
        result = checks.verify(
            logabsdet_grad, samples=50, dtypes=("float64", "bfloat16"), engine=engine
        )
        statuses = {c.dtype: c.status for c in result.cases}
        assert statuses == {"float64": "pass", "bfloat16": "error"}, engine
        (message,) = [c.message for c in result.cases if c.dtype == "bfloat16"]
        assert message.startswith("linear algebra has no bfloat16 on CPU: lu "), message
        assert "\n" not in message


def _newton_sqrt(a):
    """√a by Newton's iteration in ``lax.while_loop`` (stops on the step's size):
    JAX differentiates it in forward mode only."""

    def step(carry):
        x, _ = carry
        new = 0.5 * (x + a / x)
        return new, jnp.abs(new - x)

    x0 = jnp.maximum(a, 1.0)
    x, _ = lax.while_loop(lambda c: c[1] > 1e-9 * c[0], step, (x0, x0))
    return 0.5 * (x + a / x)


_POSITIVE = {
    "a": checks.domain.custom(lambda k, s, d: jax.random.uniform(k, s, d, 0.5, 9))
}


@checks.derivation(of=_newton_sqrt, wrt="a", inputs=_POSITIVE)
def newton_sqrt_grad(a):
    """1/(2√a), by implicit differentiation of x² = a."""
    return 0.5 / _newton_sqrt(a)


@checks.derivation(
    of=_newton_sqrt, wrt="a", inputs=_POSITIVE, expect="fail", why="1/√a"
)
def newton_sqrt_grad_lost_half(a):
    return 1.0 / _newton_sqrt(a)


@checks.derivation(of=_newton_sqrt, wrt="a", inputs=_POSITIVE, order=2)
def newton_sqrt_second(a):
    """−1/(4 a^{3/2})."""
    return -0.25 / (a * _newton_sqrt(a))


@checks.derivation(
    of=_newton_sqrt, wrt="a", inputs=_POSITIVE, order=2, expect="fail", why="sign"
)
def newton_sqrt_second_wrong_sign(a):
    return 0.25 / (a * _newton_sqrt(a))


@pytest.mark.parametrize(
    "fn",
    [
        newton_sqrt_grad,
        newton_sqrt_grad_lost_half,
        newton_sqrt_second,
        newton_sqrt_second_wrong_sign,
    ],
)
def test_a_while_loop_is_differentiated_in_forward_mode(fn):
    """JAX refuses reverse mode through ``lax.while_loop`` (a gradient, a
    Hessian); the reference is then forward mode, and a right derivative passes,
    a wrong one fails, under both engines, with the same verdicts."""
    statuses = {}
    for engine in ("auto", "xla"):
        result = checks.verify(fn, samples=100, dtypes=DTYPES, engine=engine)
        assert all(c.status != "error" for c in result.cases), result.message
        assert result.ok, [c.message for c in result.cases]
        statuses[engine] = [c.status for c in result.cases]
    assert statuses["auto"] == statuses["xla"]
