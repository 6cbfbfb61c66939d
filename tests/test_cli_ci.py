"""``--format junit`` and ``--format github``: what a CI service reads."""

import io
import xml.etree.ElementTree as ET

from checks._src.run.cli import main

FILE = """\
import jax.numpy as jnp
from checks import derivation, domain

def bce(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))

INPUTS = {"alpha": domain.unit_interval(), "beta": domain.unit_interval()}

@derivation(of=bce, wrt="beta", inputs=INPUTS)
def ci_right(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))

@derivation(of=bce, wrt="beta", inputs=INPUTS)
def ci_sign_flipped(alpha, beta):
    return (alpha - beta) / (beta * (1 - beta))

@derivation(of=bce, wrt="beta", inputs=INPUTS, expect="fail",
            why="the sign is flipped")
def ci_documented(alpha, beta):
    return (alpha - beta) / (beta * (1 - beta))

@derivation(of=bce, wrt="beta", inputs=INPUTS)
def ci_broken(alpha, beta):
    raise ValueError("broken\\x0cclosed form")
"""
LINES = {"ci_sign_flipped": 13, "ci_documented": 17, "ci_broken": 22}


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _file(tmp_path):
    path = tmp_path / "ci_file.py"
    path.write_text(FILE)
    return str(path)


def test_junit_has_a_testcase_per_entry_and_the_right_elements(tmp_path):
    code, out, _ = run(
        _file(tmp_path), "--format", "junit", "--samples", "50", "--no-cache"
    )
    assert code == 1
    root = ET.fromstring(out)  # parses
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("4", "1")
    assert (suite.get("errors"), suite.get("skipped")) == ("1", "1")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["seed"] == "0" and props["dtype"] == "float64,float32"
    assert props["engine"] == "auto" and props["device"].startswith("cpu")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["ci_right", "ci_sign_flipped", "ci_documented", "ci_broken"]
    assert len(cases["ci_right"]) == 1  # its properties only
    failure = cases["ci_sign_flipped"].find("failure")
    assert "worst input found:" in failure.text
    assert "reproduce with plain JAX:" in failure.text
    assert cases["ci_documented"].find("skipped") is not None
    assert cases["ci_documented"].find("failure") is None
    error = cases["ci_broken"].find("error")
    assert error is not None and "broken" in error.text
    for name, line in LINES.items():
        assert cases[name].get("line") == str(line)
    own = {p.get("name"): p.get("value") for p in cases["ci_right"].iter("property")}
    assert own["engine"] == "numpy" and own["dtype"] == "float64,float32"


def test_an_unexpected_pass_is_a_junit_failure(tmp_path):
    path = tmp_path / "ci_xpass.py"
    path.write_text(
        FILE.replace(
            "def ci_documented(alpha, beta):\n    return (alpha - beta)",
            "def ci_documented(alpha, beta):\n    return (beta - alpha)",
        )
    )
    code, out, _ = run(
        str(path), "--only", "ci_documented", "--format", "junit", "--samples", "50"
    )
    assert code == 1
    (case,) = ET.fromstring(out).iter("testcase")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "xpass"


def test_github_annotations_point_at_the_closed_forms(tmp_path):
    code, out, _ = run(
        _file(tmp_path), "--format", "github", "--samples", "50", "--no-cache"
    )
    assert code == 1
    lines = out.splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == 3  # not the passing entry
    by_name = {a.split("title=")[1].split("::")[0].split()[1]: a for a in annotations}
    assert set(by_name) == set(LINES)
    for name, line in LINES.items():
        assert f",line={line}," in by_name[name]
        assert "file=" in by_name[name] and "ci_file.py" in by_name[name]
    assert by_name["ci_sign_flipped"].startswith("::error ")
    assert by_name["ci_broken"].startswith("::error ")
    assert by_name["ci_documented"].startswith("::notice ")
    # a message's newlines are escaped: each annotation is one line
    assert "%0A" in by_name["ci_sign_flipped"]
    assert "worst input found:" in by_name["ci_sign_flipped"]
    assert lines[-1].startswith("4 entries:")


def test_github_is_only_the_summary_when_everything_passes(tmp_path):
    code, out, _ = run(
        _file(tmp_path), "--only", "ci_right", "--format", "github", "--samples", "50"
    )
    assert code == 0
    assert out.splitlines() == [out.splitlines()[-1]]
    assert out.startswith("1 entries: 1 pass")


def test_list_in_a_ci_format_is_a_usage_error():
    code, out, err = run("--list", "--format", "junit")
    assert code == 2 and out == ""
    expected = "--list writes a table or JSON, not --format junit"
    assert err == f"check-derivations: error: {expected}\n"
