"""Input a user did not mean, or did not expect to matter: each gets a clear answer.

Neighbour modules of the same name in two folders, a name declared twice, a report
path that is a target, printing closed forms, reproduction scripts that must run,
closed forms that are never finite or return the wrong thing, and option values
of the wrong type or out of range.
"""

import io
import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import checks
from checks import claim, derivation
from checks._src.declare import domain
from checks._src.declare.declare import DeclarationError
from checks._src.run.cli import main
from checks._src.run.verify import OptionError

REPO = Path(__file__).resolve().parent.parent
FAST = ("--samples", "20", "--dtype", "float64")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(folder: Path, name: str, text: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return str(path)


SQUARE = """
import jax.numpy as jnp
from checks import derivation, domain
{imports}

def square_{tag}(x):
    return x * x

@derivation(of=square_{tag}, wrt="x", inputs={{"x": domain.unit_interval()}})
def square_{tag}_grad(x):
    return {body}
"""


def square(tag: str, body: str, imports: str = "") -> str:
    return SQUARE.format(tag=tag, body=body, imports=imports)


# 1. Same-named neighbour modules ---------------------------------------------


def test_each_target_imports_its_own_neighbour_modules(tmp_path):
    """a/ and b/ each hold hostile_helpers.py; b's closed form is wrong with its own
    helper (3x) and would pass with a's (2x)."""
    write(tmp_path / "a", "hostile_helpers.py", "def factor():\n    return 2.0\n")
    write(tmp_path / "b", "hostile_helpers.py", "def factor():\n    return 3.0\n")
    use = "from hostile_helpers import factor"
    a = write(tmp_path / "a", "a.py", square("a", "x * factor()", use))
    b = write(tmp_path / "b", "b_wrong.py", square("b", "x * factor()", use))
    code, out, err = run(a, b, *FAST, "--format", "json", "--no-cache")
    status = {r["name"]: r["status"] for r in json.loads(out)["results"]}
    assert status == {"square_a_grad": "pass", "square_b_grad": "fail"}, err
    assert code == 1
    # and the other way round: the first target's helper is its own too
    code, out, _ = run(b, a, *FAST, "--format", "json", "--no-cache")
    status = {r["name"]: r["status"] for r in json.loads(out)["results"]}
    assert status == {"square_a_grad": "pass", "square_b_grad": "fail"}


def test_a_module_imported_before_from_elsewhere_does_not_stand_in(tmp_path):
    """``hostile_stale`` is already imported (from another folder) when the
    target that has its own ``hostile_stale.py`` is loaded."""
    write(tmp_path / "other", "hostile_stale.py", "def factor():\n    return 2.0\n")
    sys.path.insert(0, str(tmp_path / "other"))
    try:
        __import__("hostile_stale")
    finally:
        sys.path.pop(0)
    write(tmp_path / "mine", "hostile_stale.py", "def factor():\n    return 3.0\n")
    use = "from hostile_stale import factor"
    target = write(tmp_path / "mine", "t.py", square("s2", "x * factor()", use))
    code, out, _ = run(target, *FAST, "--format", "json", "--no-cache")
    assert json.loads(out)["results"][0]["status"] == "fail"
    assert code == 1


# 2. A name declared twice ----------------------------------------------------


def test_a_function_name_declared_twice_in_a_file_is_an_error(tmp_path):
    text = square("t", "2 * x") + square("t", "3 * x").split("\n", 3)[3]
    code, out, err = run(write(tmp_path, "twice.py", text), *FAST)
    assert code == 2 and out == ""
    assert "square_t_grad: declared twice" in err
    assert err.count("line") == 2 and "Traceback" not in err


def test_a_name_given_twice_in_a_module_is_an_error():
    module = types.ModuleType("hostile_twice")
    sys.modules[module.__name__] = module
    try:

        def f(x):
            return x * x

        def first(x):
            return 2 * x

        def second(x):
            return 2 * x

        for fn in (first, second):
            fn.__module__, fn.__qualname__ = module.__name__, fn.__name__
        declare = derivation(
            of=f, wrt="x", inputs={"x": domain.unit_interval()}, name="same"
        )
        declare(first)
        with pytest.raises(DeclarationError, match=r"same: declared twice.*first.*"):
            declare(second)

        def value_one():
            return jnp.asarray(0.5)

        def value_two():
            return jnp.asarray(0.5)

        for fn in (value_one, value_two):
            fn.__module__, fn.__qualname__ = module.__name__, fn.__name__
        claim.value(stated="0.5", name="half")(value_one)
        with pytest.raises(DeclarationError, match="half: declared twice"):
            claim.value(stated="0.5", name="half")(value_two)
    finally:
        del sys.modules[module.__name__]


def test_two_declarations_stacked_on_one_function_need_two_names(tmp_path):
    text = square("s", "2 * x").replace(
        "@derivation(",
        '@derivation(of=square_s, wrt="x", inputs={"x": '
        "domain.unit_interval()})\n@derivation(",
    )
    code, _, err = run(write(tmp_path, "stacked.py", text), "--list")
    assert code == 2 and "square_s_grad: declared twice" in err


# 3. --output -----------------------------------------------------------------


def test_output_naming_a_target_is_refused_before_the_run(tmp_path):
    target = write(tmp_path, "mine.py", square("o", "2 * x"))
    before = Path(target).read_text()
    link = tmp_path / "link.json"
    link.symlink_to(target)
    for output in (target, str(link), str(tmp_path / "." / "mine.py")):
        code, out, err = run(target, "--output", output, *FAST)
        assert code == 2 and out == "", output
        assert "would overwrite" in err
    assert Path(target).read_text() == before


def test_output_naming_a_neighbour_module_is_refused(tmp_path):
    helper = write(tmp_path, "hostile_out_helper.py", "TWO = 2.0\n")
    target = write(
        tmp_path,
        "mine.py",
        square("n", "TWO * x", "from hostile_out_helper import TWO"),
    )
    code, out, err = run(target, "--output", helper, *FAST)
    assert code == 2 and out == "" and "Python file of this run" in err
    assert Path(helper).read_text() == "TWO = 2.0\n"


def test_a_bad_output_path_is_found_before_the_run(tmp_path):
    target = write(tmp_path, "mine.py", square("p", "2 * x"))
    start = time.perf_counter()
    for output, why in (
        (tmp_path / "missing" / "report.txt", "no such directory"),
        (tmp_path, "is a directory"),
        (Path("/proc/hostile-report.txt"), "cannot write"),
    ):
        code, out, err = run(target, "--output", str(output), "--samples", "20")
        assert code == 2 and out == "" and why in err, err
    assert time.perf_counter() - start < 5  # nothing was checked
    assert not (tmp_path / "missing").exists()


# 4. What user code prints -----------------------------------------------------

PRINTING = """
import jax
import jax.numpy as jnp
from checks import derivation, domain

print("loading")

def of_printing(x):
    print("inside of")
    return x * x

def draw(key, shape, dtype):
    print("inside the sampler")
    return jax.random.uniform(key, shape, dtype, minval=0.1, maxval=0.9)

@derivation(of=of_printing, wrt="x", inputs={"x": domain.custom(draw)})
def printing_grad(x):
    print("inside the closed form\\n\\x1b[31mred")
    return 2 * x

def quiet(x):
    return x * x

@derivation(of=quiet, wrt="x", inputs={"x": domain.unit_interval()})
def quiet_grad(x):
    return 2 * x
"""


def test_what_user_code_prints_stays_out_of_the_json_report(tmp_path):
    target = write(tmp_path, "printing.py", PRINTING)
    code, out, err = run(target, *FAST, "--format", "json", "--no-cache")
    report = json.loads(out)  # nothing else on stdout
    assert code == 0, err
    printing, quiet = report["results"]
    for text in ("inside of", "inside the sampler", "inside the closed form"):
        assert text in printing["output"]
    assert quiet["output"] == ""
    assert "loading" in err


def test_what_user_code_prints_is_shown_in_its_entry(tmp_path):
    target = write(tmp_path, "printing.py", PRINTING)
    code, out, _ = run(target, *FAST, "--verbose", "--no-cache")
    assert code == 0
    assert "printed while checked:" in out
    assert "| inside the closed form" in out
    assert "\x1b" not in out and "\\x1b[31mred" in out
    assert not out.startswith("inside") and "loading" not in out


def test_progress_of_the_api_is_not_taken_for_printed_output(capsys):
    shown = []

    def progress(index, total, text):
        print(text)
        shown.append(text)

    report = checks.check_all(
        [square_x_grad], samples=20, dtypes=["float64"], progress=progress
    )
    assert shown and report.results[0].output == ""
    assert shown[-1] in capsys.readouterr().out


def test_long_printed_output_is_cut():
    def f(x):
        return x * x

    def noisy_grad(x):
        print("x" * 5000)
        return 2 * x

    result = checks.verify(
        noisy_grad,
        of=f,
        wrt="x",
        inputs={"x": domain.unit_interval()},
        samples=20,
        dtypes=["float64"],
    )
    assert result.status == "pass"
    assert len(result.output) < 2100 and "more characters not shown" in result.output


# 5. Reproduction scripts that run ------------------------------------------


def run_script(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    script = tmp_path / "elsewhere" / "repro.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=script.parent,
        env=env,
        timeout=300,
    )


REPRO_CASES = {
    "neighbour": (
        "from hostile_repro_helpers import factor",
        "def square_neighbour(x):\n    return x * x\n",
        "square_neighbour",
        "3.0 * x * factor()",
    ),
    "array": (
        "W = jnp.array([1.0, 2.0])",
        "def square_array(x):\n    return x * x\n",
        "square_array",
        "3.0 * x * jnp.sum(W) / 3.0",
    ),
    "inf": (
        "BIG = jnp.inf",
        "def square_inf(x):\n    return jnp.minimum(x * x, BIG)\n",
        "square_inf",
        "jnp.minimum(3.0 * x, BIG)",
    ),
    "lambda": (
        "square_lambda = lambda x: x * x  # noqa: E731",
        "",
        "square_lambda",
        "3.0 * x",
    ),
    "inline_lambda": ("", "", "lambda x: x * x", "3.0 * x"),
}


@pytest.mark.parametrize("kind", list(REPRO_CASES))
def test_the_reproduction_script_runs_on_its_own(tmp_path, kind):
    extra, of_source, of_name, body = REPRO_CASES[kind]
    write(tmp_path, "hostile_repro_helpers.py", "def factor():\n    return 1.0\n")
    text = (
        "import jax.numpy as jnp\nfrom checks import derivation, domain\n"
        f"{extra}\n\n{of_source}\n"
        f'@derivation(of={of_name}, wrt="x", inputs={{"x": domain.unit_interval()}})\n'
        f"def wrong_{kind}_grad(x):\n    return {body}\n"
    )
    target = write(tmp_path, f"repro_{kind}.py", text)
    _, out, err = run(target, *FAST, "--format", "json", "--no-cache")
    (result,) = json.loads(out)["results"]
    assert result["status"] == "fail", err
    assert result["repro"], result["repro_note"]
    done = run_script(tmp_path, result["repro"])
    assert done.returncode == 0, done.stderr
    assert "max |difference|:" in done.stdout


def test_without_a_script_the_report_says_why():
    """A lambda closed form given to ``verify``: no name to import it by."""

    def f(x):
        return x * x

    result = checks.verify(
        lambda x: 3.0 * x,
        of=f,
        wrt="x",
        inputs={"x": domain.unit_interval()},
        samples=20,
        dtypes=["float64"],
    )
    assert result.status == "fail" and result.repro == ""
    assert "not a module-level name" in result.repro_note
    assert "no reproduction script: the closed form" in str(result)


# 6. Closed forms that are never finite, or return the wrong thing ------------

NEVER_FINITE = """
import jax.numpy as jnp
from checks import claim, derivation, domain

def square(x):
    return x * x

@derivation(of=square, wrt="x", inputs={"x": domain.unit_interval()})
def nan_grad(x):
    return x * jnp.nan

@derivation(of=square, wrt="x", inputs={"x": domain.unit_interval()})
def inf_grad(x):
    return x / 0.0

@derivation(of=square, wrt="x", inputs={"x": domain.unit_interval()})
def tuple_grad(x):
    return 2 * x, x

@derivation(of=square, wrt="x", inputs={"x": domain.unit_interval()})
def none_grad(x):
    return None

@claim.value(stated="0.7")
def half():
    return jnp.asarray(0.5)
"""


def test_never_finite_and_malformed_closed_forms(tmp_path):
    target = write(tmp_path, "bad.py", NEVER_FINITE)
    code, out, err = run(target, "--samples", "20", "--format", "json", "--no-cache")
    results = {r["name"]: r for r in json.loads(out)["results"]}
    assert code == 1, err
    for name in ("nan_grad", "inf_grad"):
        assert results[name]["status"] == "fail", results[name]["cases"]
        for case in results[name]["cases"]:
            assert case["status"] == "fail" and case["counterexample"]["inputs"]
        assert results[name]["stability"] != "unstable"
    messages = [c["message"] for c in results["tuple_grad"]["cases"]]
    assert results["tuple_grad"]["status"] == "error"
    assert all("returned a tuple of 2 arrays" in m for m in messages)
    assert all("return one array shaped ()" in m for m in messages)
    messages = [c["message"] for c in results["none_grad"]["cases"]]
    assert all(m.startswith("the closed form returned None") for m in messages)


def test_the_table_writes_nan_as_nan_and_a_value_claim_has_no_empty_header(tmp_path):
    target = write(tmp_path, "bad.py", NEVER_FINITE)
    _, out, _ = run(target, "--samples", "20", "--dtype", "float64", "--no-cache")
    nan_part = out[out.index("FAIL nan_grad") : out.index("FAIL inf_grad")]
    assert "None" not in nan_part and "\n      nan\n" in nan_part
    inf_part = out[out.index("FAIL inf_grad") :]
    assert "\n      inf\n" in inf_part
    value_part = out[out.index("FAIL half") :]
    assert "worst input found:" not in value_part.split("\n\n")[0]


# 7. Options ------------------------------------------------------------------


def square_x(x):
    return x * x


@derivation(of=square_x, wrt="x", inputs={"x": domain.unit_interval()})
def square_x_grad(x):
    return 2 * x


def test_integral_numbers_of_any_type_are_accepted():
    result = checks.verify(square_x_grad, samples=np.int64(20), seed=np.uint64(3))
    assert result.status == "pass" and result.cases[0].samples == 20
    one = checks.verify(square_x_grad, samples=20, dtypes="float64")
    assert [c.dtype for c in one.cases] == ["float64"]
    twice = checks.verify(square_x_grad, samples=20, dtypes=["float64", "float64"])
    assert [c.dtype for c in twice.cases] == ["float64"]


@pytest.mark.parametrize(
    "options, match",
    [
        ({"seed": "abc"}, "seed must be an integer"),
        ({"seed": None}, "seed must be an integer"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"seed": -1}, "seed must be between 0 and 2"),
        ({"seed": 2**64}, "seed must be between 0 and 2"),
        ({"samples": 2**63}, "samples must be at most"),
        ({"samples": True}, "samples must be an integer"),
        ({"sizes": "k=3"}, "sizes must map size names"),
        ({"dtypes": "f"}, "unknown dtype 'f'"),
        ({"shards": 1000}, "shards=1000 but JAX sees"),
    ],
)
def test_wrong_option_values_are_option_errors(options, match):
    with pytest.raises(OptionError, match=match):
        checks.verify(square_x_grad, **{"samples": 20, **options})
    with pytest.raises(OptionError, match=match):
        checks.check_all([square_x_grad], **{"samples": 20, **options})


