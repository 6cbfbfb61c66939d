"""What a failure shows: the evidence a documented error must be found with.

A wrong derivation is found when the checker can show where it is wrong, not merely when
a check stops: every failing case carries the worst input found (a counterexample: the
input, the closed form's value and the reference's), and a derivation also its simplest
failing input (``checks._src.search.shrink``) and a plain-JAX reproduction script
(``checks._src.search.repro``). A claim's failing case carries the values of its two
sides. ``missing_evidence`` says what a failed result lacks; the pytest plugin's
``--derivation-xfail-evidence`` counts an expected failure as found (xfail) only when it
lacks nothing.
"""

from __future__ import annotations

from checks._src.report.result import DerivationResult

__all__ = ["missing_evidence"]


def missing_evidence(result: DerivationResult) -> list[str]:
    """What ``result``, a failure, does not show, a phrase each (none: found
    with its evidence)."""
    lacking = []
    failing = [c for c in result.cases if c.status == "fail"]
    if not failing:
        lacking.append("a failing case")
    bare = [c for c in failing if c.counterexample is None]
    if bare:
        cases = ", ".join(f"{c.dtype} {c.device}" for c in bare)
        lacking.append(f"a counterexample in {len(bare)} failing case(s) ({cases})")
    if result.kind == "derivation":
        if result.shrunk is None:
            lacking.append("a simplest failing input")
        if not result.repro:
            note = f" ({result.repro_note})" if result.repro_note else ""
            lacking.append(f"a reproduction script{note}")
    return lacking
