"""A case too large for memory is an error before it runs, not a killed process."""

from __future__ import annotations

import jax.numpy as jnp

import checks
from checks import case, domain


def _energy(W):
    return jnp.sum(jnp.tanh(W) ** 2)


def _energy_hessian(W):
    return jnp.zeros(W.shape + W.shape)


def _energy_grad(W):
    return 2 * jnp.tanh(W) * (1 - jnp.tanh(W) ** 2)


def test_a_case_larger_than_the_memory_available_is_an_error(monkeypatch):
    # a Hessian of a 30 × 30 input: 810,000 elements, 8 × 6 bytes each at least
    monkeypatch.setattr(case, "available_memory", lambda device: 30 * 2**20)
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
    monkeypatch.setattr(case, "available_memory", lambda device: 30 * 2**20)
    result = checks.verify(
        _energy_grad, of=_energy, wrt="W", inputs={"W": domain.real((30, 30))}
    )
    assert result.status == "pass"


def test_the_host_memory_can_be_read():
    import jax

    free = case.available_memory(jax.devices("cpu")[0])
    assert free is None or free > 0
