"""Frames from execution responses: golden values, edge cases, properties."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import run_python
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import plannr_nb
from plannr_nb import (
    ResponseFormatError,
    _frames,
    accounts_frame,
    executions_frame,
    load_demo_executions,
    parse_info,
    steps_frame,
)
from plannr_nb._frames import build_frames, frames_from_bodies
from plannr_nb._schemas import ACCOUNT_SCHEMA, EXECUTION_SCHEMA, STEP_SCHEMA

FIXTURES = Path(__file__).parent / "fixtures"
DOC = json.loads((FIXTURES / "documented_execution.json").read_text())
DOC_TEXT = (FIXTURES / "documented_execution.json").read_text()


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


T = utc(2026, 6, 8, 15, 8, 3)  # 16:08:03+01:00


def step(uuid: str, name: str, executed_at: str | None, status: str = "completed", **kw: Any):
    return {
        "uuid": uuid,
        "created_at": kw.get("created_at", "2026-06-08T16:08:03+01:00"),
        "updated_at": kw.get("updated_at", executed_at or "2026-06-08T16:08:03+01:00"),
        "executed_at": executed_at,
        "status": status,
        "info": kw.get("info"),
        "name": name,
    }


def execution(uuid: str, steps: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "created_at": kw.get("created_at", "2026-06-08T16:08:03+01:00"),
        "updated_at": kw.get("updated_at", "2026-06-08T18:00:00+01:00"),
        "status": kw.get("status", "completed"),
        "triggered_by": "client.created",
        "steps": steps,
        "name": kw.get("name", "Welcome pack"),
        "next_step": kw.get("next_step"),
        "previous_step": kw.get("previous_step"),
        **({"account": kw["account"]} if "account" in kw else {}),
    }


# --- golden: the documented example ----------------------------------------------------------


def test_documented_example_executions_frame_golden() -> None:
    """Every column of the executions frame of the documented example has the exact value."""
    expected = pl.DataFrame(
        [
            {
                "execution_uuid": "cc137447-a749-4b21-88a5-b27ef8b16878",
                "name": "Send client welcome pack to newly created client",
                "status": "in_progress",
                "triggered_by": "client.created",
                "created_at": T,
                "updated_at": T,
                "step_count": 1,
                "executed_step_count": 1,
                "failed_step_count": 1,
                "first_executed_at": T,
                "last_executed_at": T,
                "span": timedelta(0),
                "first_failed_step": "Send SMS",
                "errors": ["the account_uuid field is required"],
                "next_step_name": "Send SMS",
                "previous_step_name": "Send SMS",
                "account_uuid": "144ecd28-e927-4a4a-8a98-998c2f3f6e7f",
                "account_name": "Gareth Thompson",
            }
        ],
        schema=EXECUTION_SCHEMA,
    )
    assert_frame_equal(executions_frame(DOC), expected)


def test_documented_example_steps_frame_golden() -> None:
    """Every column of the steps frame of the documented example has the exact value."""
    expected = pl.DataFrame(
        [
            {
                "execution_uuid": "cc137447-a749-4b21-88a5-b27ef8b16878",
                "execution_name": "Send client welcome pack to newly created client",
                "execution_status": "in_progress",
                "execution_created_at": T,
                "execution_updated_at": T,
                "position": 0,
                "step_uuid": "785fccc7-206f-4361-b6f1-e5dd96bcd824",
                "name": "Send SMS",
                "status": "completed",
                "info": '"[{errors : "the account_uuid field is required" }]"',
                "errors": ["the account_uuid field is required"],
                "failed": True,
                "created_at": T,
                "updated_at": T,
                "executed_at": T,
                "previous_at": T,
                "gap": timedelta(0),
            }
        ],
        schema=STEP_SCHEMA,
    )
    assert_frame_equal(steps_frame(DOC), expected)


def test_documented_example_accounts_frame_golden() -> None:
    """The account row: placeholders are null, dates are dates, naive times are UK time."""
    row = accounts_frame(DOC).row(0, named=True)
    assert row == {
        "account_uuid": "144ecd28-e927-4a4a-8a98-998c2f3f6e7f",
        "name": "Gareth Thompson",
        "first_name": "Gareth",
        "last_name": "Thompson",
        "email": "gareth@codepotato.co.uk",
        "type": "client",
        "role": "client",
        "created_at": T,
        "updated_at": T,
        # *_date fields are calendar dates, as written in their own offset
        "first_contact_date": date(2026, 6, 8),
        "next_review_date": date(2026, 6, 8),
        "previous_review_date": date(2026, 6, 8),
        "anniversary_review_date": date(2026, 6, 8),
        "terms_of_business_at": T,
        "client_agreement_at": T,
        # "2026-06-08 16:08:03" has no offset: read as Europe/London (BST), so 15:08:03 UTC.
        "last_interaction_at": T,
        "inactive_at": date(2026, 6, 8),
        "firm": None,
        "primary_phone_number": None,
        "primary_email": None,
        "assigned_adviser": None,
        "assigned_administrator": None,
        "assigned_paraplanner": None,
        "introduced_by": None,
        "business_unit": None,
        "groups": None,
        "tags": None,
        "owners": None,
        "circles": None,
        "joint_account_circle": None,
        "with_login": True,
        "has_joint_account": True,
        "can_be_deleted": False,
        "ownership_percentage": 100,
        "referral_code": "ABC12345",
        "photo_url": "https://eu.ui-avatars.com/api/?name=gareth+thompson",
    }
    assert accounts_frame(DOC).schema == pl.Schema(ACCOUNT_SCHEMA)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(DOC, id="dict"),
        pytest.param(DOC_TEXT, id="pretty-str"),
        pytest.param(DOC_TEXT.encode(), id="pretty-bytes"),
        pytest.param(json.dumps(DOC), id="compact-str"),
        pytest.param({"data": DOC}, id="wrapped-dict"),
        pytest.param(json.dumps({"data": DOC}, indent=4), id="wrapped-str"),
        pytest.param([DOC], id="list"),
        pytest.param((d for d in [DOC]), id="generator"),
        pytest.param(json.dumps({"data": [DOC], "links": {}, "meta": {}}), id="list-page"),
        pytest.param(b"\xef\xbb\xbf" + json.dumps(DOC).encode(), id="bytes-with-bom"),
        pytest.param("\ufeff" + json.dumps({"data": [DOC]}), id="str-with-bom-list-page"),
    ],
)
def test_every_input_form_gives_the_same_frames(payload: Any) -> None:
    """Dicts, str/bytes bodies, pretty or compact, bare or wrapped: the same frames."""
    frames = build_frames(payload)
    assert_frame_equal(frames.executions, executions_frame(DOC))
    assert_frame_equal(frames.steps, steps_frame(DOC))
    assert_frame_equal(frames.accounts, accounts_frame(DOC))


def test_mixed_wrapped_and_bare_bodies_in_one_batch() -> None:
    """A batch of wrapped and bare bodies reads each correctly, in order."""
    other = copy.deepcopy(DOC)
    other["uuid"] = "00000000-0000-4000-8000-000000000001"
    frame = executions_frame([json.dumps({"data": DOC}), json.dumps(other)])
    assert frame["execution_uuid"].to_list() == [DOC["uuid"], other["uuid"]]
    assert frame["account_name"].to_list() == ["Gareth Thompson", "Gareth Thompson"]


def test_input_is_not_mutated() -> None:
    """Building frames never changes the caller's objects."""
    payload = copy.deepcopy(DOC)
    build_frames([payload])
    assert payload == DOC


