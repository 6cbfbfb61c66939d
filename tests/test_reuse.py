"""Results that can be trusted across runs: never stale, and a store no one else
can write to or make run code.

Each test first shows the thing reused or accepted when it should be, then
changes one thing and shows it is not.
"""

import io
import json
import os
import pickle
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import checks
from checks._src.declare import domain
from checks._src.declare.declare import make_derivation
from checks._src.evaluate import case_program
from checks._src.run import caches
from checks._src.run.cli import main
from checks._src.store import paths, store
from checks._src.store.digest import code_digest, config_digest

SAMPLES = 64


def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "derivation-checker"


def fresh_module(name, source, folder):
    """``name`` imported from ``folder/name.py`` holding ``source``, as a user's
    module is (a new process would read the file the same way)."""
    path = folder / f"{name}.py"
    path.write_text(source)
    sys.modules.pop(name, None)
    spec = __import__("importlib.util").util.spec_from_file_location(name, path)
    module = __import__("importlib.util").util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# 1. An edit to a helper behind a JAX transformation, in another module.

HELPER = """
import functools
import jax
import jax.numpy as jnp

def single(x):
    return 2.0 * x

vsingle = jax.vmap(single)
gsingle = jax.grad(lambda x: jnp.sum(single(x) * x) / 2.0)
jsingle = jax.jit(single)
psingle = functools.partial(single)
csingle = jax.checkpoint(single)
"""

USER = """
import jax.numpy as jnp
from checks import derivation, domain
from {helper} import {wrapper}

def half_square_scaled(x):
    return jnp.sum(x * x)

@derivation(of=half_square_scaled, wrt="x", inputs={{"x": domain.real((3,))}})
def half_square_scaled_grad(x):
    return {wrapper}(x)
"""

WRAPPERS = ["vsingle", "gsingle", "jsingle", "psingle", "csingle"]


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_an_edit_behind_a_jax_wrapper_changes_the_key(wrapper, tmp_path):
    helper = f"helper_{wrapper}"
    fresh_module(helper, HELPER, tmp_path)
    user = fresh_module(
        f"user_{wrapper}", USER.format(helper=helper, wrapper=wrapper), tmp_path
    )
    before = code_digest(user.half_square_scaled_grad)
    assert before is not None
    fresh_module(helper, HELPER.replace("2.0 * x", "3.0 * x"), tmp_path)
    user = fresh_module(
        f"user_{wrapper}", USER.format(helper=helper, wrapper=wrapper), tmp_path
    )
    assert code_digest(user.half_square_scaled_grad) != before


def _entries(module):
    return [module.half_square_scaled_grad]


@pytest.mark.parametrize("wrapper", ["vsingle", "psingle"])
def test_an_edit_behind_a_wrapper_is_checked_again_by_check_all(
    wrapper, tmp_path, monkeypatch
):
    cache_in(tmp_path, monkeypatch)
    helper, name = f"helper2_{wrapper}", f"user2_{wrapper}"
    source = USER.format(helper=helper, wrapper=wrapper)
    fresh_module(helper, HELPER, tmp_path)
    user = fresh_module(name, source, tmp_path)
    first = checks.check_all(_entries(user), samples=SAMPLES, reuse=True).results[0]
    again = checks.check_all(_entries(user), samples=SAMPLES, reuse=True).results[0]
    assert (first.status, again.status, again.reused) == ("pass", "pass", True)
    fresh_module(helper, HELPER.replace("2.0 * x", "3.0 * x"), tmp_path)
    user = fresh_module(name, source, tmp_path)
    edited = checks.check_all(_entries(user), samples=SAMPLES, reuse=True).results[0]
    assert (edited.status, edited.reused) == ("fail", False)


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--format", "json", "--samples", str(SAMPLES)], out, err)
    return code, json.loads(out.getvalue())["results"][0], err.getvalue()


