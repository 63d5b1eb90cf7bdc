"""JupyterLab in a real Chromium: the bundled notebooks run and draw, and the explorer works.

One JupyterLab (loopback, no token, its own temporary Jupyter dirs, over a fresh copy of
``notebooks/``) and one headless Chromium serve the whole module. A failing test leaves a
screenshot in ``artifacts/browser/``; ``PLANNR_NB_SCREENSHOTS=1`` keeps one of every test.

Run just this file: ``.venv/bin/python -m pytest tests/test_browser.py -v``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _jupyter_server import Lab, jupyter_lab
from conftest import CANARY, NOTEBOOKS, ROOT
from hostile import Beacon, corpus, hostile_executions

import plannr_nb
from plannr_nb._config import BASE_URL_ENV_VAR, TOKEN_ENV_VARS
from plannr_nb.testing import SimServer

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Dialog,
        Locator,
        Page,
        ViewportSize,
    )

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "artifacts" / "browser"
#: Set to 1 for a picture of every browser test, not only of those that fail (11 s more).
SCREENSHOTS_ENV = "PLANNR_NB_SCREENSHOTS"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-proxy-server",
]
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}
# Lab's Vega-Lite 5 renderer (application/vnd.vegalite.v5+json); it sets no data-mime-type.
VEGA = ".jp-OutputArea-output.jp-RenderedVegaLite"
STDERR = "application/vnd.jupyter.stderr"  # JupyterLab 4 renders errors under this one too
KERNEL_READY_S = 60.0
RUN_ALL_S = 120.0
CHART_S = 20.0
WIDGET_S = 30.0
HOVER_S = 20.0


def _chromium() -> str:
    return os.environ.get("PLANNR_NB_CHROMIUM") or "/usr/bin/chromium"


def _wait_until(what: str, check: Callable[[], Any], timeout: float, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; fail saying ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {what}")
        time.sleep(every)


# fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def artifacts(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The screenshot folder, emptied of the last run's pictures; named in the output at the end."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    yield ARTIFACTS
    shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    line = f"browser test screenshots in {ARTIFACTS}: {', '.join(shots) or 'none'}"
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


@dataclass(frozen=True)
class HostileAPI:
    """A loopback API serving hostile executions to the canary token; ``beacon`` logs any
    request their remote URLs make; ``target`` is the one ``hostile.ipynb`` reads."""

    beacon: Beacon
    server: SimServer
    target: str
    other: str


@pytest.fixture(scope="module")
def hostile_api() -> Iterator[HostileAPI]:
    with Beacon() as beacon:
        payloads = hostile_executions(beacon.url)
        with SimServer(payloads, token=CANARY) as server:
            yield HostileAPI(beacon, server, payloads[0]["uuid"], payloads[1]["uuid"])


#: The kernel of ``hostile.ipynb``: Python 3 with the hostile API's address and the canary token
#: in its environment, so that the module's one JupyterLab serves it beside the bundled notebooks
#: (a second Lab would cost a second server and a second load of Lab in Chromium).
HOSTILE_KERNEL = "plannr-hostile-api"


def _hostile_notebook(root: Path, home: Path, api: HostileAPI) -> None:
    """Notebook 01 as ``hostile.ipynb``, its parameters set as papermill would, on a kernel
    of its own whose environment points at ``api``."""
    book = json.loads((ROOT / "notebooks" / "01_troubleshoot_execution.ipynb").read_text())
    for cell in book["cells"]:
        if "parameters" in cell["metadata"].get("tags", []):
            cell["source"] = [f"execution_uuid = {api.target!r}\n", "include_account = True\n",
                              'tz = "Europe/London"\n', "redact = False\n"]  # fmt: skip
    display = "Python 3 (hostile API)"
    book["metadata"]["kernelspec"] = {"name": HOSTILE_KERNEL, "display_name": display}
    (root / "hostile.ipynb").write_text(json.dumps(book), encoding="utf-8")
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display,
        "language": "python",
        "env": {TOKEN_ENV_VARS[0]: CANARY, BASE_URL_ENV_VAR: api.server.url},
    }
    folder = home / "data" / "kernels" / HOSTILE_KERNEL  # JUPYTER_DATA_DIR, see jupyter_lab
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, hostile_api: HostileAPI) -> Iterator[Lab]:
    """A JupyterLab over a fresh copy of the bundled notebooks and ``hostile.ipynb``, stopped
    at the end."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    root.mkdir()
    for path in NOTEBOOKS:
        shutil.copyfile(path, root / path.name)
    _hostile_notebook(root, base / "home", hostile_api)
    with jupyter_lab(root, base / "home") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium (the system's, never a downloaded one) for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab_context(browser: Browser) -> Iterator[BrowserContext]:
    """One browser context for the module's JupyterLab tabs: Lab's scripts are fetched and
    compiled once (its HTTP and code caches), not once a test."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield context
    finally:
        context.close()


def _new_tab(context: BrowserContext) -> Page:
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    return tab


@pytest.fixture(scope="module")
def lab_tab(lab_context: BrowserContext) -> Iterator[Page]:
    """One tab for the tests on the module's JupyterLab: Lab loads once, not once a test (about
    2.5 core-seconds a load)."""
    tab = _new_tab(lab_context)
    try:
        yield tab
    finally:
        tab.close()


@pytest.fixture
def page(lab_tab: Page) -> Page:
    """The module's Lab tab, for a test on its Lab: ``open_notebook`` closes what the test
    before left open (a test removes any listener it adds)."""
    return lab_tab


# JupyterLab steps -----------------------------------------------------------------------------


# Close every document in Lab's main area, shutting its kernel down: no "save?" dialog (autosave
# is off, and no test keeps its changes).
_CLOSE_ALL = """async () => {
  for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
    const context = widget.context;
    if (context) {
      context.model.dirty = false;
      await context.sessionContext.shutdown();
    }
    widget.dispose();
  }
}"""
# Resolves to nothing: the widget the command gives back would be serialised for Python whole
# (Lab's object graph, about a core-second in Chromium, the driver and Python each time).
_OPEN = "async path => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }"
_CURRENT_PATH = """() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return widget && widget.context ? widget.context.path : null;
}"""


def _on_lab(page: Page, lab: Lab) -> bool:
    return page.url.startswith(f"{lab.url}/lab")


def open_notebook(page: Page, lab: Lab, name: str) -> None:
    """Open a notebook, alone, and wait until its kernel says Idle in the status bar.

    A tab already on this Lab keeps it: what is open there is closed and the notebook opened
    with Lab's own command. Otherwise (or if that fails) Lab loads with the notebook, in a fresh
    workspace (``?reset``).
    """
    from playwright.sync_api import Error as PlaywrightError

    opened = False
    if _on_lab(page, lab):
        try:
            page.evaluate(_CLOSE_ALL)
            page.evaluate(_OPEN, name)
            opened = True
        except PlaywrightError as exc:
            print(f"opening {name} in the open Lab failed ({exc}); loading Lab again")
    if not opened:
        page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=KERNEL_READY_S * 1000)
    page.locator("#jp-main-statusbar", has_text="Idle").wait_for(timeout=KERNEL_READY_S * 1000)


def _prompts(page: Page) -> list[str]:
    # textContent, not innerText: Lab skips the layout of off-screen cells (content-visibility),
    # and innerText of a skipped cell can be stale.
    texts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    return [t.strip() for t in texts]


def run_all(page: Page) -> None:
    """Run > Run All Cells, again until a cell starts (a click before the kernel is up is lost)."""
    before = _prompts(page)
    deadline = time.monotonic() + KERNEL_READY_S
    while True:
        page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel").filter(has_text=re.compile(r"^Run All Cells$")).click()
        stop = time.monotonic() + 3
        while time.monotonic() < stop:
            now = _prompts(page)
            if "[*]:" in now or now != before:
                return
            time.sleep(0.1)
        if time.monotonic() > deadline:
            pytest.fail(f"Run All Cells never started a cell; prompts {_prompts(page)}")


def wait_all_ran(page: Page) -> None:
    """Wait until every code cell has an execution count and the kernel is Idle again."""

    def done() -> bool:
        prompts = _prompts(page)
        ran = bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        return ran and "Idle" in page.locator("#jp-main-statusbar").inner_text()

    _wait_until(f"not every cell ran: prompts {_prompts(page)}", done, RUN_ALL_S)


def run_notebook(page: Page, lab: Lab, name: str) -> None:
    """Open the notebook and run every cell, unless the tab shows it already run (then kept as
    it is, outputs and widgets included: the test before ran it)."""
    if _on_lab(page, lab) and page.evaluate(_CURRENT_PATH) == name:
        prompts = _prompts(page)
        if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return
    open_notebook(page, lab, name)
    run_all(page)
    wait_all_ran(page)


def assert_no_error_output(page: Page) -> None:
    """No cell wrote to stderr: no traceback, no warning."""
    texts = page.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR}"]').all_text_contents()
    assert texts == [], "cells wrote errors or warnings:\n" + "\n---\n".join(texts)


def chart_outputs(page: Page) -> Locator:
    """The Vega-Lite outputs of the notebook's own cells (not those inside widgets)."""
    return page.locator(f".jp-Cell-outputArea > .jp-OutputArea-child > {VEGA}")


