"""The bundled notebooks: committed clean, public API only, and they run top to bottom."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import plannr_nb

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
VEGA = "application/vnd.vegalite.v5+json"


def test_there_are_the_three_bundled_notebooks() -> None:
    """Troubleshoot one, compare many, and a report notebook."""
    assert [p.stem for p in NOTEBOOKS] == [
        "01_troubleshoot_execution",
        "02_compare_executions",
        "03_report",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_clean_with_one_parameters_cell(path: Path) -> None:
    """No outputs, no execution counts, no widget state; one papermill parameters cell."""
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    assert "widgets" not in book.metadata
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert book.cells.index(tagged[0]) <= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_use_only_the_public_api(path: Path) -> None:
    """Notebooks import plannr_nb as pnb and use only names in plannr_nb.__all__."""
    book = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith("plannr_nb"), node.module
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name == "plannr_nb" or not alias.name.startswith("plannr_nb")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "pnb"
        ):
            assert node.attr in plannr_nb.__all__, node.attr


def _outputs(book: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [out for cell in book.cells if cell.cell_type == "code" for out in cell.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_on_the_demo_data(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a clean copy, no token: every cell runs, charts carry a v5 spec and a PNG."""
    for name in ("PLANNR_ACCESS_TOKEN", "ACCESS_TOKEN", "PLANNR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    book = nbformat.read(copy, as_version=4)
    NotebookClient(
        book,
        kernel_name="python3",
        timeout=300,
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    nbformat.validate(book)
    outputs = _outputs(book)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    charts = [o for o in outputs if VEGA in o.get("data", {})]
    assert charts, "every notebook shows at least one chart"
    for chart in charts:
        data = chart["data"]
        assert isinstance(data, dict)
        assert "image/png" in data
        assert "text/html" not in data
    text = json.dumps(outputs)
    assert "bundled synthetic demo data" in text
    assert "Traceback" not in text
