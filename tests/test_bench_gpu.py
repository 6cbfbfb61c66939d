"""``bench/gpu.py``'s dry run: the GPU tables' script, run on the CPU at small
sizes (``--device cpu --small``), writes every table and finds the catalog's
verdicts equal on both runs."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_script_dry_run_writes_every_table(tmp_path):
    out = tmp_path / "gpu.md"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.update(PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    argv = ["bench/gpu.py", "--device", "cpu", "--small", "--output", str(out)]
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert text.startswith("# GPU benchmark results (dry run: small sizes)")
    for heading in (
        "## 2. Throughput",
        "## 3. Large shapes",
        "## 5. What hand-deriving buys",
        "## 6. Closed forms against the memory-bandwidth floor",
        "## 7. The catalog's verdicts on cpu against the CPU's",
    ):
        assert heading in text, heading
    # Each named derivation has a throughput row against check_grads.
    for name in (
        "binary_cross_entropy_grad_beta",
        "softmax_jacobian",
        "softmax_cross_entropy_grad_logits",
        "logistic_regression_grad_theta",
    ):
        assert f"| {name} |" in text
    # Both large shapes ran, and passed.
    large = text.split("## 3. Large shapes")[1].split("##")[0]
    assert large.count("| pass |") == 2, large
    assert "Every entry's status and every case's status are the same." in text
