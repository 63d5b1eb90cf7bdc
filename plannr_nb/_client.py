"""HTTP clients for Plannr automation executions: get, list and batch-fetch.

:class:`PlannrClient` (blocking) and :class:`AsyncPlannrClient` (awaitable) share one sans-IO core
(:class:`_Core`) that builds requests, decides on retries and turns responses into executions or
into errors of the tree in :mod:`plannr_nb._errors`. Both go through httpx, so a ``transport``
can be injected; :meth:`PlannrClient.demo` injects the simulated API of :mod:`plannr_nb._sim`.

Every request:

* is sent only after its UUIDs were normalised (:func:`plannr_nb.normalize_uuid`);
* waits for the client-side rate limiter (500 a minute by default, slower when the API's
  ``X-Ratelimit-Remaining`` runs low);
* is retried by tenacity with jittered exponential backoff on 429, 502, 503, 504, connection
  errors and timeouts (``Retry-After`` honoured), at most ``max_retries`` times; never on
  400/401/403/404/422.

The access token is sent in the ``Authorization`` header and nowhere else: not in ``repr``, not
in log records, not in errors (which keep a copy of the request with that header redacted).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import os
import time
import uuid as uuid_module
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Self, overload
from urllib.parse import urlencode

import httpx
import orjson
import tenacity

from ._cache import ExecutionCache
from ._config import (
    ACCOUNT_ENV_VAR,
    ACCOUNT_HEADER,
    BATCH_CHUNK_SIZE,
    BATCH_CONCURRENCY,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TIMEOUT,
    MAX_PER_PAGE,
    TOKEN_ENV_VARS,
)
from ._errors import (
    ApiError,
    AuthenticationError,
    InvalidUUIDError,
    PlannrError,
    RateLimitError,
    RequestTimeoutError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from ._ratelimit import RateLimiter
from ._sim import AsyncSimTransport, SimAPI, SimTransport
from ._uuids import normalize_uuid

__all__ = ["AsyncPlannrClient", "FetchResult", "PlannrClient"]

logger = logging.getLogger("plannr_nb")

Execution = dict[str, Any]

_EXECUTIONS_PATH: Final = "/api/v1/automation-executions"
_BLUEPRINT_PATH: Final = "/api/v1/automation-blueprints/{uuid}/executions"
_RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
#: Retry-After values above this are capped (we wait this long at most between two attempts).
_MAX_RETRY_AFTER: Final = 120.0
#: (first, largest) backoff in seconds: waits are random in [0, min(largest, first * 2**n)].
DEFAULT_RETRY_WAIT: Final = (0.5, 30.0)
#: Batch URLs are kept under this many characters (servers commonly refuse 8 KB and more).
_URL_BUDGET: Final = 6000
_ENCODED_UUID: Final = 39  # 36 characters and an encoded comma (%2C)
_MAX_PAGES: Final = 10_000
_EXCERPT: Final = 120
_DEMO_BASE_URL: Final = "https://demo.plannrcrm.invalid"
#: httpx errors worth another attempt: the network hiccupped, the request was well formed.
_RETRY_EXCEPTIONS: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

UUIDLike = str | uuid_module.UUID


# -- results ----------------------------------------------------------------------------------


@dataclass(eq=False)
class FetchResult:
    """What :meth:`PlannrClient.fetch_executions` found.

    ``executions``: the executions, in input order, each once. ``errors``: input string ->
    :class:`~plannr_nb.PlannrError` (``InvalidUUIDError``, ``NotFoundError``, ...). Every input
    is accounted for in exactly one of the two. Iterating (and ``len``) goes over
    ``executions``, so a ``FetchResult`` can be handed to the frame builders as it is.
    """

    executions: list[Execution] = field(default_factory=list)
    errors: dict[str, PlannrError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every input was fetched."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise the first error, if any (a way to say "all or nothing")."""
        for error in self.errors.values():
            raise error

    def __iter__(self) -> Iterator[Execution]:
        return iter(self.executions)

    def __len__(self) -> int:
        return len(self.executions)

    @overload
    def __getitem__(self, index: int) -> Execution: ...
    @overload
    def __getitem__(self, index: slice) -> list[Execution]: ...
    def __getitem__(self, index: int | slice) -> Execution | list[Execution]:
        return self.executions[index]

    def __repr__(self) -> str:
        return f"FetchResult({len(self.executions)} executions, {len(self.errors)} errors)"


# -- helpers ----------------------------------------------------------------------------------


