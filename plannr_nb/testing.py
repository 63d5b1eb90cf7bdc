"""Test doubles for code that uses plannr-nb: a simulated Plannr API, fault injection, data.

Test your own notebook code (or anything built on :class:`~plannr_nb.PlannrClient`) without a
token and without the network, through the very request path a real client takes::

    from plannr_nb import PlannrClient
    from plannr_nb.testing import SimAPI, SimServer, SimTransport, fake_executions

    executions = fake_executions(20, seed=1)

    # In process, no socket: hand the transport to the client.
    api = SimAPI(executions)
    with PlannrClient(token="test-token", transport=SimTransport(api)) as client:
        assert client.get_execution(executions[0]["uuid"])["uuid"] == executions[0]["uuid"]
    assert api.requests[-1].path.endswith(executions[0]["uuid"])

    # Over real HTTP on 127.0.0.1, with a fault injected: one 503, then the answer (retried).
    with SimServer(executions) as server:
        server.faults.status(503)
        client = PlannrClient(token="test-token", base_url=server.url, retry_wait=(0, 0))
        with client:
            assert len(client.fetch_executions([e["uuid"] for e in executions])) == 20

:class:`SimAPI` is pure: given a method, a URL and headers it returns a status, headers and a
body, following the documented automation-execution endpoints (see ``/api/v1/...`` below) over a
list of execution dicts. It also keeps a request log and a queue of injected faults
(:class:`FaultQueue` of :class:`Fault`: error statuses, ``Retry-After``, latency, resets, cut
or replaced bodies).

* :class:`SimTransport` / :class:`AsyncSimTransport` serve it to httpx without a socket:
  :meth:`PlannrClient.demo() <plannr_nb.PlannrClient.demo>` uses them, importing this module
  only then (the runtime client never imports it otherwise).
* :class:`SimServer` serves it over a real HTTP server on 127.0.0.1 (a port chosen by the OS),
  for tests of what sockets change: latency, timeouts, resets, cut bodies, concurrency.
* :func:`record_sleeps` makes a client skip its waits (retry backoff, ``Retry-After``) and
  record them, so a test of retries takes no time and can check the waits.
* :func:`demo_api` is the demo's API (what :meth:`PlannrClient.demo()
  <plannr_nb.PlannrClient.demo>` serves): today's demo executions and six months of history.
* :func:`fake_executions` makes any number of executions of the documented shape;
  :func:`execution_payload` and :func:`step_payload` build one of your own (documented key
  order, ``next_step``/``previous_step`` derived from the steps), as the demo data does.

Routes (GET only)::

    /api/v1/automation-executions/{uuid}                  {"data": {...}}, 404 when unknown
    /api/v1/automation-executions                         Laravel page: data, links, meta
    /api/v1/automation-blueprints/{uuid}/executions       same, for one blueprint

Query: ``filter[uuid]``, ``filter[client_uuids]``, ``filter[account_uuids]`` (comma-separated),
``include=account``, ``sort=created_at|-created_at``, ``page``, ``per_page`` (default 15, max 500).
Bad parameters give 422 with Laravel's ``{"message", "errors"}``; a missing or wrong token (when
the simulation has one) gives 401 ``{"message": "Unauthenticated."}``. Every response carries
``X-Ratelimit-Limit`` and ``X-Ratelimit-Remaining``; beyond the limit, 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import socket
import struct
import threading
import time
import uuid as uuid_module
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from ._payloads import execution_payload, step_payload

if TYPE_CHECKING:
    from ._client import AsyncPlannrClient, PlannrClient

__all__ = [
    "AsyncSimTransport",
    "Fault",
    "FaultQueue",
    "SimAPI",
    "SimRequest",
    "SimResponse",
    "SimServer",
    "SimTransport",
    "demo_api",
    "execution_payload",
    "fake_executions",
    "record_sleeps",
    "step_payload",
]

_PREFIX: Final = "/api/v1/"
_DEFAULT_PER_PAGE: Final = 15
_MAX_PER_PAGE: Final = 500
_FILTERS: Final = ("uuid", "client_uuids", "account_uuids")
_SORTS: Final = ("created_at", "-created_at")
_INCLUDES: Final = ("account",)
_LOG_LIMIT: Final = 100_000
_HTML_PAGE: Final = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>cloudflare</p></body></html>"
)
_MESSAGES: Final = {
    400: "Bad Request.",
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    404: "Not Found.",
    405: "Method Not Allowed.",
    422: "The given data was invalid.",
    429: "Too Many Attempts.",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour, applied to the next request whose path contains ``path``.

    ``status`` replaces the answer by an error of that status (Laravel-style JSON body unless
    ``body`` is given); ``retry_after`` adds that header; ``latency`` delays the answer (seconds);
    ``reset`` drops the connection without answering; ``truncate`` cuts the JSON body in half
    (with a consistent ``Content-Length``); ``disconnect`` announces the full length but closes
    the connection half-way through the body; ``body``/``content_type`` replace the body.
    """

    status: int | None = None
    retry_after: str | None = None
    latency: float = 0.0
    reset: bool = False
    truncate: bool = False
    disconnect: bool = False
    body: bytes | None = None
    content_type: str | None = None
    path: str | None = None


