"""Issue 12, second part: nothing fetched, redaction in the explorer, wide tables, dates,
reports without interactive wording and with alt text."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import polars as pl
import pytest
from _html import parse
from conftest import BAD_INPUTS, ROOT, ReportRuns, readme_ticket_command

import plannr_nb as pnb
from plannr_nb._schemas import ACCOUNT_SCHEMA

STORY, RUNNING = pnb.DEMO_STORY_UUID, pnb.DEMO_RUNNING_UUID


@pytest.fixture(autouse=True)
def _no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PLANNR_ACCESS_TOKEN", "ACCESS_TOKEN", "PLANNR_NB_DEMO", "PLANNR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _payloads(*uuids: str) -> list[dict[str, Any]]:
    wanted = set(uuids)
    return [e for e in pnb.load_demo_executions() if e["uuid"] in wanted]


# wide tables ---------------------------------------------------------------------------------


def test_tables_scroll_in_their_own_block_and_keep_short_cells_on_one_line() -> None:
    """Every table sits in a block that scrolls sideways; short cells never wrap, long ones do."""
    _, steps, _ = pnb.build_frames(_payloads(STORY))
    long_text = "word " * 30
    frame = steps.select("name", "status").with_columns(note=pl.lit(long_text))
    html = pnb.table(frame)._repr_html_()
    assert re.search(r"\.plannr-table-wrap\{overflow-x:auto", html)
    parsed = parse(html)
    wraps = [attrs for tag, attrs in parsed.elements if tag == "div"]
    assert len(wraps) == 1
    assert "plannr-table-wrap" in wraps[0]["class"]
    assert "overflow-x:auto" in wraps[0]["style"]
    cells = [attrs.get("class") for tag, attrs in parsed.elements if tag == "td"]
    assert cells[:3] == ["plannr-short", "plannr-short", "plannr-long"]
    assert re.search(r"td\.plannr-short\{white-space:nowrap\}", html)
    assert re.search(r"td\.plannr-long\{[^}]*max-width:40em", html)


def test_repeated_uuids_are_short_with_the_full_one_as_title() -> None:
    """A UUID repeated on every step shows 8 characters and "…"; hovering shows all of it."""
    _, steps, _ = pnb.build_frames(_payloads(STORY, RUNNING))
    html = pnb.table(steps.select("execution_uuid", "name"))._repr_html_()
    parsed = parse(html)
    titled = [attrs["title"] for tag, attrs in parsed.elements if tag == "td" and "title" in attrs]
    assert set(titled) == {STORY, RUNNING}
    assert f">{STORY[:8]}\N{HORIZONTAL ELLIPSIS}</td>" in html
    assert f">{STORY}<" not in html
    # distinct UUIDs (one row per execution) stay whole unless asked
    executions, _, _ = pnb.build_frames(_payloads(STORY, RUNNING))
    whole = pnb.table(executions.select("execution_uuid", "name"))._repr_html_()
    assert f">{STORY}</td>" in whole
    short = pnb.table(executions.select("execution_uuid"), short_uuids=True)._repr_html_()
    assert f">{STORY[:8]}\N{HORIZONTAL ELLIPSIS}</td>" in short
    never = pnb.table(steps.select("execution_uuid"), short_uuids=False)._repr_html_()
    assert "title=" not in never


def test_the_report_sanitizer_keeps_what_wide_tables_need() -> None:
    """Title attributes, the block's class and its overflow style survive sanitize_report."""
    from plannr_nb._report import sanitize_report

    _, steps, _ = pnb.build_frames(_payloads(STORY))
    body = pnb.table(steps.select("execution_uuid", "name"))._repr_html_()
    page = sanitize_report(f"<html><body>{body}</body></html>", title="t")
    assert 'class="plannr-table-wrap' in page
    assert "overflow-x:auto" in page
    assert f'title="{STORY}"' in page
    head = page.split("</head>")[0]
    assert ".plannr-table-wrap{overflow-x:auto" in head


# dates -----------------------------------------------------------------------------------------


def test_review_dates_are_dates_in_every_zone() -> None:
    """A review due at BST midnight stays that day, shown as a date, even in UTC."""
    payload = _payloads(STORY)[0]
    payload = json.loads(json.dumps(payload))
    payload["account"]["next_review_date"] = "2026-06-08T00:00:00+01:00"
    accounts = pnb.accounts_frame([payload])
    assert ACCOUNT_SCHEMA["next_review_date"] == pl.Date()
    assert accounts["next_review_date"][0] == date(2026, 6, 8)
    for tz in ("UTC", "Europe/London", "America/New_York"):
        rows = pnb.table(accounts.select("next_review_date"), tz=tz).rows()
        assert rows == [["2026-06-08"]]


# the explorer: redaction and the raw JSON box --------------------------------------------------


def _shown(explorer: pnb.ExecutionExplorer) -> str:
    return json.dumps([o.outputs for o in explorer.outputs.values()], default=str) + (
        explorer.status.value
    )


