"""``check-derivations``: arguments in, report out, exit status back.

Exit status: 0 when every derivation met its expectation (a skipped claim, whose
code needs a package not installed, does not count against it); 1 when any is
fail, error or xpass; 2 when a target cannot be loaded or an argument is wrong (one
line on stderr saying why).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from checks._src.run.cli_args import (
    UsageError,
    _check_combinations,
    _check_output,
    _check_output_is_not_code,
    _parse_dtypes,
    _parse_sizes,
    _parser,
)
from checks._src.run.interrupt import MESSAGE as INTERRUPTED_MESSAGE
from checks._src.run.interrupt import exit_on_interrupt
from checks._src.store.paths import trusted_cache_dir

if TYPE_CHECKING:
    from checks._src.report.result import Report

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _enable_compile_cache() -> None:
    """JAX's persistent compilation cache: a second run skips XLA compilation.
    Not used in a cache directory others can write to (``checks._src.store.paths``)."""
    import jax

    folder = trusted_cache_dir("jax")
    if folder is None:
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def _progress_printer(
    stream: TextIO, mode: str
) -> Callable[[int, int, str], None] | None:
    if mode == "off" or (mode == "auto" and not stream.isatty()):
        return None
    tty = stream.isatty()

    def show(index: int, total: int, text: str) -> None:
        line = f"[{index + 1}/{total}] {_one_line(text)}"
        if tty:
            width = os.get_terminal_size(stream.fileno()).columns - 1
            stream.write("\r\033[K" + line[:width])
        else:
            stream.write(line + "\n")
        stream.flush()

    return show


def _select(items: list, only: Sequence[str]) -> list:
    if not only:
        return items
    needles = [t.lower() for t in only]
    return [
        d
        for d in items
        if any(n in d.name.lower() or n in d.source.lower() for n in needles)
    ]


def _emit(text: str, output: Path | None, stdout: TextIO, summary: str) -> None:
    """The report on stdout, or in the ``--output`` file with ``summary`` on
    stdout."""
    if output is None:
        stdout.write(text + "\n")
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    stdout.write(f"wrote {output}{': ' + summary if summary else ''}\n")


def _run(argv: Sequence[str] | None, stdout: TextIO, stderr: TextIO) -> int:
    """One command line: its arguments checked, its targets loaded, then listed
    or checked and reported; the exit status."""
    args = _parser().parse_args(argv)
    dtypes = _parse_dtypes(args.dtype)
    sizes = _parse_sizes(args.sizes)
    _check_combinations(args)
    leader = True
    if args.distributed:
        from checks._src.evaluate.distributed import is_leader, report_stream, start

        stdout = report_stream(stdout)  # native code's prints go to stderr
        start()  # before JAX computes anything
        leader = is_leader()
    output = None
    if args.output and leader:
        output = _check_output(args.output, args.targets)

    from checks._src.run.options import _check_options, _check_shards, resolve_devices

    samples, dtypes, seed = _check_options(args.samples, dtypes, args.seed)
    shards = None
    if not args.list:
        shards = _check_shards(args.shards, resolve_devices(args.device))
    items = _load(args, output, stderr)
    if args.list:
        return _list(items, sizes, args, output, stdout, leader)
    report = _check(
        items,
        args,
        stderr,
        samples=samples,
        seed=seed,
        dtypes=dtypes,
        sizes=sizes,
        shards=shards,
    )
    text = _render(report, items, args, colour=output is None and _colour(stdout))
    counts = report.to_dict()["summary"]
    if leader:
        summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        _emit(text, output, stdout, summary)
        stdout.flush()
    unstable = any(r.stability == "unstable" for r in report.results)
    if not report.ok or (args.require_stable and unstable):
        return EXIT_FAILED
    return EXIT_OK


def _load(args: argparse.Namespace, output: Path | None, stderr: TextIO) -> list:
    """The entries of the targets that ``--only`` and ``--kind`` select."""
    from checks._src.run.load import load_targets

    # What user code prints while it is imported goes to stderr, not the report.
    with contextlib.redirect_stdout(stderr):
        items = _select(load_targets(args.targets), args.only)
    if output is not None:
        _check_output_is_not_code(output, args.output)
    if args.kind:
        items = [d for d in items if d.kind == args.kind]
    if not items:
        raise UsageError(f"no derivation matches --only {' '.join(args.only)}")
    return items


def _list(
    items: list,
    sizes: dict[str, int],
    args: argparse.Namespace,
    output: Path | None,
    stdout: TextIO,
    leader: bool,
) -> int:
    """``--list``: the entries, at ``--sizes`` if given, as a table or JSON."""
    from checks._src.report.report import render_list, render_list_json
    from checks._src.run.options import _check_sizes, _with_sizes

    _check_sizes(sizes, items)
    items = [_with_sizes(d, sizes) for d in items]
    text = render_list_json(items) if args.format == "json" else render_list(items)
    if leader:
        _emit(text, output, stdout, f"{len(items)} entries")
        stdout.flush()
    return EXIT_OK


def _check(
    items: list,
    args: argparse.Namespace,
    stderr: TextIO,
    *,
    samples: int,
    seed: int,
    dtypes: list[str],
    sizes: dict[str, int],
    shards: int | None,
) -> Report:
    """Every entry checked (``check_all``) with the command line's options (the
    samples, seed, dtypes and shards as ``checks.verify`` accepted them)."""
    from checks._src.run.verify import check_all

    if not (args.no_cache or args.no_compile_cache):
        _enable_compile_cache()
    progress = _progress_printer(stderr, args.progress)
    # Anything user code prints that a check did not take into its entry goes to
    # stderr: the report on stdout stays whole (and its JSON parses).
    with contextlib.redirect_stdout(stderr):
        report = check_all(
            items,
            samples=samples,
            seed=seed,
            dtypes=dtypes,
            device=args.device,
            progress=progress,
            mutants=args.mutants,
            # Every process must run the same programs: none reads stored results.
            reuse=not (args.no_cache or args.distributed),
            sizes=sizes,
            shards=shards,
            engine=args.engine,
            timeout=args.timeout or None,
            repair=args.repair,
            **({} if args.repair_time is None else {"repair_time": args.repair_time}),
        )
    if progress and stderr.isatty():
        stderr.write("\r\033[K")
    return report


def _colour(stream: TextIO) -> bool:
    """Colours on a terminal, unless ``NO_COLOR`` is set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def _render(
    report: Report, items: Sequence, args: argparse.Namespace, colour: bool = False
) -> str:
    """The report in the format asked for."""
    from checks._src.declare.register import defined_at
    from checks._src.report.report import render_json, render_table
    from checks._src.report.report_ci import render_github, render_junit

    if args.format == "json":
        return render_json(report)
    locations = [defined_at(d) for d in items]
    if args.format == "junit":
        dtypes = _parse_dtypes(args.dtype)
        return render_junit(report, locations, dtypes, args.engine, args.verbose)
    if args.format == "github":
        return render_github(report, locations, args.verbose)
    return render_table(report, args.verbose, colour)


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:  # Ctrl-C while JAX is still being imported is an interruption too
        return _main(argv, stdout, stderr)
    except KeyboardInterrupt:
        stderr.write(INTERRUPTED_MESSAGE)
        return EXIT_INTERRUPTED


