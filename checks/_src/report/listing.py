"""What a catalog accounts for, per document and section: its entries and the
statements it leaves unchecked (``check-derivations --list --format json``).

A source names its document, then the section: ``Lizi Chen, "Entropy, ..."
Review", Section 5.1, Figure 4`` is the document ``Lizi Chen, "Entropy, ...
Review"`` and the section ``Section 5.1, Figure 4``. The document ends at the
first ", " after its quoted title (outside quotes and parentheses); a source
without a quoted title ends its document at the first ", ".

A module lists what it leaves unchecked in its docstring::

    Not checked:

    - Chen, Section 1.2: "1/4 encoding space" refers to a missing figure.
    - slides, "Terminologies": analogies, no checkable content.

Each line is ``- DOCUMENT, SECTION: why`` (continuation lines indented);
DOCUMENT is any part of a document's name (``Chen``, ``slides``) that names
exactly one of the documents the entries cite.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["NotChecked", "documents", "not_checked", "split_source"]

HEADING = "Not checked:"


@dataclass(frozen=True)
class NotChecked:
    """A statement a module leaves unchecked, and why."""

    document: str
    section: str
    why: str


def split_source(source: str) -> tuple[str, str]:
    """``(document, section)`` of a source (see the module docstring)."""
    quoted = '"' in source
    in_quote = closed_title = False
    depth = 0
    for i, ch in enumerate(source):
        if ch == '"':
            in_quote = not in_quote
            closed_title = closed_title or not in_quote
        elif not in_quote and ch == "(":
            depth += 1
        elif not in_quote and ch == ")":
            depth = max(depth - 1, 0)
        elif (
            ch == ","
            and not in_quote
            and depth == 0
            and (closed_title or not quoted)
            and source[i + 1 : i + 2] == " "
        ):
            return source[:i], source[i + 2 :]
    return source, ""


def _lines(doc: str) -> list[str]:
    """The items under the docstring's "Not checked:" heading, each on one line."""
    items: list[str] = []
    inside = False
    for raw in doc.splitlines():
        line = raw.strip()
        if not inside:
            inside = line == HEADING
            continue
        if line.startswith("- "):
            items.append(line[2:])
        elif line and raw[:1].isspace() and items:
            items[-1] += " " + line
        elif line or items:  # a blank line or a paragraph after the list ends it
            break
    return items


def not_checked(module: Any, documents: Iterable[str] = ()) -> list[NotChecked]:
    """The "Not checked:" lines of ``module``'s docstring; a line's document is
    the one of ``documents`` that its label names, else the label itself."""
    names = list(dict.fromkeys(documents))
    found = []
    for item in _lines(inspect.getdoc(module) or ""):
        label, _, rest = item.partition(", ")
        section, colon, why = rest.partition(": ")
        if not colon:
            section, why = "", rest
        matches = [d for d in names if label in d]
        found.append(
            NotChecked(
                document=matches[0] if len(matches) == 1 else label,
                section=section.strip(),
                why=why.strip(),
            )
        )
    return found


def _module_of(entry: Any) -> Any:
    fn = entry.fn if entry.kind == "claim" else entry.closed_form
    return sys.modules.get(getattr(fn, "__module__", ""), None)


def documents(items: Sequence[Any]) -> list[dict[str, Any]]:
    """Per document, per section: the entries' names and the unchecked lines of
    the modules that declare them, in order of first appearance."""
    tree: dict[str, dict[str, dict[str, list[str]]]] = {}

    def slot(document: str, section: str) -> dict[str, list[str]]:
        sections = tree.setdefault(document, {})
        return sections.setdefault(section, {"entries": [], "not_checked": []})

    modules = []
    for d in items:
        document, section = split_source(d.source)
        slot(document, section)["entries"].append(d.name)
        module = _module_of(d)
        if module is not None and module not in modules:
            modules.append(module)
    cited = list(tree)
    for module in modules:
        for line in not_checked(module, cited):
            slot(line.document, line.section)["not_checked"].append(line.why)
    return [
        {
            "document": document,
            "sections": [
                {"section": section, **content} for section, content in sections.items()
            ],
        }
        for document, sections in tree.items()
    ]
