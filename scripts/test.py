"""The whole test suite: install (once), then ruff, ruff format --check, mypy and pytest.

    python3 scripts/test.py [pytest options, e.g. -m "not browser" -x]

The browser test runs when Chromium is at /usr/bin/chromium (or PLANNR_NB_CHROMIUM); set
PLANNR_NB_REQUIRE_BROWSER=1 to make its absence a failure (CI does).

With no pytest option the suite runs in two lanes at once: ``tests/test_browser.py``
(JupyterLab and Chromium), then the hostile-server client tests, the README's code and the
benchmark's smoke test, none of which shares a fixture with the rest, in a second pytest
process, started first, and everything else in this one; the second lane's output is shown
when both are done, and the worst exit code wins. The files are split so that the two lanes
end at about the same time (95 s each on 2 cores). With options, one pytest runs what they
select.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

from _bootstrap import BIN, ROOT, ensure_venv

#: The second lane's test files, in the order it runs them.
SECOND_LANE = (
    "tests/test_browser.py",
    "tests/test_client_hostile.py",
    "tests/test_client_secrets.py",
    "tests/test_readme.py",
    "tests/test_bench_frames.py",
)


def _start_second_lane(pytest: list[str], folder: Path) -> subprocess.Popen[bytes]:
    """The second lane's tests in their own pytest (own temporary folder, no cache writes),
    output to ``folder/browser.log``."""
    command = [*pytest, "-p", "no:cacheprovider", f"--basetemp={folder / 'tmp'}", *SECOND_LANE]
    print("+ (second lane, output at the end)", " ".join(command), flush=True)
    with (folder / "browser.log").open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped whole if this script stops early
        )


def main() -> int:
    """Run every check in order; stop at the first that fails."""
    python = ensure_venv(("test",))
    checks = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],
    ]
    # The 15 slowest tests are listed after the run: where the time goes, every time.
    pytest = [str(python), "-m", "pytest", "--durations=15"]
    options = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="plannr-nb-test-") as tmp:
        lane = None if options else _start_second_lane(pytest, Path(tmp))
        try:
            for command in checks:
                print("+", " ".join(command), flush=True)
                code = subprocess.run(command, cwd=ROOT, check=False).returncode
                if code != 0:
                    return code
            ignored = [word for path in SECOND_LANE for word in ("--ignore", path)]
            command = [*pytest, *options] if options else [*pytest, *ignored]
            print("+", " ".join(command), flush=True)
            code = subprocess.run(command, cwd=ROOT, check=False).returncode
            if lane is None:
                return code
            lane_code = lane.wait()
            print(f"\n+ second lane ({' '.join(SECOND_LANE)}), exit code {lane_code}:", flush=True)
            sys.stdout.write((Path(tmp) / "browser.log").read_text(errors="replace"))
            return code or lane_code
        finally:
            if lane is not None:
                _stop(lane)


def _stop(lane: subprocess.Popen[bytes]) -> None:
    """Interrupt the lane (pytest then tears its JupyterLab down), kill it if it lingers."""
    if lane.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(lane.pid, signal.SIGINT)
    try:
        lane.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(lane.pid, signal.SIGKILL)
        lane.wait()


if __name__ == "__main__":
    sys.exit(main())
