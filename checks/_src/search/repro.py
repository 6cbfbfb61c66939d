"""A copy-pasteable reproduction of a failure, in plain JAX.

The snippet holds the source of ``of`` and of the closed form (decorators
removed), of the module-level functions and constants they use from their own
module, the input as literals, and the comparison with ``jax.jacobian`` (or
``jax.hessian``). It imports nothing from this project. When those sources are
not enough (a helper from a module beside the user's file, an array constant, a
lambda), the script imports the user's module from its file instead.
"""

from __future__ import annotations

import ast
import builtins
import dis
import functools
import importlib.util
import inspect
import math
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import jax
import numpy as np

from checks._src.declare.declare import Derivation
from checks._src.evaluate.reference import forward_only
from checks._src.run import caches

__all__ = ["repro_script", "repro_snippet", "undecorated_tree"]

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


@caches.register
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


def _dependencies(fns: list[Any], bound: set[str]) -> tuple[list[str], list[str]]:
    """Sources of the module-level functions and simple constants the functions
    use, and the names they use that neither those nor ``bound`` (the names the
    copied imports bind) nor the builtins provide."""
    seen: set[str] = {getattr(f, "__name__", "") for f in fns}
    out: list[str] = []
    missing: list[str] = []
    queue = list(fns)
    while queue:
        fn = queue.pop()
        code = getattr(fn, "__code__", None)
        if code is None:
            continue
        names = _global_names(code)
        for name in sorted(names - seen):
            if name not in fn.__globals__:
                if name not in bound and not hasattr(builtins, name):
                    missing.append(name)
                continue
            value = fn.__globals__[name]
            if name in bound or name.startswith("__"):
                continue
            if (
                isinstance(value, types.FunctionType)
                and value.__module__ == fn.__module__
                and value.__name__ == name
            ):
                source = _source(value)
                if source:
                    seen.add(name)
                    out.insert(0, source)
                    queue.append(value)
                    continue
            literal = _constant(value)
            if literal is not None:
                seen.add(name)
                out.insert(0, f"{name} = {literal}")
                continue
            missing.append(name)
    return out, missing


