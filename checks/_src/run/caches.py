"""One home for what the checker keeps in memory between checks.

Each module-level cache registers itself where it is defined, with
``register``: a ``functools`` cache, a dict or set, or a function that resets
some state. ``clear()`` empties every
registered one, so a notebook or a test starts fresh with one call
(``checks.clear_caches``).

Two lifetimes:

- ``"process"`` (the default): kept for the life of the process, across runs — compiled
  programs (``checks._src.evaluate.case_program``,
  ``checks._src.evaluate.claim_sampled``), lowered forms
  (``checks._src.declare.forms``), per-dtype constants of the rounding-error rules. Each
  is keyed on what its functions compute now (``checks._src.store.identity``), so an
  edit is never served a stale entry; clearing them only costs recompilation.
- ``"run"``: forgotten at the start of every run (``verify``, ``check_all``) —
  traces (``checks._src.evaluate.on_host``) and what each function was found to compute
  (``checks._src.store.identity``), which read a function's globals once per run.

Clearing changes no key: an entry made after ``clear()`` is the one that would
have been made in a fresh process.

Examples:
    >>> from checks import caches
    >>> kept = caches.register({}, lifetime="run")
    >>> kept["x"] = 1
    >>> caches.clear("run")
    >>> kept
    {}
    >>> caches.unregister(kept)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, TypeVar, runtime_checkable

__all__ = ["LIFETIMES", "Lifetime", "clear", "register", "registered", "unregister"]

Lifetime = Literal["process", "run"]
LIFETIMES: tuple[Lifetime, ...] = ("process", "run")


@runtime_checkable
class _FunctoolsCache(Protocol):
    def cache_clear(self) -> None: ...


@runtime_checkable
class _Container(Protocol):
    def clear(self) -> None: ...


Cache = TypeVar("Cache")

# (cache, lifetime), in registration order; cleared in that order.
_REGISTRY: list[tuple[object, Lifetime]] = []


def register(cache: Cache, *, lifetime: Lifetime = "process") -> Cache:
    """Register ``cache`` to be emptied by ``clear``; returns it unchanged, so it
    can decorate a ``functools`` cache or wrap a dict where it is defined.

    Args:
        cache: something with ``cache_clear()`` (a ``functools.cache`` or
            ``lru_cache`` function), with ``clear()`` (a dict, set,
            ``WeakKeyDictionary``), or else a function of no arguments that
            resets some state.
        lifetime: ``"process"`` (kept across runs) or ``"run"`` (forgotten at
            the start of each run).

    Returns:
        ``cache`` itself.

    Raises:
        ValueError: ``lifetime`` is not one of ``LIFETIMES``.
        TypeError: ``cache`` cannot be cleared (none of the three above).

    Examples:
        >>> import functools
        >>> from checks import caches
        >>> @caches.register
        ... @functools.cache
        ... def square(x):
        ...     return x * x
        >>> square(3), square.cache_info().currsize
        (9, 1)
        >>> caches.clear()
        >>> square.cache_info().currsize
        0
        >>> caches.unregister(square)
    """
    if lifetime not in LIFETIMES:
        raise ValueError(f"lifetime must be one of {LIFETIMES}, got {lifetime!r}")
    if not (isinstance(cache, (_FunctoolsCache, _Container)) or callable(cache)):
        raise TypeError(f"cannot clear a {type(cache).__name__}")
    if not any(kept is cache for kept, _ in _REGISTRY):
        _REGISTRY.append((cache, lifetime))
    return cache


def unregister(cache: object) -> None:
    """Stop clearing ``cache`` (a cache that is itself thrown away).

    Args:
        cache: a registered cache; one that is not registered is ignored.

    Examples:
        >>> from checks import caches
        >>> kept = caches.register(set())
        >>> caches.unregister(kept)
        >>> any(c is kept for c, _ in caches.registered())
        False
    """
    _REGISTRY[:] = [(c, lt) for c, lt in _REGISTRY if c is not cache]


def registered() -> tuple[tuple[object, Lifetime], ...]:
    """Every registered cache with its lifetime, in registration order.

    Returns:
        ``(cache, lifetime)`` pairs.

    Examples:
        >>> import checks
        >>> from checks import caches
        >>> {lifetime for _, lifetime in caches.registered()} == {"process", "run"}
        True
    """
    return tuple(_REGISTRY)


def _clear_one(cache: object) -> None:
    if isinstance(cache, _FunctoolsCache):
        cache.cache_clear()
    elif isinstance(cache, _Container):
        cache.clear()
    else:
        reset: Callable[[], object] = cache  # type: ignore[assignment]
        reset()


def clear(lifetime: Lifetime | None = None) -> None:
    """Empty every registered cache of ``lifetime`` (all of them when None).

    Args:
        lifetime: ``"run"`` at the start of a run; None for a fresh start, as
            in a new process.

    Raises:
        ValueError: ``lifetime`` is not None or one of ``LIFETIMES``.

    Examples:
        >>> from checks import caches
        >>> caches.clear()
        >>> caches.clear("run")
    """
    if lifetime is not None and lifetime not in LIFETIMES:
        raise ValueError(f"lifetime must be one of {LIFETIMES}, got {lifetime!r}")
    for cache, kept_for in list(_REGISTRY):
        if lifetime is None or kept_for == lifetime:
            _clear_one(cache)
