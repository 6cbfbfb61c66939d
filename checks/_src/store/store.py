"""Reusing the results of entries that have not changed since the last run.

A check is deterministic: the same closed form, reference, domains, sizes, seed,
sample count, dtypes, device kind, checker and JAX versions give the same
verdict, counterexample and report. So a result is stored under a fingerprint of
all of these, and a later run that computes the same fingerprint reads it back
instead of compiling and evaluating again.

The fingerprint is a SHA-256 over:

- the checker itself: the bytes of every module of ``checks``, and the versions
  of Python, JAX, jaxlib and NumPy;
- the run: samples, seed, dtypes, device kinds and how many share the points,
  whether mutants are scored, and how long a one-edit repair is searched for;
- the entry's declaration: every field that is not a function (name, source,
  expectation, sizes, stated values, tolerances…), and every domain's kind,
  shape, strata and arguments;
- the source file of each of the entry's functions (the report quotes it in a
  reproduction, and mutants are made from it);
- what the functions compute, and what else changes numerics: each function's code and
  everything it refers to, read by ``checks._src.store.digest`` (helpers in other
  modules, through the wrappers JAX makes and an empty ``functools.cache``, constants by
  their bytes, a ``custom_jvp`` rule; libraries by name and version; a package imported
  in a function's body by its installed version and its requirements', so a
  printed-output, bound or count claim is keyed without running its code), and the
  shapes and dtypes it is called with; the same for every custom or fixed domain's
  sampler; JAX's flags, ``XLA_FLAGS`` and the ``JAX_*`` environment variables
  (``checks._src.store.digest.config_digest``);
- where ``checks._src.store.digest`` cannot read a function (it refers to an object of a
  user's class, say, or reads the environment or a file while traced), its jaxpr
  as the check traces it at every size and dtype checked, with the bytes of
  every constant and literal in it.

A jaxpr that cannot say everything it computes makes the entry not reusable
(computed every time): one that refers to a Python object by address, holds a
``custom_jvp``/``custom_vjp`` call (its derivative rule is Python code the jaxpr
does not show) or a callback. Results with an error are never stored.

A result is stored as JSON (``checks._src.store.stored``) with its key and a SHA-256 of
both, in a directory only the user can write to (``checks._src.store.paths``); a file
that is anything else is treated as absent, and overwritten. Nothing read is executed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np

from checks._src.declare.claim_record import UNSAMPLED
from checks._src.evaluate import on_host
from checks._src.evaluate.blocks import shard_devices
from checks._src.evaluate.case_static import example_args
from checks._src.evaluate.printed import missing_requirement
from checks._src.report.result import DerivationResult
from checks._src.run import caches
from checks._src.store import stored
from checks._src.store.digest import code_digest, config_digest
from checks._src.store.identity import jaxpr_digest
from checks._src.store.paths import trusted_cache_dir

__all__ = ["fingerprint", "load", "save"]


@caches.register
@functools.cache
def _checker_digest() -> str:
    h = hashlib.sha256()
    h.update(package_digest(Path(__file__).resolve().parents[2]).encode())
    import jaxlib

    versions = (sys.version, jax.__version__, jaxlib.__version__, np.__version__)
    h.update(repr(versions).encode())
    return h.hexdigest()


def package_digest(package: Path) -> str:
    """SHA-256 of every ``.py`` file below ``package`` (``checks/``: its public
    files and every stage of ``_src``), each with its path relative to it."""
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _file_digest(filename: str) -> str | None:
    try:
        return hashlib.sha256(Path(filename).read_bytes()).hexdigest()
    except OSError:
        return None


def _source_digest(fn: Any) -> str | None:
    code = getattr(getattr(fn, "__wrapped__", fn), "__code__", None)
    filename = getattr(code, "co_filename", None)
    return _file_digest(filename) if filename else None


def _aval_key(args: Sequence[Any]) -> tuple[Any, ...]:
    return tuple((tuple(a.shape), str(a.dtype)) for a in args)


def _traced_digest(fn: Any, avals: tuple[Any, ...]) -> str | None:
    args = [jax.ShapeDtypeStruct(shape, dtype) for shape, dtype in avals]
    try:
        return jaxpr_digest(on_host.traced(fn, tuple(args)))
    except Exception:  # the check itself reports why it cannot be traced
        return None


def _domain_digest(dom: Any, n: int, dims: dict[str, int], dtype: Any) -> str | None:
    text = dom.key_text()
    if dom.self_describing:
        return text
    code = code_digest(dom.draw)
    if code is not None:
        return text + code
    try:  # the trace NumPy evaluates too: traced once per run
        closed = on_host.sampler_jaxpr(dom, n, dims, dtype)
    except Exception:
        return None
    digest = jaxpr_digest(closed)
    return None if digest is None else text + digest


def _functions(entry: Any) -> list[Any]:
    if entry.kind == "claim":
        return [entry.fn]
    if entry.kind == "rule":  # the primal and the rule's own functions
        fn = entry.fn
        rules = [fn.fwd, fn.bwd] if entry.form == "vjp" else [fn.jvp]
        return [entry.of, *(r for r in rules if r is not None)]
    return [entry.closed_form, entry.of]


def fingerprint(
    entry: Any,
    *,
    samples: int,
    seed: int,
    dtypes: Sequence[str],
    devices: Sequence[Any],
    mutants: bool,
    shards: int | None = None,
    memo: dict[Any, str | None] | None = None,
    repair: float | None = None,
) -> str | None:
    """The key of ``entry``'s result for this run, or None if it cannot be reused.

    ``memo`` shares the traces of functions common to several entries within one
    run (never across runs: a function reads its globals when it is traced).
    """
    memo = {} if memo is None else memo
    h = hashlib.sha256(_checker_digest().encode())
    run = (
        samples,
        seed,
        tuple(dtypes),
        mutants,
        *(() if repair is None else (("repair", repair),)),
        jax.config.jax_enable_x64,
        on_host.current(),
    )
    kinds = [
        (d.platform, getattr(d, "device_kind", ""), len(shard_devices(d, shards)))
        for d in devices
    ]
    h.update(repr((run, kinds, type(entry).__name__)).encode())
    for f in dataclasses.fields(entry):
        value = getattr(entry, f.name)
        if f.name == "inputs" or callable(value):
            continue
        h.update(f"{f.name}={value!r};".encode())
    if "config" not in memo:  # the same for every entry of a run
        memo["config"] = config_digest()
    h.update(memo["config"].encode())
    functions = _functions(entry)
    for fn in functions:
        h.update(repr(_source_digest(fn)).encode())
    codes = []  # what each function computes, read from its code where it can be
    for fn in functions:
        code_key = ("code", fn)
        if code_key not in memo:
            memo[code_key] = code_digest(fn)
        codes.append(memo[code_key])
        h.update(repr(codes[-1]).encode())
    claim = entry.kind == "claim"
    if claim and entry.requires:  # installed or not: a result of each kind
        h.update(repr(missing_requirement(entry.requires)).encode())
    case_dtypes = ["float64"] if claim else list(dtypes)
    cases = [{}] if claim and entry.form in UNSAMPLED else list(entry.dims_cases())
    for dims in cases:
        for dt in case_dtypes:
            try:
                args = example_args(entry, dims, dt)
            except Exception:
                return None
            h.update(repr(_aval_key(args)).encode())
            for fn, code in zip(functions, codes):
                if code is not None:  # its code says what it computes: no trace
                    continue
                trace_key = (fn, _aval_key(args))
                if trace_key not in memo:
                    memo[trace_key] = _traced_digest(*trace_key)
                digest = memo[trace_key]
                if digest is None:
                    return None
                h.update(digest.encode())
            for name, dom in entry.inputs.items():
                kind = dt if dom.floating else "int32"
                digest = _domain_digest(dom, samples, dims, kind)
                if digest is None:
                    return None
                h.update(f"{name}:{digest};".encode())
    return h.hexdigest()


_FORMAT = "derivation-checker result 2"
_MAX_BYTES = 1 << 24  # a stored result is a few KiB; a larger file is not one
_FIELDS = {"format", "key", "sha256", "result"}
_KEY = re.compile(r"[0-9a-f]{64}")


def _canonical(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode()


def _checksum(key: str, data: Any) -> str:
    return hashlib.sha256(key.encode() + b"\x00" + _canonical(data)).hexdigest()


def _path(key: str) -> Path | None:
    if not _KEY.fullmatch(key):
        return None
    folder = trusted_cache_dir("results", key[:2])
    return None if folder is None else folder / f"{key}.json"


def _read(path: Path) -> bytes:
    """The file's bytes, not following a symbolic link, at most ``_MAX_BYTES``."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        data = f.read(_MAX_BYTES + 1)
    if len(data) > _MAX_BYTES:
        raise ValueError("too large")
    return data


