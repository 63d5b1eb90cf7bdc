"""Redaction: every text column, every UK format, one number per person, counted; reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import polars as pl
import pytest
from conftest import CANARY, ServedReports
from polars.testing import assert_frame_equal
from redact_data import (
    EXEC_IMELDA,
    EXEC_PRIYA,
    EXEC_WILL,
    IMELDA,
    ORDINARY,
    PLANTED,
    PRIYA,
    WILL,
    executions,
    secrets,
)

import plannr_nb as pnb


def _frames_text(*frames: pl.DataFrame) -> str:
    return json.dumps([f.to_dicts() for f in frames], default=str, ensure_ascii=False)


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    found = [s for s in secrets() if s in text]
    found += [s for s in secrets() if "@" in s and s.lower() in lowered]
    return found


@pytest.fixture(scope="module")
def redacted() -> tuple[pnb.Redactor, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    redactor = pnb.Redactor()
    executions_, steps, accounts = redactor.redact(*pnb.build_frames(executions()))
    return redactor, executions_, steps, accounts


def test_nothing_planted_survives_in_any_frame(redacted) -> None:
    """Every planted value, in every text column of the three frames, is masked."""
    _, ex, steps, accounts = redacted
    text = _frames_text(ex, steps, accounts)
    assert _leaks(text) == []
    original = _frames_text(*pnb.build_frames(executions()))
    assert set(_leaks(original)) == set(secrets())  # the check can fail: all were planted


def test_ordinary_words_survive(redacted) -> None:
    """Clients called Will Mark and Sharma leave "will retry", "Mark as done" and such alone."""
    _, ex, steps, accounts = redacted
    text = _frames_text(ex, steps, accounts)
    for word in ORDINARY:
        assert word in text, word
    assert "Example Wealth Ltd" in text  # the firm is not a person
    assert "Pension transfer" in text  # a tag without a name stays


def test_one_number_per_person_in_tables_and_texts(redacted) -> None:
    """The client's name, e-mail and phone carry one number in the accounts frame and in texts."""
    _, ex, steps, accounts = redacted
    row = {r["account_uuid"]: r for r in accounts.iter_rows(named=True)}
    assert [row[u]["name"] for u in (IMELDA, WILL, PRIYA)] == ["Person 1", "Person 2", "Person 3"]
    assert row[IMELDA]["email"] == row[IMELDA]["primary_email"] == "person1@redacted.invalid"
    assert row[IMELDA]["primary_phone_number"] == "[phone 1]"
    assert row[IMELDA]["first_name"] == row[IMELDA]["last_name"] == "Person 1"
    assert row[IMELDA]["owners"] == "Person 1"
    assert row[IMELDA]["tags"] == "Person 1 referral, Pension transfer"
    assert row[IMELDA]["referral_code"] == "[referral code 1]"
    assert row[IMELDA]["photo_url"] == "[photo 1]"
    advisers = {row[u]["assigned_adviser"] for u in row}
    assert len(advisers) == 1
    assert advisers.pop() not in {"Person 1", "Person 2", "Person 3"}
    names = dict(zip(ex["execution_uuid"], ex["account_name"], strict=True))
    assert names == {EXEC_IMELDA: "Person 1", EXEC_WILL: "Person 2", EXEC_PRIYA: "Person 3"}
    info = dict(zip(steps["step_uuid"], steps["info"], strict=True))
    texts = " | ".join(v for v in info.values() if v)
    # The account's own values inside texts, in other writings, get the same pseudonyms.
    assert "Error: person1@redacted.invalid rejected" in texts  # written in capitals
    assert "Failed: SMS to [phone 1] undeliverable" in texts  # +44 7700 900123
    assert "call [phone 2]" in texts  # 07700900555 for the account's "07700 900555"
    assert "Person 3 on [phone 3]" in texts
    assert (
        ex.filter(pl.col("execution_uuid") == EXEC_IMELDA)["triggered_by"][0]
        == (row[IMELDA]["assigned_administrator"])
    )


def test_strangers_get_numbers_of_their_own(redacted) -> None:
    """A stranger's e-mail or phone never takes a known person's number, and keeps its own."""
    redactor, ex, steps, accounts = redacted
    text = _frames_text(ex, steps)
    known = {int(n) for n in re.findall(r"Person (\d+)", _frames_text(accounts))}
    emails = {int(n) for n in re.findall(r"person(\d+)@redacted\.invalid", text)}
    phones = {int(n) for n in re.findall(r"\[phone (\d+)\]", text)}
    strangers = (emails | phones) - {1, 2, 3}
    assert len(strangers) == 3 + 5  # three e-mails and five phone numbers of nobody we know
    assert strangers.isdisjoint(known)
    sharma = re.search(r"Error: (Person \d+) and Person 3", text)
    assert sharma
    assert sharma.group(1) not in {f"Person {n}" for n in known}  # Rahul, another Sharma
    stranger = re.search(
        r"mail (person\d+@redacted\.invalid)", "mail " + redactor.text("joe.stranger@example.org")
    )
    assert stranger
    assert redactor.text("mail joe.stranger@example.org") == stranger.group(0)


