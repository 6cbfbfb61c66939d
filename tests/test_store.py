"""Reusing stored results: an unchanged entry is read back, a changed one never is."""

import io
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import checks
from checks._src.declare import domain
from checks._src.declare.declare import make_derivation
from checks._src.report.result import CaseResult, DerivationResult
from checks._src.run.cli import main
from checks._src.store import store
from examples import bce_grad_beta, binary_cross_entropy, softmax_jacobian

RUN = {"samples": 64, "seed": 0, "dtypes": ("float64", "float32"), "mutants": False}


def key(d, **changes):
    options = {**RUN, **changes}
    return store.fingerprint(
        checks._src.declare.declare.as_derivation(d),
        devices=jax.devices("cpu"),
        **options,
    )


def scaled(c, name="scaled"):
    """The derivative of Σ c·x, with the same name and source file every time."""

    def of(x):
        return jnp.sum(jnp.asarray(c, x.dtype) * x)

    def closed(x):
        return jnp.asarray(c, x.dtype)

    return make_derivation(
        closed, of=of, wrt="x", inputs={"x": domain.real((2,))}, name=name
    )


def strip(result):
    data = result.to_dict()
    data.pop("reused")
    for case in data["cases"]:
        case.pop("seconds")
    return data


def test_an_unchanged_entry_is_reused_with_the_same_result():
    first = checks.check_all([bce_grad_beta], samples=64, reuse=True).results[0]
    second = checks.check_all([bce_grad_beta], samples=64, reuse=True).results[0]
    assert not first.reused and second.reused
    assert strip(first) == strip(second)
    assert second.to_dict()["reused"] is True


def test_without_reuse_nothing_is_read_back():
    checks.check_all([softmax_jacobian], samples=64, reuse=True)
    again = checks.check_all([softmax_jacobian], samples=64).results[0]
    assert not again.reused


def test_the_run_options_are_part_of_the_key():
    base = key(bce_grad_beta)
    assert base is not None
    for change in ({"seed": 1}, {"samples": 65}, {"dtypes": ("float64",)}):
        assert key(bce_grad_beta, **change) != base
    assert key(bce_grad_beta, mutants=True) != base


def test_a_changed_constant_changes_the_key():
    one, other = scaled(np.array([1.0, 2.0])), scaled(np.array([1.0, 3.0]))
    assert key(one) is not None
    assert key(one) != key(other)
    assert key(one) == key(scaled(np.array([1.0, 2.0])))


HELPER = """
import jax.numpy as jnp

def log_of_complement(beta):
    return jnp.log1p(-beta)
"""

USER = """
import jax.numpy as jnp
from checks import derivation, domain
from helper import log_of_complement

def bce(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * log_of_complement(beta))

@derivation(of=bce, wrt="beta",
            inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()})
def bce_grad_beta(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))
"""


def test_an_edited_helper_in_another_file_is_checked_again(tmp_path):
    """Each run is a new process, as when a user edits a file and runs again."""
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "mine.py").write_text(USER)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def check():
        argv = [sys.executable, "-m", "checks.cli", str(tmp_path / "mine.py")]
        argv += ["--format", "json", "--samples", "64", "--dtype", "float64"]
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        return done.returncode, json.loads(done.stdout)["results"][0]

    assert check()[0] == 0
    code, result = check()
    assert code == 0 and result["reused"] is True
    (tmp_path / "helper.py").write_text(HELPER.replace("(-beta)", "(-beta) * 1.001"))
    code, result = check()
    assert code == 1 and result["status"] == "fail" and result["reused"] is False


def squares(rule_scale, name="sq"):
    """Σ x² with a custom JVP rule ``rule_scale · x · t``, checked against 2x."""

    @jax.custom_jvp
    def f(x):
        return jnp.sum(x**2)

    f.defjvp(
        lambda primals, tangents: (
            f(*primals),
            rule_scale * primals[0] @ tangents[0],
        )
    )
    return make_derivation(
        lambda x: 2 * x, of=f, wrt="x", inputs={"x": domain.real((2,))}, name=name
    )