def _people(payloads: list[dict[str, Any]]) -> list[str]:
    found = []
    for payload in payloads:
        account = payload.get("account") or {}
        found += [account.get(k) for k in ("name", "first_name", "last_name", "email")]
    return [text for text in found if text]


def test_explorer_redacts_every_tab_and_hides_raw_json() -> None:
    """redact=True: no account's name or e-mail in any tab, the frames are masked, no raw JSON."""
    explorer = pnb.ExecutionExplorer(uuids=[STORY, RUNNING], fetch=True, redact=True)
    assert explorer.redact.value
    people = _people(explorer.payloads)
    assert len(people) >= 6, "redaction fetched the accounts"
    shown = _shown(explorer)
    for text in people:
        assert text not in shown, text
    assert "Person 1" in shown
    assert "Raw JSON is hidden" in shown
    assert "Redacted." in explorer.status.value
    assert explorer.executions["account_name"].to_list()[0].startswith("Person ")
    assert explorer.accounts.height == 0  # the accounts table was not asked for
    # unticking shows the data again (the user's own kernel), ticking masks it again
    explorer.redact.value = False
    assert any(text in _shown(explorer) for text in people)
    explorer.redact.value = True
    assert not any(text in _shown(explorer) for text in people)


def test_explorer_raw_json_scrolls_in_a_box_of_limited_height() -> None:
    """The Raw JSON tab is a box of at most 480 px that scrolls, however many runs."""
    explorer = pnb.ExecutionExplorer(uuids=[STORY, RUNNING], fetch=True)
    raw = _shown_tab(explorer, "Raw JSON")
    assert re.search(r"<pre class='plannr-raw-json' style='max-height:480px;overflow:auto", raw)
    assert STORY in raw


def _shown_tab(explorer: pnb.ExecutionExplorer, name: str) -> str:
    return json.dumps(explorer.outputs[name].outputs, default=str).replace('\\"', '"')


# nothing fetched ---------------------------------------------------------------------------------

MISSING = "00000000-0000-4000-8000-000000000000"


def test_show_not_fetched_says_why_and_stops_only_when_nothing_was_fetched(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """All fetched: silent. Some missing: counted. None: the reasons, then NothingFetchedError."""
    pnb.show_not_fetched({}, fetched=2)
    assert capsys.readouterr().out == ""
    hostile = "<img src=x onerror=alert(1)>"
    errors = {MISSING: pnb.InvalidUUIDError("gone"), hostile: "why not"}
    pnb.show_not_fetched(errors, fetched=3)
    shown = capsys.readouterr().out
    assert "2 of 5 executions could not be fetched" in shown
    with pytest.raises(pnb.NothingFetchedError) as caught:
        pnb.show_not_fetched(errors, fetched=0)
    assert caught.value.requested == 2
    assert "Nothing could be fetched" in capsys.readouterr().out
    assert "check the UUIDs" in str(caught.value)
    assert isinstance(caught.value, pnb.PlannrError)
    # in a notebook it shows as one line, not a traceback
    assert caught.value._render_traceback_() == [f"NothingFetchedError: {caught.value}"]


def test_the_reasons_table_escapes_what_it_shows() -> None:
    """Inputs and messages are text in the reasons table, and a redactor masks them."""
    from plannr_nb._tables import errors_frame

    hostile = "<img src=x onerror=alert(1)>"
    frame = errors_frame({hostile: pnb.InvalidUUIDError(f"{hostile} jane@example.com")})
    html = pnb.table(frame)._repr_html_()
    assert "<img" not in html
    assert "&lt;img src=x" in html
    masked = errors_frame({"x": "mail jane@example.com"}, mask=pnb.Redactor().text)
    assert "jane@example.com" not in masked["what happened"][0]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "params"), BAD_INPUTS, ids=lambda v: str(v)[:24])
def test_every_notebook_says_in_words_that_nothing_was_fetched(
    name: str, params: dict[str, Any], edge_reports: ReportRuns
) -> None:
    """plannr-nb report (papermill) with bad input: exit 3, the reasons per input, then
    NothingFetchedError as one line; no TypeError."""
    run = edge_reports[f"bad-{BAD_INPUTS.index((name, params))}"]
    assert run.result.returncode == 3, run.result.stderr
    book = run.notebook
    text = json.dumps([o for c in book.cells if c.cell_type == "code" for o in c.outputs])
    assert "Nothing could be fetched" in text
    assert "InvalidUUIDError" in text
    for value in params.values():
        for item in value if isinstance(value, list) else [value]:
            assert item in text
    assert "TypeError" not in text
    assert "One execution" not in text
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert len(errors) == 1
    assert errors[0].ename == "NothingFetchedError"
    assert errors[0].traceback == [f"NothingFetchedError: {errors[0].evalue}"]


# plannr-nb report: exit status, interactive wording, alt text ------------------------------------


