"""Rendering results: a plain-text table for people, JSON for programs.

Formatting only; every number comes from ``checks._src.report.result``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from checks._src.report.result import (
    CaseResult,
    Counterexample,
    DerivationResult,
    Report,
    summarize,
)

__all__ = [
    "render_json",
    "render_list",
    "render_list_json",
    "render_result",
    "render_table",
    "summary_line",
]

_MARK = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "xfail": "XFAIL",
    "xpass": "XPASS",
    "skipped": "SKIP",
}


def _case_label(c: CaseResult) -> str:
    sizes = " ".join(f"{k}={v}" for k, v in c.dims.items())
    return f"{c.dtype} {c.device}" + (f" {sizes}" if sizes else "")


def _worst_text(r: DerivationResult) -> str:
    case = r.worst_case()
    if case is None:
        return "-"
    if case.status == "error" or r.kind == "claim":
        return "-"
    if case.ratio == float("inf"):
        return "not finite"
    return f"{case.worst_error:.1e} / {case.tolerance:.1e} ({case.ratio:.2g}×)"


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    paint: Callable[[int, str, str], str] | None = None,
) -> list[str]:
    """Columns padded to their widest cell; ``paint(column, cell, padded)``
    colours a body cell after it is padded (the widths are the plain text's)."""
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str], body: bool = False) -> str:
        padded = [c.ljust(w) for c, w in zip(cells, widths)]
        if body and paint is not None:
            padded = [paint(i, c, p) for i, (c, p) in enumerate(zip(cells, padded))]
        return "  ".join(padded).rstrip()

    return [
        line(headers),
        line(["-" * w for w in widths]),
        *(line(r, body=True) for r in rows),
    ]


def _counterexample_lines(
    ce: Counterexample,
    labels: tuple[str, str] = ("closed form", "autodiff reference"),
    header: bool = True,
) -> list[str]:
    lines = ["    worst input found:"] if ce.inputs and header else []
    for name, value in ce.inputs.items():
        region = ce.region.get(name, "")
        note = f"   # {region}" if region and region != "bulk" else ""
        lines.append(f"      {name} = {_value_text(value)}{note}")
    at = f"[{', '.join(map(str, ce.element))}]" if ce.element else ""
    lines.append(f"    {labels[0]}{at and ' (worst element ' + at + ')'}:")
    lines.append(f"      {_value_text(ce.closed_form)}")
    lines.append(f"    {labels[1]}:")
    lines.append(f"      {_value_text(ce.reference)}")
    return lines


def _value_text(value: Any) -> str:
    """A nested list of numbers as Python writes it, with NaN written ``nan``
    (a report's nested lists hold NaN and ±inf as None, JSON having neither)."""
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if value is None:
        return "nan"
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, str):
        return repr(_plain(value))
    return repr(value)


def _case_detail(c: CaseResult, kind: str = "derivation") -> list[str]:
    lines = [f"  case {_case_label(c)}: {c.status}: {_plain(c.message)}"]
    if c.counterexample is not None:
        labels = ("left side", "right side") if kind == "claim" else None
        if labels and not c.counterexample.inputs:
            labels = ("stated", "computed")
        lines.extend(
            _counterexample_lines(c.counterexample, *([labels] if labels else []))
        )
    if c.stability == "unstable":
        lines.append(f"  case {_case_label(c)}: unstable: {c.stability_message}")
        if c.stability_counterexample is not None:
            lines.extend(_counterexample_lines(c.stability_counterexample))
    return lines