# --- parse_info ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (DOC["steps"][0]["info"], ["the account_uuid field is required"]),
        (
            '[{errors : "the account_uuid field is required" }]',
            ["the account_uuid field is required"],
        ),
        ('[{"errors": "Template not found"}]', ["Template not found"]),
        ('[{"errors": ["a", "b"]}, {"errors": "c"}]', ["a", "b", "c"]),
        ('{"errors": {"email": ["The email must be valid."]}}', ["The email must be valid."]),
        ('{"message": "SMS provider timed out"}', ["SMS provider timed out"]),
        (
            '{"message": "The given data was invalid.", "errors": {"x": ["x is required"]}}',
            ["x is required"],
        ),
        ('"{\\"errors\\": \\"quoted JSON\\"}"', ["quoted JSON"]),
        ('{"error": "boom"}', ["boom"]),
        ('{"errors": []}', []),
        ('{"status": "ok"}', []),
        ("Template 'Welcome v2' not found", ["Template 'Welcome v2' not found"]),
        ("Email queued to client", []),
        ("Waited 3 days", []),
        (None, []),
        ("", []),
        ("   ", []),
        ('""', []),
        ("[]", []),
        ("null", []),
        ('"[{errors : "a" }, {errors : "b"}]"', ["a", "b"]),
        ('[{errors : \\"escaped quotes\\" }]', ["escaped quotes"]),
        ('"[{errors : "Cost £5 for Zoë is not allowed" }]"', ["Cost £5 for Zoë is not allowed"]),
        ('[{errors : "with "inner" quotes" }]', ['with "inner" quotes']),
        ('[{errors : "C:\\bin not found" }]', ["C:\\bin not found"]),
        ('"[{errors : \\"escaped and wrapped\\" }]"', ["escaped and wrapped"]),
        ('[{"errors": "dup"}, {"errors": "dup"}]', ["dup"]),
    ],
)
def test_parse_info(info: str | None, expected: list[str]) -> None:
    """parse_info reads each documented and JSON form of errors, and ignores plain notes."""
    assert parse_info(info) == expected


