"""Printed outputs, bounds and counts (``checks._src.evaluate.printed``), the
``skipped`` status, and the per-document listing (``checks._src.report.listing``): each
rule both ways."""

import io
import json
import types

import numpy as np
import pytest

import checks
from checks import DeclarationError, claim
from checks._src.declare import domain
from checks._src.report import listing
from checks._src.report.result import DerivationResult, Report
from checks._src.run.cli import main
from checks._src.store import store


def status(fn):
    return checks.verify(fn).status


def test_a_printed_shape_passes_when_the_code_gives_it_and_fails_otherwise():
    @claim.output(shape="(150, 4)")
    def right():
        return np.zeros((150, 4))

    @claim.output(shape="(150, 4)")
    def wrong():
        return np.zeros(150)

    assert status(right) == "pass"
    result = checks.verify(wrong)
    assert result.status == "fail"
    ce = result.cases[0].counterexample
    assert ce.closed_form == [150, 4] and ce.reference == [150]


def test_printed_values_compare_at_the_printed_precision():
    @claim.output(stated=["0.21194156", "0.57611688"])
    def right():
        e = np.exp([2.0, 3.0])
        return np.array([e[0], e[1]]) / (2 * e[0] + e[1])

    @claim.output(stated=["0.21194157", "0.57611688"])
    def last_digit_off():
        e = np.exp([2.0, 3.0])
        return np.array([e[0], e[1]]) / (2 * e[0] + e[1])

    assert status(right) == "pass"
    assert status(last_digit_off) == "fail"


def test_a_count_must_equal_the_printed_integer_exactly():
    @claim.count(stated="8")
    def right():
        return sum(1 for _ in range(2**3))

    @claim.count(stated="9")
    def wrong():
        return sum(1 for _ in range(2**3))

    @claim.count(stated="8")
    def not_an_integer():
        return 8.0

    assert status(right) == "pass"
    assert status(wrong) == "fail"
    assert status(not_an_integer) == "error"


def test_a_bound_holds_inside_and_fails_outside():
    @claim.bound(stated="0.5")
    def inside():
        return (0.2, None)

    @claim.bound(stated="0.08")
    def below():
        return (0.23, None)

    @claim.bound(stated="2")
    def above():
        return (None, 1.0)

    assert status(inside) == "pass"
    assert status(below) == "fail" and status(above) == "fail"


def test_a_claim_needing_a_missing_package_is_skipped_never_passed():
    @claim.output(stated="1", requires=("no_such_package_here",))
    def needs_it():
        raise AssertionError("not run when the package is missing")

    result = checks.verify(needs_it)
    assert result.status == "skipped" and result.outcome == "skipped"
    assert result.ok  # does not fail the run
    assert "pip install no_such_package_here" in result.cases[0].message
    assert checks.verify(
        claim.output(stated="1", requires=("sklearn",), name="s")(lambda: 1)
    ).status in ("pass", "skipped")
    summary = Report([result], {}).to_dict()["summary"]
    assert summary["skipped"] == 1 and summary["pass"] == 0
    assert "SKIP" in str(result)


def test_a_skipped_result_is_not_stored(monkeypatch):
    saved = []
    monkeypatch.setattr(store, "_path", lambda key: saved.append(key))
    result = DerivationResult(name="x", source="", expect="pass")
    result.cases.append(
        checks._src.evaluate.printed._case(
            "skipped", "needs x, not installed (pip install x)"
        )
    )
    store.save("0" * 64, result)
    assert saved == []


def test_a_claims_stored_result_is_not_reused_once_its_package_is_gone(monkeypatch):
    @claim.output(stated="1", requires=("json",))
    def needs_json():
        return 1

    c = needs_json.__derivation__
    key = dict(samples=10, seed=0, dtypes=["float64"], devices=[], mutants=False)
    installed = store.fingerprint(c, **key)
    monkeypatch.setattr(
        checks._src.evaluate.printed.importlib.util, "find_spec", lambda name: None
    )
    assert store.fingerprint(c, **key) != installed


