"""Mutation score: would the check catch the mistakes people make by hand?

Each passing closed form's source is mutated one change at a time, the way a
derivation goes wrong on paper, and every mutant is checked like the original.
A mutant that fails (or errors) is *killed*; one that passes *survives*, and is
either an equivalent program or a blind spot in the sampling.

Mutations (each applied at one place):
  - swap + and −;
  - flip the sign of a term (negate the right operand of a + or −, or drop a
    unary minus);
  - drop a term of a sum (keep either side of a + or −);
  - drop a factor (keep either side of a ×) or a divisor (keep the dividend);
  - change a numeric constant (c → c + 1, c → c/2);
  - swap two arguments of the closed form that have the same shape everywhere;
  - transpose: swap the operands of @ or of a two-argument call (``outer``),
    and swap ``[:, None]`` with ``[None, :]``.

With ``inverses=True`` (the edits a one-edit repair tries,
``checks._src.search.diagnose``) the edits that undo these are added where they can be
written without knowing what was lost: a constant c → c − 1 and c → 2c, a minus sign put
in front of an expression (a name, a call, a product, a quotient, a subscript), and a
transpose (``.T``) dropped. Swaps are their own inverses; a dropped term or factor
cannot be guessed.
"""

from __future__ import annotations

import ast
import copy
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from checks._src.declare.declare import Derivation
from checks._src.search.repro import undecorated_tree

__all__ = [
    "Mutant",
    "MutationScore",
    "mutants",
    "score",
    "sign_flip",
    "without_terms",
]


@dataclass
class Mutant:
    """One changed closed form."""

    description: str  # what changed
    line: str  # the mutated source line
    closed_form: Callable[..., Any]
    source: str = ""  # the whole mutated definition (``ast.unparse``)
    original: str = ""  # the original definition, unparsed the same way


@dataclass
class MutationScore:
    total: int = 0
    killed: int = 0
    survivors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "killed": self.killed, "survivors": self.survivors}


def _function_tree(fn: Callable[..., Any]) -> ast.FunctionDef | None:
    """The closed form's definition, without decorators and docstring."""
    tree = undecorated_tree(fn)
    for node in tree.body if tree is not None else []:
        if isinstance(node, ast.FunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
            return node
    return None


def _slice_pattern(node: ast.AST) -> str | None:
    """'col' for x[:, None], 'row' for x[None, :], else None."""
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple):
        return None
    elts = node.slice.elts
    if len(elts) != 2:
        return None
    is_none = [isinstance(e, ast.Constant) and e.value is None for e in elts]
    is_all = [
        isinstance(e, ast.Slice) and e.lower is None and e.upper is None for e in elts
    ]
    if is_all[0] and is_none[1]:
        return "col"
    if is_none[0] and is_all[1]:
        return "row"
    return None


def _edits(
    node: ast.AST, inverses: bool = False
) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST]]]:
    """(description, edit) pairs for one node; an edit returns the replacement.
    ``inverses``: also the edits undoing the catalog's (see the module docstring)."""
    if inverses:
        yield from _inverse_edits(node)
    flip = sign_flip(node)  # a + or − (swapped), or a unary minus (dropped)
    if flip is not None:
        yield flip
    if isinstance(node, ast.BinOp):
        op = type(node.op)
        if op in (ast.Add, ast.Sub):
            yield (
                "negate a term",
                lambda n: ast.BinOp(n.left, n.op, ast.UnaryOp(ast.USub(), n.right)),
            )
            yield "drop a term", lambda n: n.left
            yield "drop a term", lambda n: n.right
        elif op is ast.Mult:
            yield "drop a factor", lambda n: n.left
            yield "drop a factor", lambda n: n.right
        elif op is ast.Div:
            yield "drop a divisor", lambda n: n.left
        elif op is ast.MatMult:
            yield (
                "transpose (swap the operands of @)",
                lambda n: ast.BinOp(n.right, n.op, n.left),
            )
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if not isinstance(node.value, bool):
            value = node.value
            yield "change a constant", lambda n: ast.Constant(value + 1)
            if value != 0:
                yield "change a constant", lambda n: ast.Constant(value / 2)
    elif isinstance(node, ast.Call) and len(node.args) == 2 and not node.keywords:
        yield (
            "swap the arguments of a call",
            lambda n: ast.Call(n.func, [n.args[1], n.args[0]], []),
        )
    pattern = _slice_pattern(node)
    if pattern is not None:
        swapped = (
            [ast.Constant(None), ast.Slice()]
            if pattern == "col"
            else [ast.Slice(), ast.Constant(None)]
        )
        yield (
            "transpose ([:, None] ↔ [None, :])",
            lambda n: ast.Subscript(
                n.value, ast.Tuple(swapped, ast.Load()), ast.Load()
            ),
        )


def sign_flip(node: ast.AST) -> tuple[str, Callable[[ast.AST], ast.AST]] | None:
    """The catalog's edit that flips the sign of one term at ``node``: the
    operator of a ``+`` or ``−`` swapped (its right operand's sign flipped), or a
    unary minus dropped; None at any other node."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        other = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        return "swap + and −", lambda n: ast.BinOp(n.left, other, n.right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return "drop a minus sign", lambda n: n.operand
    return None


_NEGATABLE = (ast.Name, ast.Call, ast.Subscript)


def _inverse_edits(
    node: ast.AST,
) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST]]]:
    """The edits undoing the catalog's where they can be written: c → c − 1 and
    c → 2c undo c → c + 1 and c → c/2; a minus sign put in front undoes
    "drop a minus sign"; dropping a ``.T`` undoes a transpose."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = node.value
        yield "change a constant", lambda n: ast.Constant(value - 1)
        if value != 0:
            yield "change a constant", lambda n: ast.Constant(value * 2)
    if isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
        yield "drop a transpose", lambda n: n.value
    load = not isinstance(getattr(node, "ctx", ast.Load()), (ast.Store, ast.Del))
    products = (ast.Mult, ast.Div, ast.MatMult)
    if load and (
        isinstance(node, _NEGATABLE)
        or (isinstance(node, ast.BinOp) and isinstance(node.op, products))
    ):
        yield "add a minus sign", lambda n: ast.UnaryOp(ast.USub(), n)


