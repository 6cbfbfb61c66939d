"""``check-derivations``: the command line (``python -m checks.cli``); the
implementation is ``checks._src.run.cli``."""

from checks._src.run.cli import entry_point, main

__all__ = ["entry_point", "main"]

if __name__ == "__main__":
    entry_point()
