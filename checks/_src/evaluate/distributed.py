"""Several processes checking together: ``jax.distributed`` set up for a run.

Every process runs the same check on its share of each case's points: the points axis of
a compiled check is sharded over every process's devices
(``checks._src.evaluate.blocks.shard_devices``), each process samples and evaluates its
own shard (point ``i`` is drawn from ``i`` alone, so the points do not depend on how
they are spread), and the few outputs a verdict needs — per-point counts and the worst
points — are gathered to every host (``checks._src.evaluate.blocks._gather``). Every
process therefore reaches the same verdicts; process 0 alone writes the report.

The cluster is described as JAX describes it: ``JAX_COORDINATOR_ADDRESS``
(``host:port`` of process 0, which JAX itself reads), and, named after
``jax.distributed.initialize``'s arguments, ``JAX_NUM_PROCESSES`` and
``JAX_PROCESS_ID``. Where those two are unset, JAX detects them from a cluster
manager it knows (Slurm, Open MPI, Kubernetes, Cloud TPU). On the CPU the
processes exchange data through gloo (``jax_cpu_collectives_implementation``).

A process that dies: its heartbeats stop, and after ``heartbeat_timeout``
seconds the coordination service tells the others, which end with a non-zero
status; a collective waiting on the dead process's socket fails sooner.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

__all__ = [
    "ENV_ADDRESS",
    "ENV_HEARTBEAT",
    "ENV_PROCESSES",
    "ENV_PROCESS_ID",
    "DistributedError",
    "is_leader",
    "report_stream",
    "start",
]

ENV_ADDRESS = "JAX_COORDINATOR_ADDRESS"
ENV_PROCESSES = "JAX_NUM_PROCESSES"
ENV_PROCESS_ID = "JAX_PROCESS_ID"
ENV_HEARTBEAT = "JAX_HEARTBEAT_TIMEOUT_SECONDS"

# Seconds without a heartbeat after which a process counts as dead (JAX's
# default is 100), and seconds the processes wait for each other to connect.
HEARTBEAT_TIMEOUT = 20
CONNECT_TIMEOUT = 120
# Seconds the processes wait for each other at exit: their last steps after the
# last collective (a counterexample's search, the report) are their own.
SHUTDOWN_TIMEOUT = 120


class DistributedError(Exception):
    """The cluster cannot be joined: a missing or malformed setting, or a
    coordinator that does not answer (reported in one line, exit status 2)."""


def _int_env(name: str, environ: dict[str, str]) -> int | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise DistributedError(f"{name} must be an integer, got {text!r}") from None


def settings(environ: dict[str, str] | None = None) -> dict[str, object]:
    """``jax.distributed.initialize``'s arguments from the environment; checked
    here so that a wrong one is a one-line error rather than JAX's traceback."""
    environ = dict(os.environ if environ is None else environ)
    address = environ.get(ENV_ADDRESS, "").strip() or None
    processes = _int_env(ENV_PROCESSES, environ)
    process_id = _int_env(ENV_PROCESS_ID, environ)
    heartbeat = _int_env(ENV_HEARTBEAT, environ)
    if address is not None and not address.rpartition(":")[2].isdigit():
        raise DistributedError(f"{ENV_ADDRESS} must be host:port, got {address!r}")
    if processes is not None and processes < 1:
        raise DistributedError(f"{ENV_PROCESSES} must be at least 1, got {processes}")
    if process_id is not None and processes is not None:
        if not 0 <= process_id < processes:
            raise DistributedError(
                f"{ENV_PROCESS_ID} must be 0 ≤ id < {ENV_PROCESSES} = {processes}, "
                f"got {process_id}"
            )
    if heartbeat is not None and heartbeat < 1:
        raise DistributedError(f"{ENV_HEARTBEAT} must be at least 1, got {heartbeat}")
    return {
        "coordinator_address": address,
        "num_processes": processes,
        "process_id": process_id,
        "heartbeat_timeout_seconds": heartbeat or HEARTBEAT_TIMEOUT,
    }


def start(environ: dict[str, str] | None = None) -> None:
    """Join the cluster the environment describes (see the module docstring).

    Must run before JAX computes anything. On the CPU the processes' collectives
    go through gloo."""
    import jax

    options = settings(environ)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        jax.distributed.initialize(
            **options,
            initialization_timeout=CONNECT_TIMEOUT,
            shutdown_timeout_seconds=SHUTDOWN_TIMEOUT,
        )
    except (ValueError, TypeError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise DistributedError(f"cannot join the cluster: {first}") from None


def is_leader() -> bool:
    """Whether this process writes the report: process 0 (or the only one)."""
    import jax

    return jax.process_index() == 0


def report_stream(stdout: TextIO) -> TextIO:
    """Where the report goes when ``stdout`` is the process's standard output:
    a copy of it, with file descriptor 1 itself pointed at standard error, so
    what native code prints there (gloo's "[Gloo] Rank 0 is connected…") cannot
    mix with the report. Any other stream is returned as it is."""
    if stdout is not sys.__stdout__:
        return stdout
    try:
        fd = stdout.fileno()
    except (OSError, ValueError):  # not backed by a file descriptor
        return stdout
    stdout.flush()
    copy = os.dup(fd)
    os.dup2(sys.__stderr__.fileno(), fd)
    return os.fdopen(copy, "w", encoding=stdout.encoding, errors=stdout.errors)
