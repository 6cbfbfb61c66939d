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
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from checks.declare import Derivation
from checks.repro import undecorated_tree

__all__ = ["Mutant", "MutationScore", "mutants", "score"]


@dataclass
class Mutant:
    """One changed closed form."""

    description: str  # what changed
    line: str  # the mutated source line
    closed_form: Callable[..., Any]


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


def _edits(node: ast.AST) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST]]]:
    """(description, edit) pairs for one node; an edit returns the replacement."""
    if isinstance(node, ast.BinOp):
        op = type(node.op)
        if op in (ast.Add, ast.Sub):
            other = ast.Sub() if op is ast.Add else ast.Add()
            yield "swap + and −", lambda n: ast.BinOp(n.left, other, n.right)
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
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "drop a minus sign", lambda n: n.operand
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
    exec(compile(module, f"<mutant of {original.__name__}>", "exec"), namespace)
    return namespace[tree.name]


def _changed_line(original: str, mutated: str) -> str:
    for a, b in zip(original.splitlines(), mutated.splitlines()):
        if a != b:
            return b.strip()
    return mutated.splitlines()[-1].strip()


def mutants(d: Derivation) -> list[Mutant]:
    """Every distinct one-change mutant of ``d``'s closed form."""
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
        out.append(Mutant(description, _changed_line(original, source), fn))

    count = sum(1 for stmt in tree.body for _ in ast.walk(stmt))
    for index in range(count):
        node = _nth_node(tree, index)
        if node is None:
            continue
        for description, edit in _edits(node):
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


def _nth_node(tree: ast.FunctionDef, index: int) -> ast.AST | None:
    """The node a ``_Replace(index, ...)`` pass over ``tree.body`` would edit."""
    found: list[ast.AST] = []

    def remember(n: ast.AST) -> ast.AST:
        found.append(n)
        return n

    finder = _Replace(index, remember)
    for stmt in copy.deepcopy(tree).body:
        finder.visit(stmt)
    return found[0] if found else None


def score(
    d: Derivation,
    check: Callable[[Derivation], str],
) -> MutationScore:
    """Check every mutant with ``check`` (returns the derivation's outcome)."""
    from checks.declare import make_derivation

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
