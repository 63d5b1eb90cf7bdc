"""Draw the README's pictures from the bundled demo data (offline, deterministic).

    .venv/bin/python scripts/make_readme_images.py          # writes docs/gantt.png

The Gantt shows the demo's story execution: a welcome pack whose "Send SMS" step says completed
but whose info carries an error (so it is drawn as failed), a three-day wait, a failed reminder
and the steps that never ran, in Europe/London time.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from plannr_nb import gantt, save_chart, steps_frame
from plannr_nb._demo import DEMO_STORY_UUID, load_demo_executions

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    steps = steps_frame(load_demo_executions())
    story = steps.filter(pl.col("execution_uuid") == DEMO_STORY_UUID)
    if story.height == 0:
        raise SystemExit(f"demo execution {DEMO_STORY_UUID} not found in the demo data")
    chart = gantt(story, tz="Europe/London", width=640)
    path = save_chart(chart, DOCS / "gantt.png")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
