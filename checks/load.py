"""Finding derivations: a ``.py`` file, an importable module, or the catalog."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

from checks.declare import DeclarationError, Derivation, derivations_in

__all__ = ["LoadError", "load_catalog", "load_targets"]

CATALOG_MODULE = "derivations"


class LoadError(Exception):
    """A target could not be loaded; the message says which and why, in one line."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# Modules a target file imported from its own folder: folder -> module names.
_NEIGHBOURS: dict[Path, set[str]] = {}


def _evict_neighbours_of_other_folders(folder: Path) -> None:
    """Forget the modules other targets imported from their folders, so that this
    target's ``import helpers`` finds its own ``helpers.py``, not the one a target
    in another folder imported first (``sys.modules`` would hand that back). The
    targets already loaded keep theirs: their functions hold their own globals."""
    for other, names in _NEIGHBOURS.items():
        if other == folder:
            continue
        for name in names:
            sys.modules.pop(name, None)


def _inside(file: str | None, folder: Path) -> bool:
    if not file:
        return False
    try:
        return Path(file).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def _record_neighbours(folder: Path, before: set[str]) -> None:
    """Remember the modules just imported from ``folder`` (outside any installed
    package found there, such as this project when a target sits at its root)."""
    names = _NEIGHBOURS.setdefault(folder, set())
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        top = name.split(".")[0]
        if name.startswith("_derivations_") or top in _PROTECTED or top in before:
            continue  # a submodule of a package imported before: not a neighbour
        file = getattr(module, "__file__", None)
        if _inside(file, folder) and not _installed(file):
            names.add(name)


_PROTECTED = {"checks", CATALOG_MODULE}


def _installed(file: str) -> bool:
    """A file of an installed package (a virtual environment may lie in the
    target's folder)."""
    parts = Path(file).parts
    return "site-packages" in parts or "dist-packages" in parts


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"_derivations_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = path.resolve().parent
    _evict_neighbours_of_other_folders(folder)
    before = set(sys.modules)
    sys.modules[name] = module
    # Let the file import its neighbours, as `python file.py` would.
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    except DeclarationError as exc:
        del sys.modules[name]
        raise LoadError(f"{path}: {exc}") from None
    except KeyboardInterrupt:
        del sys.modules[name]
        raise
    except BaseException as exc:
        del sys.modules[name]
        raise LoadError(f"{path}: failed to import: {_describe(exc)}") from None
    finally:
        sys.path.pop(0)
        _record_neighbours(folder, before)
    return module


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise LoadError(f"{name}: no such file or importable module") from None
        raise LoadError(f"{name}: failed to import: {_describe(exc)}") from None
    except DeclarationError as exc:
        raise LoadError(f"{name}: {exc}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise LoadError(f"{name}: failed to import: {_describe(exc)}") from None


def _collect(module: ModuleType) -> list[Derivation]:
    """A module's derivations; for a package without ``CATALOG``, its submodules'."""
    try:
        found = derivations_in(module)
    except DeclarationError as exc:
        raise LoadError(f"{module.__name__}: {exc}") from None
    if found or not hasattr(module, "__path__") or hasattr(module, "CATALOG"):
        return found
    for info in pkgutil.iter_modules(module.__path__, module.__name__ + "."):
        found.extend(_collect(_import_module(info.name)))
    return found


def load_target(target: str) -> list[Derivation]:
    """The derivations one target declares: a path to a .py file, a folder (its
    .py files), or a module (``good`` also finds ``good.py`` in the current
    folder)."""
    path = Path(target)
    if path.is_dir() and (
        os.sep in target or "/" in target or not (path / "__init__.py").is_file()
    ):
        return _load_folder(path)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise LoadError(f"{target}: no such file")
        module = _import_file(path)
    else:
        try:
            module = _import_module(target)
        except LoadError:
            beside = Path(target.replace(".", "/") + ".py")
            if not beside.is_file():
                raise
            module = _import_file(beside)
    found = _collect(module)
    if not found:
        raise LoadError(f"{target}: declares no derivations (use @checks.derivation)")
    return found


def _load_folder(folder: Path) -> list[Derivation]:
    """The derivations of every .py file directly in ``folder``, by file name."""
    files = sorted(p for p in folder.glob("*.py") if p.is_file())
    if not files:
        raise LoadError(f"{folder}: a folder with no .py files")
    found: list[Derivation] = []
    for file in files:
        found.extend(_collect(_import_file(file)))
    if not found:
        raise LoadError(
            f"{folder}: none of its .py files declares a derivation "
            "(use @checks.derivation)"
        )
    return found


def load_targets(targets: list[str]) -> list[Derivation]:
    """All derivations of all targets, in order; the catalog when none is given."""
    if not targets:
        return load_catalog()
    found: list[Derivation] = []
    for t in targets:
        found.extend(load_target(t))
    return found


def load_catalog() -> list[Derivation]:
    """The built-in catalog of the documents' derivations."""
    return load_target(CATALOG_MODULE)
