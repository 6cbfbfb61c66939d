"""The notebooks: each runs top to bottom without an error, and is saved run.

Running them needs the packages the notebooks use (nbclient, nbformat, ipykernel,
matplotlib, scikit-learn); without them those tests are skipped. Each notebook runs
in a fresh ``python3`` kernel of this interpreter, from the notebooks directory.
"""

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.name for p in PATHS]
CELL_TIMEOUT = 300  # seconds, per cell
MAX_SIZE = 256 * 1024  # bytes: outputs stay small (PNG plots at modest size)


def test_there_are_notebooks():
    assert PATHS, f"no notebooks in {NOTEBOOKS}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_is_saved_run_with_small_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    not_run = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not not_run, f"{path.name}: code cells {not_run} were saved without running"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name} was saved with an error: {errors[0]['ename']}"
    size = path.stat().st_size
    assert size < MAX_SIZE, f"{path.name} is {size} bytes (at most {MAX_SIZE})"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")

    # The kernel imports checks and derivations from this checkout, installed or not.
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