def test_a_custom_derivative_rule_is_part_of_the_key():
    assert key(squares(2.0)) is not None
    assert key(squares(2.0)) == key(squares(2.0))
    assert key(squares(2.0)) != key(squares(3.0))
    right, wrong = (checks.verify(squares(s), samples=64) for s in (2.0, 3.0))
    assert (right.status, wrong.status) == ("pass", "fail")


class Scale:
    """A user's object, which ``checks._src.store.digest`` does not read: traced
    instead."""

    def __init__(self, c):
        self.c = c


def test_a_function_of_an_unreadable_object_is_keyed_by_its_trace():
    def with_scale(c):
        scale = Scale(c)
        return make_derivation(
            lambda x: jnp.full_like(x, scale.c),
            of=lambda x: jnp.sum(scale.c * x),
            wrt="x",
            inputs={"x": domain.real((2,))},
            name="scaled",
        )

    assert store.code_digest(with_scale(2.0).closed_form) is None
    assert key(with_scale(2.0)) is not None
    assert key(with_scale(2.0)) == key(with_scale(2.0))
    assert key(with_scale(2.0)) != key(with_scale(3.0))


def test_an_error_result_is_not_stored():
    result = DerivationResult(name="e", source="", expect="pass")
    result.cases.append(
        CaseResult(dtype="float64", device="cpu", dims={}, samples=1, status="error")
    )
    store.save("0" * 64, result)
    assert store.load("0" * 64) is None


def _bce_entry(closed):
    return make_derivation(
        closed,
        of=binary_cross_entropy,
        wrt="beta",
        inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()},
        name="bce",
    )


def test_the_same_entry_with_the_same_binary_cross_entropy_is_one_key():
    """Declared twice (two function objects, one source): one stored key, which
    a key of None (never reused) or a key of the objects' identity would not be;
    and a changed closed form with the same name is another key."""
    d1 = _bce_entry(lambda alpha, beta: (beta - alpha) / (beta * (1 - beta)))
    d2 = _bce_entry(lambda alpha, beta: (beta - alpha) / (beta * (1 - beta)))
    flipped = _bce_entry(lambda alpha, beta: (alpha - beta) / (beta * (1 - beta)))
    assert d1.closed_form is not d2.closed_form
    assert key(d1) is not None
    assert key(d1) == key(d2)
    assert key(flipped) is not None and key(flipped) != key(d1)


GOOD = """
import jax.numpy as jnp
from checks import derivation, domain

def bce(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))

@derivation(of=bce, wrt="beta",
            inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()})
def bce_grad_beta(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))
"""


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--format", "json", "--samples", "64"], out, err)
    return code, json.loads(out.getvalue()) if out.getvalue() else None


@pytest.mark.parametrize("edit", ["(alpha - beta) /", "(beta - alpha) * 1.0001 /"])
def test_the_cli_reuses_an_unchanged_file_and_rechecks_an_edited_one(tmp_path, edit):
    path = tmp_path / "mine.py"
    path.write_text(GOOD)
    assert run(str(path))[0] == 0
    code, report = run(str(path))
    assert code == 0 and report["results"][0]["reused"] is True
    path.write_text(GOOD.replace("(beta - alpha) /", edit))
    code, report = run(str(path))
    assert code == 1
    assert report["results"][0]["reused"] is False
    assert report["results"][0]["status"] == "fail"


def test_no_cache_checks_again(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(GOOD)
    run(str(path))
    code, report = run(str(path), "--no-cache")
    assert code == 0 and report["results"][0]["reused"] is False


def test_the_checkers_digest_reads_every_module_of_every_stage(tmp_path):
    """A stored result's key holds the checker's code: an edit anywhere under
    ``checks/`` (a stage of ``_src`` included) changes it; a moved file too."""
    import shutil
    from pathlib import Path

    from checks._src.store.store import package_digest

    package = Path(checks.__file__).resolve().parent
    copy = tmp_path / "checks"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = package_digest(copy)
    assert before == package_digest(package)
    compare = copy / "_src" / "judge" / "compare.py"
    compare.write_text(compare.read_text() + "\n# edited\n")
    assert package_digest(copy) != before
    compare.write_text(compare.read_text().removesuffix("\n# edited\n"))
    assert package_digest(copy) == before
    (copy / "_src" / "judge" / "summary.py").rename(
        copy / "_src" / "run" / "summary.py"
    )
    assert package_digest(copy) != before