@pytest.mark.slow
def test_report_exits_3_when_nothing_was_fetched(edge_reports: ReportRuns) -> None:
    """plannr-nb report 02 on a mistyped UUID: exit 3, a sentence on stderr, the report says
    why (the run of ``BAD_INPUTS``' 02 with ``uuids``)."""
    run = edge_reports[
        f"bad-{BAD_INPUTS.index(('02_compare_executions', {'uuids': 'not-a-uuid'}))}"
    ]
    result = run.result
    assert result.returncode == 3, result.stderr
    assert "none of the 1 input given could be fetched" in result.stderr
    assert str(run.html_path) in result.stderr
    assert "Traceback" not in result.stderr
    html = run.html
    assert "Nothing could be fetched" in html
    assert "not-a-uuid" in html
    assert "InvalidUUIDError" in html
    assert "TypeError" not in html


@pytest.mark.slow
def test_report_names_how_many_were_not_fetched(demo_reports: ReportRuns) -> None:
    """Some fetched: exit 0, "2 of 4 executions could not be fetched" on stderr and in words
    (03 on two executions, an unknown UUID and a mistyped one)."""
    run = demo_reports["03"]
    result = run.result
    assert result.returncode == 0, result.stderr
    assert "2 of 4 executions could not be fetched: see the report" in result.stderr
    html = run.html
    assert "2 of 4 executions could not be fetched" in html
    assert "NotFoundError" in html
    assert "InvalidUUIDError" in html


@pytest.mark.slow
def test_a_failing_cell_still_exits_1(edge_reports: ReportRuns) -> None:
    """A cell that fails for another reason: exit 1, its error on stderr, a partial report."""
    run = edge_reports["fails"]  # our own notebook: x = 1, then raise RuntimeError('boom ' ...)
    assert run.result.returncode == 1
    assert "RuntimeError: boom 1" in run.result.stderr
    assert run.html_path.exists()


INTERACTIVE_WORDING = (
    "Drag to pan",
    "drag to pan",
    "Put an execution UUID",
    "parameters cell",
    "Explore interactively",
    "press **Fetch**",
    "Fetch</strong>",
    "An interactive explorer was shown here",
)


@pytest.mark.slow
def test_reports_carry_no_interactive_instructions(demo_reports: ReportRuns) -> None:
    """The report of notebook 01 keeps its story and charts but no instructions for Lab."""
    html = demo_reports["01"].html  # on the demo, with the account
    assert "Timeline" in html
    assert "wait since the previous step" in html
    for words in INTERACTIVE_WORDING:
        assert words not in html, words
    # the executed notebook keeps them: it is for opening in JupyterLab
    import nbformat

    book_tags = [c.metadata.get("tags", []) for c in nbformat.read(
        ROOT / "notebooks" / "01_troubleshoot_execution.ipynb", as_version=4).cells]  # fmt: skip
    assert sum("interactive-only" in tags for tags in book_tags) == 4


@pytest.mark.slow
def test_report_chart_images_have_alt_text(demo_reports: ReportRuns) -> None:
    """Every chart picture in a report has alternative text: the chart's title and subtitle."""
    run = demo_reports["01"]
    html = run.html
    images = re.findall(r"<img\b[^>]*>", html)
    assert images
    for image in images:
        alt = re.search(r'\balt="([^"]*)"', image)
        assert alt, image[:200]
        assert alt[1].startswith("Chart: "), alt[1]
    assert any("Marks: executed_at" in image for image in images)
    assert "Alternative text is missing" not in run.result.stderr
    assert "No description has been provided" not in html


@pytest.mark.slow
def test_the_readme_ticket_example_is_true(edge_reports: ReportRuns) -> None:
    """The README's `plannr-nb report 03_report ...` command runs as written and reads well."""
    command = readme_ticket_command()
    assert command[:3] == [".venv/bin/plannr-nb", "report", "03_report"]
    run = edge_reports["readme"]  # that command, from an empty folder
    result = run.result
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("could not be fetched") == 0
    html = run.html
    assert "An interactive explorer was shown here" not in html
    assert "(redacted)" in html
    assert "Nothing could be fetched" not in html
    assert html.count("<img") >= 3


def test_reports_keep_a_note_for_the_explorer_and_drop_progress_bars() -> None:
    """In a report, an explorer becomes a note; a progress bar widget leaves nothing behind."""
    import nbformat

    from plannr_nb._report import _strip_widgets

    widget = "application/vnd.jupyter.widget-view+json"
    explorer = pnb.ExecutionExplorer()
    bundle = explorer._repr_mimebundle_()
    assert widget in bundle
    bar = {widget: {"model_id": "x"}, "text/plain": "HBox(children=(HTML(value='50%'),))"}
    outputs = [
        nbformat.v4.new_output("display_data", data=bundle),
        nbformat.v4.new_output("display_data", data=bar),
    ]
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    _strip_widgets(book)
    kept = book.cells[0].outputs
    assert len(kept) == 1
    assert "An interactive explorer was shown here" in kept[0].data["text/html"]
