"""Deterministic response bodies shaped like ``GET /api/v1/automation-executions/{uuid}``.

Each body is the compact JSON of one bare execution (bytes), as the documented response shows it
(``/work/shared/api/get-automation-execution.txt``), with the proportions of PERF_NOTES.md:

* average about 4.7 KB; 1-30 steps; about half the steps not yet executed (``executed_at`` null,
  status ``pending``), the executed ones first;
* half the executions carry ``account`` with every documented attribute, relations as realistic
  objects or lists (``firm``, ``assigned_adviser``, ``tags``...), ``custom_fields`` sometimes
  ``[]`` (PHP's empty map) and sometimes an object;
* offsets ``+00:00`` and ``+01:00``; ``info`` null, empty, informational, or carrying errors in
  the documented forms (the not-quite-JSON ``"[{errors : \\"...\\" }]"``, JSON lists and objects,
  Laravel's ``{"message", "errors"}``, plain text).

Steps and executions are built by ``plannr_nb._payloads`` (key order, ``next_step`` and
``previous_step``), as the demo data and ``plannr_nb.testing`` are.

Speed: a few hundred templates are built with ``random`` once; each body is a template with two
placeholders replaced (an 8-hex-digit prefix that makes every execution and step uuid unique, and
the calendar date), so 100,000 bodies take a second or two.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import orjson

from plannr_nb._payloads import execution_payload, step_payload

__all__ = ["make_bodies"]

_UUID_MARK = "@@@@@@@@"  # 8 characters, replaced by 8 hex digits per body
_DATE_MARK = "@DATE@@@@@"  # 10 characters, replaced by YYYY-MM-DD per body

_STEP_NAMES = (
    "Send SMS",
    "Send email",
    "Send client welcome pack",
    "Create task for adviser",
    "Wait 2 days",
    "Wait until review date",
    "Update client status",
    "Add tag",
    "Request documents",
    "Notify adviser",
    "Generate fact find",
    "Send Docusign envelope",
    "Create review meeting",
    "Assign paraplanner",
    "Webhook: sync to back office",
)

_AUTOMATIONS = (
    ("Send client welcome pack to newly created client", "client.created"),
    ("Annual review reminder", "review.due"),
    ("Chase outstanding documents", "document.requested"),
    ("New lead follow-up", "lead.created"),
    ("Onboarding: terms of business", "client.updated"),
    ("Birthday message", "schedule.daily"),
    ("Post-meeting actions", "meeting.completed"),
    ("Fee agreement renewal", "agreement.expiring"),
)

_INFO_OK: tuple[str | None, ...] = (
    None,
    None,
    None,
    None,
    "",
    "Email queued",
    "SMS sent to +447700900123",
    "Task created",
    '{"message":"Delivered"}',
    '[{"status":"sent","id":"msg_01HZX3"}]',
)

_INFO_ERRORS = (
    # The documented form: a JSON-ish list wrapped in quotes, with unquoted keys.
    '"[{errors : "the account_uuid field is required" }]"',
    '"[{errors : "the template_uuid field is required" }]"',
    '[{"errors":"the account_uuid field is required"}]',
    '{"errors":{"email":["The email must be a valid email address."]}}',
    '{"message":"The given data was invalid.","errors":{"phone":["The phone field is required."]}}',
    '{"error":"Mailbox unavailable"}',
    "Template not found",
    "Request timed out after 30 seconds",
)

_FIRST = ("Gareth", "Amelia", "Oliver", "Priya", "Hannah", "James", "Chloe", "Mohammed", "Ruth")
_LAST = ("Thompson", "Patel", "Jones", "Williams", "Okafor", "Evans", "Brown", "Clarke", "Hughes")
_FIRMS = ("Codepotato Wealth", "Northgate Financial Planning", "Harbour Lane Advisers")
_UNITS = ("Leeds office", "London office", "Protection team")
_TAGS = ("VIP", "Pension transfer", "ISA", "Protection", "Inheritance tax", "Retired")
_GROUPS = ("Ongoing service", "Transactional", "Legacy book")


class _Rng:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def hex(self, n: int) -> str:
        return f"{self.r.getrandbits(4 * n):0{n}x}"

    def uuid(self, prefix: str | None = None) -> str:
        """A version-4 uuid; with ``prefix`` its first 8 digits are that placeholder."""
        head = prefix if prefix is not None else self.hex(8)
        variant = "89ab"[self.r.randrange(4)]
        return f"{head}-{self.hex(4)}-4{self.hex(3)}-{variant}{self.hex(3)}-{self.hex(12)}"

    def past_timestamp(self, offset: str) -> str:
        day = date(2019, 1, 1) + timedelta(days=self.r.randrange(2200))
        hms = f"{self.r.randrange(8, 19):02d}:{self.r.randrange(60):02d}:{self.r.randrange(60):02d}"
        return f"{day.isoformat()}T{hms}{offset}"

    def past_date(self) -> str:
        return (date(2018, 1, 1) + timedelta(days=self.r.randrange(3000))).isoformat()


def _person(rng: _Rng, *, email: bool = True) -> dict[str, Any]:
    first, last = rng.r.choice(_FIRST), rng.r.choice(_LAST)
    person: dict[str, Any] = {"uuid": rng.uuid(), "name": f"{first} {last}"}
    if email:
        person["email"] = f"{first.lower()}.{last.lower()}@example.co.uk"
    return person


def _account(rng: _Rng, offset: str) -> dict[str, Any]:
    r = rng.r
    first, last = r.choice(_FIRST), r.choice(_LAST)
    joint = r.random() < 0.3
    custom_fields: Any = (
        []
        if r.random() < 0.5
        else {
            "risk_profile": r.choice(("Cautious", "Balanced", "Adventurous")),
            "preferred_contact": r.choice(("Email", "Phone", "Post")),
            "vulnerable_client": r.choice((True, False)),
        }
    )
    return {
        "uuid": rng.uuid(),
        "created_at": rng.past_timestamp(offset),
        "updated_at": rng.past_timestamp(offset),
        "type": "client",
        "role": "client",
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "email": f"{first.lower()}@example.co.uk",
        "photo_url": f"https://eu.ui-avatars.com/api/?name={first.lower()}+{last.lower()}",
        "firm": {"uuid": rng.uuid(), "name": r.choice(_FIRMS)},
        "primary_phone_number": {"type": "mobile", "number": f"+4477009{r.randrange(10**5):05d}"},
        "primary_email": {"type": "personal", "email": f"{first.lower()}@example.co.uk"},
        "current_time_entry": None,
        "assigned_adviser": _person(rng),
        "assigned_administrator": _person(rng, email=False),
        "assigned_paraplanner": _person(rng, email=False) if r.random() < 0.6 else None,
        "introduced_by": _person(rng, email=False) if r.random() < 0.3 else None,
        "business_unit": {"uuid": rng.uuid(), "name": r.choice(_UNITS)},
        "groups": [{"uuid": rng.uuid(), "name": r.choice(_GROUPS)}],
        "tags": [{"uuid": rng.uuid(), "name": tag} for tag in r.sample(_TAGS, r.randrange(0, 3))],
        "owners": [_person(rng, email=False)],
        "first_contact_date": rng.past_date(),
        "next_review_date": (date(2026, 7, 1) + timedelta(days=r.randrange(365))).isoformat(),
        "previous_review_date": rng.past_date(),
        "anniversary_review_date": rng.past_date(),
        "terms_of_business_at": rng.past_timestamp(offset),
        "client_agreement_at": rng.past_timestamp(offset) if r.random() < 0.8 else None,
        "with_login": r.random() < 0.4,
        "has_joint_account": joint,
        "can_be_deleted": "false",
        "joint_account_circle": {"uuid": rng.uuid(), "name": f"The {last} family"}
        if joint
        else None,
        "circles": [{"uuid": rng.uuid(), "name": f"The {last} family"}] if joint else [],
        "ownership_percentage": 50 if joint else 100,
        "inactive_at": None,
        "last_interaction_at": f"2026-05-{r.randrange(1, 29):02d} "
        f"{r.randrange(8, 18):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}",
        "referral_code": rng.hex(8).upper(),
        "permissions": {"firm:read": ["firm"], "network:read": ["network"]},
        "custom_fields": custom_fields,
        "external_references": []
        if r.random() < 0.7
        else [{"system": "Intelliflo", "reference": str(r.randrange(10**6, 10**7))}],
    }


def _clock(seconds: int, offset: str) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{_DATE_MARK}T{h:02d}:{m:02d}:{s:02d}{offset}"


def _template(rng: _Rng, accounts: list[dict[str, Any]]) -> bytes:
    r = rng.r
    offset = r.choice(("+00:00", "+01:00"))
    name, trigger = r.choice(_AUTOMATIONS)
    count = r.randint(1, 30)
    executed = r.randint(0, count)  # on average half of the steps have run
    start = r.randrange(7 * 3600, 11 * 3600)
    created = _clock(start, offset)
    moment = start
    steps: list[dict[str, Any]] = []
    failed = False
    for index in range(count):
        at: str | None = None
        info: str | None = None
        if index < executed and not failed:
            moment += r.choice((1, 2, 5, 30, 60, 300, 900, 1200))
            at = _clock(moment, offset)
            fails = r.random() < 0.015
            if fails:
                info = r.choice(_INFO_ERRORS)
                status = "failed"
                failed = True
            elif r.random() < 0.03:  # completed, yet info carries an error
                info, status = r.choice(_INFO_ERRORS), "completed"
            else:
                info, status = r.choice(_INFO_OK), "completed"
        else:
            status = "skipped" if failed else "pending"
        step_name = _STEP_NAMES[(index * 7 + count) % len(_STEP_NAMES)]
        uuid = rng.uuid(_UUID_MARK)
        steps.append(
            step_payload(
                uuid=uuid,
                name=step_name,
                status=status,
                created_at=created,
                executed_at=at,
                info=info,
            )
        )
    status = "failed" if failed else ("in_progress" if executed < count else "completed")
    body = execution_payload(
        uuid=rng.uuid(_UUID_MARK),
        name=name,
        status=status,
        triggered_by=trigger,
        created_at=created,
        steps=steps,
        account=r.choice(accounts) if r.random() < 0.5 else None,
    )
    return orjson.dumps(body)


def make_bodies(count: int, *, seed: int = 0, templates: int = 400) -> list[bytes]:
    """``count`` distinct response bodies (compact JSON bytes), the same for the same ``seed``.

    Every execution and step uuid is unique across the list; accounts repeat (about 120 distinct).
    """
    rng = _Rng(seed)
    offsets = [rng.r.choice(("+00:00", "+01:00")) for _ in range(120)]
    accounts = [_account(rng, offset) for offset in offsets]
    shapes = [_template(rng, accounts) for _ in range(templates)]
    uuid_mark, date_mark = _UUID_MARK.encode(), _DATE_MARK.encode()
    days = [(date(2025, 1, 1) + timedelta(days=n)).isoformat().encode() for n in range(540)]
    picks = [rng.r.randrange(templates) for _ in range(count)]
    bodies = []
    for index, pick in enumerate(picks):
        # An odd multiplier is a bijection modulo 2**32: unique, scattered prefixes.
        prefix = b"%08x" % ((index * 2654435761 + seed) & 0xFFFFFFFF)
        day = days[(index * 7919) % len(days)]
        bodies.append(shapes[pick].replace(uuid_mark, prefix).replace(date_mark, day))
    return bodies


if __name__ == "__main__":
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t0 = time.perf_counter()
    generated = make_bodies(n)
    elapsed = time.perf_counter() - t0
    size = sum(map(len, generated))
    steps = sum(len(orjson.loads(b)["steps"]) for b in generated[:2000]) / min(n, 2000)
    print(
        f"{n} bodies, {size / 1e6:.1f} MB, average {size / n / 1e3:.2f} KB, "
        f"~{steps:.1f} steps each, in {elapsed:.2f} s"
    )
