"""What a function computes, read from its code without running or tracing it.

``code_digest(fn)`` is a SHA-256 over everything a function's result can depend
on, given its arguments:

- its bytecode, constants, names, defaults and closure cells;
- every global it names, by value: a number, string or array by its bytes; a
  function of the user's by the same digest, recursively (so an edit to a helper
  in another module is seen); a module of the user's by everything in it;
- a library (JAX, NumPy, the standard library…) by the qualified name of what is
  used, since the library's version is part of the checker's own digest, and
  JAX's configuration flags, which change what a traced function computes.

A ``jax.jit`` wrapper is read through to the function it wraps, a wrapper a
library makes at run time (``jax.vmap(f)``, ``jax.grad(f)``,
``jax.checkpoint(f)``) through its closure to ``f``, and a
``jax.custom_jvp``/``custom_vjp`` function with its derivative rule. Anything
else it refers to (an object of a user's class, a bound method…) has no digest
here, nor has code that can read something besides its arguments while traced
(the environment, a file, the clock, unseeded random state, a callback): for
those ``code_digest`` returns None, and the caller traces the function
instead. Tracing is the reference; this is its fast path, taken only when every
object reached is one of the kinds above.

Reading a digest costs microseconds where tracing a function costs milliseconds,
so a run whose results are all stored starts in about the time it takes to
import JAX.
"""

from __future__ import annotations
import __future__

import dis
import functools
import hashlib
import os
import sys
import sysconfig
import types
from typing import Any

import numpy as np

from checks._src.run import caches
from checks._src.store.imports import local_imports, package_versions

__all__ = ["code_digest", "config_digest"]

# Packages whose objects are digested by name: their versions are in the checker's
# digest (or they are part of Python itself).
_LIBRARIES = ("jax", "jaxlib", "numpy", "ml_dtypes", "scipy", "opt_einsum")

# What code can read besides its arguments and its own code while it is traced:
# the environment, files, the clock, unseeded random state, a callback into
# Python. A function that names one (directly, or as an attribute of a module it
# names: ``os.environ``, ``np.random``) has no digest: its trace, which holds
# what was read, is the key; a callback's cannot be, and it is never reused.
_READERS = {
    "builtins": ("open", "input", "eval", "exec", "__import__"),
    "os": ("environ", "environb", "getenv", "getenvb", "putenv", "read", "urandom"),
    "io": ("open", "open_code", "FileIO"),
    "sys": ("stdin",),
    "importlib": ("import_module",),
    "pathlib": ("Path", "PosixPath", "WindowsPath"),
    "numpy": ("load", "loadtxt", "genfromtxt", "fromfile", "fromregex", "memmap"),
    "jax": ("pure_callback",),
    "jax.debug": ("callback",),
    "jax.experimental": ("io_callback",),
}
_READER_MODULES = ("pathlib", "random", "time", "numpy.random", "urllib.request")


_READER_NAMES = frozenset(
    [a for attributes in _READERS.values() for a in attributes]
    + [name.rsplit(".", 1)[-1] for name in _READER_MODULES]
)


def _readers() -> frozenset[int]:
    """The ids of ``_READERS`` and ``_READER_MODULES`` in the modules imported so
    far (code cannot name a reader of a module not imported)."""
    names = [*_READERS, *_READER_MODULES]
    return _readers_in(tuple(name in sys.modules for name in names))


@caches.register
@functools.lru_cache(maxsize=64)
def _readers_in(imported: tuple[bool, ...]) -> frozenset[int]:
    found: list[Any] = []
    for (name, attributes), present in zip(_READERS.items(), imported):
        if present:
            module = sys.modules[name]
            found += [getattr(module, a) for a in attributes if hasattr(module, a)]
    for name, present in zip(_READER_MODULES, imported[len(_READERS) :]):
        if present:
            found.append(sys.modules[name])
    return frozenset(id(obj) for obj in found)  # each kept alive by its module


@caches.register
@functools.lru_cache(maxsize=4096)
def _attributes_of_globals(code: types.CodeType) -> frozenset[tuple[str, str]]:
    """Every ``name.attribute`` the code (and code defined in it) reads, where
    ``name`` is a global or builtin."""
    pairs = set()
    previous = None
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and previous is not None:
            pairs.add((previous, ins.argval))
        previous = ins.argval if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") else None
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            pairs |= _attributes_of_globals(const)
    return frozenset(pairs)


