"""What a newcomer meets first: charts that show offline anywhere, UUIDs in every form, a quiet
command line, demo data of today, reports whose kernel stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from contextlib import suppress
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import ROOT, SHARED_RUNS, STORY, ReportRuns, run_python

import plannr_nb as pnb

HEX = STORY.replace("-", "")
BLUEPRINT = pnb.DEMO_BLUEPRINT_UUIDS["Send client welcome pack to newly created client"]
LINK = f"https://app.plannrcrm.com/automations/blueprints/{BLUEPRINT}/executions/{STORY.upper()}"
FORMS = [STORY, STORY.upper(), f"{{{STORY}}}", f"urn:uuid:{STORY}", HEX, HEX.upper(), LINK]


# -- the renderer -------------------------------------------------------------------------------


def test_charts_module_enables_the_plannr_renderer_when_altair_is_default() -> None:
    """A fresh interpreter: drawing with plannr_nb switches altair's default renderer to ours."""
    result = run_python(
        "import altair as alt; assert alt.renderers.active == 'default'\n"
        "import plannr_nb as pnb; pnb.gantt\n"
        "print(alt.renderers.active)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "plannr"


def test_a_renderer_the_user_chose_is_kept() -> None:
    """A user who enabled another renderer before importing plannr_nb keeps it."""
    result = run_python(
        "import altair as alt; alt.renderers.enable('svg')\n"
        "import plannr_nb as pnb; pnb.gantt; pnb.step_stats_chart\n"
        "print(alt.renderers.active)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "svg"


# -- one UUID parser ----------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_every_entry_point_takes_every_uuid_form(form: str) -> None:
    """The client, fetch_executions, explain and the explorer's parser take the same forms."""
    assert pnb.normalize_uuid(form) == STORY
    assert [e.uuid for e in pnb.parse_uuid_text(form)] == [STORY]
    with pnb.PlannrClient.demo() as client:
        assert client.get_execution(form)["uuid"] == STORY
        batch = client.fetch_executions([form])
    assert [e["uuid"] for e in batch.executions] == [STORY]
    assert not batch.errors
    executions, steps, _ = pnb.build_frames(batch.executions)
    assert f"Execution `{STORY}`" in pnb.explain(form, executions, steps)


def test_a_link_gives_the_uuid_of_the_kind_asked_for() -> None:
    """A link naming a blueprint and an execution: the execution, or the blueprint if asked."""
    assert pnb.normalize_uuid(LINK) == STORY
    assert pnb.normalize_uuid(LINK, kind="blueprint") == BLUEPRINT
    only_blueprint = f"https://app.plannrcrm.com/automations/blueprints/{BLUEPRINT}"
    assert pnb.normalize_uuid(only_blueprint, kind="blueprint") == BLUEPRINT
    with pytest.raises(pnb.InvalidUUIDError, match="names a blueprint"):
        pnb.normalize_uuid(only_blueprint, kind="execution")


def test_invalid_uuids_are_worded_by_what_was_expected() -> None:
    """Execution, blueprint, or neutral: the message says which, and which forms are accepted."""
    with pytest.raises(pnb.InvalidUUIDError, match="is not an execution UUID") as info:
        pnb.normalize_uuid("nope", kind="execution")
    assert "32 digits without hyphens" in str(info.value)
    assert "links of the Plannr app" in str(info.value)
    with pytest.raises(pnb.InvalidUUIDError, match="is not a blueprint UUID"):
        pnb.normalize_uuid("nope", kind="blueprint")
    with pytest.raises(pnb.InvalidUUIDError, match="execution or a blueprint"):
        pnb.normalize_uuid("nope")
    (entry,) = pnb.parse_uuid_text("nope")
    assert "is not an execution UUID" in str(entry.error)


def test_explain_refuses_invalid_text_and_reports_a_missing_execution() -> None:
    """explain(): invalid text is an InvalidUUIDError, a valid unknown UUID a KeyError."""
    executions, steps, _ = pnb.build_frames(pnb.load_demo_executions()[:3])
    with pytest.raises(pnb.InvalidUUIDError, match="not an execution UUID"):
        pnb.explain("not-a-uuid", executions, steps)
    with pytest.raises(KeyError):
        pnb.explain(STORY, executions.clear(), steps)


def test_table_of_a_pandas_frame_is_a_clear_type_error() -> None:
    """pnb.table(pandas_frame) says to convert with polars.from_pandas."""
    pandas = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match=r"polars DataFrame, not DataFrame: pl\.from_pandas"):
        pnb.table(pandas.DataFrame({"a": [1]}))
    assert pnb.table(pl.from_pandas(pandas.DataFrame({"a": [1]}))).rows() == [["1"]]


# -- the command line ---------------------------------------------------------------------------


def test_help_imports_neither_papermill_nor_nbconvert() -> None:
    """plannr-nb --help and report --help stay fast: the parameters are read with ast."""
    result = run_python(
        "import sys\n"
        "from plannr_nb import _cli\n"
        "for argv in (['--help'], ['report', '--help'], ['lab', '--help']):\n"
        "    try:\n"
        "        _cli.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('papermill', 'nbconvert', 'nbclient', 'polars', 'altair'))\n"
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stderr
    assert "tz=None" in result.stdout  # the bundled notebooks' parameters (None: pnb.options.tz)
    assert "execution_uuid=None" in result.stdout


def test_notebook_parameters_match_papermill() -> None:
    """The ast reading of the parameters cell names what papermill finds, with its defaults."""
    import papermill

    from plannr_nb._cli import bundled_notebooks, notebook_parameters

    for path in bundled_notebooks():
        ours = notebook_parameters(path)
        theirs = papermill.inspect_notebook(str(path))
        assert list(ours) == list(theirs)
        assert {k: v.replace("'", '"') for k, v in ours.items()} == {
            k: str(v["default"]).replace("'", '"') for k, v in theirs.items()
        }


def test_lab_says_copies_were_kept_and_passes_jupyterlab_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second `lab` keeps the user's copies and says how to refresh; unknown options pass."""
    from plannr_nb import _cli

    calls: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda exe, argv: calls.append(argv))
    monkeypatch.chdir(tmp_path)
    _cli.main(["lab", "--no-browser"])
    assert "4 copied" in capsys.readouterr().out
    _cli.main(["lab", "--ServerApp.ip=127.0.0.2", "--allow-root", "--", "--debug"])
    out = capsys.readouterr().out
    assert "Kept 4 existing copies" in out
    assert "--refresh" in out
    command = calls[-1]
    assert "--ServerApp.ip=127.0.0.2" in command
    assert "--debug" in command
    assert "--" not in command
    assert command.count("--allow-root") == 1
    with pytest.raises(SystemExit):
        _cli.main(["report", "01", "--no-such-option"])


@pytest.mark.slow
def test_lab_starts_without_the_news_pop_up(tmp_path: Path) -> None:
    """JupyterLab opened by `plannr-nb lab` has news off by default (no first-start pop-up)."""
    from _jupyter_server import _get, _server_env, free_port

    port = free_port()
    env = _server_env(tmp_path / "home")
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("plannr-nb")),
            "lab",
            "--dir",
            str(tmp_path / "ws"),
            "--no-browser",
            "--port",
            str(port),
            "--ServerApp.token=",
            "--ServerApp.port_retries=0",
            f"--LabApp.user_settings_dir={tmp_path / 'user-settings'}",
            "--LabApp.news_url=None",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/apputils-extension:notification"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                settings = json.loads(_get(url))
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "lab.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()
                time.sleep(0.3)
        # "none" is what makes JupyterLab ask "Would you like to get notified about news?"
        # Lab computes the setting from the user's value (none here) over the schema's default.
        assert "fetchNews" not in settings["settings"]
        assert settings["schema"]["properties"]["fetchNews"]["default"] == "false"
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


