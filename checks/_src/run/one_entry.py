"""Checking one entry: a derivation case by case on every device, or a claim;
a failure's counterexample shrunk and reproduced, diagnosed and (given time)
repaired; its mutation score. What its code prints is kept in its result
(``checks._src.run.isolation``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import numpy as np
import numpy.typing as npt

from checks._src.declare.claim_record import Claim
from checks._src.declare.declare import Derivation
from checks._src.declare.forms import FormError, lowered
from checks._src.evaluate.case import run_cases
from checks._src.evaluate.claim_check import check_claim
from checks._src.evaluate.precision import in_numerics
from checks._src.judge.summary import nested as _nested
from checks._src.report.result import CaseResult, Counterexample, DerivationResult
from checks._src.run import watchdog
from checks._src.run.isolation import _captured, _kept_output, _uncaptured
from checks._src.run.options import DEFAULT_SAMPLES, DEFAULT_SEED, resolve_devices
from checks._src.search.diagnose import diagnose
from checks._src.search.diagnose import repair as one_edit_repair
from checks._src.search.diagnose_claims import diagnose_claim
from checks._src.search.mutate import MutationScore, score
from checks._src.search.repro import repro_script
from checks._src.search.shrink import shrink


def _check_one(
    d: Derivation,
    samples: int,
    seed: int,
    dtypes: Sequence[str],
    devices: Sequence[jax.Device],
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
    devices: Sequence[jax.Device],
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
                one = lowered(
                    d, dims
                )  # as a Jacobian-form check (checks._src.declare.forms)
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
    devices: Sequence[jax.Device],
    repair: float | None,
) -> None:
    """What is wrong with a failing derivation (``checks._src.search.diagnose``) and,
    with ``repair`` seconds, the smallest single edit of its closed form that passes the
    full check (float64 and float32, these samples and seed)."""
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
    c: Claim,
    samples: int,
    seed: int,
    devices: Sequence[jax.Device],
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


def _array(nested: object, dtype: npt.DTypeLike) -> np.ndarray:
    """A report's nested list (null for NaN) back to an array."""
    if isinstance(nested, list):
        return np.stack([_array(v, dtype) for v in nested]) if nested else np.array([])
    return np.asarray(np.nan if nested is None else nested, dtype)


@in_numerics
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