def _reads_outside(fn: types.FunctionType, names: set[str]) -> bool:
    """Whether ``fn``'s code names a reader, or a module's attribute that is one."""
    readers = _readers()
    scope = fn.__globals__
    builtins = scope.get("__builtins__", {})
    builtins = vars(builtins) if isinstance(builtins, types.ModuleType) else builtins

    def lookup(name: str) -> Any:
        return scope[name] if name in scope else builtins.get(name)

    if any(id(lookup(name)) in readers for name in names):
        return True
    if not names & _READER_NAMES:  # no attribute of a module can be one
        return False
    for name, attribute in _attributes_of_globals(fn.__code__):
        module = lookup(name)
        if isinstance(module, types.ModuleType):
            if id(getattr(module, attribute, None)) in readers:
                return True
    return False


_SCALARS = (type(None), bool, int, float, complex, str, bytes, type(Ellipsis))


@caches.register
@functools.cache
def _library_roots() -> tuple[str, ...]:
    roots = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]]
    for name in _LIBRARIES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            roots.append(os.path.dirname(module.__file__))
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots)


@caches.register
@functools.cache
def _is_library_file(filename: str) -> bool:
    """Whether ``filename`` is part of Python or of a library above (and not of a
    package installed beside them: site-packages may lie inside the stdlib)."""
    path = os.path.realpath(filename)
    for root in _library_roots():
        if path.startswith(root):
            rest = path[len(root) :]
            return not ("site-packages" in rest or "dist-packages" in rest) or any(
                rest.startswith(os.path.join("site-packages", name, ""))
                or rest.startswith(os.path.join("dist-packages", name, ""))
                for name in _LIBRARIES
            )
    return False


def _is_library_module(module: types.ModuleType) -> bool:
    filename = getattr(module, "__file__", None)
    if filename is None:  # built into the interpreter (sys, math…) or a namespace
        return module.__name__ in sys.builtin_module_names
    return _is_library_file(filename)


class _Opaque(Exception):
    """An object with no digest: the function is traced instead."""