def test_counts_and_summary(redacted) -> None:
    """What was masked is counted by category; the summary line has only numbers and words."""
    redactor = redacted[0]
    counts = redactor.counts
    assert counts["names"] == 9  # 3 clients, 4 staff, Oliver Brackenbury, Rahul Sharma
    assert counts["e-mails"] == 6
    assert counts["phone numbers"] == 8
    assert counts["IBANs"] == 1
    assert counts["card numbers"] == 1
    for category in ("addresses", "postcodes", "dates of birth", "NI numbers", "sort codes",
                     "account numbers", "referral codes", "photo URLs", "households"):  # fmt: skip
        assert counts[category] >= 1, category
    summary = redactor.summary()
    assert summary.startswith("Masked: 9 names, 6 e-mails, 8 phone numbers, ")
    assert "1 IBAN," in summary
    assert "1 card number," in summary
    assert re.fullmatch(r"Masked: [\w ,.-]+\.", summary)
    fresh = pnb.Redactor()
    fresh.text("a@example.com, b@example.com, A@EXAMPLE.COM, 07700 900111")
    assert fresh.summary() == "Masked: 2 e-mails, 1 phone number."
    assert pnb.Redactor().summary() == "Masked: no personal data found."


# Values masked only because an account names them: not findable by pattern alone.
_KNOWN_ONLY = {
    "Imelda", "Brackenbury", "Bartholomew", "Quince", "Henrietta", "Voss", "Tobias",
    "Wren-Hartley", "Hartley", "Marguerite", "Oyelaran", "Oliver", "IMB-40213",
    "avatars.example",
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "secret"), [(t, s) for t, values in PLANTED for s in values if s not in _KNOWN_ONLY]
)
def test_each_format_alone(text: str, secret: str) -> None:
    """Pattern formats are masked with no account known, whoever they belong to."""
    assert secret not in pnb.Redactor().text(text)


