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