@given(st.one_of(st.none(), st.text(max_size=200), st.binary(max_size=50).map(repr)))
def test_parse_info_never_raises(info: str | None) -> None:
    """Any text at all: a list of strings, never an exception."""
    result = parse_info(info)
    assert isinstance(result, list)
    assert all(isinstance(item, str) and item for item in result)


def test_parse_info_on_non_string_does_not_raise() -> None:
    """A caller passing a non-string gets [] rather than an exception."""
    assert parse_info(42) == []  # type: ignore[arg-type]


# --- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-08T16:08:03+01:00", utc(2026, 6, 8, 15, 8, 3)),
        ("2026-06-08T15:08:03Z", utc(2026, 6, 8, 15, 8, 3)),
        ("2026-06-08T15:08:03.250Z", utc(2026, 6, 8, 15, 8, 3, 250000)),
        ("2026-06-08T15:08:03.123456+00:00", utc(2026, 6, 8, 15, 8, 3, 123456)),
        ("2026-06-08T20:38:03+05:30", utc(2026, 6, 8, 15, 8, 3)),
        ("2026-06-08T10:08:03-05:00", utc(2026, 6, 8, 15, 8, 3)),
        # British summer time boundaries: 01:00 UTC on the last Sundays of March and October.
        ("2026-03-29T00:59:59+00:00", utc(2026, 3, 29, 0, 59, 59)),
        ("2026-03-29T02:00:00+01:00", utc(2026, 3, 29, 1, 0, 0)),
        ("2026-10-25T01:30:00+01:00", utc(2026, 10, 25, 0, 30, 0)),
        ("2026-10-25T01:30:00+00:00", utc(2026, 10, 25, 1, 30, 0)),
        # No offset: UK local time.
        ("2026-06-08 16:08:03", utc(2026, 6, 8, 15, 8, 3)),
        ("2026-01-08 16:08:03", utc(2026, 1, 8, 16, 8, 3)),
        ("2026-06-08T16:08:03", utc(2026, 6, 8, 15, 8, 3)),
        # Date only: its UK midnight.
        ("2026-06-08", utc(2026, 6, 7, 23, 0, 0)),
    ],
)
def test_timestamps_are_utc_from_any_iso_form(text: str, expected: datetime) -> None:
    """Offsets, Z, fractions, BST boundaries, naive and date-only forms all convert right."""
    payload = execution("e1", [step("s1", "Send SMS", text)], created_at=text)
    steps = steps_frame(payload)
    assert steps["executed_at"].to_list() == [expected]
    assert executions_frame(payload)["created_at"].to_list() == [expected]
    assert steps.schema["executed_at"] == pl.Datetime("us", "UTC")


def test_unparseable_timestamp_names_the_execution() -> None:
    """A timestamp that is not ISO-8601 raises ResponseFormatError naming field and execution."""
    payload = execution(
        "e-bad", [step("s1", "Send SMS", "yesterday at 5", updated_at="2026-06-08T16:08:03Z")]
    )
    with pytest.raises(ResponseFormatError, match=r"e-bad.*executed_at.*yesterday at 5"):
        steps_frame(payload)


