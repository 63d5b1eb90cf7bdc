"""Headless reports and the plannr-nb command, end to end; redaction; the canary token."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import polars as pl
import pytest

import plannr_nb as pnb
from plannr_nb.testing import SimServer

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "plannr_nb._cli"]
CANARY = "plannr-canary-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4e6f8"
STORY, RUNNING = pnb.DEMO_STORY_UUID, pnb.DEMO_RUNNING_UUID
MISSING = "00000000-0000-4000-8000-000000000000"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANNR_", "ACCESS_TOKEN"))}
    env.update(extra)
    return env


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env or _env(),
        cwd=cwd,
        check=False,
    )


def _assert_static_offline_html(html: str, book: nbformat.NotebookNode) -> None:
    """No script, nothing fetched from the network, a PNG for every chart."""
    assert "<script" not in html.lower()
    for attr in re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", html, re.I):
        assert attr.startswith(("data:", "#")) or not attr, attr
    assert not re.search(r"@import\s+url\(\s*['\"]?https?:", html)
    charts = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "application/vnd.vegalite.v5+json" in out.get("data", {})
    ]
    assert charts
    assert html.count("data:image/png;base64,") >= len(charts)


def test_help_says_it_all() -> None:
    """--help of the command and of each subcommand names the options."""
    top = _run("--help")
    assert top.returncode == 0
    assert "report" in top.stdout
    assert "lab" in top.stdout
    report = _run("report", "--help")
    words = ("--uuid", "--param", "--output", "--redact", "--demo", "03_report", "max_stories=")
    assert "sync" in top.stdout
    for word in words:
        assert word in report.stdout
    lab = _run("lab", "--help")
    assert "--dir" in lab.stdout


@pytest.mark.slow
def test_report_cli_end_to_end_offline(tmp_path: Path) -> None:
    """plannr-nb report 03_report --demo writes a static HTML and the executed notebook."""
    out = tmp_path / "out" / "report.html"
    result = _run(
        "report", "03_report", "--demo", "--uuid", f"{STORY},{MISSING}", "--uuid", RUNNING,
        "--param", "title=Ticket 4711", "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    html = out.read_text()
    book = nbformat.read(out.with_suffix(".ipynb"), as_version=4)
    _assert_static_offline_html(html, book)
    assert "Ticket 4711" in html
    assert "the account_uuid field is required" in html
    assert MISSING in html
    assert "NotFoundError" in html
    assert "Executing" in result.stderr  # progress is visible
    assert "def " not in html  # code hidden by default


@pytest.mark.slow
def test_fleet_report_offline_on_the_demo(tmp_path: Path) -> None:
    """plannr-nb report 04 --demo: the fleet's health as a static report, nothing kept."""
    out = tmp_path / "fleet.html"
    yours = tmp_path / "your-store"
    env = _env(PLANNR_NB_STORE=str(yours), PLANNR_ACCESS_TOKEN=CANARY)
    result = _run("report", "04", "--demo", "--quiet", "--output", str(out), env=env)
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    _assert_static_offline_html(html, nbformat.read(out.with_suffix(".ipynb"), as_version=4))
    assert re.search(r"Send SMS</strong> \(Send client welcome[^<]*\) started failing on", html)
    assert "Stalled runs, most overdue first" in html
    assert len(re.findall(r"plannr-nb report 01 --uuid [0-9a-f-]{36}", html)) >= 10
    assert not yours.exists()  # demo data never goes into your store
    assert CANARY not in html + out.with_suffix(".ipynb").read_text()


