"""A copy-pasteable reproduction of a failure, in plain JAX.

The snippet holds the source of ``of`` and of the closed form (decorators
removed), of the module-level functions and constants they use from their own
module, the input as literals, and the comparison with ``jax.jacobian`` (or
``jax.hessian``). It imports nothing from this project.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import sys
import textwrap
import types
from typing import Any

import numpy as np

from checks.declare import Derivation

__all__ = ["repro_snippet", "undecorated_tree"]

_HEADER = """\
import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
"""


def undecorated_tree(fn: Any) -> ast.Module | None:
    """The parsed source of ``fn`` with its decorators removed (None if unknown)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.decorator_list = []
    return tree


def _source(fn: Any) -> str | None:
    tree = undecorated_tree(fn)
    return ast.unparse(tree) if tree is not None else None


def _module_imports(module: types.ModuleType | None) -> list[str]:
    """The module's own top-level imports, except this project's."""
    if module is None:
        return []
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return []
    return list(_imports_in(source))


@functools.lru_cache(maxsize=64)
def _imports_in(source: str) -> tuple[str, ...]:
    """The top-level imports of a module's source, except this project's."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    lines = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [a for a in node.names if _installed(a.name)]
            if names:
                lines.append(ast.unparse(ast.Import(names=names)))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _installed(node.module) and node.module != "__future__":
                lines.append(ast.unparse(node))
    return tuple(lines)


def _installed(module: str) -> bool:
    """A standard-library or installed package (not this project, not a file
    beside the user's derivations), so the snippet can import it anywhere."""
    top = module.split(".")[0]
    if top in _OURS:
        return False
    if top in sys.stdlib_module_names:
        return True
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    origin = (spec.origin or "") if spec else ""
    return "site-packages" in origin or "dist-packages" in origin


_OURS = {"checks", "derivations"}


def _dependencies(fns: list[Any]) -> list[str]:
    """Sources of module-level functions and simple constants the functions use."""
    seen: set[str] = {getattr(f, "__name__", "") for f in fns}
    out: list[str] = []
    queue = list(fns)
    while queue:
        fn = queue.pop()
        code = getattr(fn, "__code__", None)
        if code is None:
            continue
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names |= set(const.co_names)
        for name in sorted(names - seen):
            value = fn.__globals__.get(name)
            if (
                isinstance(value, types.FunctionType)
                and value.__module__ == fn.__module__
            ):
                source = _source(value)
                if source:
                    seen.add(name)
                    out.insert(0, source)
                    queue.append(value)
            elif isinstance(value, (int, float, str, tuple)) and not name.startswith(
                "__"
            ):
                seen.add(name)
                out.insert(0, f"{name} = {value!r}")
    return out


def _literal(x: np.ndarray) -> str:
    a = np.asarray(x)
    if a.dtype.kind in "iu":
        return f"jnp.asarray({a.tolist()!r}, dtype=jnp.int32)"
    return f"jnp.asarray({a.astype(np.float64).tolist()!r}, dtype=jnp.float64)"


def repro_snippet(d: Derivation, inputs: dict[str, np.ndarray]) -> str:
    """Plain-JAX code that prints both sides at ``inputs`` and their difference."""
    of_src, closed_src = _source(d.of), _source(d.closed_form)
    if of_src is None or closed_src is None:
        return ""
    module = inspect.getmodule(d.closed_form)
    imports = sorted(
        set(_module_imports(module)) | set(_module_imports(inspect.getmodule(d.of)))
    )
    parts = [_HEADER.rstrip()]
    extra = [line for line in imports if line not in _HEADER]
    if extra:
        parts.append("\n".join(extra))
    parts += _dependencies([d.of, d.closed_form])
    parts += [of_src, closed_src]
    args = ", ".join(d.inputs)
    derivative = "jax.hessian" if d.order == 2 else "jax.jacobian"
    body = [f"{p} = {_literal(inputs[p])}" for p in d.inputs]
    body += [
        f"closed_form = {d.closed_form.__name__}({args})",
        f"autodiff = {derivative}({d.of.__name__}, argnums={d.wrt_index})({args})",
        'print("closed form:", closed_form)',
        'print("autodiff:   ", autodiff)',
        'print("max |difference|:", jnp.max(jnp.abs(closed_form - autodiff)))',
    ]
    parts.append("\n".join(body))
    return "\n\n".join(parts) + "\n"
