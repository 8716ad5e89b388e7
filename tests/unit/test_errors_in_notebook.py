"""A LabError raised in a real Jupyter kernel shows ERROR/state/Hint, not a traceback,
and KUBELAB_VERBOSE=1 brings the traceback back (the notebook twin of ``labctl -v``)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers import config

CELL = "from helpers import kube\nkube.pods('default', context='no-such-context')"


def _error_output(monkeypatch, verbose: str) -> str:
    monkeypatch.setenv("KUBELAB_VERBOSE", verbose)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    client = NotebookClient(nb, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(config.REPO_ROOT)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    (out,) = nb.cells[0].outputs
    assert out.output_type == "error" and out.ename == "ClusterError"
    return "\n".join(out.traceback)


def test_lab_error_renders_as_error_and_hint_in_a_kernel(monkeypatch):
    text = _error_output(monkeypatch, "")
    assert "ERROR: no kubeconfig context 'no-such-context'" in text
    assert "Hint: create the lab cluster: `labctl up`" in text
    assert "kube.py" not in text  # no traceback frames


def test_verbose_shows_the_traceback_in_a_kernel(monkeypatch):
    text = _error_output(monkeypatch, "1")
    assert "kube.py" in text and "ClusterError" in text
