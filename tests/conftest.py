"""What the whole suite shares: constants, the ``clean_env`` fixture, the report runs of the
bundled notebooks (each run once per session, read by every test that needs it), and the
``browser`` marker (run with a Chromium, skip loudly without one, fail in CI without one).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import nbformat
import pytest
import redact_data
from _warm_cli import WarmRun
from hostile import Beacon, corpus, hostile_executions
from redact_data import EXEC_IMELDA, EXEC_PRIYA, EXEC_WILL

import plannr_nb as pnb
from plannr_nb import AsyncPlannrClient, PlannrClient
from plannr_nb._config import (
    ACCOUNT_ENV_VAR,
    BASE_URL_ENV_VAR,
    DEMO_ENV_VAR,
    STORE_ENV_VAR,
    TOKEN_ENV_VARS,
    TZ_ENV_VAR,
)
from plannr_nb.testing import (
    AsyncSimTransport,
    SimAPI,
    SimServer,
    SimTransport,
    record_sleeps,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: The one canary token: every run that holds a token holds this one, and no byte written,
#: printed or raised may contain it.
CANARY = "plannr-canary-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4e6f8"
STORY = pnb.DEMO_STORY_UUID
RUNNING = pnb.DEMO_RUNNING_UUID
MISSING = "00000000-0000-4000-8000-000000000000"  # valid, and in no data set
VEGA = "application/vnd.vegalite.v5+json"
#: Every variable the package reads: a developer's own shell must not change a test.
PLANNR_ENV = (
    *TOKEN_ENV_VARS,
    ACCOUNT_ENV_VAR,
    BASE_URL_ENV_VAR,
    DEMO_ENV_VAR,
    TZ_ENV_VAR,
    STORE_ENV_VAR,
)
CLI = [sys.executable, "-m", "plannr_nb._cli"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No Plannr variable from the developer's shell; set what the test needs on the result."""
    for name in PLANNR_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def clean_environ(**extra: str) -> dict[str, str]:
    """``os.environ`` for a child process: no Plannr variable of ours, plus ``extra``."""
    env = {name: value for name, value in os.environ.items() if name not in PLANNR_ENV}
    env.update(extra)
    return env


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``plannr-nb ARGS`` in a child process, in a clean environment unless ``env`` is given."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(env) if env is not None else clean_environ(),
        cwd=cwd,
        check=False,
    )


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` in a fresh interpreter (this one's), with ``env`` added to ours."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def outputs(book: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Every output of every code cell, in order."""
    return [out for cell in book.cells if cell.cell_type == "code" for out in cell.outputs]


# -- report runs of the bundled notebooks ----------------------------------------------------


@dataclass(frozen=True)
class ReportRun:
    """One ``plannr-nb report`` run: the command's output, and the files it wrote."""

    result: subprocess.CompletedProcess[str]
    html_path: Path
    notebook_path: Path
    folder: Path  # everything the run wrote is in here

    @functools.cached_property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    @functools.cached_property
    def notebook(self) -> nbformat.NotebookNode:
        return nbformat.read(self.notebook_path, as_version=4)

    @property
    def log(self) -> str:
        return self.result.stdout + self.result.stderr

    def written(self) -> list[Path]:
        return sorted(path for path in self.folder.rglob("*") if path.is_file())


@dataclass(frozen=True)
class Plan:
    """How to run one notebook: the command's arguments, its environment, and where to run it
    (``cwd`` relative to the run's own folder); ``html`` and ``notebook`` name the files it
    writes, relative to that folder."""

    args: tuple[str, ...]
    html: str
    notebook: str
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = "."
    copy_notebook: bool = False  # run a copy in the run's folder (by path), not the bundled one
    files: Mapping[str, str] = field(default_factory=dict)  # written into ``cwd`` first


class _Job:
    """One report run in a child process of its own, started by ``_Background`` or inline."""

    def __init__(self, run: Callable[[_Job], ReportRun]) -> None:
        self._run = run
        self.proc: WarmRun | None = None
        self._stopped = False
        self.done = threading.Event()
        self.result: ReportRun | None = None
        self.error: BaseException | None = None
        self._claimed = False
        self._lock = threading.Lock()

    def claim(self) -> bool:
        """True for the one caller that is to start this run (a worker, a test, or close)."""
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def start(self) -> None:
        """Run it, once claimed; the result or the error is kept for every reader."""
        try:
            self.result = self._run(self)
        except BaseException as exc:  # handed to the test that reads the run
            self.error = exc
        finally:
            self.done.set()

    def cli(
        self, args: Iterable[str], env: Mapping[str, str], cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        """``plannr-nb ARGS`` in a process of its own, forked warm (``_warm_cli``)."""
        self.proc = WarmRun(list(args), env, cwd)
        if self._stopped:  # close() came between the claim and the start
            self.proc.kill()
        return self.proc.wait(timeout=300)

    def stop(self) -> None:
        """Kill the run if it is still going (its kernel with it)."""
        self._stopped = True
        proc = self.proc
        if proc is not None and proc.running():
            proc.kill()


class _Background:
    """Report runs start in worker threads as soon as a fixture plans them, at most ``size`` at
    once (2 cores: the tests keep the other busy); a run a test waits for and that has not
    started yet runs at once, in the test's own thread."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._queue: list[_Job] = []
        self._cond = threading.Condition()
        self._workers: list[threading.Thread] = []

    def submit(self, job: _Job) -> None:
        with self._cond:
            self._queue.append(job)
            while len(self._workers) < self.size:
                worker = threading.Thread(target=self._work, name="report-runs", daemon=True)
                self._workers.append(worker)
                worker.start()
            self._cond.notify()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                job = self._queue.pop(0)
            if job.claim():  # else a test or close() took it first
                job.start()


#: Report runs going at once in the background ($PLANNR_NB_REPORT_JOBS, 0 for none: each run
#: then starts when a test first reads it).
BACKGROUND = _Background(int(os.environ.get("PLANNR_NB_REPORT_JOBS", "1")))


class ReportRuns:
    """Report runs of the bundled notebooks under one set of options, keyed by ``"01"``...

    Every run starts in the background when the fixture is made (``BACKGROUND``); a test that
    reads a run waits for it, and every test reads that same run. ``close`` ends what is left.
    """

    def __init__(self, folder: Path, plans: Mapping[str, Plan]) -> None:
        self.folder = folder
        self.plans = plans
        self._jobs = {
            key: _Job(functools.partial(self._run, key, plan)) for key, plan in plans.items()
        }
        if BACKGROUND.size:
            for job in self._jobs.values():
                BACKGROUND.submit(job)

    def __getitem__(self, key: str) -> ReportRun:
        job = self._jobs[key]
        if job.claim():
            job.start()
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def __iter__(self) -> Iterator[str]:
        return iter(self.plans)

    def all(self) -> list[ReportRun]:
        return [self[key] for key in self.plans]

    def close(self) -> None:
        """Drop the runs not started yet and stop those still going (a session cut short)."""
        for job in self._jobs.values():
            if job.claim():
                job.done.set()
            else:
                job.stop()
        for job in self._jobs.values():
            job.done.wait()

    def _run(self, key: str, plan: Plan, job: _Job) -> ReportRun:
        folder = self.folder / key
        cwd = folder / plan.cwd
        cwd.mkdir(parents=True, exist_ok=True)
        args = plan.args
        if plan.copy_notebook:
            source = next(path for path in NOTEBOOKS if path.stem.startswith(key))
            shutil.copyfile(source, cwd / source.name)
            args = (source.name, *args)
        for name, text in plan.files.items():
            (cwd / name).write_text(text, encoding="utf-8")
        result = job.cli(("report", *args), env=clean_environ(**plan.env), cwd=cwd)
        return ReportRun(result, folder / plan.html, folder / plan.notebook, folder)


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportRuns]:
    """The bundled notebooks on the demo data, no token, each once per session.

    01 writes to a folder that does not exist yet, with the account; 02 runs with no option at
    all (no token is the demo); 03 runs as a copy from its own folder, with its default output
    name, on two executions, an unknown UUID and a mistyped one.
    """
    folder = tmp_path_factory.mktemp("demo-reports")
    plans = {
        "01": Plan(
            (
                "01",
                "--demo",
                "--param",
                "include_account=true",
                "--output",
                str(folder / "01/out/report.html"),
            ),
            html="out/report.html",
            notebook="out/report.ipynb",
        ),
        "02": Plan(("02", "--output", str(folder / "02/02.html")), "02.html", "02.ipynb"),
        "03": Plan(
            (
                "--demo",
                "--quiet",
                "--uuid",
                f"{STORY},{MISSING}",
                "--uuid",
                f"{RUNNING},not-a-uuid",
                "--param",
                "title=Ticket 4711",
            ),
            html="03_report.html",
            notebook="03_report.executed.ipynb",
            copy_notebook=True,
        ),
        "04": Plan(  # a token in the shell and a store of yours: --demo uses neither
            ("04", "--demo", "--quiet", "--output", "fleet.html"),
            html="fleet.html",
            notebook="fleet.ipynb",
            env={STORE_ENV_VAR: str(folder / "04" / "your-store"), TOKEN_ENV_VARS[0]: CANARY},
        ),
    }
    runs = ReportRuns(folder, plans)
    yield runs
    runs.close()


@dataclass(frozen=True)
class ServedReports:
    """Report runs against a loopback API that holds the canary token (``server``)."""

    runs: ReportRuns
    server: SimServer


def _served(server: SimServer) -> dict[str, str]:
    return {TOKEN_ENV_VARS[0]: CANARY, BASE_URL_ENV_VAR: server.url}


@pytest.fixture(scope="session")
def redacted_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedReports]:
    """The bundled notebooks with ``--redact`` on executions planted with personal data
    (``tests/redact_data.py``), served over loopback to the canary token, each once."""
    folder = tmp_path_factory.mktemp("redacted-reports")
    three = ",".join([EXEC_IMELDA, EXEC_WILL, EXEC_PRIYA])
    with SimServer(redact_data.executions(), token=CANARY) as server:
        env = _served(server)
        plans = {
            key: Plan(
                (key, "--redact", "--quiet", "--uuid", uuids, "--output", f"{key}.html"),
                html=f"{key}.html",
                notebook=f"{key}.ipynb",
                env=env,
            )
            for key, uuids in (("01", EXEC_IMELDA), ("02", three), ("03", three))
        }
        runs = ReportRuns(folder, plans)
        yield ServedReports(runs, server)
        runs.close()


@dataclass(frozen=True)
class HostileReports(ServedReports):
    """Report runs of hostile executions; ``beacon`` logs any request their remote URLs make."""

    beacon: Beacon
    texts: list[str]


@pytest.fixture(scope="session")
def hostile_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileReports]:
    """The bundled notebooks over a loopback API serving hostile executions (``tests/hostile.py``)
    to the canary token, each once: the escaping tests and the canary test read them.

    03 also asks for an execution that does not exist, and keeps its code in the HTML. (02 runs
    with the canary token in ``redacted_reports``.)
    """
    folder = tmp_path_factory.mktemp("hostile-reports")
    with Beacon() as beacon:
        payloads = hostile_executions(beacon.url)
        texts = corpus(beacon.url)
        chosen = ",".join(payloads[i]["uuid"] for i in (0, 1, 2, 4, 12, 16, 26, 28, 39, 46))
        with SimServer(payloads, token=CANARY) as server:
            env = _served(server)
            account = ("--param", "include_account=true")
            plans = {
                "01": Plan(("01", "--uuid", payloads[0]["uuid"], *account), "01.html", "01.ipynb"),
                "03": Plan(
                    (
                        "03",
                        "--uuid",
                        f"{chosen},{MISSING}",
                        "--show-code",
                        *account,
                        "--param",
                        "max_stories=3",
                        "--param",
                        f"title={json.dumps(texts[0])}",
                    ),
                    "03.html",
                    "03.ipynb",
                ),
            }
            plans = {
                key: Plan(
                    (*plan.args, "--quiet", "--output", plan.html), plan.html, plan.notebook, env
                )
                for key, plan in plans.items()
            }
            runs = ReportRuns(folder, plans)
            yield HostileReports(runs, server, beacon, texts)
            runs.close()


def readme_ticket_command() -> list[str]:
    """The README's ``plannr-nb report 03_report ...`` example, word by word."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```bash\n(.*?)```", readme, re.S) if "03_report" in b)
    return shlex.split(block.replace("\\\n", " ").splitlines()[0])


def _failing_notebook() -> str:
    """A notebook whose second cell raises ``RuntimeError: boom 1``."""
    book = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("raise RuntimeError('boom ' + str(x))"),
        ]
    )
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    book.metadata["language_info"] = {"name": "python"}
    return str(nbformat.writes(book))


#: Bad input for each bundled notebook taking UUIDs: (notebook, parameters); nothing fetched.
BAD_INPUTS: list[tuple[str, dict[str, Any]]] = [
    ("01_troubleshoot_execution", {"execution_uuid": "not-a-uuid"}),
    ("02_compare_executions", {"uuids": "not-a-uuid"}),
    ("03_report", {"uuids": ["not-a-uuid", MISSING]}),
    ("02_compare_executions", {"blueprint_uuid": "not-a-blueprint"}),
]


@pytest.fixture(scope="session")
def edge_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportRuns]:
    """Report runs that end badly, and the README's ticket example, each once, no token:

    ``unknown``: 01 --demo on an unknown UUID (exit 3); ``fails``: a notebook of ours whose
    cell raises (exit 1); ``readme``: the README's ``plannr-nb report 03_report ...`` command
    as written, in an empty folder; ``bad-0``... : ``BAD_INPUTS`` as ``--param`` (exit 3).
    """
    folder = tmp_path_factory.mktemp("edge-reports")
    quiet = ("--quiet", "--output", "r.html")
    plans = {
        "unknown": Plan(("01", "--demo", "--uuid", MISSING, *quiet), "r.html", "r.ipynb"),
        "fails": Plan(
            ("fails.ipynb", "--quiet", "--output", "f.html"),
            "f.html",
            "f.ipynb",
            files={"fails.ipynb": _failing_notebook()},
        ),
        "readme": Plan(tuple(readme_ticket_command()[2:]), "ticket-4711.html", "ticket-4711.ipynb"),
    }
    for i, (name, params) in enumerate(BAD_INPUTS):
        given = [f"--param={key}={json.dumps(value)}" for key, value in params.items()]
        plans[f"bad-{i}"] = Plan((name, *given, *quiet), "r.html", "r.ipynb")
    runs = ReportRuns(folder, plans)
    yield runs
    runs.close()


#: The shared runs above that end well, by fixture name.
SHARED_RUNS = ("demo_reports", "redacted_reports", "hostile_reports")
#: Every fixture of report runs.
REPORT_FIXTURES = (*SHARED_RUNS, "edge_reports")


@pytest.fixture(scope="session", autouse=True)
def _report_runs_start_early(request: pytest.FixtureRequest) -> None:
    """Make, at the first test, every fixture of report runs a selected test reads (by name,
    or as a parameter naming it), in the order they are first read: their runs go on in the
    background while the tests before them run. A fixture no selected test reads is not made."""
    wanted: list[str] = []
    for item in request.session.items:
        names = list(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            names += [value for value in callspec.params.values() if isinstance(value, str)]
        for name in names:
            if name in REPORT_FIXTURES and name not in wanted:
                wanted.append(name)
    for name in wanted:
        request.getfixturevalue(name)


# -- the browser marker ---------------------------------------------------------------------------

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

#: The token, base URL and quick retries the client tests share.
CLIENT_TOKEN = "test-token-123"
CLIENT_BASE = "https://plannr.test"
FAST_RETRIES: dict[str, Any] = {"retry_wait": (0.0005, 0.002)}


class TwinClient:
    """A PlannrClient or AsyncPlannrClient behind the blocking client's methods."""

    def __init__(self, client: PlannrClient | AsyncPlannrClient, run: Callable[[Any], Any]):
        self.raw = client
        self._run = run

    def get_execution(self, uuid: object, **options: Any) -> dict[str, Any]:
        """Like PlannrClient.get_execution."""
        return self._call("get_execution", uuid, **options)

    def list_executions(self, **options: Any) -> list[dict[str, Any]]:
        """Like PlannrClient.list_executions."""
        return self._call("list_executions", **options)

    def fetch_executions(self, uuids: Iterable[object] | str, **options: Any) -> Any:
        """Like PlannrClient.fetch_executions."""
        return self._call("fetch_executions", uuids, **options)

    def _call(self, name: str, *args: Any, **options: Any) -> Any:
        result = getattr(self.raw, name)(*args, **options)
        return self._run(result) if isinstance(self.raw, AsyncPlannrClient) else result

    def record_sleeps(self) -> list[float]:
        """The client skips its waits; the seconds asked for are recorded in the list."""
        return record_sleeps(self.raw)

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
