"""Checking a claim: ``check_claim`` runs each of its cases, and the claims checked
once, on no sampled input: a worked value against the digits the document prints
(``value``), and the printed outputs, bounds and counts
(``checks._src.evaluate.printed``). Sampled forms go to
``checks._src.evaluate.claim_sampled``.

A worked value passes when it lies within half a unit in the last printed digit (the
verdict rule of ``checks._src.judge.compare`` on the ratio |x − stated| / (unit / 2)),
or, for ``truncated=True``, between the printed number and the next one away from zero.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import jax
import numpy as np

from checks._src.declare.claim_record import UNSAMPLED, Claim
from checks._src.evaluate import on_host, printed
from checks._src.evaluate.claim_sampled import check_sampled
from checks._src.evaluate.precision import in_numerics
from checks._src.judge import compare
from checks._src.report.result import CaseResult, Counterexample, DerivationResult


def _check_value(c: Claim, device: jax.Device) -> CaseResult:
    here = on_host.choose(device).engine == "numpy"
    computed = on_host.value(c.fn) if here else None
    if computed is None:
        computed = jax.device_get(c.fn())
    computed = np.atleast_1d(np.asarray(computed, np.float64)).ravel()
    texts = [c.stated] if isinstance(c.stated, str) else list(c.stated)
    base = {"dtype": "float64", "device": "cpu", "dims": {}, "samples": 1}
    if computed.size != len(texts):
        return CaseResult(
            status="error",
            message=f"computes {computed.size} numbers but {len(texts)} are stated",
            **base,
        )
    worst, worst_i, messages = -1.0, 0, []
    for i, (x, text) in enumerate(zip(computed, texts)):
        ratio = compare.printed_ratio(float(x), text, c.truncated)
        ok = compare.verdict(ratio) == "pass"
        if ratio > worst:
            worst, worst_i = ratio, i
        if not ok:
            how = "truncated to" if c.truncated else "rounded to"
            messages.append(
                f"computed {x:.10g}, which {how} the printed digits is not {text}"
            )
    unit_note = f" {c.unit}" if c.unit else ""
    if messages:
        return CaseResult(
            status="fail",
            message="; ".join(messages) + unit_note,
            ratio=float(worst),
            worst_error=float(abs(computed[worst_i] - float(texts[worst_i]))),
            tolerance=compare.printed_unit(texts[worst_i]) / 2,
            counterexample=Counterexample(
                inputs={},
                closed_form=[float(t) for t in texts],
                reference=computed.tolist(),
                element=[worst_i] if len(texts) > 1 else [],
                region={},
            ),
            checked=1,
            **base,
        )
    shown = ", ".join(repr(float(x)) for x in computed)
    return CaseResult(
        status="pass",
        message=f"computed {shown}{unit_note}: matches the printed {', '.join(texts)}",
        ratio=float(max(worst, 0.0)),
        checked=1,
        **base,
    )


@in_numerics
def check_claim(
    c: Claim, samples: int, seed: int, device: jax.Device
) -> DerivationResult:
    """Check a claim; one case per set of sizes (float64)."""
    result = DerivationResult(
        name=c.name, source=c.source, expect=c.expect, why=c.why, kind="claim"
    )
    start = time.perf_counter()
    with jax.default_device(device):
        cases: Sequence[dict[str, int]] = (
            [{}] if c.form in UNSAMPLED else list(c.dims_cases())
        )
        for dims in cases:
            try:
                if c.form == "value":
                    case = _check_value(c, device)
                elif c.form in UNSAMPLED:
                    case = printed.check_printed(
                        c,
                        lambda x: _check_value(
                            dataclasses.replace(c, fn=lambda: np.asarray(x)), device
                        ),
                    )
                else:
                    case = check_sampled(c, dims, samples, seed, device)
            except Exception as exc:
                text = str(exc).strip().splitlines()
                case = CaseResult(
                    dtype="float64",
                    device=device.platform,
                    dims=dict(dims),
                    samples=samples,
                    status="error",
                    message=f"{type(exc).__name__}: {text[0] if text else ''}",
                )
            case.device = device.platform
            case.seconds = time.perf_counter() - start
            result.cases.append(case)
    return result