# --- steps: order, gaps, nulls ---------------------------------------------------------------


def test_positions_previous_at_and_gaps() -> None:
    """Position follows response order; previous_at chains; gaps are Durations; nulls stay."""
    payload = execution(
        "e1",
        [
            step("a", "Send email", "2026-06-08T16:08:13+01:00"),
            step("b", "Wait 3 days", "2026-06-11T16:08:13+01:00"),
            step("c", "Send email", None, status="pending"),
            step("d", "Create task", None, status="pending"),
        ],
    )
    frame = steps_frame(payload)
    assert frame["position"].to_list() == [0, 1, 2, 3]
    assert frame["name"].to_list() == ["Send email", "Wait 3 days", "Send email", "Create task"]
    assert frame["previous_at"].to_list() == [
        T,
        utc(2026, 6, 8, 15, 8, 13),
        utc(2026, 6, 11, 15, 8, 13),
        None,
    ]
    assert frame["gap"].to_list() == [timedelta(seconds=10), timedelta(days=3), None, None]
    assert frame.schema["gap"] == pl.Duration("us")
    ex = executions_frame(payload).row(0, named=True)
    assert ex["step_count"] == 4
    assert ex["executed_step_count"] == 2
    assert ex["last_executed_at"] == utc(2026, 6, 11, 15, 8, 13)
    assert ex["span"] == timedelta(days=3, seconds=10)


def test_gaps_do_not_leak_across_executions() -> None:
    """The first step of the second execution measures from its own created_at."""
    one = execution("e1", [step("a", "x", "2026-06-08T17:00:00+01:00")])
    two = execution(
        "e2",
        [step("b", "y", "2026-06-09T10:00:05+01:00")],
        created_at="2026-06-09T10:00:00+01:00",
    )
    frame = steps_frame([one, two])
    assert frame["gap"].to_list() == [timedelta(minutes=52, seconds=-3), timedelta(seconds=5)]


def test_status_and_errors_define_failure() -> None:
    """A step fails when its status says so or its info carries errors; unknown statuses stay."""
    payload = execution(
        "e1",
        [
            step("a", "Send email", "2026-06-08T16:09:00+01:00", info="Email queued"),
            step("b", "Send SMS", "2026-06-08T16:10:00+01:00", info='{"message": "timed out"}'),
            step("c", "Create task", "2026-06-08T16:11:00+01:00", status="failed"),
            step("d", "Archive", None, status="teleported"),
        ],
        status="weird_new_status",
    )
    frame = steps_frame(payload)
    assert frame["failed"].to_list() == [False, True, True, False]
    assert frame["errors"].to_list() == [[], ["timed out"], [], []]
    assert frame["status"].to_list()[-1] == "teleported"
    ex = executions_frame(payload).row(0, named=True)
    assert ex["status"] == "weird_new_status"
    assert ex["failed_step_count"] == 2
    assert ex["first_failed_step"] == "Send SMS"
    assert ex["errors"] == ["timed out"]


def test_missing_optional_parts_give_nulls() -> None:
    """Null or absent next_step, previous_step, account, steps and executed_at: nulls, no error."""
    payload = {"uuid": "e1", "status": "pending", "name": "Review", "next_step": None}
    ex = executions_frame(payload).row(0, named=True)
    assert ex["step_count"] == 0
    assert ex["executed_step_count"] == 0
    assert ex["failed_step_count"] == 0
    assert ex["errors"] == []
    for column in ("next_step_name", "previous_step_name", "account_uuid", "account_name"):
        assert ex[column] is None
    assert ex["created_at"] is None
    assert steps_frame(payload).height == 0
    assert accounts_frame(payload).height == 0


def test_execution_without_steps_keeps_its_row() -> None:
    """An execution with no steps stays in the executions frame next to others."""
    frame = executions_frame([execution("e1", []), DOC])
    assert frame["execution_uuid"].to_list() == ["e1", DOC["uuid"]]
    assert frame["step_count"].to_list() == [0, 1]


@pytest.mark.parametrize("empty", [[], (), iter([])])
def test_no_input_gives_empty_frames_with_full_schema(empty: Any) -> None:
    """No payloads: empty frames with every column and dtype."""
    frames = build_frames(empty)
    assert frames.executions.schema == pl.Schema(EXECUTION_SCHEMA)
    assert frames.steps.schema == pl.Schema(STEP_SCHEMA)
    assert frames.accounts.schema == pl.Schema(ACCOUNT_SCHEMA)
    assert frames.executions.height == frames.steps.height == frames.accounts.height == 0


