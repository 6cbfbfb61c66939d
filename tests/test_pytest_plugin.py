"""The pytest plugin: each entry of a derivations file is a test item whose
outcome is its verdict (run in an inner pytest, small samples)."""

import fnmatch
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import checks  # noqa: F401  (JAX loaded once, outside the inner runs)
from checks._src.run.pytest_plugin import DEFAULT_PATTERNS

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
SMALL = ("-p", "checks.pytest_plugin", "--derivation-samples", "50")

THREE = """
import jax.numpy as jnp
from checks import derivation, domain

def bce(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))

INPUTS = {"alpha": domain.unit_interval(), "beta": domain.unit_interval()}

@derivation(of=bce, wrt="beta", inputs=INPUTS, source="notes, CE.3")
def bce_right(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))

@derivation(of=bce, wrt="beta", inputs=INPUTS)
def bce_sign_flipped(alpha, beta):
    return (alpha - beta) / (beta * (1 - beta))

@derivation(of=bce, wrt="beta", inputs=INPUTS, expect="fail",
            why="the sign is flipped")
def bce_documented_error(alpha, beta):
    return (alpha - beta) / (beta * (1 - beta))
"""


def test_a_right_a_wrong_and_a_documented_error(pytester):
    pytester.makepyfile(mine_derivations=THREE)
    result = pytester.runpytest(*SMALL, "--junitxml=out.xml")
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    text = result.stdout.str()
    # the command line's report of the wrong entry: worst input, both values,
    # a reproduction
    assert "FAIL bce_sign_flipped" in text
    for part in ("worst input found:", "closed form", "autodiff reference"):
        assert part in text
    assert "reproduce with plain JAX:" in text
    assert "FAIL bce_right" not in text
    cases = ET.parse(pytester.path / "out.xml").getroot().iter("testcase")
    by_name = {c.get("name"): c for c in cases}
    assert set(by_name) == {"bce_right", "bce_sign_flipped", "bce_documented_error"}
    assert by_name["bce_sign_flipped"].find("failure") is not None
    assert by_name["bce_right"].find("failure") is None
    assert by_name["bce_documented_error"].find("skipped") is not None


def test_k_selects_entries_by_name(pytester):
    pytester.makepyfile(mine_derivations=THREE)
    result = pytester.runpytest(*SMALL, "-k", "right")
    result.assert_outcomes(passed=1, deselected=2)


def test_an_unexpected_pass_of_a_documented_error_fails(pytester):
    pytester.makepyfile(
        derivations_wrongly_doubted=THREE.replace(
            "def bce_documented_error(alpha, beta):\n    return (alpha - beta)",
            "def bce_documented_error(alpha, beta):\n    return (beta - alpha)",
        )
    )
    result = pytester.runpytest(*SMALL, "-k", "documented")
    result.assert_outcomes(failed=1, deselected=2)
    assert "XPASS(strict)" in result.stdout.str()


def test_an_entry_that_errors_is_a_failure_not_an_xfail(pytester):
    broken = (
        "\n@derivation(of=bce, wrt='beta', inputs=INPUTS, expect='fail', why='x')\n"
        "def bce_broken(alpha, beta):\n"
        "    raise ValueError('broken closed form')\n"
    )
    pytester.makepyfile(mine_derivations=THREE + broken)
    result = pytester.runpytest(*SMALL, "-k", "broken")
    result.assert_outcomes(failed=1, deselected=3)
    assert "ERROR bce_broken" in result.stdout.str()
    assert "broken closed form" in result.stdout.str()


def test_derivations_option_and_pyproject_modules(pytester):
    pytester.makepyfile(plain=THREE)
    result = pytester.runpytest(*SMALL, "-k", "right")  # not a derivations file
    result.assert_outcomes()
    result = pytester.runpytest(*SMALL, "--derivations", "plain.py", "-k", "right")
    result.assert_outcomes(passed=1, deselected=2)
    pytester.makepyprojecttoml('[tool.derivation-checker]\nmodules = ["plain"]\n')
    pytester.syspathinsert()
    result = pytester.runpytest(*SMALL, "-k", "right")
    result.assert_outcomes(passed=1, deselected=2)


def test_a_wrong_option_is_one_line_and_a_usage_error(pytester):
    pytester.makepyfile(mine_derivations=THREE)
    result = pytester.runpytest(*SMALL, "--derivation-dtype", "float128")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "float128" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_a_file_that_fails_to_import_is_a_one_line_collection_error(pytester):
    pytester.makepyfile(mine_derivations="import not_a_module_anywhere\n")
    result = pytester.runpytest(*SMALL)
    result.assert_outcomes(errors=1)
    assert "not_a_module_anywhere" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_the_default_patterns_match_none_of_the_projects_own_modules():
    own = [*ROOT.glob("derivations/**/*.py"), *ROOT.glob("tests/**/*.py")]
    assert own
    matched = [
        p for p in own if any(fnmatch.fnmatch(p.name, pat) for pat in DEFAULT_PATTERNS)
    ]
    assert matched == []