def render_result(r: DerivationResult, verbose: bool = False) -> str:
    """One derivation: its verdict, and the failing or erroring cases in full.

    Args:
        r: a result of ``checks.verify``.
        verbose: every case in full, the passing ones too.

    Returns:
        The readable report, several lines (what ``str(r)`` and a failing
        ``assert_derivation`` give).

    Examples:
        >>> import checks
        >>> from derivations.cross_entropy import binary_cross_entropy_grad_beta
        >>> r = checks.verify(binary_cross_entropy_grad_beta, samples=100)
        >>> print(checks.render_result(r).splitlines()[0].split("  ")[0])
        PASS binary_cross_entropy_grad_beta
    """
    head = f"{_MARK[r.status]} {_plain(r.name)}"
    if r.source:
        head += f"  [{_plain(r.source)}]"
    lines = [head]
    if r.expect == "fail":
        lines.append(f"  expected to fail: {_plain(r.why)}")
    lines.extend(_diagnosis_lines(r))
    if r.message:
        lines.append(f"  {_plain(r.message)}")
    if getattr(r, "output", ""):
        lines.append("  printed while checked:")
        lines.extend(f"    | {_plain(line)}" for line in r.output.splitlines())
    for c in r.cases:
        if verbose or c.status != "pass" or c.stability == "unstable":
            lines.extend(_case_detail(c, r.kind))
        if c.engine_fallback:
            lines.append(
                f"  case {_case_label(c)}: compiled with XLA: NumPy's evaluation "
                f"failed ({c.engine_fallback})"
            )
    if r.shrunk is not None:
        sizes = " ".join(f"{k}={v}" for k, v in r.shrunk_dims.items())
        lines.append(
            f"  simplest failing input (float64{' ' + sizes if sizes else ''}):"
        )
        lines.extend(_counterexample_lines(r.shrunk, header=False))
    if r.non_differentiable:
        lines.append(f"  note: {r.non_differentiable}")
    if r.mutants is not None and r.mutants.survivors:
        lines.append(
            f"  {len(r.mutants.survivors)} of {r.mutants.total} mutants survive "
            "(an equivalent program, or a blind spot in the sampling):"
        )
        lines.extend(f"    {s}" for s in r.mutants.survivors)
    lines.extend(_repair_lines(r))
    if getattr(r, "repro_note", ""):
        lines.append(f"  no reproduction script: {_plain(r.repro_note)}")
    if r.repro:
        lines.append("  reproduce with plain JAX:")
        lines.extend("    " + line if line else "" for line in r.repro.splitlines())
    return "\n".join(lines)


def _diagnosis_lines(r: DerivationResult) -> list[str]:
    """A line per statement of ``checks._src.search.diagnose`` about a failure."""
    found = getattr(r, "diagnosis", [])
    return [f"  diagnosis: {_plain(one.message)}" for one in found]


def _repair_lines(r: DerivationResult) -> list[str]:
    """The single edit after which the closed form passes, as a unified diff."""
    fix = getattr(r, "repair", None)
    if fix is None:
        return []
    head = f"  one-edit repair ({_plain(fix.edit)}), passes the full check:"
    return [head, *(f"    {_plain(line)}" for line in fix.diff.splitlines())]


def _mutant_text(r: DerivationResult) -> str:
    return f"{r.mutants.killed}/{r.mutants.total}" if r.mutants is not None else "-"


_COLOUR = {
    "pass": "32",
    "xfail": "33",
    "fail": "31",
    "error": "31",
    "xpass": "31",
    "skipped": "36",
}


def _coloured(text: str, status: str, colour: bool) -> str:
    """``text`` in its verdict's ANSI colour when ``colour`` is on."""
    return f"\033[{_COLOUR[status]}m{text}\033[0m" if colour else text


def _needs_details(r: DerivationResult, verbose: bool) -> bool:
    """An entry shown in full: every one with ``verbose``; otherwise one that did
    not meet its expectation, or whose mutants (asked for) survive."""
    unexpected = r.status in ("fail", "error", "xpass")
    survivors = r.mutants is not None and r.mutants.survivors
    return verbose or unexpected or bool(survivors)