@pytest.mark.parametrize(
    "text",
    [
        "Waited 3 days",
        "Documents received: 1 of 3",
        "Step 12 of 40 at 2026-06-08T16:08:05+01:00",
        "execution cc137447-a749-4b21-88a5-b27ef8b16878 failed",
        "Transfer of £250,000 on 12/03/2026 at 10:30",
        "Road map shared, the road was closed for 3 hours",
        "Ref 1234567 and order 12345678",
        "the account_uuid field is required",
        "Open the Close Street view",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    """Dates that are not births, amounts, UUIDs, counts and street words alone stay."""
    assert pnb.Redactor().text(text) == text


def test_names_that_are_words_both_directions() -> None:
    """A client called Will Mark: the words stay, the capitalised names go (sentence start kept)."""
    accounts = pl.DataFrame(
        {"account_uuid": ["u1"], "name": ["Will Mark"], "first_name": ["Will"],
         "last_name": ["Mark"], "email": ["will.mark@example.com"]},
    )  # fmt: skip
    redactor = pnb.Redactor()
    redactor.redact(accounts)
    kept = [
        "will retry",
        "mark as done",
        "Will retry at noon.",  # a common word starting a sentence: the word, not the person
        "Done. Mark as done",
        "Error: Will retry",
        "WILL RETRY",  # capitalised words on their own
    ]
    for text in kept:
        assert redactor.text(text) == text, text
    masked = {
        "Spoke to Will about it": "Spoke to Person 1 about it",
        "Will Mark called": "Person 1 called",
        "will retry for Will Mark": "will retry for Person 1",
        "Ask Mark.": "Ask Person 1.",
        "Letter to Mr Mark": "Letter to Mr Person 1",
        "cc WILL MARK": "cc Person 1",
    }
    for text, expected in masked.items():
        assert redactor.text(text) == expected, text


def test_known_phone_in_any_writing_and_surname_sharers() -> None:
    """The account's phone is compared as a number; a word before a known surname is a person."""
    accounts = pl.DataFrame(
        {"account_uuid": ["u1"], "name": ["Priya Sharma"], "email": ["p@example.com"],
         "primary_phone_number": ["07700 900777"]},
    )  # fmt: skip
    redactor = pnb.Redactor()
    (masked,) = [redactor.redact(accounts)]
    assert masked["primary_phone_number"][0] == "[phone 1]"
    for writing in ("07700900777", "+447700900777", "+44 (0)7700 900 777", "0044-7700-900777"):
        assert redactor.text(f"call {writing} now") == "call [phone 1] now", writing
    out = redactor.text("Rahul Sharma and Anjali Devi Sharma, Dear Sharma")
    assert "Sharma" not in out
    assert "Rahul" not in out
    assert "Anjali" not in out
    assert out.endswith("Dear Person 1")
    assert "Person 1" not in out.split(",")[0]  # Rahul is not the client


def test_redact_function_keeps_input_and_column_types() -> None:
    """redact(frame) returns a masked copy with the same schema; the input is untouched."""
    frames = pnb.build_frames(executions())
    for frame in frames:
        before = frame.clone()
        masked = pnb.redact(frame)
        assert masked.schema == frame.schema
        assert_frame_equal(frame, before)
        assert masked.height == frame.height
        uuids = [c for c in frame.columns if c.endswith("uuid")]
        assert masked.select(uuids).equals(frame.select(uuids))
    shared = pnb.Redactor()
    ex = pnb.redact(frames.executions, redactor=shared)
    acc = pnb.redact(frames.accounts, redactor=shared)
    assert set(ex["account_name"]) == set(acc["name"])


def test_redacting_twice_changes_nothing() -> None:
    """Pseudonyms are not personal data: a second pass leaves them as they are."""
    redactor = pnb.Redactor()
    once = redactor.redact(*pnb.build_frames(executions()))
    counts = redactor.counts
    twice = redactor.redact(*once)
    for a, b in zip(once, twice, strict=True):
        assert a.equals(b)
    assert redactor.counts == counts


# --- reports ------------------------------------------------------------------------------

_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


def _notebook_text(path: Path) -> str:
    """Every source and output of an executed notebook, images left out."""
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("image/png", None)
    return json.dumps(book, ensure_ascii=False)


@pytest.fixture(scope="module")
def reports(redacted_reports: ServedReports) -> dict[str, tuple[str, str]]:
    """Notebooks 01, 02 and 03 run with --redact: their HTML (images left out) and .ipynb."""
    results: dict[str, tuple[str, str]] = {}
    for key in redacted_reports.runs:
        run = redacted_reports.runs[key]
        assert run.result.returncode == 0, run.result.stderr
        html = _DATA_URI.sub("data:", run.html)
        results[key] = (html, _notebook_text(run.notebook_path))
        for path in run.written():  # the token was used (below), and never written
            assert CANARY.encode() not in path.read_bytes(), path
        assert CANARY not in run.log
    assert any(r.status == 200 for r in redacted_reports.server.requests)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["01", "02", "03"])
def test_redacted_reports_leave_nothing_planted(notebook: str, reports) -> None:
    """--redact through every bundled notebook: no planted value in the HTML or the .ipynb."""
    html, book = reports[notebook]
    assert _leaks(html) == []
    assert _leaks(book) == []
    assert "Check 40" in html  # the planted steps were really shown
    assert "[IBAN]" in html
    assert "Road map" in html


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["01", "02", "03"])
def test_redacted_reports_say_so_at_the_top(notebook: str, reports) -> None:
    """The title says redacted; the masked counts come before any table."""
    html, book = reports[notebook]
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title
    assert title.group(1).strip().endswith("(redacted)")
    masked = html.find("Masked: ")
    assert 0 < masked < html.find("<table")
    assert "Read it through before it leaves the firm" in html
    assert "Masked: " in book


@pytest.mark.slow
def test_redacted_reports_keep_words_and_agree_on_pseudonyms(reports) -> None:
    """Ordinary words survive; the accounts table and the texts use the same pseudonyms."""
    html01, _ = reports["01"]
    # The accounts table of notebook 01 and the failing steps' info, on one page.
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html01, re.S)
    assert "person1@redacted.invalid" in cells
    assert "[phone 1]" in cells
    assert "Person 1" in cells
    assert "Error: person1@redacted.invalid rejected" in html01
    assert "Failed: SMS to [phone 1] undeliverable" in html01
    for notebook in ("02", "03"):
        html, _ = reports[notebook]
        for word in ("will retry", "Will retry", "Mark as done", "Send SMS", "Welcome email"):
            assert word in html, (notebook, word)
    html03, _ = reports["03"]
    assert "Person 2" in html03
    assert "Person 3" in html03
