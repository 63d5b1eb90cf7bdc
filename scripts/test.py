"""The whole test suite: install (once), then ruff, ruff format --check, mypy and pytest.

    python3 scripts/test.py [pytest options, e.g. -m "not browser" -x]

The browser test runs when Chromium is at /usr/bin/chromium (or PLANNR_NB_CHROMIUM); set
PLANNR_NB_REQUIRE_BROWSER=1 to make its absence a failure (CI does).
"""

from __future__ import annotations

import subprocess
import sys

from _bootstrap import BIN, ROOT, ensure_venv


def main() -> int:
    """Run every check in order; stop at the first that fails."""
    python = ensure_venv(("test",))
    checks = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],
        # The 15 slowest tests are listed after the run: where the time goes, every time.
        [str(python), "-m", "pytest", "--durations=15", *sys.argv[1:]],
    ]
    for command in checks:
        print("+", " ".join(command), flush=True)
        code = subprocess.run(command, cwd=ROOT, check=False).returncode
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