def test_duplicate_executions_are_one_row_the_last_copy_wins() -> None:
    """The same UUID twice (a re-fetch) is one execution, with the latest copy's values."""
    old = execution("e1", [], status="in_progress")
    new = execution("e1", [step("a", "x", "2026-06-08T16:09:00+01:00")], status="completed")
    assert executions_frame([old, new])["status"].to_list() == ["completed"]
    assert steps_frame([old, new]).height == 1


# --- lenient but exact repairs ---------------------------------------------------------------


def test_structured_info_and_scalar_types_are_repaired() -> None:
    """An info object becomes its JSON text; numbers in text fields become text."""
    payload = execution("e1", [step("a", "x", "2026-06-08T16:09:00+01:00")])
    payload["steps"][0]["info"] = {"errors": {"phone": ["The phone is invalid."]}}
    payload["steps"][0]["status"] = 3
    payload["account"] = []  # PHP's empty map
    frame = steps_frame(payload)
    assert frame["errors"].to_list() == [["The phone is invalid."]]
    assert frame["status"].to_list() == ["3"]
    assert json.loads(frame["info"][0]) == {"errors": {"phone": ["The phone is invalid."]}}
    assert executions_frame(payload)["account_uuid"].to_list() == [None]


def test_relation_fields_are_reduced_to_readable_values() -> None:
    """Objects give their name, lists their names joined, placeholders null."""
    account = copy.deepcopy(DOC["account"])
    account.update(
        firm={"uuid": "f1", "name": "Acme Wealth"},
        assigned_adviser={"uuid": "u9"},
        tags=[{"uuid": "t1", "name": "VIP"}, {"uuid": "t2", "name": "Pension"}],
        groups=[],
        primary_phone_number={"uuid": "p", "number": "07700 900123"},
        primary_email={"uuid": "m", "email": "client@example.com"},
        business_unit=None,
        can_be_deleted=True,
    )
    payload = execution("e1", [], account=account)
    row = accounts_frame(payload).row(0, named=True)
    assert row["firm"] == "Acme Wealth"
    assert row["assigned_adviser"] == "u9"
    assert row["tags"] == "VIP, Pension"
    assert row["groups"] is None
    assert row["primary_phone_number"] == "07700 900123"
    assert row["primary_email"] == "client@example.com"
    assert row["introduced_by"] is None  # still the docs' placeholder
    assert row["can_be_deleted"] is True


def test_accounts_are_distinct_last_copy_wins() -> None:
    """The same account on several executions is one row."""
    first = copy.deepcopy(DOC)
    second = copy.deepcopy(DOC)
    second["uuid"] = "other"
    second["account"]["email"] = "new@example.com"
    frame = accounts_frame([first, second])
    assert frame.height == 1
    assert frame["email"].to_list() == ["new@example.com"]


# --- wrong shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "pattern"),
    [
        ([1], r"payloads\[0\] is an int"),
        (5, r"payloads must be an execution"),
        ([[DOC]], r"payloads\[0\] is a list"),
        ({"name": "x"}, r"payloads\[0\] has no 'uuid'"),
        ({"data": {"name": "x"}}, r"payloads\[0\]\.data has no 'uuid'"),
        ({"uuid": "e", "steps": "none"}, r"payloads\[0\]\.steps is a str; expected a list"),
        ({"uuid": "e", "steps": {"a": 1}}, r"payloads\[0\]\.steps is an object"),
        ({"uuid": "e", "steps": [1]}, r"payloads\[0\]\.steps\[0\] is an int"),
        ({"uuid": "e", "name": {"a": 1}}, r"payloads\[0\]\.name is an object; expected text"),
        ({"uuid": "e", "account": "someone"}, r"payloads\[0\]\.account is a str"),
        ({"uuid": "e", "next_step": 3}, r"payloads\[0\]\.next_step is an int"),
        ("<html><body>Bad gateway</body></html>", r"payloads\[0\] is not valid JSON"),
        ('{"uuid": "e", "steps": [', r"payloads\[0\] is not valid JSON"),
        (b"", r"payloads\[0\] is not valid JSON"),
        ([DOC, {"nope": 1}], r"payloads\[1\] has no 'uuid'"),
        ({"uuid": ""}, r"payloads\[0\] has no 'uuid'"),
        ({"uuid": "e", "steps": [None]}, r"payloads\[0\]\.steps\[0\] is null"),
        ({"data": {"uuid": "e", "steps": [None]}}, r"payloads\[0\]\.data\.steps\[0\] is null"),
    ],
)
def test_wrong_shapes_raise_response_format_error(payload: Any, pattern: str) -> None:
    """Wrong shapes raise ResponseFormatError (a ValueError) saying what and where."""
    for build in (executions_frame, steps_frame, accounts_frame):
        with pytest.raises(ResponseFormatError, match=pattern) as info:
            build(payload)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, plannr_nb.PlannrError)


