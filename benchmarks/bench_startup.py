"""Benchmark: command start-up, timed like hyperfine (repeated subprocesses, warm-up runs first).

Times, each as a fresh process (``--runs`` runs after ``--warmup`` untimed ones; median, mean and
standard deviation, min, max):

* ``plannr-nb --help`` (the console script of this environment);
* ``python -c "import plannr_nb"``;
* ``python -c "import plannr_nb as pnb; pnb.build_frames"`` (the lazy attribute loads frames);
* ``python -c "pass"``: the interpreter alone, to subtract.

Then, for ``plannr-nb --help`` and ``import plannr_nb``, which heavy modules got imported
(papermill, nbconvert, nbclient, altair, jupyterlab, pandas, polars, pyarrow, httpx): start-up is
mostly what is imported. Last, making a client in a running process (after the first, which
pays for the imports): ``httpx.Client()``, the baseline, which loads the CA bundle each time,
against ``PlannrClient(token=...)`` and ``PlannrClient.demo()``. Prints figures, not a verdict.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HEAVY = (
    "papermill",
    "nbconvert",
    "nbclient",
    "altair",
    "jupyterlab",
    "ipywidgets",
    "pandas",
    "polars",
    "pyarrow",
    "httpx",
)
# What --help imports: run the console script's entry point inside a probe interpreter.
_HELP_PROBE = """
import contextlib, io, sys
sys.argv = ["plannr-nb", "--help"]
from plannr_nb._cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(["--help"])
print(",".join(name for name in {heavy!r} if name in sys.modules))
"""
_IMPORT_PROBE = """
import sys
import plannr_nb
print(",".join(name for name in {heavy!r} if name in sys.modules))
"""


def _script() -> list[str]:
    here = Path(sys.executable).parent / "plannr-nb"
    found = str(here) if here.exists() else shutil.which("plannr-nb")
    if found is None:
        return [sys.executable, "-m", "plannr_nb._cli"]
    return [found]


def time_command(command: list[str], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="3 runs, 1 warm-up")
    args = parser.parse_args(argv)
    runs, warmup = (3, 1) if args.quick else (args.runs, args.warmup)
    python = sys.executable
    commands = {
        "plannr-nb --help": [*_script(), "--help"],
        'python -c "import plannr_nb"': [python, "-c", "import plannr_nb"],
        'python -c "import plannr_nb as pnb; pnb.build_frames"': [
            python,
            "-c",
            "import plannr_nb as pnb; pnb.build_frames",
        ],
        'python -c "pass"': [python, "-c", "pass"],
    }
    print(
        f"# Start-up: {runs} runs after {warmup} warm-up, one process each; Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print()
    print("| command | median s | mean s ± sd | min s | max s |")
    print("| --- | --- | --- | --- | --- |")
    for label, command in commands.items():
        times = time_command(command, runs, warmup)
        sd = statistics.stdev(times) if len(times) > 1 else 0.0
        print(
            f"| `{label}` | {statistics.median(times):.3f} | {statistics.mean(times):.3f} ± "
            f"{sd:.3f} | {min(times):.3f} | {max(times):.3f} |"
        )
    print()
    for label, probe in (
        ("plannr-nb --help", _HELP_PROBE),
        ("import plannr_nb", _IMPORT_PROBE),
    ):
        done = subprocess.run(
            [python, "-c", probe.format(heavy=HEAVY)], capture_output=True, text=True, check=True
        )
        imported = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        print(f"{label} imports: {imported.replace(',', ', ') or '(none of them)'}")
    print()
    clients(runs * 10)
    return 0


def clients(runs: int) -> None:
    """Median time to make (and close) a client, in this process, after a first one."""
    import httpx

    from plannr_nb import PlannrClient

    makers: dict[str, Any] = {
        "httpx.Client() (baseline: loads the CA bundle)": httpx.Client,
        'PlannrClient(token="...")': lambda: PlannrClient(token="bench-token"),
        "PlannrClient.demo()": PlannrClient.demo,
    }
    baseline = None
    print(f"| making a client, median of {runs} after a first | ms | x baseline |")
    print("| --- | --- | --- |")
    for label, make in makers.items():
        make().close()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            client = make()
            times.append(time.perf_counter() - start)
            client.close()
        median = statistics.median(times)
        baseline = baseline or median
        print(f"| `{label}` | {median * 1000:.2f} | {median / baseline:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
