"""The public API: what ``checks`` exports, documented and doctested, and the
only part of the package that bench/ and the notebooks use.

Public: the names of ``checks.__all__`` and the modules ``checks.domain``,
``checks.claim`` (``checks/_src/declare/claims.py``), ``checks.sampling`` and
``checks.timing`` (README, "Layout"). Every other module is internal.
"""

import ast
import doctest
import inspect
import json
import textwrap
from pathlib import Path

import pytest

import checks
from checks import claim as claims
from checks import domain, sampling, timing

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_MODULES = {
    "checks": checks,
    "checks.domain": domain,
    "checks.claim": claims,
    "checks.sampling": sampling,
    "checks.timing": timing,
}
# Reproduces a jaxlib deadlock by switching off the checker's own workaround
# (checks._src.evaluate.lapack), which no public function offers.
REACHES_INSIDE = {"repro_lapack_deadlock.py"}


def _public_objects() -> dict[str, object]:
    """Every public function and class, by qualified name."""
    found: dict[str, object] = {}
    for name in checks.__all__:
        obj = getattr(checks, name)
        if inspect.ismodule(obj):
            for inner in obj.__all__:
                value = getattr(obj, inner)
                if callable(value):
                    found[f"checks.{name}.{inner}"] = value
        else:
            found[f"checks.{name}"] = obj
    return found


PUBLIC = _public_objects()


def _methods(cls: type) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }


def _doctests() -> list[doctest.DocTest]:
    """The doctests of every public object (methods included), each run in a
    namespace of its own: a declaration made in one registers nowhere."""
    finder = doctest.DocTestFinder()
    tests: dict[tuple[str, object], doctest.DocTest] = {}
    sources = [(m.__name__, m) for m in PUBLIC_MODULES.values()]
    sources += list(PUBLIC.items())
    for name, obj in sources:
        module = inspect.getmodule(obj)
        globs = {"__name__": "doctests"}
        for test in finder.find(obj, name, module=module, globs=globs):
            if test.examples:
                # One docstring found twice (from its module and by name) runs once.
                tests.setdefault((test.filename, test.docstring), test)
    return sorted(tests.values(), key=lambda t: (t.filename, t.lineno or 0, t.name))


DOCTESTS = _doctests()


@pytest.mark.parametrize("test", DOCTESTS, ids=[t.name for t in DOCTESTS])
def test_doctest(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    output: list[str] = []
    runner.run(test, out=output.append)
    assert runner.failures == 0, "".join(output)


def test_all_names_exist_and_are_sorted():
    assert sorted(checks.__all__) == checks.__all__
    for name in checks.__all__:
        assert hasattr(checks, name), name


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_object_is_documented_with_an_example(name):
    obj = PUBLIC[name]
    doc = inspect.getdoc(obj) or ""
    assert "Examples:" in doc, f"{name}: no Examples: section"
    assert any(t.name.endswith(name.split(".")[-1]) for t in DOCTESTS), name
    if inspect.isclass(obj):
        for method, fn in _methods(obj).items():
            text = inspect.getdoc(fn) or ""
            assert "Examples:" in text, f"{name}.{method}: no Examples: section"
        for attr, value in vars(obj).items():
            if isinstance(value, property) and not attr.startswith("_"):
                assert value.__doc__, f"{name}.{attr}: no docstring"
        return
    if inspect.isfunction(obj):
        params = [p for p in inspect.signature(obj).parameters if p != "self"]
        if params:
            assert "Args:" in doc, f"{name}: no Args: section"
        if inspect.signature(obj).return_annotation not in ("None", None):
            assert "Returns:" in doc, f"{name}: no Returns: section"


def _code_in(text: str) -> list[ast.Module]:
    """The module ``text`` parses to, and each string constant in it that is
    Python code too (a script run in a child process)."""
    tree = ast.parse(text)
    found = [tree]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "import" in node.value:
                try:
                    found.append(ast.parse(textwrap.dedent(node.value)))
                except SyntaxError:  # prose, not code
                    pass
    return found


def _imports_of_checks(text: str) -> set[str]:
    """Every ``checks`` module a source (its code, and code in its strings)
    imports: ``checks.x`` for a module, ``checks:x`` for a name from ``checks``."""
    found = set()
    for tree in _code_in(text):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "checks":
                found.update(f"checks:{alias.name}" for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("checks."):
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("checks."))
    return found


def _not_public(imports: set[str]) -> set[str]:
    bad = set()
    for item in imports:
        if item.startswith("checks:"):
            name = item.split(":", 1)[1]
            if name not in checks.__all__ and f"checks.{name}" not in PUBLIC_MODULES:
                bad.add(item)
        elif item not in PUBLIC_MODULES:
            bad.add(item)
    return bad


def _bench_files() -> list[Path]:
    return sorted(
        p for p in (ROOT / "bench").glob("*.py") if p.name not in REACHES_INSIDE
    )


@pytest.mark.parametrize("path", _bench_files(), ids=lambda p: p.name)
def test_bench_uses_only_the_public_api(path):
    text = path.read_text(encoding="utf-8")
    assert not _not_public(_imports_of_checks(text))


@pytest.mark.parametrize(
    "path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name
)
def test_notebook_uses_only_the_public_api(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join(
        line
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.lstrip().startswith(("%", "!"))  # IPython magics
    )
    assert not _not_public(_imports_of_checks(code))


def test_the_import_rule_sees_an_internal_import():
    text = "from checks.case import _program\nfrom checks import case, verify\n"
    assert _not_public(_imports_of_checks(text)) == {"checks.case", "checks:case"}
    assert not _not_public(_imports_of_checks("from checks import domain, verify\n"))
