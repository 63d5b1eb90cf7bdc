"""Headless reports and the plannr-nb command, end to end; redaction; the canary token."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import polars as pl
import pytest
from conftest import (
    CANARY,
    MISSING,
    ROOT,
    STORY,
    VEGA,
    HostileReports,
    ReportRuns,
    ServedReports,
    SimServer,
    outputs,
    run_cli,
)
from polars.testing import assert_frame_equal

import plannr_nb as pnb


def _assert_static_offline_html(html: str, book: nbformat.NotebookNode) -> None:
    """No script, nothing fetched from the network, a PNG for every chart."""
    assert "<script" not in html.lower()
    for attr in re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", html, re.I):
        assert attr.startswith(("data:", "#")) or not attr, attr
    assert not re.search(r"@import\s+url\(\s*['\"]?https?:", html)
    charts = [out for out in outputs(book) if VEGA in out.get("data", {})]
    assert charts
    assert html.count("data:image/png;base64,") >= len(charts)


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from plannr_nb import _cli

    with pytest.raises(SystemExit) as exit_:
        _cli.main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_help_says_it_all(capsys: pytest.CaptureFixture[str]) -> None:
    """--help of the command and of each subcommand names the options."""
    top = _help(capsys)
    assert "report" in top
    assert "lab" in top
    report = _help(capsys, "report")
    words = ("--uuid", "--param", "--output", "--redact", "--demo", "03_report", "max_stories=")
    assert "sync" in top
    for word in words:
        assert word in report
    assert "--dir" in _help(capsys, "lab")


@pytest.mark.slow
def test_report_cli_end_to_end_offline(demo_reports: ReportRuns) -> None:
    """plannr-nb report --demo writes a static HTML and the executed notebook, offline."""
    run = demo_reports["03"]  # --uuid twice, one missing, a title
    assert run.result.returncode == 0, run.result.stderr
    _assert_static_offline_html(run.html, run.notebook)
    assert "Ticket 4711" in run.html
    assert "the account_uuid field is required" in run.html
    assert MISSING in run.html
    assert "NotFoundError" in run.html
    assert "def " not in run.html  # code hidden by default
    first = demo_reports["01"]  # into a folder that did not exist, with progress shown
    assert first.result.returncode == 0, first.result.stderr
    assert f"Report: {first.html_path}" in first.result.stdout
    assert f"Executed notebook: {first.notebook_path}" in first.result.stdout
    assert "Executing" in first.result.stderr
    _assert_static_offline_html(first.html, first.notebook)
    assert "Executing" not in run.result.stderr  # --quiet


@pytest.mark.slow
def test_fleet_report_offline_on_the_demo(demo_reports: ReportRuns) -> None:
    """plannr-nb report 04 --demo: the fleet's health as a static report, nothing kept."""
    run = demo_reports["04"]  # with a token and PLANNR_NB_STORE in the environment
    assert run.result.returncode == 0, run.result.stderr
    html = run.html
    _assert_static_offline_html(html, run.notebook)
    assert re.search(r"Send SMS</strong> \(Send client welcome[^<]*\) started failing on", html)
    assert "Stalled runs, most overdue first" in html
    assert len(re.findall(r"plannr-nb report 01 --uuid [0-9a-f-]{36}", html)) >= 10
    assert not (run.folder / "your-store").exists()  # demo data never goes into your store
    assert CANARY not in html + run.notebook_path.read_text()


def test_report_rejects_what_the_notebook_does_not_take(tmp_path: Path) -> None:
    """Unknown notebooks and parameters fail fast, with a message and exit code 2."""
    missing = run_cli("report", "99_nothing", "--demo", "--output", str(tmp_path / "x.html"))
    assert missing.returncode == 2
    assert "01_troubleshoot_execution" in missing.stderr
    two = run_cli("report", "01", "--demo", "--uuid", STORY, "--uuid", pnb.DEMO_RUNNING_UUID)
    assert two.returncode == 2
    assert "exactly one --uuid" in two.stderr
    bad = run_cli("report", "03", "--demo", "--param", "nonsense=1")
    assert bad.returncode == 2
    assert "no parameter nonsense" in bad.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_canary_token_never_written(
    hostile_reports: HostileReports, redacted_reports: ServedReports
) -> None:
    """Every notebook through the CLI with the canary token over loopback (01 and 03 on hostile
    data, code shown, an unknown UUID; 01-03 redacted): the token was sent, and no byte
    written or printed holds it."""
    for served in (hostile_reports, redacted_reports):
        runs = served.runs.all()
        for run in runs:
            assert run.result.returncode == 0, run.result.stderr
        authorised = [r for r in served.server.requests if r.status == 200]
        assert authorised, "the reports really used the token against the server"
        for request in authorised:
            headers = {k.lower(): v for k, v in request.headers.items()}
            assert headers["authorization"] == f"Bearer {CANARY}"
        for run in runs:
            written = run.written()
            assert {p.suffix for p in written} == {".html", ".ipynb"}
            for path in written:
                assert CANARY.encode() not in path.read_bytes(), path
            assert CANARY not in run.log
    asked = [r for r in hostile_reports.server.requests if r.status == 200]
    assert any(MISSING in r.uuid_filter for r in asked)
    assert {key for key in redacted_reports.runs} == {"01", "02", "03"}


