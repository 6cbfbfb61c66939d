"""Float64 inside the checker only: importing ``checks`` leaves the caller's
``jax_enable_x64`` as it was, and a float64 case is float64 all the same. Float32
products at full precision inside the checker only (JAX's default on a GPU is TF32,
whose rounding the error model does not bound), the caller's setting after."""

import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from checks import check_all, derivation, verify
from checks._src.declare import domain
from checks._src.run.load import load_target

ROOT = Path(__file__).parent.parent


def _without_x64_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


def test_importing_checks_leaves_float64_off():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import checks, jax; print(jax.config.jax_enable_x64)",
        ],
        capture_output=True,
        text=True,
        env=_without_x64_env(),
        timeout=300,
        check=True,
    )
    assert out.stdout.strip() == "False"


def _sum_sin(x):
    return jnp.sum(jnp.sin(x))


def _declared(closed_form, name):
    inputs = {"x": domain.real(shape=(3,))}
    return derivation(of=_sum_sin, wrt="x", inputs=inputs, name=name)(closed_form)


def test_a_float64_case_runs_in_float64_when_the_caller_has_it_off():
    seen = set()

    def grad(x):
        seen.add((str(x.dtype), str(jnp.asarray(0.5).dtype)))
        return jnp.cos(x)

    declared = _declared(grad, "right_in_float64")
    with jax.enable_x64(False):
        for engine in ("auto", "xla"):
            result = verify(declared, samples=50, dtypes=["float64"], engine=engine)
            assert result.status == "pass"
            (case,) = result.cases
            assert case.engine == ("numpy" if engine == "auto" else "xla")
            # a tolerance of float64's rounding, not float32's
            assert 0 < case.tolerance < 1e-12
        assert not jax.config.jax_enable_x64
        assert jnp.zeros(1).dtype == jnp.float32
    assert ("float64", "float64") in seen
    assert {dtype for dtype, _ in seen} == {"float64"}


def test_a_wrong_closed_form_fails_when_the_caller_has_float64_off():
    def grad(x):
        return jnp.cos(x) * (1 + 1e-9)  # wrong by a relative 1e-9: not float32's

    with jax.enable_x64(False):
        result = verify(
            _declared(grad, "wrong_by_1e-9"), samples=50, dtypes=["float64"]
        )
    assert result.status == "fail"


def test_a_loaded_file_makes_its_arrays_in_float64(tmp_path):
    path = tmp_path / "constants.py"
    path.write_text(
        "import jax.numpy as jnp\n"
        "from checks import derivation, domain\n"
        "HALF = jnp.asarray(0.5)\n"
        "def f(x):\n    return HALF * x * x\n"
        "@derivation(of=f, wrt='x', inputs={'x': domain.real()})\n"
        "def f_grad(x):\n    return 2 * HALF * x\n"
    )
    with jax.enable_x64(False):
        (d,) = load_target(str(path))
        assert not jax.config.jax_enable_x64
    module = sys.modules[d.closed_form.__module__]
    assert module.HALF.dtype == jnp.float64


def test_a_float32_constant_in_a_float64_case_is_named_in_its_failure():
    # jnp.float32(0.5) is 0.5 exactly: no note; jnp.float32(0.1) is 0.1 rounded
    # to float32, folded into the trace as the float64 0.10000000149011612
    def rounded(x):
        return jnp.cos(x) * jnp.float32(0.1) / 0.1

    def exact(x):
        return jnp.cos(x) * jnp.float32(0.5) / 0.5

    declared_rounded = _declared(rounded, "float32_constant")
    declared_exact = _declared(exact, "exact_float32_constant")
    for engine in ("auto", "xla"):
        failed = verify(
            declared_rounded,
            samples=50,
            dtypes=["float64", "float32"],
            engine=engine,
        )
        case64, case32 = failed.cases
        assert case64.status == "fail"
        assert "0.10000000149011612 (0.1 in float32)" in case64.message
        assert "Python float" in case64.message
        assert "narrower" not in case32.message  # float32 is not narrower there
        passed = verify(
            declared_exact,
            samples=50,
            dtypes=["float64"],
            engine=engine,
        )
        assert passed.status == "pass"
        assert "narrower" not in passed.cases[0].message