class _RetryableStatus(Exception):
    """Internal: a response whose status is worth another attempt."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _canonical(value: object) -> str:
    if isinstance(value, uuid_module.UUID):
        return str(value)
    return normalize_uuid(value)


def _canonical_list(values: UUIDLike | Iterable[UUIDLike] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str | uuid_module.UUID):
        values = [values]
    out: list[str] = []
    for value in values:
        canonical = _canonical(value)
        if canonical not in out:
            out.append(canonical)
    return out


def _short_url(url: httpx.URL | str) -> str:
    text = str(url)
    if len(text) <= 160:
        return text
    return f"{text[:110]}...({len(text)} characters)"


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number or an HTTP date."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _resolve_token(token: str | None) -> str | None:
    if token is None:
        for name in TOKEN_ENV_VARS:
            token = os.environ.get(name)
            if token and token.strip():
                break
    if token is None or not token.strip():
        return None
    token = token.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if any(not (0x21 <= ord(char) <= 0x7E) for char in token):
        msg = (
            "The Plannr access token contains spaces, line breaks or non-ASCII characters and "
            "cannot be sent: copy it again (the token itself is not shown here)."
        )
        raise AuthenticationError(msg, status_code=401)
    return token


def _resolve_account(account_uuid: str | None) -> str | None:
    if account_uuid is None:
        account_uuid = os.environ.get(ACCOUNT_ENV_VAR) or None
    return None if account_uuid is None else normalize_uuid(account_uuid)


def _item_uuid(item: object, where: str) -> str:
    if isinstance(item, dict):
        try:
            return normalize_uuid(item.get("uuid"))
        except InvalidUUIDError:
            pass
    shown = repr(item)[:_EXCERPT]
    msg = f"{where} returned an item that is not an execution with a uuid: {shown}"
    raise ResponseFormatError(msg, where=where)


def _offline(error: PlannrError) -> bool:
    """Whether ``error`` means "the API cannot be reached": no network, or no token at all."""
    if isinstance(error, AuthenticationError):
        return error.response is None
    return isinstance(error, TransportError)


def _sort_key(execution: Execution) -> tuple[int, float]:
    value = execution.get("created_at")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return (1, 0.0)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (0, moment.timestamp())
    return (1, 0.0)


# -- the sans-IO core -------------------------------------------------------------------------


class _Core:
    """Everything about talking to Plannr that does not do I/O: shared by both clients."""

    def __init__(
        self,
        token: str | None,
        *,
        base_url: str,
        account_uuid: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        retry_wait: tuple[float, float],
        rate_limit: int | None,
        concurrency: int,
        cache: str | os.PathLike[str] | ExecutionCache | None,
    ) -> None:
        if max_retries < 0:
            msg = f"max_retries must be 0 or more, got {max_retries}"
            raise ValueError(msg)
        if concurrency < 1:
            msg = f"concurrency must be 1 or more, got {concurrency}"
            raise ValueError(msg)
        self.token = _resolve_token(token)
        self.account_uuid = _resolve_account(account_uuid)
        self.base_url = str(base_url).rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = tenacity.wait_random_exponential(multiplier=retry_wait[0], max=retry_wait[1])
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.concurrency = concurrency
        if cache is None or isinstance(cache, ExecutionCache):
            self.cache = cache
        else:
            self.cache = ExecutionCache(cache)
        self.require_token = True
        room = _URL_BUDGET - len(self.base_url) - len(_BLUEPRINT_PATH) - 120
        self.chunk_size = max(1, min(BATCH_CHUNK_SIZE, MAX_PER_PAGE, room // _ENCODED_UUID))

    # requests

    def headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "plannr-nb",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.account_uuid:
            headers[ACCOUNT_HEADER] = self.account_uuid
        return headers

    def http_options(self) -> dict[str, Any]:
        """What the sync and async httpx clients are built with (the transport aside)."""
        return {
            "base_url": self.base_url,
            "headers": self.headers(),
            "timeout": self.timeout,
            "limits": httpx.Limits(max_connections=max(self.concurrency, 10)),
        }

    def check_token(self, what: str) -> None:
        if self.require_token and not self.token:
            msg = (
                f"{what}: no Plannr access token, so nothing was sent. Set PLANNR_ACCESS_TOKEN "
                "(or ACCESS_TOKEN) in the environment, or pass PlannrClient(token=...)."
            )
            raise AuthenticationError(msg, status_code=401)

    @staticmethod
    def execution_request(uuid: str, include_account: bool) -> tuple[str, dict[str, str]]:
        params = {"include": "account"} if include_account else {}
        return f"{_EXECUTIONS_PATH}/{uuid}", params

    def list_requests(
        self,
        *,
        uuids: list[str] | None,
        client_uuids: list[str] | None,
        account_uuids: list[str] | None,
        blueprint_uuid: str | None,
        include_account: bool,
        sort: str | None,
    ) -> list[tuple[str, dict[str, str]]]:
        path = _BLUEPRINT_PATH.format(uuid=blueprint_uuid) if blueprint_uuid else _EXECUTIONS_PATH
        params: dict[str, str] = {}
        if client_uuids is not None:
            params["filter[client_uuids]"] = ",".join(client_uuids)
        if account_uuids is not None:
            params["filter[account_uuids]"] = ",".join(account_uuids)
        if include_account:
            params["include"] = "account"
        if sort is not None:
            params["sort"] = sort
        params["per_page"] = str(MAX_PER_PAGE)
        if uuids is None:
            return [(path, params)]
        if not uuids:
            return []
        return [
            (path, {"filter[uuid]": ",".join(uuids[i : i + self.chunk_size]), **params})
            for i in range(0, len(uuids), self.chunk_size)
        ]

    def chunk_request(
        self, chunk: Sequence[str], include_account: bool
    ) -> tuple[str, dict[str, str]]:
        params = {"filter[uuid]": ",".join(chunk), "per_page": str(len(chunk))}
        if include_account:
            params["include"] = "account"
        return _EXECUTIONS_PATH, params

    # retries

    def retrying_options(self, method: str, url: str) -> dict[str, Any]:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            if isinstance(exc, _RetryableStatus):
                reason = f"HTTP {exc.response.status_code}"
            else:
                reason = type(exc).__name__
            pause = state.next_action.sleep if state.next_action is not None else 0.0
            logger.warning(
                "%s %s: %s; retry %d of %d in %.2f s",
                method,
                _short_url(url),
                reason,
                state.attempt_number,
                self.max_retries,
                pause,
            )

        return {
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "wait": self.wait,
            "retry": tenacity.retry_if_exception_type((_RetryableStatus, *_RETRY_EXCEPTIONS)),
            "before_sleep": before_sleep,
            "reraise": True,
        }

    def wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus):
            after = _parse_retry_after(exc.response.headers.get("retry-after"))
            if after is not None:
                return min(after, _MAX_RETRY_AFTER)
        return float(self.backoff(state))

    def before_send(self) -> float:
        return self.limiter.reserve() if self.limiter is not None else 0.0

    def after_receive(self, response: httpx.Response) -> httpx.Response:
        if self.limiter is not None:
            self.limiter.observe(response.headers)
        logger.debug(
            "%s %s -> %d",
            response.request.method,
            _short_url(response.request.url),
            response.status_code,
        )
        if response.status_code in _RETRY_STATUSES:
            raise _RetryableStatus(response)
        return response

    # interpreting outcomes

    def failure(
        self, exc: BaseException, *, method: str, url: str, uuid: str | None, attempts: int
    ) -> PlannrError:
        """Turn what the last attempt raised into an error of our tree."""
        if isinstance(exc, _RetryableStatus):
            return self.api_error(exc.response, uuid=uuid, attempts=attempts)
        what = f"execution {uuid}" if uuid else "request"
        where = f"{method} {_short_url(url)}"
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(exc, httpx.TimeoutException):
            msg = (
                f"{what}: {where} timed out ({type(exc).__name__}) after {tries}. The API is "
                "slow or unreachable: try again later, or pass a larger timeout=..."
            )
            return RequestTimeoutError(msg, url=url)
        msg = (
            f"{what}: {where} failed after {tries}: {type(exc).__name__}: {exc}. Check the "
            f"network connection and base_url ({self.base_url})."
        )
        return TransportError(msg, url=url)

    def scrub(self, text: str) -> str:
        """``text`` without the token, should a server have echoed it back."""
        return text.replace(self.token, "[redacted]") if self.token else text

    def api_error(self, response: httpx.Response, *, uuid: str | None, attempts: int) -> ApiError:
        error = ApiError.from_response(response, uuid=uuid, attempts=attempts)
        full = str(response.request.url)
        if error.args:
            message = str(error.args[0])
            if len(full) > 160:
                message = message.replace(full, _short_url(full))
            error.args = (self.scrub(message),)
        return error

    def decode(self, response: httpx.Response, what: str) -> Any:
        where = f"{response.request.method} {_short_url(response.request.url)}"
        content = response.content
        excerpt = self.scrub(content[:_EXCERPT].decode("utf-8", "replace"))
        content_type = response.headers.get("content-type", "")
        if content_type and "json" not in content_type.lower():
            msg = (
                f"{what}: {where} answered HTTP {response.status_code} with "
                f"{content_type.split(';')[0]!r} instead of JSON ({excerpt!r}). Check base_url; "
                "a proxy, VPN or login page may be in the way."
            )
            raise ResponseFormatError(msg, where=where)
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass  # raised below, outside this block: the decoder's error holds the whole body
        reason = "an empty body" if not content else "truncated or invalid JSON"
        msg = (
            f"{what}: {where} answered HTTP {response.status_code} with {reason} "
            f"({len(content)} bytes: {excerpt!r}). Try again; if it persists, the API or a "
            "proxy is mangling responses."
        )
        raise ResponseFormatError(msg, where=where)

    def parse_execution(self, response: httpx.Response, uuid: str) -> Execution:
        what = f"execution {uuid}"
        body = self.decode(response, what)
        if isinstance(body, dict) and "uuid" not in body and isinstance(body.get("data"), dict):
            body = body["data"]
        where = f"GET {_short_url(response.request.url)}"
        if _item_uuid(body, where) != uuid:
            msg = (
                f"{what}: {where} returned execution {body.get('uuid')!r} instead. The API or a "
                "proxy answered the wrong request: try again."
            )
            raise ResponseFormatError(msg, where=where)
        result: Execution = body
        return result

    def parse_page(self, response: httpx.Response) -> tuple[list[Execution], str | None]:
        body = self.decode(response, "list of executions")
        url = response.request.url
        where = f"GET {_short_url(url)}"
        if isinstance(body, list):
            items, links, meta = body, None, None
        elif isinstance(body, dict) and isinstance(body.get("data"), list):
            items, links, meta = body["data"], body.get("links"), body.get("meta")
        else:
            msg = (
                f"list of executions: {where} answered with {type(body).__name__} without a "
                f"'data' list ({orjson.dumps(body)[:_EXCERPT]!r}). Check base_url."
            )
            raise ResponseFormatError(msg, where=where)
        for item in items:
            _item_uuid(item, where)
        next_url: str | None = None
        if isinstance(links, dict) and links.get("next"):
            next_url = str(links["next"])
        elif links is None and isinstance(meta, dict):
            current, last = meta.get("current_page"), meta.get("last_page")
            if isinstance(current, int) and isinstance(last, int) and current < last:
                next_url = str(url.copy_set_param("page", str(current + 1)))
        if next_url is None:
            return items, None
        target = url.join(next_url)
        if (target.scheme, target.host, target.port) != (url.scheme, url.host, url.port):
            msg = (
                f"list of executions: {where} points its next page to another server "
                f"({target.scheme}://{target.host}); not following it, so the token stays put."
            )
            raise ResponseFormatError(msg, where=where)
        return items, str(target)


# -- batch bookkeeping (shared by both clients) ------------------------------------------------


class _Batch:
    """Which inputs are valid, cached, found or failed: every input ends in exactly one place."""

    def __init__(
        self,
        inputs: Iterable[object] | str,
        *,
        cache: ExecutionCache | None,
        include_account: bool,
        chunk_size: int,
    ) -> None:
        if isinstance(inputs, str | uuid_module.UUID):
            inputs = [inputs]
        self.cache = cache
        self.include_account = include_account
        self.chunk_size = chunk_size
        self.inputs: list[tuple[str, str | None]] = []
        self.input_errors: dict[str, PlannrError] = {}
        self.order: list[str] = []
        seen: set[str] = set()
        for value in inputs:
            key = value if isinstance(value, str) else str(value)
            try:
                canonical = _canonical(value)
            except InvalidUUIDError as exc:
                self.input_errors.setdefault(key, exc)
                self.inputs.append((key, None))
                continue
            self.inputs.append((key, canonical))
            if canonical not in seen:
                seen.add(canonical)
                self.order.append(canonical)
        self.found: dict[str, Execution] = {}
        self.errors: dict[str, PlannrError] = {}
        self.stale: dict[str, Execution] = {}
        self.pending: list[str] = []
        for uuid in self.order:
            cached = cache.get(uuid) if cache is not None else None
            if cached is not None and cached.serves(include_account):
                self.found[uuid] = cached.view(include_account)
            else:
                self.pending.append(uuid)
                if cached is not None:
                    self.stale[uuid] = cached.view(include_account)
        self.reused = len(self.order) - len(self.pending)

    def chunks(self) -> list[list[str]]:
        size = self.chunk_size
        return [self.pending[i : i + size] for i in range(0, len(self.pending), size)]

    def store(self, execution: Execution) -> None:
        if self.cache is not None:
            self.cache.put(execution, include_account=self.include_account)

    def accept_chunk(
        self, chunk: Sequence[str], items: list[Execution], error: PlannrError | None
    ) -> list[str]:
        """Record a list request's outcome; return the UUIDs to fetch one by one."""
        wanted = set(chunk)
        for item in items:
            key = normalize_uuid(item["uuid"])
            if key in wanted and key not in self.found:
                self.found[key] = item
                self.store(item)
        missing = [uuid for uuid in chunk if uuid not in self.found]
        if error is None or not missing:
            return missing
        retried_server_error = isinstance(error, ServerError) and error.status_code != 500
        if isinstance(error, AuthenticationError | TransportError | RateLimitError) or (
            retried_server_error
        ):
            # Already retried, or hopeless (401): single requests would fare no better. A plain
            # 500 is not retried and may come from one bad UUID in the list: isolate it below.
            for uuid in missing:
                self.fail(uuid, error)
            return []
        logger.info(
            "batch list request failed (%s); fetching %d executions one by one",
            type(error).__name__,
            len(missing),
        )
        return missing

    def accept_single(
        self, uuid: str, execution: Execution | None, error: PlannrError | None
    ) -> None:
        if execution is not None:
            self.found[uuid] = execution
            self.store(execution)
        else:
            self.fail(uuid, error or PlannrError(f"execution {uuid}: not fetched"))

    def fail(self, uuid: str, error: PlannrError) -> None:
        stale = self.stale.get(uuid)
        if stale is not None and _offline(error):
            logger.warning("execution %s: offline (%s); using the cached copy", uuid, error)
            self.found[uuid] = stale
        else:
            self.errors[uuid] = error

    def result(self) -> FetchResult:
        executions = [self.found[uuid] for uuid in self.order if uuid in self.found]
        errors: dict[str, PlannrError] = {}
        for key, canonical in self.inputs:
            if canonical is None:
                errors[key] = self.input_errors[key]
            elif canonical not in self.found:
                error = self.errors.get(canonical)
                if error is None:
                    msg = f"execution {canonical}: not fetched (internal error, please report)"
                    error = PlannrError(msg)
                errors[key] = error
        return FetchResult(executions=executions, errors=errors)


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc="executions", unit="execution", leave=True)