class _Digest:
    """A SHA-256 fed with a token for every object reached from a function."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.seen: dict[int, tuple[int, Any]] = {}  # id -> (order visited, object)

    def token(self, *parts: Any) -> None:
        self.h.update(repr(parts).encode())
        self.h.update(b"\x00")

    def visit(self, obj: Any) -> None:
        if isinstance(obj, _SCALARS):
            self.token(type(obj).__name__, obj)
            return
        if isinstance(obj, (np.ndarray, np.generic)):
            self._array(np.asarray(obj))
            return
        if id(obj) in self.seen:  # a cycle or a second use: its first visit
            self.token("seen", self.seen[id(obj)][0])
            return
        # kept alive until the digest is done, so no later object reuses its id
        self.seen[id(obj)] = (len(self.seen), obj)
        if isinstance(obj, (tuple, list)):
            self.token(type(obj).__name__, len(obj))
            for item in obj:
                self.visit(item)
        elif isinstance(obj, dict):
            self._mapping(obj.items())
        elif isinstance(obj, (set, frozenset)):
            self.token(type(obj).__name__, sorted(repr(v) for v in obj))
            if not all(isinstance(v, _SCALARS) for v in obj):
                raise _Opaque(obj)
        elif isinstance(obj, types.ModuleType):
            self._module(obj)
        elif isinstance(obj, types.FunctionType):
            self._function(obj)
        elif isinstance(obj, types.CodeType):
            self._code(obj)
        elif isinstance(obj, np.dtype):
            self.token("dtype", obj.str, obj.name)
        elif _is_array(obj):
            self._array(np.asarray(obj))
        elif isinstance(obj, functools.partial):
            self.token("partial")
            self.visit(obj.func)
            self.visit(obj.args)
            self.visit(dict(obj.keywords))
        elif isinstance(obj, __future__._Feature):  # from __future__ import …
            self.token("future", obj.getMandatoryRelease(), obj.compiler_flag)
        elif type(obj) is object:  # a sentinel (a default no caller passes)
            self.token("object")
        elif isinstance(obj, np.ufunc):
            self.token("ufunc", obj.__name__)
        elif isinstance(obj, type):
            module = sys.modules.get(obj.__module__)
            if module is None or not _is_library_module(module):
                raise _Opaque(obj)  # a user's class: its methods are not read here
            self.token("class", obj.__module__, obj.__qualname__)
        elif _is_custom_derivative(obj):  # the function and its rule, both read
            self.token("custom", type(obj).__qualname__)
            self._mapping(
                (k, v) for k, v in vars(obj).items() if not k.startswith("__")
            )
        elif _is_jit(obj):  # jax.jit(f): what f computes
            self.token("jit")
            self.visit(obj.__wrapped__)
        elif _is_memoized(obj):  # functools.cache(f) before its first call: f
            self.token("memoized")
            self.visit(obj.__wrapped__)
        else:
            raise _Opaque(obj)

    def _array(self, a: np.ndarray) -> None:
        if a.dtype.hasobject:
            raise _Opaque(a)
        self.token("array", a.dtype.str, a.shape)
        self.h.update(np.ascontiguousarray(a).tobytes())

    def _mapping(self, items: Any) -> None:
        pairs = sorted(items, key=lambda kv: repr(kv[0]))
        self.token("dict", [repr(k) for k, _ in pairs])
        for _, v in pairs:
            self.visit(v)

    def _module(self, module: types.ModuleType) -> None:
        if _is_library_module(module):
            self.token("module", module.__name__)
            return
        self.token("user-module", module.__name__)
        self._mapping((k, v) for k, v in vars(module).items() if not k.startswith("__"))

    def _function(self, fn: types.FunctionType) -> None:
        code = fn.__code__
        if _is_library_file(code.co_filename):
            # By name; but a wrapper a library made at run time (jax.vmap(f),
            # jax.grad(f), jax.checkpoint(f)…) computes what its closure holds.
            if id(fn) in _readers():
                raise _Opaque(fn)
            where = getattr(code, "co_qualname", code.co_name)
            self.token("library", fn.__module__, fn.__qualname__, where)
            self._closure(fn)
            wrapped = getattr(fn, "__wrapped__", None)
            if wrapped is not None:
                self.visit(wrapped)
            return
        names = _global_names(code)
        if _reads_outside(fn, names):
            raise _Opaque(fn)  # its result may change with no change to its code
        for name in local_imports(code, fn.__globals__.get("__package__")):
            self._import(name, names)
        self.token("function", fn.__qualname__)
        self._code(fn.__code__)
        self.visit(fn.__defaults__)
        self.visit(fn.__kwdefaults__)
        self._closure(fn)
        names = sorted(_global_names(fn.__code__) & fn.__globals__.keys())
        self.token("globals", names)
        for name in names:
            self.visit(fn.__globals__[name])
        wrapped = getattr(fn, "__wrapped__", None)
        if wrapped is not None:
            self.visit(wrapped)

    def _import(self, name: str, names: set[str]) -> None:
        """A module the function imports in its body: the standard library by
        name, a package by its installed version and its requirements'; one
        whose reader the code may name (``import os`` with ``environ`` among its
        names, ``import time``) has no digest, nor has a module of the user's."""
        parts = name.split(".")
        prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        if prefixes & set(_READER_MODULES) or (
            prefixes & set(_READERS) and names & _READER_NAMES
        ):
            raise _Opaque(name)
        top = parts[0]
        if not top:  # a relative import outside a package: it cannot run
            raise _Opaque(name)
        if top in sys.stdlib_module_names or top in sys.builtin_module_names:
            self.token("import", name)
            return
        versions = package_versions(top)
        if versions is None:
            raise _Opaque(name)
        self.token("import", name, versions)

    def _closure(self, fn: types.FunctionType) -> None:
        cells = fn.__closure__ or ()
        try:
            contents = [c.cell_contents for c in cells]
        except ValueError:  # an empty cell: a name bound after the function
            raise _Opaque(fn) from None
        if contents:
            self.visit(contents)

    def _code(self, code: types.CodeType) -> None:
        self.token(
            "code",
            code.co_code,
            code.co_names,
            code.co_varnames,
            code.co_freevars,
            code.co_cellvars,
            code.co_argcount,
            code.co_posonlyargcount,
            code.co_kwonlyargcount,
            code.co_flags,
        )
        self.visit(code.co_consts)