def assert_drawn(chart: Locator, label: str) -> None:
    """The output holds a vega-embed whose marks (canvas or svg) have a size."""

    def drawn() -> bool:
        marks = chart.locator(".vega-embed canvas.marks, .vega-embed svg.marks")
        if marks.count() == 0:
            return False
        box = marks.first.bounding_box()
        return box is not None and box["width"] > 50 and box["height"] > 20

    _wait_until(f"{label}: no chart drawn (.vega-embed with a canvas or svg)", drawn, CHART_S)


# Points (page coordinates) of the visible part of a Vega canvas that are drawn in a saturated
# colour: marks, not axes, grid lines or text (grey) nor background (white).
_MARK_POINTS = """canvas => {
  canvas.scrollIntoView({block: 'center'});
  const rect = canvas.getBoundingClientRect();
  const top = Math.max(rect.top, 0), bottom = Math.min(rect.bottom, window.innerHeight);
  const sx = canvas.width / rect.width, sy = canvas.height / rect.height;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const points = [];
  for (let y = top + 2; y < bottom - 2; y += 3) {
    for (let x = rect.left + 2; x < rect.right - 2; x += 3) {
      const row = Math.floor((y - rect.top) * sy), col = Math.floor((x - rect.left) * sx);
      const i = (row * canvas.width + col) * 4;
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) points.push([x, y]);
    }
  }
  const step = Math.max(1, Math.floor(points.length / 60));
  return points.filter((_, k) => k % step === 0);
}"""


