"""The Python API: check derivations and read, or assert on, the result.

>>> import checks
>>> from derivations.cross_entropy import binary_cross_entropy_grad_beta
>>> result = checks.verify(binary_cross_entropy_grad_beta, samples=100)
>>> result.status
'pass'
>>> _ = checks.assert_derivation(binary_cross_entropy_grad_beta)  # in a pytest test
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import io
import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from checks import ahead, caches, identity, on_host, store, watchdog
from checks.case import ahead_jobs, run_cases
from checks.claims import ahead_jobs as claim_ahead_jobs
from checks.claims import check_claim
from checks.declare import DeclarationError, Derivation, as_derivation, make_derivation
from checks.diagnose import diagnose
from checks.diagnose import repair as one_edit_repair
from checks.diagnose_claims import diagnose_claim
from checks.forms import FormError, lowered
from checks.mutate import MutationScore, score
from checks.precision import in_float64
from checks.repro import repro_script
from checks.result import CaseResult, Counterexample, DerivationResult, Report
from checks.shrink import shrink
from checks.summary import nested as _nested

__all__ = [
    "DEFAULT_DTYPES",
    "DEFAULT_SAMPLES",
    "DEFAULT_SEED",
    "DEFAULT_TIMEOUT",
    "assert_derivation",
    "check_all",
    "environment",
    "mutation_score",
    "resolve_devices",
    "verify",
]

DEFAULT_TIMEOUT = watchdog.DEFAULT_TIMEOUT

DEFAULT_SAMPLES = 1000
DEFAULT_SEED = 0
DEFAULT_DTYPES = ("float64", "float32")
DEFAULT_REPAIR_TIME = 5.0  # seconds a one-edit repair is searched for, per entry
DTYPES = ("float64", "float32", "bfloat16", "float16")


class OptionError(ValueError):
    """An option has a value the checker cannot use.

    Examples:
        >>> import checks
        >>> from derivations.cross_entropy import binary_cross_entropy_grad_beta
        >>> checks.verify(binary_cross_entropy_grad_beta, samples=0)
        Traceback (most recent call last):
        checks.verify.OptionError: samples must be a positive integer, got 0
    """


def resolve_devices(device: str) -> list[Any]:
    """``"cpu"``, ``"gpu"`` or ``"all"`` → JAX devices (first of each platform)."""
    if device not in ("cpu", "gpu", "all"):
        raise OptionError(f"device must be cpu, gpu or all, got {device!r}")
    found = []
    for platform in ("cpu", "gpu") if device == "all" else (device,):
        try:
            # This process's own (the first of all when it is the only one).
            found.append(jax.local_devices(backend=platform)[0])
        except RuntimeError:
            if device == platform:
                raise OptionError(
                    f"no {platform.upper()} is visible to JAX on this machine"
                ) from None
    return found


MAX_SAMPLES = 10**12
SEEDS = 2**64  # a seed is 0 ≤ seed < 2⁶⁴: the sampler's stream is a uint64


def _integer(value: Any, what: str) -> int:
    """``value`` as an int, if it is integral (``np.int64`` too, not ``True``)."""
    if isinstance(value, bool):
        raise OptionError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise OptionError(f"{what} must be an integer, got {value!r}") from None


def _require_positive_int(value: Any, what: str) -> int:
    number = _integer(value, what)
    if number < 1:
        raise OptionError(f"{what} must be a positive integer, got {value!r}")
    return number


def _check_seed(seed: Any) -> int:
    number = _integer(seed, "seed")
    if not 0 <= number < SEEDS:
        raise OptionError(f"seed must be between 0 and 2**64 - 1, got {seed!r}")
    return number


def _check_dtypes(dtypes: Any) -> list[str]:
    """The dtypes to check, in order, each once (a string may name one, or several
    separated by commas)."""
    if isinstance(dtypes, str):
        dtypes = [t.strip() for t in dtypes.split(",") if t.strip()]
    try:
        names = list(dtypes)
    except TypeError:
        raise OptionError(
            f"dtypes must be a list of dtype names, got {dtypes!r}"
        ) from None
    if not names:
        raise OptionError("give at least one dtype")
    for dt in names:
        if dt not in DTYPES:
            raise OptionError(f"unknown dtype {dt!r} (choose from {', '.join(DTYPES)})")
    return list(dict.fromkeys(names))


def _check_options(samples: Any, dtypes: Any, seed: Any = 0) -> tuple[int, list, int]:
    """``(samples, dtypes, seed)`` checked and normalized, or an ``OptionError``."""
    samples = _require_positive_int(samples, "samples")
    if samples > MAX_SAMPLES:
        raise OptionError(f"samples must be at most {MAX_SAMPLES:,}, got {samples:,}")
    return samples, _check_dtypes(dtypes), _check_seed(seed)


def _with_sizes(d: Any, sizes: Mapping[str, int] | None) -> Any:
    """``d`` checked at ``sizes`` for the size names it uses (others unchanged)."""
    used = {k: (int(v),) for k, v in (sizes or {}).items() if k in d.dims}
    return dataclasses.replace(d, dims={**d.dims, **used}) if used else d


def _check_sizes(sizes: Any, items: Sequence[Any]) -> dict[str, int]:
    if sizes is None:
        return {}
    if not isinstance(sizes, Mapping):
        raise OptionError(f"sizes must map size names to sizes, got {sizes!r}")
    checked = {}
    for name, size in sizes.items():
        checked[name] = _require_positive_int(size, f"size {name}")
        if not any(name in d.dims for d in items):
            known = sorted({k for d in items for k in d.dims})
            raise OptionError(
                f"no entry has a size named {name!r} "
                f"(sizes: {', '.join(known) or 'none'})"
            )
    return checked


def _ahead_jobs(
    d: Any,
    samples: int,
    seed: int,
    dtypes: list[str],
    devices: Sequence[Any],
    shards: int | None,
) -> list[ahead.Job]:
    """The programs checking ``d`` will compile (see ``checks.ahead``)."""
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


def _check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    ok = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
    if not ok or not np.isfinite(timeout) or timeout <= 0:
        raise OptionError(
            f"timeout must be a positive number of seconds or None, got {timeout!r}"
        )


def _unfinished(d: Any, message: str) -> DerivationResult:
    """An entry with no verdict: ``message`` says why (an error, a time limit)."""
    return DerivationResult(
        name=d.name, source=d.source, expect=d.expect, why=d.why, message=message
    )


def _bounded(
    d: Any, check: Callable[[], DerivationResult], timeout: float | None
) -> tuple[DerivationResult, bool]:
    """``check()`` within ``timeout`` seconds (``checks.watchdog``): its result
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


