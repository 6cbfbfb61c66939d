"""pytest collects derivations: each ``@derivation`` and claim is a test item.

Active once the package is installed (the ``pytest11`` entry point), or with
``pytest -p checks.pytest_plugin``. Collected:

- files whose name matches ``derivation_files`` (an ini option; default
  ``derivations_*.py *_derivations.py``), wherever pytest walks;
- the modules named by ``modules = [...]`` under ``[tool.derivation-checker]``
  in ``pyproject.toml``, or by the ``derivation_modules`` ini option, when no
  path is given on the command line;
- each ``--derivations PATH`` (a ``.py`` file, a folder of them, or an
  importable module or package), repeatable; given without other paths, only
  those. A folder's or a package's ``__init__.py`` is not collected: what it
  gathers is collected from the modules that declare it.

A configured module is collected as such also when named on the command line
(``pytest path/to/module.py::entry``).

An item's outcome is its entry's: a right derivation passes, a wrong one fails
with the command line's report of that entry (worst input, both values,
reproduction), an error is a failure saying so, and ``expect="fail"`` is a
strict xfail (an unexpected pass fails the run). ``--derivation-samples``,
``--derivation-seed``, ``--derivation-dtype`` and ``--derivation-device`` are
the command line's ``--samples``, ``--seed``, ``--dtype`` and ``--device``.
``--derivation-seeds N`` checks each entry at N seeds from ``--derivation-seed``
on: it meets its expectation only if it does at every one (the first that does
not is reported, with its seed). ``--derivation-xfail-evidence``: an expected
failure is an xfail only when it fails with its evidence
(``checks._src.judge.evidence``: a counterexample in every failing case; for a
derivation, its simplest failing input and a reproduction script), else a
failure saying what it lacks.
``checks`` (and JAX) is imported only when a derivation is collected.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import tomllib
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "DerivationFailed",
    "DerivationFile",
    "DerivationItem",
    "DerivationWithoutEvidence",
]

DEFAULT_PATTERNS = ("derivations_*.py", "*_derivations.py")
_PATHS = pytest.StashKey[set[Path]]()
_OPTIONS = pytest.StashKey[dict[str, Any]]()


class DerivationFailed(Exception):
    """An entry that did not pass: its report is the message."""


class DerivationErrored(Exception):
    """An entry whose check could not run to a verdict: its report is the message."""


class DerivationWithoutEvidence(Exception):
    """An expected failure that failed without showing where (no counterexample,
    simplest input or reproduction): what it lacks, then its report."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The command-line options and ini options of the module docstring."""
    group = parser.getgroup("derivation-checker", "checking derivations")
    group.addoption(
        "--derivations",
        action="append",
        default=[],
        metavar="PATH",
        help="collect the derivations of PATH (a .py file, a folder, or an "
        "importable module); repeatable",
    )
    group.addoption(
        "--derivation-samples",
        type=int,
        default=1000,
        metavar="N",
        help="points per case (default 1000)",
    )
    group.addoption(
        "--derivation-seed", type=int, default=0, metavar="N", help="sampling seed"
    )
    group.addoption(
        "--derivation-seeds",
        type=int,
        default=1,
        metavar="N",
        help="check each entry at N seeds, --derivation-seed on (default 1)",
    )
    group.addoption(
        "--derivation-xfail-evidence",
        action="store_true",
        help="an expected failure is an xfail only with a counterexample in every "
        "failing case (and, for a derivation, its simplest failing input and a "
        "reproduction script)",
    )
    group.addoption(
        "--derivation-dtype",
        default="float64,float32",
        metavar="LIST",
        help="comma-separated dtypes (default float64,float32)",
    )
    group.addoption(
        "--derivation-device",
        default="cpu",
        choices=("cpu", "gpu", "all"),
        help="where to check (default cpu)",
    )
    parser.addini(
        "derivation_files",
        type="args",
        default=list(DEFAULT_PATTERNS),
        help="file name patterns of modules to collect derivations from",
    )
    parser.addini(
        "derivation_modules",
        type="linelist",
        default=[],
        help="importable modules to collect derivations from",
    )


def _configured_modules(config: pytest.Config) -> list[str]:
    """``modules`` of ``[tool.derivation-checker]`` in the root's pyproject.toml,
    then the ``derivation_modules`` ini option."""
    modules: list[str] = []
    pyproject = Path(config.rootpath) / "pyproject.toml"
    if pyproject.is_file():
        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise pytest.UsageError(f"{pyproject}: {exc}") from None
        section = table.get("tool", {}).get("derivation-checker", {})
        listed = section.get("modules", [])
        if not isinstance(listed, list) or not all(isinstance(m, str) for m in listed):
            raise pytest.UsageError(
                f"{pyproject}: [tool.derivation-checker] modules must be a list "
                "of module names"
            )
        modules += listed
    return modules + list(config.getini("derivation_modules"))


def _files_of(target: str) -> list[Path]:
    """The .py files a target names: itself, a folder's, or a module's; a
    package's are its modules' (``_modules_in``)."""
    path = Path(target)
    if path.is_file():
        return [path.resolve()]
    if path.is_dir():
        return _modules_in([path])
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return _modules_in([Path(p) for p in spec.submodule_search_locations])
    origin = getattr(spec, "origin", None)
    if not origin or not origin.endswith(".py"):
        raise pytest.UsageError(
            f"derivations {target}: no such file, folder or importable module"
        )
    return [Path(origin).resolve()]