def hover_until_tooltip(page: Page, chart: Locator, label: str) -> str:
    """Hover the chart's coloured marks until Vega's tooltip shows; return its text.

    The points are measured again on each pass: JupyterLab may still be laying out cells
    around the chart (its notebook renders cells lazily), which moves the canvas after the
    first measurement."""
    canvas = chart.locator(".vega-embed canvas.marks").first
    tooltip = page.locator("#vg-tooltip-element")
    deadline = time.monotonic() + HOVER_S
    passes = tried = 0
    while True:
        points = canvas.evaluate(_MARK_POINTS)
        assert points, f"{label}: no coloured mark on the chart's canvas"
        passes += 1
        for x, y in points:
            page.mouse.move(x, y)
            tried += 1
            if tooltip.is_visible() and (text := tooltip.inner_text().strip()):
                page.mouse.move(0, 0)
                return text
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{label}: no tooltip over any of {tried} points on its marks ({passes} passes)"
                )
        page.mouse.move(0, 0)
        time.sleep(0.3)


def screenshot_whole_notebook(page: Page, path: Path) -> None:
    """Grow the window to the notebook's height so one picture shows every cell."""
    height = page.evaluate(
        "() => { const n = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')"
        " || document.querySelector('.jp-NotebookPanel .jp-Notebook');"
        " if (!n) return 0; n.scrollTop = 0; return n.scrollHeight; }"
    )
    page.set_viewport_size(
        {
            "width": VIEWPORT["width"],
            "height": max(VIEWPORT["height"], min(int(height) + 200, 12000)),
        }
    )
    time.sleep(1.0)  # let Lab lay out and Vega redraw at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)


