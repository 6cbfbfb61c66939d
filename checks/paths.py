"""Where derivation-checker keeps what it reuses between runs."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/derivation-checker`` (default ``~/.cache/...``): compiled
    programs under ``jax/``, stored results under ``results/``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return Path(base) / "derivation-checker"