def test_a_misspelt_keyword_names_verify_and_its_keywords():
    with pytest.raises(TypeError, match=r"verify\(\) .*'sampels'.*samples, seed"):
        checks.verify(square_x_grad, sampels=20)
    with pytest.raises(TypeError, match=r"verify\(\) .*'sampels'"):
        checks.assert_derivation(square_x_grad, sampels=20)


@pytest.mark.parametrize(
    "argv, match",
    [
        (("--samples", str(2**63)), "samples must be at most"),
        (("--samples", "2**63"), "invalid int value"),
        (("--seed", str(2**64)), "seed must be between 0 and 2"),
        (("--seed", "-1"), "seed must be between 0 and 2"),
        (("--sizes", "k=3,k=4"), "--sizes gives k twice"),
        (("--sizes", "k"), "--sizes takes NAME=N"),
        (("--sizes", "=3"), "--sizes takes NAME=N"),
        (("--shards", "1000"), "shards=1000 but JAX sees"),
    ],
)
def test_wrong_arguments_exit_2_before_the_run(argv, match):
    code, out, err = run(str(REPO / "tests" / "examples.py"), *argv)
    assert code == 2 and out == "", err
    assert match in err and err.count("\n") == 1


def test_a_dtype_given_twice_is_checked_once(tmp_path):
    target = write(tmp_path, "mine.py", square("d", "2 * x"))
    code, out, _ = run(target, "--samples", "20", "--dtype", "float64,float64")
    assert code == 0 and "1/1" in out


