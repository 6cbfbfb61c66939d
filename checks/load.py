"""Finding derivations: a ``.py`` file, an importable module, or the catalog."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
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


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"_derivations_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # Let the file import its neighbours, as `python file.py` would.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except DeclarationError as exc:
        del sys.modules[name]
        raise LoadError(f"{path}: {exc}") from None
    except BaseException as exc:
        del sys.modules[name]
        raise LoadError(f"{path}: failed to import: {_describe(exc)}") from None
    finally:
        sys.path.pop(0)
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
    """The derivations one target declares (a path to a .py file or a module)."""
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise LoadError(f"{target}: no such file")
        module = _import_file(path)
    else:
        module = _import_module(target)
    found = _collect(module)
    if not found:
        raise LoadError(f"{target}: declares no derivations (use @checks.derivation)")
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