def _documented_errors(results: Sequence[DerivationResult]) -> list[str]:
    """The entries that failed as declared: name, source, why, a line each, with
    the checker's diagnosis (and repair, when searched) beneath."""
    found = [r for r in results if r.status == "xfail"]
    if not found:
        return []
    lines = [f"Documented errors found ({len(found)}; --verbose shows each in full):"]
    for r in found:
        where = f"  [{_plain(r.source)}]" if r.source else ""
        lines.append(f"  {_plain(r.name)}{where}: {_plain(r.why)}")
        lines.extend(f"  {line}" for line in _diagnosis_lines(r) + _repair_lines(r))
    return lines


def _unstable(results: Sequence[DerivationResult]) -> list[str]:
    """Passing entries unstable in a low-precision dtype, a line each."""
    lines = []
    for r in results:
        if r.status != "pass" or r.stability != "unstable":
            continue
        case = next(c for c in r.cases if c.stability == "unstable")
        lines.append(
            f"  {_plain(r.name)}: {_case_label(case)}: {_plain(case.stability_message)}"
        )
    if lines:
        lines.insert(
            0, f"Unstable in low precision ({len(lines)}; --verbose shows the inputs):"
        )
    return lines


# Passing entries get a row each up to this many; past it (the catalog's 146, a
# package's hundreds) they are counted a line per document, and the table keeps
# a row only for the entries that did not pass.
PASS_ROWS = 20


def _grouped(results: Sequence[DerivationResult], verbose: bool) -> bool:
    """Passes counted per document rather than a row each (never with verbose)."""
    return not verbose and sum(r.status == "pass" for r in results) > PASS_ROWS


def _passed_by_document(
    results: Sequence[DerivationResult], with_mutants: bool
) -> list[str]:
    """The passing entries, a line per document
    (``checks._src.report.listing.split_source`` of their source, in order of first
    appearance): how many of each kind, and the derivation or rule closest to its
    tolerance, by its worst ratio."""
    from checks._src.report.listing import split_source

    groups: dict[str, list[DerivationResult]] = {}
    for r in results:
        if r.status == "pass":
            groups.setdefault(split_source(r.source)[0], []).append(r)
    rows = []
    for document, passed in groups.items():
        kinds = {k: sum(r.kind == k for r in passed) for k in _KINDS}
        counted = ", ".join(f"{n} {_KINDS[k]}" for k, n in kinds.items() if n)
        closest = "-"
        scored = [(r.worst_case(), r) for r in passed if r.kind != "claim"]
        scored = [(c.ratio, r.name) for c, r in scored if c is not None]
        if scored:
            ratio, name = max(scored, key=lambda pair: pair[0])
            closest = f"{ratio:.2g}× {_plain(name)}"
        rows.append(
            [
                _plain(document) or "(no source)",
                f"{len(passed)} ({counted})",
                closest,
                *([_mutant_sum(passed)] if with_mutants else []),
            ]
        )
    headers = ["document", "entries passed", "closest to its tolerance"]
    headers += ["mutants killed"] if with_mutants else []
    head = f"Passed ({sum(r.status == 'pass' for r in results)}; --verbose lists each):"
    return [head, *(f"  {line}" for line in _table(headers, rows))]


_KINDS = {"derivation": "derivations", "rule": "rules", "claim": "claims"}


def _mutant_sum(results: Sequence[DerivationResult]) -> str:
    scored = [r.mutants for r in results if r.mutants is not None]
    if not scored:
        return "-"
    return f"{sum(m.killed for m in scored)}/{sum(m.total for m in scored)}"


