"""Isolation of one entry's check: a time limit (``checks._src.run.watchdog``), an
exception or ``sys.exit`` escaping user code, and what user code prints, each
kept in the entry's own result so that one entry never stops or garbles a run.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from checks._src.declare.declare import Record
from checks._src.report.result import DerivationResult
from checks._src.run import watchdog

T = TypeVar("T")


def _unfinished(d: Record, message: str) -> DerivationResult:
    """An entry with no verdict: ``message`` says why (an error, a time limit)."""
    return DerivationResult(
        name=d.name, source=d.source, expect=d.expect, why=d.why, message=message
    )


def _bounded(
    d: Record, check: Callable[[], T], timeout: float | None
) -> tuple[T | DerivationResult, bool]:
    """``check()`` within ``timeout`` seconds (``checks._src.run.watchdog``): its result
    and True, or an error result (a time limit, ``sys.exit`` or another
    exception escaping the checker) and False."""
    if watchdog.stuck():
        return _unfinished(
            d,
            "not run: an earlier entry did not finish and the computation it "
            f"was waiting for cannot be stopped ({watchdog.stuck()})",
        ), False
    outcome = watchdog.bounded(check, timeout)
    if outcome.timed_out:
        return _unfinished(
            d, f"did not finish within {timeout:g} s (while {outcome.stage})"
        ), False
    if isinstance(outcome.error, SystemExit):
        return _unfinished(
            d, f"user code called sys.exit({outcome.error.code!r}) during the check"
        ), False
    if outcome.error is not None:
        exc = outcome.error
        return _unfinished(
            d, f"checker error: {type(exc).__name__}: {exc}".rstrip()
        ), False
    return outcome.value, True


OUTPUT_LIMIT = 2000  # characters of what user code prints kept in its entry


@contextlib.contextmanager
def _captured(into: list[str]) -> Iterator[None]:
    """What user code prints (stdout and stderr) while the block runs, appended to
    ``into``: shown in its entry, never mixed into a report on stdout."""
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield
    finally:
        into.append(buffer.getvalue())


def _uncaptured(progress: Callable[[str], None]) -> Callable[[str], None]:
    """``progress`` writing where it would outside ``_captured``."""
    stdout, stderr = sys.stdout, sys.stderr

    def show(text: str) -> None:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            progress(text)

    return show


def _kept_output(parts: Sequence[str]) -> str:
    """The printed text, cut to ``OUTPUT_LIMIT`` characters."""
    text = "".join(parts)
    if len(text) <= OUTPUT_LIMIT:
        return text
    cut = text[:OUTPUT_LIMIT].rstrip("\n")
    return f"{cut}\n… ({len(text) - OUTPUT_LIMIT:,} more characters not shown)"
