"""The command line's arguments (``check-derivations``): the parser, and the
checks argparse cannot make (sizes, dtypes, time limit, the report's path), each
a ``UsageError`` of one line before any work is done.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from checks._src.store.paths import cache_dir


class UsageError(Exception):
    """A wrong argument: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="check-derivations",
        description="Check hand-derived derivatives against JAX autodiff "
        "on sampled inputs.",
    )
    p.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="a .py file or importable module declaring derivations "
        "(default: the built-in catalog)",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="check only derivations whose name or source contains TEXT (repeatable)",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=1000,
        metavar="N",
        help="points per case (at most 10**12)",
    )
    p.add_argument(
        "--sizes",
        metavar="NAME=N,...",
        help="check at these sizes instead of the declared ones (e.g. k=4096,m=2)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="sampling seed, 0 ≤ N < 2**64",
    )
    p.add_argument(
        "--kind",
        choices=("derivation", "claim", "rule"),
        help="check only derivations, claims or custom rules (default: all)",
    )
    p.add_argument(
        "--dtype",
        default="float64,float32",
        metavar="LIST",
        help="comma-separated dtypes: float64, float32, bfloat16, float16",
    )
    p.add_argument("--device", default="cpu", choices=("cpu", "gpu", "all"))
    p.add_argument(
        "--shards",
        type=int,
        metavar="N",
        help="spread each case's points over N devices of the platform "
        "(default: all of them)",
    )
    p.add_argument(
        "--distributed",
        action="store_true",
        help="join a jax.distributed cluster (JAX_COORDINATOR_ADDRESS, "
        "JAX_NUM_PROCESSES, JAX_PROCESS_ID) and spread each case's points over "
        "every process's devices; process 0 writes the report",
    )
    p.add_argument(
        "--engine",
        default="auto",
        choices=("auto", "xla"),
        help="auto: evaluate small CPU checks with NumPy and compile the rest "
        "with XLA; xla: compile every check",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="time limit for each entry (default 600; 0: no limit); an entry past "
        "it is reported as an error",
    )
    p.add_argument(
        "--format",
        default="table",
        choices=("table", "json", "junit", "github"),
        help="table (default), json, junit (JUnit XML) or github (GitHub "
        "workflow annotations)",
    )
    p.add_argument("--output", metavar="FILE", help="write the report to FILE")
    p.add_argument("--list", action="store_true", help="list the derivations and exit")
    p.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="show every case, not only failures",
    )
    p.add_argument(
        "--mutants",
        action="store_true",
        help="also mutate each passing closed form and report how many mutants "
        "the check kills",
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="for each failing derivation, also search the single edit of its "
        "closed form that passes the full check, and print it as a diff",
    )
    p.add_argument(
        "--repair-time",
        type=float,
        metavar="SECONDS",
        help="time allowed for each entry's --repair search (default 5)",
    )
    p.add_argument(
        "--require-stable",
        action="store_true",
        help="exit 1 when a closed form is unstable in a low-precision dtype",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="check every entry again instead of reusing the stored results of "
        "unchanged entries, and compile without the persistent compilation cache "
        f"(both kept in {cache_dir()})",
    )
    p.add_argument(
        "--no-compile-cache",
        action="store_true",
        help="do not use JAX's persistent compilation cache",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "on", "off"),
        default="auto",
        help="progress on stderr (auto: when stderr is a terminal)",
    )
    return p


def _check_combinations(args: argparse.Namespace) -> None:
    """Refuse values and pairs of options that make no sense together."""
    if not (args.timeout >= 0 and args.timeout < float("inf")):
        raise UsageError(f"--timeout takes a number of seconds ≥ 0, got {args.timeout}")
    if args.list and args.format in ("junit", "github"):
        raise UsageError(f"--list writes a table or JSON, not --format {args.format}")


def _parse_sizes(text: str | None) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, equals, value = item.partition("=")
        name = name.strip()
        try:
            size = int(value)
        except ValueError:
            size = None
        if not equals or not name or size is None:
            raise UsageError(
                f"--sizes takes NAME=N pairs separated by commas, got {item!r}"
            )
        if name in sizes:
            raise UsageError(f"--sizes gives {name} twice ({text})")
        sizes[name] = size
    return sizes


def _parse_dtypes(text: str) -> list[str]:
    """The dtypes of ``--dtype``, each once, in the order given."""
    return list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (
            a.exists() and b.exists() and os.path.samefile(a, b)
        )
    except OSError:
        return False


def _check_output(output: str, targets: Sequence[str]) -> Path:
    """The report's path, refused before any work when it would overwrite a
    target or cannot be written."""
    path = Path(output)
    for target in targets:
        t = Path(target)
        for candidate in (t, Path(target + ".py")):
            if candidate.is_file() and _same_file(path, candidate):
                raise UsageError(
                    f"--output {output} is the target {target}: "
                    "the report would overwrite it"
                )
        if t.is_dir() and _same_file(path.parent, t) and path.suffix == ".py":
            raise UsageError(
                f"--output {output} is a .py file of the target {target}: "
                "the report would overwrite it"
            )
    if path.is_dir():
        raise UsageError(f"--output {output} is a directory")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"--output {output}: no such directory {folder}")
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    if not existed:
        path.unlink()
    return path


def _check_output_is_not_code(path: Path, output: str) -> None:
    """Refuse a report path that is one of the run's Python files (a target's
    neighbour module, say), found once the targets are loaded."""
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and file.endswith(".py") and _same_file(path, Path(file)):
            raise UsageError(
                f"--output {output} is {file}, a Python file of this run: "
                "the report would overwrite it"
            )