class FaultQueue:
    """Faults waiting for requests, first in first out; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault, times: int = 1) -> FaultQueue:
        """Queue ``fault`` for the next ``times`` matching requests."""
        with self._lock:
            self._queue.extend([fault] * times)
        return self

    def status(
        self, *codes: int, retry_after: float | str | None = None, path: str | None = None
    ) -> FaultQueue:
        """Queue one error answer per status code, in order."""
        after = None if retry_after is None else str(retry_after)
        for code in codes:
            self.add(Fault(status=code, retry_after=after, path=path))
        return self

    def latency(self, seconds: float, times: int = 1, path: str | None = None) -> FaultQueue:
        """Delay the next ``times`` answers by ``seconds``."""
        return self.add(Fault(latency=seconds, path=path), times)

    def reset(self, times: int = 1, path: str | None = None) -> FaultQueue:
        """Drop the connection, without an answer, on the next ``times`` requests."""
        return self.add(Fault(reset=True, path=path), times)

    def truncated(self, times: int = 1, path: str | None = None) -> FaultQueue:
        """Answer the next ``times`` requests with half of their JSON body."""
        return self.add(Fault(truncate=True, path=path), times)

    def disconnect(self, times: int = 1, path: str | None = None) -> FaultQueue:
        """Close the connection half-way through the body of the next ``times`` answers."""
        return self.add(Fault(disconnect=True, path=path), times)

    def html(self, status: int = 200, times: int = 1, path: str | None = None) -> FaultQueue:
        """Answer with an HTML error page (as a proxy or a login wall would)."""
        fault = Fault(status=status, body=_HTML_PAGE, content_type="text/html", path=path)
        return self.add(fault, times)

    def body(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/json",
        times: int = 1,
        path: str | None = None,
    ) -> FaultQueue:
        """Answer with exactly ``body``."""
        fault = Fault(status=status, body=body, content_type=content_type, path=path)
        return self.add(fault, times)

    def pop(self, path: str) -> Fault | None:
        """Take the first queued fault that applies to ``path``, if any."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.path is None or fault.path in path:
                    return self._queue.pop(index)
        return None

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._queue.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)


@dataclass(frozen=True, slots=True)
class SimRequest:
    """One request as the simulation saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int | None
    at: float

    @property
    def uuid_filter(self) -> list[str]:
        """The UUIDs of ``filter[uuid]``, if any."""
        value = self.query.get("filter[uuid]", "")
        return [part for part in value.split(",") if part]


@dataclass(slots=True)
class SimResponse:
    """What the simulation answers: a status, headers and a body, plus transport faults."""

    status: int
    headers: dict[str, str]
    body: bytes
    latency: float = 0.0
    reset: bool = False
    disconnect: bool = False


def _json(data: object) -> bytes:
    return orjson.dumps(data)


def _created_key(execution: Mapping[str, Any]) -> tuple[int, float, str]:
    value = execution.get("created_at")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return (1, 0.0, value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (0, moment.timestamp(), value)
    return (2, 0.0, "")


def _index(executions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(item.get("uuid", "")).lower(): item for item in executions}


def _oldest_first(executions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sorted by ``created_at`` (stable: equal instants keep their order)."""
    return sorted(executions, key=lambda item: _created_key(item)[:2])


