"""Declarations: the public contract, and clear errors when it is broken."""

import jax.numpy as jnp
import pytest

from checks import DeclarationError, derivation, derivations_in
from checks._src.declare import domain
from checks._src.declare.declare import Derivation


def f(x, y):
    return x * y


def test_decorator_returns_the_closed_form_unchanged_and_registers_it():
    def g(x, y):
        return y

    out = derivation(of=f, wrt="x", inputs={"x": domain.real(), "y": domain.real()})(g)
    assert out is g
    record = g.__derivation__
    assert isinstance(record, Derivation)
    assert record.name == "g" and record.params == ("x", "y") and record.wrt_index == 0
    assert record in derivations_in(__import__(__name__))


def test_dims_cases_are_every_combination():
    def g(x, y):
        return y

    g = derivation(
        of=f,
        wrt="x",
        inputs={"x": domain.real(("m",)), "y": domain.real(("k",))},
        dims={"m": (1, 2), "k": 3},
    )(g)
    assert list(g.__derivation__.dims_cases()) == [
        {"k": 3, "m": 1},
        {"k": 3, "m": 2},
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"wrt": "z"}, "wrt='z' is not a parameter"),
        ({"inputs": {"x": domain.real()}}, "no domain for y"),
        (
            {"inputs": {"x": domain.real(), "y": domain.real(), "z": domain.real()}},
            "names z",
        ),
        (
            {"inputs": {"x": domain.real(("m",)), "y": domain.real()}},
            "uses size 'm' but dims= does not list it",
        ),
        ({"expect": "fail"}, "needs why="),
        ({"expect": "maybe"}, "expect must be"),
        ({"order": 3}, "order must be 1 or 2"),
        (
            {"inputs": {"x": domain.integers(0, 3), "y": domain.real()}},
            "not real-valued",
        ),
        ({"inputs": {"x": 1.0, "y": domain.real()}}, "must be a checks.domain"),
        ({"dims": {"m": (0,)}}, "positive ints"),
    ],
)
def test_bad_declarations_are_refused_at_once(kwargs, message):
    declaration = {
        "of": f,
        "wrt": "x",
        "inputs": {"x": domain.real(), "y": domain.real()},
    }
    declaration.update(kwargs)
    with pytest.raises(DeclarationError, match=message):

        @derivation(**declaration)
        def g(x, y):
            return y


def test_closed_form_must_take_the_same_parameters_in_order():
    with pytest.raises(DeclarationError, match="must match in name and order"):

        @derivation(of=f, wrt="x", inputs={"x": domain.real(), "y": domain.real()})
        def g(y, x):
            return jnp.zeros(())