EXIT_INTERRUPTED = 130


def _main(argv: Sequence[str] | None, stdout: TextIO, stderr: TextIO) -> int:
    from checks._src.declare.declare import DeclarationError
    from checks._src.evaluate.distributed import DistributedError
    from checks._src.evaluate.precision import numerics
    from checks._src.run.load import LoadError
    from checks._src.run.options import OptionError

    try:
        with numerics():  # the checker's own work, whatever the caller's setting
            return _run(argv, stdout, stderr)
    except (
        UsageError,
        LoadError,
        OptionError,
        DeclarationError,
        DistributedError,
    ) as exc:
        stderr.write(f"check-derivations: error: {_one_line(str(exc))}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help, or user code at import
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        stderr.write(f"check-derivations: error: {_one_line(str(exc.code))}\n")
        return EXIT_USAGE


def _one_line(text: str) -> str:
    """A message on one line, control characters escaped."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def entry_point() -> None:
    """The console script.

    JAX's tracing allocates many short-lived objects: the modules already loaded
    are frozen out of the cyclic collector's scans, and it runs less often
    (about a tenth of a cold run's time otherwise). At the end the process exits
    without tearing the interpreter down, once the compilations under way have
    finished, the exit handlers (JAX's) have run and the report is flushed
    (results are already on disk): freeing every trace and XLA's client one
    object at a time takes about half a second and changes nothing.
    """
    exit_on_interrupt()  # Ctrl-C at any point: one line, exit status 130
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    code = main()
    watchdog = sys.modules.get("checks._src.run.watchdog")
    if watchdog is None or not watchdog.stuck():
        # Nothing waits for a computation that timed out and cannot end.
        compiling = sys.modules.get("checks._src.evaluate.ahead")
        if compiling is not None:
            compiling.drain()
        atexit._run_exitfuncs()  # JAX's own (effects awaited, jax.distributed shut)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry_point()
