"""``python -m checks``: the ``check-derivations`` command."""

from checks.cli import entry_point

if __name__ == "__main__":
    entry_point()