def _check_repair(repair: Any, repair_time: Any) -> float | None:
    """The seconds a one-edit repair is searched for (None: not searched)."""
    if not isinstance(repair, bool):
        raise OptionError(f"repair must be True or False, got {repair!r}")
    ok = isinstance(repair_time, (int, float)) and not isinstance(repair_time, bool)
    if not ok or not np.isfinite(repair_time) or repair_time <= 0:
        raise OptionError(
            f"repair_time must be a positive number of seconds, got {repair_time!r}"
        )
    return float(repair_time) if repair else None


def _check_engine(engine: str) -> None:
    if engine not in on_host.ENGINES:
        raise OptionError(
            f"engine must be one of {', '.join(on_host.ENGINES)}, got {engine!r}"
        )


def _check_shards(shards: Any, devices: Sequence[Any] = ()) -> int | None:
    if shards is None:
        return None
    shards = _require_positive_int(shards, "shards")
    for device in devices:
        count = len(jax.devices(device.platform))
        if shards > count:
            raise OptionError(
                f"shards={shards} but JAX sees {count} {device.platform.upper()} "
                f"device{'s' if count != 1 else ''} (at most {count})"
            )
        if jax.process_count() > 1 and 1 < shards < count:
            # A mesh must hold devices of every process, or of one alone.
            raise OptionError(
                f"shards={shards} across {jax.process_count()} processes: give 1 "
                f"(each process checks every point) or {count} (all devices)"
            )
    return shards


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


def _check_one(
    d: Derivation,
    samples: int,
    seed: int,
    dtypes: Sequence[str],
    devices: Sequence[Any],
    progress: Callable[[str], None] | None,
    simplify: bool = True,
    shards: int | None = None,
    printed: Sequence[str] = (),
    repair: float | None = None,
) -> DerivationResult:
    """``d`` checked; what its code printed (after ``printed``, what it printed
    before) is kept in the result's ``output``. A failure is diagnosed (with
    ``simplify``), and with ``repair`` (seconds) a one-edit repair searched."""
    parts = list(printed)
    if progress is not None:
        progress = _uncaptured(progress)
    with _captured(parts):
        result = _check_one_as_run(
            d, samples, seed, dtypes, devices, progress, simplify, shards, repair
        )
    result.output = _kept_output(parts)
    return result


