"""The synthetic demo dataset shipped with the package.

``plannr_nb/data/demo_executions.json`` holds 241 made-up automation executions in the shape of
``GET /api/v1/automation-executions/{uuid}`` (plus a ``blueprint_uuid`` key), regenerated
deterministically by ``scripts/make_demo_data.py``. One of them sits at the UUID of the API
documentation's example response (``cc137447-...``), with its times and its error. Every
name, e-mail address and phone number in it is fictitious. Notebooks and the simulated API use
it when no real account is at hand.

The file is laid out on a fixed calendar ending at :data:`DEMO_SNAPSHOT`, the moment its "API"
was queried. :func:`load_demo_executions` moves every time by the same amount so that this
moment is the present: a running execution looks running, a stalled one stalled, whatever
today's date (the shape, the order and the gaps never change).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo

import orjson

__all__ = [
    "DEMO_BLUEPRINT_UUIDS",
    "DEMO_SNAPSHOT",
    "DEMO_RUNNING_UUID",
    "DEMO_STORY_UUID",
    "demo_now",
    "load_demo_executions",
]

#: A failed welcome-pack execution with an account: its "Send SMS" step completed while its
#: info carries the documented ``account_uuid`` error, and a later e-mail step failed on the same
#: missing field. The execution notebooks open by default.
DEMO_STORY_UUID: Final[str] = "186d9570-f0ac-4a6c-bd49-a81f942680e8"

#: An ``in_progress`` KYC document chase: eight steps executed, seven pending.
DEMO_RUNNING_UUID: Final[str] = "0af42d2c-a2ba-4d69-a6f0-40f1f1192708"

#: Blueprint name -> blueprint UUID, for every blueprint in the dataset.
DEMO_BLUEPRINT_UUIDS: Final[dict[str, str]] = {
    "Send client welcome pack to newly created client": "f1679430-5b95-4cab-b416-d018f963b2be",
    "Annual review reminder": "f8486faf-921b-4137-a97b-dece7a56bca1",
    "KYC document chase": "88bf0980-25f6-4c4e-99ad-8ee76f8025a4",
    "Pension transfer follow-up": "0a504c98-6773-45cf-8469-2aae0e2e9eb0",
    "Onboarding fact-find chase": "4b25390e-240a-4810-a1e6-708bbad6aea8",
    "Birthday card and adviser call": "1e7f767b-ab86-450f-836b-4d467f51a856",
    "New enquiry notification": "31035676-b2fb-40a9-936a-775efaa3c107",
}

#: The moment the demo data was "fetched" (``SNAPSHOT`` in ``scripts/make_demo_data.py``): its
#: newest event is a few hours before it. Loading moves it to the present.
DEMO_SNAPSHOT: Final = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)

_RESOURCE: Final = "data/demo_executions.json"
_LONDON: Final = ZoneInfo("Europe/London")
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# The present the demo is moved to by default: fixed at the first load in a process, so that
# every load (the demo client's, the notebook's) agrees to the second.
_default_now: list[datetime] = []


@cache
def _parsed() -> tuple[dict[str, Any], ...]:
    """Read and parse the packaged file once."""
    raw = resources.files("plannr_nb").joinpath(_RESOURCE).read_bytes()
    data: Any = orjson.loads(raw)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        msg = f"plannr_nb/{_RESOURCE} is not a JSON array of objects; reinstall plannr-nb"
        raise RuntimeError(msg)
    return tuple(data)


def _shift_text(text: str, delta: timedelta) -> str:
    if _DATETIME.fullmatch(text):
        moved = datetime.fromisoformat(text) + delta
        if text.endswith("Z"):
            return moved.astimezone(UTC).isoformat().replace("+00:00", "Z")
        # UK offsets, as the API writes them: recomputed, since the clocks may differ then.
        return moved.astimezone(_LONDON).isoformat()
    if _DATE.fullmatch(text):
        return (datetime.fromisoformat(text) + timedelta(days=delta.days)).date().isoformat()
    return text


def _copy(value: Any, delta: timedelta) -> Any:
    """Deep-copy JSON data, moving every timestamp and date by ``delta``.

    Faster than :func:`copy.deepcopy`; other text (``info`` included) is left as is.
    """
    if isinstance(value, dict):
        return {key: _copy(item, delta) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item, delta) for item in value]
    if delta and isinstance(value, str):
        return _shift_text(value, delta)
    return value


def demo_now() -> datetime:
    """The present the demo is anchored to in this process: the clock at the first call.

    Every default load (the demo client's, a notebook's, the demo's fleet history) uses it,
    so they agree to the second however long the process runs.
    """
    if not _default_now:
        _default_now.append(datetime.now(UTC).replace(microsecond=0))
    return _default_now[0]


def load_demo_executions(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Return the demo executions, oldest first, as a fresh deep copy the caller may mutate.

    Every time is moved by the same amount, whole seconds, so that :data:`DEMO_SNAPSHOT` falls
    on ``now``: the newest event is then a few hours old, as it was when the data was made.
    The file is read and parsed on the first call only.

    Parameters
    ----------
    now : datetime, optional
        The present to anchor the demo to. By default the clock at the first call in this
        process (every later call gives the same times). ``now=DEMO_SNAPSHOT`` gives the file's
        own times. A naive datetime is read as UTC.

    Returns
    -------
    list[dict]
        241 executions in the shape of the API's responses (plus ``blueprint_uuid``).
    """
    if now is None:
        now = demo_now()
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    delta = timedelta(seconds=int((now - DEMO_SNAPSHOT).total_seconds()))
    data: list[dict[str, Any]] = orjson.loads(_shifted(delta))
    return data


@lru_cache(maxsize=2)
def _shifted(delta: timedelta) -> bytes:
    """The dataset moved by ``delta``, as JSON: parsing it again is the cheapest deep copy."""
    return orjson.dumps([_copy(execution, delta) for execution in _parsed()])
