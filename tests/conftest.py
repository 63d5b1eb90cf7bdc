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


# == Client twins (issue 11): every client test runs against PlannrClient AND AsyncPlannrClient ==
# Test bodies are written once against `Twin` / `TwinClient`, which run the async client's
# coroutines on a private event loop, so both twins pass the same assertions.

import asyncio  # noqa: E402 - this section is kept apart from the shared fixtures above
from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from types import TracebackType  # noqa: E402
from typing import Any, Self  # noqa: E402

from plannr_nb import AsyncPlannrClient, PlannrClient  # noqa: E402
from plannr_nb._config import ACCOUNT_ENV_VAR, TOKEN_ENV_VARS  # noqa: E402
from plannr_nb._connect import BASE_URL_ENV_VAR, DEMO_ENV_VAR  # noqa: E402
from plannr_nb.testing import AsyncSimTransport, SimAPI, SimTransport  # noqa: E402

#: The token, base URL and quick retries the client tests share.
CLIENT_TOKEN = "test-token-123"
CLIENT_BASE = "https://plannr.test"
FAST_RETRIES: dict[str, Any] = {"retry_wait": (0.0005, 0.002)}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token, account, base URL or demo switch from the environment (usefixtures)."""
    for name in (*TOKEN_ENV_VARS, ACCOUNT_ENV_VAR, BASE_URL_ENV_VAR, DEMO_ENV_VAR):
        monkeypatch.delenv(name, raising=False)


class TwinClient:
    """A PlannrClient or AsyncPlannrClient behind the blocking client's methods."""

    def __init__(self, client: PlannrClient | AsyncPlannrClient, run: Callable[[Any], Any]):
        self.raw = client
        self._run = run

    def get_execution(self, uuid: object, **options: Any) -> dict[str, Any]:
        """Like PlannrClient.get_execution."""
        return self._call("get_execution", uuid, **options)  # type: ignore[no-any-return]

    def list_executions(self, **options: Any) -> list[dict[str, Any]]:
        """Like PlannrClient.list_executions."""
        return self._call("list_executions", **options)  # type: ignore[no-any-return]

    def fetch_executions(self, uuids: Iterable[object] | str, **options: Any) -> Any:
        """Like PlannrClient.fetch_executions."""
        return self._call("fetch_executions", uuids, **options)

    def _call(self, name: str, *args: Any, **options: Any) -> Any:
        result = getattr(self.raw, name)(*args, **options)
        return self._run(result) if isinstance(self.raw, AsyncPlannrClient) else result

    def record_sleeps(self) -> list[float]:
        """Replace the client's sleep by one that only records the seconds asked for."""
        slept: list[float] = []
        if isinstance(self.raw, AsyncPlannrClient):

            async def sleep(seconds: float) -> None:
                slept.append(seconds)

            self.raw._sleep = sleep
        else:
            self.raw._sleep = slept.append
        return slept

    def close(self) -> None:
        """Close the client (aclose for the async one)."""
        if isinstance(self.raw, AsyncPlannrClient):
            self._run(self.raw.aclose())
        else:
            self.raw.close()

    def __repr__(self) -> str:
        return repr(self.raw)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Twin:
    """Builds clients of one kind: ``twin(token, api=SimAPI(...), **options)``."""

    def __init__(self, kind: str, runner: asyncio.Runner | None) -> None:
        self.kind = kind
        self.is_async = kind == "async"
        self.cls: type[PlannrClient] | type[AsyncPlannrClient] = (
            AsyncPlannrClient if self.is_async else PlannrClient
        )
        self._runner = runner

    def run(self, awaitable: Any) -> Any:
        """Run a coroutine on this twin's event loop (async twin only)."""
        assert self._runner is not None
        return self._runner.run(awaitable)

    def sim(self, api: SimAPI) -> Any:
        """The in-process transport over ``api`` for this kind of client."""
        return AsyncSimTransport(api) if self.is_async else SimTransport(api)

    def __call__(
        self, token: str | None = None, *, api: SimAPI | None = None, **options: Any
    ) -> TwinClient:
        """A client of this kind; ``api`` becomes its transport."""
        if api is not None:
            options["transport"] = self.sim(api)
        return TwinClient(self.cls(token, **options), self.run)

    def demo(self, *args: Any, **options: Any) -> TwinClient:
        """``demo()`` of this kind of client."""
        return TwinClient(self.cls.demo(*args, **options), self.run)


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> Iterator[Twin]:
    """Each client test runs twice: with PlannrClient, then with AsyncPlannrClient."""
    if request.param == "sync":
        yield Twin("sync", None)
        return
    with asyncio.Runner() as runner:
        yield Twin("async", runner)