def _check_one_as_run(
    d: Derivation,
    samples: int,
    seed: int,
    dtypes: Sequence[str],
    devices: Sequence[Any],
    progress: Callable[[str], None] | None,
    simplify: bool = True,
    shards: int | None = None,
    repair: float | None = None,
) -> DerivationResult:
    if d.kind == "claim":
        return _check_claim(d, samples, seed, devices, progress)
    result = DerivationResult(
        name=d.name, source=d.source, expect=d.expect, why=d.why, kind=d.kind
    )
    for device in devices:
        for dims in d.dims_cases():
            chunks = None
            sizes = " ".join(f"{k}={v}" for k, v in dims.items())
            if progress:
                label = f"{d.name} {device.platform} {sizes}".rstrip()
                progress(label)
                chunks = _bar_printer(progress, label)
            watchdog.stage(f"preparing the check on {device.platform} {sizes}".strip())
            try:
                one = lowered(d, dims)  # as a Jacobian-form check (checks.forms)
                result.cases.extend(
                    run_cases(one, dims, dtypes, device, samples, seed, chunks, shards)
                )
            except Exception as exc:  # one broken derivation never stops the rest
                message = f"checker error: {type(exc).__name__}: {exc}".rstrip()
                if isinstance(exc, FormError):
                    message = str(exc)
                result.cases.extend(
                    CaseResult(
                        dtype=dt,
                        device=device.platform,
                        dims=dims,
                        samples=samples,
                        status="error",
                        message=message,
                    )
                    for dt in dtypes
                )
    if simplify:
        _simplify(d, result, seed)
        _explain(d, result, samples, seed, devices, repair)
    return result


def _explain(
    d: Derivation,
    result: DerivationResult,
    samples: int,
    seed: int,
    devices: Sequence[Any],
    repair: float | None,
) -> None:
    """What is wrong with a failing derivation (``checks.diagnose``) and, with
    ``repair`` seconds, the smallest single edit of its closed form that passes
    the full check (float64 and float32, these samples and seed)."""
    failing = [c for c in result.cases if c.status == "fail"]
    if result.outcome != "fail" or not failing:
        return
    dims_list = [dict(t) for t in dict.fromkeys(tuple(c.dims.items()) for c in failing)]
    with jax.default_device(jax.devices(failing[0].device)[0]):
        watchdog.stage("diagnosing the failure")
        try:
            result.diagnosis = diagnose(d, dims_list, seed)
        except Exception:  # an aid to reading the verdict, which stands without it
            result.diagnosis = []
        if repair is None:
            return
        watchdog.stage("searching a one-edit repair of the closed form")

        def check(edited: Derivation) -> str:
            dtypes = ["float64", "float32"]
            return _check_one(
                edited, samples, seed, dtypes, devices, None, simplify=False
            ).outcome

        try:
            result.repair = one_edit_repair(d, dims_list, check, seed, repair)
        except Exception:  # as for the diagnosis: the verdict stands without it
            result.repair = None


def _bar_printer(
    progress: Callable[[str], None], label: str, width: int = 24
) -> Callable[[int, int], None]:
    """``show(done, total)``: ``label [██████······] 25% 2,500,000/10,000,000``,
    passed on each time the whole percentage changes."""
    shown = -1

    def show(done: int, total: int) -> None:
        nonlocal shown
        percent = 100 * done // total
        if percent == shown:
            return
        shown = percent
        filled = width * done // total
        bar = "█" * filled + "·" * (width - filled)
        progress(f"{label} [{bar}] {percent:3d}% {done:,}/{total:,} points")

    return show


def _check_claim(
    c: Any,
    samples: int,
    seed: int,
    devices: Sequence[Any],
    progress: Callable[[str], None] | None,
) -> DerivationResult:
    """A claim on every device, its cases in one result."""
    result = None
    for device in devices:
        if progress:
            progress(f"{c.name} {device.platform}")
        watchdog.stage(f"checking the claim on {device.platform}")
        one = check_claim(c, samples, seed, device)
        if result is None:
            result = one
        else:
            result.cases.extend(one.cases)
    if result is not None and result.outcome == "fail":
        watchdog.stage("diagnosing the failure")
        result.diagnosis = diagnose_claim(c, result, seed)
    return result