# --- property tests --------------------------------------------------------------------------

_ts = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).flatmap(
    lambda d: st.sampled_from(
        [
            d.isoformat(),
            d.strftime("%Y-%m-%dT%H:%M:%SZ"),
            d.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")).isoformat(),
        ]
    )
)
_text = st.one_of(st.none(), st.text(max_size=30))
_step = st.fixed_dictionaries(
    {
        "uuid": st.uuids().map(str),
        "created_at": st.one_of(st.none(), _ts),
        "updated_at": st.one_of(st.none(), _ts),
        "executed_at": st.one_of(st.none(), _ts),
        "status": st.one_of(st.sampled_from(["completed", "failed", "pending"]), _text),
        "info": _text,
        "name": _text,
    }
)
_execution = st.fixed_dictionaries(
    {
        "uuid": st.uuids().map(str),
        "created_at": st.one_of(st.none(), _ts),
        "updated_at": st.one_of(st.none(), _ts),
        "status": _text,
        "triggered_by": _text,
        "steps": st.lists(_step, max_size=6),
        "name": _text,
        "next_step": st.one_of(st.none(), _step),
        "previous_step": st.one_of(st.none(), _step),
    },
    optional={
        "account": st.one_of(st.none(), st.fixed_dictionaries({"uuid": st.uuids().map(str)}))
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_execution, max_size=5), st.booleans())
def test_any_documented_shape_gives_the_fixed_schema(payloads: list[Any], as_text: bool) -> None:
    """Any payload of the documented shape yields the fixed schemas and consistent counts."""
    given_payloads: list[Any] = [json.dumps(p) for p in payloads] if as_text else payloads
    frames = build_frames(given_payloads)
    assert frames.executions.schema == pl.Schema(EXECUTION_SCHEMA)
    assert frames.steps.schema == pl.Schema(STEP_SCHEMA)
    assert frames.accounts.schema == pl.Schema(ACCOUNT_SCHEMA)
    unique = {p["uuid"]: p for p in payloads}
    assert frames.executions.height == len(unique)
    assert frames.steps.height == sum(len(p["steps"]) for p in unique.values())


_garbage = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=80, deadline=None)
@given(_garbage)
def test_garbage_gives_response_format_error_or_frames(payload: Any) -> None:
    """Garbage raises ResponseFormatError, never a stray KeyError/TypeError."""
    with contextlib.suppress(ResponseFormatError):
        build_frames([payload])


def test_timestamp_beyond_python_range_stays_exact() -> None:
    """9999-12-31T23:59:59-01:00 is year 10000 in UTC: polars keeps it, nothing overflows."""
    payload = execution(
        "e-far", [step("s1", "x", "9999-12-31T23:59:59-01:00", updated_at="2026-06-08T16:08:03Z")]
    )
    frame = steps_frame(payload)
    assert frame.select(pl.col("executed_at").dt.year()).item() == 10000
    with pytest.raises(ResponseFormatError, match="e-far"):
        steps_frame(
            execution("e-far", [step("s1", "x", "9999-12-31T23:59:59", updated_at="nonsense")])
        )


def test_empty_list_page_gives_empty_frames() -> None:
    """A list page with no executions ({"data": []}) gives empty frames, not an error."""
    frames = build_frames(json.dumps({"data": [], "links": {"next": None}}))
    assert frames.executions.height == 0
    assert frames.steps.schema == pl.Schema(STEP_SCHEMA)


