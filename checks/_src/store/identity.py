"""What a function computes now, as a key for what is kept in this process.

A compiled check is kept for reuse within a process
(``checks._src.evaluate.case_program``, ``checks._src.evaluate.claim_sampled``). Kept
under the function object alone, it would outlive an edit that leaves the object in
place: a global the function reads (``SCALE = 4`` in a notebook cell), a helper in
another module reloaded. So it is kept under ``computes(fn, avals)``: the function's
code digest (``checks._src.store.digest``), or where it has none, the digest of its
jaxpr at those shapes (traced once per run, ``checks._src.evaluate.on_host.traced``),
holding every constant it read. A function whose jaxpr cannot say what it computes (a
callback into Python) gets a key no later call matches: it is traced and compiled again
every time.

When a function's key changes, JAX's own caches (which keep the traces of
jitted functions under the function object too) are cleared, so a ``jax.jit``
helper it calls is traced again as well.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np
from jax.extend import core

from checks._src.evaluate import on_host
from checks._src.run import caches
from checks._src.store.digest import code_digest

__all__ = ["computes", "jaxpr_digest"]

# Marks of a jaxpr whose text does not say everything it computes: a Python
# object named by address, a derivative rule kept as Python code, a callback.
OPAQUE = (" at 0x", "custom_jvp_call", "custom_vjp_call", "callback")

# The last key of each function at each shapes: a change clears JAX's caches.
_LAST: weakref.WeakKeyDictionary[Any, dict[Any, str]] = weakref.WeakKeyDictionary()


# Within one run (cleared at its start, ``checks._src.run.caches``) a function computes
# what it did when first asked: each is read once per run, however many programs
# it is part of. ``_LAST`` is not a cache: it is how an edit is noticed.
_RUN: dict[tuple[int, Any], tuple[Any, Any]] = caches.register({}, lifetime="run")


def _update_with_values(h: Any, values: Iterable[Any]) -> None:
    for value in values:
        a = np.asarray(value)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())


def _sub_jaxprs(params: dict[str, Any]) -> Iterable[Any]:
    for v in params.values():
        for item in v if isinstance(v, (tuple, list)) else (v,):
            if isinstance(item, (core.ClosedJaxpr, core.Jaxpr)):
                yield item


def jaxpr_digest(closed: Any, opaque: tuple[str, ...] = OPAQUE) -> str | None:
    """SHA-256 of a closed jaxpr's text and of every constant and literal in it;
    None when its text holds one of ``opaque`` (it does not say everything it
    computes)."""
    text = str(closed)
    if any(marker in text for marker in opaque):
        return None
    h = hashlib.sha256(text.encode())
    stack = [closed]
    while stack:
        item = stack.pop()
        if isinstance(item, core.ClosedJaxpr):
            _update_with_values(h, item.consts)
            item = item.jaxpr
        for eqn in item.eqns:
            literals = [v.val for v in eqn.invars if isinstance(v, core.Literal)]
            _update_with_values(h, literals)
            stack.extend(_sub_jaxprs(eqn.params))
    return h.hexdigest()


def _key(fn: Any, avals: tuple[Any, ...] | None) -> Any:
    code = code_digest(fn)
    if code is not None:
        return code
    if avals is None:
        return object()
    try:
        closed = on_host.traced(fn, avals)
    except Exception:  # the check itself reports why it cannot be traced
        return object()
    # Within one process an address names the same object: only a callback, or
    # a derivative rule the code digest could not read, leaves it unknown.
    digest = jaxpr_digest(closed, ("custom_jvp_call", "custom_vjp_call", "callback"))
    return object() if digest is None else digest


def computes(fn: Any, avals: tuple[Any, ...] | None) -> Any:
    """A hashable key equal for two calls exactly when ``fn`` computes the same
    at the shapes and dtypes ``avals`` (``jax.ShapeDtypeStruct`` or arrays);
    ``avals`` None: ``fn`` is not traced, and has a key only if it has a code
    digest."""
    shapes = None if avals is None else tuple((a.shape, str(a.dtype)) for a in avals)
    memo = _RUN.get((id(fn), shapes))
    if memo is not None and memo[0] is fn:
        return memo[1]
    key = _key(fn, avals)
    _RUN[id(fn), shapes] = (fn, key)
    if not isinstance(key, str):
        return key
    try:
        seen = _LAST.setdefault(fn, {})
    except TypeError:  # not weakly referable: cannot tell that it changed
        return key
    last, seen[shapes] = seen.get(shapes), key
    if last is not None and last != key:
        import jax

        jax.clear_caches()  # a jitted helper's trace would be stale too
    return key