def _simplify(d: Derivation, result: DerivationResult, seed: int) -> None:
    """Search and shrink the smallest failing float64 case's worst input, and write
    a plain-JAX reproduction of it."""
    failing = [
        c
        for c in result.cases
        if c.status == "fail" and c.dtype == "float64" and c.counterexample
    ]
    if not failing:
        return
    case = min(
        failing, key=lambda c: (int(np.prod(list(c.dims.values()) or [1])), c.ratio)
    )
    checked = lowered(d, case.dims)  # the record the case was checked as
    inputs = {
        p: _array(v, np.float64 if checked.inputs[p].floating else np.int32)
        for p, v in case.counterexample.inputs.items()
    }
    watchdog.stage("searching and simplifying a counterexample")
    try:
        with jax.default_device(jax.devices(case.device)[0]):
            shrunk = shrink(checked, case.dims, inputs, seed)
    except Exception as exc:  # the raw counterexample still stands
        result.message = f"could not simplify the counterexample: {exc}".splitlines()[0]
        return
    if shrunk is None:
        return
    result.shrunk = Counterexample(
        inputs={p: _nested(x) for p, x in shrunk.inputs.items()},
        closed_form=_nested(shrunk.closed_form),
        reference=_nested(shrunk.reference),
        element=shrunk.element,
        region={},
    )
    result.shrunk_dims = dict(case.dims)
    result.non_differentiable = shrunk.non_differentiable
    result.repro, result.repro_note = repro_script(d, shrunk.inputs)


def _array(nested: Any, dtype: Any) -> np.ndarray:
    """A report's nested list (null for NaN) back to an array."""
    if isinstance(nested, list):
        return np.stack([_array(v, dtype) for v in nested]) if nested else np.array([])
    return np.asarray(np.nan if nested is None else nested, dtype)


def _start_run(items: Sequence[Any]) -> None:
    """Forget the last run's traces, and read what every function computes now,
    so that JAX's caches are cleared for an edited one before anything is compiled
    (``checks.identity``)."""
    caches.clear("run")
    for d in items:
        functions = [d.fn] if d.kind == "claim" else [d.closed_form, d.of]
        functions += [dom.draw for dom in d.inputs.values() if dom.kind == "custom"]
        for fn in functions:
            identity.computes(fn, None)


