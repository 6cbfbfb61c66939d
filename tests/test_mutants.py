"""Mutation score: the check kills every non-equivalent mutant of the named four."""

from types import SimpleNamespace

import pytest

from checks._src.declare.declare import as_derivation
from checks._src.run.one_entry import mutation_score
from checks._src.search.mutate import mutants
from derivations import cross_entropy, logistic_regression, softmax, softmax_regression

NAMED = [
    cross_entropy.binary_cross_entropy_grad_beta,
    softmax.softmax_jacobian,
    softmax_regression.softmax_cross_entropy_grad_logits,
    logistic_regression.logistic_regression_grad_theta,
]

# Mutants that compute the same function as the original: no check can kill them.
EQUIVALENT = {
    # z is (m, k): axis 1 is axis -1.
    "drop a minus sign: o = jax.nn.softmax(z, axis=1)",
}


@pytest.mark.parametrize("closed_form", NAMED, ids=lambda f: f.__name__)
def test_every_non_equivalent_mutant_is_killed(closed_form):
    score = mutation_score(as_derivation(closed_form), samples=300)
    assert score.total >= 9
    assert set(score.survivors) <= EQUIVALENT, score.survivors
    assert score.killed == score.total - len(score.survivors)


def test_mutants_cover_the_usual_mistakes():
    kinds = {m.description for m in mutants(as_derivation(NAMED[0]))}
    assert {
        "swap + and −",
        "negate a term",
        "drop a term",
        "drop a factor",
        "drop a divisor",
        "change a constant",
        "swap the arguments alpha and beta",
    } <= kinds
    kinds = {m.description for m in mutants(as_derivation(NAMED[1]))}
    assert "transpose ([:, None] ↔ [None, :])" in kinds
    kinds = {m.description for m in mutants(as_derivation(NAMED[3]))}
    assert "transpose (swap the operands of @)" in kinds


def _three_terms(a, b, c):
    return a - b * 2.0 + -c


def test_a_printed_values_sign_flips_are_the_catalogs_edits():
    """The sign flips a printed value is diagnosed by
    (``checks._src.search.diagnose_claims``) are the catalog's own edits
    (``checks._src.search.mutate.sign_flip``): each one alone gives a mutant the catalog
    makes, and every "swap + and −" and "drop a minus sign" mutant is one of them."""
    import ast
    import copy

    from checks._src.search.diagnose_claims import _sum_terms
    from checks._src.search.mutate import _function_tree, _Replace

    tree = _function_tree(_three_terms)
    flips = _sum_terms(tree)
    assert [term for _, term, _ in flips] == ["-c", "b * 2.0", "c"]
    edited = set()
    for index, _, edit in flips:
        one = copy.deepcopy(tree)
        one.body = [_Replace(index, edit).visit(stmt) for stmt in one.body]
        edited.add(ast.unparse(one))
    d = SimpleNamespace(closed_form=_three_terms, inputs={})
    catalog = {
        m.source
        for m in mutants(d)
        if m.description in ("swap + and −", "drop a minus sign")
    }
    assert edited == catalog and len(catalog) == 3