def test_an_edit_behind_vmap_is_checked_again_by_the_cli(tmp_path, monkeypatch):
    cache_in(tmp_path, monkeypatch)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "helper_cli.py").write_text(HELPER)
    mine = tmp_path / "mine_cli.py"
    mine.write_text(USER.format(helper="helper_cli", wrapper="vsingle"))
    assert run_cli(str(mine))[0] == 0
    code, result, _ = run_cli(str(mine))
    assert code == 0 and result["reused"] is True
    (tmp_path / "helper_cli.py").write_text(HELPER.replace("2.0 * x", "3.0 * x"))
    sys.modules.pop("helper_cli", None)
    code, result, _ = run_cli(str(mine))
    assert code == 1 and result["status"] == "fail" and result["reused"] is False


def test_an_edit_behind_grad_is_checked_again_in_a_new_process(tmp_path):
    """As a user runs it: each run a new process, the helper edited between."""
    (tmp_path / "helper_proc.py").write_text(HELPER)
    mine = tmp_path / "mine_proc.py"
    mine.write_text(USER.format(helper="helper_proc", wrapper="gsingle"))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def check():
        argv = [sys.executable, "-m", "checks.cli", str(mine), "--format", "json"]
        argv += ["--samples", str(SAMPLES), "--dtype", "float64"]
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        return done.returncode, json.loads(done.stdout)["results"][0]

    assert check()[0] == 0
    code, result = check()
    assert code == 0 and result["reused"] is True
    (tmp_path / "helper_proc.py").write_text(HELPER.replace("2.0 * x", "3.0 * x"))
    code, result = check()
    assert code == 1 and result["status"] == "fail" and result["reused"] is False


# 1. What a closed form reads while traced: the environment, a file, a callback.


def scaled_by(read, name="reads"):
    """The gradient of Σ x²·s/2 for an ``s`` that ``read()`` returns."""
    return make_derivation(
        lambda x: read() * x,
        of=lambda x: jnp.sum(x * x) * 1.5,
        wrt="x",
        inputs={"x": domain.real((2,))},
        name=name,
    )


def by_env():
    return float(os.environ.get("DERIVATION_CHECKER_TEST_SCALE", "3.0"))


def by_getenv():
    return float(os.getenv("DERIVATION_CHECKER_TEST_SCALE", "3.0"))


def by_file():
    return float(np.load(os.environ["DERIVATION_CHECKER_TEST_FILE"]))


@pytest.mark.parametrize("read", [by_env, by_getenv, by_file])
def test_a_value_read_while_traced_is_not_reused_stale(read, tmp_path, monkeypatch):
    cache_in(tmp_path, monkeypatch)
    data = tmp_path / "scale.npy"
    np.save(data, np.float64(3.0))
    monkeypatch.setenv("DERIVATION_CHECKER_TEST_FILE", str(data))
    monkeypatch.setenv("DERIVATION_CHECKER_TEST_SCALE", "3.0")
    d = scaled_by(read)
    assert code_digest(d.closed_form) is None
    checks.check_all([d], samples=SAMPLES, reuse=True)
    again = checks.check_all([d], samples=SAMPLES, reuse=True).results[0]
    assert again.reused and again.status == "pass"
    np.save(data, np.float64(2.0))
    monkeypatch.setenv("DERIVATION_CHECKER_TEST_SCALE", "2.0")
    changed = checks.check_all([d], samples=SAMPLES, reuse=True).results[0]
    assert (changed.status, changed.reused) == ("fail", False)


READS = {  # what the module imports, and what f(x) multiplies x by
    "os.environ": ("import os", "float(os.environ['S'])"),
    "getenv as g": ("from os import getenv as g", "float(g('S'))"),
    "open": ("", "float(open('s.txt').read())"),
    "np.load": ("import numpy as np", "np.load('s.npy')"),
    "np.random": ("import numpy as np", "np.random.rand()"),
    "pathlib": ("import pathlib", "float(pathlib.Path('s').read_text())"),
    "Path": ("from pathlib import Path", "float(Path('s').read_text())"),
    "nested": ("import os", "(lambda: float(os.getenv('S')))()"),
    "pure_callback": ("import jax", "jax.pure_callback(abs, x, x)"),
}


