"""Build automation-execution payloads in the documented shape, the one place that does.

The demo data script, the fleet history, :mod:`plannr_nb.testing` and the benchmark bodies all
make responses of ``GET /api/v1/automation-executions/{uuid}``; they build them here, so the key
order (the documentation's), the default ``updated_at`` and the rule for ``next_step`` and
``previous_step`` are written once:

* ``previous_step`` is a copy of the last step that has run (``executed_at`` set), or ``None``;
* ``next_step`` is a copy of the first step that has not run (``executed_at`` null), or
  ``None``, whatever the execution's status: the demo dataset has failed and cancelled
  executions whose untouched steps still show the next one (readers that care, such as the
  story, ignore it on finished executions).

Timestamps are strings as the API writes them; a :class:`~datetime.datetime` is written with
its own offset (``isoformat()``), so callers choose the zone. This is a runtime module (the fleet
demo imports it): it imports nothing of ours.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["attach_account", "execution_payload", "step_payload"]

Stamp = str | datetime | None


def _stamp(value: Stamp) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def step_payload(
    *,
    uuid: str,
    name: str,
    status: str,
    created_at: str | datetime,
    executed_at: Stamp = None,
    updated_at: Stamp = None,
    info: str | None = None,
) -> dict[str, Any]:
    """One step of an execution, keys in the documented order.

    Parameters
    ----------
    uuid, name, status : str
        The step's values, as the API gives them.
    created_at : str | datetime
        ISO-8601 string or tz-aware datetime (as are the other times).
    executed_at : str | datetime, optional
        ``None`` means the step has not run.
    updated_at : str | datetime, optional
        Defaults to ``executed_at``, or else ``created_at``.
    info : str, optional
        The step's ``info`` text, as the API gives it.

    Returns
    -------
    dict
        ``uuid, created_at, updated_at, executed_at, status, info, name``.

    """
    created = _stamp(created_at)
    executed = _stamp(executed_at)
    return {
        "uuid": uuid,
        "created_at": created,
        "updated_at": _stamp(updated_at) or executed or created,
        "executed_at": executed,
        "status": status,
        "info": info,
        "name": name,
    }


def execution_payload(
    *,
    uuid: str,
    name: str,
    status: str,
    triggered_by: str,
    created_at: str | datetime,
    steps: list[dict[str, Any]],
    updated_at: Stamp = None,
    account: Mapping[str, Any] | None = None,
    blueprint_uuid: str | None = None,
) -> dict[str, Any]:
    """One execution with its ``next_step`` and ``previous_step``, keys in the documented order.

    Parameters
    ----------
    uuid, name, status, triggered_by : str
        The execution's values (``name`` is the blueprint's name).
    created_at : str | datetime
        ISO-8601 string or tz-aware datetime.
    updated_at : str | datetime, optional
        Likewise; defaults to the ``updated_at`` of the last step that has run, or else
        ``created_at``.
    steps : list[dict[str, Any]]
        Step payloads (see :func:`step_payload`), in order; kept as given (``next_step`` and
        ``previous_step`` are copies).
    account : Mapping[str, Any], optional
        The ``account`` object (present when the API is asked to include it); deep-copied, so
        executions never share mutable parts.
    blueprint_uuid : str, optional
        Not in the documented response: the simulated API keeps it to serve
        ``/automation-blueprints/{uuid}/executions``. Written last.

    Returns
    -------
    dict
        ``uuid, created_at, updated_at, status, triggered_by, steps, name, next_step,
        previous_step``, then ``account`` and ``blueprint_uuid`` when given.

    """
    created = _stamp(created_at)
    ran = [step for step in steps if step["executed_at"] is not None]
    waiting = [step for step in steps if step["executed_at"] is None]
    payload: dict[str, Any] = {
        "uuid": uuid,
        "created_at": created,
        "updated_at": _stamp(updated_at) or (ran[-1]["updated_at"] if ran else created),
        "status": status,
        "triggered_by": triggered_by,
        "steps": steps,
        "name": name,
        "next_step": dict(waiting[0]) if waiting else None,
        "previous_step": dict(ran[-1]) if ran else None,
    }
    if account is not None:
        payload["account"] = copy.deepcopy(dict(account))
    if blueprint_uuid is not None:
        payload["blueprint_uuid"] = blueprint_uuid
    return payload


def attach_account(payload: dict[str, Any], account: Mapping[str, Any]) -> None:
    """Give ``payload`` a deep copy of ``account`` where :func:`execution_payload` would put it.

    That is after ``previous_step`` and before ``blueprint_uuid``, for executions whose account
    is chosen after they are built.
    """
    blueprint_uuid = payload.pop("blueprint_uuid", None)
    payload["account"] = copy.deepcopy(dict(account))
    if blueprint_uuid is not None:
        payload["blueprint_uuid"] = blueprint_uuid
