"""The command line, in-process through ``main(argv)`` and once as a real process."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from checks._src.run.cli import main

HERE = Path(__file__).parent
EXAMPLES = str(HERE / "examples.py")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path, text, name="mine.py"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


GOOD_FILE = """
import jax.numpy as jnp
from checks import derivation, domain

def binary_cross_entropy(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))

@derivation(of=binary_cross_entropy, wrt="beta",
            inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()},
            source="Cross Entropy notes, CE.3")
def binary_cross_entropy_grad_beta(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))
"""

WRONG_FILE = GOOD_FILE.replace("(beta - alpha) /", "(alpha - beta) /")


def test_list_shows_the_catalog():
    code, out, _ = run("--list")
    assert code == 0
    assert "softmax_jacobian" in out and "logistic_regression_grad_theta" in out


def test_json_report_of_a_user_file_has_the_documented_fields(tmp_path):
    code, out, _ = run(
        write(tmp_path, GOOD_FILE), "--format", "json", "--samples", "200"
    )
    assert code == 0
    report = json.loads(out)
    assert set(report) >= {"results", "summary", "environment"}
    (result,) = report["results"]
    assert result["name"] == "binary_cross_entropy_grad_beta"
    assert result["source"] == "Cross Entropy notes, CE.3"
    assert result["expect"] == "pass" and result["status"] == "pass"
    assert [c["dtype"] for c in result["cases"]] == ["float64", "float32"]
    for case in result["cases"]:
        assert {
            "dtype",
            "device",
            "dims",
            "samples",
            "status",
            "max_abs_error",
            "max_rel_error",
            "tolerance",
            "message",
            "counterexample",
        } <= set(case)
        assert case["device"] == "cpu" and case["samples"] == 200
        assert isinstance(case["tolerance"], float) and case["counterexample"] is None
    assert report["summary"] == {
        "pass": 1,
        "fail": 0,
        "error": 0,
        "xfail": 0,
        "xpass": 0,
        "skipped": 0,
    }
    assert report["environment"]["seed"] == 0
    assert set(report["environment"]) >= {"jax", "devices", "seed"}


def test_wrong_derivation_exits_1_with_a_counterexample(tmp_path):
    code, out, _ = run(
        write(tmp_path, WRONG_FILE), "--format", "json", "--samples", "100"
    )
    assert code == 1
    case = json.loads(out)["results"][0]["cases"][0]
    assert case["status"] == "fail"
    ce = case["counterexample"]
    assert set(ce) >= {"inputs", "closed_form", "reference"}
    assert set(ce["inputs"]) == {"alpha", "beta"}


def test_table_shows_the_failure_in_full(tmp_path):
    code, out, _ = run(
        write(tmp_path, WRONG_FILE), "--samples", "100", "--dtype", "float64"
    )
    assert code == 1
    assert "FAIL" in out and "worst input found" in out and "autodiff reference" in out


def test_expected_failures_exit_0_and_only_filters(tmp_path):
    code, out, _ = run(EXAMPLES, "--samples", "100", "--only", "bce")
    assert code == 0
    assert "XFAIL" in out and "softmax_jacobian" not in out


def test_output_file_gets_the_report(tmp_path):
    target = tmp_path / "report.json"
    code, out, _ = run(
        EXAMPLES,
        "--only",
        "bce_grad_beta",
        "--samples",
        "50",
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert code == 0
    assert "wrote" in out
    assert len(json.loads(target.read_text())["results"]) == 2


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["no/such/file.py"], "no such file"),
        (["no_such_module_anywhere"], "no such file or importable module"),
        (["--samples", "0", EXAMPLES], "samples must be a positive integer"),
        (["--dtype", "float8", EXAMPLES], "unknown dtype"),
        (["--device", "tpu"], "invalid choice"),
        (["--only", "nothing-matches-this", EXAMPLES], "no derivation matches"),
        (["--samples", "many"], "invalid int value"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, needle):
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and needle in err
    assert "Traceback" not in err


def test_file_that_fails_to_import_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, "import jax\nraise ImportError('missing dependency xyz')\n")
    code, _, err = run(path)
    assert code == 2
    assert err.count("\n") == 1 and "missing dependency xyz" in err


def test_file_with_a_syntax_error_exits_2(tmp_path):
    code, _, err = run(write(tmp_path, "def broken(:\n"))
    assert code == 2 and "SyntaxError" in err and err.count("\n") == 1


def test_file_with_a_bad_declaration_exits_2(tmp_path):
    text = GOOD_FILE.replace('wrt="beta"', 'wrt="gamma"')
    code, _, err = run(write(tmp_path, text))
    assert code == 2 and "wrt='gamma'" in err


def test_file_without_derivations_exits_2(tmp_path):
    code, _, err = run(write(tmp_path, "x = 1\n"))
    assert code == 2 and "declares no derivations" in err


def test_gpu_without_a_gpu_exits_2():
    import jax

    try:
        jax.devices("gpu")
        pytest.skip("this machine has a GPU")
    except RuntimeError:
        pass
    code, _, err = run(EXAMPLES, "--device", "gpu")
    assert code == 2 and "no GPU" in err


def test_console_script_runs_as_a_process(tmp_path):
    path = write(tmp_path, GOOD_FILE)
    exe = Path(sys.executable).with_name("check-derivations")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "checks.cli"]
    proc = subprocess.run(
        [*cmd, path, "--format", "json", "--samples", "100"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["pass"] == 1
