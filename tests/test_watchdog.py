"""Every run finishes: a time limit on each entry (checks._src.run.watchdog)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import checks
from checks._src.declare import domain
from checks._src.run import watchdog
from checks._src.run.cli import main
from checks._src.run.verify import OptionError


def _square(x):
    return x * x


def _spins(x):
    while True:
        pass


def _exits(x):
    sys.exit("the closed form gives up")


def test_bounded_returns_the_value_or_the_error():
    assert watchdog.bounded(lambda: 3, 5).value == 3
    outcome = watchdog.bounded(lambda: 1 / 0, 5)
    assert isinstance(outcome.error, ZeroDivisionError)
    assert isinstance(watchdog.bounded(lambda: sys.exit(3), 5).error, SystemExit)
    assert isinstance(watchdog.bounded(lambda: sys.exit(3), None).error, SystemExit)


def test_a_busy_python_loop_is_stopped_and_named_by_its_stage():
    def busy():
        watchdog.stage("spinning on purpose")
        while True:
            pass

    start = time.perf_counter()
    outcome = watchdog.bounded(busy, 0.5)
    assert outcome.timed_out and not outcome.stuck
    assert outcome.stage == "spinning on purpose"
    assert time.perf_counter() - start < 5
    assert watchdog.stuck() is None


def test_the_timeout_cannot_be_swallowed_by_the_checkers_handlers():
    def busy():
        while True:
            try:
                while True:
                    pass
            except Exception:  # what the checker does with a broken entry
                pass

    outcome = watchdog.bounded(busy, 0.5)
    assert outcome.timed_out and not outcome.stuck


def test_verify_reports_an_entry_past_its_limit_as_an_error():
    result = checks.verify(
        _spins, of=_square, wrt="x", inputs={"x": domain.real()}, timeout=1
    )
    assert result.status == "error"
    assert result.message.startswith("did not finish within 1 s (while ")


def test_sys_exit_in_a_closed_form_is_that_entrys_error():
    result = checks.verify(_exits, of=_square, wrt="x", inputs={"x": domain.real()})
    assert result.status == "error"
    assert "sys.exit('the closed form gives up')" in result.message


def test_check_all_goes_on_after_an_entry_past_its_limit():
    spins = checks._src.declare.declare.make_derivation(
        _spins, of=_square, wrt="x", inputs={"x": domain.real()}
    )

    def square_grad(x):
        return 2 * x

    right = checks._src.declare.declare.make_derivation(
        square_grad, of=_square, wrt="x", inputs={"x": domain.real()}
    )
    report = checks.check_all([spins, right], samples=50, timeout=1)
    assert [r.status for r in report.results] == ["error", "pass"]


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "10", True])
def test_a_bad_timeout_is_refused(timeout):
    with pytest.raises(OptionError, match="timeout"):
        checks.verify(
            _square, of=_square, wrt="x", inputs={"x": domain.real()}, timeout=timeout
        )


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_the_command_line_refuses_a_bad_timeout(value):
    err = io.StringIO()
    assert main([f"--timeout={value}", "--list"], io.StringIO(), err) == 2
    assert err.getvalue().startswith("check-derivations: error:")
    assert len(err.getvalue().strip().splitlines()) == 1


STUCK_FILE = textwrap.dedent(
    """
    import sys
    import threading

    import jax
    from checks import derivation, domain

    _never = threading.Event()


    def square(x):
        return x * x


    def _block(x):
        _never.wait()  # native wait: nothing in the process can interrupt it
        return x


    def _blocking_sampler(key, shape, dtype):
        x = jax.random.normal(key, shape, dtype)
        return jax.pure_callback(
            _block, jax.ShapeDtypeStruct(shape, dtype), x, vmap_method="sequential"
        )


    @derivation(of=square, wrt="x", inputs={"x": domain.real()})
    def square_grad_first(x):
        return 2 * x


    @derivation(of=square, wrt="x", inputs={"x": domain.real()})
    def square_grad_spins(x):
        while True:
            pass


    @derivation(of=square, wrt="x", inputs={"x": domain.real()})
    def square_grad_exits(x):
        sys.exit("bye")


    @derivation(of=square, wrt="x", inputs={"x": domain.custom(_blocking_sampler)})
    def square_grad_blocks(x):
        return 2 * x


    @derivation(of=square, wrt="x", inputs={"x": domain.real()})
    def square_grad_last(x):
        return 2 * x
    """
)


@pytest.mark.parametrize("engine", ["auto", "xla"])
def test_a_run_with_a_computation_that_never_returns_still_reports(tmp_path, engine):
    """The console script: a Python loop is stopped, sys.exit is an error, a
    blocked native wait is reported and the entries after it are not run; the
    report and --output are written and the process exits 1 without waiting."""
    target = tmp_path / "stuck.py"
    target.write_text(STUCK_FILE)
    report = tmp_path / "report.json"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    start = time.perf_counter()
    argv = [str(target), "--timeout", "10", "--engine", engine, "--format", "json"]
    out = subprocess.run(
        [sys.executable, "-m", "checks.cli", *argv, "--output", str(report)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=Path(__file__).parent.parent,
    )
    assert time.perf_counter() - start < 240
    assert out.returncode == 1, out.stderr[-3000:]
    results = {r["name"]: r for r in json.loads(report.read_text())["results"]}
    assert results["square_grad_first"]["status"] == "pass"
    assert results["square_grad_spins"]["status"] == "error"
    assert "did not finish within 10 s" in results["square_grad_spins"]["message"]
    assert "sys.exit('bye')" in results["square_grad_exits"]["message"]
    assert results["square_grad_blocks"]["status"] == "error"
    assert "did not finish within 10 s" in results["square_grad_blocks"]["message"]
    assert results["square_grad_last"]["status"] == "error"
    assert results["square_grad_last"]["message"].startswith("not run:")
