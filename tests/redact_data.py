"""A synthetic UK dataset with personal data planted in every text field, in every format.

Nobody here is real: example.com / .invalid e-mails, Ofcom drama numbers (07700 900xxx,
020 7946 0xxx), NI numbers with a prefix never issued (QQ), the test IBAN and card number.
"""

from __future__ import annotations

from typing import Any

from plannr_nb.testing import execution_payload, step_payload

IMELDA = "5f0b7c2e-1d0a-4e7b-9a51-2c6f3d8e9b01"  # account 1: every format planted here
WILL = "6a1c8d3f-2e1b-4f8c-8b62-3d7a4e9fac02"  # account 2: "Will Mark", names that are words
PRIYA = "7b2d9e4a-3f2c-4a9d-9c73-4e8b5fa0bd03"  # account 3: a Sharma, for "Rahul Sharma"
EXEC_IMELDA = "a0000000-0000-4000-8000-000000000001"
EXEC_WILL = "a0000000-0000-4000-8000-000000000002"
EXEC_PRIYA = "a0000000-0000-4000-8000-000000000003"
BLUEPRINT = "b0000000-0000-4000-8000-0000000000bb"

ADVISER = "Bartholomew Quince"
ADMINISTRATOR = "Henrietta Voss"
PARAPLANNER = "Tobias Wren-Hartley"
INTRODUCER = "Marguerite Oyelaran"

# (text planted, what must not survive in any output). Each text reads like an error, so every
# notebook shows it (failing steps, their errors, the story).
PLANTED: list[tuple[str, list[str]]] = [
    ("Error: email to Imelda Brackenbury bounced", ["Imelda", "Brackenbury"]),
    ("Failed: Imelda asked for a call back", ["Imelda"]),
    ("Failed: letter to Mrs Brackenbury returned", ["Brackenbury"]),
    ("Error: IMELDA.BRACKENBURY@EXAMPLE.COM rejected", ["imelda.brackenbury@example.com"]),
    ("Failed: SMS to +44 7700 900123 undeliverable", ["7700 900123"]),
    ("Failed: SMS to 07700-900-123 undeliverable", ["07700-900-123"]),
    ("Error: adviser Bartholomew Quince missing", ["Bartholomew", "Quince"]),
    ("Error: task for Henrietta Voss failed", ["Henrietta", "Voss"]),
    ("Error: Tobias Wren-Hartley could not sign", ["Tobias", "Wren-Hartley", "Hartley"]),
    ("Error: introducer Marguerite Oyelaran invalid", ["Marguerite", "Oyelaran"]),
    ("Error: referral code IMB-40213 invalid", ["IMB-40213"]),
    ("Error: photo https://avatars.example.com/u/imelda-b.png not found", ["avatars.example"]),
    ("Error: tag Brackenbury referral missing", ["Brackenbury"]),
    ("Error: Oliver Brackenbury could not be added", ["Oliver"]),
    ("Error: josé.müller@exämple.co.uk bounced", ["josé.müller", "exämple"]),
    ("Error: 用户@例子.广告 bounced", ["用户@例子.广告"]),
    ("Error: joe.stranger@example.org bounced", ["joe.stranger@example.org"]),
    ("Failed: call 07700 900321 unanswered", ["07700 900321"]),
    ("Failed: call +44-20-7946-0019 unanswered", ["+44-20-7946-0019"]),
    ("Failed: call 0044 7700 900456 unanswered", ["0044 7700 900456"]),
    ("Failed: call (020) 7946 0018 unanswered", ["(020) 7946 0018"]),
    ("Failed: call 020.7946.0020 unanswered", ["020.7946.0020"]),
    ("Error: NI number QQ 12 34 56 C invalid", ["QQ 12 34 56 C"]),
    ("Error: NI QQ-65-43-21-B invalid", ["QQ-65-43-21-B"]),
    ("Error: NI qq123457a invalid", ["qq123457a"]),
    ("Error: postcode sw1a 1aa invalid", ["sw1a 1aa"]),
    ("Error: postcode SW1A1AA invalid", ["SW1A1AA"]),
    ("Error: address 12 Station Road, Leeds LS1 4AB invalid", ["12 Station Road", "LS1 4AB"]),
    ("Error: address Flat 3, 7 Elm Close missing", ["7 Elm Close", "Elm Close"]),
    ("Error: address 221B Baker St rejected", ["Baker St"]),
    ("Error: address 5 Primrose Gardens rejected", ["Primrose Gardens"]),
    ("Error: DOB 12/03/1985 invalid", ["12/03/1985"]),
    ("Error: D.O.B. 14 March 1986 invalid", ["14 March 1986"]),
    ("Error: date of birth March 15th, 1987 invalid", ["March 15th, 1987"]),
    ("Error: born 1988-03-16 invalid", ["1988-03-16"]),
    ("Error: sort code 12-34-56 rejected", ["12-34-56"]),
    ("Error: sort code 654321 rejected", ["654321"]),
    ("Error: account number 12345678 rejected", ["12345678"]),
    ("Error: acc no. 87654321 rejected", ["87654321"]),
    ("Error: IBAN GB82 WEST 1234 5698 7654 32 rejected", ["GB82", "WEST 1234"]),
    ("Error: IBAN GB82WEST12345698765432 rejected", ["GB82WEST"]),
    ("Error: card 4111 1111 1111 1111 declined", ["4111 1111"]),
    ("Error: card 4111-1111-1111-1111 declined", ["4111-1111"]),
]
# Ordinary words that must survive although the clients are called Will Mark and Sharma.
ORDINARY = ["will retry", "mark as done", "Send SMS", "Welcome email", "Road map", "Will retry"]


