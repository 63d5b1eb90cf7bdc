"""The whole test suite: install (once), then ruff, ruff format --check, mypy and pytest.

    python3 scripts/test.py [pytest options, e.g. -m "not browser" -x]

The browser test runs when Chromium is at /usr/bin/chromium (or PLANNR_NB_CHROMIUM); set
PLANNR_NB_REQUIRE_BROWSER=1 to make its absence a failure (CI does).

The static checks (ruff, ruff format --check, then mypy, stopping at the first that fails) run
beside the tests, not before them: mypy alone takes about 11 s without its cache (a fresh
clone), and the tests' report runs would start that much later. Their output follows the main
pytest's.

With no pytest option the suite runs in two lanes at once: ``tests/test_browser.py``
(JupyterLab and Chromium), then the hostile-server client tests, the README's code, the
benchmark's smoke test, the fleet, widget and async client tests and the package's own checks,
none of which reads the report runs the rest share, in a second pytest process, and everything
else in this one (the fleet history the store tests also read is then made in both, half a
second); the second lane's output is shown when both are done. The files are split so that the
two lanes end at about the same time on 2 cores. With options, one pytest runs what they select.
The worst exit code wins.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

from _bootstrap import BIN, ROOT, ensure_venv

#: The environment of every check and test process: this one's, but Python caches bytecode
#: (in ``__pycache__``, which git ignores) even where PYTHONDONTWRITEBYTECODE is set, as it is on
#: this machine: else each of the suite's kernels and report runs compiles plannr_nb again and
#: pytest rewrites every test module's asserts in both lanes (about 5 s of CPU in all).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

#: The second lane's test files, in the order it runs them.
SECOND_LANE = (
    "tests/test_browser.py",
    "tests/test_client_hostile.py",
    "tests/test_client_secrets.py",
    "tests/test_readme.py",
    "tests/test_bench_frames.py",
    "tests/test_fleet.py",
    "tests/test_widgets.py",
    "tests/test_package.py",
    "tests/test_client_async.py",
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
            env=ENV,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped whole if this script stops early
        )


def _checks(commands: list[list[str]]) -> tuple[int, str]:
    """Run each check in turn, stopping at the first that fails: its exit code and the output."""
    out: list[str] = []
    for command in commands:
        out.append("+ " + " ".join(command) + "\n")
        done = subprocess.run(
            command, cwd=ROOT, env=ENV, capture_output=True, text=True, check=False
        )
        out.append(done.stdout + done.stderr)
        if done.returncode != 0:
            return done.returncode, "".join(out)
    return 0, "".join(out)


def main() -> int:
    """Run the checks and the tests at once; show every result; the worst exit code wins."""
    python = ensure_venv(("test",))
    checks = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],
    ]
    # The 15 slowest tests are listed after the run: where the time goes, every time.
    pytest = [str(python), "-m", "pytest", "--durations=15"]
    options = sys.argv[1:]
    with (
        tempfile.TemporaryDirectory(prefix="plannr-nb-test-") as tmp,
        ThreadPoolExecutor(1) as pool,
    ):
        lane = None if options else _start_second_lane(pytest, Path(tmp))
        print("+ (static checks beside the tests, output after the main pytest's)", flush=True)
        checked = pool.submit(_checks, checks)
        try:
            ignored = [word for path in SECOND_LANE for word in ("--ignore", path)]
            command = [*pytest, *options] if options else [*pytest, *ignored]
            print("+", " ".join(command), flush=True)
            code = subprocess.run(command, cwd=ROOT, env=ENV, check=False).returncode
            check_code, check_out = checked.result()
            print(f"\n+ static checks, exit code {check_code}:")
            sys.stdout.write(check_out)
            lane_code = 0
            if lane is not None:
                lane_code = lane.wait()
                print(f"\n+ second lane ({' '.join(SECOND_LANE)}), exit code {lane_code}:")
                sys.stdout.write((Path(tmp) / "browser.log").read_text(errors="replace"))
            sys.stdout.flush()
            return code or check_code or lane_code
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