def load(key: str) -> DerivationResult | None:
    """The stored result under ``key``, or None: when there is none, or the file
    is anything but one written by ``save`` under this key (its format, schema
    and checksum are all checked; nothing in it is executed)."""
    path = _path(key)
    if path is None:
        return None
    try:
        data = json.loads(_read(path))
        if not isinstance(data, dict) or set(data) != _FIELDS:
            return None
        if data["format"] != _FORMAT or data["key"] != key:
            return None
        if data["sha256"] != _checksum(key, data["result"]):
            return None
        result = stored.from_plain(data["result"])
    except (OSError, ValueError, RecursionError):  # absent, corrupt or edited
        return None
    result.reused = True
    return result


def save(key: str, result: DerivationResult) -> None:
    """Store ``result`` under ``key`` unless it holds an error or was skipped (a
    requirement installed later must check it; best effort; an invalid file there
    is replaced)."""
    if result.outcome in ("error", "skipped"):
        return
    path = _path(key)
    if path is None:
        return
    try:
        plain = stored.to_plain(result)
        data = {
            "format": _FORMAT,
            "key": key,
            "sha256": _checksum(key, plain),
            "result": plain,
        }
        text = _canonical(data)
    except (TypeError, ValueError):  # a value JSON cannot hold: not stored
        return
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as f:
            f.write(text)
        os.replace(f.name, path)
    except OSError:
        pass