def _global_names(code: types.CodeType) -> set[str]:
    """The global names a function's code and its nested code read."""
    names = {
        i.argval
        for i in dis.get_instructions(code)
        if i.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(i.argval, str)
    }
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _constant(value: Any) -> str | None:
    """Python source for a simple constant (``inf`` and ``nan`` too), else None."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        value = float(value)
        return repr(value) if math.isfinite(value) else f'float("{value!r}")'
    if isinstance(value, (int, str)) and type(value) in (int, str):
        return repr(value)
    if isinstance(value, tuple) and type(value) is tuple:
        parts = [_constant(v) for v in value]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return None


def _bound_names(imports: list[str]) -> set[str]:
    """The names a list of import statements binds."""
    bound: set[str] = set()
    for line in imports:
        for node in ast.parse(line).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound.add(alias.asname or alias.name.split(".")[0])
    return bound


def _literal(x: np.ndarray) -> str:
    a = np.asarray(x)
    if a.dtype.kind in "iu":
        return f"jnp.asarray({a.tolist()!r}, dtype=jnp.int32)"
    values = a.astype(np.float64)
    text = repr(values.tolist())
    if not np.all(np.isfinite(values)):
        text = text.replace("nan", 'float("nan")').replace("inf", 'float("inf")')
    return f"jnp.asarray({text}, dtype=jnp.float64)"


def repro_snippet(d: Derivation, inputs: dict[str, np.ndarray]) -> str:
    """Plain-JAX code that prints both sides at ``inputs`` and their difference
    ('' when no script can be written: see ``repro_script``)."""
    return repro_script(d, inputs)[0]


def repro_script(d: Derivation, inputs: dict[str, np.ndarray]) -> tuple[str, str]:
    """``(script, why not)``: code that prints both sides at ``inputs`` and their
    difference, run on its own with ``python``.

    The script holds the sources of ``of`` and the closed form when they and what
    they use can be copied (functions and simple constants of their module, its
    imports of installed packages). Otherwise (a helper from a module beside
    the user's file, an array constant, a lambda) it imports the user's module
    from its path. When neither can be done, the script is '' and the second
    item says why.
    """
    copied = _copied_script(d, inputs)
    if copied:
        return copied, ""
    return _importing_script(d, inputs)


def _is_name(fn: Any) -> bool:
    name = getattr(fn, "__name__", "")
    return name.isidentifier() and name != "<lambda>"


def _copied_script(d: Derivation, inputs: dict[str, np.ndarray]) -> str:
    if not (_is_name(d.of) and _is_name(d.closed_form)):
        return ""
    if d.of.__name__ == d.closed_form.__name__:
        return ""
    of_src, closed_src = _source(d.of), _source(d.closed_form)
    if of_src is None or closed_src is None:
        return ""
    module = inspect.getmodule(d.closed_form)
    imports = sorted(
        set(_module_imports(module)) | set(_module_imports(inspect.getmodule(d.of)))
    )
    bound = _bound_names(imports) | {"jax", "jnp"}
    dependencies, missing = _dependencies([d.of, d.closed_form], bound)
    if missing:
        return ""
    parts = [_HEADER.rstrip()]
    extra = [line for line in imports if line not in _HEADER]
    if extra:
        parts.append("\n".join(extra))
    parts += dependencies
    parts += [of_src, closed_src]
    parts.append(_comparison(d, inputs, d.closed_form.__name__, d.of.__name__))
    return "\n\n".join(parts) + "\n"


def _comparison(
    d: Derivation, inputs: dict[str, np.ndarray], closed: str, of: str
) -> str:
    if d.kind == "rule" or d.form != "jacobian" or not isinstance(d.wrt, str):
        return _form_comparison(d, inputs, closed, of)
    args = ", ".join(d.inputs)
    autodiff = _autodiff(d, inputs, of)
    body = [f"{p} = {_literal(inputs[p])}" for p in d.inputs]
    body += [
        f"closed_form = {closed}({args})",
        f"autodiff = {autodiff}({args})",
        'print("closed form:", closed_form)',
        'print("autodiff:   ", autodiff)',
        'print("max |difference|:", jnp.max(jnp.abs(closed_form - autodiff)))',
    ]
    return "\n".join(body)


def _autodiff(d: Derivation, inputs: dict[str, np.ndarray], of: str) -> str:
    """The autodiff expression the script calls: ``jax.jacobian`` or ``jax.hessian``,
    or forward mode where ``of`` runs a while loop JAX cannot differentiate in
    reverse mode (``checks._src.evaluate.reference.forward_only``)."""
    argnums = f"argnums={d.wrt_index}"
    with jax.enable_x64(True):
        args = [np.asarray(inputs[p]) for p in d.inputs]
        forward = forward_only(d.of, d.wrt_index, args)
    if not forward:
        derivative = "jax.hessian" if d.order == 2 else "jax.jacobian"
        return f"{derivative}({of}, {argnums})"
    if d.order == 2:
        return f"jax.jacfwd(jax.jacfwd({of}, {argnums}), {argnums})"
    return f"jax.jacfwd({of}, {argnums})"


def _form_comparison(
    d: Any, inputs: dict[str, np.ndarray], closed: str, of: str
) -> str:
    """``_comparison`` for a VJP, JVP or several-``wrt`` derivation, or a custom
    rule (``checks._src.declare.forms``): both sides by ``jax.vjp``, ``jax.jvp`` or
    ``jax.jacobian``, compared entry by entry."""
    params = list(d.inputs)
    extras = [p for p in inputs if p not in d.inputs]
    body = [f"{p} = {_literal(inputs[p])}" for p in params + extras]
    call = [*params]
    if d.kind == "rule":  # the non-differentiable arguments, from the record
        fixed = f"{closed}.__derivation__.fixed"
        call = [p if p in d.inputs else f"{fixed}[{p!r}]" for p in d.signature]
    args = ", ".join(call)
    wrt = list(d.wrt_names)
    held = f"lambda {', '.join(wrt)}: {{f}}({args})"
    single = len(wrt) == 1
    if d.kind != "rule" and d.form == "jacobian":
        argnums = [params.index(w) for w in wrt]
        body.append(f"closed_form = {closed}({args})")
        body.append(f"autodiff = jax.jacobian({of}, argnums={tuple(argnums)})({args})")
    elif d.form == "vjp" and d.order == 2:
        v = extras[0]
        body.append(f"closed_form = {closed}({args}, {v})")
        grad = f"jax.grad({held.format(f=of)})"
        body.append(f"autodiff = jax.jvp({grad}, ({wrt[0]},), ({v},))[1]")
    elif d.form == "vjp":
        out = jax.eval_shape(d.of, *_primal_arguments(d, inputs))
        leaf = jax.tree_util.treedef_is_leaf(jax.tree.structure(out))
        ct = extras[0] if leaf else f"({', '.join(extras)},)"
        pick = "[0]" if single else ""
        primals = ", ".join(wrt)
        sides = [("closed_form", closed), ("autodiff", of)]
        if d.kind != "rule":
            body.append(f"closed_form = {closed}({args}, {ct})")
            sides = sides[1:]
        for side, f in sides:
            body.append(f"_, pullback = jax.vjp({held.format(f=f)}, {primals})")
            body.append(f"{side} = pullback({ct}){pick}")
    else:  # jvp
        primals, tangents = ", ".join(wrt) + ",", ", ".join(extras) + ","
        sides = [("closed_form", closed), ("autodiff", of)]
        if d.kind != "rule":
            body.append(f"closed_form = {closed}({args}, {', '.join(extras)})")
            sides = sides[1:]
        for side, f in sides:
            jvp = f"jax.jvp({held.format(f=f)}, ({primals}), ({tangents}))"
            body.append(f"_, {side} = {jvp}")
    body += [
        'print("closed form:", closed_form)',
        'print("autodiff:   ", autodiff)',
        "pairs = zip(jax.tree.leaves(closed_form), jax.tree.leaves(autodiff))",
        'print("max |difference|:", max(float(jnp.max(jnp.abs(jnp.asarray(c) - a)))'
        " for c, a in pairs))",
    ]
    return "\n".join(body)


def _primal_arguments(d: Any, inputs: dict[str, np.ndarray]) -> list[Any]:
    """The arguments ``d.of`` is called with at ``inputs`` (a rule's fixed,
    non-differentiable ones from its record)."""
    if d.kind == "rule":
        return [inputs[p] if p in d.inputs else d.fixed[p] for p in d.signature]
    return [np.asarray(inputs[p]) for p in d.inputs]


def _name_in(module: types.ModuleType, value: Any, preferred: str) -> str | None:
    """A module-level name bound to ``value`` (``preferred`` first), or None."""
    if getattr(module, preferred, None) is value and preferred.isidentifier():
        return preferred
    for name, bound in vars(module).items():
        if bound is value and name.isidentifier():
            return name
    return None


def _importing_script(d: Derivation, inputs: dict[str, np.ndarray]) -> tuple[str, str]:
    """A script importing the user's module from its file, or ('', why not)."""
    module = inspect.getmodule(d.closed_form)
    file = getattr(module, "__file__", None)
    if module is None or not file or module.__name__ == "__main__":
        return "", (
            "the closed form uses names its module's source cannot give "
            "(a neighbour module, an array constant or a lambda) and it was not "
            "defined in a file the script could import"
        )
    closed = _name_in(module, d.closed_form, getattr(d.closed_form, "__name__", ""))
    if closed is None:
        return "", "the closed form is not a module-level name of its module"
    of = _name_in(module, d.of, getattr(d.of, "__name__", ""))
    record = getattr(d.closed_form, "__derivation__", None)
    if of is not None:
        of_expr = f"module.{of}"
    elif getattr(record, "of", None) is d.of:
        of_expr = f"module.{closed}.__derivation__.of"
    else:
        return "", "of= is not a module-level name of the closed form's module"
    path = Path(file).resolve()
    name = module.__name__
    if name.startswith("_derivations_") or not module.__spec__:
        load = [
            f"sys.path.insert(0, {str(path.parent)!r})",
            "spec = importlib.util.spec_from_file_location("
            f'"derivations_to_check", {str(path)!r})',
            "module = importlib.util.module_from_spec(spec)",
            "sys.modules[spec.name] = module",
            "spec.loader.exec_module(module)",
        ]
    else:
        root = path.parents[name.count(".")]
        if path.name == "__init__.py":
            root = root.parent
        load = [
            f"sys.path.insert(0, {str(root)!r})",
            f"module = importlib.import_module({name!r})",
        ]
    parts = [
        "import importlib\nimport importlib.util\nimport sys",
        _HEADER.rstrip(),
        "# the user's module, imported from its file (it needs its own imports)\n"
        + "\n".join(load),
        f"closed_form_function = module.{closed}\nof = {of_expr}",
        _comparison(d, inputs, "closed_form_function", "of"),
    ]
    return "\n\n".join(parts) + "\n", ""