@pytest.mark.parametrize("imports, factor", READS.values(), ids=READS.keys())
def test_code_that_reads_outside_its_arguments_has_no_digest(imports, factor, tmp_path):
    source = f"{imports}\ndef f(x):\n    return x * {factor}\n"
    module = fresh_module("reads_outside", source, tmp_path)
    assert code_digest(module.f) is None


def test_keyed_randomness_and_a_local_named_like_a_reader_have_a_digest(tmp_path):
    source = (
        "import jax\nimport numpy as np\n"
        "def f(key, x, load=1.0):\n"
        "    return x * jax.random.uniform(key) * np.float64(load)\n"
    )
    assert code_digest(fresh_module("keyed", source, tmp_path).f) is not None


def test_a_callback_is_never_reused(tmp_path, monkeypatch):
    cache_in(tmp_path, monkeypatch)

    def closed(x):
        shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
        return jax.pure_callback(lambda v: np.asarray(3.0 * v, v.dtype), shape, x)

    d = scaled_by(lambda: 1.0)
    d = make_derivation(
        closed, of=d.of, wrt="x", inputs={"x": domain.real((2,))}, name="cb"
    )
    assert store.fingerprint(
        d, samples=SAMPLES, seed=0, dtypes=("float64",), devices=jax.devices("cpu"),
        mutants=False,
    ) is None  # fmt: skip
    checks.check_all([d], samples=SAMPLES, dtypes=("float64",), reuse=True)
    again = checks.check_all([d], samples=SAMPLES, dtypes=("float64",), reuse=True)
    assert not again.results[0].reused


# 1. Environment that changes numerics is part of the key.


@pytest.mark.parametrize(
    "name, value",
    [
        ("XLA_FLAGS", "--xla_cpu_enable_fast_math=true"),
        ("JAX_ENABLE_X64", "0"),
        ("JAX_DEFAULT_MATMUL_PRECISION", "bfloat16"),
        ("JAX_PLATFORMS", "cpu"),
    ],
)
def test_numerics_changing_environment_changes_the_key(name, value, monkeypatch):
    monkeypatch.delenv(name, raising=False)
    before = config_digest()
    monkeypatch.setenv(name, value)
    assert config_digest() != before


def test_a_cache_location_is_not_part_of_the_key(monkeypatch):
    before = config_digest()
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/somewhere/else")
    assert config_digest() == before


# 2. Within one process: a global edited in a notebook, a compiled check.

NOTEBOOK = """
import jax.numpy as jnp
from checks import derivation, domain

SCALE = 3.0

def scaled_square(x):
    return SCALE * jnp.sum(x * x) / 2.0

@derivation(of=scaled_square, wrt="x", inputs={"x": domain.real((3,))})
def scaled_square_grad(x):
    return 3.0 * x
"""


@pytest.mark.parametrize(
    "options", [{"engine": "xla"}, {"samples": 70000, "dtypes": ("float64",)}]
)
def test_a_global_edited_in_process_is_seen_by_a_compiled_check(options, tmp_path):
    module = fresh_module(f"notebook_{len(options)}", NOTEBOOK, tmp_path)
    options = {"samples": SAMPLES, **options}
    assert checks.verify(module.scaled_square_grad, **options).status == "pass"
    module.SCALE = 4.0
    assert checks.verify(module.scaled_square_grad, **options).status == "fail"
    module.SCALE = 3.0
    assert checks.verify(module.scaled_square_grad, **options).status == "pass"


class Scale:
    """Read by no code digest: the function is keyed by its trace instead."""

    c = 3.0


def test_an_object_edited_in_process_is_seen_through_the_trace():
    scale = Scale()
    d = scaled_by(lambda: scale.c, name="object")
    assert code_digest(d.closed_form) is None
    assert checks.verify(d, samples=SAMPLES, engine="xla").status == "pass"
    scale.c = 2.0
    assert checks.verify(d, samples=SAMPLES, engine="xla").status == "fail"


JITTED = """
import jax
import jax.numpy as jnp
from checks import derivation, domain

SCALE = 3.0
helper = jax.jit(lambda x: SCALE * x)

def three_halves_square(x):
    return 3.0 * jnp.sum(x * x) / 2.0

@derivation(of=three_halves_square, wrt="x", inputs={"x": domain.real((3,))})
def three_halves_square_grad(x):
    return helper(x)
"""


