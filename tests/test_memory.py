"""A case too large for memory is an error before it runs, not a killed process."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import checks
from checks._src.declare import domain
from checks._src.evaluate import case_plan
from checks._src.judge import summary


def _energy(W):
    return jnp.sum(jnp.tanh(W) ** 2)


def _energy_hessian(W):
    return jnp.zeros(W.shape + W.shape)


def _energy_grad(W):
    return 2 * jnp.tanh(W) * (1 - jnp.tanh(W) ** 2)


def test_a_case_larger_than_the_memory_available_is_an_error(monkeypatch):
    # a Hessian of a 30 × 30 input: 810,000 elements, 8 × 6 bytes each at least
    monkeypatch.setattr(case_plan, "available_memory", lambda device: 30 * 2**20)
    result = checks.verify(
        _energy_hessian,
        of=_energy,
        wrt="W",
        order=2,
        inputs={"W": domain.real((30, 30))},
        samples=10,
    )
    assert result.status == "error"
    message = result.cases[0].message
    assert message.startswith("too large for memory: one point at the declared")
    assert "a derivative of 810,000 elements" in message
    assert "30.0 MiB is available on cpu" in message


def test_a_case_that_fits_runs(monkeypatch):
    # The memory needed is one point's (``case_plan.memory_problem``), whatever
    # the number of samples: 100 show the case runs as well as 1000.
    monkeypatch.setattr(case_plan, "available_memory", lambda device: 30 * 2**20)
    result = checks.verify(
        _energy_grad,
        of=_energy,
        wrt="W",
        inputs={"W": domain.real((30, 30))},
        samples=100,
    )
    assert result.status == "pass"


def test_the_host_memory_can_be_read():
    import jax

    free = case_plan.available_memory(jax.devices("cpu")[0])
    assert free is None or free > 0


def _chunk(value: float, n: int = 3, size: int = 1000) -> dict:
    """A float64 chunk's output as ``case_judge.judge`` returns it: ``n`` points
    compared, the worst of them (point 0) picked, with its inputs and values."""
    from checks._src.judge.compare import Comparison

    ones = np.ones(n)
    cmp = Comparison(
        ratio=0.5 * ones,
        worst_element=np.zeros(n, int),
        abs_error=ones,
        rel_error=ones,
        ulp_error=ones,
        tolerance=ones,
        checked=np.ones(n, bool),
        reference_not_finite=np.zeros(n, bool),
        out_of_range=np.zeros(n, bool),
        unbounded=np.zeros(n, bool),
        closed_not_finite=np.zeros(n, bool),
        dtype_limit=np.zeros(n, bool),
        stability_ratio=None,
        stability_element=None,
        stability_checked=None,
    )
    point = np.full((1, size), value)
    points = {
        "xs": [point],
        "strata": [np.zeros(1, np.int32)],
        "c": point + 1,
        "r": point + 2,
        "same_dtype": None,
    }
    return {"cmp": cmp, "index": np.array([0]), "points": points}


def test_one_chunks_kept_points_are_not_copied():
    # A large case is one chunk of one point, gigabytes of inputs and values:
    # the summary reads them where they are.
    tally = summary.Tally()
    chunk = _chunk(1.0)
    tally.add(chunk, 3)
    o, cmp = tally.candidates()
    for key in ("c", "r"):
        assert np.shares_memory(o[key], chunk["points"][key])
    assert np.shares_memory(o["xs"][0], chunk["points"]["xs"][0])
    assert cmp.ratio.tolist() == [0.5]


def test_several_chunks_kept_points_are_joined():
    tally = summary.Tally()
    first, second = _chunk(1.0), _chunk(5.0)
    tally.add(first, 3)
    tally.add(second, 2)
    o, cmp = tally.candidates()
    assert o["c"][:, 0].tolist() == [2.0, 6.0]
    assert o["xs"][0][:, 0].tolist() == [1.0, 5.0]
    assert not np.shares_memory(o["c"], first["points"]["c"])
    assert cmp.ratio.tolist() == [0.5, 0.5]
