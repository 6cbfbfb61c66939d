"""Reports for continuous integration: JUnit XML and GitHub workflow annotations.

JUnit XML (``--format junit``): one ``<testcase>`` per entry. An unexpected
failure (fail, or a pass of an entry expected to fail) holds a ``<failure>``
with the entry's report as the table prints it; an error an ``<error>``; an
expected failure a ``<skipped>`` naming the documented error. The run's seed,
dtypes, devices and engine are ``<properties>`` of the suite, and each entry's
dtypes, devices and the engines that evaluated its cases are its own.
The schema read by CI services is JUnit's as written by pytest's
``--junitxml`` (``testsuites/testsuite/testcase``).

GitHub annotations (``--format github``): a workflow command per entry that did
not pass, ``::error file=PATH,line=N,title=...::message`` for an unexpected
failure or error, ``::notice ...`` for an expected failure, pointing at the
first line of the decorated closed form. GitHub's escaping: ``%``, CR and LF in
a message, and also ``:`` and ``,`` in a property
(docs.github.com, "Workflow commands for GitHub Actions").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from checks._src.report.report import render_result, summary_line
from checks._src.report.result import DerivationResult, Report

__all__ = ["render_github", "render_junit"]

Location = tuple[str, int] | None
UNEXPECTED = ("fail", "error", "xpass")


def _headline(r: DerivationResult) -> str:
    """One line saying why an entry did not pass."""
    if r.status == "xpass":
        return f"passed, but it is declared to fail: {r.why}"
    if r.status == "xfail":
        return f"documented error found: {r.why}"
    if r.status == "skipped":
        return next((c.message for c in r.cases if c.message), "skipped")
    if r.message:
        return r.message.splitlines()[0]
    case = r.worst_case()
    if case is not None and case.message:
        return f"{case.dtype} {case.device}: {case.message.splitlines()[0]}"
    return r.outcome


def _seconds(r: DerivationResult) -> str:
    return f"{sum(c.seconds for c in r.cases):.3f}"


def _xml_text(text: object) -> str:
    """``text`` with the characters XML 1.0 cannot hold (most control
    characters) written as Python escapes."""
    return "".join(
        c
        if c in "\t\n\r"
        or (" " <= c <= "\ud7ff")
        or ("\ue000" <= c <= "\ufffd")
        or c >= "\U00010000"
        else c.encode("unicode_escape").decode("ascii")
        for c in str(text)
    )


def _property(parent: ET.Element, name: str, value: object) -> None:
    ET.SubElement(parent, "property", name=name, value=_xml_text(value))


def render_junit(
    report: Report,
    locations: Sequence[Location],
    dtypes: Sequence[str],
    engine: str,
    verbose: bool = False,
) -> str:
    """The report as JUnit XML; ``locations[i]`` is where entry i is declared."""
    results = report.results
    counts = {
        "tests": len(results),
        "failures": sum(r.status in ("fail", "xpass") for r in results),
        "errors": sum(r.status == "error" for r in results),
        "skipped": sum(r.status in ("xfail", "skipped") for r in results),
    }
    total = f"{sum(float(_seconds(r)) for r in results):.3f}"
    attrs = {k: str(v) for k, v in counts.items()} | {"time": total}
    root = ET.Element("testsuites", name="check-derivations", **attrs)
    suite = ET.SubElement(root, "testsuite", name="check-derivations", **attrs)
    env = report.environment
    props = ET.SubElement(suite, "properties")
    _property(props, "seed", env.get("seed"))
    _property(props, "dtype", ",".join(dtypes))
    _property(props, "device", ",".join(env.get("devices", [])))
    _property(props, "engine", engine)
    _property(props, "jax", env.get("jax"))
    for r, where in zip(results, locations, strict=True):
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_xml_text(Path(where[0]).stem if where else r.kind),
            name=_xml_text(r.name),
            time=_seconds(r),
        )
        if where:
            case.set("file", _xml_text(_relative(where[0])))
            case.set("line", str(where[1]))
        own = ET.SubElement(case, "properties")
        _property(own, "kind", r.kind)
        _property(own, "source", r.source)
        _property(own, "dtype", ",".join(dict.fromkeys(c.dtype for c in r.cases)))
        _property(own, "device", ",".join(dict.fromkeys(c.device for c in r.cases)))
        engines = dict.fromkeys(c.engine for c in r.cases if c.engine)
        _property(own, "engine", ",".join(engines))
        _property(own, "seed", env.get("seed"))
        if r.status in ("fail", "xpass"):
            tag, kind = "failure", r.status
        elif r.status == "error":
            tag, kind = "error", "error"
        elif r.status in ("xfail", "skipped"):
            ET.SubElement(
                case, "skipped", message=_xml_text(_headline(r)), type=r.status
            )
            continue
        else:
            continue
        element = ET.SubElement(case, tag, message=_xml_text(_headline(r)), type=kind)
        element.text = _xml_text(render_result(r, verbose))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _relative(file: str) -> str:
    """``file`` relative to the working directory when it is inside it (GitHub
    and most CI services read paths relative to the repository's root)."""
    try:
        path = Path(file).resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return file
    return path.as_posix()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(
    report: Report, locations: Sequence[Location], verbose: bool = False
) -> str:
    """A GitHub workflow annotation per entry that did not pass, then the
    summary line."""
    lines = []
    for r, where in zip(report.results, locations, strict=True):
        if r.status == "pass":
            continue
        level = "error" if r.status in UNEXPECTED else "notice"
        fields = []
        if where:
            fields += [
                f"file={_escape_property(_relative(where[0]))}",
                f"line={where[1]}",
            ]
        title = f"{r.status.upper()} {r.name}"
        fields.append(f"title={_escape_property(title)}")
        body = _headline(r)
        if level == "error":
            body = render_result(r, verbose)
        lines.append(f"::{level} {','.join(fields)}::{_escape_data(body)}")
    lines.append(summary_line(report))
    return "\n".join(lines)
