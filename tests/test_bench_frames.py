"""Smoke test: the frames benchmark runs end to end and prints its ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_frames.py"


@pytest.mark.slow
def test_bench_frames_quick_runs_and_prints_ratios() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
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
