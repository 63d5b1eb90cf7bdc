"""The `browser` marker: run with a Chromium, skip loudly without one, fail in CI without one."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REQUIRE = "PLANNR_NB_REQUIRE_BROWSER"


def chromium_path() -> Path:
    """The Chromium the browser test drives: $PLANNR_NB_CHROMIUM, else Debian's."""
    return Path(os.environ.get("PLANNR_NB_CHROMIUM") or "/usr/bin/chromium")


def _missing() -> str | None:
    path = chromium_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        return (
            f"NO CHROMIUM at {path}: the browser test did not run "
            "(apt-get install chromium, or set PLANNR_NB_CHROMIUM)"
        )
    if importlib.util.find_spec("playwright") is None:
        return "NO PLAYWRIGHT: the browser test did not run (pip install -e '.[test]')"
    return None


def pytest_report_header(config: pytest.Config) -> str:
    """Say at the top of the run whether the browser test will run."""
    missing = _missing()
    if missing is None:
        return f"browser test: Chromium at {chromium_path()}"
    if os.environ.get(REQUIRE) == "1":
        return f"browser test: WILL FAIL, {REQUIRE}=1 and {missing}"
    return f"browser test: WILL BE SKIPPED, {missing}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a `browser` test without Chromium, or fail it when PLANNR_NB_REQUIRE_BROWSER=1."""
    if item.get_closest_marker("browser") is None:
        return
    missing = _missing()
    if missing is None:
        return
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {missing}", pytrace=False)
    pytest.skip(missing)