@pytest.mark.parametrize("engine", ["xla", "auto"])
def test_a_jitted_helper_of_an_edited_global_is_traced_again(engine, tmp_path):
    module = fresh_module(f"notebook_jit_{engine}", JITTED, tmp_path)
    grad = module.three_halves_square_grad
    assert checks.verify(grad, samples=SAMPLES, engine=engine).status == "pass"
    module.SCALE = 4.0
    assert checks.verify(grad, samples=SAMPLES, engine=engine).status == "fail"


def test_the_in_process_key_changes_with_what_is_computed(tmp_path):
    module = fresh_module("notebook_key", NOTEBOOK, tmp_path)
    d = checks._src.declare.declare.as_derivation(module.scaled_square_grad)
    before = case_program.computes(d, {}, ["float64"])
    assert before == case_program.computes(d, {}, ["float64"])
    module.SCALE = 4.0
    caches.clear("run")  # the start of the next run, as verify and check_all do
    assert case_program.computes(d, {}, ["float64"]) != before


# 3. The store: plain data, checked, in a directory only the user can write.


def stored_file(tmp_path, monkeypatch, entry):
    """Check ``entry`` once (stored), and the path of its stored result."""
    top = cache_in(tmp_path, monkeypatch)
    first = checks.check_all([entry], samples=SAMPLES, reuse=True).results[0]
    assert not first.reused
    (path,) = (top / "results").glob("*/*.json")
    again = checks.check_all([entry], samples=SAMPLES, reuse=True).results[0]
    assert again.reused, "an untouched store file is read back"
    return path


def wrong():
    return make_derivation(
        lambda x: 3.0 * x,
        of=lambda x: jnp.sum(x * x),
        wrt="x",
        inputs={"x": domain.real((2,))},
        name="wrong",
    )


class Planted:
    def __reduce__(self):
        return (os.system, ("touch planted-by-pickle",))


def edit_status(data):
    data["result"]["cases"][0]["status"] = "pass"


def edit_status_and_checksum(data):
    edit_status(data)
    data["sha256"] = "0" * 64


def resealed(edit):
    """``edit``, with the checksum made to match: only the schema can tell."""

    def tamper(data):
        edit(data)
        data["sha256"] = store._checksum(data["key"], data["result"])

    return tamper


@resealed
def wrong_type(data):
    data["result"]["cases"][0]["samples"] = "64"


@resealed
def extra_field(data):
    data["result"]["cases"][0]["__class__"] = "os.system"


@resealed
def missing_field(data):
    del data["result"]["cases"][0]["ratio"]


@resealed
def unknown_status(data):
    data["result"]["cases"][0]["status"] = "passed"