# -- the clients ------------------------------------------------------------------------------


def _demo_api(executions: Iterable[Execution] | None, latency: float) -> SimAPI:
    """The simulated API over ``executions``, or over the bundled demo dataset."""
    if executions is None:
        from ._demo import load_demo_executions

        executions = load_demo_executions()
    return SimAPI(executions, latency=latency)


class _ClientBase:
    _core: _Core

    def __repr__(self) -> str:
        core = self._core
        token = "set" if core.token else "not set"
        cache = str(core.cache.directory) if core.cache is not None else None
        return (
            f"{type(self).__name__}(base_url={core.base_url!r}, token={token}, "
            f"account_uuid={core.account_uuid!r}, cache={cache!r})"
        )

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return self._core.base_url

    @property
    def cache(self) -> ExecutionCache | None:
        """The on-disk snapshot store, if any."""
        return self._core.cache

    @property
    def is_demo(self) -> bool:
        """True for a client made by ``demo()``: it serves the bundled dataset, offline."""
        return self._core.base_url == _DEMO_BASE_URL

    def _cached_for(
        self, uuid: str, include_account: bool
    ) -> tuple[Execution | None, Execution | None]:
        """(usable now, usable when offline) from the cache."""
        cache = self._core.cache
        cached = cache.get(uuid) if cache is not None else None
        if cached is None:
            return None, None
        if cached.serves(include_account):
            return cached.view(include_account), None
        return None, cached.view(include_account)

    def _store(self, executions: Iterable[Execution], include_account: bool) -> None:
        cache = self._core.cache
        if cache is not None:
            for execution in executions:
                cache.put(execution, include_account=include_account)


