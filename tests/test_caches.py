"""One home for what the checker keeps in memory: ``checks._src.run.caches`` and
``checks.clear_caches``."""

import functools
import importlib
import pkgutil

import pytest

import checks
from checks._src.declare import forms
from checks._src.evaluate import case_program, claim_sampled, on_host
from checks._src.run import caches
from checks._src.store import identity
from tests.examples import bce_grad_beta, bce_grad_beta_sign_flipped


def _all_modules() -> list:
    return [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(checks.__path__, "checks.")
        if not m.name.endswith("__main__")
    ]


def _size(cache: object) -> int | None:
    """Entries held by a cache, None for a reset function."""
    if hasattr(cache, "cache_info"):
        return cache.cache_info().currsize
    if hasattr(cache, "__len__"):
        return len(cache)
    return None


def test_every_functools_cache_of_the_checker_is_registered():
    modules = _all_modules()
    registered = {id(c) for c, _ in caches.registered()}
    missing = [
        f"{module.__name__}.{name}"
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, functools._lru_cache_wrapper)
        and value.__module__ == module.__name__
        and id(value) not in registered
    ]
    assert not missing, f"not registered with checks._src.run.caches: {missing}"


def test_the_kept_programs_and_run_traces_are_registered():
    lifetimes = {id(c): lt for c, lt in caches.registered()}
    for kept in (case_program._PROGRAMS, claim_sampled._PROGRAMS, forms._LOWERED):
        assert lifetimes[id(kept)] == "process"
    for traces in (on_host._TRACES, on_host._SIDES, identity._RUN):
        assert lifetimes[id(traces)] == "run"


def test_clear_caches_empties_every_cache_after_a_check():
    checks.verify(bce_grad_beta, samples=64, engine="xla")
    assert case_program._PROGRAMS and identity._RUN  # something was kept
    checks.clear_caches()
    held = {id(c): _size(c) for c, _ in caches.registered()}
    assert all(size in (None, 0) for size in held.values())


def test_a_run_clears_only_the_run_caches():
    checks.verify(bce_grad_beta, samples=64, engine="xla")
    programs = dict(case_program._PROGRAMS)
    caches.clear("run")
    assert not identity._RUN and not on_host._TRACES
    assert case_program._PROGRAMS == programs  # compiled checks outlive a run


def test_verdicts_are_the_same_after_clearing_both_ways():
    for _ in range(2):
        assert checks.verify(bce_grad_beta, samples=200).status == "pass"
        assert checks.verify(bce_grad_beta_sign_flipped, samples=200).outcome == "fail"
        checks.clear_caches()


def test_clearing_inside_an_engine_block_keeps_its_engine():
    with on_host.engine("xla"):
        assert on_host.current() == "xla"
        checks.clear_caches()
        assert on_host.current() == "xla"
    assert on_host.current() == "auto"
    with on_host.engine("xla"):
        assert on_host.current() == "xla"
    assert on_host.current() == "auto"


def test_register_clears_each_kind_and_keeps_its_lifetime():
    @functools.cache
    def memo(x):
        return x

    table: dict = {}
    seen: set = set()
    resets: list = []
    try:
        assert caches.register(memo) is memo
        caches.register(table, lifetime="run")
        caches.register(seen)
        caches.register(lambda: resets.append(1))
        caches.register(table, lifetime="run")  # twice: still once
        memo(1)
        table["a"] = 1
        seen.add(1)
        caches.clear("process")
        assert memo.cache_info().currsize == 0 and not seen and resets == [1]
        assert table == {"a": 1}  # a run cache outlives a process-only clear
        caches.clear("run")
        assert table == {}
        assert sum(c is table for c, _ in caches.registered()) == 1
    finally:
        for cache, _ in caches.registered()[-4:]:
            caches.unregister(cache)
    assert not any(c is table for c, _ in caches.registered())


def test_bad_registrations_are_refused():
    with pytest.raises(ValueError, match="lifetime must be one of"):
        caches.register({}, lifetime="forever")
    with pytest.raises(ValueError, match="lifetime must be one of"):
        caches.clear("forever")
    with pytest.raises(TypeError, match="cannot clear a int"):
        caches.register(3)
