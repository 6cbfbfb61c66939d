"""Every catalog derivation meets its expectation: right ones pass, wrong ones fail.

One generic test parametrized over the catalog, so a new entry needs no new code.
"""

import re
from pathlib import Path

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
        if result.status == "skipped":  # a package the listing imports is missing
            pytest.skip(result.cases[0].message)
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


def test_readme_tables_every_documented_error_and_no_other():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## The catalog: an audit of four documents")[1]
    section = section.split("\n## ")[0]
    tabled = set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))
    wrong = {d.name for d in CATALOG if d.expect == "fail"}
    assert tabled == wrong


def test_every_catalog_module_lists_what_it_leaves_unchecked():
    from checks.listing import not_checked
    from derivations import MODULES

    for module in MODULES:
        lines = not_checked(module)
        assert lines, module.__name__
        assert all(line.section and line.why for line in lines), module.__name__


def test_readme_counts_per_document_match_the_catalog():
    from checks.listing import documents, split_source

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    rows = re.findall(
        r"^\| ([^|`]+?) \| (\d+) / (\d+) \| (\d+) / (\d+) \| (\d+) \|$",
        readme,
        re.MULTILINE,
    )
    listed = {x["document"]: x["sections"] for x in documents(CATALOG)}
    seen = set()
    for label, *numbers in rows:
        word = label.replace('"', "").split()[-1]
        names = [doc for doc in listed if word in doc] if word != "four" else []
        entries = [
            d for d in CATALOG if not names or split_source(d.source)[0] in names
        ]
        unchecked = sum(
            len(s["not_checked"]) for doc in (names or listed) for s in listed[doc]
        )
        expected = [
            sum(d.kind == kind and d.expect == expect for d in entries)
            for kind in ("derivation", "claim")
            for expect in ("pass", "fail")
        ] + [unchecked]
        assert [int(n) for n in numbers] == expected, label
        seen.update(names)
    assert seen == set(listed)