def test_narrower_are_told_from_short_binary_numbers():
    from checks._src.evaluate import narrower

    def note(fn, dtype=jnp.float64):
        with jax.enable_x64(True):
            return narrower.note(
                jax.make_jaxpr(fn)(jnp.ones(3, dtype)), str(jnp.dtype(dtype))
            )

    assert "0.1 in float32" in note(lambda x: x * jnp.float32(0.1))
    assert "0.2 in bfloat16" in note(lambda x: x * jnp.bfloat16(0.2).astype(x.dtype))
    assert "0.2 in bfloat16" in note(
        lambda x: x * jnp.bfloat16(0.2).astype(x.dtype), jnp.float32
    )
    # inside a loop's body
    assert "0.1 in float32" in note(
        lambda x: jax.lax.fori_loop(0, 2, lambda i, c: c * jnp.float32(0.1), x)
    )
    for exact in (
        lambda x: x * 0.1,  # a Python float: float64
        lambda x: x * jnp.finfo(x.dtype).eps,  # 2⁻⁵²: one significant bit
        lambda x: x * jnp.float32(0.375),
        lambda x: x * jnp.finfo(jnp.float32).eps,
    ):
        assert note(exact) == ""
    assert note(lambda x: x * jnp.float32(0.1), jnp.float32) == ""
    # a bfloat16 array constant, and a PRNG key among the constants
    table = jnp.array([0.2, 0.3], jnp.bfloat16)
    assert "0.3 in bfloat16" in note(lambda x: x * table[1])
    key = jax.random.key(0)
    assert "0.1 in float32" in note(
        lambda x: x * jax.random.normal(key, (3,)) * jnp.float32(0.1)
    )


def test_a_closed_form_of_another_dtype_says_where_it_turns():
    def grad(x):
        eps = jnp.finfo(x.dtype).eps  # a bfloat16 scalar: 1 - eps is float32
        return jnp.cos(x) * (1.0 - eps) / (1.0 - eps)

    result = verify(_declared(grad, "promoted"), samples=20, dtypes=["bfloat16"])
    (case,) = result.cases
    assert case.status == "error"
    assert case.message.startswith("closed form returns float32 for bfloat16 inputs")
    assert "(first at test_precision.py:" in case.message


def test_a_cast_to_a_narrower_dtype_is_named_in_the_case_message():
    def through_float32(x):  # the bfloat16 kernel idiom, in a float64 case
        return jnp.cos(x.astype(jnp.float32)).astype(x.dtype)

    def widened(x):  # float32 only where x is narrower: float64 stays float64
        return jnp.cos(x.astype(jnp.promote_types(x.dtype, jnp.float32))).astype(
            x.dtype
        )

    narrowing = _declared(through_float32, "through_float32")
    for engine in ("auto", "xla"):
        result = verify(
            narrowing, samples=50, dtypes=["float64", "float32"], engine=engine
        )
        case64, case32 = result.cases
        assert case64.status == "pass"
        assert "the closed form rounds to float32 (test_precision.py:" in (
            case64.message
        )
        assert "held to that accuracy" in case64.message
        assert "rounds to" not in case32.message  # float32 is not narrower there
    result = verify(_declared(widened, "widened"), samples=50, dtypes=["float64"])
    assert result.status == "pass"
    assert "rounds to" not in result.cases[0].message


def _sum_sin_in_float32(x):
    return jnp.sum(jnp.sin(x.astype(jnp.float32)))


def test_a_cast_in_of_is_named_too():
    # the reference is autodiff of ``of``: its cast holds the case to float32
    inputs = {"x": domain.real(shape=(3,))}
    declared = derivation(
        of=_sum_sin_in_float32, wrt="x", inputs=inputs, name="of_in_float32"
    )(jnp.cos)
    result = verify(declared, samples=50, dtypes=["float64"])
    assert result.status == "pass"
    message = result.cases[0].message
    assert "; of rounds to float32 (test_precision.py:" in message
    assert "the closed form rounds" not in message