# -- reports ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("shared", SHARED_RUNS)
def test_reports_shut_their_kernel_down_without_a_keyboard_interrupt(
    shared: str, request: pytest.FixtureRequest
) -> None:
    """Every shared report run, nine in all (one in eight used to show it): no
    "KeyboardInterrupt caught in kernel", no kernel error on stderr."""
    found = request.getfixturevalue(shared)
    runs = found.all() if isinstance(found, ReportRuns) else found.runs.all()
    for run in runs:
        # The kernel inherits the command's stderr: run() read it to the end, kernel included.
        assert run.result.returncode == 0, run.result.stderr
        assert "KeyboardInterrupt" not in run.result.stderr, run.result.stderr
        assert "ERROR" not in run.result.stderr, run.result.stderr


# -- scripts ------------------------------------------------------------------------------------


@pytest.fixture
def bootstrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[str]]:
    """scripts/_bootstrap.py on a project in tmp_path; the pip commands it would run."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import _bootstrap
    finally:
        sys.path.pop(0)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    ran: list[str] = []
    monkeypatch.setattr(_bootstrap, "ROOT", tmp_path)
    monkeypatch.setattr(_bootstrap, "BIN", venv / "bin")
    monkeypatch.setattr(_bootstrap, "STAMPS", venv / ".plannr-nb-installed")
    monkeypatch.setattr(_bootstrap, "_run", lambda *c: ran.append(" ".join(map(str, c[2:]))))
    return _bootstrap, ran


def _installs(ran: list[str]) -> list[str]:
    return [r.removeprefix("pip install --quiet ") for r in ran if " -e " in r]


def test_bootstrap_installs_runtime_for_lab_and_adds_the_test_extra_for_tests(
    bootstrap: tuple[Any, list[str]], tmp_path: Path
) -> None:
    """lab.py installs `-e .`; test.py `-e .[test]`; each once per pyproject.toml."""
    module, ran = bootstrap
    module.ensure_venv()
    module.ensure_venv()
    assert _installs(ran) == ["-e ."]
    module.ensure_venv(("test",))
    module.ensure_venv(("test",))
    module.ensure_venv()  # the runtime is part of what the test extra installed
    assert _installs(ran) == ["-e .", "-e .[test]"]
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    module.ensure_venv()
    assert _installs(ran)[-1] == "-e ."


def test_bootstrap_installs_the_pinned_versions_and_refreshes_them_in_one_command(
    bootstrap: tuple[Any, list[str]], tmp_path: Path
) -> None:
    """With constraints.txt, pip gets `-c constraints.txt`; a new pin installs again; the
    refresh installs without pins and writes pip freeze (editable plannr-nb left out)."""
    module, ran = bootstrap
    pins = tmp_path / "constraints.txt"
    pins.write_text("polars==2.0.0\n")
    module.ensure_venv(("test",))
    module.ensure_venv(("test",))
    assert _installs(ran) == ["-c constraints.txt -e .[test]"]
    pins.write_text("polars==2.0.1\n")
    module.ensure_venv(("test",))
    assert len(_installs(ran)) == 2

    frozen = subprocess.CompletedProcess([], 0, stdout="polars==2.1.0\nnh3==0.3.0\n")
    ran.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(module.subprocess, "run", lambda command, **kw: frozen)
        module.refresh_constraints()
    assert _installs(ran) == ["-e .[test]"]  # no pins: a new dependency may need others
    text = pins.read_text()
    assert text.endswith("polars==2.1.0\nnh3==0.3.0\n")
    assert "python3 scripts/_bootstrap.py --refresh-constraints" in text
    module.ensure_venv(("test",))  # the venv is what the new pins say: nothing to install
    assert _installs(ran) == ["-e .[test]"]


def test_the_constraints_pin_every_dependency_but_not_plannr_nb() -> None:
    """constraints.txt pins each runtime and test dependency to one version, and not us."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [
        line
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    pinned = {}
    for line in lines:
        name, sep, version = line.partition("==")
        assert sep == "==", line
        assert version, line
        pinned[re.sub(r"[-_.]+", "-", name).lower()] = version
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ \[]", spec)[0]).lower() for spec in wanted}
    assert sorted(names - set(pinned)) == []
    assert "plannr-nb" not in pinned