class SimAPI:
    """The behaviour of Plannr's automation-execution endpoints over ``executions``.

    ``token``: when set, requests must carry ``Authorization: Bearer <token>`` (else 401).
    ``account_uuid``: when set, a request whose ``X-PLANNR-ACCOUNT-UUID`` names another account
    gets 403. ``rate_limit`` requests per ``rate_window`` seconds per token (None: no limit, no
    header). ``latency`` delays every answer (seconds). ``max_per_page`` caps ``per_page``.
    ``more``: a function giving further executions, called only when a request first needs
    them (a list, or a UUID not among ``executions``); from then on every execution is served,
    oldest first. The demo passes its six months of history this way, so a notebook that only
    asks for today's executions never makes it.
    """

    def __init__(
        self,
        executions: Iterable[Mapping[str, Any]],
        *,
        token: str | None = None,
        account_uuid: str | None = None,
        rate_limit: int | None = 500,
        rate_window: float = 60.0,
        latency: float = 0.0,
        max_per_page: int = _MAX_PER_PAGE,
        clock: Callable[[], float] = time.monotonic,
        more: Callable[[], Iterable[Mapping[str, Any]]] | None = None,
    ) -> None:
        self._executions: list[dict[str, Any]] = [dict(item) for item in executions]
        self._by_uuid = _index(self._executions)
        self._more = more
        self._more_lock = threading.Lock()
        self.token = token
        self.account_uuid = account_uuid
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.latency = latency
        self.max_per_page = max_per_page
        self.faults = FaultQueue()
        self._log: collections.deque[SimRequest] = collections.deque(maxlen=_LOG_LIMIT)
        self._lock = threading.Lock()
        self._clock = clock
        self._hits: dict[str, collections.deque[float]] = {}
        self._keys: dict[int, tuple[int, float, str]] = {}
        self._keys_of: list[dict[str, Any]] | None = None

    @property
    def executions(self) -> list[dict[str, Any]]:
        """Every execution served (with those of ``more``, made now if not yet)."""
        if self._more is not None:
            self._make_more()
        return self._executions

    def _make_more(self) -> None:
        with self._more_lock:
            if self._more is None:  # another request made them meanwhile
                return
            served = _oldest_first(self._executions + [dict(item) for item in self._more()])
            self._by_uuid = _index(served)
            self._executions = served
            self._more = None  # last: a request that sees None sees every execution

    # -- the log ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[SimRequest]:
        """Every request seen so far (the most recent 100,000), oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self._log.clear()

    # -- dispatch ---------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: Mapping[str, str]) -> SimResponse:
        """Answer one request (``url`` absolute, ``headers`` any case), faults included."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        lower = {name.lower(): value for name, value in headers.items()}
        fault = self.faults.pop(parts.path)
        remaining, retry_after = self._count(lower.get("authorization", ""))
        if fault is not None and fault.status is not None:
            response = self._error(fault.status)
        elif retry_after is not None:
            response = self._error(429)
            response.headers["Retry-After"] = str(retry_after)
        else:
            response = self._route(method, parts.scheme, parts.netloc, parts.path, query, lower)
        if self.rate_limit is not None:
            response.headers["X-Ratelimit-Limit"] = str(self.rate_limit)
            response.headers["X-Ratelimit-Remaining"] = str(remaining)
        response.latency = self.latency
        if fault is not None:
            self._apply(fault, response)
        entry = SimRequest(
            method=method,
            path=parts.path,
            query=query,
            headers=dict(headers),
            status=None if response.reset else response.status,
            at=self._clock(),
        )
        with self._lock:
            self._log.append(entry)
        return response

    @staticmethod
    def _apply(fault: Fault, response: SimResponse) -> None:
        response.latency += fault.latency
        response.reset = fault.reset
        response.disconnect = fault.disconnect
        if fault.retry_after is not None:
            response.headers["Retry-After"] = fault.retry_after
        if fault.body is not None:
            response.body = fault.body
        if fault.content_type is not None:
            response.headers["Content-Type"] = fault.content_type
        if fault.truncate:
            response.body = response.body[: max(1, len(response.body) // 2)]

    def _count(self, authorization: str) -> tuple[int, int | None]:
        """Count a hit for this token: (remaining, Retry-After seconds when over the limit)."""
        if self.rate_limit is None:
            return 0, None
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(authorization, collections.deque())
            while hits and hits[0] <= now - self.rate_window:
                hits.popleft()
            if len(hits) >= self.rate_limit:
                wait = hits[0] + self.rate_window - now
                return 0, max(1, int(wait + 0.999))
            hits.append(now)
            return self.rate_limit - len(hits), None

    def _route(
        self,
        method: str,
        scheme: str,
        netloc: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
    ) -> SimResponse:
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401)
        if not path.startswith(_PREFIX):
            return self._error(404, f"The route {path.lstrip('/')} could not be found.")
        if method != "GET":
            return self._error(405)
        account = headers.get("x-plannr-account-uuid")
        if self.account_uuid is not None and account and account.lower() != self.account_uuid:
            return self._error(403)
        segments = path[len(_PREFIX) :].strip("/").split("/")
        if segments == ["automation-executions"]:
            return self._list(self._listed(query), scheme, netloc, path, query)
        if len(segments) == 2 and segments[0] == "automation-executions":
            return self._get(segments[1], query)
        if (
            len(segments) == 3
            and segments[0] == "automation-blueprints"
            and segments[2] == "executions"
        ):
            blueprint = segments[1].lower()
            items = [e for e in self.executions if str(e.get("blueprint_uuid")) == blueprint]
            if not items and blueprint not in self._blueprints():
                return self._error(404, "No query results for model [AutomationBlueprint].")
            return self._list(items, scheme, netloc, path, query)
        return self._error(404, f"The route {path.lstrip('/')} could not be found.")

    def _listed(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """What the list endpoint filters: every execution, or those ``filter[uuid]`` names.

        The latter only while ``more`` is not made and ``executions`` holds every one of them:
        the answer is then the same as over all of them.
        """
        wanted = query.get("filter[uuid]")
        if self._more is None or wanted is None:
            return self.executions
        keys = {part.strip().lower() for part in wanted.split(",") if part.strip()}
        if not keys or any(key not in self._by_uuid for key in keys):
            return self.executions
        found = [item for item in self._executions if str(item.get("uuid", "")).lower() in keys]
        return _oldest_first(found)  # the order they will have among all of them

    def _blueprints(self) -> set[str]:
        return {str(e.get("blueprint_uuid")) for e in self.executions}

    @staticmethod
    def _error(
        status: int, message: str | None = None, errors: dict[str, list[str]] | None = None
    ) -> SimResponse:
        body: dict[str, Any] = {"message": message or _MESSAGES.get(status, "Error.")}
        if errors:
            body["errors"] = errors
        return SimResponse(status, {"Content-Type": "application/json"}, _json(body))

    @staticmethod
    def _render(execution: Mapping[str, Any], include: bool) -> dict[str, Any]:
        if include:
            return dict(execution)
        return {key: value for key, value in execution.items() if key != "account"}

    def _includes(self, query: dict[str, str]) -> tuple[bool, dict[str, list[str]]]:
        wanted = [part for part in query.get("include", "").split(",") if part]
        unknown = [part for part in wanted if part not in _INCLUDES]
        if unknown:
            allowed = ", ".join(_INCLUDES)
            message = (
                f"Requested include(s) `{', '.join(unknown)}` are not allowed. Allowed: {allowed}."
            )
            return False, {"include": [message]}
        return "account" in wanted, {}

    def _get(self, raw_uuid: str, query: dict[str, str]) -> SimResponse:
        include, errors = self._includes(query)
        if errors:
            return self._error(422, errors=errors)
        execution = self._by_uuid.get(raw_uuid.lower())
        if execution is None and self._more is not None:
            self._make_more()
            execution = self._by_uuid.get(raw_uuid.lower())
        if execution is None:
            return self._error(404, "No query results for model [AutomationExecution].")
        body = _json({"data": self._render(execution, include)})
        return SimResponse(200, {"Content-Type": "application/json"}, body)

    def _list(
        self,
        items: list[dict[str, Any]],
        scheme: str,
        netloc: str,
        path: str,
        query: dict[str, str],
    ) -> SimResponse:
        include, errors = self._includes(query)
        for key in query:
            if key.startswith("filter[") and key[7:-1] not in _FILTERS:
                errors[key] = [f"Requested filter(s) `{key[7:-1]}` are not allowed."]
            elif key == "sort" and query[key] not in _SORTS:
                errors["sort"] = [f"Requested sort(s) `{query[key]}` is not allowed."]
        page = _positive(query.get("page", "1"))
        per_page = _positive(query.get("per_page", str(_DEFAULT_PER_PAGE)))
        if page is None:
            errors["page"] = ["The page must be a positive integer."]
        if per_page is None or per_page > _MAX_PER_PAGE:
            errors["per_page"] = [f"The per page must be between 1 and {_MAX_PER_PAGE}."]
        if errors or page is None or per_page is None:
            return self._error(422, errors=errors)
        per_page = min(per_page, self.max_per_page)
        selected = self._filter(items, query)
        if query.get("sort") in _SORTS:
            # Keys parsed once per execution: a fleet of 100,000 is paged 500 at a time.
            if self._keys_of is not self._executions:  # made anew when ``more`` is merged
                self._keys = {id(item): _created_key(item) for item in self._executions}
                self._keys_of = self._executions
            keys = self._keys
            selected.sort(key=lambda item: keys[id(item)], reverse=query["sort"][0] == "-")
        total = len(selected)
        last_page = max(1, -(-total // per_page))
        chunk = selected[(page - 1) * per_page : page * per_page]

        def link(number: int) -> str:
            params = dict(query, page=str(number))
            return urlunsplit((scheme, netloc, path, urlencode(params), ""))

        body = {
            "data": [self._render(execution, include) for execution in chunk],
            "links": {
                "first": link(1),
                "last": link(last_page),
                "prev": link(page - 1) if page > 1 else None,
                "next": link(page + 1) if page < last_page else None,
            },
            "meta": {
                "current_page": page,
                "from": (page - 1) * per_page + 1 if chunk else None,
                "last_page": last_page,
                "path": urlunsplit((scheme, netloc, path, "", "")),
                "per_page": per_page,
                "to": (page - 1) * per_page + len(chunk) if chunk else None,
                "total": total,
            },
        }
        return SimResponse(200, {"Content-Type": "application/json"}, _json(body))

    @staticmethod
    def _filter(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        def values(name: str) -> set[str] | None:
            raw = query.get(f"filter[{name}]")
            if raw is None:
                return None
            return {part.strip().lower() for part in raw.split(",") if part.strip()}

        uuids = values("uuid")
        clients = values("client_uuids")
        accounts = values("account_uuids")
        if uuids is None and clients is None and accounts is None:
            return list(items)
        selected = []
        for execution in items:
            if uuids is not None and str(execution.get("uuid", "")).lower() not in uuids:
                continue
            account = execution.get("account")
            account_uuid = str(account.get("uuid", "")) if isinstance(account, dict) else ""
            is_client = isinstance(account, dict) and account.get("type") == "client"
            if clients is not None and not (is_client and account_uuid in clients):
                continue
            if accounts is not None and account_uuid not in accounts:
                continue
            selected.append(execution)
        return selected


def _positive(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= 1 else None


# -- httpx transports -------------------------------------------------------------------------


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        value = timeout.get("read")
        return float(value) if isinstance(value, int | float) else None
    return None


def _to_httpx(request: httpx.Request, answer: SimResponse) -> httpx.Response:
    if answer.reset:
        msg = "Connection reset by peer (simulated)"
        raise httpx.ReadError(msg, request=request)
    if answer.disconnect:
        msg = "peer closed connection without sending complete message body (simulated)"
        raise httpx.RemoteProtocolError(msg, request=request)
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


class SimTransport(httpx.BaseTransport):
    """An httpx transport answering from a :class:`SimAPI`, without any socket."""

    def __init__(self, api: SimAPI) -> None:
        self.api = api

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the simulation (latency slept, faults raised as httpx's)."""
        request.read()
        answer = self.api.handle(request.method, str(request.url), request.headers)
        if answer.latency > 0:
            limit = _read_timeout(request)
            if limit is not None and answer.latency > limit:
                time.sleep(limit)
                msg = "The read operation timed out (simulated)"
                raise httpx.ReadTimeout(msg, request=request)
            time.sleep(answer.latency)
        return _to_httpx(request, answer)


class AsyncSimTransport(httpx.AsyncBaseTransport):
    """The asynchronous twin of :class:`SimTransport`."""

    def __init__(self, api: SimAPI) -> None:
        self.api = api

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the simulation, sleeping without blocking the loop."""
        await request.aread()
        answer = self.api.handle(request.method, str(request.url), request.headers)
        if answer.latency > 0:
            limit = _read_timeout(request)
            if limit is not None and answer.latency > limit:
                await asyncio.sleep(limit)
                msg = "The read operation timed out (simulated)"
                raise httpx.ReadTimeout(msg, request=request)
            await asyncio.sleep(answer.latency)
        return _to_httpx(request, answer)


# -- a real HTTP server on loopback -----------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, sim: SimServer, max_connections: int) -> None:
        self.sim = sim
        self._slots = threading.BoundedSemaphore(max_connections)
        self.sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.sockets.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.sockets_lock:
                self.sockets.discard(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, resets) are part of the tests, not errors.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 10  # an idle keep-alive connection ends after this

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and delayed
        # ACKs add ~40 ms to every keep-alive request, which would distort latency figures.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        sim = self.server.sim
        with sim._in_flight():
            answer = sim.api.handle(self.command, url, dict(self.headers.items()))
            if answer.latency > 0:
                time.sleep(answer.latency)
        if answer.reset:
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        if answer.disconnect:
            self.send_header("Connection", "close")
        self.end_headers()
        if answer.disconnect:
            self.wfile.write(answer.body[: len(answer.body) // 2])
            self.wfile.flush()
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(answer.body)


class SimServer:
    """A real HTTP server on 127.0.0.1 serving a :class:`SimAPI`, in a background thread.

    Use it as a context manager; ``.url`` is its base URL, ``.requests`` its request log,
    ``.faults`` its fault queue and ``.max_in_flight`` the most requests it handled at once.
    Keyword arguments other than ``api`` and ``max_connections`` build the :class:`SimAPI`.
    """

    def __init__(
        self,
        executions: Iterable[Mapping[str, Any]] = (),
        *,
        api: SimAPI | None = None,
        max_connections: int = 64,
        **options: Any,
    ) -> None:
        self.api = api if api is not None else SimAPI(executions, **options)
        self._max_connections = max_connections
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._count_lock = threading.Lock()
        self._current = 0
        self.max_in_flight = 0

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``."""
        if self._server is None:
            msg = "SimServer is not running: use it as a context manager or call start()"
            raise RuntimeError(msg)
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def requests(self) -> list[SimRequest]:
        """The request log of the simulation."""
        return self.api.requests

    @property
    def faults(self) -> FaultQueue:
        """The fault queue of the simulation."""
        return self.api.faults

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        with self._count_lock:
            self._current += 1
            self.max_in_flight = max(self.max_in_flight, self._current)
        try:
            yield
        finally:
            with self._count_lock:
                self._current -= 1

    def start(self) -> SimServer:
        """Start serving in a daemon thread."""
        if self._server is None:
            self._server = _Server(self, self._max_connections)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="plannr-sim",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.sockets_lock:
            open_sockets = list(server.sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- synthetic data ---------------------------------------------------------------------------

_STEP_NAMES: Final = (
    "Send SMS",
    "Send email",
    "Create task",
    "Wait 2 days",
    "Update client stage",
    "Notify adviser",
)


def demo_api(now: datetime | None = None, *, latency: float = 0.0) -> SimAPI:
    """The demo's simulated API: what :meth:`~plannr_nb.PlannrClient.demo` serves.

    Today's demo executions, and six months of fleet history made only when a request first
    needs it (a list, or a UUID not among today's executions), both anchored to the same
    present and served oldest first.

    Parameters
    ----------
    now : datetime | None, optional
        The present the data is anchored to; default: the demo's (today).
    latency : float, optional
        Seconds every answer is delayed.

    Returns
    -------
    SimAPI
        A fresh simulation (its own request log); the history itself is made once a process.
    """
    from ._demo import demo_now, load_demo_executions
    from ._history import demo_history

    anchor = now or demo_now()
    return SimAPI(
        load_demo_executions(now=anchor),
        latency=latency,
        more=lambda: demo_history(anchor).executions,
    )


def fake_executions(
    count: int,
    *,
    seed: int = 0,
    blueprints: int = 5,
    accounts: int = 20,
) -> list[dict[str, Any]]:
    """``count`` executions of the documented shape (with ``account`` and ``blueprint_uuid``).

    Deterministic for a given ``seed``. A quarter are still ``in_progress``, the rest
    ``completed`` or ``failed``; accounts alternate between type ``client`` and ``adviser``.
    """
    rng = random.Random(seed)

    def new_uuid() -> str:
        return str(uuid_module.UUID(int=rng.getrandbits(128), version=4))

    blueprint_ids = [(new_uuid(), f"Automation {n + 1}") for n in range(blueprints)]
    people = [
        {
            "uuid": new_uuid(),
            "type": "client" if n % 2 == 0 else "adviser",
            "role": "client" if n % 2 == 0 else "adviser",
            "first_name": f"First{n}",
            "last_name": f"Last{n}",
            "name": f"First{n} Last{n}",
            "email": f"person{n}@example.com",
        }
        for n in range(accounts)
    ]
    start = datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    result = []
    for n in range(count):
        created = start + timedelta(minutes=7 * n + rng.randrange(5))
        blueprint_uuid, name = blueprint_ids[n % blueprints]
        status = "in_progress" if n % 4 == 3 else ("failed" if n % 7 == 5 else "completed")
        steps = [
            step_payload(
                uuid=new_uuid(),
                name=_STEP_NAMES[(n + index) % len(_STEP_NAMES)],
                status="completed",
                created_at=created,
                executed_at=created + timedelta(seconds=30 * index),
                info="",
            )
            for index in range(1 + rng.randrange(4))
        ]
        result.append(
            execution_payload(
                uuid=new_uuid(),
                name=name,
                status=status,
                triggered_by="client.created",
                created_at=created,
                steps=steps,
                account=people[n % accounts],
                blueprint_uuid=blueprint_uuid,
            )
        )
    return result


def record_sleeps(client: PlannrClient | AsyncPlannrClient) -> list[float]:
    """Make ``client`` skip every wait and record its length instead.

    A client waits before each retry (its backoff, or a 429's ``Retry-After``). In a test those
    waits only cost time; with this they cost none, and the test can check them. The waits
    for the client's own rate limit go through the same hook, but skipping one does not refill
    the limit (the client asks again at once): a test that spends it should pass
    ``rate_limit=None`` or a limit it stays under.

    Parameters
    ----------
    client : PlannrClient | AsyncPlannrClient
        The client to change, blocking or async; it keeps the change for its lifetime.

    Returns
    -------
    list[float]
        The waits the client asks for from now on, in seconds, appended as they happen.

    """
    from ._client import AsyncPlannrClient  # same layer; the client imports this module lazily

    slept: list[float] = []
    if isinstance(client, AsyncPlannrClient):

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        client._sleep = sleep
    else:
        client._sleep = slept.append
    return slept
