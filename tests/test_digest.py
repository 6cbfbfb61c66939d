"""``checks._src.store.digest``: any change to what a function computes changes its
digest, and what it cannot read makes it say so (None) instead of guessing."""

import functools
import sys
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checks._src.store.digest import code_digest, config_digest


def module(name, source):
    """A user's module made from ``source``, as an import of a file would."""
    m = types.ModuleType(name)
    m.__file__ = f"/home/user/{name}.py"
    exec(compile(source, m.__file__, "exec"), m.__dict__)
    sys.modules[name] = m
    return m


def digest_of(source, name="f", module_name="user_module"):
    return code_digest(getattr(module(module_name, source), name))


BASE = """
import jax.numpy as jnp
def f(x):
    return jnp.log1p(-x) / x
"""


def test_the_same_code_has_the_same_digest_and_an_edit_changes_it():
    assert digest_of(BASE) is not None
    assert digest_of(BASE) == digest_of(BASE)
    for edit in ("jnp.log1p(-x) * x", "jnp.log(1 - x) / x", "jnp.log1p(x) / x"):
        assert digest_of(BASE.replace("jnp.log1p(-x) / x", edit)) != digest_of(BASE)


def test_a_helper_is_followed_into_its_own_module():
    helper = "import jax.numpy as jnp\ndef h(x):\n    return jnp.tanh(x)\n"
    user = "import helper_module\ndef f(x):\n    return helper_module.h(x) + 1\n"
    module("helper_module", helper)
    before = digest_of(user)
    module("helper_module", helper.replace("tanh", "sinh"))
    assert digest_of(user) != before


@pytest.mark.parametrize(
    "one, other",
    [
        ("C = 1.0", "C = 1.0000001"),
        ("C = np.array([1.0, 2.0])", "C = np.array([1.0, 3.0])"),
        ("C = np.array([1.0, 2.0])", "C = np.array([1.0, 2.0], np.float32)"),
        ("C = jnp.array([1.0, 2.0])", "C = jnp.array([2.0, 2.0])"),
        ("C = (1, 2)", "C = [1, 2]"),
        ("C = {'a': 1}", "C = {'a': 2}"),
    ],
)
def test_a_global_constant_is_read_by_value(one, other):
    source = (
        "import numpy as np\nimport jax.numpy as jnp\n{}\ndef f(x):\n    return x * C\n"
    )
    assert digest_of(source.format(one)) != digest_of(source.format(other))
    assert digest_of(source.format(one)) == digest_of(source.format(one))


def test_closures_and_defaults_are_read_by_value():
    def scaled(c):
        return lambda x: c * x

    def shifted(x, d=1.0):
        return x + d

    assert code_digest(scaled(2.0)) != code_digest(scaled(3.0))
    other = types.FunctionType(shifted.__code__, shifted.__globals__, "shifted", (2.0,))
    assert code_digest(shifted) != code_digest(other)
    assert code_digest(functools.partial(shifted, d=1.0)) != code_digest(
        functools.partial(shifted, d=2.0)
    )


def test_a_custom_derivative_rule_and_a_jitted_body_are_read():
    def squares(scale):
        @jax.custom_jvp
        def f(x):
            return jnp.sum(x**2)

        f.defjvp(lambda p, t: (f(*p), scale * p[0] @ t[0]))
        return f

    assert code_digest(squares(2.0)) is not None
    assert code_digest(squares(2.0)) != code_digest(squares(3.0))
    assert code_digest(jax.jit(lambda x: x + 1)) != code_digest(
        jax.jit(lambda x: x + 2)
    )


def test_a_library_is_named_a_users_wrapper_of_it_is_read():
    names = "from jax.numpy import exp, log\ndef f(x):\n    return exp(x)\n"
    assert digest_of(names) != digest_of(names.replace("return exp", "return log"))
    wrapped = (
        "import functools\nimport jax.numpy as jnp\n"
        "@functools.wraps(jnp.exp)\ndef f(x):\n    return jnp.exp(x) * 2\n"
    )
    assert digest_of(wrapped) != digest_of(wrapped.replace("* 2", "* 3"))


def test_what_cannot_be_read_has_no_digest():
    class Scale:
        c = 2.0

    scale = Scale()
    assert code_digest(lambda x: scale.c * x) is None
    assert code_digest(lambda x: Scale.c * x) is None  # a user's class
    assert (
        digest_of("S = {1, object()}\ndef f(x):\n    return x if S else -x\n") is None
    )
    bound = (
        "class A:\n    def m(self, x):\n        return x\n"
        "m = A().m\ndef f(x):\n    return m(x)\n"
    )
    assert digest_of(bound) is None


def test_a_recursive_function_has_a_digest():
    source = "def f(n):\n    return 1 if n == 0 else n * f(n - 1)\n"
    assert digest_of(source) is not None
    assert digest_of(source) != digest_of(source.replace("1 if", "2 if"))


def test_jax_configuration_is_its_own_digest():
    before = config_digest()
    jax.config.update("jax_default_matmul_precision", "highest")
    try:
        assert config_digest() != before
    finally:
        jax.config.update("jax_default_matmul_precision", None)
    assert config_digest() == before


def test_a_library_function_is_digested_by_name_not_read():
    assert code_digest(jnp.exp) == code_digest(jnp.exp)
    assert code_digest(jnp.exp) != code_digest(jnp.log)
    assert code_digest(np.exp) != code_digest(np.log)


def test_a_library_version_is_part_of_the_configuration(monkeypatch):
    import ml_dtypes

    before = config_digest()
    monkeypatch.setattr(ml_dtypes, "__version__", "0.0.0-other", raising=False)
    assert config_digest() != before