TAMPERINGS = {
    "status edited": edit_status,
    "status and checksum edited": edit_status_and_checksum,
    "wrong type": wrong_type,
    "extra field": extra_field,
    "missing field": missing_field,
    "unknown status": unknown_status,
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_an_edited_store_file_is_checked_again(tamper, tmp_path, monkeypatch):
    path = stored_file(tmp_path, monkeypatch, wrong())
    data = json.loads(path.read_text())
    tamper(data)
    path.write_text(json.dumps(data))
    result = checks.check_all([wrong()], samples=SAMPLES, reuse=True).results[0]
    assert (result.status, result.reused) == ("fail", False)
    again = checks.check_all([wrong()], samples=SAMPLES, reuse=True).results[0]
    assert again.reused and again.status == "fail", "overwritten with a valid file"


@pytest.mark.parametrize("how", ["pickle", "truncated", "empty", "not json"])
def test_a_corrupt_or_planted_store_file_is_never_loaded(how, tmp_path, monkeypatch):
    path = stored_file(tmp_path, monkeypatch, wrong())
    monkeypatch.chdir(tmp_path)
    text = path.read_bytes()
    path.write_bytes(
        {
            "pickle": pickle.dumps(Planted()),
            "truncated": text[: len(text) // 2],
            "empty": b"",
            "not json": b"\x80\x04garbage",
        }[how]
    )
    result = checks.check_all([wrong()], samples=SAMPLES, reuse=True).results[0]
    assert (result.status, result.reused) == ("fail", False)
    assert not (tmp_path / "planted-by-pickle").exists()
    assert json.loads(path.read_text())["format"]  # replaced by a valid one


def test_a_stored_result_reads_back_the_same(tmp_path, monkeypatch):
    cache_in(tmp_path, monkeypatch)
    first = checks.check_all([wrong()], samples=SAMPLES, reuse=True).results[0]
    again = checks.check_all([wrong()], samples=SAMPLES, reuse=True).results[0]
    assert again.reused
    one, other = first.to_dict(), again.to_dict()
    one.pop("reused"), other.pop("reused")
    assert one == other


def test_a_mutation_score_reads_back_the_same(tmp_path, monkeypatch):
    from examples import bce_grad_beta

    cache_in(tmp_path, monkeypatch)
    options = {"samples": SAMPLES, "dtypes": ("float64",), "mutants": True}
    first = checks.check_all([bce_grad_beta], reuse=True, **options).results[0]
    again = checks.check_all([bce_grad_beta], reuse=True, **options).results[0]
    assert again.reused and first.mutants is not None
    assert again.mutants.to_dict() == first.mutants.to_dict()


def test_the_schema_names_every_field_of_a_result():
    import dataclasses

    from checks._src.report import result
    from checks._src.search.mutate import MutationScore
    from checks._src.store import stored

    for schema, cls in [
        (stored.RESULT, result.DerivationResult),
        (stored.CASE, result.CaseResult),
        (stored.COUNTEREXAMPLE, result.Counterexample),
        (stored.MUTANTS, MutationScore),
    ]:
        names = {f.name for f in dataclasses.fields(cls)} - {"reused"}
        assert set(schema) == names


def pretend_stat(monkeypatch, top, **changes):
    real = os.stat

    def stat(path, *args, **kwargs):
        st = real(path, *args, **kwargs)
        if os.fspath(path) != os.fspath(top):
            return st
        fields = list(st)
        fields[0] = changes.get("mode", st.st_mode)
        fields[4] = changes.get("uid", st.st_uid)
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", stat)


@pytest.mark.parametrize("how", ["mode 0o777", "group-writable", "another owner"])
def test_a_cache_directory_others_can_write_is_refused(
    how, tmp_path, monkeypatch, capsys
):
    top = cache_in(tmp_path, monkeypatch)
    monkeypatch.setattr(paths, "_WARNED", set())
    stored_file(tmp_path, monkeypatch, wrong())
    if how == "mode 0o777":
        top.chmod(0o777)
    elif how == "group-writable":
        top.chmod(0o770)
    else:
        pretend_stat(monkeypatch, top, uid=os.getuid() + 1)
    capsys.readouterr()
    for _ in range(2):
        result = checks.check_all([wrong()], samples=SAMPLES, reuse=True).results[0]
        assert not result.reused
    err = capsys.readouterr().err
    assert err.count("not using the cache directory") == 1
    assert str(top) in err


def test_a_refused_directory_gets_no_compilation_cache(tmp_path, monkeypatch):
    from checks._src.run import cli

    top = cache_in(tmp_path, monkeypatch)
    monkeypatch.setattr(paths, "_WARNED", set())
    top.mkdir(parents=True)
    top.chmod(0o777)
    calls = []
    monkeypatch.setattr(jax.config, "update", lambda *a: calls.append(a))
    cli._enable_compile_cache()
    assert calls == []
    top.chmod(0o700)
    cli._enable_compile_cache()
    assert ("jax_compilation_cache_dir", str(top / "jax")) in calls


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert paths.cache_dir() == tmp_path / ".cache" / "derivation-checker"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "abs"))
    assert paths.cache_dir() == tmp_path / "abs" / "derivation-checker"


def test_a_symlinked_store_file_is_not_followed(tmp_path, monkeypatch):
    path = stored_file(tmp_path, monkeypatch, wrong())
    target = tmp_path / "elsewhere.json"
    target.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(target)
    key = path.stem
    assert store.load(key) is None


