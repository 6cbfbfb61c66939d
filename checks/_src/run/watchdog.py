"""A time limit on each entry of a run, kept by a thread that does not wait on it.

An entry is checked on a worker thread while the calling thread waits at most
``timeout`` seconds. When the limit passes, the worker is asked to stop (an
exception raised in it at its next Python instruction); one busy in Python stops
there. One blocked in native code (an XLA program that never returns, a callback
that waits for ever) cannot be stopped by anything in the process: it is left
behind and ``stuck()`` says so, so that the run reports the entries it has not
checked as not run and exits without waiting for that thread (see
``checks.cli.entry_point``).

``stage(text)`` records what the entry is doing (tracing, compiling, running its
compiled check, searching a counterexample), which a timed-out entry's message
names.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checks._src.evaluate.precision import carried

__all__ = [
    "DEFAULT_TIMEOUT",
    "Outcome",
    "TimedOut",
    "bounded",
    "stage",
    "stuck",
]

DEFAULT_TIMEOUT = 600.0
"""Seconds an entry may take (all its cases, dtypes and devices together)."""

_GRACE = 2.0  # seconds a worker asked to stop has to stop
_STAGE = ["starting"]
_STUCK: list[str] = []


class TimedOut(BaseException):
    """Raised in a worker thread whose entry ran past its time limit (a
    ``BaseException``, so that the checker's ``except Exception`` handlers, which
    turn a broken entry into its error, let it through)."""


@dataclass
class Outcome:
    """How a bounded call ended: its ``value``, or the exception it raised
    (``error``; any ``BaseException``, ``SystemExit`` too), or ``timed_out``
    in ``stage``; ``stuck`` when its thread could not be stopped."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    stage: str = ""
    stuck: bool = False


def stage(text: str) -> None:
    """Record what the entry being checked is doing now."""
    _STAGE[0] = text


def stuck() -> str | None:
    """What a thread left blocked by a timed-out entry was doing, if any."""
    return _STUCK[0] if _STUCK else None


def _interrupt(thread: threading.Thread) -> None:
    """Raise ``TimedOut`` in ``thread`` at its next Python instruction."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident or 0), ctypes.py_object(TimedOut)
    )


def bounded(fn: Callable[[], Any], timeout: float | None) -> Outcome:
    """``fn()`` on a worker thread, given at most ``timeout`` seconds (None: no
    limit, run on this thread)."""
    stage("starting")
    if timeout is None:
        try:
            return Outcome(value=fn())
        except Exception as exc:
            return Outcome(error=exc)
        except SystemExit as exc:
            return Outcome(error=exc)
    outcome = Outcome()
    run = carried(fn)  # under this thread's float64 setting

    def work() -> None:
        try:
            outcome.value = run()
        except TimedOut:
            outcome.timed_out = True
        except BaseException as exc:  # SystemExit from user code too
            outcome.error = exc

    worker = threading.Thread(target=work, name="check-entry", daemon=True)
    worker.start()
    worker.join(timeout)
    if not worker.is_alive():
        return outcome
    where = _STAGE[0]
    _interrupt(worker)
    worker.join(_GRACE)
    if worker.is_alive():
        _STUCK.append(where)
        return Outcome(timed_out=True, stage=where, stuck=True)
    return Outcome(timed_out=True, stage=where)
