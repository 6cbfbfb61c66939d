"""Planning a case before it runs: whether it fits in memory, how many points
each compiled call checks (chunks), whether a chunk is judged in the program or
on the host, whether a point too large for one chunk is checked in stages, and
which engine evaluates it (NumPy on the host for small CPU checks, else the
compiled check).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple

import jax
from jax.typing import ArrayLike

from checks._src.declare.declare import Derivation
from checks._src.declare.sampling import Stream
from checks._src.evaluate import ahead, on_host
from checks._src.evaluate.blocks import _gather, shard_devices
from checks._src.evaluate.case_program import Program, _program, computes
from checks._src.evaluate.case_static import _point_sizes
from checks._src.judge.case_judge import Judged, Values

# Points per compiled call: a run of more samples is checked chunk by chunk, so
# memory stays bounded whatever --samples says.
MAX_CHUNK = 1 << 16
CHUNK_BYTES = 1 << 30  # a chunk's inputs, values and bounds, all dtypes, about
# A chunk larger than this (one point too large for CHUNK_BYTES) is checked in
# stages, one program each (``_build_staged``).
STAGE_BYTES = CHUNK_BYTES


# Judged inside the compiled check when a run has several chunks (compiling the
# comparison pays off), or when a chunk's values would be large to move to the host.
DEVICE_JUDGE_POINTS = 10_000
DEVICE_JUDGE_BYTES = 1 << 26


def _point_bytes(d: Derivation, dims: dict[str, int], dtypes: Sequence[str]) -> int:
    """About how many bytes one point's inputs, values and bounds take."""
    inputs, derivative = _point_sizes(d, dims)
    # Inputs in every dtype and float64, then value and bound of both sides.
    return 8 * (sum(inputs) * (len(dtypes) + 1) + 4 * derivative * len(dtypes))


# What one point needs, at the least, beyond its values and bounds (autodiff's
# intermediates, the comparison's): a Hessian by jacfwd of jacrev holds about
# as many arrays of its size again.
_WORKING_COPIES = 2


def available_memory(device: jax.Device) -> int | None:
    """Bytes a check on ``device`` may use: free memory on a GPU, available
    memory (``MemAvailable``) on the host; None when it cannot be told."""
    if device.platform != "cpu":
        stats = device.memory_stats() or {}
        if "bytes_limit" in stats:
            return int(stats["bytes_limit"] - stats.get("bytes_in_use", 0))
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_problem(
    d: Derivation, dims: dict[str, int], device: jax.Device
) -> str | None:
    """Why a case cannot run at these sizes for want of memory, or None.

    The least a case needs is one point in one dtype (a large point is checked
    in stages, a dtype at a time): its inputs, the closed form's and the float64
    reference's values and bounds, and autodiff's working copies of the
    derivative. Above the memory available, the case is an error naming the
    estimate, before anything is compiled or allocated.
    """
    free = available_memory(device)
    if free is None:
        return None
    inputs, derivative = _point_sizes(d, dims)
    need = 8 * (2 * sum(inputs) + (4 + _WORKING_COPIES) * derivative)
    if need <= free:
        return None
    sizes = ", ".join(f"{k}={v}" for k, v in dims.items()) or "the declared shapes"
    return (
        f"too large for memory: one point at {sizes} needs at least about "
        f"{_in_units(need)} (a derivative of {derivative:,} elements), "
        f"and {_in_units(free)} is available on {device.platform}"
    )


def _in_units(size: int) -> str:
    if size >= 2**30:
        return f"{size / 2**30:,.1f} GiB"
    return f"{size / 2**20:,.1f} MiB"


def chunk_size(
    d: Derivation, dims: dict[str, int], dtypes: Sequence[str], n: int
) -> int:
    """Points per compiled call at these sizes: all ``n`` when they fit in
    ``CHUNK_BYTES``, else fewer (at least one), never more than ``MAX_CHUNK``."""
    per_point = _point_bytes(d, dims, dtypes)
    return int(max(1, min(n, MAX_CHUNK, CHUNK_BYTES // max(per_point, 1))))


class _Plan(NamedTuple):
    """How a case is run: ``chunk`` points per call of its compiled check, sharded
    over ``devices``, judged inside the program or (``on_device`` false) on the
    host; ``key`` names that program for ``checks._src.evaluate.ahead``."""

    key: tuple[Hashable, ...]
    dtypes: tuple[str, ...]
    chunk: int
    devices: tuple[jax.Device, ...]
    on_device: bool
    staged: bool = False

    def program(self, d: Derivation, dims: dict[str, int]) -> Program:
        return _program(
            d,
            dims,
            self.dtypes,
            self.chunk,
            self.devices,
            self.on_device,
            self.staged,
        )


def _plan(
    d: Derivation,
    dims: dict[str, int],
    runnable: Sequence[str],
    device: jax.Device,
    samples: int,
    shards: int | None,
) -> _Plan:
    devices = shard_devices(device, shards)
    chunk = chunk_size(d, dims, runnable, samples)
    chunk = -(-chunk // len(devices)) * len(devices)
    chunk_bytes = _point_bytes(d, dims, runnable) * chunk
    staged = chunk_bytes > STAGE_BYTES
    on_device = (
        staged
        or chunk < samples
        or chunk >= DEVICE_JUDGE_POINTS
        or chunk_bytes > DEVICE_JUDGE_BYTES
    )
    dtypes = tuple(runnable)
    key = ("case", id(d), tuple(sorted(dims.items())), dtypes, chunk, devices)
    key = (*key, on_device, staged, device, computes(d, dims, dtypes))
    return _Plan(key, dtypes, chunk, devices, on_device, staged)


def _host_program(
    d: Derivation, dims: dict[str, int], plan: _Plan, device: jax.Device
) -> Callable[[Stream], dict[str, Values]] | None:
    """The check evaluated by NumPy (``checks._src.evaluate.on_host``) if it is small
    enough to be cheaper than compiling (one chunk, judged on the host, one CPU device)
    and can be evaluated there; else None."""
    choice = on_host.choose(
        device, devices=len(plan.devices), judged_on_device=plan.on_device
    )
    if choice.engine != "numpy":
        return None
    return on_host.case_program(d, dims, plan.dtypes, plan.chunk)


def _runner(
    d: Derivation, dims: dict[str, int], plan: _Plan, device: jax.Device
) -> Callable[[Stream, ArrayLike], dict[str, Values | Judged]]:
    """``run(stream, count)``: a chunk's outputs on the host, from NumPy where
    ``_host_program`` allows, else (or should NumPy fail) from the compiled check."""
    return on_host.runner(
        _host_program(d, dims, plan, device),
        lambda: ahead.compiled(plan.key, plan.program(d, dims)),
        (lambda outputs: outputs) if plan.staged else _gather,  # staged: fetched
    )