def test_a_very_large_body_is_read() -> None:
    """One body larger than the reader's block size still reads (a 2,000-step execution)."""
    steps = [
        step(f"s{i}", f"Step {i} " + "x" * 2000, "2026-06-08T16:08:03+01:00") for i in range(2000)
    ]
    frame = steps_frame(json.dumps(execution("big", steps)))
    assert frame.height == 2000


def test_numbers_beyond_64_bits_do_not_escape_as_bare_errors() -> None:
    """Absurd numbers anywhere in a payload: frames still build, the number is dropped."""
    payload = copy.deepcopy(DOC)
    payload["account"]["ownership_percentage"] = 10**20
    payload["account"]["permissions"] = {"firm:read": [10**20]}
    payload["steps"][0]["info"] = {"errors": [10**20]}
    frames = build_frames(payload)
    assert frames.accounts["ownership_percentage"].to_list() == [None]
    assert frames.steps["errors"].to_list() == [[str(10**20)]]


def test_a_wrapper_is_only_a_body_without_its_own_uuid() -> None:
    """{"uuid": X, "data": {...}} is execution X itself; the fast and slow paths agree."""
    inner = copy.deepcopy(DOC)
    inner["uuid"] = "inner"
    outer = {**copy.deepcopy(DOC), "data": inner}
    assert executions_frame(outer)["execution_uuid"].to_list() == [DOC["uuid"]]
    assert accounts_frame(outer).height == 1


def _as_input(payloads: list[Any], form: str) -> tuple[list[Any], Any]:
    """The payloads in one of the forms the fast path reads, and the builder for that form."""
    if form == "dicts":  # straight into arrow (from_pylist)
        return payloads, build_frames
    if form == "bodies":
        return [json.dumps(p).encode() for p in payloads], build_frames
    if form == "wrapped":  # what a single GET returns
        return [json.dumps({"data": p}).encode() for p in payloads], build_frames
    page = {"data": payloads, "links": {"next": None}, "meta": {"total": len(payloads)}}
    if form == "page":
        return [json.dumps(page).encode()], build_frames
    # The client's mix: a list page and single bodies, read by frames_from_bodies.
    half = len(payloads) // 2
    bodies = [json.dumps({**page, "data": payloads[:half]}).encode()]
    bodies += [json.dumps({"data": p}).encode() for p in payloads[half:]]
    return bodies, frames_from_bodies


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_execution, min_size=1, max_size=4),
    st.sampled_from(["dicts", "bodies", "wrapped", "page", "client-mix"]),
)
def test_fast_path_and_checked_path_agree(payloads: list[Any], form: str) -> None:
    """The arrow fast path and the Python-checked path give identical frames, for every input
    form the fast path reads: dicts, bodies, {"data": ...} bodies, list pages, and the client's
    mix of pages and single bodies."""
    import plannr_nb._frames as frames_module

    given_input, build = _as_input(payloads, form)
    # However few, dicts go straight into arrow (not as text, as a few would by default).
    few = frames_module._FEW_DICTS, frames_module._FEW_DICTS_BEFORE_PANDAS
    frames_module._FEW_DICTS = frames_module._FEW_DICTS_BEFORE_PANDAS = 0
    try:
        fast = build(given_input)
    finally:
        frames_module._FEW_DICTS, frames_module._FEW_DICTS_BEFORE_PANDAS = few
    frames_module._CHECKED_ONLY = True  # force the checked path
    try:
        checked = build(given_input)
    finally:
        frames_module._CHECKED_ONLY = False
    assert_frame_equal(fast.executions, checked.executions)
    assert_frame_equal(fast.steps, checked.steps)
    assert_frame_equal(fast.accounts, checked.accounts)
    # The same frames as the plain bodies give, whatever the wrapping.
    if form != "client-mix":
        plain = build_frames([json.dumps(p) for p in payloads])
        assert_frame_equal(fast.executions, plain.executions)
        assert_frame_equal(fast.steps, plain.steps)


