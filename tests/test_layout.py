"""The layout README's "Layout" section describes: ``checks/`` holds the public
API only, the implementation is in ``checks/_src/``, one package per stage of a
run, and no module is much over 500 lines."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import checks

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_FILES = {
    "__init__",
    "__main__",
    "claim",
    "cli",
    "domain",
    "pytest_plugin",
    "sampling",
    "timing",
}
STAGES = ("declare", "evaluate", "judge", "search", "store", "report", "run")
# README: "No module is over about 500 lines".
MOST_LINES = 520


def test_checks_holds_the_public_files_and_the_private_package_only():
    top = {p.stem for p in (ROOT / "checks").glob("*.py")}
    assert top == PUBLIC_FILES
    folders = {p.name for p in (ROOT / "checks").iterdir() if p.is_dir()}
    assert folders - {"__pycache__"} == {"_src"}


def test_the_implementation_is_one_package_per_stage():
    src = ROOT / "checks" / "_src"
    assert {p.stem for p in src.glob("*.py")} == {"__init__"}
    stages = {p.name for p in src.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert stages == set(STAGES)
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((src / stage / "__init__.py").read_text()))
        assert doc, f"checks/_src/{stage}/__init__.py says what the stage does"


@pytest.mark.parametrize("name", sorted(PUBLIC_FILES - {"__init__", "__main__"}))
def test_a_public_module_names_what_is_public_and_nothing_else(name):
    module = importlib.import_module(f"checks.{name}")
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and not isinstance(v, type(checks))
    }
    assert public == set(module.__all__)
    for n in module.__all__:
        value = getattr(module, n)
        if callable(value):
            assert value.__module__.startswith("checks"), n


def test_every_module_of_the_implementation_imports():
    names = [
        m.name for m in pkgutil.walk_packages(checks._src.__path__, "checks._src.")
    ]
    assert len(names) > 60
    for name in names:
        importlib.import_module(name)


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "checks").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_module_is_much_over_five_hundred_lines(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MOST_LINES, f"{path.name}: {lines} lines"


def test_the_tolerance_is_computed_in_the_judge_alone():
    """``SAFETY`` (the tolerance's factor) is read in ``checks/_src/judge/``
    only: every other module asks ``compare`` for a tolerance."""
    readers = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "checks").rglob("*.py")
        if any(
            isinstance(node, ast.Name | ast.Attribute)
            and (getattr(node, "id", None) or getattr(node, "attr", None)) == "SAFETY"
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    )
    assert readers and all(r.startswith("checks/_src/judge/") for r in readers)


@pytest.mark.parametrize(
    ("public", "private"),
    [
        ("checks.domain", "checks._src.declare.domain"),
        ("checks.claim", "checks._src.declare.claims"),
        ("checks.sampling", "checks._src.declare.sampling"),
        ("checks.timing", "checks._src.run.timing"),
    ],
)
def test_a_public_module_names_all_its_implementation_exports(public, private):
    """A name added to an implementation's ``__all__`` is public only once the
    public module names it too (CONTRIBUTING, "Where to change what")."""
    shown = importlib.import_module(public)
    made = importlib.import_module(private)
    assert shown.__all__ == made.__all__
    assert all(getattr(shown, n) is getattr(made, n) for n in made.__all__)


def test_import_checks_makes_every_public_module_an_attribute():
    import subprocess
    import sys

    code = "import checks; checks.domain, checks.claim, checks.sampling, checks.timing"

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