def test_list_honours_sizes_format_and_output(tmp_path):
    code, out, _ = run("--list", "--only", "softmax_jacobian", "--format", "json")
    assert code == 0
    (entry,) = [
        e for e in json.loads(out)["entries"] if e["name"] == "softmax_jacobian"
    ]
    size = next(iter(entry["dims"]))
    code, out, _ = run(
        "--list",
        "--only",
        "softmax_jacobian",
        "--format",
        "json",
        "--sizes",
        f"{size}=7",
    )
    (entry,) = [
        e for e in json.loads(out)["entries"] if e["name"] == "softmax_jacobian"
    ]
    assert entry["dims"][size] == [7]
    code, out, _ = run("--list", "--only", "softmax_jacobian", "--sizes", f"{size}=7")
    assert f"{size}∈[7]" in out
    report = tmp_path / "list.txt"
    code, out, _ = run("--list", "--only", "softmax_jacobian", "--output", str(report))
    assert code == 0 and out.startswith("wrote ")
    assert "softmax_jacobian" in report.read_text()
    code, _, err = run("--list", "--sizes", "no_such_size=3")
    assert code == 2 and "no entry has a size named 'no_such_size'" in err


def test_a_folder_target_loads_its_files(tmp_path):
    write(tmp_path / "folder", "one.py", square("f1", "2 * x"))
    write(tmp_path / "folder", "two.py", square("f2", "2 * x"))
    code, out, _ = run(str(tmp_path / "folder"), "--list")
    assert code == 0 and "square_f1_grad" in out and "square_f2_grad" in out
    (tmp_path / "empty").mkdir()
    code, _, err = run(str(tmp_path / "empty"), "--list")
    assert code == 2 and "a folder with no .py files" in err