def test_frames_from_bodies_keeps_the_given_uuids_in_order() -> None:
    """The client's call: page and single bodies, only the UUIDs asked for, first copy, in order."""
    runs = [
        execution(f"e{n}", [step(f"s{n}", "x", "2026-06-08T16:09:00+01:00")], status=f"v{n}")
        for n in range(5)
    ]
    runs[3]["account"] = copy.deepcopy(DOC["account"])
    page = json.dumps({"data": runs[:4], "links": {}, "meta": {}}).encode()
    later = json.dumps({"data": {**runs[1], "status": "later copy"}}).encode()
    single = json.dumps({"data": runs[4]}).encode()
    frames = frames_from_bodies([page, later, single], uuids=["e4", "e1", "e3", "nope", "e1"])
    assert frames.executions["execution_uuid"].to_list() == ["e4", "e1", "e3"]
    assert frames.executions["status"].to_list() == ["v4", "v1", "v3"]
    assert frames.steps["execution_uuid"].to_list() == ["e4", "e1", "e3"]
    assert frames.accounts["account_uuid"].to_list() == [DOC["account"]["uuid"]]
    everything = frames_from_bodies([page, later, single])
    assert everything.executions["execution_uuid"].to_list() == ["e0", "e2", "e3", "e1", "e4"]
    assert everything.executions["status"].to_list()[3] == "later copy"
    assert_frame_equal(everything.steps, build_frames([page, later, single]).steps)


def test_reading_bodies_copies_nothing_into_arrows_default_pool() -> None:
    """The readers allocate from jemalloc (or the system allocator), and take single-chunk
    columns as they are: a copy of each column into arrow's default mimalloc pool, which keeps
    what it frees, made the peak at 10,000 bodies 2.4-3.0x the JSON instead of 1.6x."""
    code = (
        "import json, pyarrow as pa\n"
        "from plannr_nb import build_frames, load_demo_executions\n"
        "p = load_demo_executions()\n"
        "many = p * (16_000_000 // len(json.dumps(p)) + 1)\n"
        "bodies = [json.dumps({**x, 'uuid': f'{i:032x}'}).encode() for i, x in enumerate(many)]\n"
        "frames = build_frames(bodies)\n"
        "assert frames.steps.height > 10_000\n"
        "print(sum(map(len, bodies)), pa.default_memory_pool().max_memory())\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    size, default_pool = map(int, result.stdout.split())
    assert size > 16_000_000
    assert default_pool < size // 10, (size, default_pool)  # it was more than the size


@pytest.mark.parametrize("form", ["bodies", "page", "mixed"])
def test_reading_in_many_slices_gives_the_same_frames_each_in_one_chunk(
    form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large inputs are read in slices, one arrow chunk each: the frames are those of one read,
    each column one chunk (a user's first filter or sort is twice as slow over many chunks)."""
    demo = load_demo_executions()
    runs = [{**run, "uuid": f"{i:032x}"} for i, run in enumerate(demo * 4)]
    runs[500] = {**runs[2], "status": "a later copy"}  # a duplicate in another slice: it wins
    pages = [json.dumps({"data": runs[i : i + 7]}).encode() for i in range(0, len(runs), 7)]
    singles = [json.dumps(run).encode() for run in runs]
    # mixed: bodies, then pages (each kind is read as a group, pages first, then put in order)
    bodies = {"page": pages, "bodies": singles, "mixed": singles[:14] + pages[2:]}[form]
    read_slice = _frames._read_slice
    slices: list[int] = []

    def counted(part: Any, start: int, page: bool) -> Any:
        slices.append(len(part))
        return read_slice(part, start, page)

    monkeypatch.setattr(_frames, "_read_slice", counted)
    whole = build_frames(bodies)
    assert len(slices) == (2 if form == "mixed" else 1)
    slices.clear()
    # about 18 slices (a slice a body costs seconds and proves no more)
    monkeypatch.setattr(_frames, "_SLICE_BYTES", sum(map(len, bodies)) // 17)
    monkeypatch.setattr(_frames, "_SLICE_SHARE", len(bodies))
    sliced = build_frames(bodies)
    assert len(slices) > 4, slices  # the default above, then a body or two a slice
    assert sliced.executions.filter(pl.col("execution_uuid") == runs[2]["uuid"])[
        "status"
    ].to_list() == ["a later copy"]
    for one, many in zip(whole, sliced, strict=True):
        assert_frame_equal(many, one)
        chunked = {name: many[name].n_chunks() for name in many.columns}
        assert set(chunked.values()) == {1}, chunked
    assert whole.executions.height == len(runs) - 1
