"""Where derivation-checker keeps what it reuses between runs, and whether it may.

What is read back from the cache directory decides verdicts (stored results) and
what runs (compiled programs), so the directory is used only if no one but the
current user can write to it, as ssh and pip require of theirs: it and the
folder holding it must belong to the user and be writable by neither group nor
others. Otherwise the run goes on without it, and says so once on stderr.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from checks._src.run import caches

__all__ = ["cache_dir", "trusted_cache_dir"]

_WARNED: set[str] = caches.register(set())  # warned once per process


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/derivation-checker`` (``~/.cache/...`` when it is unset,
    empty or relative, as the XDG spec says): compiled programs under ``jax/``,
    stored results under ``results/``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "derivation-checker"


def _why_untrusted(folder: str, shared_ok: bool = False) -> str | None:
    """Why ``folder`` may be written by someone other than the user (created,
    for the user alone, if missing); ``shared_ok``: a folder anyone may write
    into but no one may rename another's entry in (the sticky bit, as on /tmp)
    is fine."""
    try:
        try:
            st = os.stat(folder)
        except FileNotFoundError:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            st = os.stat(folder)
    except OSError as exc:
        return f"it cannot be used ({exc.strerror})"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if shared_ok and st.st_mode & stat.S_ISVTX:
        return None
    uid = os.getuid() if hasattr(os, "getuid") else st.st_uid
    if st.st_uid != uid:
        return f"it belongs to user {st.st_uid}, not to {uid}"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"it is writable by group or others (mode {stat.S_IMODE(st.st_mode):#o})"
    return None


def trusted_cache_dir(*parts: str) -> Path | None:
    """``cache_dir()/parts…``, created (mode 0o700) if missing, or None when it or
    a folder above it up to the XDG base may be written by another user (said once
    on stderr per directory)."""
    top = cache_dir()
    folders = [str(top.parent), str(top)]
    for part in parts:
        folders.append(os.path.join(folders[-1], part))
    for folder in folders:
        why = _why_untrusted(folder, shared_ok=folder == folders[0])
        if why is not None:
            if folder not in _WARNED:
                _WARNED.add(folder)
                print(
                    f"derivation-checker: not using the cache directory {folder}: "
                    f"{why}; results are neither stored nor reused, and programs "
                    "are compiled without a persistent cache",
                    file=sys.stderr,
                )
            return None
    return Path(folders[-1])
