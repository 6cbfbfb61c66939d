"""What a function imports in its own body, and the installed packages that key it.

``from sklearn import datasets`` inside a function leaves no global for
``checks._src.store.digest`` to read: what the function computes then depends on the
package it imports when it runs. Two readings, neither of which imports or runs
anything:

- ``local_imports(code, package)``: the absolute name of every module the code
  (and the functions, lambdas and comprehensions defined in it) imports, read
  from its ``IMPORT_NAME`` instructions, a relative import resolved against
  ``package``;
- ``package_versions(top)``: the installed distribution that provides the
  top-level module ``top`` (the one ``import top`` would load: its
  ``__init__.py`` or ``top.py`` is a file its ``RECORD`` lists) with its version,
  and every distribution it requires, transitively, with theirs (a requirement
  not installed as ``None``); ``None`` when no installed distribution provides
  ``top`` that way (a module of the user's, an editable install: its code can
  change without a new version, so it is not keyed by one). It is read again
  once ``sys.path`` or a folder on it changes (a package installed, upgraded
  or removed while a notebook runs).

A package's code and data (scikit-learn's bundled iris set) change only with
its version, as for the libraries in ``checks._src.store.digest``. Sources: the ``dis``
documentation (``IMPORT_NAME``: its argument is the name, the two constants
before it the level and the from-list) and ``importlib.metadata`` (PEP 566
metadata, ``RECORD`` of PEP 376/627).
"""

from __future__ import annotations

import dis
import functools
import importlib.util
import os
import re
import sys
import types
from importlib import metadata
from pathlib import Path

from checks._src.run import caches

__all__ = ["local_imports", "package_versions"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_IMPORT_NAME = dis.opmap["IMPORT_NAME"]


def local_imports(code: types.CodeType, package: str | None) -> tuple[str, ...]:
    """The absolute names of the modules ``code`` imports, in order, each once."""
    names: dict[str, None] = {}
    for name, level in _imports(code):
        if level:
            try:
                name = importlib.util.resolve_name("." * level + name, package)
            except (ImportError, ValueError):
                name = "." * level + name  # cannot resolve: kept as written
        names[name] = None
    return tuple(names)


@caches.register
@functools.lru_cache(maxsize=4096)
def _imports(code: types.CodeType) -> tuple[tuple[str, int], ...]:
    found = []
    consts: list[object] = []
    # Every instruction is two bytes, its opcode first: most code imports nothing,
    # and is not disassembled.
    imports = _IMPORT_NAME in code.co_code[::2]
    for ins in dis.get_instructions(code) if imports else ():
        if ins.opname == "IMPORT_NAME":
            level = consts[-2] if len(consts) >= 2 else 0
            found.append((ins.argval, level if isinstance(level, int) else 0))
        loads_constant = ins.opname in ("LOAD_CONST", "LOAD_SMALL_INT")  # 3.14
        consts = [*consts, ins.argval] if loads_constant else []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += _imports(const)
    return tuple(found)


def _normal(name: str) -> str:
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _origin(top: str) -> Path | None:
    """The file ``import top`` loads, found without importing it."""
    spec = importlib.util.find_spec(top)
    origin = getattr(spec, "origin", None)
    return Path(origin).resolve() if origin and origin != "built-in" else None


def _provides(dist: metadata.Distribution, origin: Path) -> bool:
    """Whether ``dist`` installed the file ``origin`` (a line of its RECORD)."""
    try:
        relative = origin.relative_to(Path(dist.locate_file("")).resolve())
    except ValueError:
        return False
    record = dist.read_text("RECORD") or ""
    return f"\n{relative.as_posix()}," in f"\n{record}"


@caches.register
@functools.lru_cache(maxsize=1)
def _installed(stamp: tuple[tuple[str, int | None], ...]) -> dict[str, list[str]]:
    """Top-level module -> distributions, from every distribution's RECORD, as
    installed when ``sys.path`` had ``stamp`` (``_path_stamp``)."""
    return metadata.packages_distributions()


def _distribution(
    top: str, origin: Path, stamp: tuple[tuple[str, int | None], ...]
) -> metadata.Distribution | None:
    from checks._src.evaluate.printed import (
        INSTALL,  # the names installers know packages by
    )

    named = (INSTALL.get(top, top), top, top.replace("_", "-"))
    for candidate in dict.fromkeys(named):
        try:
            dist = metadata.distribution(candidate)
        except metadata.PackageNotFoundError:
            continue
        if _provides(dist, origin):
            return dist
    # Every distribution's RECORD read: slower (about half a second), rare.
    for candidate in _installed(stamp).get(top, ()):
        try:
            dist = metadata.distribution(candidate)
        except metadata.PackageNotFoundError:
            continue
        if _provides(dist, origin):
            return dist
    return None


def _requirements(requires: list[str]) -> list[str]:
    """The names of what a distribution requires unconditionally or by a marker
    other than an extra (an extra is installed on request, not by default)."""
    names = []
    for text in requires:
        _, _, marker = text.partition(";")
        match = _NAME.match(text.strip())
        if match and "extra" not in marker:
            names.append(match.group())
    return names


def package_versions(top: str) -> tuple[tuple[str, str | None], ...] | None:
    """``(distribution, version)`` of the package ``import top`` loads and of
    everything it requires, transitively, sorted; ``()`` when ``top`` is not
    installed; None when it is, but not as a distribution's files in
    site-packages (a module of the user's, an editable install). Read again
    once ``sys.path`` or a folder on it changes (a package installed, upgraded
    or removed while the process runs: a notebook's ``pip install``)."""
    return _package_versions(top, _path_stamp())


def _path_stamp() -> tuple[tuple[str, int | None], ...]:
    """``sys.path`` and when each of its folders last changed: installing,
    upgrading or removing a package adds or removes an entry (its dist-info) in
    the folder it is installed in."""
    stamp = []
    for folder in sys.path:
        try:
            stamp.append((folder, os.stat(folder or ".").st_mtime_ns))
        except (OSError, TypeError, ValueError):
            stamp.append((str(folder), None))
    return tuple(stamp)


@caches.register
@functools.lru_cache(maxsize=256)
def _package_versions(
    top: str, stamp: tuple[tuple[str, int | None], ...]
) -> tuple[tuple[str, str | None], ...] | None:
    origin = _origin(top)
    if origin is None:
        return () if importlib.util.find_spec(top) is None else None
    if not {"site-packages", "dist-packages"} & set(origin.parts):
        return None
    dist = _distribution(top, origin, stamp)
    if dist is None:
        return None
    found: dict[str, str | None] = {}
    todo = [dist]
    while todo:
        fields = todo.pop().metadata  # parsed once: each read parses it again
        name = _normal(fields["Name"] or "")
        if name in found:
            continue
        found[name] = fields["Version"]
        for requirement in _requirements(fields.get_all("Requires-Dist") or []):
            if _normal(requirement) in found:
                continue
            try:
                todo.append(metadata.distribution(requirement))
            except metadata.PackageNotFoundError:
                found[_normal(requirement)] = None
    return tuple(sorted(found.items()))
