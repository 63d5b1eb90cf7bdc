"""The shipped synthetic demo dataset honours its contract."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT

from plannr_nb._demo import (
    DEMO_BLUEPRINT_UUIDS,
    DEMO_RUNNING_UUID,
    DEMO_SNAPSHOT,
    DEMO_STORY_UUID,
    load_demo_executions,
)

SCRIPT = ROOT / "scripts" / "make_demo_data.py"
LONDON = ZoneInfo("Europe/London")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# fmt: off
EXECUTION_KEYS = [
    "uuid", "created_at", "updated_at", "status", "triggered_by", "steps", "name",
    "next_step", "previous_step",
]
STEP_KEYS = ["uuid", "created_at", "updated_at", "executed_at", "status", "info", "name"]
ACCOUNT_KEYS = [
    "uuid", "created_at", "updated_at", "type", "role", "first_name", "last_name", "name",
    "email", "photo_url", "firm", "primary_phone_number", "primary_email", "current_time_entry",
    "assigned_adviser", "assigned_administrator", "assigned_paraplanner", "introduced_by",
    "business_unit", "groups", "tags", "owners", "first_contact_date", "next_review_date",
    "previous_review_date", "anniversary_review_date", "terms_of_business_at",
    "client_agreement_at", "with_login", "has_joint_account", "can_be_deleted",
    "joint_account_circle", "circles", "ownership_percentage", "inactive_at",
    "last_interaction_at", "referral_code", "permissions", "custom_fields", "external_references",
]
DOC_ERROR = '"[{errors : "the account_uuid field is required" }]"'
RANGE_START = datetime(2025, 9, 1, tzinfo=LONDON)
RANGE_END = datetime(2026, 11, 21, tzinfo=LONDON)
ERROR_WORDS = ("error", "not found", "timed out", "does not exist", "no adviser", "exhausted",
               "no postal", "no primary", "unavailable")
# fmt: on


@pytest.fixture(scope="module")
def raw() -> bytes:
    return resources.files("plannr_nb").joinpath("data/demo_executions.json").read_bytes()


@pytest.fixture(scope="module")
def executions() -> list[dict[str, Any]]:
    """The file's own times (the contract below is about the file as generated)."""
    return load_demo_executions(now=DEMO_SNAPSHOT)


def steps_of(executions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for e in executions for s in e["steps"]]


def when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def is_error(info: str | None) -> bool:
    return bool(info) and any(w in info.lower() for w in ERROR_WORDS)  # type: ignore[union-attr]


def executed(execution: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in execution["steps"] if s["executed_at"] is not None]


# --- file and shape ------------------------------------------------------------------------
def test_file_layout(raw: bytes) -> None:
    assert len(raw) < 1_500_000
    text = raw.decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == "["
    assert lines[-2:] == ["]", ""]  # trailing newline
    body = lines[1:-2]
    assert all(line.startswith('{"uuid":') for line in body)
    assert len(body) == len(json.loads(text))


def test_shape(executions: list[dict[str, Any]]) -> None:
    assert len(executions) >= 220
    for e in executions:
        keys = list(e)
        assert keys[: len(EXECUTION_KEYS)] == EXECUTION_KEYS
        assert keys[len(EXECUTION_KEYS) :] in (["account", "blueprint_uuid"], ["blueprint_uuid"])
        assert 1 <= len(e["steps"]) <= 15
        for s in e["steps"]:
            assert list(s) == STEP_KEYS
            assert isinstance(s["name"], str)
            assert s["info"] is None or isinstance(s["info"], str)
    assert any(len(e["steps"]) == 1 for e in executions)
    assert any(len(e["steps"]) == 15 for e in executions)