CREATED_AT = "2026-03-01T00:00:00+00:00"  # of the executions and their steps


def _step(n: int, name: str, info: str | None, status: str = "failed") -> dict[str, Any]:
    return step_payload(
        uuid=f"c0000000-0000-4000-8000-{n:012d}",
        name=name,
        status=status,
        info=info,
        created_at=CREATED_AT,
        executed_at=f"2026-03-0{1 + n // 24}T{n % 24:02d}:00:00+00:00",
    )


def _account(
    uuid: str, first: str, last: str, email: str, phone: str, **extra: Any
) -> dict[str, Any]:
    def person(name: str | None) -> dict[str, str] | None:
        return None if name is None else {"uuid": f"{uuid[:-4]}9999", "name": name}

    return {
        "uuid": uuid,
        "created_at": "2024-01-01T09:00:00+00:00",
        "updated_at": "2026-01-01T09:00:00+00:00",
        "type": "client",
        "role": "client",
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "email": email,
        "photo_url": extra.get("photo_url"),
        "firm": {"uuid": "f0000000-0000-4000-8000-00000000000f", "name": "Example Wealth Ltd"},
        "primary_phone_number": {"uuid": f"{uuid[:-4]}0001", "number": phone},
        "primary_email": {"uuid": f"{uuid[:-4]}0002", "email": email},
        "assigned_adviser": person(ADVISER),
        "assigned_administrator": person(ADMINISTRATOR),
        "assigned_paraplanner": person(PARAPLANNER),
        "introduced_by": person(extra.get("introducer")),
        "business_unit": None,
        "groups": [],
        "tags": [{"uuid": f"{uuid[:-4]}0003", "name": tag} for tag in extra.get("tags", [])],
        "owners": {"uuid": uuid, "name": f"{first} {last}"},
        "circles": [{"uuid": f"{uuid[:-4]}0004", "name": f"{last} family"}],
        "joint_account_circle": None,
        "first_contact_date": "2023-11-27T00:00:00+00:00",
        "next_review_date": "2026-11-24T00:00:00+00:00",
        "with_login": False,
        "has_joint_account": False,
        "ownership_percentage": 100,
        "referral_code": extra.get("referral_code"),
    }


def _execution(
    uuid: str, name: str, triggered_by: str, steps: list[dict[str, Any]], account: dict[str, Any]
) -> dict[str, Any]:
    return execution_payload(
        uuid=uuid,
        name=name,
        status="failed",
        triggered_by=triggered_by,
        created_at=CREATED_AT,
        steps=steps,
        account=account,
        blueprint_uuid=BLUEPRINT,
    )


IMELDA_NAME = "Imelda Brackenbury"


def executions() -> list[dict[str, Any]]:
    """Three executions of one blueprint, one per client."""
    imelda = _account(
        IMELDA, "Imelda", "Brackenbury", "imelda.brackenbury@example.com", "07700 900123",
        photo_url="https://avatars.example.com/u/imelda-b.png", referral_code="IMB-40213",
        introducer=INTRODUCER, tags=["Brackenbury referral", "Pension transfer"],
    )  # fmt: skip
    will = _account(WILL, "Will", "Mark", "will.mark@example.com", "07700 900555")
    priya = _account(PRIYA, "Priya", "Sharma", "priya.sharma@example.com", "020 7946 0555")
    imelda_steps = [
        _step(0, "Send welcome email to Imelda Brackenbury", "Welcome email queued", "completed"),
        *(_step(i + 1, f"Check {i + 1}", text) for i, (text, _) in enumerate(PLANTED)),
        _step(len(PLANTED) + 1, "Road map review", "Road map shared", "completed"),
    ]
    will_steps = [
        _step(0, "Send SMS", "Timed out. Will retry at noon; it will retry later", "completed"),
        _step(1, "Mark as done", "Error: spoke to Will about it, mark as done failed"),
        _step(2, "Call Will Mark", "Error: will.mark@example.com bounced; call 07700900555"),
    ]
    priya_steps = [
        _step(0, "Welcome email", "Welcome email queued", "completed"),
        _step(1, "Email Priya", "Error: Rahul Sharma and Priya Sharma on 020 7946 0555 failed"),
    ]
    return [
        _execution(
            EXEC_IMELDA, f"Welcome pack for {IMELDA_NAME}", ADMINISTRATOR, imelda_steps, imelda
        ),
        _execution(EXEC_WILL, "Welcome pack", "client.created", will_steps, will),
        _execution(EXEC_PRIYA, "Welcome pack", "priya.sharma@example.com", priya_steps, priya),
    ]


def secrets() -> list[str]:
    """Every planted value that must not survive anywhere (case-sensitive literals)."""
    found = {s for _, values in PLANTED for s in values}
    found |= {
        "Imelda", "Brackenbury", "imelda", "brackenbury", "07700 900123", "Priya", "Sharma",
        "priya.sharma@example.com", "will.mark@example.com", "Will Mark", "07700 900555",
        "07700900555", "020 7946 0555", "Rahul", "to Will about", ADVISER, ADMINISTRATOR,
        PARAPLANNER, INTRODUCER, "IMB-40213", "imelda-b.png",
    }  # fmt: skip
    return sorted(found)
