"""Smoke test: the frames benchmark runs end to end and prints its ratios; a memory child
measures and reports its peak."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_frames.py"


@pytest.mark.slow
def test_bench_frames_quick_runs_and_prints_ratios() -> None:
    done = subprocess.run(
        # The memory children (one process per method) are tried once below, not per method.
        [sys.executable, str(BENCH), "--quick", "--no-memory"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    for name in ("default", "no_accounts", "dicts"):
        lines = [line for line in out.splitlines() if line.startswith(f"ratio {name}:")]
        assert len(lines) == 1, out
        assert "x floor" in lines[0]
        assert "faster than pandas" in lines[0]
    assert "fresh interpreter" in out
    assert "correctness: ours == slow reference" in out
    assert "CORRECTNESS PROBLEMS" not in out


@pytest.mark.slow
def test_bench_frames_memory_child_reports_its_peak() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--child", "default", "--size", "500", "--warm", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["method"] == "default"
    assert isinstance(report["peak_over_input"], int)
    assert report["peak_over_input"] > 0  # frames of 500 bodies take memory
    assert report["seconds"] > 0
