"""Every catalog derivation meets its expectation: right ones pass, wrong ones fail.

One generic test parametrized over the catalog, so a new entry needs no new code.
"""

import pytest

import checks
import checks.report
from derivations import CATALOG

NAMED = (
    "binary_cross_entropy_grad_beta",
    "softmax_jacobian",
    "softmax_cross_entropy_grad_logits",
    "logistic_regression_grad_theta",
)


@pytest.mark.parametrize("d", CATALOG, ids=[d.name for d in CATALOG])
def test_catalog_entry_meets_its_expectation_across_ten_seeds(d):
    for seed in range(10):
        result = checks.verify(d, samples=300, seed=seed)
        assert result.ok, f"seed {seed}\n" + checks.report.render_result(result)
        if d.expect == "fail":
            failing = [c for c in result.cases if c.status == "fail"]
            assert failing, "a wrong derivation must fail, not only error"
            assert all(c.counterexample is not None for c in failing)
            if d.kind == "derivation":
                assert result.shrunk is not None and result.repro


def test_catalog_names_are_unique():
    names = [d.name for d in CATALOG]
    assert len(names) == len(set(names))


def test_catalog_has_the_four_named_derivations():
    by_name = {d.name: d for d in CATALOG}
    for name in NAMED:
        assert by_name[name].expect == "pass"


def test_every_entry_cites_its_source_and_quotes_the_claim():
    for d in CATALOG:
        assert d.source, d.name
        assert "Source:" in d.doc, d.name
        if d.expect == "fail":
            assert "Why wrong:" in d.doc, d.name


def test_catalog_size_covers_the_documents():
    derivations = [d for d in CATALOG if d.kind == "derivation"]
    assert len(derivations) >= 35
    assert sum(d.expect == "fail" for d in derivations) >= 5