def screenshot_element(page: Page, element: Locator, path: Path) -> None:
    """Grow the window to fit the element, then picture just the element (if asked for)."""
    if not every_picture():
        return
    box = element.bounding_box()
    height = int(box["height"]) if box else 0
    page.set_viewport_size(
        {"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(height + 300, 12000))}
    )
    try:
        element.scroll_into_view_if_needed()
        time.sleep(0.3)
        element.screenshot(path=str(path))
    finally:
        page.set_viewport_size(VIEWPORT)


def every_picture() -> bool:
    """Whether passing tests keep their pictures too ($PLANNR_NB_SCREENSHOTS=1)."""
    return os.environ.get(SCREENSHOTS_ENV, "") not in ("", "0")


def _safe_screenshot(take: Callable[[], object], path: Path) -> None:
    """Take the picture if the test is failing (called from its ``finally``), or if asked."""
    if sys.exc_info()[0] is None and not every_picture():
        return
    try:
        take()
    except Exception as exc:  # a failed picture must not hide the test's own failure
        print(f"could not save screenshot {path}: {exc}")
    else:
        print(f"screenshot: {path}")


# Scroll a table's block to its far right: the last header must then be inside the block.
_REACH = """wrap => {
  const table = wrap.querySelector('table');
  const heads = [...table.querySelectorAll('th')];
  const shorts = [...table.querySelectorAll('td.plannr-short')];
  const result = {
    overflowX: getComputedStyle(wrap).overflowX,
    scrollWidth: wrap.scrollWidth,
    clientWidth: wrap.clientWidth,
    columns: heads.length,
    tallestHeader: Math.max(...heads.map(th => th.getBoundingClientRect().height)),
    // the height of a short cell's text (not of its row, which a long neighbour may grow)
    tallestShortCell: Math.max(0, ...shorts.map(td => {
      const range = document.createRange();
      range.selectNodeContents(td);
      return range.getBoundingClientRect().height;
    })),
  };
  wrap.scrollLeft = wrap.scrollWidth;
  const box = wrap.getBoundingClientRect();
  const last = heads[heads.length - 1].getBoundingClientRect();
  result.lastHeaderInside = last.right <= box.right + 1 && last.left >= box.left - 1;
  result.scrolledBy = wrap.scrollLeft;
  wrap.scrollLeft = 0;
  return result;
}"""


def assert_every_column_reachable(wrap: Locator, label: str, *, must_scroll: bool = False) -> None:
    """The table's block scrolls sideways, and scrolled right its last column header shows."""
    wrap.wait_for(timeout=WIDGET_S * 1000)
    found = wrap.evaluate(_REACH)
    assert found["overflowX"] == "auto", (label, found)
    assert found["lastHeaderInside"], (label, found)
    wide = found["scrollWidth"] > found["clientWidth"]
    assert not wide or found["scrolledBy"] > 0, (label, found)
    if must_scroll:
        assert wide, f"{label}: the table fits, so this test proves nothing: {found}"
    # headers and short cells stay on one line (13 px text: one line is under 30 px)
    assert found["tallestHeader"] < 30, (label, found)
    assert found["tallestShortCell"] < 30, (label, found)


# tests ----------------------------------------------------------------------------------------


def _stem(path: Path) -> str:
    return path.stem


# 01 last: the explorer test after them goes on with notebook 01 as this test left it.
LAB_ORDER: list[Path] = [p for p in NOTEBOOKS if not p.name.startswith("01_")] + [
    p for p in NOTEBOOKS if p.name.startswith("01_")
]


@pytest.mark.parametrize("notebook", LAB_ORDER, ids=_stem)
def test_notebook_runs_in_jupyterlab_and_draws_its_charts(
    notebook: Path, lab: Lab, page: Page, artifacts: Path
) -> None:
    """Run All in JupyterLab: no cell errs or warns, every chart is drawn and shows tooltips."""
    shot = artifacts / f"{notebook.stem}.png"
    try:
        open_notebook(page, lab, notebook.name)
        run_all(page)
        wait_all_ran(page)
        assert_no_error_output(page)
        charts = chart_outputs(page)
        count = charts.count()
        assert count >= 1, f"{notebook.name}: no Vega-Lite chart in the outputs"
        for i in range(count):
            assert_drawn(charts.nth(i), f"{notebook.name} chart {i + 1}/{count}")
        for i in range(count):
            text = hover_until_tooltip(page, charts.nth(i), f"{notebook.name} chart {i + 1}")
            assert text
        body = page.locator(".jp-Notebook").first.text_content() or ""
        for broken in ("Loading widget", "Error displaying widget", "model not found"):
            assert broken not in body, f"{notebook.name}: a widget did not render ({broken!r})"
    finally:
        _safe_screenshot(lambda: screenshot_whole_notebook(page, shot), shot)


def test_explorer_validates_fetches_and_fills_its_tabs(
    lab: Lab, page: Page, artifacts: Path
) -> None:
    """Explorer: a bad UUID is named, Fetch fills errors, timeline and steps; tabs switch."""
    shot = artifacts / "explorer.png"
    explorer: Locator | None = None
    try:
        run_notebook(page, lab, "01_troubleshoot_execution.ipynb")
        explorer = (
            page.locator(".jp-Cell-outputArea .widget-vbox")
            .filter(has=page.locator(".widget-textarea"))
            .filter(has=page.locator(".widget-tab"))
        )
        textarea = explorer.locator(".widget-textarea textarea")
        textarea.wait_for(timeout=WIDGET_S * 1000)
        assert explorer.count() == 1
        explorer.scroll_into_view_if_needed()
        status = explorer.locator(".widget-html").filter(has_text="Fetched")
        status.wait_for(timeout=WIDGET_S * 1000)
        assert "Fetched 1 execution" in status.inner_text()

        textarea.fill(f"{plannr_nb.DEMO_RUNNING_UUID}\nnot-a-uuid")
        validation = explorer.locator(".widget-html").filter(has_text="is not an execution UUID")
        validation.wait_for(timeout=WIDGET_S * 1000)
        assert "not-a-uuid" in validation.inner_text()
        assert "1 UUID ready" in validation.inner_text()

        fetch = explorer.locator("button.jupyter-button").filter(
            has_text=re.compile(r"^\s*Fetch\s*$")
        )
        fetch.click()
        status = explorer.locator(".widget-html").filter(has_text="could not be fetched")
        status.wait_for(timeout=WIDGET_S * 1000)
        assert "Fetched 1 execution" in status.inner_text()

        tabs = explorer.locator(".lm-TabBar-tab")
        errors_tab = tabs.filter(has_text=re.compile(r"^Errors \(1\)$"))
        errors_tab.wait_for(timeout=WIDGET_S * 1000)

        def panel() -> Locator:
            return explorer.locator(".widget-tab-contents > .widget-output:not(.lm-mod-hidden)")

        errors_tab.click()
        _wait_until(
            "the Errors tab does not name not-a-uuid",
            lambda: (
                "not-a-uuid" in panel().inner_text()
                and "is not an execution UUID" in panel().inner_text()
            ),
            WIDGET_S,
        )
        screenshot_element(page, explorer, artifacts / "explorer_errors.png")

        tabs.filter(has_text=re.compile(r"^Timeline$")).click()
        timeline = panel().locator(VEGA)
        assert_drawn(timeline, "explorer timeline")
        hover_until_tooltip(page, timeline, "explorer timeline")
        screenshot_element(page, explorer, artifacts / "explorer_timeline.png")

        tabs.filter(has_text=re.compile(r"^Steps$")).click()
        table = panel().locator("table")
        table.first.wait_for(timeout=WIDGET_S * 1000)
        steps_text = panel().inner_text()
        # The frame's HTML shortens long strings, so look for the UUID's first block.
        assert plannr_nb.DEMO_RUNNING_UUID[:8] in steps_text
        assert "Send document request email" in steps_text
        assert "Send SMS" in steps_text
        screenshot_element(page, explorer, artifacts / "explorer_steps.png")

        # repeated UUIDs are short, the full one in the cell's title; the table scrolls
        first = table.first.locator("td[title]").first
        assert first.get_attribute("title") in {
            plannr_nb.DEMO_STORY_UUID,
            plannr_nb.DEMO_RUNNING_UUID,
        }
        assert re.fullmatch(r"[0-9a-f]{8}\u2026", first.inner_text().strip())
        assert_every_column_reachable(panel().locator(".plannr-table-wrap").first, "Steps tab")

        tabs.filter(has_text=re.compile(r"^Raw JSON$")).click()
        raw = panel().locator("pre.plannr-raw-json")
        raw.wait_for(timeout=WIDGET_S * 1000)
        heights = raw.evaluate("pre => [pre.clientHeight, pre.scrollHeight]")
        assert heights[0] <= 481, f"the Raw JSON box is {heights[0]} px high"
        assert heights[1] > heights[0], "the Raw JSON box does not scroll"

        tabs.filter(has_text=re.compile(r"^Statistics$")).click()
        assert_drawn(panel().locator(VEGA), "statistics")
        assert_every_column_reachable(panel().locator(".plannr-table-wrap").first, "Statistics")

        errors_tab.click()
        assert "not-a-uuid" in panel().inner_text()
    finally:
        target = explorer if explorer is not None and explorer.count() == 1 else None
        if target is not None:
            _safe_screenshot(lambda: screenshot_element(page, target, shot), shot)
        else:
            _safe_screenshot(lambda: page.screenshot(path=str(shot)), shot)


# hostile data -----------------------------------------------------------------------------

# Every element inside outputs: no event handler, no javascript:/remote link or source survived.
_LIVE_MARKUP = """() => {
  const found = [];
  for (const el of document.querySelectorAll('.jp-OutputArea-output *')) {
    for (const a of el.attributes) {
      const v = a.value.trim().toLowerCase();
      if (a.name.startsWith('on')) found.push(el.tagName + ' ' + a.name);
      if (['href', 'src', 'srcset', 'xlink:href', 'action', 'data'].includes(a.name)
          && !v.startsWith('data:') && !v.startsWith('#') && !v.startsWith('blob:'))
        found.push(el.tagName + ' ' + a.name + '=' + v);
    }
    // vega-embed's own chrome (its actions menu, a form for bindings) is not our output
    if (!el.closest('.vega-embed') && ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FORM', 'BASE',
         'META', 'LINK', 'VIDEO', 'AUDIO', 'DETAILS', 'MATH', 'MJX-CONTAINER', 'MARQUEE']
         .includes(el.tagName))
      found.push(el.tagName + ' in ' + el.parentElement.className);
  }
  return found;
}"""


def test_hostile_execution_stays_text_in_notebook_and_explorer(
    lab: Lab, hostile_api: HostileAPI, page: Page, artifacts: Path
) -> None:
    """Notebook 01 and its explorer on hostile data: nothing runs, nothing is fetched."""
    beacon, other = hostile_api.beacon, hostile_api.other
    texts = corpus(beacon.url)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    shot = artifacts / "hostile.png"
    try:
        open_notebook(page, lab, "hostile.ipynb")
        run_all(page)
        wait_all_ran(page)
        assert_no_error_output(page)
        explorer = (
            page.locator(".jp-Cell-outputArea .widget-vbox")
            .filter(has=page.locator(".widget-textarea"))
            .filter(has=page.locator(".widget-tab"))
        )
        explorer.locator(".widget-html").filter(has_text="Fetched").wait_for(
            timeout=WIDGET_S * 1000
        )
        # the story and tables show the payloads as text (Lab renders Markdown with marked)
        shown = page.locator(".jp-Notebook").first.inner_text()
        assert "<img src=x onerror=" in shown
        assert "[x](javascript:alert(1))" in shown
        story = page.locator('.jp-RenderedMarkdown[data-mime-type="text/markdown"]')
        assert story.locator("strong").count() >= 3  # our own bold still renders
        assert story.locator("li").count() >= 3

        # one explorer fetch: typed hostile text and another hostile execution
        textarea = explorer.locator(".widget-textarea textarea")
        textarea.fill("\n".join([other, *texts[:12]]))
        explorer.locator(".widget-html").filter(has_text="is not an execution UUID").wait_for(
            timeout=WIDGET_S * 1000
        )
        explorer.locator("button.jupyter-button").filter(
            has_text=re.compile(r"^\s*Fetch\s*$")
        ).click()
        explorer.locator(".widget-html").filter(has_text="could not be fetched").wait_for(
            timeout=WIDGET_S * 1000
        )
        explorer.locator(".lm-TabBar-tab").filter(has_text=re.compile(r"^Errors")).click()
        page.wait_for_timeout(500)

        # the notebook's own timeline: Vega's tooltip shows a hostile step name as text
        chart = chart_outputs(page).first
        assert_drawn(chart, "hostile timeline")
        tooltip = hover_until_tooltip(page, chart, "hostile timeline")
        assert tooltip
        tip_html = page.locator("#vg-tooltip-element").inner_html()
        assert "<img" not in tip_html.lower()
        assert "<svg" not in tip_html.lower()

        assert page.evaluate(_LIVE_MARKUP) == []
        assert dialogs == []
        assert page.title() != "PWNED"
        assert beacon.requests == []
    finally:
        page.remove_listener("dialog", on_dialog)
        _safe_screenshot(lambda: screenshot_whole_notebook(page, shot), shot)


def test_readme_five_lines_draw_offline_in_a_new_notebook(
    lab: Lab, page: Page, artifacts: Path
) -> None:
    """The README's Five lines in a new notebook (no renderer set up) draw a chart offline."""
    import nbformat

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", readme, re.S | re.M)
    five = next(block for block in blocks if "pnb.gantt(" in block)
    assert "renderers" not in five  # the point: the user does nothing about renderers
    name = "five_lines.ipynb"
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(five)])
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(book, lab.root / name)
    console: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        console.append(message.text)

    page.on("console", on_console)
    shot = artifacts / "five_lines.png"
    try:
        open_notebook(page, lab, name)
        run_all(page)
        wait_all_ran(page)
        assert_no_error_output(page)
        charts = chart_outputs(page)
        assert charts.count() == 1, "the Five lines drew no Vega-Lite chart"
        assert_drawn(charts.first, "the Five lines' Gantt")
        body = page.locator(".jp-Notebook").first.text_content() or ""
        assert "Error loading script" not in body
        assert not [m for m in console if "customFormatTypes" in m], console
    finally:
        page.remove_listener("console", on_console)
        _safe_screenshot(lambda: screenshot_whole_notebook(page, shot), shot)


