"""Two processes checking together (``check-derivations --distributed``): two
CPU processes on this host joined by ``jax.distributed`` over a local port, each
case's points spread over both, compared with one process checking alone; and a
process killed mid-run ending the other with a non-zero status.

Small on purpose (200 points, one size per name): compiling is most of the time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FEW = ROOT / "tests" / "distributed_files" / "few.py"
ARGS = [str(FEW), "--format", "json", "--samples", "200", "--no-cache"]
ARGS += ["--sizes", "n=3,m=2,k=4", "--seed", "3"]


def _free_port() -> int:
    """A local port nobody listens on, or skip where none can be opened."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    except OSError as exc:  # no local sockets on this platform
        pytest.skip(f"cannot open a local socket: {exc}")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_")}
    env.update(JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT), **extra)
    env.pop("XLA_FLAGS", None)
    return env


def _cluster(port: int, i: int, **extra: str) -> dict[str, str]:
    return _env(
        JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{port}",
        JAX_NUM_PROCESSES="2",
        JAX_PROCESS_ID=str(i),
        **extra,
    )


def _start(args: list[str], env: dict[str, str], tmp: Path, name: str):
    return subprocess.Popen(
        [sys.executable, "-m", "checks.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=open(tmp / f"{name}.out", "w"),
        stderr=open(tmp / f"{name}.err", "w"),
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def _cases(report: dict) -> dict:
    """What must not depend on how many processes checked: per entry, its status
    and, per case, status, points checked, the side of 1 of the worst error over
    tolerance, its value when failing, and the counterexample's inputs."""
    out = {}
    for r in report["results"]:
        shrunk = r.get("shrunk")
        cases = []
        for c in r["cases"]:
            ratio = c["error_over_tolerance"]
            ce = c["counterexample"]
            cases.append(
                {
                    "dtype": c["dtype"],
                    "dims": c["dims"],
                    "status": c["status"],
                    "stability": c["stability"],
                    "checked": c["checked"],
                    "within": ratio is not None and ratio <= 1.0,
                    "failing ratio": None if ratio <= 1.0 else float(f"{ratio:.6e}"),
                    "counterexample": ce and ce["inputs"],
                    "region": ce and ce["region"],
                }
            )
        out[r["name"]] = {
            "status": r["status"],
            "cases": cases,
            "shrunk": shrunk and shrunk["inputs"],
        }
    return out


def test_two_processes_reach_one_process_verdicts(tmp_path):
    port = _free_port()
    out = [tmp_path / f"report{i}.json" for i in range(2)]
    ps = [
        _start(
            [*ARGS, "--distributed", "--output", str(out[i])],
            _cluster(port, i),
            tmp_path,
            f"p{i}",
        )
        for i in range(2)
    ]
    # One process running the same compiled check alone. (Its default engine
    # for so few points is NumPy, whose exp and log may differ from XLA's in
    # the last bit: among points whose error over tolerance ties to the last
    # bit, as the wrong derivation's do, it may pick another worst point.)
    alone = [*ARGS, "--engine", "xla", "--output", str(tmp_path / "alone.json")]
    one = _start(alone, _env(), tmp_path, "alone")
    try:
        codes = [p.wait(timeout=300) for p in ps]
        assert one.wait(timeout=300) == 1, (tmp_path / "alone.err").read_text()
    finally:
        for p in (*ps, one):
            _stop(p)
    errs = [(tmp_path / f"p{i}.err").read_text()[-3000:] for i in range(2)]
    # The wrong derivation fails: exit status 1 on both processes.
    assert codes == [1, 1], errs
    # Process 0 alone writes the report and the summary line.
    assert out[0].exists() and not out[1].exists()
    assert (
        (tmp_path / "p0.out").read_text().startswith(f"wrote {out[0]}: 4 pass, 1 fail")
    )
    assert (tmp_path / "p1.out").read_text() == ""
    many = json.loads(out[0].read_text())
    alone = json.loads((tmp_path / "alone.json").read_text())
    assert many["environment"]["seed"] == alone["environment"]["seed"] == 3
    assert many["environment"]["processes"] == 2
    assert alone["environment"]["processes"] == 1
    got, want = _cases(many), _cases(alone)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name
    statuses = {name: e["status"] for name, e in got.items()}
    assert statuses == {
        "binary_cross_entropy_grad_beta": "pass",
        "softmax_jacobian": "pass",
        "softmax_cross_entropy_grad_logits": "pass",
        "logistic_regression_grad_theta": "pass",
        "binary_cross_entropy_grad_beta_sign_flipped": "fail",
    }
    wrong = got["binary_cross_entropy_grad_beta_sign_flipped"]
    assert wrong["cases"][0]["counterexample"] is not None


def test_a_process_that_dies_ends_the_others(tmp_path):
    port = _free_port()
    heartbeat = {"JAX_HEARTBEAT_TIMEOUT_SECONDS": "10"}
    args = [*ARGS, "--dtype", "float64", "--distributed", "--progress", "on"]
    ps = [
        _start(args, _cluster(port, i, **heartbeat), tmp_path, f"p{i}")
        for i in range(2)
    ]
    try:
        # Killed once the cluster is joined and the entries are being prepared.
        deadline = time.monotonic() + 120
        while "tracing" not in (tmp_path / "p1.err").read_text():
            assert ps[1].poll() is None, (tmp_path / "p1.err").read_text()[-2000:]
            assert time.monotonic() < deadline, "process 1 never started checking"
            time.sleep(0.2)
        ps[1].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        code = ps[0].wait(timeout=90)
        waited = time.monotonic() - killed
    finally:
        for p in ps:
            _stop(p)
    err = (tmp_path / "p0.err").read_text()
    assert code != 0, err[-2000:]
    assert waited < 60, f"process 0 took {waited:.0f} s to end"
    assert "another task died" in err or "check-derivations: error:" in err, err[-2000:]


def test_a_wrong_cluster_setting_is_one_line(tmp_path):
    env = _env(JAX_COORDINATOR_ADDRESS="127.0.0.1:1", JAX_NUM_PROCESSES="two")
    done = subprocess.run(
        [sys.executable, "-m", "checks.cli", str(FEW), "--distributed"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "check-derivations: error: JAX_NUM_PROCESSES must be an integer, got 'two'\n"
    )


def test_cluster_settings_are_read_and_checked():
    from checks._src.evaluate.distributed import DistributedError, settings

    env = {
        "JAX_COORDINATOR_ADDRESS": "10.0.0.1:1234",
        "JAX_NUM_PROCESSES": "4",
        "JAX_PROCESS_ID": "3",
    }
    assert settings(env) == {
        "coordinator_address": "10.0.0.1:1234",
        "num_processes": 4,
        "process_id": 3,
        "heartbeat_timeout_seconds": 20,
    }
    # Unset: left to JAX's detection of a cluster manager.
    assert settings({})["num_processes"] is None
    assert (
        settings({"JAX_HEARTBEAT_TIMEOUT_SECONDS": "5"})["heartbeat_timeout_seconds"]
        == 5
    )
    for bad, says in [
        ({**env, "JAX_PROCESS_ID": "4"}, "JAX_PROCESS_ID must be 0 ≤ id < "),
        ({**env, "JAX_NUM_PROCESSES": "0"}, "JAX_NUM_PROCESSES must be at least 1"),
        ({**env, "JAX_COORDINATOR_ADDRESS": "host"}, "must be host:port"),
        ({"JAX_HEARTBEAT_TIMEOUT_SECONDS": "0"}, "must be at least 1"),
        ({"JAX_PROCESS_ID": "x"}, "JAX_PROCESS_ID must be an integer"),
    ]:
        with pytest.raises(DistributedError, match=says):
            settings(bad)
