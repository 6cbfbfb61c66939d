"""Whether two ``--format json`` reports give the same verdicts, entry by entry.

Every field of every entry (status, cases, worst errors, counterexamples,
diagnoses, reproductions, output) must be equal, but ``seconds`` and ``reused``
(what a run cost and whether a stored result was read), at any depth. Used to
show that a change of speed changes no verdict:

    python bench/same_verdicts.py before.json after.json

prints one line per differing entry and exits 1 if there is any, else prints
how many entries agree and exits 0.
"""

from __future__ import annotations

import json
import sys
from typing import Any

IGNORED = frozenset({"seconds", "reused"})


def stripped(value: Any) -> Any:
    """``value`` without the ``IGNORED`` keys, at any depth."""
    if isinstance(value, dict):
        return {k: stripped(v) for k, v in value.items() if k not in IGNORED}
    if isinstance(value, list):
        return [stripped(v) for v in value]
    return value


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """A line per entry that differs (or is only in one report)."""
    old = {r["name"]: stripped(r) for r in before["results"]}
    new = {r["name"]: stripped(r) for r in after["results"]}
    lines = [f"{n}: only in the first report" for n in old if n not in new]
    lines += [f"{n}: only in the second report" for n in new if n not in old]
    for name in old.keys() & new.keys():
        if old[name] != new[name]:
            keys = sorted(
                k
                for k in old[name].keys() | new[name].keys()
                if old[name].get(k) != new[name].get(k)
            )
            lines.append(f"{name}: differs in {', '.join(keys)}")
    if list(old) != list(new):
        lines.append("the entries are in a different order")
    return sorted(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: same_verdicts.py BEFORE.json AFTER.json", file=sys.stderr)
        return 2
    reports = []
    for path in argv:
        with open(path, encoding="utf-8") as f:
            reports.append(json.load(f))
    lines = differences(*reports)
    for line in lines:
        print(line)
    if not lines:
        print(f"{len(reports[0]['results'])} entries, the same verdicts")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
