"""The options of a run, checked and normalized: samples, seed, dtypes, device,
sizes, shards, engine, time limit and repair; an ``OptionError`` (one line,
naming the option) for a value the checker cannot use. ``verify``,
``check_all``, the command line and the pytest plugin all check options here.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
from collections.abc import Mapping, Sequence
from typing import TypeVar

import jax
import numpy as np

from checks._src.declare.declare import Record, make_derivation
from checks._src.evaluate import on_host
from checks._src.run import watchdog

# An entry's record, of whichever kind (``_with_sizes`` returns the same kind).
R = TypeVar("R", bound=Record)

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
        checks.OptionError: samples must be a positive integer, got 0
    """


def resolve_devices(device: str) -> list[jax.Device]:
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


def _integer(value: object, what: str) -> int:
    """``value`` as an int, if it is integral (``np.int64`` too, not ``True``)."""
    if isinstance(value, bool):
        raise OptionError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise OptionError(f"{what} must be an integer, got {value!r}") from None


def _require_positive_int(value: object, what: str) -> int:
    number = _integer(value, what)
    if number < 1:
        raise OptionError(f"{what} must be a positive integer, got {value!r}")
    return number


def _check_seed(seed: object) -> int:
    number = _integer(seed, "seed")
    if not 0 <= number < SEEDS:
        raise OptionError(f"seed must be between 0 and 2**64 - 1, got {seed!r}")
    return number


def _check_dtypes(dtypes: object) -> list[str]:
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


def _check_options(
    samples: object, dtypes: object, seed: object = 0
) -> tuple[int, list[str], int]:
    """``(samples, dtypes, seed)`` checked and normalized, or an ``OptionError``."""
    samples = _require_positive_int(samples, "samples")
    if samples > MAX_SAMPLES:
        raise OptionError(f"samples must be at most {MAX_SAMPLES:,}, got {samples:,}")
    return samples, _check_dtypes(dtypes), _check_seed(seed)


def _with_sizes(d: R, sizes: Mapping[str, int] | None) -> R:
    """``d`` checked at ``sizes`` for the size names it uses (others unchanged)."""
    used = {k: (int(v),) for k, v in (sizes or {}).items() if k in d.dims}
    return dataclasses.replace(d, dims={**d.dims, **used}) if used else d


def _check_sizes(sizes: object, items: Sequence[Record]) -> dict[str, int]:
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


def _check_timeout(timeout: object) -> None:
    if timeout is None:
        return
    ok = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
    if not ok or not np.isfinite(timeout) or timeout <= 0:
        raise OptionError(
            f"timeout must be a positive number of seconds or None, got {timeout!r}"
        )


def _check_repair(repair: object, repair_time: object) -> float | None:
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


def _check_shards(shards: object, devices: Sequence[jax.Device] = ()) -> int | None:
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


def _check_keywords(function: str, declaration: Mapping[str, object]) -> None:
    """A ``TypeError`` naming ``function`` and its keywords for one it does not
    take (a misspelt option would otherwise reach the declaration)."""
    unknown = [k for k in declaration if k not in _DECLARATION]
    if unknown:
        raise TypeError(
            f"{function}() got an unexpected keyword argument {unknown[0]!r} "
            f"(options: {', '.join(_OPTIONS)}; declaration of a plain closed form: "
            f"{', '.join(_DECLARATION)})"
        )