class PlannrClient(_ClientBase):
    """A blocking client for Plannr automation executions; use it as a context manager.

    ``token`` defaults to ``$PLANNR_ACCESS_TOKEN`` (then ``$ACCESS_TOKEN``); ``account_uuid`` to
    ``$PLANNR_ACCOUNT_UUID`` (sent as ``X-PLANNR-ACCOUNT-UUID``). ``rate_limit`` requests a
    minute at most (None: no client-side limit); ``concurrency`` requests at once in batch
    fetches; ``retry_wait`` = (first, largest) backoff in seconds; ``cache``: a directory for
    snapshots of fetched executions (see :mod:`plannr_nb._cache`). ``transport`` goes to httpx.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        account_uuid: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
        cache: str | os.PathLike[str] | ExecutionCache | None = None,
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
        concurrency: int = BATCH_CONCURRENCY,
        retry_wait: tuple[float, float] = DEFAULT_RETRY_WAIT,
    ) -> None:
        self._core = _Core(
            token,
            base_url=base_url,
            account_uuid=account_uuid,
            timeout=timeout,
            max_retries=max_retries,
            retry_wait=retry_wait,
            rate_limit=rate_limit,
            concurrency=concurrency,
            cache=cache,
        )
        self._http = httpx.Client(transport=transport, **self._core.http_options())
        self._sleep: Callable[[float], None] = time.sleep

    @classmethod
    def demo(
        cls,
        executions: Iterable[Execution] | None = None,
        *,
        latency: float = 0.0,
        cache: str | os.PathLike[str] | ExecutionCache | None = None,
    ) -> Self:
        """A client on the bundled demo dataset: no token, no network, the real request path.

        ``executions`` replaces the dataset; ``latency`` (seconds) slows each simulated answer.
        """
        api = _demo_api(executions, latency)
        client = cls(token=None, base_url=_DEMO_BASE_URL, transport=SimTransport(api), cache=cache)
        client._core.require_token = False
        return client

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # transport with retries

    def _send(self, url: str, params: dict[str, str] | None, *, uuid: str | None) -> httpx.Response:
        core = self._core
        core.check_token(f"execution {uuid}" if uuid else "request")
        shown = url if not params else f"{url}?{urlencode(params)}"
        attempts = 0

        def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            pause = core.before_send()
            if pause > 0:
                self._sleep(pause)
            return core.after_receive(self._http.get(url, params=params))

        retrying = tenacity.Retrying(sleep=self._sleep, **core.retrying_options("GET", shown))
        failure: PlannrError | None = None
        try:
            response = retrying(attempt)
        except (_RetryableStatus, httpx.TransportError) as exc:
            failure = core.failure(exc, method="GET", url=shown, uuid=uuid, attempts=attempts)
        if failure is not None:
            # Raised outside the except block: no httpx exception (holding the token in its
            # request headers) is chained to ours.
            raise failure
        if response.status_code >= 400:
            raise core.api_error(response, uuid=uuid, attempts=attempts)
        return response

    def _pages(self, path: str, params: dict[str, str]) -> Iterator[list[Execution]]:
        url: str = path
        query: dict[str, str] | None = params
        seen = {path}
        for _ in range(_MAX_PAGES):
            response = self._send(url, query, uuid=None)
            items, next_url = self._core.parse_page(response)
            yield items
            if not items or next_url is None or next_url in seen:
                return
            seen.add(next_url)
            url, query = next_url, None

    def _fetch(self, uuid: str, include_account: bool) -> Execution:
        path, params = self._core.execution_request(uuid, include_account)
        execution = self._core.parse_execution(self._send(path, params, uuid=uuid), uuid)
        self._store([execution], include_account)
        return execution

    # public API

    def get_execution(self, uuid: UUIDLike, *, include_account: bool = False) -> Execution:
        """``GET /api/v1/automation-executions/{uuid}``: one execution, as a dict.

        ``include_account`` asks for the ``account`` the execution ran for. A finished execution
        held in the cache is returned without a request; when the network is down, any cached
        copy is. Raises :class:`InvalidUUIDError` (nothing sent), :class:`NotFoundError`, ...
        """
        key = _canonical(uuid)
        fresh, stale = self._cached_for(key, include_account)
        if fresh is not None:
            return fresh
        try:
            return self._fetch(key, include_account)
        except (TransportError, AuthenticationError) as exc:
            if stale is None or not _offline(exc):
                raise
            logger.warning("execution %s: offline (%s); using the cached copy", key, exc)
            return stale

    def list_executions(
        self,
        *,
        uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        client_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        account_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        blueprint_uuid: UUIDLike | None = None,
        include_account: bool = False,
        sort: str | None = None,
    ) -> list[Execution]:
        """List executions, every page of them, filtered as asked.

        Uses ``/api/v1/automation-executions`` (or ``/api/v1/automation-blueprints/{uuid}/
        executions`` with ``blueprint_uuid``) with ``filter[uuid]``, ``filter[client_uuids]``,
        ``filter[account_uuids]`` and ``sort`` (``created_at`` or ``-created_at``); follows
        ``links.next`` to the last page. Every UUID is validated before anything is sent.
        """
        requests = self._core.list_requests(
            uuids=_canonical_list(uuids),
            client_uuids=_canonical_list(client_uuids),
            account_uuids=_canonical_list(account_uuids),
            blueprint_uuid=None if blueprint_uuid is None else _canonical(blueprint_uuid),
            include_account=include_account,
            sort=sort,
        )
        out: dict[str, Execution] = {}
        for path, params in requests:
            for items in self._pages(path, params):
                for item in items:
                    out.setdefault(normalize_uuid(item["uuid"]), item)
        executions = list(out.values())
        if len(requests) > 1 and sort in ("created_at", "-created_at"):
            executions.sort(key=_sort_key, reverse=sort.startswith("-"))
        self._store(executions, include_account)
        return executions

    def fetch_executions(
        self,
        uuids: Iterable[object] | str,
        *,
        include_account: bool = False,
        progress: bool = False,
    ) -> FetchResult:
        """Fetch many executions at once: list requests of 100 UUIDs, then single GETs.

        Invalid inputs and executions that cannot be had land in ``FetchResult.errors`` (a
        missing one as :class:`NotFoundError`); the rest in ``FetchResult.executions``, in input
        order. At most ``concurrency`` requests are in flight. ``progress`` shows a bar.
        Blocking and thread-based, so it also works in a notebook cell (running event loop).
        """
        core = self._core
        batch = _Batch(
            uuids, cache=core.cache, include_account=include_account, chunk_size=core.chunk_size
        )
        bar = _progress(len(batch.order), progress)
        try:
            bar.update(batch.reused)
            if batch.pending:
                workers = min(core.concurrency, len(batch.pending))
                pool = ThreadPoolExecutor(workers, thread_name_prefix="plannr-nb")
                try:
                    chunk_jobs: dict[Future[tuple[list[Execution], PlannrError | None]], list[str]]
                    chunk_jobs = {
                        pool.submit(self._fetch_chunk, chunk, include_account): chunk
                        for chunk in batch.chunks()
                    }
                    singles: list[str] = []
                    for job in as_completed(chunk_jobs):
                        chunk = chunk_jobs[job]
                        todo = batch.accept_chunk(chunk, *job.result())
                        singles.extend(todo)
                        bar.update(len(chunk) - len(todo))
                    single_jobs = {
                        pool.submit(self._fetch_single, uuid, include_account): uuid
                        for uuid in singles
                    }
                    for single in as_completed(single_jobs):
                        batch.accept_single(single_jobs[single], *single.result())
                        bar.update(1)
                except BaseException:
                    # Interrupted (KeyboardInterrupt in a notebook): drop what has not started.
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
                pool.shutdown()
        finally:
            bar.close()
        return batch.result()

    def _fetch_chunk(
        self, chunk: list[str], include_account: bool
    ) -> tuple[list[Execution], PlannrError | None]:
        path, params = self._core.chunk_request(chunk, include_account)
        wanted = set(chunk)
        items: list[Execution] = []
        try:
            for page in self._pages(path, params):
                items.extend(page)
                if any(normalize_uuid(item["uuid"]) not in wanted for item in page):
                    logger.info("the API ignored filter[uuid]; falling back to single requests")
                    break
        except PlannrError as exc:
            return items, exc
        return items, None

    def _fetch_single(
        self, uuid: str, include_account: bool
    ) -> tuple[Execution | None, PlannrError | None]:
        try:
            return self._fetch(uuid, include_account), None
        except PlannrError as exc:
            return None, exc


class AsyncPlannrClient(_ClientBase):
    """The awaitable twin of :class:`PlannrClient`: same options, same methods, ``await`` them.

    Use it with ``async with``. Batch fetches run up to ``concurrency`` requests at once on the
    running event loop.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        account_uuid: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
        cache: str | os.PathLike[str] | ExecutionCache | None = None,
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
        concurrency: int = BATCH_CONCURRENCY,
        retry_wait: tuple[float, float] = DEFAULT_RETRY_WAIT,
    ) -> None:
        self._core = _Core(
            token,
            base_url=base_url,
            account_uuid=account_uuid,
            timeout=timeout,
            max_retries=max_retries,
            retry_wait=retry_wait,
            rate_limit=rate_limit,
            concurrency=concurrency,
            cache=cache,
        )
        self._http = httpx.AsyncClient(transport=transport, **self._core.http_options())
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    def demo(
        cls,
        executions: Iterable[Execution] | None = None,
        *,
        latency: float = 0.0,
        cache: str | os.PathLike[str] | ExecutionCache | None = None,
    ) -> Self:
        """A client on the bundled demo dataset: no token, no network, the real request path."""
        api = _demo_api(executions, latency)
        client = cls(
            token=None, base_url=_DEMO_BASE_URL, transport=AsyncSimTransport(api), cache=cache
        )
        client._core.require_token = False
        return client

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(
        self, url: str, params: dict[str, str] | None, *, uuid: str | None
    ) -> httpx.Response:
        core = self._core
        core.check_token(f"execution {uuid}" if uuid else "request")
        shown = url if not params else f"{url}?{urlencode(params)}"
        attempts = 0

        async def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            pause = core.before_send()
            if pause > 0:
                await self._sleep(pause)
            return core.after_receive(await self._http.get(url, params=params))

        retrying = tenacity.AsyncRetrying(sleep=self._sleep, **core.retrying_options("GET", shown))
        failure: PlannrError | None = None
        try:
            response: httpx.Response = await retrying(attempt)
        except (_RetryableStatus, httpx.TransportError) as exc:
            failure = core.failure(exc, method="GET", url=shown, uuid=uuid, attempts=attempts)
        if failure is not None:
            raise failure
        if response.status_code >= 400:
            raise core.api_error(response, uuid=uuid, attempts=attempts)
        return response

    async def _pages(
        self, path: str, params: dict[str, str]
    ) -> AsyncGenerator[list[Execution], None]:
        url: str = path
        query: dict[str, str] | None = params
        seen = {path}
        for _ in range(_MAX_PAGES):
            response = await self._send(url, query, uuid=None)
            items, next_url = self._core.parse_page(response)
            yield items
            if not items or next_url is None or next_url in seen:
                return
            seen.add(next_url)
            url, query = next_url, None

    async def _fetch(self, uuid: str, include_account: bool) -> Execution:
        path, params = self._core.execution_request(uuid, include_account)
        response = await self._send(path, params, uuid=uuid)
        execution = self._core.parse_execution(response, uuid)
        self._store([execution], include_account)
        return execution

    async def get_execution(self, uuid: UUIDLike, *, include_account: bool = False) -> Execution:
        """``GET /api/v1/automation-executions/{uuid}``; see :meth:`PlannrClient.get_execution`."""
        key = _canonical(uuid)
        fresh, stale = self._cached_for(key, include_account)
        if fresh is not None:
            return fresh
        try:
            return await self._fetch(key, include_account)
        except (TransportError, AuthenticationError) as exc:
            if stale is None or not _offline(exc):
                raise
            logger.warning("execution %s: offline (%s); using the cached copy", key, exc)
            return stale

    async def list_executions(
        self,
        *,
        uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        client_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        account_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        blueprint_uuid: UUIDLike | None = None,
        include_account: bool = False,
        sort: str | None = None,
    ) -> list[Execution]:
        """List executions, every page; see :meth:`PlannrClient.list_executions`."""
        requests = self._core.list_requests(
            uuids=_canonical_list(uuids),
            client_uuids=_canonical_list(client_uuids),
            account_uuids=_canonical_list(account_uuids),
            blueprint_uuid=None if blueprint_uuid is None else _canonical(blueprint_uuid),
            include_account=include_account,
            sort=sort,
        )
        out: dict[str, Execution] = {}
        for path, params in requests:
            async for items in self._pages(path, params):
                for item in items:
                    out.setdefault(normalize_uuid(item["uuid"]), item)
        executions = list(out.values())
        if len(requests) > 1 and sort in ("created_at", "-created_at"):
            executions.sort(key=_sort_key, reverse=sort.startswith("-"))
        self._store(executions, include_account)
        return executions

    async def fetch_executions(
        self,
        uuids: Iterable[object] | str,
        *,
        include_account: bool = False,
        progress: bool = False,
    ) -> FetchResult:
        """Fetch many executions at once; see :meth:`PlannrClient.fetch_executions`."""
        core = self._core
        batch = _Batch(
            uuids, cache=core.cache, include_account=include_account, chunk_size=core.chunk_size
        )
        slots = asyncio.Semaphore(core.concurrency)
        bar = _progress(len(batch.order), progress)

        async def chunk_job(chunk: list[str]) -> list[str]:
            async with slots:
                items, error = await self._fetch_chunk(chunk, include_account)
            todo = batch.accept_chunk(chunk, items, error)
            bar.update(len(chunk) - len(todo))
            return todo

        async def single_job(uuid: str) -> None:
            async with slots:
                try:
                    execution: Execution | None = await self._fetch(uuid, include_account)
                    error: PlannrError | None = None
                except PlannrError as exc:
                    execution, error = None, exc
            batch.accept_single(uuid, execution, error)
            bar.update(1)

        try:
            bar.update(batch.reused)
            todo = await asyncio.gather(*(chunk_job(chunk) for chunk in batch.chunks()))
            await asyncio.gather(*(single_job(uuid) for part in todo for uuid in part))
        finally:
            bar.close()
        return batch.result()

    async def _fetch_chunk(
        self, chunk: list[str], include_account: bool
    ) -> tuple[list[Execution], PlannrError | None]:
        path, params = self._core.chunk_request(chunk, include_account)
        wanted = set(chunk)
        items: list[Execution] = []
        try:
            async with contextlib.aclosing(self._pages(path, params)) as pages:
                async for page in pages:
                    items.extend(page)
                    if any(normalize_uuid(item["uuid"]) not in wanted for item in page):
                        logger.info("the API ignored filter[uuid]; fetching one by one")
                        break
        except PlannrError as exc:
            return items, exc
        return items, None