def _squares_returned_in_float32(x):
    return (x * x).astype(jnp.float32)


def test_of_returning_float32_keeps_a_float64_tolerance():
    # jax.jacrev seeds a vector ``of`` returning float32 with an identity made of
    # booleans converted to float32: exact, so the float64 case keeps float64's
    # tolerance, and a closed form off by a relative 4e-9 (10⁷ float64 units,
    # under float32's) fails
    inputs = {"x": domain.real(shape=(3,))}

    def declare(fn, name):
        return derivation(
            of=_squares_returned_in_float32, wrt="x", inputs=inputs, name=name
        )(fn)

    right = declare(lambda x: jnp.diag(2.0 * x), "returned_in_float32_right")
    wrong = declare(
        lambda x: jnp.diag(2.0 * x * (1 + 4e-9)), "returned_in_float32_wrong"
    )
    for engine in ("auto", "xla"):
        passed = verify(right, samples=50, dtypes=["float64"], engine=engine)
        assert passed.status == "pass"
        assert passed.cases[0].tolerance < 1e-13
        failed = verify(wrong, samples=50, dtypes=["float64"], engine=engine)
        assert failed.status == "fail"


def test_an_integer_converts_exactly_up_to_two_to_the_significand_bits():
    from checks._src.evaluate import error_rules

    def bound(x, dtype):
        x = np.asarray(x)
        out = x.astype(dtype)
        return error_rules.equation_bounds(
            np, 1, {}, None, "convert_element_type", {}, [x], [None], [out], None
        )[0]

    exact = np.array([[0, 1, -7, 2**24]], np.int32)
    assert np.all(bound(exact, np.float32) == 0)
    assert np.all(bound(np.array([[True, False]]), jnp.bfloat16) == 0)
    assert np.all(bound(np.array([[256, -256]], np.int32), jnp.bfloat16) == 0)
    rounded = np.array([[2**24 + 1, 257]], np.int32)
    assert bound(rounded[:, :1], np.float32)[0, 0] > 0
    assert bound(rounded[:, 1:], jnp.bfloat16)[0, 0] > 0


def _quadratic(x, a):
    return jnp.sum((a @ x) ** 2)


def _recording_products(seen: list):
    """∇ₓ‖Ax‖² = 2Aᵀ(Ax), recording the default matmul precision it is traced
    under and the precision of the product it traces."""

    def grad(x, a):
        seen.append(jax.config.jax_default_matmul_precision)
        product = jax.make_jaxpr(jnp.matmul)(a, x).eqns[0].params["precision"]
        seen.append(product)
        return 2 * a.T @ (a @ x)

    inputs = {"x": domain.real(shape=(3,)), "a": domain.real(shape=(3, 3))}
    return derivation(of=_quadratic, wrt="x", inputs=inputs, name="quadratic_grad")(
        grad
    )


def test_float32_products_run_at_full_precision_inside_the_checker_only():
    highest = (jax.lax.Precision.HIGHEST, jax.lax.Precision.HIGHEST)
    for caller in (None, "bfloat16", "tensorfloat32"):
        for engine in ("auto", "xla"):
            seen: list = []
            declared = _recording_products(seen)
            with jax.default_matmul_precision(caller):
                result = verify(declared, samples=50, dtypes=["float32"], engine=engine)
                # on a worker thread (``timeout``), as the command line runs it
                (threaded,) = check_all(
                    [declared],
                    samples=50,
                    dtypes=["float32"],
                    engine=engine,
                    timeout=600,
                ).results
                assert jax.config.jax_default_matmul_precision == caller
            assert result.status == threaded.status == "pass", result.cases
            assert seen and set(seen[::2]) == {"highest"}, (caller, engine, seen)
            assert set(seen[1::2]) == {highest}, (caller, engine, seen)