SKIPPED_FILE = """
from checks import claim

@claim.output(stated="1", requires=("no_such_package_here",), source="Doc, S1")
def needs_a_package():
    return 1

@claim.count(stated="4", source="Doc, S1")
def four():
    return 2 * 2
"""


def test_the_command_line_counts_skipped_apart_and_exits_0(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(SKIPPED_FILE)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(path), "--format", "json"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    summary = json.loads(out.getvalue())["summary"]
    assert summary["skipped"] == 1 and summary["pass"] == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: claim.output(shape="150 by 4")(lambda: 0),
        lambda: claim.output(shape="(1,)", stated="1")(lambda: 0),
        lambda: claim.count(stated="2.5")(lambda: 0),
        lambda: claim.bound(stated="x")(lambda: 0),
        lambda: claim.output(shape=(1,))(lambda: 0),
        lambda: claim.value(stated="1", requires=("sklearn",))(lambda: 0),
        lambda: claim.output(stated="1", inputs={"x": domain.real()})(lambda x: 0),
    ],
)
def test_a_malformed_printed_claim_is_refused_at_declaration(make):
    with pytest.raises(DeclarationError):
        make()


def test_a_source_splits_into_document_and_section():
    assert listing.split_source(
        'Lizi Chen, "Entropy, Cross-Entropy Review", Section 5.1, Figure 4'
    ) == ('Lizi Chen, "Entropy, Cross-Entropy Review"', "Section 5.1, Figure 4")
    assert listing.split_source('"A Post" (blog, 2017), Summary') == (
        '"A Post" (blog, 2017)',
        "Summary",
    )
    assert listing.split_source("Notes, CE.2") == ("Notes, CE.2".split(", ")[0], "CE.2")


def test_not_checked_lines_are_read_and_filed_under_their_document():
    module = types.ModuleType("m")
    module.__doc__ = """Title.

    Not checked:

    - Chen, Section 1.2: a missing figure,
      continued here.
    - slides, "Terminologies": analogies only.

    After the list.
    """
    lines = listing.not_checked(
        module, ['Lizi Chen, "A Review"', 'Ngo Huy Bien, "LR" slides']
    )
    assert lines == [
        listing.NotChecked(
            'Lizi Chen, "A Review"', "Section 1.2", "a missing figure, continued here."
        ),
        listing.NotChecked(
            'Ngo Huy Bien, "LR" slides', '"Terminologies"', "analogies only."
        ),
    ]


def test_the_catalog_listing_names_each_document_with_its_unchecked_lines():
    out, err = io.StringIO(), io.StringIO()
    assert main(["--list", "--format", "json"], stdout=out, stderr=err) == 0
    listed = json.loads(out.getvalue())
    docs = listed["documents"]
    assert len(docs) == 4
    names = {n for d in docs for s in d["sections"] for n in s["entries"]}
    assert names == {e["name"] for e in listed["entries"]}
    assert all(any(s["not_checked"] for s in d["sections"]) for d in docs)


def test_a_skipped_claim_reads_as_skipped_in_every_format(tmp_path):
    import xml.etree.ElementTree as ET

    from checks._src.report.report import render_table

    path = tmp_path / "mine.py"
    path.write_text(SKIPPED_FILE)
    out, err = io.StringIO(), io.StringIO()
    assert main([str(path), "--format", "junit"], stdout=out, stderr=err) == 0
    suite = ET.fromstring(out.getvalue()).find("testsuite")
    assert suite.get("skipped") == "1" and suite.get("failures") == "0"
    (skipped,) = suite.iter("skipped")
    assert skipped.get("type") == "skipped"
    assert "pip install no_such_package_here" in skipped.get("message")
    out = io.StringIO()
    assert main([str(path), "--format", "github"], stdout=out, stderr=err) == 0
    (line,) = [x for x in out.getvalue().splitlines() if x.startswith("::")]
    assert line.startswith("::notice") and "no_such_package_here" in line
    result = checks.verify(
        claim.output(stated="1", requires=("no_such_package_here",), name="n")(
            lambda: 1
        )
    )
    assert "SKIP" in render_table(Report([result], {}), colour=True)