def _modules_in(folders: list[Path]) -> list[Path]:
    """The .py files directly in ``folders``, by name, but a package's
    ``__init__.py``: what it gathers (a ``CATALOG`` of its modules') is
    collected from the modules that declare it, once."""
    return sorted(
        p.resolve()
        for folder in folders
        for p in folder.glob("*.py")
        if p.is_file() and p.name != "__init__.py"
    )


def pytest_configure(config: pytest.Config) -> None:
    """The files to collect whatever their names, added to pytest's paths (in
    place of its default paths for ``--derivations`` alone), and the options
    every item checks with."""
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    asked = [f for t in config.getoption("derivations") for f in _files_of(t)]
    configured = [f for t in _configured_modules(config) for f in _files_of(t)]
    # A configured module is a derivations file wherever pytest meets it; it is
    # added to the paths only when none is given.
    config.stash[_PATHS] = set(asked + configured)
    if explicit or asked:
        configured = []
    if asked and not explicit:
        config.args = [str(f) for f in asked]  # only what was asked for
    else:
        config.args = [*config.args, *(str(f) for f in asked + configured)]
    dtypes = config.getoption("derivation_dtype").split(",")
    config.stash[_OPTIONS] = {
        "samples": config.getoption("derivation_samples"),
        "seed": config.getoption("derivation_seed"),
        "seeds": config.getoption("derivation_seeds"),
        "xfail_evidence": config.getoption("derivation_xfail_evidence"),
        "dtypes": list(dict.fromkeys(t.strip() for t in dtypes if t.strip())),
        "device": config.getoption("derivation_device"),
    }


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Wrong options are a one-line usage error before any derivation is
    checked (read by the checker's own rules, once something was collected)."""
    if not any(isinstance(item, DerivationItem) for item in items):
        return
    from checks._src.run.options import OptionError, _check_options, resolve_devices

    options = config.stash[_OPTIONS]
    try:
        if options["seeds"] < 1:
            raise OptionError(f"--derivation-seeds takes N ≥ 1, got {options['seeds']}")
        last = options["seed"] + options["seeds"] - 1
        for seed in (options["seed"], last):
            _check_options(options["samples"], options["dtypes"], seed)
        resolve_devices(options["device"])
    except OptionError as exc:
        raise pytest.UsageError(f"derivation options: {exc}") from None


def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> DerivationFile | None:
    """A derivations file: named by the options, or matching the patterns."""
    if file_path.suffix != ".py":
        return None
    config = parent.config
    named = file_path.resolve() in config.stash.get(_PATHS, set())
    patterns = config.getini("derivation_files")
    if named or any(fnmatch.fnmatch(file_path.name, p) for p in patterns):
        return DerivationFile.from_parent(parent, path=file_path)
    return None


class DerivationFile(pytest.File):
    """A module of derivations: an item per entry, in declaration order."""

    def collect(self):
        from checks._src.run.load import LoadError, load_file

        try:
            entries = load_file(self.path)
        except LoadError as exc:
            raise self.CollectError(str(exc)) from None
        for entry in entries:
            item = DerivationItem.from_parent(self, name=entry.name, entry=entry)
            if entry.expect == "fail":
                item.add_marker(
                    pytest.mark.xfail(
                        reason=entry.why, strict=True, raises=DerivationFailed
                    )
                )
            yield item


class DerivationItem(pytest.Item):
    """One entry, checked with the run's options when the item runs."""

    def __init__(self, *, entry: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry = entry

    def runtest(self) -> None:
        """Check the entry at each seed; the first seed where it does not meet
        its expectation decides (an expected failure must fail at every one)."""
        options = dict(self.config.stash[_OPTIONS])
        first, seeds = options.pop("seed"), options.pop("seeds")
        evidence = options.pop("xfail_evidence")
        found = ""
        for seed in range(first, first + seeds):
            text = self._check(seed, seeds > 1, evidence, options)
            if text is None and self.entry.expect == "fail":
                return  # an unexpected pass: strict xfail fails the run
            found = found or text or ""
        if found:
            raise DerivationFailed(found)

    def _check(
        self, seed: int, say_seed: bool, evidence: bool, options: dict[str, Any]
    ) -> str | None:
        """One seed's check: None when it passed, its report when it failed as
        expected; raises when it did not meet its expectation otherwise."""
        from checks._src.judge.evidence import missing_evidence
        from checks._src.report.report import render_result
        from checks._src.run.verify import verify

        result = verify(self.entry, seed=seed, **options)
        text = render_result(result, verbose=self.config.get_verbosity() > 0)
        text = f"seed {seed}: {text}" if say_seed else text
        if result.outcome == "skipped":  # a package its code needs is missing
            reasons = [c.message for c in result.cases if c.message]
            pytest.skip(reasons[0] if reasons else "skipped")
        if result.outcome == "error":
            raise DerivationErrored(text)
        if result.outcome == "pass":
            return None
        if self.entry.expect != "fail":
            raise DerivationFailed(text)
        lacking = missing_evidence(result) if evidence else []
        if lacking:
            raise DerivationWithoutEvidence(
                f"expected to fail, and failed without {'; '.join(lacking)}\n{text}"
            )
        return text

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):
        ours = (DerivationFailed, DerivationErrored, DerivationWithoutEvidence)
        if excinfo.errisinstance(ours):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        from checks._src.declare.register import defined_at

        where = defined_at(self.entry)
        line = where[1] - 1 if where else None
        return self.path, line, f"{self.entry.kind} {self.entry.name}"
