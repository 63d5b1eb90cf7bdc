"""The bundled notebooks: committed clean, public API only, and they run top to bottom."""

from __future__ import annotations

import ast
import html
import json
import re
import shlex
import subprocess
from pathlib import Path

import nbformat
import polars as pl
import pytest
import yaml
from conftest import NOTEBOOKS, ROOT, VEGA, ReportRuns, outputs
from nbclient import NotebookClient

import plannr_nb
from plannr_nb._demo import DEMO_SNAPSHOT, DEMO_STORY_UUID, load_demo_executions
from plannr_nb._history import generate_history


def test_there_are_the_four_bundled_notebooks() -> None:
    """Troubleshoot one, compare many, a report notebook, and the fleet's health."""
    assert [p.stem for p in NOTEBOOKS] == [
        "01_troubleshoot_execution",
        "02_compare_executions",
        "03_report",
        "04_fleet_health",
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


def _shown(book: nbformat.NotebookNode, mime: str) -> list[str]:
    texts = []
    for out in outputs(book):
        data = out.get("data", {})
        if isinstance(data, dict) and mime in data:
            value = data[mime]
            texts.append("".join(value) if isinstance(value, list) else str(value))
    return texts


def _table(book: nbformat.NotebookNode, caption: str) -> list[list[str]]:
    """The rows (cell texts) of the HTML table with this caption."""
    (found,) = [t for t in _shown(book, "text/html") if f"<caption>{caption}" in t]
    body = found.split("<tbody>", 1)[1]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell))
            for cell in re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


@pytest.mark.slow
def test_fleet_notebook_finds_exactly_what_was_planted(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """Notebook 04 on the demo: the planted regression, stalls and error templates, exactly.

    The demo serves today's demo executions beside the history, so what the notebook shows is
    the history's planted facts plus the demo's own contribution, counted here independently.
    """
    target = tmp_path / "store"
    book = nbformat.read(ROOT / "notebooks" / "04_fleet_health.ipynb", as_version=4)
    (parameters,) = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    at = book.cells.index(parameters) + 1
    book.cells.insert(at, nbformat.v4.new_code_cell(f"store = {str(target)!r}"))
    NotebookClient(
        book, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert not [o for o in outputs(book) if o.get("output_type") == "error"]

    # The kernel's demo anchor, read back from the store: the story moved from the snapshot.
    stored = pl.read_parquet(
        list((target / "executions").glob("*/*.parquet")), hive_partitioning=False
    )
    story = stored.filter(pl.col("execution_uuid") == plannr_nb.DEMO_STORY_UUID)
    on_file = plannr_nb.executions_frame(
        [e for e in load_demo_executions(now=DEMO_SNAPSHOT) if e["uuid"] == DEMO_STORY_UUID]
    )
    anchor = DEMO_SNAPSHOT + (story["created_at"][0] - on_file["created_at"][0])
    facts = generate_history(anchor).facts
    demo = load_demo_executions(now=anchor)
    demo_steps = plannr_nb.steps_frame(demo)
    assert stored.height == len(demo) + len(generate_history(anchor).executions)

    # The regression: one change, the planted step and day, the planted counts plus the demo's.
    blueprint, position, step = facts.regression_step
    sentences = [t for t in _shown(book, "text/markdown") if "started failing on" in t]
    assert len(sentences) == 1
    ran = demo_steps.filter(
        (pl.col("execution_name") == blueprint)
        & (pl.col("position") == position)
        & (pl.col("executed_at").is_not_null() | pl.col("failed"))
    )
    since = ran.filter(pl.col("executed_at") >= facts.regression_at)
    before = ran.filter(pl.col("executed_at") < facts.regression_at)
    runs_since = facts.regression_since[0] + since.height
    failed_since = facts.regression_since[1] + since["failed"].sum()
    runs_before = facts.regression_before[0] + before.height
    failed_before = facts.regression_before[1] + before["failed"].sum()
    expected = (
        f"**{step}** ({blueprint}, step {position + 1}) started failing on "
        f"**{facts.regression_at:%d %b %Y}**: {failed_since} of {runs_since} runs since, "
        f"{failed_before} of {runs_before} before."
    )
    assert expected in sentences[0].replace("\\", "")

    # The stalled runs: the history adds exactly its planted stalls (the demo's own unfinished
    # runs are overdue by the history's measure too), each with the command for notebook 01.
    rows = _table(book, "Stalled runs")
    commands = [row[-1] for row in rows]
    assert all(c.startswith("plannr-nb report 01 --uuid ") for c in commands)
    found = {c.rsplit(" ", 1)[1] for c in commands}
    planted = {stall.execution_uuid for stall in facts.stalled}
    assert found - {e["uuid"] for e in demo} == planted
    for stall in facts.stalled:
        (row,) = [r for r in rows if r[-1].endswith(stall.execution_uuid)]
        assert row[0] == stall.blueprint
        assert (int(row[2]), row[3]) == (stall.position + 1, stall.step)

    # The error templates: each planted one, with the planted count plus the demo's own.
    clusters = {row[0]: int(row[1]) for row in _table(book, "Errors by template")}
    demo_clusters = dict(
        plannr_nb.error_clusters(demo_steps).select("template", "errors").iter_rows()
    )
    for template, count in facts.templates.items():
        assert clusters[template] == count + demo_clusters.get(template, 0), template
