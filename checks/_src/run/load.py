"""Finding derivations: a ``.py`` file, an importable module, or the catalog."""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import pkgutil
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

from checks._src.declare.declare import DeclarationError, Derivation
from checks._src.declare.register import derivations_in
from checks._src.evaluate.precision import in_numerics
from checks._src.run import caches

__all__ = ["LoadError", "load_catalog", "load_file", "load_targets"]

CATALOG_MODULE = "derivations"


class LoadError(Exception):
    """A target could not be loaded; the message says which and why, in one line."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _evict_shadowed_modules(folder: Path) -> None:
    """Forget the imported user modules that a module of ``folder`` shadows, so
    that this target's ``import helpers`` finds its own ``helpers.py``, not the
    one a target in another folder imported first (``sys.modules`` would hand
    that back). The targets already loaded keep theirs: their functions hold
    their own globals. Modules of Python and of installed packages stay."""
    try:
        local = {
            p.stem if p.suffix == ".py" else p.name
            for p in folder.iterdir()
            if p.suffix == ".py" or (p / "__init__.py").is_file()
        }
    except OSError:
        return
    for name in list(sys.modules):
        top = name.split(".")[0]
        if top not in local or top in _PROTECTED:
            continue
        file = getattr(sys.modules[name], "__file__", None)
        if not file or _inside(file, folder) or _library(file):
            continue
        del sys.modules[name]


def _inside(file: str, folder: Path) -> bool:
    try:
        return Path(file).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


_PROTECTED = {"checks", CATALOG_MODULE}


@caches.register
@functools.cache
def _library_folders() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple(
        Path(paths[k]).resolve() for k in ("stdlib", "platstdlib") if k in paths
    )


def _library(file: str) -> bool:
    """A file of Python or of an installed package (a virtual environment may lie
    in the target's folder)."""
    parts = Path(file).parts
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return any(_inside(file, root) for root in _library_folders())


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"_derivations_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = path.resolve().parent
    _evict_shadowed_modules(folder)
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


@in_numerics
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


@in_numerics
def load_file(path: Path) -> list[Derivation]:
    """The derivations one ``.py`` file declares, in order; none is not an error
    (a file a test runner's file pattern matched may declare nothing)."""
    return _collect(_import_file(path))


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


@in_numerics
def load_targets(targets: list[str]) -> list[Derivation]:
    """All derivations of all targets, in order; the catalog when none is given."""
    if not targets:
        return load_catalog()
    found: list[Derivation] = []
    for t in targets:
        found.extend(load_target(t))
    return found


@in_numerics
def load_catalog() -> list[Derivation]:
    """The built-in catalog of the documents' derivations."""
    return load_target(CATALOG_MODULE)