def test_a_module_name_in_the_current_folder_is_found(tmp_path, monkeypatch):
    write(tmp_path, "hostile_good.py", square("g", "2 * x"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run("hostile_good", "--list")
    assert code == 0 and "square_g_grad" in out, err


def test_names_with_newlines_and_escape_codes_are_escaped(tmp_path):
    text = square("e", "2 * x").replace(
        'inputs={"x": domain.unit_interval()}',
        'inputs={"x": domain.unit_interval()}, name="evil\\nname\\x1b[2J",'
        ' source="doc\\r\\x1b[31m"',
    )
    target = write(tmp_path, "evil.py", text)
    for argv in (("--list",), (*FAST, "--verbose")):
        code, out, _ = run(target, *argv)
        assert code == 0
        assert "\x1b" not in out and "\r" not in out
        assert "evil\\nname\\x1b[2J" in out and "doc\\r\\x1b[31m" in out
    code, _, err = run(target, *FAST, "--progress", "on", "--no-cache")
    assert code == 0 and "evil\\nname" in err and "\x1b" not in err


def test_ctrl_c_as_the_command_starts_prints_one_line(tmp_path):
    """SIGINT while ``checks`` and JAX are still being imported, and later."""
    code = (
        "import sys; sys.argv = ['check-derivations', '--list']\n"
        "from checks.cli import entry_point\n"
        "entry_point()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    for delay in (0.3, 0.6, 1.2):
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0:  # finished before the signal: nothing to see
            continue
        assert proc.returncode == 130, err
        assert err == "check-derivations: interrupted\n"