def render_table(report: Report, verbose: bool = False, colour: bool = False) -> str:
    """A row per entry; the documented errors found, a line each; each unexpected
    failure or error in full (everything in full with ``verbose``); the summary.
    Past ``PASS_ROWS`` passing entries (without ``verbose``), the passes are
    counted a line per document and the rows are the entries that neither
    passed nor are documented errors found (each listed on its own below).
    ``colour``: ANSI colours on the verdicts (for a terminal)."""
    with_mutants = any(r.mutants is not None for r in report.results)
    grouped = _grouped(report.results, verbose)
    rows = []
    for r in report.results:
        if grouped and r.status in ("pass", "xfail"):
            continue
        passed = sum(c.status == "pass" for c in r.cases)
        rows.append(
            [
                _plain(r.name),
                _MARK[r.status],
                _worst_text(r),
                f"{passed}/{len(r.cases)}",
                r.stability if r.stability != "not-checked" else "-",
                *([_mutant_text(r)] if with_mutants else []),
                _plain(r.source),
            ]
        )
    headers = ["entry", "verdict", "worst error / tolerance", "cases ok"]
    headers += ["stability", *(["mutants killed"] if with_mutants else []), "source"]
    status = {_MARK[k]: k for k in _MARK}

    def paint(column: int, cell: str, padded: str) -> str:
        return _coloured(padded, status[cell], colour) if column == 1 else padded

    out = _table(headers, rows, paint) if rows else []
    if grouped:
        out = [
            *_passed_by_document(report.results, with_mutants),
            *(out and ["", *out]),
        ]
    if not verbose:
        for section in (_documented_errors(report.results), _unstable(report.results)):
            if section:
                out += ["", *section]
    details = [
        render_result(r, verbose) for r in report.results if _needs_details(r, verbose)
    ]
    if details:
        out += ["", *("\n".join([d, ""]) for d in details)]
    if with_mutants:
        out += ["", f"mutation score: {_mutant_sum(report.results)} mutants killed"]
    out += ["", summary_line(report)]
    return "\n".join(out)


def summary_line(report: Report) -> str:
    """The report's last line: how many entries of each verdict, and where."""
    counts = summarize(report.results)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    reused = sum(r.reused for r in report.results)
    if reused:
        summary += f"; {reused} unchanged, results reused (--no-cache recomputes)"
    env = report.environment
    devices = ", ".join(env.get("devices", []))
    return (
        f"{len(report.results)} entries: {summary or 'none'}"
        f"  (seed {env.get('seed')}, jax {env.get('jax')}, {devices})"
    )


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, allow_nan=False)


def render_list(items: Sequence[Any]) -> str:
    """``--list``: what would be checked, without checking it."""
    rows = []
    for d in items:
        dims = " ".join(f"{k}∈{list(v)}" for k, v in d.dims.items())
        what = _checks(d)
        rows.append([_plain(d.name), d.expect, _plain(what), dims, _plain(d.source)])
    return "\n".join(_table(["entry", "expect", "checks", "sizes", "source"], rows))


def _checks(d: Any) -> str:
    """What an entry checks, in words: 'order 1 wrt beta', 'vjp wrt W, b'."""
    if d.kind == "claim":
        return f"claim: {d.form}"
    wrt = ", ".join(d.wrt_names)
    if d.kind == "rule":
        return f"rule: {d.form} wrt {wrt}"
    if d.form == "jacobian":
        return f"order {d.order} wrt {wrt}"
    what = "Hessian-vector product" if d.order == 2 else d.form
    return f"{what} wrt {wrt}"


def render_list_json(items: Sequence[Any]) -> str:
    """``--list --format json``: each entry's name, kind, expectation and sizes;
    and per document and section, the entries and the statements left unchecked
    (``checks._src.report.listing``)."""
    from checks._src.report.listing import documents

    entries = []
    for d in items:
        entry = {
            "name": d.name,
            "kind": d.kind,
            "expect": d.expect,
            "source": d.source,
            "dims": {k: list(v) for k, v in d.dims.items()},
        }
        if d.kind == "claim":
            entry["form"] = d.form
        else:
            entry.update(order=d.order, wrt=d.wrt, form=d.form)
        entries.append(entry)
    return json.dumps({"entries": entries, "documents": documents(items)}, indent=2)


def _plain(text: str) -> str:
    """``text`` on one line with control characters (newlines, a terminal's
    escape codes) written as escapes: a name cannot rewrite the table."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in str(text)
    )
