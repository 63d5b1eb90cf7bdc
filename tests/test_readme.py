"""The README's Python blocks run, offline, on the demo data (as sqlite-utils tests its docs).

Each ```python block of README.md runs in order in one namespace, in a fresh interpreter with
a canary token in the environment (and PLANNR_NB_DEMO=1, so the demo data answers); nothing
the blocks print may carry the canary. The "Five lines" also run in a real kernel, where the
chart must come out as our offline bundle (Vega-Lite 5 + PNG), not altair's CDN HTML.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


@pytest.mark.parametrize("upto", range(1, len(BLOCKS) + 1), ids=lambda n: f"block{n}")
def test_readme_python_blocks_run(upto: int, tmp_path: Path) -> None:
    """Blocks 1..upto run in one namespace, offline, and never print the canary token."""
    source = "\n\n".join(BLOCKS[:upto])
    script = tmp_path / "readme_blocks.py"
    script.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, f"README block {upto} failed:\n{result.stderr[-3000:]}"
    assert CANARY not in result.stdout + result.stderr
    for path in tmp_path.rglob("*"):
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