# 7. Printed outputs, bounds and counts: keyed by their code and by the packages
# they import (their versions, and their requirements'), without running them.


def install(root, name, version, source, requires=()):
    """A distribution ``name`` at ``version`` in ``root/site-packages``, as pip
    lays one out (the module, and a dist-info whose RECORD lists it), put first
    on ``sys.path``."""
    site = root / "site-packages"
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text(source)
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    fields = [f"Name: {name}", f"Version: {version}"]
    fields += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("Metadata-Version: 2.1\n" + "\n".join(fields) + "\n")
    files = [f"{name}/__init__.py", f"{info.name}/METADATA", f"{info.name}/RECORD"]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    return site


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """``use(tag, rows_version, rows, dep_version)``: a fresh site-packages
    holding ``fakerows`` (``ROWS = rows``, requiring ``fakedep``) and ``fakedep``,
    first on ``sys.path``, neither imported."""
    monkeypatch.setattr(sys, "path", list(sys.path))

    def use(tag, version="1.0", rows=150, dep="1.0"):
        root = tmp_path / tag
        install(root, "fakerows", version, f"ROWS = {rows}\n", ("fakedep>=1",))
        site = install(root, "fakedep", dep, "")
        sys.path.insert(0, str(site))
        __import__("importlib").invalidate_caches()
        sys.modules.pop("fakerows", None)

    yield use
    sys.modules.pop("fakerows", None)


ROWS_HELPER = """
import functools

@functools.lru_cache(maxsize=1)
def rows():
    from fakerows import ROWS
    return ROWS
"""

ROWS_CLAIM = """
from checks import claim
from rows_helper import rows

@claim.count(stated="150", requires=("fakerows",), name="fake_rows")
def fake_rows() -> int:
    return rows()
"""


def rows_claim(folder, helper=ROWS_HELPER):
    """The claim, its helper read afresh from ``folder`` (as a new process would)."""
    helper_module = fresh_module("rows_helper", helper, folder)
    return fresh_module("rows_claim", ROWS_CLAIM, folder).fake_rows, helper_module


def claim_key(entry):
    return store.fingerprint(
        checks._src.declare.declare.as_derivation(entry), samples=SAMPLES, seed=0,
        dtypes=("float64",),
        devices=jax.devices("cpu"), mutants=False,
    )  # fmt: skip


def run_claim(entry):
    return checks.check_all([entry], samples=SAMPLES, reuse=True).results[0]


def test_a_printed_claim_is_keyed_without_running_its_code(packages, tmp_path):
    packages("a")
    entry, helper = rows_claim(tmp_path)
    assert claim_key(entry) is not None
    assert "fakerows" not in sys.modules and helper.rows.cache_info().currsize == 0


def test_an_unchanged_printed_claim_is_reused_without_running_it(
    packages, tmp_path, monkeypatch
):
    cache_in(tmp_path, monkeypatch)
    packages("a")
    entry, helper = rows_claim(tmp_path)
    first = run_claim(entry)
    assert (first.status, first.reused) == ("pass", False)
    assert "fakerows" in sys.modules  # the check ran the listed code
    sys.modules.pop("fakerows")
    entry, helper = rows_claim(tmp_path)  # a new process: nothing cached
    again = run_claim(entry)
    assert (again.status, again.reused) == ("pass", True)
    assert "fakerows" not in sys.modules and helper.rows.cache_info().currsize == 0


def test_an_edited_helper_of_a_printed_claim_is_checked_again(
    packages, tmp_path, monkeypatch
):
    cache_in(tmp_path, monkeypatch)
    packages("a")
    assert run_claim(rows_claim(tmp_path)[0]).status == "pass"
    edited = ROWS_HELPER.replace("return ROWS", "return ROWS - 1")
    changed = run_claim(rows_claim(tmp_path, edited)[0])
    assert (changed.status, changed.reused) == ("fail", False)


