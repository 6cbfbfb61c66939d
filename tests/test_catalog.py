"""Every catalog derivation meets its expectation: right ones pass, wrong ones fail.

The entries themselves are test items of the pytest plugin
(checks/_src/run/pytest_plugin.py): ``[tool.derivation-checker] modules`` in
pyproject.toml collects the catalog's modules, and its pytest ``addopts`` check each
entry at ten seeds of 300 points, each documented error with its evidence
(``--derivation-xfail-evidence``). A new entry needs no new code. These tests hold the
catalog's other properties, and that the plugin collects every entry under that
configuration.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from checks._src.declare.register import derivations_in
from derivations import CATALOG, MODULES

ROOT = Path(__file__).parent.parent

NAMED = (
    "binary_cross_entropy_grad_beta",
    "softmax_jacobian",
    "softmax_cross_entropy_grad_logits",
    "logistic_regression_grad_theta",
)


def test_the_plugin_collects_every_catalog_entry_once_by_its_module():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "derivations/"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    expected = [
        f"derivations/{module.__name__.split('.')[-1]}.py::{d.name}"
        for module in MODULES
        for d in derivations_in(module)
    ]
    assert len(expected) == len(CATALOG)
    assert sorted(ids) == sorted(expected)


def test_the_project_checks_the_catalog_at_ten_seeds_with_evidence(pytestconfig):
    """What the catalog's items are checked with is the project's configuration
    (the command line may override it for one run)."""
    addopts = " ".join(pytestconfig.getini("addopts"))
    assert "-p checks.pytest_plugin" in addopts
    assert re.search(r"--derivation-seeds (\d+)", addopts).group(1) == "10"
    assert "--derivation-xfail-evidence" in addopts


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
    from checks._src.report.listing import not_checked

    for module in MODULES:
        lines = not_checked(module)
        assert lines, module.__name__
        assert all(line.section and line.why for line in lines), module.__name__


def test_readme_counts_per_document_match_the_catalog():
    from checks._src.report.listing import documents, split_source

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
