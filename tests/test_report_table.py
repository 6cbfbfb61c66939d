"""The default table: a line per entry (past PASS_ROWS passes, a line per
document of passes), documented errors a line each, only the unexpected in full;
colours only for a terminal without NO_COLOR."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from checks._src.report.report import PASS_ROWS, render_table
from checks._src.report.result import (
    CaseResult,
    Counterexample,
    DerivationResult,
    Report,
)
from checks._src.run.cli import _colour, main
from checks._src.search.diagnose_points import Diagnosis

ROOT = Path(__file__).parent.parent
ANSI = re.compile("\x1b\\[[0-9;]*m")


def _case(status, stability="stable", message=""):
    ce = Counterexample(
        inputs={"x": 0.5}, closed_form=1.0, reference=2.0, element=[], region={}
    )
    return CaseResult(
        dtype="float64",
        device="cpu",
        dims={},
        samples=10,
        status=status,
        ratio=3.0 if status == "fail" else 0.1,
        tolerance=1e-15,
        worst_error=1.0,
        message=message or f"{status} at 1 of 10 points",
        counterexample=ce if status == "fail" else None,
        stability=stability,
        stability_message="error 20× autodiff's own in float32",
        stability_counterexample=ce if stability == "unstable" else None,
    )


def _report():
    results = [
        DerivationResult("right", "notes, 1", "pass", cases=[_case("pass")]),
        DerivationResult("wrong", "notes, 2", "pass", cases=[_case("fail")]),
        DerivationResult(
            "doubted",
            "notes, 3",
            "fail",
            why="the sign is flipped",
            cases=[_case("fail")],
        ),
        DerivationResult(
            "shaky", "notes, 4", "pass", cases=[_case("pass", stability="unstable")]
        ),
    ]
    return Report(results, {"seed": 0, "jax": "0", "devices": ["cpu:0"]})


def test_only_the_unexpected_failure_is_shown_in_full():
    text = render_table(_report())
    assert "\x1b" not in text
    assert text.count("worst input found:") == 1
    assert "FAIL wrong  [notes, 2]" in text
    assert "XFAIL doubted" not in text  # not in full
    heading = "Documented errors found (1; --verbose shows each in full):"
    assert heading in text
    assert "  doubted  [notes, 3]: the sign is flipped" in text.splitlines()
    unstable = [line for line in text.splitlines() if line.startswith("  shaky: ")]
    assert unstable == ["  shaky: float64 cpu: error 20× autodiff's own in float32"]
    table = text.split("\n\n")[0].splitlines()
    assert len(table) == 2 + 4  # header, rule, a line per entry


def _many(passes, extra=()):
    """``passes`` passing entries over two documents, then ``extra``."""
    results = [
        DerivationResult(
            f"right_{i}",
            f"Doc {'AB'[i % 2]}, Section {i}",
            "pass",
            kind="claim" if i % 3 else "derivation",
            cases=[_case("pass")],
        )
        for i in range(passes)
    ]
    if passes > 12:
        results[12].cases[0].ratio = 0.5
    return Report([*results, *extra], {"seed": 0, "jax": "0", "devices": ["cpu:0"]})


def test_a_row_per_pass_up_to_pass_rows_then_a_line_per_document():
    few = render_table(_many(PASS_ROWS)).splitlines()
    assert few[0].startswith("entry ")
    assert sum(line.startswith("right_") for line in few) == PASS_ROWS
    many = render_table(_many(PASS_ROWS + 1)).splitlines()
    assert not any(line.startswith("right_") for line in many)
    assert many[0] == f"Passed ({PASS_ROWS + 1}; --verbose lists each):"
    rows = [re.split(" {2,}", line.strip()) for line in many if "  Doc " in line]
    assert rows[0] == ["Doc A", "11 (4 derivations, 7 claims)", "0.5× right_12"]
    assert rows[1] == ["Doc B", "10 (3 derivations, 7 claims)", "0.1× right_3"]
    verbose = render_table(_many(PASS_ROWS + 1), verbose=True).splitlines()
    assert sum(line.startswith("right_") for line in verbose) == PASS_ROWS + 1


def test_grouped_passes_keep_a_line_for_every_entry_that_did_not_pass():
    extra = [
        DerivationResult("wrong", "Doc A, 2", "pass", cases=[_case("fail")]),
        DerivationResult("broken", "Doc B, 3", "pass", cases=[_case("error")]),
        DerivationResult("lucky", "Doc B, 4", "fail", why="w", cases=[_case("pass")]),
        DerivationResult("absent", "Doc B, 5", "pass", cases=[_case("skipped")]),
        DerivationResult(
            "doubted", "Doc A, 6", "fail", why="the sign", cases=[_case("fail")]
        ),
    ]
    lines = render_table(_many(PASS_ROWS + 1, extra)).splitlines()
    for name, mark in [
        ("wrong", "FAIL"),
        ("broken", "ERROR"),
        ("lucky", "XPASS"),
        ("absent", "SKIP"),
    ]:
        assert sum(line.split()[:2] == [name, mark] for line in lines) == 1, name
        assert sum(line.startswith(f"{mark} {name}  [") for line in lines) == (
            mark != "SKIP"
        ), name  # the unexpected in full
    assert "  doubted  [Doc A, 6]: the sign" in lines  # a line of its own
    assert not any(line.startswith("doubted ") for line in lines)  # not twice
    assert lines[-1].startswith("26 entries: 21 pass, 1 fail, 1 error, 1 xfail,")


def test_a_report_the_catalog_s_size_fits_in_150_lines():
    """The catalog's entries (names, sources, kinds, expectations, whys), each
    with a verdict meeting its expectation and every documented error with a
    diagnosis line: the default report stays readable at a glance."""
    from derivations import CATALOG

    results = [
        DerivationResult(
            d.name,
            d.source,
            d.expect,
            why=d.why,
            kind=d.kind,
            cases=[_case("fail" if d.expect == "fail" else "pass")],
            diagnosis=[Diagnosis("term", "the closed form is 0")]
            if d.expect == "fail"
            else [],
        )
        for d in CATALOG
    ]
    text = render_table(Report(results, {"seed": 0, "devices": ["cpu:0"]}))
    lines = text.splitlines()
    assert len(lines) <= 150, len(lines)
    for d in CATALOG:  # every documented error still has its line
        if d.expect == "fail":
            assert any(line.startswith(f"  {d.name}  [") for line in lines), d.name
    passed = sum(d.expect == "pass" for d in CATALOG)
    assert f"{len(CATALOG)} entries: {passed} pass," in lines[-1]


def test_verbose_shows_everything_in_full():
    text = render_table(_report(), verbose=True)
    assert "Documented errors found" not in text
    assert "XFAIL doubted  [notes, 3]" in text
    assert "expected to fail: the sign is flipped" in text
    assert text.count("worst input found:") == 3  # wrong, doubted, shaky's
    assert "PASS right  [notes, 1]" in text


def test_colour_paints_the_verdicts_and_keeps_the_columns():
    plain = render_table(_report())
    coloured = render_table(_report(), colour=True)
    assert "\x1b[31mFAIL" in coloured and "\x1b[32mPASS" in coloured
    assert "\x1b[33mXFAIL" in coloured
    assert ANSI.sub("", coloured) == plain


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _colour(_Terminal())
    assert not _colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _colour(_Terminal())


def test_the_command_writes_no_colour_to_a_file_or_pipe(tmp_path):
    out = io.StringIO()
    code = main(
        [str(ROOT / "tests" / "examples.py"), "--only", "bce", "--samples", "50"],
        stdout=out,
        stderr=io.StringIO(),
    )
    assert code == 0
    assert "\x1b" not in out.getvalue()


def test_python_m_checks_runs_the_command():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "checks", "--list", "--only", "softmax_jacobian"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "softmax_jacobian" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "checks", "--samples", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("check-derivations: error:")
    assert "Traceback" not in bad.stderr