@in_float64
def verify(
    closed_form_or_derivation: Any,
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
        NumPy (``checks.on_host``) and compiles the others with XLA; ``"xla"``
        compiles every check.
      timeout: seconds the check may take (None: no limit); past it the result
        is an error saying so and at which stage (``checks.watchdog``).
      repair: for a failing derivation, also search the single edit of its closed
        form that passes the full check (``checks.diagnose``; a failure is always
        diagnosed), for at most ``repair_time`` seconds.

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


_OPTIONS = (
    "samples",
    "seed",
    "dtypes",
    "device",
    "sizes",
    "shards",
    "engine",
    "timeout",
    "repair",
    "repair_time",
)
_DECLARATION = tuple(
    p.name
    for p in inspect.signature(make_derivation).parameters.values()
    if p.kind is p.KEYWORD_ONLY
)


def _check_keywords(function: str, declaration: Mapping[str, Any]) -> None:
    """A ``TypeError`` naming ``function`` and its keywords for one it does not
    take (a misspelt option would otherwise reach the declaration)."""
    unknown = [k for k in declaration if k not in _DECLARATION]
    if unknown:
        raise TypeError(
            f"{function}() got an unexpected keyword argument {unknown[0]!r} "
            f"(options: {', '.join(_OPTIONS)}; declaration of a plain closed form: "
            f"{', '.join(_DECLARATION)})"
        )


def assert_derivation(
    closed_form_or_derivation: Any, **options: Any
) -> DerivationResult:
    """``verify``, then raise ``AssertionError`` with the readable report unless
    the derivation met its expectation (a right one passes, a known-wrong one fails).
    The report of a failure says what is wrong where it can (``checks.diagnose``),
    and with ``repair=True`` the one edit that repairs it.

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
    from checks.report import render_result

    result = verify(closed_form_or_derivation, **options)
    if not result.ok:
        raise AssertionError(render_result(result))
    return result


@in_float64
def mutation_score(
    d: Derivation,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    device: str = "cpu",
) -> MutationScore:
    """How many one-change mutants of ``d``'s closed form the check kills."""
    devices = resolve_devices(device)

    def outcome(mutant: Derivation) -> str:
        checked = _check_one(
            mutant, samples, seed, ["float64"], devices, None, simplify=False
        )
        return checked.outcome

    return score(d, outcome)


def environment(seed: int, devices: Sequence[Any]) -> dict[str, Any]:
    return {
        "jax": jax.__version__,
        "devices": [str(d) for d in devices],
        "seed": seed,
        "processes": jax.process_count(),  # >1: a jax.distributed cluster
    }


@in_float64
def check_all(
    derivations: Iterable[Derivation],
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
    (``checks.mutate``) and each mutant checked in float64: the mutation score.
    With ``reuse=True``, an entry whose fingerprint (``checks.store``) matches a
    stored result is not checked again: the stored result is returned, marked
    ``reused``; new results are stored. ``sizes`` replaces the declared sizes of
    every entry that uses the name. ``shards``, ``engine``: see ``verify``.
    ``timeout``: seconds each entry may take (None: no limit); an entry past it
    is an error, and when the computation it waited for cannot be stopped, the
    entries after it are reported as not run (``checks.watchdog``).
    ``repair``, ``repair_time``: see ``verify``.

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
    with on_host.engine(engine):
        return _check_all(
            items,
            samples,
            seed,
            dtypes,
            devices,
            device,
            progress,
            mutants,
            reuse,
            sizes,
            shards,
            timeout,
            repair_seconds,
        )


def _check_all(
    items: list[Any],
    samples: int,
    seed: int,
    dtypes: Sequence[str],
    devices: list[Any],
    device: str,
    progress: Callable[[int, int, str], None] | None,
    mutants: bool,
    reuse: bool,
    sizes: Mapping[str, int] | None,
    shards: int | None,
    timeout: float | None,
    repair: float | None = None,
) -> Report:
    items = [_with_sizes(d, sizes) for d in items]
    # Stored results, or why an entry could not even be prepared (its fingerprint
    # or its ahead-of-time trace ran user code that failed or did not finish).
    stored: list[DerivationResult | None] = []
    keys: list[str | None] = []
    traces: dict[Any, Any] = {}  # shared by the fingerprints of this run
    for d in items:

        def find(d: Any = d) -> tuple[str | None, DerivationResult | None]:
            watchdog.stage("computing the entry's fingerprint")
            key = store.fingerprint(
                d,
                samples=samples,
                seed=seed,
                dtypes=dtypes,
                devices=devices,
                mutants=mutants,
                shards=shards,
                memo=traces,
                repair=repair,
            )
            return key, store.load(key) if key else None

        key, found = None, None
        if reuse:
            outcome, finished = _bounded(d, find, timeout)
            key, found = outcome if finished else (None, outcome)
        keys.append(key)
        stored.append(found)
    todo = [d for d, s in zip(items, stored) if s is None]
    printed: dict[int, list[str]] = {}  # by entry, what its code printed ahead
    if len(todo) > 1:
        jobs = []
        for index, d in enumerate(items):
            if stored[index] is not None:
                continue
            if progress:
                progress(index, len(items), f"{d.name}: tracing")

            def trace(d: Any = d, index: int = index) -> list[ahead.Job]:
                watchdog.stage("tracing the check to compile it ahead")
                with _captured(printed.setdefault(index, [])):
                    return _ahead_jobs(d, samples, seed, list(dtypes), devices, shards)

            traced, finished = _bounded(d, trace, timeout)
            if finished:
                jobs += traced
            else:
                stored[index] = traced
        # Lowering the batches traces the programs again: bounded as a whole.
        outcome = watchdog.bounded(lambda: ahead.submit(jobs), timeout)
        if outcome.timed_out or outcome.error is not None:
            ahead.reset()
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

        def check(d: Any = d, step: Any = step, index: int = index) -> DerivationResult:
            result = _check_one(
                d,
                samples,
                seed,
                list(dtypes),
                devices,
                step,
                shards=shards,
                printed=printed.get(index, ()),
                repair=repair,
            )
            if mutants and result.status == "pass" and d.kind == "derivation":
                if step:
                    step(f"{d.name}: mutants")
                watchdog.stage("checking mutants of the closed form")
                result.mutants = mutation_score(
                    d, samples=samples, seed=seed, device=device
                )
            return result

        result, finished = _bounded(d, check, timeout)
        if keys[index] and finished:
            store.save(keys[index], result)
        results.append(result)
    ahead.reset()
    return Report(results=results, environment=environment(seed, devices))


__all__ += ["DeclarationError", "OptionError"]
