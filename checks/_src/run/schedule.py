"""Scheduling ``check_all``: each entry's stored result (``checks._src.store.store``),
the programs of the rest traced and compiled ahead together
(``checks._src.evaluate.ahead``), then each entry checked in turn, each within its time
limit (``checks._src.run.isolation``), with its mutants when asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import jax

from checks._src.declare.declare import Record
from checks._src.declare.forms import FormError, lowered
from checks._src.evaluate import ahead
from checks._src.evaluate.case import ahead_jobs
from checks._src.evaluate.claim_sampled import ahead_jobs as claim_ahead_jobs
from checks._src.report.result import DerivationResult, Report
from checks._src.run import watchdog
from checks._src.run.isolation import _bounded, _captured
from checks._src.run.one_entry import _check_one, mutation_score
from checks._src.run.options import _with_sizes
from checks._src.store import store


@dataclass(frozen=True)
class Run:
    """The options of one ``check_all`` run, checked (``checks._src.run.options``)."""

    samples: int
    seed: int
    dtypes: list[str]
    devices: list[jax.Device]
    device: str  # as given: "cpu", "gpu" or "all" (a mutation score's devices)
    mutants: bool
    shards: int | None
    timeout: float | None
    repair: float | None  # seconds a one-edit repair is searched for; None: not


def _ahead_jobs(
    d: Record,
    samples: int,
    seed: int,
    dtypes: list[str],
    devices: Sequence[jax.Device],
    shards: int | None,
) -> list[ahead.Job]:
    """The programs checking ``d`` will compile (see ``checks._src.evaluate.ahead``)."""
    jobs = []
    for device in devices:
        if d.kind == "claim":
            jobs += claim_ahead_jobs(d, samples, seed, device)
        else:
            for dims in d.dims_cases():
                try:
                    one = lowered(d, dims)
                except FormError:  # reported when the case runs
                    continue
                jobs += ahead_jobs(one, dtypes, device, samples, seed, shards)
    return jobs


def environment(seed: int, devices: Sequence[jax.Device]) -> dict[str, object]:
    """What a report says of where it ran: JAX's version, the devices, the seed
    and the number of processes (above 1: a ``jax.distributed`` cluster)."""
    return {
        "jax": jax.__version__,
        "devices": [str(d) for d in devices],
        "seed": seed,
        "processes": jax.process_count(),  # >1: a jax.distributed cluster
    }


def _check_all(
    items: list[Record],
    run: Run,
    progress: Callable[[int, int, str], None] | None,
    reuse: bool,
    sizes: Mapping[str, int] | None,
) -> Report:
    """Every entry checked in order: a stored result where ``reuse`` finds one,
    else checked (its programs compiled ahead with the others'), each within
    ``run.timeout``; a new result is stored when it has a fingerprint."""
    items = [_with_sizes(d, sizes) for d in items]
    # Stored results, or why an entry could not even be prepared (its fingerprint
    # or its ahead-of-time trace ran user code that failed or did not finish).
    keys: list[str | None] = [None] * len(items)
    stored: list[DerivationResult | None] = [None] * len(items)
    if reuse:
        keys, stored = _stored(items, run)
    printed: dict[int, list[str]] = {}  # by entry, what its code printed ahead
    if sum(s is None for s in stored) > 1:
        _compile_ahead(items, stored, printed, run, progress)
    results = []
    for index, d in enumerate(items):
        step = None
        if progress:
            step = lambda text, i=index: progress(i, len(items), text)  # noqa: E731
        if stored[index] is not None:
            if step:
                step(f"{d.name}: unchanged, result reused")
            results.append(stored[index])
            continue
        result, finished = _bounded(
            d,
            lambda d=d, step=step, index=index: _check_entry(
                d, run, step, printed.get(index, ())
            ),
            run.timeout,
        )
        if keys[index] and finished:
            store.save(keys[index], result)
        results.append(result)
    ahead.reset()
    return Report(results=results, environment=environment(run.seed, run.devices))


def _stored(
    items: Sequence[Record], run: Run
) -> tuple[list[str | None], list[DerivationResult | None]]:
    """Each entry's fingerprint and stored result (``checks._src.store.store``); for an
    entry whose fingerprint could not be computed, no key and the error."""
    stored: list[DerivationResult | None] = []
    keys: list[str | None] = []
    traces: dict[object, str | None] = {}  # shared by the fingerprints of this run
    for d in items:

        def find(d: Record = d) -> tuple[str | None, DerivationResult | None]:
            watchdog.stage("computing the entry's fingerprint")
            key = store.fingerprint(
                d,
                samples=run.samples,
                seed=run.seed,
                dtypes=run.dtypes,
                devices=run.devices,
                mutants=run.mutants,
                shards=run.shards,
                memo=traces,
                repair=run.repair,
            )
            return key, store.load(key) if key else None

        outcome, finished = _bounded(d, find, run.timeout)
        key, found = outcome if finished else (None, outcome)
        keys.append(key)
        stored.append(found)
    return keys, stored


def _compile_ahead(
    items: Sequence[Record],
    stored: list[DerivationResult | None],
    printed: dict[int, list[str]],
    run: Run,
    progress: Callable[[int, int, str], None] | None,
) -> None:
    """Trace the programs of every entry still to check and compile them together
    (``checks._src.evaluate.ahead``); what tracing prints goes to ``printed``, and an
    entry whose trace fails or does not finish gets that error in ``stored``."""
    jobs = []
    for index, d in enumerate(items):
        if stored[index] is not None:
            continue
        if progress:
            progress(index, len(items), f"{d.name}: tracing")

        def trace(d: Record = d, index: int = index) -> list[ahead.Job]:
            watchdog.stage("tracing the check to compile it ahead")
            with _captured(printed.setdefault(index, [])):
                return _ahead_jobs(
                    d, run.samples, run.seed, run.dtypes, run.devices, run.shards
                )

        traced, finished = _bounded(d, trace, run.timeout)
        if finished:
            jobs += traced
        else:
            stored[index] = traced
    # Lowering the batches traces the programs again: bounded as a whole.
    outcome = watchdog.bounded(lambda: ahead.submit(jobs), run.timeout)
    if outcome.timed_out or outcome.error is not None:
        ahead.reset()


def _check_entry(
    d: Record,
    run: Run,
    step: Callable[[str], None] | None,
    printed: Sequence[str],
) -> DerivationResult:
    """One entry checked (``checks._src.run.one_entry``), and with ``run.mutants`` a
    passing derivation's mutation score."""
    result = _check_one(
        d,
        run.samples,
        run.seed,
        run.dtypes,
        run.devices,
        step,
        shards=run.shards,
        printed=printed,
        repair=run.repair,
    )
    if run.mutants and result.status == "pass" and d.kind == "derivation":
        if step:
            step(f"{d.name}: mutants")
        watchdog.stage("checking mutants of the closed form")
        result.mutants = mutation_score(
            d, samples=run.samples, seed=run.seed, device=run.device
        )
    return result
