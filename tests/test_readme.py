"""The README's Python blocks run, offline, on the demo data (as sqlite-utils tests its docs).

Each ```python block of README.md runs in order in one namespace, in a fresh interpreter with
a canary token in the environment (and PLANNR_NB_DEMO=1, so the demo data answers); nothing
the blocks print may carry the canary. The "Five lines" also run in a real kernel, where the
chart must come out as our offline bundle (Vega-Lite 5 + PNG), not altair's CDN HTML.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CANARY, ROOT, clean_environ

README = ROOT / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def _env(home: Path) -> dict[str, str]:
    return clean_environ(
        PLANNR_ACCESS_TOKEN=CANARY,
        PLANNR_NB_DEMO="1",
        HOME=str(home),
        PLANNR_BASE_URL="https://127.0.0.1:9",  # never reached: the demo answers
    )


def test_the_readme_has_python_blocks() -> None:
    """The test below has something to run: the Five lines at least."""
    assert any("pnb.gantt(" in block for block in BLOCKS)


#: Run in a fresh interpreter (``-c RUNNER BLOCKS.json DONE``): each block in turn in one
#: namespace, then the line ``DONE`` and its number on stdout.
_RUNNER = """
import json, sys
blocks = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for number, block in enumerate(blocks, 1):
    exec(compile(block, f"README.md python block {number}", "exec"), namespace)
    print(sys.argv[2], number, flush=True)
"""
DONE = "--- README block ran:"


@dataclass(frozen=True)
class ReadmeRun:
    """The README's blocks run once, in order; ``ran`` counts the blocks that ran through."""

    result: subprocess.CompletedProcess[str]
    folder: Path

    @property
    def ran(self) -> int:
        return sum(line.startswith(DONE) for line in self.result.stdout.splitlines())


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory: pytest.TempPathFactory) -> ReadmeRun:
    """Every block once, in one interpreter and namespace, offline (each test reads this run)."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "blocks.json").write_text(json.dumps(BLOCKS), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(folder / "blocks.json"), DONE],
        cwd=folder,
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return ReadmeRun(result, folder)


@pytest.mark.parametrize("number", range(1, len(BLOCKS) + 1), ids=lambda n: f"block{n}")
def test_readme_python_blocks_run(number: int, readme_run: ReadmeRun) -> None:
    """Block ``number`` runs after the blocks before it, in their namespace, offline, and
    nothing the blocks print or write carries the canary token."""
    result = readme_run.result
    assert readme_run.ran >= number, f"README block {number} failed:\n{result.stderr[-3000:]}"
    assert CANARY not in result.stdout + result.stderr
    for path in readme_run.folder.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_five_lines_in_a_fresh_kernel_draw_an_offline_chart(tmp_path: Path) -> None:
    """In a kernel that never enabled a renderer, the Five lines give Vega-Lite 5 + PNG."""
    import nbformat
    from nbclient import NotebookClient

    five = next(block for block in BLOCKS if "pnb.gantt(" in block)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(five)])
    env = _env(tmp_path)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(notebook, kernel_name="python3", timeout=240).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    outputs = notebook.cells[0].outputs
    charts = [o for o in outputs if "application/vnd.vegalite.v5+json" in o.get("data", {})]
    assert len(charts) == 1, [o.get("data", {}).keys() for o in outputs]
    bundle = charts[0]["data"]
    assert bundle["image/png"]
    assert "text/html" not in bundle
    text = nbformat.writes(notebook)
    assert "cdn.jsdelivr" not in text
    assert CANARY not in text
