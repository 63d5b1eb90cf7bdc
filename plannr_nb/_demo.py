"""The synthetic demo dataset shipped with the package.

``plannr_nb/data/demo_executions.json`` holds 241 made-up automation executions in the shape of
``GET /api/v1/automation-executions/{uuid}`` (plus a ``blueprint_uuid`` key), regenerated
deterministically by ``scripts/make_demo_data.py``. One of them sits at the UUID of the API
documentation's example response (``cc137447-...``), with its times and its error. Every
name, e-mail address and phone number in it is fictitious. Notebooks and the simulated API use
it when no real account is at hand.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Final

import orjson

__all__ = [
    "DEMO_BLUEPRINT_UUIDS",
    "DEMO_RUNNING_UUID",
    "DEMO_STORY_UUID",
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

_RESOURCE: Final = "data/demo_executions.json"


@cache
def _parsed() -> tuple[dict[str, Any], ...]:
    """Read and parse the packaged file once."""
    raw = resources.files("plannr_nb").joinpath(_RESOURCE).read_bytes()
    data: Any = orjson.loads(raw)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        msg = f"plannr_nb/{_RESOURCE} is not a JSON array of objects; reinstall plannr-nb"
        raise RuntimeError(msg)
    return tuple(data)


def _copy(value: Any) -> Any:
    """Deep-copy JSON data (dicts, lists, scalars): faster than :func:`copy.deepcopy`."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def load_demo_executions() -> list[dict[str, Any]]:
    """Return the demo executions, oldest first, as a fresh deep copy the caller may mutate.

    The file is read and parsed on the first call only.
    """
    return [_copy(execution) for execution in _parsed()]