class _Replace(ast.NodeTransformer):
    def __init__(self, target: int, edit: Callable[[ast.AST], ast.AST]):
        self.target, self.edit, self.index = target, edit, -1

    def visit(self, node: ast.AST) -> ast.AST:
        self.index += 1
        if self.index == self.target:
            return self.edit(node)
        return self.generic_visit(node)


class _SwapNames(ast.NodeTransformer):
    def __init__(self, a: str, b: str):
        self.names = {a: b, b: a}

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            return ast.Name(self.names[node.id], ast.Load())
        return node


def _compile(tree: ast.FunctionDef, original: Callable[..., Any]) -> Callable[..., Any]:
    module = ast.fix_missing_locations(ast.Module(body=[tree], type_ignores=[]))
    namespace = dict(original.__globals__)
    with warnings.catch_warnings():  # a mutant may subscript a literal, say
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(module, f"<mutant of {original.__name__}>", "exec")
    exec(code, namespace)
    return namespace[tree.name]


def _changed_line(original: str, mutated: str) -> str:
    for a, b in zip(original.splitlines(), mutated.splitlines()):
        if a != b:
            return b.strip()
    return mutated.splitlines()[-1].strip()


def mutants(d: Derivation, inverses: bool = False) -> list[Mutant]:
    """Every distinct one-change mutant of ``d``'s closed form (with
    ``inverses``, also the edits undoing the catalog's)."""
    tree = _function_tree(d.closed_form)
    if tree is None:
        return []
    original = ast.unparse(tree)
    seen = {original}
    out: list[Mutant] = []

    def add(description: str, mutated_tree: ast.FunctionDef) -> None:
        try:
            source = ast.unparse(mutated_tree)
        except Exception:
            return
        if source in seen:
            return
        seen.add(source)
        try:
            fn = _compile(copy.deepcopy(mutated_tree), d.closed_form)
        except Exception:
            return
        line = _changed_line(original, source)
        out.append(Mutant(description, line, fn, source, original))

    for index, node in enumerate(_preorder(tree)):
        for description, edit in _edits(node, inverses):
            mutated = copy.deepcopy(tree)
            replacer = _Replace(index, edit)
            mutated.body = [replacer.visit(stmt) for stmt in mutated.body]
            add(description, mutated)
    params = list(d.inputs)
    for i, a in enumerate(params):
        for b in params[i + 1 :]:
            if d.inputs[a].shape == d.inputs[b].shape and d.inputs[a].floating:
                mutated = _SwapNames(a, b).visit(copy.deepcopy(tree))
                add(f"swap the arguments {a} and {b}", mutated)
    return out


def without_terms(d: Derivation) -> list[tuple[str, Callable[..., Any]]]:
    """For each term of each sum or difference in ``d``'s closed form, the term's
    source, signed as it enters (``-b`` for the ``b`` of ``a - b``), and the
    closed form without it: ``a + b`` becomes ``a`` (term ``b``) and ``b``
    (term ``a``); ``a - b`` becomes ``a`` (term ``-b``) and ``-b`` (term ``a``).
    So the closed form equals the one without the term plus the term."""
    tree = _function_tree(d.closed_form)
    if tree is None:
        return []
    out = []
    for index, node in enumerate(_preorder(tree)):
        if not (
            isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
        ):
            continue
        minus = isinstance(node.op, ast.Sub)
        right = ast.UnaryOp(ast.USub(), node.right) if minus else node.right
        for term, kept in ((right, node.left), (node.left, right)):
            mutated = copy.deepcopy(tree)
            replacer = _Replace(index, lambda n, kept=kept: copy.deepcopy(kept))
            mutated.body = [replacer.visit(stmt) for stmt in mutated.body]
            try:
                fn = _compile(ast.fix_missing_locations(mutated), d.closed_form)
            except Exception:
                continue
            out.append((ast.unparse(term), fn))
    return out


def _preorder(tree: ast.FunctionDef) -> list[ast.AST]:
    """The nodes of a copy of ``tree.body``, in the order ``_Replace`` counts them
    (depth first, a node before its children, fields in order): the node at
    ``index`` is the one a ``_Replace(index, ...)`` pass over the body edits.
    One copy and one walk for every index."""
    found: list[ast.AST] = []

    def walk(node: ast.AST) -> None:
        found.append(node)
        for _, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    walk(child)

    for stmt in copy.deepcopy(tree).body:
        walk(stmt)
    return found


def score(
    d: Derivation,
    check: Callable[[Derivation], str],
) -> MutationScore:
    """Check every mutant with ``check`` (returns the derivation's outcome)."""
    from checks._src.declare.declare import make_derivation

    result = MutationScore()
    for m in mutants(d):
        mutant = make_derivation(
            m.closed_form,
            of=d.of,
            wrt=d.wrt,
            inputs=d.inputs,
            order=d.order,
            dims=d.dims,
            name=f"{d.name} [{m.description}]",
            source=d.source,
            form=d.form,
            cotangent=d.cotangent,
            tangents=d.tangents,
        )
        result.total += 1
        if check(mutant) == "pass":
            result.survivors.append(f"{m.description}: {m.line}")
        else:
            result.killed += 1
    return result
