"""Draw the README's pictures from the bundled demo data (offline).

    .venv/bin/python scripts/make_readme_images.py

* ``docs/gantt.png``: the demo's story execution, a welcome pack whose "Send SMS" step says
  completed but whose info carries an error (so it is drawn as failed), a three-day wait, a
  failed reminder and the steps that never ran, in Europe/London time (vl-convert).
* ``docs/report.png``: the top of the README's ticket example (``plannr-nb report 03_report
  --demo --redact`` on the story and the running execution), opened in Chromium.
* ``docs/explorer.png``: the explorer in JupyterLab, as the browser test pictured it
  (``.venv/bin/pytest tests/test_browser.py -k explorer`` writes
  ``artifacts/browser/explorer_timeline.png``); copied when that picture exists.

* ``docs/fleet-trend.png`` and ``docs/fleet-stalled.png``: the demo's six months of history
  synced into a temporary store, as notebook 04 does (see ``fleet_images``).

The demo is anchored to the present, so dates in the pictures are those of the day they are drawn.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import polars as pl

from plannr_nb import gantt, render_report, save_chart, steps_frame
from plannr_nb._demo import DEMO_RUNNING_UUID, DEMO_STORY_UUID, load_demo_executions

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXPLORER_SHOT = ROOT / "artifacts" / "browser" / "explorer_timeline.png"
REPORT_SIZE = {"width": 1100, "height": 1250}


def _wrote(path: Path) -> None:
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


def draw_gantt() -> None:
    steps = steps_frame(load_demo_executions())
    story = steps.filter(pl.col("execution_uuid") == DEMO_STORY_UUID)
    if story.height == 0:
        raise SystemExit(f"demo execution {DEMO_STORY_UUID} not found in the demo data")
    chart = gantt(story, tz="Europe/London", width=640)
    _wrote(save_chart(chart, DOCS / "gantt.png"))


def draw_report() -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("PLANNR_NB_CHROMIUM") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory(prefix="plannr-nb-readme-") as work:
        report = render_report(
            "03_report",
            uuids=[DEMO_STORY_UUID, DEMO_RUNNING_UUID],
            redact=True,
            demo=True,
            progress=False,
            output=Path(work) / "ticket-4711.html",
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page(viewport=REPORT_SIZE)
                page.goto(report.html.as_uri())
                page.screenshot(path=str(DOCS / "report.png"))
            finally:
                browser.close()
    _wrote(DOCS / "report.png")


def copy_explorer() -> None:
    if not EXPLORER_SHOT.exists():
        print(f"kept docs/explorer.png: no {EXPLORER_SHOT} (run the browser test's explorer test)")
        return
    shutil.copyfile(EXPLORER_SHOT, DOCS / "explorer.png")
    _wrote(DOCS / "explorer.png")


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    draw_gantt()
    draw_report()
    copy_explorer()


def fleet_images() -> None:
    """docs/fleet-trend.png and docs/fleet-stalled.png: the demo history, synced like notebook 04.

    The history is anchored to a fixed present (the demo's snapshot), so the pictures do not
    change from one run to the next.
    """
    import tempfile

    import plannr_nb as pnb
    from plannr_nb._demo import DEMO_SNAPSHOT
    from plannr_nb.testing import demo_api

    with tempfile.TemporaryDirectory() as folder:
        store = pnb.open_store(folder)
        with pnb.PlannrClient.demo(demo_api(DEMO_SNAPSHOT).executions) as client:
            client.sync(store, include_account=True, progress=False)
        executions, steps = store.executions, store.steps
        trend = pnb.failure_trend(
            executions.filter(pl.col("created_at") >= DEMO_SNAPSHOT - timedelta(days=182)),
            every="1w",
        )
        path = save_chart(pnb.trend_chart(trend, width=640), DOCS / "fleet-trend.png")
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
        stuck = pnb.stalled(executions, steps, now=DEMO_SNAPSHOT).filter(
            pl.col("waited") < timedelta(days=30)  # the picture: this month's stalls
        )
        shown = stuck.select(
            "name", (pl.col("position") + 1).alias("step"), "next_step", "waiting_since",
            "waited", "expected", "overdue_by",
        ).head(8)  # fmt: skip
        path = _html_png(pnb.table(shown, tz="Europe/London")._repr_html_(), "fleet-stalled.png")
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


def _html_png(html: str, name: str) -> Path:
    """A table as a picture: Chromium (the browser test's) screenshots the HTML as shown."""
    import os

    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("PLANNR_NB_CHROMIUM") or "/usr/bin/chromium"
    page_html = f"<html><body style='font-family:sans-serif;margin:8px'>{html}</body></html>"
    target = DOCS / name
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium)
        page = browser.new_page(device_scale_factor=2, viewport={"width": 1100, "height": 400})
        page.set_content(page_html)
        page.locator("table").screenshot(path=str(target))
        browser.close()
    return target


if __name__ == "__main__":
    main()
    fleet_images()
