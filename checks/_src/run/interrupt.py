"""Ctrl-C in the ``check-derivations`` command: one line, exit status 130.

Python turns SIGINT into ``KeyboardInterrupt`` wherever the main thread is,
including inside the import of JAX's C extensions (where it surfaces as an
``ImportError``, a crash, or an exception "ignored" in a garbage-collection
callback, the run going on). The command instead handles the signal itself from
its first import on: it writes one line and ends the process at once (results
already stored were written whole, each by an atomic rename).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

__all__ = ["MESSAGE", "exit_on_interrupt", "is_the_command"]

MESSAGE = "check-derivations: interrupted\n"
EXIT = 130


def _exit_at_once(signum: int, frame: Any) -> None:
    try:
        prefix = "\r\033[K" if os.isatty(2) else ""
        os.write(2, (prefix + MESSAGE).encode())
    finally:
        os._exit(EXIT)


def is_the_command() -> bool:
    """Whether this process is the ``check-derivations`` console script, or
    ``python -m checks`` (``sys.argv[0]`` is still ``-m`` while the package is
    imported: the interpreter's own arguments say which module)."""
    if sys.argv and os.path.basename(sys.argv[0]) == "check-derivations":
        return True
    args = list(getattr(sys, "orig_argv", []))
    return "-m" in args and args[args.index("-m") + 1 :][:1] == ["checks"]


def exit_on_interrupt() -> None:
    """From now on, Ctrl-C writes one line and exits with status 130 (only from
    the main thread, where signal handlers can be set)."""
    try:
        signal.signal(signal.SIGINT, _exit_at_once)
    except ValueError:  # not the main thread
        pass