def test_uuids_canonical_and_unique(executions: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for e in executions:
        for value in (e["uuid"], *(s["uuid"] for s in e["steps"])):
            assert UUID4.fullmatch(value), value
            assert value not in seen
            seen.add(value)
        assert UUID4.fullmatch(e["blueprint_uuid"])


# --- blueprints --------------------------------------------------------------------------------
def test_blueprints(executions: list[dict[str, Any]]) -> None:
    by_name: dict[str, set[str]] = defaultdict(set)
    triggers: dict[str, set[str]] = defaultdict(set)
    longest: dict[str, list[str]] = {}
    for e in executions:
        by_name[e["name"]].add(e["blueprint_uuid"])
        triggers[e["name"]].add(e["triggered_by"])
        names = [s["name"] for s in e["steps"]]
        if len(names) > len(longest.get(e["name"], [])):
            longest[e["name"]] = names
    assert len(by_name) >= 6
    assert {n: next(iter(u)) for n, u in by_name.items()} == DEMO_BLUEPRINT_UUIDS
    assert all(len(u) == 1 for u in by_name.values())
    assert all(len(t) == 1 for t in triggers.values())
    assert triggers["Send client welcome pack to newly created client"] == {"client.created"}
    for e in executions:  # each execution follows its blueprint's fixed step list
        names = [s["name"] for s in e["steps"]]
        assert names == longest[e["name"]][: len(names)]
    assert any(max(Counter(names).values()) > 1 for names in longest.values())


# --- statuses --------------------------------------------------------------------------------
def test_execution_statuses(executions: list[dict[str, Any]]) -> None:
    counts = Counter(e["status"] for e in executions)
    assert set(counts) == {"completed", "failed", "in_progress", "pending", "cancelled"}
    assert counts["completed"] > len(executions) / 2
    assert 2 <= counts["cancelled"] < counts["failed"]
    step_counts = Counter(s["status"] for s in steps_of(executions))
    assert set(step_counts) == {"completed", "failed", "pending", "skipped"}


def test_status_rules(executions: list[dict[str, Any]]) -> None:
    for e in executions:
        done = executed(e)
        k = len(done)
        # executed steps form a prefix; the rest are pending with no executed_at
        assert all(s["executed_at"] is not None for s in e["steps"][:k])
        assert all(s["status"] == "pending" for s in e["steps"][k:])
        assert all(s["status"] != "pending" for s in done)
        assert e["previous_step"] == (done[-1] if done else None)
        assert e["next_step"] == (e["steps"][k] if k < len(e["steps"]) else None)
        statuses = [s["status"] for s in done]
        if e["status"] == "completed":
            assert k == len(e["steps"])
            assert set(statuses) <= {"completed", "skipped"}
        elif e["status"] == "failed":
            assert statuses[-1] == "failed"
            assert statuses.count("failed") == 1
        elif e["status"] == "in_progress":
            assert 1 <= k < len(e["steps"])
            assert "failed" not in statuses
        elif e["status"] == "pending":
            assert k == 0
        else:
            assert e["status"] == "cancelled"
            assert "failed" not in statuses


# --- info ------------------------------------------------------------------------------------
def test_info_forms(executions: list[dict[str, Any]]) -> None:
    steps = steps_of(executions)
    infos = [s["info"] for s in steps]
    assert sum(i is None or i == "" for i in infos) > len(infos) / 2
    assert "" in infos
    assert DOC_ERROR in infos
    assert any(i and i.startswith('"[{errors : \\"') for i in infos)  # escaped variant
    parsed = [json.loads(i) for i in infos if i and i[0] in "[{"]
    assert {"errors": {"email": ["The email field must be a valid email address."]}} in parsed
    assert {"message": "SMS provider timed out"} in parsed
    assert any(isinstance(p, list) and "errors" in p[0] for p in parsed)
    assert "Template 'Welcome v2' not found" in infos
    assert "Email queued to client" in infos
    assert any(i and i.startswith("Waited ") for i in infos)
    failed_errors = sum(s["status"] == "failed" and is_error(s["info"]) for s in steps)
    completed_errors = sum(s["status"] == "completed" and is_error(s["info"]) for s in steps)
    assert 5 <= completed_errors < failed_errors
    assert any(s["status"] == "failed" and not s["info"] for s in steps)


# --- time ------------------------------------------------------------------------------------
def all_timestamps(executions: list[dict[str, Any]]) -> list[str]:
    out = []
    for e in executions:
        out += [e["created_at"], e["updated_at"]]
        for s in e["steps"]:
            out += [s["created_at"], s["updated_at"]]
            if s["executed_at"]:
                out.append(s["executed_at"])
    return out


def test_timestamps_have_the_uk_offset(executions: list[dict[str, Any]]) -> None:
    stamps = all_timestamps(executions)
    offsets: Counter[str] = Counter()
    for text in stamps:
        moment = when(text)
        assert moment.utcoffset() == moment.astimezone(LONDON).utcoffset(), text
        assert RANGE_START <= moment < RANGE_END, text
        offsets[text[-6:]] += 1
    assert set(offsets) == {"+00:00", "+01:00"}
    fractional = [t for t in stamps if "." in t]
    assert 3 <= len(fractional) < len(stamps) / 50
    assert "2026-03-29T00:59:59.500000+00:00" in stamps


def test_time_order(executions: list[dict[str, Any]]) -> None:
    for e in executions:
        created, updated = when(e["created_at"]), when(e["updated_at"])
        assert created <= updated
        assert updated >= max(when(s["updated_at"]) for s in e["steps"])
        previous = created
        for s in e["steps"]:
            assert when(s["created_at"]) <= when(s["updated_at"])
            if s["executed_at"]:
                moment = when(s["executed_at"])
                assert previous <= moment <= when(s["updated_at"])
                previous = moment


@pytest.mark.parametrize(
    "boundary",
    ["2025-10-26T01:00:00+00:00", "2026-03-29T01:00:00+00:00", "2026-10-25T01:00:00+00:00"],
)
def test_some_executions_straddle_clock_changes(
    executions: list[dict[str, Any]], boundary: str
) -> None:
    instant = when(boundary)
    straddling = [
        e
        for e in executions
        if (done := executed(e))
        and when(e["created_at"]) < instant <= when(done[-1]["executed_at"])
    ]
    assert len(straddling) >= 2
    # at least one has consecutive steps right across the change (seconds/minutes apart)
    assert any(
        when(a["executed_at"]) < instant <= when(b["executed_at"])
        and when(b["executed_at"]) - when(a["executed_at"]) < timedelta(minutes=10)
        for e in straddling
        for a, b in zip([{"executed_at": e["created_at"]}, *executed(e)], executed(e), strict=False)
    )


def gaps_by_position(executions: list[dict[str, Any]]) -> dict[tuple[str, int], list[float]]:
    out: dict[tuple[str, int], list[float]] = defaultdict(list)
    for e in executions:
        previous = when(e["created_at"])
        for i, s in enumerate(executed(e)):
            moment = when(s["executed_at"])
            if s["status"] != "skipped":
                out[e["name"], i].append((moment - previous).total_seconds())
            previous = moment
    return out


def test_gaps_and_outliers(executions: list[dict[str, Any]]) -> None:
    gaps = gaps_by_position(executions)
    flat = [g for values in gaps.values() for g in values]
    assert any(g < 10 for g in flat)
    assert any(60 <= g < 6 * 3600 for g in flat)
    assert any(g >= 7 * 86_400 for g in flat)
    for name in DEMO_BLUEPRINT_UUIDS:
        flagged = sum(
            1
            for (bp, _), values in gaps.items()
            if bp == name and len(values) >= 5
            for g in values
            if g >= 8 * statistics.median(values)
        )
        assert flagged >= 1, name


# --- accounts --------------------------------------------------------------------------------
def test_accounts(executions: list[dict[str, Any]]) -> None:
    with_account = [e for e in executions if "account" in e]
    assert 0.3 <= len(with_account) / len(executions) <= 0.5
    per_client = Counter(e["account"]["uuid"] for e in with_account)
    assert 50 <= len(per_client) <= 70
    assert max(per_client.values()) >= 3
    snapshots: dict[str, dict[str, Any]] = {}
    custom: Counter[str] = Counter()
    for e in with_account:
        a = e["account"]
        assert list(a) == ACCOUNT_KEYS
        assert snapshots.setdefault(a["uuid"], a) == a  # one client, one record
        assert UUID4.fullmatch(a["uuid"])
        assert (a["type"], a["role"]) == ("client", "client")
        assert a["name"] == f"{a['first_name']} {a['last_name']}"
        assert re.fullmatch(r"[a-z0-9.\-]+@example\.(com|co\.uk)", a["email"]), a["email"]
        assert a["primary_email"]["email"] == a["email"]
        assert re.fullmatch(r"07700 900\d{3}", a["primary_phone_number"]["number"])
        assert a["photo_url"].startswith("https://avatars.example.com/")
        assert a["can_be_deleted"] in ("true", "false")
        assert set(a["firm"]) == {"uuid", "name"}
        for key in (
            "assigned_adviser",
            "assigned_administrator",
            "assigned_paraplanner",
            "introduced_by",
            "business_unit",
            "joint_account_circle",
        ):
            assert a[key] is None or set(a[key]) == {"uuid", "name"}
        for key in ("tags", "groups", "circles"):
            assert all(set(item) == {"uuid", "name"} for item in a[key])
        assert a["owners"] is None or isinstance(a["owners"], (list, dict))
        assert a["current_time_entry"] is None
        assert a["external_references"] == []
        assert a["permissions"] == {"firm:read": ["firm"], "network:read": ["network:uuid"]}
        assert a["custom_fields"] == [] or isinstance(a["custom_fields"], dict)
        custom[type(a["custom_fields"]).__name__] += 1
        for key in (
            "created_at",
            "updated_at",
            "first_contact_date",
            "next_review_date",
            "previous_review_date",
            "anniversary_review_date",
            "terms_of_business_at",
            "client_agreement_at",
        ):
            if a[key] is not None:
                moment = when(a[key])
                assert moment.utcoffset() == moment.astimezone(LONDON).utcoffset()
        if a["inactive_at"] is not None:
            date.fromisoformat(a["inactive_at"])
            assert len(a["inactive_at"]) == 10
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", a["last_interaction_at"])
    assert set(custom) == {"list", "dict"}
    accounts = list(snapshots.values())
    assert any(a["tags"] == [] for a in accounts)
    assert any(a["tags"] for a in accounts)
    assert any(isinstance(a["owners"], list) for a in accounts)
    assert any(a["inactive_at"] for a in accounts)
    assert len({a["name"] for a in accounts}) == len(accounts)


# --- constants -------------------------------------------------------------------------------
def test_story_and_running(executions: list[dict[str, Any]]) -> None:
    by_uuid = {e["uuid"]: e for e in executions}
    story = by_uuid[DEMO_STORY_UUID]
    assert story["status"] == "failed"
    assert "account" in story
    assert any(s["status"] == "completed" and is_error(s["info"]) for s in story["steps"])
    assert story["next_step"] is not None
    running = by_uuid[DEMO_RUNNING_UUID]
    assert running["status"] == "in_progress"
    assert any(s["status"] == "pending" and s["executed_at"] is None for s in running["steps"])
    assert running["previous_step"] is not None


def test_load_gives_equal_but_independent_copies() -> None:
    first = load_demo_executions()
    second = load_demo_executions()
    assert first == second
    assert first is not second
    assert first[0] is not second[0]
    assert first[0]["steps"] is not second[0]["steps"]
    first[0]["steps"][0]["status"] = "mutated"
    first.clear()
    third = load_demo_executions()
    assert third == second
    assert third[0]["steps"][0]["status"] != "mutated"


# --- the generator ---------------------------------------------------------------------------
@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_generator_check_passes(hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "TZ": "America/New_York"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_generator_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "demo.json"
    stale.write_text("[]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--output", str(stale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1


def test_the_documented_example_uuid_works_on_the_demo() -> None:
    """The API docs' example UUID is served offline, with its completed-but-errored SMS."""
    import plannr_nb as pnb

    with pnb.PlannrClient.demo() as client:
        execution = client.get_execution(
            "CC137447-A749-4B21-88A5-B27EF8B16878", include_account=True
        )
    created = datetime.fromisoformat(execution["created_at"])
    moved = datetime.fromisoformat(
        load_demo_executions()[0]["created_at"]
    ) - datetime.fromisoformat(load_demo_executions(now=DEMO_SNAPSHOT)[0]["created_at"])
    assert created == datetime.fromisoformat("2026-06-08T16:08:03+01:00") + moved
    steps = pnb.steps_frame(execution)
    sms = steps.row(1, named=True)
    assert sms["name"] == "Send SMS"
    assert sms["status"] == "completed"
    assert sms["failed"]
    assert sms["errors"] == ["the account_uuid field is required"]
    assert "@example." in execution["account"]["email"]


def test_the_generator_and_the_loader_share_the_snapshot() -> None:
    """The moment the loader moves to the present is the one the generator laid data out to."""
    text = SCRIPT.read_text(encoding="utf-8")
    match = re.search(
        r"^SNAPSHOT = datetime\((\d+), (\d+), (\d+), (\d+), (\d+), tzinfo=UTC\)", text, re.M
    )
    assert match
    year, month, day, hour, minute = map(int, match.groups())
    assert datetime(year, month, day, hour, minute, tzinfo=DEMO_SNAPSHOT.tzinfo) == DEMO_SNAPSHOT


@pytest.mark.parametrize("now", [datetime(2031, 3, 30, 0, 30), datetime(2024, 10, 27, 1, 30)])
def test_demo_is_anchored_to_now(now: datetime) -> None:
    """Loaded for any present, the newest event is a few hours old and the shape is kept."""
    from datetime import UTC

    anchored = load_demo_executions(now=now)
    original = load_demo_executions(now=DEMO_SNAPSHOT)
    newest = max(when(e["updated_at"]) for e in anchored)
    assert timedelta(0) < now.replace(tzinfo=UTC) - newest < timedelta(hours=6)
    delta = now.replace(tzinfo=UTC) - DEMO_SNAPSHOT
    for a, b in zip(anchored, original, strict=True):
        assert a["uuid"] == b["uuid"]
        assert a["status"] == b["status"]
        assert when(a["created_at"]) - when(b["created_at"]) == delta
        for sa, sb in zip(a["steps"], b["steps"], strict=True):
            assert sa["info"] == sb["info"]
            if sb["executed_at"] is None:
                assert sa["executed_at"] is None
            else:
                assert when(sa["executed_at"]) - when(sb["executed_at"]) == delta
                # the UK offset of the new moment, as the API would write it
                moment = when(sa["executed_at"]).astimezone(LONDON)
                assert sa["executed_at"].endswith(moment.strftime("%z")[:3] + ":00")


def test_running_demo_runs_look_running_today() -> None:
    """With the default anchor the running demo run waits days, as designed, not 400 d."""
    import plannr_nb as pnb

    executions, steps, _ = pnb.build_frames(pnb.load_demo_executions())
    story = pnb.explain(DEMO_RUNNING_UUID, executions, steps)
    days = re.search(r"No activity for (\d+) d", story)
    assert days, story
    assert 2 <= int(days.group(1)) < 10
