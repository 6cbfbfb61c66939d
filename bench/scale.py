"""Scale: ten million samples, large shapes, many devices, the bandwidth floor.

Each measurement that needs a clean slate (its own peak memory, its own device
count) runs in a child process; the child's peak resident memory comes from the
operating system (``os.wait4``), not from inside it.

1. ``samples``: ``checks.verify(d, samples=10_000_000)`` for the four named
   derivations (float64 and float32), chunk by chunk: wall time, points per
   second and peak memory, timed after a warm-up of two chunks' points that
   compiles the same programs (the chunk size and on-device judging depend on
   more than one chunk being drawn, not on how many).
2. ``large``: the softmax Jacobian at k = 4096 and cross-entropy through softmax
   at batch × classes = 1024 × 32000 and 4096 × 32000, float64, with their peak
   memory. One point of the latter is larger than a chunk, so it is checked in
   stages (``checks._src.evaluate.case_program._build_staged``). Should four
   times the quarter batch's peak exceed the machine's memory, the full batch
   is not run and that need is reported instead (memory grows linearly with the
   batch).
3. ``shards``: points per second of the compiled check (judged on the device,
   as a chunked run is; ``checks.time_check``) with its points sharded over 1,
   2 and 4 devices (CPU devices made with
   ``--xla_force_host_platform_device_count=4``; on a multi-GPU host the same
   code uses the GPUs).
4. ``floor``: each closed form's time (from ``bench/autodiff.py``) against the
   time the device needs only to read its inputs and write its output at the
   bandwidth of a measured device-to-device copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

NAMED = (
    ("cross_entropy", "binary_cross_entropy_grad_beta"),
    ("softmax", "softmax_jacobian"),
    ("softmax_regression", "softmax_cross_entropy_grad_logits"),
    ("logistic_regression", "logistic_regression_grad_theta"),
)


def child(code: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh Python; its last stdout line is JSON. Returns that,
    with ``seconds``, ``peak_gib`` and ``returncode``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate()
    # communicate() has reaped the child: its rusage is in RUSAGE_CHILDREN only
    # as a maximum over all children, so the child reports its own peak too.
    seconds = time.perf_counter() - start
    lines = out.strip().splitlines()
    result: dict[str, Any] = {"returncode": proc.returncode, "seconds": seconds}
    if proc.returncode == 0 and lines:
        result.update(json.loads(lines[-1]))
    else:
        result["error"] = (err.strip().splitlines() or ["killed"])[-1]
    return result


PEAK = """
import resource
def peak_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
"""


# Points per chunk of a compiled check (``MAX_CHUNK`` of
# checks/_src/evaluate/case_plan.py, not public): should it change, the warm-up
# plans another chunk size and ``compiled_timed`` reports the programs it missed.
CHUNK = 1 << 16


def many_samples(device: str, samples: int = 10_000_000) -> list[dict[str, Any]]:
    """``checks.verify(d, samples=samples)`` of each named derivation in a fresh
    process, timed after a warm-up that compiles the same programs: two chunks'
    points (``CHUNK``, the checker's points per chunk, at most each), so that it
    plans the chunk size and the judging on the device that a run of millions of
    samples plans.
    ``compiled_timed``, the XLA compilations during the timed run, is 0 when the
    warm-up compiled them all."""
    rows = []
    for module, name in NAMED:
        code = (
            PEAK
            + f"""
import json, time
from jax import monitoring
import checks
from derivations.{module} import {name} as d
warm = min({samples}, 2 * {CHUNK})
compiles = []
monitoring.register_event_duration_secs_listener(
    lambda event, secs, **kw: compiles.append(event)
    if event == "/jax/core/compile/backend_compile_duration" else None)
checks.verify(d, samples=warm, device={device!r})  # compile outside the timing
compiled_warm = len(compiles)
start = time.perf_counter()
r = checks.verify(d, samples={samples}, device={device!r})
seconds = time.perf_counter() - start
print(json.dumps({{"status": r.status, "seconds_check": seconds,
                  "cases": len(r.cases), "worst": max(c.ratio for c in r.cases),
                  "compiled_warm": compiled_warm,
                  "compiled_timed": len(compiles) - compiled_warm,
                  "peak_gib": peak_gib()}}))
"""
        )
        row = child(code)
        row["name"] = name
        rows.append(row)
        print(f"  {samples:,} samples, {name}: {row}", flush=True)
    return rows


def _total_memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("inf")


def _large_case(module: str, name: str, sizes: dict, samples: int, device: str):
    code = (
        PEAK
        + f"""
import json
import checks
from derivations.{module} import {name} as d
r = checks.verify(d, samples={samples}, sizes={sizes!r}, dtypes=["float64"],
                  device={device!r})
c = r.cases[0]
print(json.dumps({{"status": r.status, "ratio": c.ratio, "checked": c.checked,
                  "message": c.message, "peak_gib": peak_gib()}}))
"""
    )
    row = child(code)
    row.update(name=name, sizes=sizes, samples=samples)
    print(f"  large: {row}", flush=True)
    return row


def large_shapes(device: str) -> list[dict[str, Any]]:
    rows = [_large_case("softmax", "softmax_jacobian", {"n": 4096}, 4, device)]
    quarter = _large_case(
        "softmax_regression",
        "softmax_cross_entropy_grad_logits",
        {"m": 1024, "k": 32000},
        1,
        device,
    )
    rows.append(quarter)
    need = 4 * quarter.get("peak_gib", float("nan"))
    if need < 0.8 * _total_memory_gib():
        rows.append(
            _large_case(
                "softmax_regression",
                "softmax_cross_entropy_grad_logits",
                {"m": 4096, "k": 32000},
                1,
                device,
            )
        )
    else:
        rows.append(
            {
                "name": "softmax_cross_entropy_grad_logits",
                "sizes": {"m": 4096, "k": 32000},
                "samples": 1,
                "status": "not run",
                "message": f"needs about {need:.0f} GiB (4 × the quarter batch's "
                f"peak); this machine has {_total_memory_gib():.0f} GiB",
            }
        )
    return rows


SHARDS = """
import json
import jax
import checks
from derivations.cross_entropy import binary_cross_entropy_grad_beta
from derivations.softmax_regression import softmax_cross_entropy_grad_logits
n = {n}
platform = {platform!r}
out = {{"devices": len(jax.devices(platform)), "rows": []}}
for fn in (binary_cross_entropy_grad_beta, softmax_cross_entropy_grad_logits):
    for shards in (1, 2, 4):
        if len(jax.devices(platform)) < shards:
            continue
        t = checks.time_check(fn, samples=n, dtypes=["float64", "float32"],
                              device=platform, shards=shards, least=2.0)
        out["rows"].append({{"name": t.name, "shards": shards,
                            "points_per_s": t.points_per_s}})
print(json.dumps(out))
"""


def sharding(device: str, n: int = 1 << 18) -> dict[str, Any]:
    env = {}
    if device == "cpu":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
    result = child(SHARDS.format(n=n, platform=device), env)
    print(f"  shards: {result}", flush=True)
    return result


FLOOR = """
import json, time
import jax, jax.numpy as jnp
device = jax.devices({platform!r})[0]
x = jax.device_put(jnp.ones(({elements},), jnp.float32), device)  # 1 GiB by default
copy = jax.jit(lambda v: v + 1, donate_argnums=0)  # in place: no page faults
x = jax.block_until_ready(copy(x))
runs, start = 0, time.perf_counter()
while time.perf_counter() - start < 1.0 or runs < 3:
    x = jax.block_until_ready(copy(x))
    runs += 1
seconds = (time.perf_counter() - start) / runs
print(json.dumps({{"bytes_per_s": 2 * x.nbytes / seconds}}))
"""


def copy_bandwidth(device: str, elements: int = 1 << 28) -> float:
    """Bytes per second read plus written by a jitted ``x + 1`` over ``elements``
    float32 values (1 GiB by default), its output written over its input
    (donated): the copy's bandwidth, not the cost of mapping fresh memory, which
    on CPU is several times slower."""
    result = child(FLOOR.format(platform=device, elements=elements))
    return float(result.get("bytes_per_s", float("nan")))
