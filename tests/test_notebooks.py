"""The bundled notebooks: committed clean, public API only, and they run top to bottom."""

from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import NOTEBOOKS, ROOT, VEGA, ReportRuns, outputs

import plannr_nb


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


def test_the_pre_commit_strip_hook_leaves_the_committed_notebooks_as_they_are(
    tmp_path: Path,
) -> None:
    """The nbstripout hook of .pre-commit-config.yaml strips an executed copy back to the
    committed bytes: what it leaves is what the test above accepts."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "nbstripout"]
    assert re.fullmatch(hook["files"], "notebooks/01_troubleshoot_execution.ipynb")
    command = shlex.split(hook["entry"])
    command[0] = str(ROOT / command[0])
    for path in NOTEBOOKS:
        dirty = nbformat.read(path, as_version=4)
        for cell in dirty.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", text="out")]
                cell.execution_count = 7
        dirty.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
        copy = tmp_path / path.name
        nbformat.write(dirty, copy)
        subprocess.run([*command, str(copy)], check=True)
        assert copy.read_bytes() == path.read_bytes(), path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_on_the_demo_data(path: Path, demo_reports: ReportRuns) -> None:
    """From a clean copy, no token: every cell runs, charts carry a v5 spec and a PNG."""
    run = demo_reports[path.stem[:2]]
    assert run.result.returncode == 0, run.result.stderr
    book = run.notebook
    nbformat.validate(book)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)  # every cell ran, in a real kernel
    ours = [c.source for c in code if "injected-parameters" not in c.metadata.get("tags", [])]
    assert ours == [c.source for c in nbformat.read(path, 4).cells if c.cell_type == "code"]
    found = outputs(book)
    assert not [o for o in found if o.get("output_type") == "error"]
    charts = [o for o in found if VEGA in o.get("data", {})]
    assert charts, "every notebook shows at least one chart"
    for chart in charts:
        data = chart["data"]
        assert isinstance(data, dict)
        assert "image/png" in data
        assert "text/html" not in data
    text = json.dumps(found)
    assert "bundled synthetic demo data" in text
    assert "Traceback" not in text
