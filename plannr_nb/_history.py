"""A synthetic fleet history for the demo: six months of executions with planted facts.

:func:`generate_history` builds, deterministically for a seed and relative to a given ``now``,
thousands of executions across the demo blueprints in the shape of the list endpoint (with
``account`` and ``blueprint_uuid``), so the simulated API can serve them. It plants facts that
the fleet analysis must find, and returns them beside the executions (:class:`HistoryFacts`):

* a regression: from :attr:`HistoryFacts.regression_at` (midnight UTC, 30 days before ``now``)
  the "Send SMS" step of the welcome pack fails for most runs, where it almost never did;
* stalled runs: a few unfinished executions waiting at a step far longer than that step ever
  takes in the rest of the history;
* recurring error templates: a handful of error messages that vary only in an e-mail address,
  a UUID, a quoted name, a number or a date.

Every other run behaves: action steps take seconds to minutes, "Wait N days" steps N days and a
few minutes, and a run still in progress is waiting no longer than its step usually takes.
Every name, address and number is fictitious.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from ._demo import DEMO_BLUEPRINT_UUIDS, demo_now
from ._payloads import execution_payload, step_payload

__all__ = [
    "ERROR_TEMPLATES",
    "HISTORY_BLUEPRINTS",
    "History",
    "HistoryFacts",
    "PlantedStall",
    "demo_history",
    "generate_history",
]

WELCOME: Final = "Send client welcome pack to newly created client"
_ENQUIRY: Final = "New enquiry notification"
_REVIEW: Final = "Annual review reminder"
_KYC: Final = "KYC document chase"
_PENSION: Final = "Pension transfer follow-up"
_FACT_FIND: Final = "Onboarding fact-find chase"
_BIRTHDAY: Final = "Birthday card and adviser call"

#: Blueprint -> (trigger, relative weight, step names): the demo dataset's blueprints.
HISTORY_BLUEPRINTS: Final[dict[str, tuple[str, int, tuple[str, ...]]]] = {
    WELCOME: (
        "client.created",
        20,
        (
            "Send welcome email",
            "Send SMS",
            "Create task for adviser",
            "Wait 3 days",
            "Check documents received",
            "Send reminder email",
            "Wait 7 days",
            "Send reminder email",
            "Update client status",
        ),
    ),
    _ENQUIRY: ("enquiry.received", 20, ("Create task for adviser",)),
    _REVIEW: (
        "review.due",
        15,
        (
            "Generate review pack",
            "Send review invitation email",
            "Send SMS",
            "Wait 7 days",
            "Check meeting booked",
            "Send reminder email",
            "Wait 3 days",
            "Check meeting booked",
            "Create task for adviser",
            "Update next review date",
        ),
    ),
    _KYC: (
        "kyc.documents_requested",
        15,
        (
            "Send document request email",
            "Wait 2 days",
            "Check documents received",
            "Send reminder email",
            "Send SMS",
            "Wait 5 days",
            "Check documents received",
            "Create task for administrator",
        ),
    ),
    _PENSION: (
        "case.status_changed",
        10,
        (
            "Create task for paraplanner",
            "Send letter of authority to provider",
            "Wait 14 days",
            "Check provider response",
            "Send chaser email to provider",
            "Create task for adviser",
        ),
    ),
    _FACT_FIND: (
        "fact_find.sent",
        10,
        (
            "Send fact-find link email",
            "Wait 1 day",
            "Check fact-find submitted",
            "Send reminder email",
            "Send SMS",
            "Wait 3 days",
            "Check fact-find submitted",
            "Create task for adviser",
        ),
    ),
    _BIRTHDAY: (
        "client.birthday",
        10,
        (
            "Wait until 9am",
            "Send birthday email",
            "Create task to post birthday card",
            "Create task for adviser call",
        ),
    ),
}

#: The recurring error templates, as error_clusters writes them (placeholders in <>).
ERROR_TEMPLATES: Final[dict[str, str]] = {
    "account": "the account_uuid field is required",
    "mailbox": "Mail provider rejected the message: <number> mailbox unavailable for <email>",
    "template": "Template <value> not found",
    "no_email": "Client <uuid> has no primary email address",
    "review_date": "Review date <date> is in the past",
    "sms_sender": "SMS gateway rejected message <number>: sender ID <value> is not registered",
}
#: The regressed step: (blueprint, position, step name).
REGRESSION_STEP: Final = (WELCOME, 1, "Send SMS")
_REGRESSION_DAYS: Final = 30
_FAIL_BEFORE: Final = 0.003
_FAIL_AFTER: Final = 0.9
_FAIL_ACTION: Final = 0.004
_SPAN_DAYS: Final = 182
_FIRST_NAMES: Final = [
    "Amelia",
    "Arjun",
    "Bethan",
    "Callum",
    "Darcey",
    "Ewan",
    "Fatima",
    "Gareth",
    "Harriet",
    "Idris",
    "Jasmine",
    "Kieran",
    "Leila",
    "Morgan",
    "Niamh",
    "Oliver",
    "Priya",
    "Rhys",
    "Saoirse",
    "Tobias",
]
_LAST_NAMES: Final = [
    "Ashworth",
    "Bevan",
    "Cartwright",
    "Dhillon",
    "Ellery",
    "Fairbairn",
    "Goodall",
    "Hollins",
    "Iqbal",
    "Jenkins",
    "Kershaw",
    "Llewellyn",
    "Mistry",
    "Northcott",
    "Okafor",
    "Pemberton",
    "Quayle",
    "Rowntree",
    "Sandhu",
    "Thackeray",
]


@dataclass(frozen=True)
class PlantedStall:
    """A run planted as stalled: where it waits and since when."""

    execution_uuid: str
    blueprint: str
    position: int
    step: str
    waiting_since: datetime


@dataclass(frozen=True)
class HistoryFacts:
    """What :func:`generate_history` planted, for tests and the fleet notebook to check."""

    now: datetime
    start: datetime
    #: (blueprint, position, step name) of the regressed step.
    regression_step: tuple[str, int, str]
    #: Midnight UTC of the day the regressed step starts failing.
    regression_at: datetime
    #: Runs of the regressed step (that ran) before and since ``regression_at``, and failures.
    regression_before: tuple[int, int]
    regression_since: tuple[int, int]
    stalled: tuple[PlantedStall, ...]
    #: Template -> how many errors of it were planted, and in how many executions.
    templates: dict[str, int]
    template_executions: dict[str, int]


@dataclass
class History:
    """Executions (list-endpoint shape, oldest first) and the facts planted in them."""

    executions: list[dict[str, Any]]
    facts: HistoryFacts
    blueprints: dict[str, str] = field(default_factory=lambda: dict(DEMO_BLUEPRINT_UUIDS))


#: The version (4) and variant (RFC 4122) bits of a random UUID, as uuid.UUID sets them.
_UUID_CLEAR: Final = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_V4: Final = (4 << 76) | (0x8000 << 48)


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).isoformat()


def _gap(name: str, rng: random.Random) -> timedelta:
    """How long a step takes after the previous one, in this history."""
    if name.startswith("Wait until"):
        return timedelta(hours=rng.uniform(1, 10))
    if name.startswith("Wait "):
        amount, unit = name.split()[1:3]
        days = int(amount) * (7 if unit.startswith("week") else 1)
        return timedelta(days=days, minutes=rng.uniform(0, 20))
    return timedelta(seconds=rng.uniform(5, 120))


class _Maker:
    def __init__(self, now: datetime, seed: int) -> None:
        self.now = now
        self.rng = random.Random(seed)
        self.regression_at = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
            days=_REGRESSION_DAYS
        )
        self.templates: dict[str, int] = dict.fromkeys(ERROR_TEMPLATES.values(), 0)
        self.template_runs: dict[str, set[str]] = {key: set() for key in ERROR_TEMPLATES.values()}
        self.before = [0, 0]
        self.since = [0, 0]
        self.accounts = [self._account(n) for n in range(400)]

    def uuid(self) -> str:
        # uuid.UUID(int=..., version=4), spelled out: the generator makes 45,000 of them.
        bits = self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_V4
        text = f"{bits:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def _account(self, n: int) -> dict[str, Any]:
        first = _FIRST_NAMES[n % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(n * 7 + n // 20) % len(_LAST_NAMES)]
        return {
            "uuid": self.uuid(),
            "type": "client",
            "role": "client",
            "first_name": first,
            "last_name": last,
            "name": f"{first} {last}",
            "email": f"{first}.{last}{n}@example.com".lower(),
            "created_at": _iso(self.now - timedelta(days=400 - n % 200)),
            "updated_at": _iso(self.now - timedelta(days=200 - n % 150)),
        }

    def error(self, blueprint: str, step: str, account: dict[str, Any]) -> tuple[str, str] | None:
        """A base-rate failure of an action step: (template, message), or None."""
        if step.startswith(("Wait", "Check")) or self.rng.random() >= _FAIL_ACTION:
            return None
        choices = ["account"]
        if "email" in step:
            choices += ["mailbox", "no_email"]
        if step in ("Generate review pack", "Send welcome email"):
            choices.append("template")
        if step == "Update next review date":
            choices = ["review_date"]
        return self.message(self.rng.choice(choices), account)

    def message(self, key: str, account: dict[str, Any]) -> tuple[str, str]:
        rng = self.rng
        if key == "account":
            text = "the account_uuid field is required"
        elif key == "mailbox":
            address = account["email"]
            text = f"Mail provider rejected the message: 550 mailbox unavailable for {address}"
        elif key == "template":
            name = f"{rng.choice(['Welcome', 'Review pack'])} v{rng.randrange(2, 9)}"
            text = f"Template '{name}' not found"
        elif key == "no_email":
            text = f"Client {account['uuid']} has no primary email address"
        elif key == "review_date":
            day = self.now - timedelta(days=rng.randrange(400, 800))
            text = f"Review date {day:%Y-%m-%d} is in the past"
        else:
            text = (
                f"SMS gateway rejected message {rng.randrange(10**5, 10**6)}: sender ID "
                "'PLANNR' is not registered"
            )
        return ERROR_TEMPLATES[key], text

    def execution(
        self,
        blueprint: str,
        created: datetime,
        *,
        stall_at: int | None = None,
        stall_since: datetime | None = None,
    ) -> dict[str, Any]:
        trigger, _weight, names = HISTORY_BLUEPRINTS[blueprint]
        account = self.rng.choice(self.accounts)
        execution_uuid = self.uuid()
        steps: list[dict[str, Any]] = []
        moment = created
        status = "completed"
        ended = False
        created_at = _iso(created)
        for position, name in enumerate(names):
            step = step_payload(
                uuid=self.uuid(), name=name, status="pending", created_at=created_at
            )
            steps.append(step)
            if ended:
                continue
            if stall_at is not None and position >= stall_at:
                status, ended = "in_progress", True
                continue
            at = moment + _gap(name, self.rng)
            if stall_at is not None and stall_since is not None and position == stall_at - 1:
                at = stall_since
            if at > self.now:
                status, ended = "in_progress", True
                continue
            # A planted stall never fails: it only waits.
            failure = self.regression(blueprint, position, at, account, stall_at is None)
            if failure is None and stall_at is None:
                failure = self.error(blueprint, name, account)
            step["executed_at"] = step["updated_at"] = _iso(at)
            moment = at
            if (blueprint, position) == REGRESSION_STEP[:2]:
                counts = self.since if at >= self.regression_at else self.before
                counts[0] += 1
                counts[1] += failure is not None
            if failure is None:
                step["status"] = "completed"
                step["info"] = "Waited" if name.startswith("Wait") else "Done"
                continue
            template, text = failure
            self.templates[template] += 1
            self.template_runs[template].add(execution_uuid)
            # The documented quirk: a step "completed" whose info carries the error.
            step["status"] = "completed" if template == ERROR_TEMPLATES["account"] else "failed"
            step["info"] = (
                f'"[{{errors : \\"{text}\\" }}]"'
                if step["status"] == "completed"
                else f'[{{"errors": "{text}"}}]'
            )
            status, ended = "failed", True
        return execution_payload(
            uuid=execution_uuid,
            name=blueprint,
            status=status,
            triggered_by=trigger,
            created_at=created_at,
            steps=steps,
            account=account,
            blueprint_uuid=DEMO_BLUEPRINT_UUIDS[blueprint],
        )

    def regression(
        self, blueprint: str, position: int, at: datetime, account: dict[str, Any], can_fail: bool
    ) -> tuple[str, str] | None:
        if (blueprint, position) != REGRESSION_STEP[:2]:
            return None
        after = at >= self.regression_at
        if can_fail and self.rng.random() < (_FAIL_AFTER if after else _FAIL_BEFORE):
            return self.message("sms_sender" if after else "account", account)
        return None


# Planted stalls: (blueprint, position of the step it waits at, how long it has waited).
_STALLS: Final = (
    (_KYC, 2, timedelta(days=9, hours=3)),
    (WELCOME, 3, timedelta(days=12, hours=5)),
    (_PENSION, 1, timedelta(days=5, hours=2)),
    (_REVIEW, 4, timedelta(days=20, hours=1)),
)


def generate_history(now: datetime | None = None, *, count: int = 6000, seed: int = 14) -> History:
    """A deterministic history of ``count`` executions over the six months before ``now``.

    Parameters
    ----------
    now : datetime, optional
        The present the history ends at (tz-aware; default: the clock). The same seed gives
        the same history shifted in time.
    count : int, optional
        Executions besides the planted stalls (at least a few thousand for the planted
        regression to stand out).
    seed : int, optional
        Seed of the random generator.

    Returns
    -------
    History
        ``executions`` oldest first, and ``facts``: what was planted.

    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    maker = _Maker(now, seed)
    rng = maker.rng
    start = now - timedelta(days=_SPAN_DAYS)
    names = list(HISTORY_BLUEPRINTS)
    weights = [HISTORY_BLUEPRINTS[name][1] for name in names]
    offsets = sorted(rng.uniform(0, _SPAN_DAYS * 86400 - 60) for _ in range(count))
    executions = [
        maker.execution(rng.choices(names, weights)[0], start + timedelta(seconds=offset))
        for offset in offsets
    ]
    stalls = []
    for blueprint, position, waited in _STALLS:
        since = now - waited
        before = HISTORY_BLUEPRINTS[blueprint][2][:position]
        created = since - sum((_gap(name, rng) for name in before), timedelta(0))
        execution = maker.execution(blueprint, created, stall_at=position, stall_since=since)
        executions.append(execution)
        step = HISTORY_BLUEPRINTS[blueprint][2][position]
        stalls.append(PlantedStall(execution["uuid"], blueprint, position, step, since))
    executions.sort(key=lambda item: datetime.fromisoformat(item["created_at"]))
    facts = HistoryFacts(
        now=now,
        start=start,
        regression_step=REGRESSION_STEP,
        regression_at=maker.regression_at,
        regression_before=(maker.before[0], maker.before[1]),
        regression_since=(maker.since[0], maker.since[1]),
        stalled=tuple(stalls),
        templates={key: value for key, value in maker.templates.items() if value},
        template_executions={
            key: len(value) for key, value in maker.template_runs.items() if value
        },
    )
    return History(executions, facts)


@lru_cache(maxsize=2)
def demo_history(now: datetime | None = None) -> History:
    """The demo's fleet history, anchored where the demo is (:func:`~plannr_nb._demo.demo_now`).

    Generated once per anchor and process (a few tenths of a second) and shared: treat it as
    read-only. ``generate_history(now)`` gives the same executions and facts.
    """
    return generate_history(now or demo_now())