@pytest.mark.parametrize(
    "change, status",
    [
        ({"version": "2.0", "rows": 149}, "fail"),  # the package itself
        ({"dep": "2.0"}, "pass"),  # only what it requires
    ],
    ids=["package", "requirement"],
)
def test_a_printed_claim_is_checked_again_under_another_package_version(
    change, status, packages, tmp_path, monkeypatch
):
    cache_in(tmp_path, monkeypatch)
    packages("a")
    entry = rows_claim(tmp_path)[0]
    before = claim_key(entry)
    assert run_claim(entry).status == "pass"
    packages("b", **change)
    entry = rows_claim(tmp_path)[0]
    assert claim_key(entry) != before
    again = run_claim(entry)
    assert (again.status, again.reused) == (status, False)


def test_a_printed_claims_key_changes_when_its_package_is_removed(packages, tmp_path):
    packages("a")
    entry = rows_claim(tmp_path)[0]
    before = claim_key(entry)
    sys.path.remove(str(tmp_path / "a" / "site-packages"))
    __import__("importlib").invalidate_caches()
    assert claim_key(entry) != before


def test_a_package_upgraded_in_place_while_the_process_runs_changes_the_key(
    packages, tmp_path
):
    """As ``pip install -U`` in a notebook: the same folder on ``sys.path``."""
    packages("a")
    entry = rows_claim(tmp_path)[0]
    before = claim_key(entry)
    assert claim_key(entry) == before
    site = tmp_path / "a" / "site-packages"
    old = site / "fakedep-1.0.dist-info"
    new = site / "fakedep-1.1.dist-info"
    old.rename(new)
    text = (new / "METADATA").read_text().replace("Version: 1.0", "Version: 1.1")
    (new / "METADATA").write_text(text)
    __import__("importlib").invalidate_caches()
    assert claim_key(entry) != before


LOCAL_IMPORTS = {  # a body that imports what it reads: no digest
    "os.environ": "import os\n    return float(os.environ['S'])",
    "from os": "from os import getenv\n    return float(getenv('S'))",
    "os.path": "import os.path\n    return float(os.environ['S'])",
    "time": "import time\n    return time.time()",
    "numpy.random": "import numpy as np\n    return np.random.rand()",
    "a user's module": "import rows_claim\n    return 1",
}


@pytest.mark.parametrize("body", LOCAL_IMPORTS.values(), ids=LOCAL_IMPORTS.keys())
def test_a_local_import_of_a_reader_or_a_users_module_has_no_digest(body, tmp_path):
    fresh_module("rows_claim", "X = 1\n", tmp_path)
    module = fresh_module("local_reads", f"def f():\n    {body}\n", tmp_path)
    assert code_digest(module.f) is None


def test_a_local_import_of_the_standard_library_or_a_package_has_a_digest(
    packages, tmp_path
):
    packages("a")
    body = "import math\n    from fakerows import ROWS\n    return math.pi * ROWS"
    module = fresh_module("local_reads", f"def f():\n    {body}\n", tmp_path)
    assert code_digest(module.f) is not None
    assert "fakerows" not in sys.modules


def test_the_catalog_is_keyed_without_tracing_or_importing_scikit_learn():
    """Every catalog entry's key is read from its code: none is traced, and the
    claims that fit scikit-learn models on iris are not run."""
    script = """
import sys
import jax
from checks._src.store import store
from derivations import CATALOG

def traced(*args):
    raise AssertionError(f"traced for its key: {args[0]}")

store._traced_digest = traced
keys = [
    store.fingerprint(d, samples=200, seed=0, dtypes=("float64", "float32"),
                      devices=jax.devices("cpu"), mutants=False)
    for d in CATALOG
]
assert all(keys), [d.name for d, k in zip(CATALOG, keys) if not k]
assert "sklearn" not in sys.modules
print(len(keys))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 100


def test_a_memoized_helper_is_read_through_only_while_nothing_is_cached(tmp_path):
    """Once a value is cached it may be one the function no longer computes (a
    global edited since): the caller is then traced, which sees that value."""
    source = (
        "import functools\nSCALE = 2\n"
        "@functools.cache\ndef scale():\n    return SCALE\n"
        "def f():\n    return scale()\n"
    )
    module = fresh_module("memoized", source, tmp_path)
    assert code_digest(module.f) is not None
    module.scale()
    module.SCALE = 3
    assert code_digest(module.f) is None