def test_wide_tables_scroll_in_lab(lab: Lab, page: Page, artifacts: Path) -> None:
    """The accounts frame (30 columns) in a notebook: its block scrolls, no column is hidden."""
    import nbformat

    code = (
        "import plannr_nb as pnb\n"
        "executions, steps, accounts = pnb.build_frames(pnb.load_demo_executions()[:20])\n"
        "pnb.table(accounts)"
    )
    name = "wide_table.ipynb"
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(book, lab.root / name)
    shot = artifacts / "wide_table.png"
    try:
        open_notebook(page, lab, name)
        run_all(page)
        wait_all_ran(page)
        assert_no_error_output(page)
        wrap = page.locator(".jp-OutputArea-output .plannr-table-wrap").first
        assert_every_column_reachable(wrap, "accounts table in Lab", must_scroll=True)
    finally:
        _safe_screenshot(lambda: screenshot_whole_notebook(page, shot), shot)


def test_wide_tables_scroll_in_a_report(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> None:
    """Report 03 opened in Chromium at 1000 px: every table's columns reachable by scrolling."""
    from plannr_nb import render_report

    folder = tmp_path_factory.mktemp("report-tables")
    report = render_report("03_report", demo=True, progress=False, output=folder / "r.html")
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    shot = artifacts / "report_tables.png"
    try:
        page.goto(report.html.as_uri())
        wraps = page.locator(".plannr-table-wrap")
        assert wraps.count() >= 3
        wide = 0
        for i in range(wraps.count()):
            wrap = wraps.nth(i)
            found = wrap.evaluate(_REACH)
            wide += found["scrollWidth"] > found["clientWidth"]
            assert_every_column_reachable(wrap, f"report table {i + 1}")
        assert wide, "no table of report 03 is wider than 1000 px: the test proves nothing"
        titled = page.locator("td[title]")
        assert titled.count() > 0
        assert re.fullmatch(r"[0-9a-f-]{36}", titled.first.get_attribute("title") or "")
    finally:
        _safe_screenshot(lambda: page.screenshot(path=str(shot), full_page=True), shot)
        context.close()
