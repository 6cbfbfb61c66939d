"""The Python API: check derivations and read, or assert on, the result.

>>> import checks
>>> from derivations.cross_entropy import binary_cross_entropy_grad_beta
>>> result = checks.verify(binary_cross_entropy_grad_beta, samples=100)
>>> result.status
'pass'
>>> _ = checks.assert_derivation(binary_cross_entropy_grad_beta)  # in a pytest test
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from checks._src.declare.declare import (
    DeclarationError,
    Record,
    as_derivation,
    make_derivation,
)
from checks._src.evaluate import on_host
from checks._src.evaluate.precision import in_numerics
from checks._src.report.result import DerivationResult, Report
from checks._src.run import caches
from checks._src.run.isolation import _bounded
from checks._src.run.one_entry import _check_one
from checks._src.run.options import (
    DEFAULT_DTYPES,
    DEFAULT_REPAIR_TIME,
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT,
    OptionError,
    _check_engine,
    _check_keywords,
    _check_options,
    _check_repair,
    _check_shards,
    _check_sizes,
    _check_timeout,
    _with_sizes,
    resolve_devices,
)
from checks._src.run.schedule import Run, _check_all
from checks._src.store import identity

__all__ = [
    "assert_derivation",
    "check_all",
    "verify",
]


def _start_run(items: Sequence[Record]) -> None:
    """Forget the last run's traces, and read what every function computes now,
    so that JAX's caches are cleared for an edited one before anything is compiled
    (``checks._src.store.identity``)."""
    caches.clear("run")
    for d in items:
        functions = [d.fn] if d.kind == "claim" else [d.closed_form, d.of]
        functions += [dom.draw for dom in d.inputs.values() if dom.kind == "custom"]
        for fn in functions:
            identity.computes(fn, None)


@in_numerics
def verify(
    closed_form_or_derivation: Callable[..., object] | Record,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    dtypes: Sequence[str] = DEFAULT_DTYPES,
    device: str = "cpu",
    sizes: Mapping[str, int] | None = None,
    shards: int | None = None,
    engine: str = "auto",
    timeout: float | None = DEFAULT_TIMEOUT,
    repair: bool = False,
    repair_time: float = DEFAULT_REPAIR_TIME,
    **declaration: Any,
) -> DerivationResult:
    """Check one derivation and return its result (what the JSON report renders).

    Args:
      closed_form_or_derivation: a closed form decorated with ``@derivation``, a
        ``Derivation``, or a plain closed form with the declaration given as
        keyword arguments (``of=``, ``wrt=``, ``inputs=``, ...).
      samples: points per case.
      seed: the sampling seed (the same seed samples the same points).
      dtypes: dtypes to check, from float64, float32, bfloat16, float16.
      device: ``"cpu"``, ``"gpu"`` or ``"all"``.
      sizes: sizes to check at instead of the declared ones, e.g. ``{"k": 4096}``
        (a run of more samples than fit in memory at once goes chunk by chunk).
      shards: how many devices of the platform share each case's points (default:
        all of them; across every host of a ``jax.distributed`` cluster).
      engine: ``"auto"`` evaluates a check of one chunk on one CPU device with
        NumPy (``checks._src.evaluate.on_host``) and compiles the others with XLA;
        ``"xla"`` compiles every check.
      timeout: seconds the check may take (None: no limit); past it the result
        is an error saying so and at which stage (``checks._src.run.watchdog``).
      repair: for a failing derivation, also search the single edit of its closed
        form that passes the full check (``checks._src.search.diagnose``; a failure is
        always diagnosed), for at most ``repair_time`` seconds.

    Returns:
      The ``DerivationResult``: ``status`` (pass, fail, error, xfail, xpass),
      a ``CaseResult`` per sizes, dtype and device, the worst input found.

    Raises:
      OptionError: an option has a value the checker cannot use.
      DeclarationError: the target is not a derivation, or the keywords do not
        declare one.

    Examples:
      >>> import checks
      >>> from derivations.cross_entropy import binary_cross_entropy_grad_beta
      >>> result = checks.verify(binary_cross_entropy_grad_beta, samples=100)
      >>> result.status, [c.dtype for c in result.cases]
      ('pass', ['float64', 'float32'])
      >>> def cube(x):
      ...     return x**3
      >>> wrong = checks.verify(
      ...     lambda x: 2 * x**2, of=cube, wrt="x", inputs={"x": checks.domain.real()},
      ...     samples=100, dtypes=["float64"],
      ... )
      >>> wrong.status
      'fail'
    """
    _check_keywords("verify", declaration)
    repair_seconds = _check_repair(repair, repair_time)
    samples, dtypes, seed = _check_options(samples, dtypes, seed)
    if declaration:
        d = make_derivation(closed_form_or_derivation, **declaration)
    else:
        d = as_derivation(closed_form_or_derivation)
    sizes = _check_sizes(sizes, [d])
    d = _with_sizes(d, sizes)
    _check_engine(engine)
    _check_timeout(timeout)
    devices = resolve_devices(device)
    shards = _check_shards(shards, devices)
    _start_run([d])
    with on_host.engine(engine):
        return _bounded(
            d,
            lambda: _check_one(
                d,
                samples,
                seed,
                dtypes,
                devices,
                None,
                shards=shards,
                repair=repair_seconds,
            ),
            timeout,
        )[0]


def assert_derivation(
    closed_form_or_derivation: Callable[..., object] | Record, **options: Any
) -> DerivationResult:
    """``verify``, then raise ``AssertionError`` with the readable report unless the
    derivation met its expectation (a right one passes, a known-wrong one fails). The
    report of a failure says what is wrong where it can
    (``checks._src.search.diagnose``), and with ``repair=True`` the one edit that
    repairs it.

    Args:
        closed_form_or_derivation: as for ``verify``.
        **options: ``verify``'s options (``samples=``, ``dtypes=``, ...) and,
            for an undecorated closed form, its declaration.

    Returns:
        The ``DerivationResult``, when it met its expectation.

    Raises:
        AssertionError: it did not; the message is the readable report.
        OptionError: an option has a value the checker cannot use.

    Examples:
        >>> import checks
        >>> def cube(x):
        ...     return x**3
        >>> checks.assert_derivation(
        ...     lambda x: 3 * x**2, of=cube, wrt="x",
        ...     inputs={"x": checks.domain.real()}, samples=100,
        ... ).status
        'pass'
    """
    from checks._src.report.report import render_result

    result = verify(closed_form_or_derivation, **options)
    if not result.ok:
        raise AssertionError(render_result(result))
    return result


@in_numerics
def check_all(
    derivations: Iterable[Callable[..., object] | Record],
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    dtypes: Sequence[str] = DEFAULT_DTYPES,
    device: str = "cpu",
    progress: Callable[[int, int, str], None] | None = None,
    mutants: bool = False,
    reuse: bool = False,
    sizes: Mapping[str, int] | None = None,
    shards: int | None = None,
    engine: str = "auto",
    timeout: float | None = DEFAULT_TIMEOUT,
    repair: bool = False,
    repair_time: float = DEFAULT_REPAIR_TIME,
) -> Report:
    """Check every derivation; one that breaks is reported and the rest still run.

    With ``mutants=True``, every passing derivation's closed form is also mutated
    (``checks._src.search.mutate``) and each mutant checked in float64: the mutation
    score. With ``reuse=True``, an entry whose fingerprint (``checks._src.store.store``)
    matches a stored result is not checked again: the stored result is returned, marked
    ``reused``; new results are stored. ``sizes`` replaces the declared sizes of every
    entry that uses the name. ``shards``, ``engine``: see ``verify``. ``timeout``:
    seconds each entry may take (None: no limit); an entry past it is an error, and when
    the computation it waited for cannot be stopped, the entries after it are reported
    as not run (``checks._src.run.watchdog``). ``repair``, ``repair_time``: see
    ``verify``.

    Args:
        derivations: decorated closed forms or records (``derivations_in``).
        samples, seed, dtypes, device, sizes, shards, engine, timeout, repair,
            repair_time: as for ``verify``.
        progress: called as ``progress(index, total, text)`` as each entry
            advances.
        mutants: also score every passing closed form's mutants.
        reuse: read back the stored results of unchanged entries, and store
            new ones.

    Returns:
        The ``Report``: a ``DerivationResult`` per entry, in order.

    Raises:
        OptionError: an option has a value the checker cannot use.
        DeclarationError: an item is not a declared entry.

    Examples:
        >>> import checks
        >>> from derivations import cross_entropy
        >>> entries = checks.derivations_in(cross_entropy)[:2]
        >>> report = checks.check_all(entries, samples=100, dtypes=["float64"])
        >>> len(report.results), report.ok
        (2, True)
    """
    samples, dtypes, seed = _check_options(samples, dtypes, seed)
    repair_seconds = _check_repair(repair, repair_time)
    devices = resolve_devices(device)
    items = [as_derivation(d) for d in derivations]
    sizes = _check_sizes(sizes, items)
    shards = _check_shards(shards, devices)
    _check_engine(engine)
    _check_timeout(timeout)
    _start_run(items)
    run = Run(
        samples=samples,
        seed=seed,
        dtypes=dtypes,
        devices=devices,
        device=device,
        mutants=mutants,
        shards=shards,
        timeout=timeout,
        repair=repair_seconds,
    )
    with on_host.engine(engine):
        return _check_all(items, run, progress, reuse, sizes)


__all__ += ["DeclarationError", "OptionError"]