def test_report_rejects_what_the_notebook_does_not_take(tmp_path: Path) -> None:
    """Unknown notebooks and parameters fail fast, with a message and exit code 2."""
    missing = _run("report", "99_nothing", "--demo", "--output", str(tmp_path / "x.html"))
    assert missing.returncode == 2
    assert "01_troubleshoot_execution" in missing.stderr
    two = _run("report", "01", "--demo", "--uuid", STORY, "--uuid", RUNNING)
    assert two.returncode == 2
    assert "exactly one --uuid" in two.stderr
    bad = _run("report", "03", "--demo", "--param", "nonsense=1")
    assert bad.returncode == 2
    assert "no parameter nonsense" in bad.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_redacted_report_leaves_no_personal_data(tmp_path: Path) -> None:
    """--redact: no name, e-mail or phone number of the client anywhere in the output."""
    out = tmp_path / "redacted.html"
    result = _run(
        "report", "01", "--demo", "--uuid", STORY, "--redact",
        "--param", "include_account=true", "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    account = next(e for e in pnb.load_demo_executions() if e["uuid"] == STORY)["account"]
    secrets = [
        account["first_name"],
        account["last_name"],
        account["name"],
        account["email"],
        account["primary_email"]["email"],
        account["primary_phone_number"]["number"],
        account["referral_code"],
    ]
    written = (out.read_text() + out.with_suffix(".ipynb").read_text()).lower()
    for secret in secrets:
        assert secret.lower() not in written, secret
    assert "person 1" in written
    assert "redacted.invalid" in written


@pytest.mark.slow
def test_canary_token_never_written(tmp_path: Path) -> None:
    """Every notebook and the CLI, run with a real token over loopback: no byte holds it."""
    with SimServer(pnb.load_demo_executions(), token=CANARY) as server:
        env = _env(PLANNR_ACCESS_TOKEN=CANARY, PLANNR_BASE_URL=server.url)
        runs = [
            ("01", ["--uuid", STORY, "--param", "include_account=true"]),
            ("02", ["--uuid", f"{STORY},{RUNNING},{MISSING}"]),
            ("03", ["--uuid", f"{STORY},{RUNNING},{MISSING}", "--show-code"]),
        ]
        logs = []
        for name, args in runs:
            result = _run("report", name, *args, "--output", str(tmp_path / f"{name}.html"),
                          env=env, cwd=tmp_path)  # fmt: skip
            assert result.returncode == 0, result.stderr
            logs.append(result.stdout + result.stderr)
        authorised = [r for r in server.requests if r.status == 200]
        assert authorised, "the reports really used the token against the server"
        for request in authorised:
            headers = {k.lower(): v for k, v in request.headers.items()}
            assert headers["authorization"] == f"Bearer {CANARY}"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 6
    for path in written:
        assert CANARY.encode() not in path.read_bytes(), path
    for text in logs:
        assert CANARY not in text


def test_canary_not_in_widget_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """The explorer's widget state (what a saved notebook keeps) never holds the token."""
    with SimServer(pnb.load_demo_executions(), token=CANARY) as server:
        monkeypatch.setenv("PLANNR_ACCESS_TOKEN", CANARY)
        monkeypatch.setenv("PLANNR_BASE_URL", server.url)
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
    redactor = pnb.Redactor()
    r_ex, r_steps, r_acc = redactor.redact(executions, steps, accounts)
    assert accounts["email"][0] == email  # input not changed
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


def test_lab_opens_copies_of_the_notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """plannr-nb lab copies the bundled notebooks to a workspace and execs JupyterLab there."""
    from plannr_nb import _cli

    calls: list[list[str]] = []
    monkeypatch.setattr(_cli.os, "execv", lambda exe, argv: calls.append(argv))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNR_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("ACCESS_TOKEN", raising=False)
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
def test_report_never_overwrites_the_notebook_it_runs(tmp_path: Path) -> None:
    """A notebook run from its own folder keeps its bytes; the executed copy goes beside it."""
    source = tmp_path / "mine.ipynb"
    source.write_bytes((ROOT / "notebooks" / "03_report.ipynb").read_bytes())
    before = source.read_bytes()
    result = _run("report", str(source), "--demo", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert source.read_bytes() == before
    assert (tmp_path / "mine.html").exists()
    assert (tmp_path / "mine.executed.ipynb").exists()


@pytest.mark.slow
def test_an_unknown_uuid_is_reported_in_words_with_a_partial_report(tmp_path: Path) -> None:
    """An unknown UUID: exit 3 (nothing fetched), one line on stderr, the reason in the report."""
    out = tmp_path / "r.html"
    result = _run("report", "01", "--demo", "--quiet", "--uuid", MISSING, "--output", str(out))
    assert result.returncode == 3
    assert "none of the 1 input given could be fetched" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.exists()
    assert "NotFoundError" in out.read_text()
    assert MISSING in out.read_text()