def test_a_claim_whose_package_is_missing_is_a_pytest_skip(pytester):
    pytester.makepyfile(
        mine_derivations="""
from checks import claim

@claim.output(stated="1", requires=("no_such_package_here",))
def needs_a_package():
    return 1

@claim.count(stated="4")
def four():
    return 2 * 2
"""
    )
    result = pytester.runpytest(*SMALL, "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    assert "pip install no_such_package_here" in result.stdout.str()


# A conftest of the inner run that stands in for the checker at chosen seeds:
# at seed 2 every case passes (as if that seed's points missed the error), at
# seed 3 a failure comes without its reproduction script. It records the seeds
# checked and puts the checker back when the inner run ends.
BY_SEED = """
import importlib

checker = importlib.import_module("checks._src.run.verify")
_real = checker.verify
SEEDS = []


def _by_seed(entry, *, seed, **options):
    SEEDS.append(seed)
    result = _real(entry, seed=seed, **options)
    if seed == 2:
        for case in result.cases:
            case.status, case.counterexample = "pass", None
    if seed == 3:
        result.repro, result.repro_note = "", "the closed form calls back"
    return result


checker.verify = _by_seed


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"seeds checked: {SEEDS}")


def pytest_unconfigure(config):
    checker.verify = _real
"""


def test_seeds_each_entry_meets_its_expectation_at_every_seed(pytester):
    pytester.makepyfile(mine_derivations=THREE)
    pytester.makeconftest(BY_SEED)
    result = pytester.runpytest(*SMALL, "--derivation-seeds", "2", "-k", "documented")
    result.assert_outcomes(xfailed=1, deselected=2)
    result.stdout.fnmatch_lines(["seeds checked: [[]0, 1[]]"])
    # a documented error that passes at one seed of three is an unexpected pass
    result = pytester.runpytest(*SMALL, "--derivation-seeds", "3", "-k", "documented")
    result.assert_outcomes(failed=1, deselected=2)
    assert "XPASS(strict)" in result.stdout.str()
    # a right one passes only if it does at every seed; a wrong one is reported
    # with the first seed where it failed
    result = pytester.runpytest(
        *SMALL, "--derivation-seed", "5", "--derivation-seeds", "3", "-k", "bce_"
    )
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    assert "seed 5: FAIL bce_sign_flipped" in result.stdout.str()
    result.stdout.fnmatch_lines(["seeds checked: [[]5, 6, 7, 5, 5, 6, 7[]]"])


def test_xfail_evidence_an_expected_failure_must_show_where(pytester):
    pytester.makepyfile(mine_derivations=THREE)
    pytester.makeconftest(BY_SEED)
    plain = (*SMALL, "--derivation-seed", "3", "-k", "documented")
    result = pytester.runpytest(*plain)
    result.assert_outcomes(xfailed=1, deselected=2)  # the option is off
    result = pytester.runpytest(*plain, "--derivation-xfail-evidence")
    result.assert_outcomes(failed=1, deselected=2)
    text = result.stdout.str()
    assert "expected to fail, and failed without a reproduction script" in text
    assert "(the closed form calls back)" in text
    result = pytester.runpytest(
        *SMALL, "--derivation-xfail-evidence", "-k", "documented"
    )
    result.assert_outcomes(xfailed=1, deselected=2)  # seed 0 shows all of it


def test_seeds_below_one_is_a_usage_error(pytester):
    pytester.makepyfile(mine_derivations=THREE)
    result = pytester.runpytest(*SMALL, "--derivation-seeds", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--derivation-seeds takes N ≥ 1, got 0" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    result = pytester.runpytest(
        *SMALL, "--derivation-seed", str(2**64 - 2), "--derivation-seeds", "3"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_configured_package_is_collected_by_its_modules_and_when_named(pytester):
    pkg = pytester.mkpydir("mypkg")
    (pkg / "grads.py").write_text(THREE)
    (pkg / "__init__.py").write_text(
        "from mypkg import grads\nfrom checks import derivations_in\n"
        "CATALOG = derivations_in(grads)\n"
    )
    pytester.makepyprojecttoml('[tool.derivation-checker]\nmodules = ["mypkg"]\n')
    pytester.syspathinsert()
    result = pytester.runpytest(*SMALL, "--collect-only", "-q")
    ids = [line for line in result.stdout.lines if "::" in line]
    assert ids == [
        f"mypkg/grads.py::{n}"
        for n in ("bce_right", "bce_sign_flipped", "bce_documented_error")
    ]
    result = pytester.runpytest(*SMALL, "mypkg/grads.py::bce_right")
    result.assert_outcomes(passed=1)
