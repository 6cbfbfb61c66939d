"""Writing ``bench/RESULTS.md``: only the blocks ``bench/run.py`` generates.

``RESULTS.md`` mixes tables ``bench/run.py`` measures with sections measured by
hand (their commands, machine and load written beside them). Each generated
block sits between a pair of HTML comments, invisible in rendered Markdown::

    <!-- bench/run.py: throughput -->
    ## 2. Throughput ...
    <!-- /bench/run.py: throughput -->

``update`` replaces the text between the markers of each block it is given and
leaves every other line of the file as it was; a block the file has no markers
for yet is added at the end, with its markers. Text edited by hand inside a
block is replaced at its next generation; notes meant to stay go outside.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_MARKER = re.compile(r"^<!-- (/?)bench/run\.py: ([a-z0-9_-]+) -->$")


def begin(name: str) -> str:
    """The line that opens block ``name``."""
    return f"<!-- bench/run.py: {name} -->"


def end(name: str) -> str:
    """The line that closes block ``name``."""
    return f"<!-- /bench/run.py: {name} -->"


def _spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Block name -> (index of its opening line, index of its closing line).

    Raises:
        ValueError: a marker without its pair, a block opened twice, or blocks
            nested or crossed; the file is then not written.
    """
    spans: dict[str, tuple[int, int]] = {}
    open_name, open_at = None, -1
    for i, line in enumerate(lines):
        m = _MARKER.match(line.strip())
        if not m:
            continue
        closing, name = m.group(1) == "/", m.group(2)
        if not closing:
            if open_name is not None:
                raise ValueError(
                    f"line {i + 1}: block {name!r} opens inside block {open_name!r}"
                )
            if name in spans:
                raise ValueError(f"line {i + 1}: block {name!r} appears twice")
            open_name, open_at = name, i
        else:
            if name != open_name:
                raise ValueError(f"line {i + 1}: block {name!r} closes but is not open")
            spans[name] = (open_at, i)
            open_name = None
    if open_name is not None:
        raise ValueError(f"line {open_at + 1}: block {open_name!r} is never closed")
    return spans


def update(text: str, blocks: Mapping[str, str]) -> str:
    """``text`` with the body of each block in ``blocks`` (name -> new body)
    replaced; every line outside those blocks is kept as it was.

    Examples:
        >>> old = "# R\\n<!-- bench/run.py: a -->\\nold\\n"
        >>> old += "<!-- /bench/run.py: a -->\\nmine\\n"
        >>> print(update(old, {"a": "new"}), end="")
        # R
        <!-- bench/run.py: a -->
        new
        <!-- /bench/run.py: a -->
        mine
    """
    lines = text.splitlines()
    spans = _spans(lines)
    # Replace from the last block up, so earlier indices stay valid.
    for name, (first, last) in sorted(spans.items(), key=lambda kv: -kv[1][0]):
        if name in blocks:
            lines[first + 1 : last] = blocks[name].rstrip("\n").splitlines()
    for name, body in blocks.items():
        if name not in spans:
            if lines and lines[-1].strip():
                lines.append("")
            lines += [begin(name), *body.rstrip("\n").splitlines(), end(name)]
    return "\n".join(lines) + "\n"