def test_canary_not_in_widget_state(clean_env: pytest.MonkeyPatch) -> None:
    """The explorer's widget state (what a saved notebook keeps) never holds the token."""
    with SimServer(pnb.load_demo_executions(), token=CANARY) as server:
        clean_env.setenv("PLANNR_ACCESS_TOKEN", CANARY)
        clean_env.setenv("PLANNR_BASE_URL", server.url)
        explorer = pnb.ExecutionExplorer(uuids=f"{STORY} {MISSING}", fetch=True)
        assert explorer.executions.height == 1
    states = json.dumps(
        [w.get_state() for w in explorer.widget.children], default=str
    ) + json.dumps([o.outputs for o in explorer.outputs.values()], default=str)
    assert CANARY not in states
    assert CANARY not in repr(explorer) + repr(explorer.client)
    assert all(CANARY not in repr(e) + str(e) for e in explorer.errors.values())


def test_redact_is_consistent_across_frames() -> None:
    """One redactor: the same person gets the same pseudonym in every frame; input untouched."""
    payloads = [e for e in pnb.load_demo_executions() if e.get("account")][:12]
    executions, steps, accounts = pnb.build_frames(payloads)
    email = accounts["email"][0]
    steps = steps.with_columns(
        info=pl.lit(f"Bounced: {email}, call 07700 900123, NI AB 12 34 56 C, SW1A 1AA")
    )
    before = [frame.clone() for frame in (executions, steps, accounts)]
    redactor = pnb.Redactor()
    r_ex, r_steps, r_acc = redactor.redact(executions, steps, accounts)
    for frame, kept in zip((executions, steps, accounts), before, strict=True):
        assert_frame_equal(frame, kept)  # in-place edits (columns, insert_column) would show
    by_uuid = dict(zip(r_acc["account_uuid"], r_acc["name"], strict=True))
    for uuid, name in zip(r_ex["account_uuid"], r_ex["account_name"], strict=True):
        assert name == by_uuid[uuid]
        assert name.startswith("Person ")
    info = r_steps["info"][0]
    assert email not in info
    assert r_acc.filter(pl.col("account_uuid") == accounts["account_uuid"][0])["email"][0] in info
    for secret in ("07700 900123", "AB 12 34 56 C", "SW1A 1AA"):
        assert secret not in info
    single = pnb.redact(accounts)
    assert set(single["name"]).isdisjoint(set(accounts["name"]))
    assert single["account_uuid"].to_list() == accounts["account_uuid"].to_list()


def test_lab_opens_copies_of_the_notebooks(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    """plannr-nb lab copies the bundled notebooks to a workspace and execs JupyterLab there."""
    from plannr_nb import _cli

    calls: list[list[str]] = []
    clean_env.setattr(os, "execv", lambda exe, argv: calls.append(argv))
    clean_env.chdir(tmp_path)
    assert _cli.main(["lab", "--no-browser", "--port", "8123"]) == 0
    workspace = tmp_path / "plannr-notebooks"
    assert sorted(p.name for p in workspace.glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    (workspace / "01_troubleshoot_execution.ipynb").write_text("{}")  # the user's own edits
    _cli.main(["lab"])
    assert (workspace / "01_troubleshoot_execution.ipynb").read_text() == "{}"
    command = calls[0]
    assert command[1:4] == ["-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={workspace}" in command
    assert "--no-browser" in command
    assert "8123" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)


def test_redact_masks_households_and_names_beside_addresses() -> None:
    """Circles (family names) are masked; "Jane Doe <jane@...>" loses the name too."""
    payloads = [e for e in pnb.load_demo_executions() if e.get("account")][:20]
    executions, steps, accounts = pnb.build_frames(payloads)
    circles = [c for c in accounts["circles"].drop_nulls().to_list() if c]
    assert circles
    steps = steps.with_columns(info=pl.lit("Email to Zara Quinton <zq@example.com> bounced"))
    _, r_steps, r_acc = pnb.Redactor().redact(executions, steps, accounts)
    assert set(r_acc["circles"].drop_nulls()).isdisjoint(circles)
    assert "Zara" not in r_steps["info"][0]
    assert "zq@example.com" not in r_steps["info"][0]
    phones = accounts["primary_phone_number"].drop_nulls().to_list()
    masked = " ".join(r_acc["primary_phone_number"].drop_nulls().to_list())
    assert phones
    assert not any(phone in masked for phone in phones)  # no pseudonym is a real number


@pytest.mark.slow
def test_report_never_overwrites_the_notebook_it_runs(demo_reports: ReportRuns) -> None:
    """A notebook run from its own folder keeps its bytes; the executed copy goes beside it."""
    run = demo_reports["03"]  # a copy of 03_report.ipynb, run by path from its folder
    assert run.result.returncode == 0, run.result.stderr
    source = run.folder / "03_report.ipynb"
    assert source.read_bytes() == (ROOT / "notebooks" / "03_report.ipynb").read_bytes()
    assert sorted(p.name for p in run.written()) == [
        "03_report.executed.ipynb",
        "03_report.html",
        "03_report.ipynb",
    ]


@pytest.mark.slow
def test_an_unknown_uuid_is_reported_in_words_with_a_partial_report(
    edge_reports: ReportRuns,
) -> None:
    """An unknown UUID: exit 3 (nothing fetched), one line on stderr, the reason in the report."""
    run = edge_reports["unknown"]  # 01 --demo --uuid MISSING
    result = run.result
    assert result.returncode == 3
    assert "none of the 1 input given could be fetched" in result.stderr
    assert "Traceback" not in result.stderr
    assert run.html_path.exists()
    assert "NotFoundError" in run.html
    assert MISSING in run.html
