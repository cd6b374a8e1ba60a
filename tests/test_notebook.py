"""The investigation notebook runs from top to bottom (nbclient) and shows its plots."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "investigate.ipynb"


def test_notebook_executes_with_plots_and_frames():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    started = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - started
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # the cascade and the cluster graph
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("account_id" in h and "tier" in h for h in html)  # the ranked table
    quality = next(h for h in html if "precision at 50" in h)
    assert "culprits in top 10" in quality
    assert elapsed < 60, f"the notebook took {elapsed:.0f} s"
