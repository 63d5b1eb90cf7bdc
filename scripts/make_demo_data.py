#!/usr/bin/env python3
"""Regenerate ``plannr_nb/data/demo_executions.json``: a synthetic, deterministic demo dataset.

Usage::

    python scripts/make_demo_data.py           # (re)write the file
    python scripts/make_demo_data.py --check   # exit 1 if the committed file differs

Everything is drawn from ``random.Random(SEED)`` and laid out on a fixed calendar ending at
``SNAPSHOT`` (the moment the "API" was queried), so the output depends neither on today's date,
the machine, nor hash randomisation. Standard library only, besides the package's payload
builder (``plannr_nb._payloads``, shared with the fleet history and ``plannr_nb.testing``). All
names, e-mail addresses (example.com / example.co.uk) and phone numbers (Ofcom drama range
07700 900xxx) are made up.

The shape follows the documented ``GET /api/v1/automation-executions/{uuid}`` response, plus a
``blueprint_uuid`` key so that a simulated API can serve
``/automation-blueprints/{uuid}/executions``.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from plannr_nb._payloads import attach_account, execution_payload, step_payload

SEED = 20260608
LONDON = ZoneInfo("Europe/London")
START = datetime(2025, 9, 1, tzinfo=LONDON).astimezone(UTC)
SNAPSHOT = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # "now" for the dataset (GMT)
OUTPUT = Path(__file__).resolve().parent.parent / "plannr_nb" / "data" / "demo_executions.json"

N_CLIENTS = 60
ACCOUNT_SHARE = 0.4
STATUS_WEIGHTS = (
    ("completed", 58),
    ("failed", 20),
    ("in_progress", 10),
    ("pending", 7),
    ("cancelled", 5),
)

# The documented error form: the info string is itself wrapped in double quotes.
DOC_ERROR = '"[{errors : "the account_uuid field is required" }]"'
# The same, as seen when the server escapes the inner quotes once more.
DOC_ERROR_ESCAPED = '"[{errors : \\"the client_uuid field is required\\" }]"'


# --------------------------------------------------------------------------------------------
# Blueprints
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepSpec:
    name: str
    kind: str  # email, sms, task, check, update, wait, until9, generate, letter, escalate
    seconds: float  # typical time between the previous step (or the trigger) and this one
    always: bool = False  # still runs after a successful check has short-circuited the chase


@dataclass(frozen=True)
class Blueprint:
    name: str
    trigger: str
    steps: tuple[StepSpec, ...]
    count: int  # executions of this blueprint, besides the hand-made ones
    hours: tuple[int, int]  # local hours in which the trigger fires
    check_ok: str = ""
    check_waiting: tuple[str, ...] = ()
    skip_reason: str = ""
    check_ok_p: float = 0.3


def _s(name: str, kind: str, seconds: float, *, always: bool = False) -> StepSpec:
    return StepSpec(name, kind, seconds, always)


DAY = 86_400.0
BLUEPRINTS: tuple[Blueprint, ...] = (
    Blueprint(
        name="Send client welcome pack to newly created client",
        trigger="client.created",
        steps=(
            _s("Send welcome email", "email", 4),
            _s("Send SMS", "sms", 3),
            _s("Create task for adviser", "task", 45),
            _s("Wait 3 days", "wait", 3 * DAY),
            _s("Check documents received", "check", 20),
            _s("Send reminder email", "email", 5),
            _s("Wait 7 days", "wait", 7 * DAY),
            _s("Send reminder email", "email", 5),
            _s("Update client status", "update", 15, always=True),
        ),
        count=36,
        hours=(8, 19),
        check_ok="Documents received: 3 of 3",
        check_waiting=(
            "Documents received: 0 of 3",
            "Documents received: 1 of 3",
            "Documents received: 2 of 3",
        ),
        skip_reason="Skipped: documents already received",
    ),
    Blueprint(
        name="Annual review reminder",
        trigger="review.due",
        steps=(
            _s("Generate review pack", "generate", 240),
            _s("Send review invitation email", "email", 6),
            _s("Send SMS", "sms", 3),
            _s("Wait 7 days", "wait", 7 * DAY),
            _s("Check meeting booked", "check", 15),
            _s("Send reminder email", "email", 5),
            _s("Wait 3 days", "wait", 3 * DAY),
            _s("Check meeting booked", "check", 15),
            _s("Create task for adviser", "task", 45, always=True),
            _s("Update next review date", "update", 12, always=True),
        ),
        count=42,
        hours=(6, 6),
        check_ok="Review meeting booked",
        check_waiting=("No meeting booked yet", "Invitation opened, no meeting booked"),
        skip_reason="Skipped: review meeting already booked",
    ),
    Blueprint(
        name="KYC document chase",
        trigger="kyc.documents_requested",
        steps=(
            _s("Send document request email", "email", 5),
            _s("Wait 2 days", "wait", 2 * DAY),
            _s("Check documents received", "check", 20),
            _s("Send reminder email", "email", 5),
            _s("Send SMS", "sms", 2),
            _s("Wait 5 days", "wait", 5 * DAY),
            _s("Check documents received", "check", 20),
            _s("Send reminder email", "email", 5),
            _s("Wait 7 days", "wait", 7 * DAY),
            _s("Check documents received", "check", 20),
            _s("Create task for administrator", "task", 40),
            _s("Wait 3 days", "wait", 3 * DAY),
            _s("Check documents received", "check", 20),
            _s("Escalate to compliance", "escalate", 60),
            _s("Update client status", "update", 15, always=True),
        ),
        count=32,
        hours=(8, 18),
        check_ok="Proof of identity and proof of address received",
        check_waiting=(
            "Outstanding: proof of address",
            "Outstanding: proof of identity, proof of address",
            "Outstanding: source of funds evidence",
        ),
        skip_reason="Skipped: documents already received",
        check_ok_p=0.25,
    ),
    Blueprint(
        name="Pension transfer follow-up",
        trigger="case.status_changed",
        steps=(
            _s("Create task for paraplanner", "task", 50),
            _s("Send letter of authority to provider", "letter", 180),
            _s("Wait 14 days", "wait", 14 * DAY),
            _s("Check provider response", "check", 25),
            _s("Send chaser email to provider", "email", 6),
            _s("Wait 7 days", "wait", 7 * DAY),
            _s("Check provider response", "check", 25),
            _s("Create task for adviser", "task", 45, always=True),
        ),
        count=26,
        hours=(9, 17),
        check_ok="Provider response received",
        check_waiting=(
            "No response from provider",
            "Provider acknowledged, transfer value pending",
        ),
        skip_reason="Skipped: provider already responded",
        check_ok_p=0.35,
    ),
    Blueprint(
        name="Onboarding fact-find chase",
        trigger="fact_find.sent",
        steps=(
            _s("Send fact-find link email", "email", 4),
            _s("Wait 1 day", "wait", DAY),
            _s("Check fact-find submitted", "check", 10),
            _s("Send reminder email", "email", 5),
            _s("Send SMS", "sms", 3),
            _s("Wait 3 days", "wait", 3 * DAY),
            _s("Check fact-find submitted", "check", 10),
            _s("Create task for adviser", "task", 45, always=True),
        ),
        count=34,
        hours=(8, 20),
        check_ok="Fact-find submitted by client",
        check_waiting=("Fact-find not yet submitted", "Fact-find 40% complete"),
        skip_reason="Skipped: fact-find already submitted",
    ),
    Blueprint(
        name="Birthday card and adviser call",
        trigger="client.birthday",
        steps=(
            _s("Wait until 9am", "until9", 0),
            _s("Send birthday email", "email", 4),
            _s("Create task to post birthday card", "task", 30),
            _s("Create task for adviser call", "task", 30),
        ),
        count=36,
        hours=(0, 0),
    ),
    Blueprint(
        name="New enquiry notification",
        trigger="enquiry.received",
        steps=(_s("Create task for adviser", "task", 20),),
        count=27,
        hours=(7, 22),
    ),
)

ERRORS: dict[str, tuple[str, ...]] = {
    "email": (
        DOC_ERROR,
        '{"errors": {"email": ["The email field must be a valid email address."]}}',
        '[{"errors": "the account_uuid field is required"}]',
        "Template 'Welcome v2' not found",
        '{"message": "Mail provider rejected the message: 550 5.1.1 mailbox unavailable"}',
        "Client has no primary email address",
    ),
    "sms": (
        DOC_ERROR,
        '{"message": "SMS provider timed out"}',
        '{"errors": {"phone_number": ["The phone number must be a valid UK mobile number."]}}',
        DOC_ERROR_ESCAPED,
        "SMS credit balance exhausted",
    ),
    "task": (
        "No adviser assigned to client",
        '[{"errors": "the assignee_uuid field is required"}]',
        DOC_ERROR,
        DOC_ERROR_ESCAPED,
    ),
    "check": (
        "Document type 'Proof of address' is not configured for this firm",
        '{"message": "Server Error"}',
        DOC_ERROR,
    ),
    "update": (
        "Status 'Onboarded' does not exist",
        '{"errors": {"status": ["The selected status is invalid."]}}',
        '[{"errors": "the account_uuid field is required"}]',
    ),
    "generate": (
        '{"message": "PDF rendering service unavailable"}',
        "Template 'Annual review pack 2026' not found",
    ),
    "letter": (
        "Provider 'Aurora Life & Pensions' has no postal address",
        '{"message": "PDF rendering service unavailable"}',
    ),
    "escalate": ('[{"errors": "the compliance_officer_uuid field is required"}]',),
    "wait": ('{"message": "Queue worker restarted, job released"}',),
    "until9": ('{"message": "Queue worker restarted, job released"}',),
}

BENIGN: dict[str, tuple[str, ...]] = {
    "email": ("Email queued to client", "Email sent"),
    "sms": ("SMS queued for delivery", "SMS sent"),
    "task": ("Task created for adviser", "Task created"),
    "update": ("Client status set to Active", "Record updated"),
    "generate": ("Review pack generated (14 pages)", "Review pack generated"),
    "letter": ("Letter of authority sent by post", "Letter generated and queued"),
    "escalate": ("Escalated to compliance team",),
    "until9": ("Waited until 09:00",),
}


# --------------------------------------------------------------------------------------------
# People (all made up)
# --------------------------------------------------------------------------------------------
# fmt: off
FIRST_NAMES = (
    "Amara", "Bethan", "Callum", "Deepa", "Eilidh", "Ffion", "Gethin", "Harriet", "Imran",
    "Jasmine", "Lowri", "Mateusz", "Niamh", "Oluwaseun", "Pádraig", "Rhiannon", "Saoirse",
    "Tobias", "Uzma", "Viktor", "Wilhelmina", "Yasmin", "Zoë", "Siân", "Ciarán", "Aoife",
    "Rhys", "Dafydd", "Priya", "Arjun", "Aisha", "Kwame", "Chidi", "Tomasz", "Agnieszka", "Mei",
    "Hamish", "Morag", "Lachlan", "Orla", "Declan", "Fenella", "Hugo", "Isla", "Jago", "Kirsty",
    "Lorcan", "Maisie", "Nkechi", "Osian", "Pippa", "Ravi", "Sunita", "Tegan", "Wren", "Esme",
    "Cerys", "Farida", "Gregor", "Halima", "Ifan", "Jolene", "Kofi", "Leontyne", "Magnus",
)
LAST_NAMES = (
    "Ashdown-Pryce", "Blackwood", "Carrow", "Dunmore", "Eastleigh", "Fairbairn", "Greenhalgh",
    "Hollis", "Ingleby", "Jarrow", "Lindqvist", "MacAskill", "Nwachukwu", "O'Driscoll",
    "Penhaligon", "Quigley", "Rathbone", "Sandhu", "Trevelyan", "Underhill", "Whitcombe",
    "Yardley", "Zielinski", "Okafor", "Chaudhry", "Llewellyn", "Abernethy", "Kowalczyk",
    "Mistry", "Gallagher", "Pennington", "Thornbury", "Fairweather", "Harcourt", "Kavanagh",
    "Osei", "Brannigan", "Cheung", "Haworth", "Iqbal", "Jaworski", "Kilbride", "Lockhart",
    "Moorcroft", "Nandakumar", "Rowntree", "Sutcliffe", "Tremayne", "Venables-Shaw", "Wetherall",
)
ADVISERS = ("Imogen Ashcombe", "Rupert Kettlewell", "Nadia Farouk-Ellis", "Owain Pritchard")
ADMINISTRATORS = ("Dawn Whitlow", "Kerry-Ann Mossop")
PARAPLANNERS = ("Felix Arkwright", "Sana Qureshi-Bell")
INTRODUCERS = ("Bramley Accountancy Ltd", "Giles Ottershaw", "Marchwood Solicitors LLP")
TAGS = (
    "High net worth", "Pension transfer", "Vulnerable client", "Protection review", "ISA",
    "Newsletter opt-in", "Inheritance tax planning",
)
GROUPS = ("Ongoing service", "Transactional", "Legacy book", "Referral partners")
BUSINESS_UNITS = ("Bristol office", "Leeds office")
FIRM_NAME = "Demo Wealth Partners Ltd"
# fmt: on


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def new_uuid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(moment: datetime) -> str:
    """ISO-8601 with the UK offset in force at that instant (+00:00 GMT, +01:00 BST)."""
    return moment.astimezone(LONDON).isoformat()


def local(day: date, hour: int, minute: int, second: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON).astimezone(
        UTC
    )


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-")


def ref(rng: Random, name: str) -> dict[str, Any]:
    return {"uuid": new_uuid(rng), "name": name}


def weighted(rng: Random, pairs: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in pairs)
    pick = rng.randrange(total)
    for value, w in pairs:
        if pick < w:
            return value
        pick -= w
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------
def make_staff(rng: Random) -> dict[str, list[dict[str, Any]]]:
    return {
        "firm": [ref(rng, FIRM_NAME)],
        "adviser": [ref(rng, n) for n in ADVISERS],
        "administrator": [ref(rng, n) for n in ADMINISTRATORS],
        "paraplanner": [ref(rng, n) for n in PARAPLANNERS],
        "introducer": [ref(rng, n) for n in INTRODUCERS],
        "tag": [ref(rng, n) for n in TAGS],
        "group": [ref(rng, n) for n in GROUPS],
        "business_unit": [ref(rng, n) for n in BUSINESS_UNITS],
    }


def midnight(day: date) -> datetime:
    return local(day, 0, 0, 0)


def make_accounts(rng: Random, staff: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(pairs)
    chosen: list[tuple[str, str]] = []
    used_first: Counter[str] = Counter()
    used_last: Counter[str] = Counter()
    for first, last in pairs:
        if used_first[first] < 2 and used_last[last] < 2:
            chosen.append((first, last))
            used_first[first] += 1
            used_last[last] += 1
        if len(chosen) == N_CLIENTS:
            break
    phones = rng.sample(range(1000), N_CLIENTS)
    accounts = []
    for (first, last), phone in zip(chosen, phones, strict=True):
        account_uuid = new_uuid(rng)
        name = f"{first} {last}"
        domain = "example.co.uk" if rng.random() < 0.45 else "example.com"
        email = f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}"
        created = local(
            date(2018, 1, 2) + timedelta(days=rng.randrange(2780)),
            rng.randint(8, 18),
            rng.randrange(60),
            rng.randrange(60),
        )
        updated = SNAPSHOT - timedelta(seconds=rng.randrange(150 * 86_400))
        first_contact = midnight((created - timedelta(days=rng.randint(0, 120))).date())
        previous_review = midnight(date(2025, 9, 1) + timedelta(days=rng.randrange(440)))
        next_review = midnight(previous_review.date() + timedelta(days=365))
        anniversary = midnight(date(2026, created.month, min(created.day, 28)))
        tob = created + timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 5))
        agreement = tob + timedelta(days=rng.randint(0, 20), minutes=rng.randint(1, 300))
        has_joint = rng.random() < 0.25
        partner = ref(rng, f"{rng.choice(FIRST_NAMES)} {last}") if has_joint else None
        circle = ref(rng, f"{last} family") if has_joint or rng.random() < 0.2 else None
        me = {"uuid": account_uuid, "name": name}
        owners: Any
        if partner is not None:
            owners = [me, partner]
        else:
            r = rng.random()
            owners = [me] if r < 0.6 else (dict(me) if r < 0.8 else None)
        custom_fields: Any = []
        if rng.random() < 0.5:
            custom_fields = {"risk_profile": rng.choice(("cautious", "balanced", "adventurous"))}
            if rng.random() < 0.3:
                custom_fields["preferred_contact"] = rng.choice(("email", "phone", "post"))
        inactive_at = None
        if rng.random() < 0.1:
            inactive_at = (date(2025, 9, 1) + timedelta(days=rng.randrange(440))).isoformat()
        last_interaction = SNAPSHOT - timedelta(seconds=rng.randrange(200 * 86_400))
        letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))
        account: dict[str, Any] = {
            "uuid": account_uuid,
            "created_at": ts(created),
            "updated_at": ts(updated),
            "type": "client",
            "role": "client",
            "first_name": first,
            "last_name": last,
            "name": name,
            "email": email,
            "photo_url": "https://avatars.example.com/api/?name="
            + f"{ascii_slug(first)}+{ascii_slug(last)}",
            "firm": dict(staff["firm"][0]),
            "primary_phone_number": {"uuid": new_uuid(rng), "number": f"07700 900{phone:03d}"},
            "primary_email": {"uuid": new_uuid(rng), "email": email},
            "current_time_entry": None,
            "assigned_adviser": dict(rng.choice(staff["adviser"])) if rng.random() < 0.92 else None,
            "assigned_administrator": (
                dict(rng.choice(staff["administrator"])) if rng.random() < 0.7 else None
            ),
            "assigned_paraplanner": (
                dict(rng.choice(staff["paraplanner"])) if rng.random() < 0.5 else None
            ),
            "introduced_by": dict(rng.choice(staff["introducer"])) if rng.random() < 0.3 else None,
            "business_unit": (
                dict(rng.choice(staff["business_unit"])) if rng.random() < 0.6 else None
            ),
            "groups": [dict(g) for g in rng.sample(staff["group"], rng.choice((0, 1, 1, 2)))],
            "tags": [dict(t) for t in rng.sample(staff["tag"], rng.choice((0, 0, 1, 2, 3)))],
            "owners": owners,
            "first_contact_date": ts(first_contact),
            "next_review_date": ts(next_review),
            "previous_review_date": ts(previous_review),
            "anniversary_review_date": ts(anniversary),
            "terms_of_business_at": ts(tob),
            "client_agreement_at": ts(agreement) if rng.random() < 0.85 else None,
            "with_login": rng.random() < 0.55,
            "has_joint_account": has_joint,
            "can_be_deleted": "true" if rng.random() < 0.2 else "false",
            "joint_account_circle": dict(circle) if has_joint and circle else None,
            "circles": [dict(circle)] if circle else [],
            "ownership_percentage": 50 if has_joint else 100,
            "inactive_at": inactive_at,
            "last_interaction_at": last_interaction.astimezone(LONDON).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "referral_code": f"{letters}{rng.randrange(100_000):05d}",
            "permissions": {"firm:read": ["firm"], "network:read": ["network:uuid"]},
            "custom_fields": custom_fields,
            "external_references": [],
        }
        accounts.append(account)
    return accounts


# --------------------------------------------------------------------------------------------
# Executions
# --------------------------------------------------------------------------------------------
@dataclass
class Run:
    spec: StepSpec
    executed_at: datetime | None
    status: str
    info: str | None
    updated_at: datetime | None = None


def benign_info(rng: Random, spec: StepSpec) -> str | None:
    r = rng.random()
    if r < 0.4:
        return None
    if r < 0.65:
        return ""
    if spec.kind == "wait":
        return "Waited " + spec.name.removeprefix("Wait ")
    return rng.choice(BENIGN.get(spec.kind, ("Done",)))


def gap_seconds(rng: Random, spec: StepSpec, now: datetime) -> float:
    if spec.kind == "wait":
        return spec.seconds + rng.randrange(0, 240)
    if spec.kind == "until9":
        day = now.astimezone(LONDON).date()
        target = local(day, 9, 0, 0)
        if target <= now:
            target = local(day + timedelta(days=1), 9, 0, 0)
        return (target - now).total_seconds() + rng.randrange(0, 90)
    return max(1.0, round(spec.seconds * rng.uniform(0.4, 1.9)))


def simulate(
    rng: Random,
    bp: Blueprint,
    created: datetime,
    *,
    outlier: int | None = None,
    skips: bool = True,
    overrides: dict[int, float] | None = None,
    no_errors: bool = False,
) -> list[Run]:
    """Run every step of ``bp`` from ``created``; the caller then cuts the run short."""
    overrides = overrides or {}
    now = created
    short_circuit = False
    runs: list[Run] = []
    for index, spec in enumerate(bp.steps):
        if short_circuit and not spec.always:
            now = (now + timedelta(seconds=1)).replace(microsecond=0)
            runs.append(Run(spec, now, "skipped", bp.skip_reason, now))
            continue
        if index in overrides:
            now = now + timedelta(seconds=overrides[index])
        else:
            gap = gap_seconds(rng, spec, now)
            if index == outlier:  # a slow outlier: 10-12 times the usual time
                usual = spec.seconds if spec.kind not in ("wait", "until9") else gap
                gap = round(usual * rng.uniform(10.0, 12.0))
            now = (now + timedelta(seconds=gap)).replace(microsecond=0)
            if rng.random() < 0.012:
                now = now.replace(microsecond=rng.randrange(1, 1000) * 1000)
        status, info = "completed", None
        if spec.kind == "check":
            if skips and rng.random() < bp.check_ok_p:
                info = bp.check_ok
                short_circuit = True
            else:
                info = rng.choice(bp.check_waiting) if rng.random() < 0.7 else None
        elif spec.kind == "sms" and skips and rng.random() < 0.08:
            status, info = "skipped", "Skipped: no mobile number on file"
        elif spec.kind in ("email", "sms", "task") and not no_errors and rng.random() < 0.05:
            info = rng.choice(ERRORS[spec.kind])  # an error the step swallowed
        else:
            info = benign_info(rng, spec)
        updated = now + timedelta(seconds=1) if rng.random() < 0.15 else now
        runs.append(Run(spec, now, status, info, updated))
    return runs


def random_created(rng: Random, bp: Blueprint, *, latest: datetime = SNAPSHOT) -> datetime:
    span_days = (latest - START).days
    while True:
        day = (START + timedelta(days=rng.randrange(span_days + 1))).astimezone(LONDON).date()
        lo, hi = bp.hours
        if lo != hi and day.weekday() >= 5 and rng.random() < 0.85:
            continue  # office triggers mostly fire on weekdays
        if lo == 0 and hi == 0:
            moment = local(day, 0, 0, rng.randint(1, 9))  # the nightly birthday job
        elif lo == hi:
            moment = local(day, lo, rng.randrange(3), rng.randrange(60))  # a scheduled job
        else:
            moment = local(day, rng.randint(lo, hi - 1), rng.randrange(60), rng.randrange(60))
        if START <= moment <= latest:
            return moment


def step_error(rng: Random, spec: StepSpec) -> str | None:
    r = rng.random()
    if r < 0.06:
        return None
    if r < 0.1:
        return ""
    return rng.choice(ERRORS[spec.kind])


def build(
    rng: Random,
    bp: Blueprint,
    status: str,
    *,
    outlier: bool = False,
) -> tuple[datetime, list[Run], datetime]:
    """Return (created_at, runs, updated_at); runs with executed_at None are pending."""
    n = len(bp.steps)
    outlier_index = rng.randrange(n) if outlier else None
    for _attempt in range(500):
        if status == "completed":
            created = random_created(rng, bp)
            runs = simulate(rng, bp, created, outlier=outlier_index, skips=not outlier)
            if runs[-1].executed_at is not None and runs[-1].executed_at <= SNAPSHOT:
                return created, runs, max(r.updated_at for r in runs if r.updated_at)
        elif status == "failed":
            created = random_created(rng, bp)
            runs = simulate(rng, bp, created)
            candidates = [
                i
                for i, r in enumerate(runs)
                if r.status == "completed" and r.spec.kind not in ("wait", "until9")
            ] or [i for i, r in enumerate(runs) if r.status == "completed"]
            if rng.random() < 0.03:  # now and then a wait step fails (queue trouble)
                candidates = [i for i, r in enumerate(runs) if r.status == "completed"]
            fail = rng.choice(candidates)
            failing = runs[fail]
            assert failing.executed_at is not None
            if failing.executed_at > SNAPSHOT:
                continue
            failing.status = "failed"
            failing.info = step_error(rng, failing.spec)
            failing.updated_at = failing.executed_at + timedelta(seconds=rng.randint(0, 4))
            later = runs[fail + 1 :]
            for r in later:
                r.executed_at, r.status, r.info, r.updated_at = None, "pending", None, None
            keep = later if rng.random() < 0.6 else []
            return created, [*runs[: fail + 1], *keep], failing.updated_at
        elif status == "in_progress":
            if rng.random() < 0.8:  # running now: the snapshot falls inside the run
                probe = simulate(rng, bp, START)
                assert probe[-1].executed_at is not None
                length = (probe[-1].executed_at - START).total_seconds()
                created = SNAPSHOT - timedelta(seconds=rng.uniform(0, length))
                created = created.replace(microsecond=0)
                runs = simulate(rng, bp, created)
                cut = sum(1 for r in runs if r.executed_at and r.executed_at <= SNAPSHOT)
                if created < START or not 1 <= cut < n:
                    continue
            else:  # stuck: the next step is long overdue
                created = random_created(rng, bp, latest=SNAPSHOT - timedelta(days=30))
                runs = simulate(rng, bp, created)
                cut = rng.randrange(1, n)
                last = runs[cut - 1].executed_at
                if last is None or last > SNAPSHOT:
                    continue
            for r in runs[cut:]:
                r.executed_at, r.status, r.info, r.updated_at = None, "pending", None, None
            return created, runs, max(r.updated_at for r in runs if r.updated_at)
        elif status == "pending":
            if rng.random() < 0.7:
                created = SNAPSHOT - timedelta(seconds=rng.randint(20, 3 * 3600))
            else:
                created = random_created(rng, bp, latest=SNAPSHOT - timedelta(days=20))
            runs = [Run(spec, None, "pending", None) for spec in bp.steps]
            return created, runs, created
        elif status == "cancelled":
            created = random_created(rng, bp)
            runs = simulate(rng, bp, created)
            cut = rng.randrange(n)
            before = runs[cut - 1].executed_at if cut else created
            after = runs[cut].executed_at
            assert before is not None
            assert after is not None
            cancelled_at = before + (after - before) * rng.uniform(0.1, 0.9)
            cancelled_at = max(cancelled_at.replace(microsecond=0), before + timedelta(seconds=1))
            if cancelled_at > SNAPSHOT:
                continue
            for r in runs[cut:]:
                r.executed_at, r.status, r.info, r.updated_at = None, "pending", None, None
            if cut and rng.random() < 0.4:
                runs = runs[:cut]
            return created, runs, cancelled_at
        else:
            raise ValueError(status)
    raise RuntimeError(f"could not place a {status} execution of {bp.name!r}")


def step_dict(rng: Random, created: datetime, run: Run) -> dict[str, Any]:
    return step_payload(
        uuid=new_uuid(rng),
        name=run.spec.name,
        status=run.status,
        created_at=ts(created),
        executed_at=ts(run.executed_at) if run.executed_at else None,
        updated_at=ts(run.updated_at) if run.updated_at else None,
        info=run.info,
    )


def execution_dict(
    rng: Random,
    bp: Blueprint,
    bp_uuid: str,
    status: str,
    created: datetime,
    runs: list[Run],
    updated: datetime,
    *,
    execution_uuid: str | None = None,
) -> dict[str, Any]:
    steps = [step_dict(rng, created, r) for r in runs]
    return execution_payload(
        uuid=execution_uuid or new_uuid(rng),
        name=bp.name,
        status=status,
        triggered_by=bp.trigger,
        created_at=ts(created),
        steps=steps,
        updated_at=ts(updated),
        blueprint_uuid=bp_uuid,
    )


def handmade(
    rng: Random, ids: dict[str, str], bp_uuids: dict[str, str]
) -> list[tuple[dict[str, Any], int | None]]:
    """The scripted executions: (execution, index of the client it carries or None)."""
    by_trigger = {bp.trigger: bp for bp in BLUEPRINTS}
    out: list[tuple[dict[str, Any], int | None]] = []

    def add(
        bp: Blueprint,
        status: str,
        created: datetime,
        runs: list[Run],
        updated: datetime,
        client: int | None,
        key: str | None = None,
    ) -> None:
        ex = execution_dict(
            rng,
            bp,
            bp_uuids[bp.name],
            status,
            created,
            runs,
            updated,
            execution_uuid=ids[key] if key else None,
        )
        out.append((ex, client))

    # The story: a welcome pack whose SMS "completed" with the documented account_uuid error,
    # then a reminder e-mail failed on the same missing account_uuid three days later.
    welcome = by_trigger["client.created"]
    created = datetime(2026, 6, 8, 15, 8, 3, tzinfo=UTC)  # 16:08:03+01:00, as in the API docs
    runs = simulate(
        rng,
        welcome,
        created,
        skips=False,
        no_errors=True,
        overrides={0: 2, 1: 3, 2: 41, 3: 3 * DAY + 57, 4: 18, 5: 4},
    )
    runs[0].info = "Email queued to client"
    runs[1].info = DOC_ERROR
    runs[2].info = "Task created for adviser"
    runs[3].info = "Waited 3 days"
    runs[4].info = "Documents received: 1 of 3"
    runs[5].status = "failed"
    runs[5].info = '[{"errors": "the account_uuid field is required"}]'
    for r in runs[6:]:
        r.executed_at, r.status, r.info, r.updated_at = None, "pending", None, None
    assert runs[5].executed_at is not None
    runs[5].updated_at = runs[5].executed_at + timedelta(seconds=2)
    add(welcome, "failed", created, runs, runs[5].updated_at, 0, "story")

    # Running now: a KYC chase waiting out its 7-day wait, 8 steps done, 7 to go.
    kyc = by_trigger["kyc.documents_requested"]
    created = datetime(2026, 11, 9, 10, 14, 27, tzinfo=UTC)
    runs = simulate(rng, kyc, created, skips=False, no_errors=True)
    runs[2].info = "Outstanding: proof of identity, proof of address"
    runs[4].status, runs[4].info = "skipped", "Skipped: no mobile number on file"
    runs[6].info = "Outstanding: proof of address"
    cut = sum(1 for r in runs if r.executed_at and r.executed_at <= SNAPSHOT)
    assert cut == 8, cut
    for r in runs[cut:]:
        r.executed_at, r.status, r.info, r.updated_at = None, "pending", None, None
    add(
        kyc,
        "in_progress",
        created,
        runs,
        max(r.updated_at for r in runs if r.updated_at),
        1,
        "running",
    )

    # Clock changes. Spring forward 2026-03-29: 00:59:59.5+00:00 is followed by 02:00:41+01:00.
    created = datetime(2026, 3, 29, 0, 59, 52, tzinfo=UTC)
    runs = simulate(rng, welcome, created, overrides={0: 3.25, 1: 4.25}, no_errors=True)
    add(welcome, "completed", created, runs, max(r.updated_at for r in runs if r.updated_at), 2)
    # Fall back 2025-10-26: 01:59:57+01:00 is followed by 01:00:01+00:00 (local time goes back).
    created = datetime(2025, 10, 26, 0, 59, 53, tzinfo=UTC)
    runs = simulate(rng, welcome, created, overrides={0: 4, 1: 4}, skips=False, no_errors=True)
    add(welcome, "completed", created, runs, max(r.updated_at for r in runs if r.updated_at), 3)
    # A fact-find chase whose 1-day and 3-day waits span the same night.
    factfind = by_trigger["fact_find.sent"]
    created = datetime(2025, 10, 24, 16, 12, 40, tzinfo=UTC)
    runs = simulate(rng, factfind, created, skips=False, no_errors=True)
    add(factfind, "completed", created, runs, max(r.updated_at for r in runs if r.updated_at), 4)
    # Fall back 2026-10-25 during a review pack generation (01:58:10+01:00 -> 01:02:10+00:00).
    review = by_trigger["review.due"]
    created = datetime(2026, 10, 25, 0, 58, 10, tzinfo=UTC)
    runs = simulate(rng, review, created, overrides={0: 240.0}, no_errors=True)
    add(review, "completed", created, runs, max(r.updated_at for r in runs if r.updated_at), None)
    # A 1-step enquiry executed exactly at the spring-forward instant, fractional seconds.
    enquiry = by_trigger["enquiry.received"]
    created = datetime(2026, 3, 29, 0, 59, 59, 250_000, tzinfo=UTC)
    runs = simulate(rng, enquiry, created, overrides={0: 0.75}, no_errors=True)
    add(enquiry, "completed", created, runs, max(r.updated_at for r in runs if r.updated_at), None)
    return out


def generate() -> list[dict[str, Any]]:
    id_rng = Random(SEED)  # identities the package hard-codes (see plannr_nb/_demo.py)
    bp_uuids = {bp.name: new_uuid(id_rng) for bp in BLUEPRINTS}
    ids = {"story": new_uuid(id_rng), "running": new_uuid(id_rng)}

    rng = Random(SEED + 1)
    staff = make_staff(rng)
    accounts = make_accounts(rng, staff)

    rows = handmade(rng, ids, bp_uuids)
    for bp in BLUEPRINTS:
        outliers = set(rng.sample(range(bp.count), min(3, bp.count)))
        for slot in range(bp.count):
            status = "completed" if slot in outliers else weighted(rng, STATUS_WEIGHTS)
            if status == "in_progress" and len(bp.steps) < 2:
                status = "completed"
            created, runs, updated = build(rng, bp, status, outlier=slot in outliers)
            rows.append(
                (execution_dict(rng, bp, bp_uuids[bp.name], status, created, runs, updated), None)
            )

    # About 40% carry their account: every client at least once, a few clients many times.
    fixed = [i for i, (_, client) in enumerate(rows) if client is not None]
    free = [i for i, (_, client) in enumerate(rows) if client is None]
    want = round(ACCOUNT_SHARE * len(rows)) - len(fixed)
    chosen = sorted(rng.sample(free, want))
    unused = [c for c in range(N_CLIENTS) if c not in {client for _, client in rows}]
    rng.shuffle(unused)
    popularity = [1 + 6 * (c % 7 == 0) + 2 * (c % 3 == 0) for c in range(N_CLIENTS)]
    assignment = {i: client for i, (_, client) in enumerate(rows) if client is not None}
    for i in chosen:
        assignment[i] = unused.pop() if unused else rng.choices(range(N_CLIENTS), popularity)[0]

    executions = []
    for i, (ex, _) in enumerate(rows):
        if i in assignment:
            attach_account(ex, accounts[assignment[i]])
        executions.append(ex)
    executions.append(documented(bp_uuids, accounts))
    executions.sort(key=lambda e: (datetime.fromisoformat(e["created_at"]), e["uuid"]))
    return executions


#: The execution of the API documentation's example response: the demo serves it too, so the
#: documented UUID works offline. Same times and error as the docs; a made-up client.
DOCUMENTED_UUID = "cc137447-a749-4b21-88a5-b27ef8b16878"


def documented(bp_uuids: dict[str, str], accounts: list[dict[str, Any]]) -> dict[str, Any]:
    rng = Random(SEED + 2)  # its own stream: the rest of the dataset does not move
    welcome = next(bp for bp in BLUEPRINTS if bp.trigger == "client.created")
    created = datetime(2026, 6, 8, 15, 8, 3, tzinfo=UTC)  # 16:08:03+01:00, as in the docs
    runs = simulate(rng, welcome, created, skips=False, no_errors=True, overrides={0: 0, 1: 0})
    runs[0].info = "Email queued to client"
    runs[1].info = DOC_ERROR
    for r in runs[2:]:
        r.executed_at, r.status, r.info, r.updated_at = None, "pending", None, None
    runs[0].updated_at = runs[1].updated_at = created
    ex = execution_dict(
        rng,
        welcome,
        bp_uuids[welcome.name],
        "in_progress",
        created,
        runs,
        created,
        execution_uuid=DOCUMENTED_UUID,
    )
    attach_account(ex, accounts[N_CLIENTS // 2])
    return ex


def render(executions: list[dict[str, Any]]) -> bytes:
    lines = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in executions]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")


def summary(executions: list[dict[str, Any]]) -> str:
    steps = [s for e in executions for s in e["steps"]]
    accounts = {e["account"]["uuid"] for e in executions if "account" in e}
    parts = [
        f"{len(executions)} executions, {len(steps)} steps",
        f"execution status: {dict(Counter(e['status'] for e in executions).most_common())}",
        f"step status: {dict(Counter(s['status'] for s in steps).most_common())}",
        f"by blueprint: {dict(Counter(e['name'] for e in executions).most_common())}",
        f"with account: {sum('account' in e for e in executions)} ({len(accounts)} clients)",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write")
    args = parser.parse_args(argv)
    executions = generate()
    data = render(executions)
    target: Path = args.output
    if args.check:
        current = target.read_bytes() if target.exists() else b""
        if current != data:
            print(f"{target} is out of date: run python scripts/make_demo_data.py", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    print(f"wrote {target} ({len(data):,} bytes)")
    print(summary(executions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
