"""The notebooks in docs/notebooks: committed without outputs, and executed end to end."""

import glob
import os

import nbformat
import pytest

SOURCE = os.environ.get("RMQSIM_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
NOTEBOOKS = sorted(glob.glob(os.path.join(SOURCE, "docs", "notebooks", "*.ipynb")))


def test_the_four_notebooks_are_there():
    names = {os.path.basename(n) for n in NOTEBOOKS}
    assert {"quickstart.ipynb", "failover_research.ipynb", "reproduce_ci_failure.ipynb",
            "proxy_failover.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{os.path.basename(path)}: strip the outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_executes(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    # The kernel runs in a directory of its own: it must find rmqsim by absolute paths.
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(os.path.abspath(e) for e in entries if e))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