def _global_names(code: types.CodeType) -> set[str]:
    """Every name the code (and the functions defined in it) may look up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _is_array(obj: Any) -> bool:
    """A concrete ``jax.Array`` (a tracer is not: it has no value)."""
    jax = sys.modules.get("jax")
    if jax is None or not isinstance(obj, jax.Array):
        return False
    return not isinstance(obj, jax.core.Tracer)


def _is_jit(obj: Any) -> bool:
    """``jax.jit(f)``: a compiled wrapper of ``f`` that computes what ``f`` does."""
    return type(obj).__name__ == "PjitFunction" and callable(
        getattr(obj, "__wrapped__", None)
    )


def _is_memoized(obj: Any) -> bool:
    """``functools.cache``/``lru_cache(f)`` with nothing cached yet: it returns
    what ``f`` computes now (once a result is cached, it may be one ``f`` no
    longer computes, and the wrapper is traced instead)."""
    return (
        type(obj).__module__ == "functools"
        and type(obj).__name__ == "_lru_cache_wrapper"
        and callable(getattr(obj, "__wrapped__", None))
        and obj.cache_info().currsize == 0
    )


def _is_custom_derivative(obj: Any) -> bool:
    """A ``jax.custom_jvp``/``custom_vjp`` function: its rule is Python code too."""
    jax = sys.modules.get("jax")
    return jax is not None and isinstance(obj, (jax.custom_jvp, jax.custom_vjp))


# Environment variables that change what a compiled program computes: XLA's flags
# (--xla_cpu_enable_fast_math…), JAX's own (JAX_ENABLE_X64, JAX_PLATFORMS,
# JAX_DEFAULT_MATMUL_PRECISION…), and which devices and math libraries run it.
_ENVIRONMENT_PREFIXES = ("XLA_", "JAX_", "TPU_", "LIBTPU_", "NVIDIA_", "CUDA_")
_ENVIRONMENT_NAMES = ("OMP_NUM_THREADS", "MKL_CBWR", "TF_CPP_MIN_LOG_LEVEL")
# Ones that only say where to log or cache: not part of the key.
_ENVIRONMENT_IGNORED = (
    "JAX_COMPILATION_CACHE_DIR",
    "JAX_LOGGING_LEVEL",
    "JAX_TRACEBACK_FILTERING",
    "JAX_TRACEBACK_IN_LOCATIONS_LIMIT",
)


def _environment() -> list[tuple[str, str]]:
    return sorted(
        (k, v)
        for k, v in os.environ.items()
        if (k.startswith(_ENVIRONMENT_PREFIXES) or k in _ENVIRONMENT_NAMES)
        and k not in _ENVIRONMENT_IGNORED
    )


@caches.register
@functools.cache
def _checker_version() -> str:
    try:
        from importlib.metadata import version

        return version("derivation-checker")
    except Exception:  # not installed: its source is in the checker's digest
        return ""


def config_digest() -> str:
    """What a check computes besides its functions: JAX's configuration flags
    (dtype promotion, x64, matmul precision, platforms…), the environment
    variables that change numerics (``XLA_FLAGS``, ``JAX_*``…), the version of
    every library whose objects are digested by name, and the checker's own."""
    import jax

    items = sorted(
        (k, v) for k, v in jax.config.values.items() if isinstance(v, _SCALARS)
    )
    versions = [
        (name, str(getattr(sys.modules[name], "__version__", "")))
        for name in _LIBRARIES
        if name in sys.modules
    ]
    text = repr((items, versions, sys.version, _environment(), _checker_version()))
    return hashlib.sha256(text.encode()).hexdigest()


def code_digest(fn: Any) -> str | None:
    """The digest of what ``fn`` computes, read from its code; None when it refers
    to something that has none here (trace it instead)."""
    d = _Digest()
    try:
        d.visit(fn)
    except (_Opaque, RecursionError):
        return None
    return d.h.hexdigest()
