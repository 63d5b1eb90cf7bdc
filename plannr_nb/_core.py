"""The sans-IO core shared by :class:`PlannrClient` and :class:`AsyncPlannrClient`.

Everything about talking to Plannr that does no I/O lives here, once: checking options and the
token, building requests, reading a body fed chunk by chunk (bounded in bytes and time, token
masked), deciding on retries, turning outcomes into errors of the tree of
:mod:`plannr_nb._errors`, paging (next URL, repeats), keeping lists to what was asked, batch
bookkeeping, the cache lookups, and every log message. The twins in :mod:`plannr_nb._client`
only send, read, sleep and close (threads for one, tasks for the other).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import time
import uuid as uuid_module
import zlib
from collections.abc import (
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypeGuard, overload
from urllib.parse import urlencode

import httpx
import orjson
import tenacity

from ._cache import ExecutionCache
from ._config import (
    ACCOUNT_ENV_VAR,
    ACCOUNT_HEADER,
    BATCH_CHUNK_SIZE,
    DEFAULT_BASE_URL,
    LOOPBACK_NAMES,
    MAX_PER_PAGE,
    MAX_RETRY_AFTER,
    RATE_LIMIT_MARGIN,
    RATE_LIMIT_PERIOD,
    TOKEN_ENV_VARS,
)
from ._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    InvalidUUIDError,
    PlannrError,
    RateLimitError,
    RequestTimeoutError,
    ResponseFormatError,
    ServerError,
    TransportError,
    parse_retry_after,
    redacted_request,
)
from ._ratelimit import RateLimiter
from ._transport import tls_context
from ._uuids import UUIDKind, normalize_uuid

__all__ = ["DEFAULT_RETRY_WAIT", "DEMO_BASE_URL", "Execution", "FetchResult", "UUIDLike"]

logger = logging.getLogger("plannr_nb")

#: Logged once per list when the API sends executions that were not asked for.
_IGNORED_FILTER: Final = "the API ignored filter[uuid]; %s"

Execution = dict[str, Any]

_EXECUTIONS_PATH: Final = "/api/v1/automation-executions"
_BLUEPRINT_PATH: Final = "/api/v1/automation-blueprints/{uuid}/executions"
_RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
#: (first, largest) backoff in seconds: waits are random in [0, min(largest, first * 2**n)].
DEFAULT_RETRY_WAIT: Final = (0.5, 30.0)
#: Batch URLs are kept under this many characters (servers commonly refuse 8 KB and more).
_URL_BUDGET: Final = 6000
_ENCODED_UUID: Final = 39  # 36 characters and an encoded comma (%2C)
_MAX_PAGES: Final = 10_000
_EXCERPT: Final = 120
DEMO_BASE_URL: Final = "https://demo.plannrcrm.invalid"
#: Said instead of the usual 404 advice by a client made with ``demo()``.
_DEMO_NOT_FOUND: Final = (
    "This demo client serves only the bundled demo dataset (pnb.load_demo_executions()) and "
    "its six months of synthetic history, "
    "which holds no execution with this UUID. To look up a real execution, pass a token: "
    "PlannrClient(token=...) or set PLANNR_ACCESS_TOKEN."
)
#: Bytes inflated per step from a compressed body (the most one step may hold at once).
_INFLATE_STEP: Final = 256 * 1024
#: Content codings asked for and understood (anything else is refused, not passed through).
_ACCEPT_ENCODING: Final = "gzip, deflate"
#: Shown in size errors: how to raise the cap.
_CAP_ADVICE: Final = "PlannrClient(max_response_bytes=...)"
#: Tokens shorter than this are not masked in bodies and messages (see ``_Token.masked``).
_MIN_MASKED: Final = 8


class _DeadlineExceeded(Exception):
    """Internal: an attempt outlived its whole-request deadline (``timeout``)."""


#: Failures worth another attempt: the network hiccupped, the request was well formed.
_RETRY_EXCEPTIONS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    _DeadlineExceeded,
)

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
    #: The response bodies the executions came from, as the API sent them (list pages and
    #: single bodies; cached copies as JSON): :func:`plannr_nb.build_frames` reads these, so a
    #: fetch becomes frames without its dicts being serialised again.
    bodies: list[bytes] = field(default_factory=list, repr=False)

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


def _canonical_list(
    values: UUIDLike | Iterable[UUIDLike] | None, kind: UUIDKind | None = None
) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str | uuid_module.UUID):
        values = [values]
    out: list[str] = []
    for value in values:
        canonical = normalize_uuid(value, kind=kind)
        if canonical not in out:
            out.append(canonical)
    return out


def _short_url(url: httpx.URL | str) -> str:
    text = str(url)
    if len(text) <= 160:
        return text
    return f"{text[:110]}...({len(text)} characters)"


class _Token:
    """The access token, in a holder whose ``repr`` and ``str`` never show it.

    Frames that hold a ``_Token`` show ``_Token([redacted])`` in a traceback formatted with
    locals; only :meth:`reveal` (called by :class:`_BearerAuth` per request) gives the text.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The token's text (for the Authorization header and for masking, nothing else)."""
        return self._value

    @property
    def masked(self) -> str | None:
        """The text to mask in what the API sends back; None for a token too short to mask.

        Real tokens are long; masking a one-letter test token would garble every body.
        """
        return self._value if len(self._value) >= _MIN_MASKED else None

    @property
    def sendable(self) -> bool:
        """Whether the token is printable ASCII without spaces (a valid header value)."""
        return all(0x21 <= ord(char) <= 0x7E for char in self._value)

    def __repr__(self) -> str:
        return "_Token([redacted])"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        msg = "the access token is not picklable"
        raise TypeError(msg)


class _BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer ...`` to each request as it is sent (kept out of reprs)."""

    def __init__(self, token: _Token) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth([redacted])"


def _resolve_token(token: object) -> _Token | None:
    """The token from ``token`` or the environment, trimmed; None when empty or blank.

    Never raises, so no frame holding the raw text ends in a traceback: a token that cannot be
    sent is refused by :class:`_Core` (see :attr:`_Token.sendable`).
    """
    if isinstance(token, _Token):
        return token
    if token is not None and not isinstance(token, str):
        return _Token("\n")  # refused below as unsendable, without showing what it was
    if token is None:
        for name in TOKEN_ENV_VARS:
            token = os.environ.get(name)
            if token and token.strip():
                break
    if token is None or not token.strip():
        return None
    text = token.strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    return _Token(text) if text else None


def _flag(name: str, value: object) -> bool:
    """``value`` if it is a bool; a TypeError otherwise (the string "false" is not a no)."""
    if not isinstance(value, bool):
        msg = f"{name} must be True or False, got {type(value).__name__} {value!r:.40}"
        raise TypeError(msg)
    return value


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_base_url(base_url: object, allow_insecure_http: bool) -> str:
    """``base_url`` without its trailing slash, once it is safe to send a token to.

    Refused: anything but http(s); a user or password in the URL (httpx would send them as
    Basic credentials, replacing the Bearer token); plain http:// to a host other than loopback
    unless ``allow_insecure_http`` (the token would cross the network in clear text).
    """
    text = str(base_url).strip().rstrip("/")
    url: httpx.URL | None = None
    with contextlib.suppress(httpx.InvalidURL, ValueError, TypeError):
        url = httpx.URL(text)
    if url is None or url.scheme not in ("http", "https") or not url.host:
        shown = text if "@" not in text else "(a URL with credentials)"
        msg = (
            f"base_url {shown[:200]!r} is not an http(s) URL: pass one such as "
            f"{DEFAULT_BASE_URL!r}."
        )
        raise ConfigurationError(msg, option="base_url")
    if url.userinfo:
        shown = str(url.copy_with(username=None, password=None))
        msg = (
            f"base_url {shown!r} carries a user name or password: refused, because they would "
            "be sent with every request and replace the access token. Remove 'user:password@' "
            "and pass the token with token=... (or PLANNR_ACCESS_TOKEN)."
        )
        raise ConfigurationError(msg, option="base_url")
    if url.scheme == "http" and not _is_loopback(url.host) and not allow_insecure_http:
        msg = (
            f"base_url {text!r} is plain http:// to {url.host}: the access token would cross "
            "the network unencrypted, so nothing is sent. Use https://, or pass "
            "allow_insecure_http=True if you really mean it (plain http to loopback, "
            "127.0.0.1, ::1 or localhost, is always allowed)."
        )
        raise ConfigurationError(msg, option="base_url")
    return text


def _count(name: str, value: object, minimum: int, unit: str) -> int:
    """``value`` if it is a whole number of at least ``minimum``; a ConfigurationError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = (
            f"{name} must be a whole number of {unit}, {minimum} or more; got {value!r:.40}. "
            f"Pass PlannrClient({name}=...) with such a number, or leave it out for the default."
        )
        raise ConfigurationError(msg, option=name)
    return value


def _seconds(name: str, value: object, *, zero: bool = False) -> float:
    """``value`` as seconds if it is a finite number above 0 (or at 0, with ``zero``)."""
    number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else -1
    if not (number >= 0 if zero else number > 0) or number == float("inf"):
        least = "0 or more" if zero else "more than 0"
        msg = (
            f"{name} must be a number of seconds, {least}; got {value!r:.40}. Pass such a "
            f"number to PlannrClient, or leave it out for the default."
        )
        raise ConfigurationError(msg, option=name.split("[")[0])
    return number


def _attempt_seconds(timeout: object) -> float | None:
    """The whole-attempt deadline implied by ``timeout`` (None: no deadline)."""
    if timeout is None:
        return None
    if isinstance(timeout, httpx.Timeout):
        parts = [timeout.connect, timeout.read, timeout.write, timeout.pool]
        values = [_seconds("timeout", part) for part in parts if part is not None]
        return max(values) if values else None
    return _seconds("timeout", timeout)


def _retry_wait(value: object) -> tuple[float, float]:
    """(first, largest) backoff in seconds, checked."""
    if isinstance(value, tuple | list) and len(value) == 2:
        first = _seconds("retry_wait[0]", value[0], zero=True)
        largest = _seconds("retry_wait[1]", value[1], zero=True)
        if first <= largest:
            return first, largest
    msg = (
        f"retry_wait must be (first, largest) backoff in seconds with first <= largest; got "
        f"{value!r:.60}. Pass e.g. PlannrClient(retry_wait=(0.5, 30))."
    )
    raise ConfigurationError(msg, option="retry_wait")


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


def _use_stale(stale: Execution | None, uuid: str, error: PlannrError) -> TypeGuard[Execution]:
    """Whether a cached copy (``stale``) stands in for an execution that ``error`` kept away."""
    if stale is None or not _offline(error):
        return False
    logger.warning("execution %s: offline (%s); using the cached copy", uuid, error)
    return True


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


# -- reading a body, bounded -------------------------------------------------------------------


class _Inflater:
    """One content coding (gzip or deflate), inflated by bounded steps."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        # deflate: zlib-wrapped per RFC 9110, raw deflate from some servers (sniffed below).
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)
        self._first = coding == "deflate"

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and data:
            self._first = False
            if data[0] & 0x0F != 8:  # not a zlib header: raw deflate
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        while True:
            piece = self._zlib.decompress(data, _INFLATE_STEP)
            if piece:
                yield piece
            data = self._zlib.unconsumed_tail
            if not data and len(piece) < _INFLATE_STEP:
                return

    def flush(self) -> bytes:
        return self._zlib.flush()

    @property
    def done(self) -> bool:
        """Whether the compressed stream reached its end marker."""
        return self._zlib.eof


class _BodyReader:
    """Collects one response body from raw chunks: bounded in bytes and in time.

    ``limit`` caps the bytes on the wire and the decoded bytes; ``deadline`` (a
    ``time.monotonic`` value) ends the attempt, however slowly the server drips. The result is a
    fresh :class:`httpx.Response` holding the decoded body with the token masked and a redacted
    request, so nothing downstream can leak the token.
    """

    def __init__(
        self, response: httpx.Response, *, limit: int, deadline: float | None, token: _Token | None
    ) -> None:
        self.response = response
        self.limit = limit
        self.deadline = deadline
        self.token = token
        self.wire = 0
        self.body = bytearray()
        #: False when the transport handed over a body already read (a mock, the simulator).
        self.streaming = not response.is_stream_consumed
        self.where = f"{response.request.method} {_short_url(response.request.url)}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            self._too_big("declares", int(declared))
        codings = [
            part.strip().lower()
            for part in response.headers.get("content-encoding", "").split(",")
            if part.strip() and part.strip().lower() != "identity"
        ]
        unknown = [coding for coding in codings if coding not in ("gzip", "deflate")]
        if unknown and self.streaming:
            msg = (
                f"{self.where} answered with Content-Encoding {', '.join(unknown)!r}, which "
                f"plannr-nb did not ask for and cannot read (it asks for {_ACCEPT_ENCODING}). "
                "Check base_url; a proxy may be rewriting responses."
            )
            raise ResponseFormatError(msg, where=self.where, request=response.request)
        # Applied in reverse order of the header (the last coding applied is undone first).
        self.inflaters = [_Inflater(coding) for coding in reversed(codings)]

    def _too_big(self, how: str, size: int) -> None:
        mib = self.limit / (1024 * 1024)
        msg = (
            f"{self.where}: the response {how} {size:,} bytes, more than max_response_bytes "
            f"({self.limit:,} bytes, {mib:g} MiB), so it was not read further. If the API "
            f"really sends that much, raise the limit: {_CAP_ADVICE}."
        )
        raise ResponseFormatError(msg, where=self.where, request=self.response.request)

    def _check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _DeadlineExceeded

    def _take(self, decoded: bytes) -> None:
        self.body += decoded
        if len(self.body) > self.limit:
            self._too_big("inflates to more than", len(self.body))

    def _through(self, data: bytes, stage: int) -> None:
        if stage == len(self.inflaters):
            self._take(data)
            return
        if not data:
            return
        inflater = self.inflaters[stage]
        pieces = inflater.feed(data)
        while True:  # one bounded piece at a time: the size check runs between two pieces
            try:
                piece = next(pieces)
            except StopIteration:
                return
            except zlib.error as exc:
                reason = str(exc)
            else:
                self._through(piece, stage + 1)
                continue
            self._corrupt(inflater.coding, reason)

    def _corrupt(self, coding: str, reason: str) -> None:
        msg = (
            f"{self.where}: the body's {coding} encoding is corrupt ({reason}). Try again; if "
            "it persists, a proxy is mangling responses."
        )
        raise ResponseFormatError(msg, where=self.where, request=self.response.request)

    def feed(self, chunk: bytes) -> None:
        """Take one raw chunk from the wire."""
        self.wire += len(chunk)
        if self.wire > self.limit:
            self._too_big("sends more than", self.wire)
        self._through(chunk, 0)
        self._check_time()

    def finish(self) -> httpx.Response:
        """The response, rebuilt around the whole decoded body (token masked)."""
        if not self.streaming:
            content = self.response.content
            if len(content) > self.limit:
                self._too_big("holds", len(content))
            self.body = bytearray(content)
        else:
            for stage, inflater in enumerate(self.inflaters):
                try:
                    tail = inflater.flush()
                except zlib.error as exc:
                    self._corrupt(inflater.coding, str(exc))
                self._through(tail, stage + 1)
                if not inflater.done and self.wire:
                    self._corrupt(inflater.coding, "the compressed stream ends early")
        self._check_time()
        body = bytes(self.body)
        self.body = bytearray()
        masked = self.token.masked if self.token else None
        secret = masked.encode() if masked else b""
        headers = [
            (name, value)
            for name, value in self.response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        if secret:
            body = body.replace(secret, b"[redacted]")
            text = secret.decode()
            headers = [(name, value.replace(text, "[redacted]")) for name, value in headers]
        return httpx.Response(
            self.response.status_code,
            headers=headers,
            content=body,
            request=redacted_request(self.response.request),
            extensions={"reason_phrase": self.response.reason_phrase.encode("ascii", "replace")},
        )


# -- the sans-IO core -------------------------------------------------------------------------


class _Core:
    """Everything about talking to Plannr that does not do I/O: shared by both clients."""

    def __init__(
        self,
        token: _Token | None,
        *,
        base_url: str,
        account_uuid: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        retry_wait: tuple[float, float],
        rate_limit: int | RateLimiter | None,
        concurrency: int,
        cache: str | os.PathLike[str] | ExecutionCache | None,
        max_response_bytes: int,
        allow_insecure_http: bool,
    ) -> None:
        if token is not None and not token.sendable:
            msg = (
                "The Plannr access token contains spaces, line breaks or non-ASCII characters and "
                "cannot be sent: copy it again (the token itself is not shown here)."
            )
            raise AuthenticationError(msg, status_code=401)
        self.token = token
        self.account_uuid = _resolve_account(account_uuid)
        self.base_url = _checked_base_url(
            base_url, _flag("allow_insecure_http", allow_insecure_http)
        )
        self.timeout = timeout
        self.attempt_seconds = _attempt_seconds(timeout)
        self.max_response_bytes = _count("max_response_bytes", max_response_bytes, 1, "bytes")
        self.max_retries = _count("max_retries", max_retries, 0, "retries")
        first, largest = _retry_wait(retry_wait)
        self.backoff = tenacity.wait_random_exponential(multiplier=first, max=largest)
        self.limiter: RateLimiter | None
        if isinstance(rate_limit, RateLimiter) or rate_limit is None:
            self.limiter = rate_limit
        elif isinstance(rate_limit, bool) or not isinstance(rate_limit, int):
            msg = f"rate_limit must be requests a minute, a RateLimiter or None, not {rate_limit!r}"
            raise TypeError(msg)
        else:
            _count("rate_limit", rate_limit, 0, "requests a minute (0 or None: no limit)")
            self.limiter = (
                RateLimiter(rate_limit, RATE_LIMIT_PERIOD, margin=RATE_LIMIT_MARGIN)
                if rate_limit
                else None
            )
        self.concurrency = _count("concurrency", concurrency, 1, "requests at once")
        if cache is None or isinstance(cache, ExecutionCache):
            self.cache = cache
        else:
            self.cache = ExecutionCache(cache)
        #: Set by ``demo()``: no token needed, and a 404 says the dataset lacks the UUID.
        self.demo = False
        room = _URL_BUDGET - len(self.base_url) - len(_BLUEPRINT_PATH) - 120
        self.chunk_size = max(1, min(BATCH_CHUNK_SIZE, MAX_PER_PAGE, room // _ENCODED_UUID))

    # requests

    def headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": _ACCEPT_ENCODING,
            "Content-Type": "application/json",
            "User-Agent": "plannr-nb",
        }
        if self.account_uuid:
            headers[ACCOUNT_HEADER] = self.account_uuid
        return headers

    def http_options(self, transport: object | None) -> dict[str, Any]:
        """What the sync and async httpx clients are built with.

        The shared TLS context goes in only when httpx makes the transport: one given
        verifies as it was made to.
        """
        options: dict[str, Any] = {
            "transport": transport,
            "base_url": self.base_url,
            "headers": self.headers(),
            "auth": _BearerAuth(self.token) if self.token else None,
            "timeout": self.timeout,
            "follow_redirects": False,
            "limits": httpx.Limits(max_connections=max(self.concurrency, 10)),
        }
        if transport is None:
            options["verify"] = tls_context()
        return options

    def deadline(self) -> float | None:
        """When the attempt starting now must be over (``time.monotonic``), if ever."""
        seconds = self.attempt_seconds
        return None if seconds is None else time.monotonic() + seconds

    def reader(self, response: httpx.Response, deadline: float | None) -> _BodyReader:
        return _BodyReader(
            response, limit=self.max_response_bytes, deadline=deadline, token=self.token
        )

    def check_token(self, what: str) -> None:
        if not self.demo and not self.token:
            msg = (
                f"{what}: no Plannr access token, so nothing was sent. Set PLANNR_ACCESS_TOKEN "
                "(or ACCESS_TOKEN) in the environment, or pass PlannrClient(token=...)."
            )
            raise AuthenticationError(msg, status_code=401)

    @staticmethod
    def execution_request(uuid: str, include_account: bool) -> tuple[str, dict[str, str]]:
        params = {"include": "account"} if _flag("include_account", include_account) else {}
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
            "stop": self.stop,
            "wait": self.wait,
            "retry": tenacity.retry_if_exception_type((_RetryableStatus, *_RETRY_EXCEPTIONS)),
            "before_sleep": before_sleep,
            "reraise": True,
        }

    @staticmethod
    def _retry_after(state: tenacity.RetryCallState) -> float | None:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus):
            return parse_retry_after(exc.response.headers.get("retry-after"))
        return None

    def stop(self, state: tenacity.RetryCallState) -> bool:
        """Stop after ``max_retries`` retries, or at once when told to wait too long."""
        if state.attempt_number > self.max_retries:
            return True
        after = self._retry_after(state)
        return after is not None and after > MAX_RETRY_AFTER

    def wait(self, state: tenacity.RetryCallState) -> float:
        after = self._retry_after(state)
        if after is not None:
            return after
        return float(self.backoff(state))

    def limiter_wait(self) -> float:
        """0.0 once the limiter booked a request sent now; else the seconds to wait first."""
        return self.limiter.acquire() if self.limiter is not None else 0.0

    def limiter_release(self) -> None:
        """Tell the limiter an exchange booked by :meth:`limiter_wait` is over."""
        if self.limiter is not None:
            self.limiter.release()

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
        """Turn whatever the last attempt raised into an error of our tree, raised fresh.

        The result has no cause, no context and no traceback yet: the caller raises it outside
        its ``except`` block, so no httpx exception (whose ``.request`` holds the token) and no
        frame of httpx or tenacity hangs off it.
        """
        error = self._failure(exc, method=method, url=url, uuid=uuid, attempts=attempts)
        error.__cause__ = None
        error.__context__ = None
        error.__suppress_context__ = True
        return error.with_traceback(None)

    def _failure(
        self, exc: BaseException, *, method: str, url: str, uuid: str | None, attempts: int
    ) -> PlannrError:
        if isinstance(exc, PlannrError):
            return exc
        if isinstance(exc, _RetryableStatus):
            return self.api_error(exc.response, uuid=uuid, attempts=attempts)
        what = f"execution {uuid}" if uuid else "request"
        where = f"{method} {_short_url(url)}"
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        request = getattr(exc, "_request", None)
        kind = type(exc).__name__.lstrip("_")
        detail = self.scrub(str(exc))[:200]
        if isinstance(exc, httpx.TimeoutException | _DeadlineExceeded | TimeoutError):
            limit = f"the {self.attempt_seconds:g} s timeout" if self.attempt_seconds else "time"
            msg = (
                f"{what}: {where} timed out ({kind}: no complete answer within {limit}) after "
                f"{tries}. The API is slow or unreachable: try again later, or pass a larger "
                "timeout=..."
            )
            return RequestTimeoutError(msg, url=url, request=request)
        if isinstance(exc, httpx.DecodingError | UnicodeDecodeError | zlib.error):
            msg = (
                f"{what}: {where} answered with a body that cannot be decoded ({kind}: "
                f"{detail}). Try again; if it persists, a proxy is mangling responses."
            )
            return ResponseFormatError(msg, where=where, request=request)
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            msg = (
                f"{what}: {where} could not be sent ({kind}: {detail}). Check base_url "
                f"({self.base_url}) and the UUIDs and filters given."
            )
            return TransportError(msg, url=url, request=request)
        msg = (
            f"{what}: {where} failed after {tries}: {kind}: {detail}. Check the network "
            f"connection and base_url ({self.base_url})."
        )
        return TransportError(msg, url=url, request=request)

    def scrub(self, text: str) -> str:
        """``text`` without the token, should a server have echoed it back."""
        masked = self.token.masked if self.token else None
        return text.replace(masked, "[redacted]") if masked else text

    def api_error(self, response: httpx.Response, *, uuid: str | None, attempts: int) -> ApiError:
        advice = _DEMO_NOT_FOUND if self.demo and response.status_code == 404 else None
        error = ApiError.from_response(
            response, uuid=uuid, attempts=attempts, scrub=self.scrub, advice=advice
        )
        full = str(response.request.url)
        if error.args:
            message = str(error.args[0])
            if len(full) > 160:
                message = message.replace(full, _short_url(full))
            after = getattr(error, "retry_after", None)
            if after is not None and after > MAX_RETRY_AFTER:
                message += (
                    f" The API asked to wait {after:,.0f} s (Retry-After), longer than the "
                    f"client waits on its own ({MAX_RETRY_AFTER:g} s): try again after that."
                )
            error.args = (message,)
        return error

    def decode(self, response: httpx.Response, what: str) -> Any:
        where = f"{response.request.method} {_short_url(response.request.url)}"
        content = response.content
        excerpt = self.scrub(content[:_EXCERPT].decode("utf-8", "replace"))
        content_type = response.headers.get("content-type", "")
        if content_type and "json" not in content_type.lower():
            msg = (
                f"{what}: {where} answered HTTP {response.status_code} with "
                f"{content_type.split(';')[0]!r:.80} instead of JSON ({excerpt!r}). Check "
                "base_url; a proxy, VPN or login page may be in the way."
            )
            raise ResponseFormatError(msg, where=where, request=response.request)
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
        raise ResponseFormatError(msg, where=where, request=response.request)

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
            next_url = links["next"]
        elif links is None and isinstance(meta, dict):
            current, last = meta.get("current_page"), meta.get("last_page")
            if isinstance(current, int) and isinstance(last, int) and current < last:
                next_url = str(url.copy_set_param("page", str(current + 1)))
        if next_url is None:
            return items, None
        target: httpx.URL | None = None
        if isinstance(next_url, str) and len(next_url) <= _URL_BUDGET * 2:
            with contextlib.suppress(httpx.InvalidURL, ValueError, TypeError):
                target = url.join(next_url)
        if target is None:
            shown = self.scrub(repr(next_url)[:_EXCERPT])
            msg = (
                f"list of executions: {where} gave a links.next that is not a URL ({shown}); "
                "stopped paging. Try again; if it persists, tell Plannr support."
            )
            raise ResponseFormatError(msg, where=where, request=response.request)
        if (target.scheme, target.host, target.port) != (url.scheme, url.host, url.port):
            msg = (
                f"list of executions: {where} points its next page to another server "
                f"({target.scheme}://{target.host}); not following it, so the token stays put."
            )
            raise ResponseFormatError(msg, where=where, request=response.request)
        return items, str(target)

    def pager(self, path: str, params: dict[str, str], bodies: list[bytes] | None = None) -> _Pager:
        """Paging state; ``bodies`` (when given) collects each page's raw body."""
        return _Pager(self, path, params, bodies)

    def call(self, url: str, params: dict[str, str] | None, *, uuid: str | None) -> _Call:
        """One GET and its retries, once the token check passed."""
        return _Call(self, url, params, uuid=uuid)

    def lookup(self, uuid: UUIDLike, include_account: object) -> _Lookup:
        """What the cache holds for a ``get_execution`` call (the UUID checked first)."""
        key = normalize_uuid(uuid, kind="execution")
        include = _flag("include_account", include_account)
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is None:
            return _Lookup(key, include, None, None)
        if cached.serves(include):
            return _Lookup(key, include, cached.view(include), None)
        return _Lookup(key, include, None, cached.view(include))

    def store(self, executions: Iterable[Execution], include_account: bool) -> None:
        if self.cache is not None:
            for execution in executions:
                self.cache.put(execution, include_account=include_account)

    def fetched(self, response: httpx.Response, uuid: str, include_account: bool) -> Execution:
        """The execution a single GET answered, stored in the cache."""
        execution = self.parse_execution(response, uuid)
        self.store([execution], include_account)
        return execution

    def checked(
        self, response: httpx.Response, *, uuid: str | None, attempts: int
    ) -> httpx.Response:
        """``response`` if it is an answer to read; an error for 3xx (never data) and 4xx/5xx."""
        if response.status_code >= 300:
            raise self.api_error(response, uuid=uuid, attempts=attempts)
        return response

    def listing(
        self,
        uuids: UUIDLike | Iterable[UUIDLike] | None,
        client_uuids: UUIDLike | Iterable[UUIDLike] | None,
        account_uuids: UUIDLike | Iterable[UUIDLike] | None,
        blueprint_uuid: UUIDLike | None,
        include_account: object,
        sort: str | None,
    ) -> _Listing:
        """The requests of a ``list_executions`` call and what gathers their answers."""
        include_account = _flag("include_account", include_account)
        wanted = _canonical_list(uuids, "execution")
        requests = self.list_requests(
            uuids=wanted,
            client_uuids=_canonical_list(client_uuids),
            account_uuids=_canonical_list(account_uuids),
            blueprint_uuid=(
                None if blueprint_uuid is None else normalize_uuid(blueprint_uuid, kind="blueprint")
            ),
            include_account=include_account,
            sort=sort,
        )
        return _Listing(self, requests, uuids=wanted, sort=sort, include_account=include_account)

    def batch(
        self, uuids: Iterable[object] | str, include_account: object, progress: object
    ) -> _Batch:
        _flag("progress", progress)
        return _Batch(
            uuids,
            cache=self.cache,
            include_account=_flag("include_account", include_account),
            chunk_size=self.chunk_size,
        )

    def lost(self, exc: BaseException, path: str) -> PlannrError:
        """Whatever a batch job raised, as an error of the tree (the batch never loses it)."""
        return self.failure(exc, method="GET", url=path, uuid=None, attempts=1)

    def lost_single(self, exc: BaseException, uuid: str) -> PlannrError:
        """Whatever a batch's single GET of ``uuid`` raised, as an error of the tree."""
        return self.lost(exc, f"{_EXECUTIONS_PATH}/{uuid}")


class _Call:
    """One GET and its retries: all a twin's ``_send`` needs but sending and sleeping."""

    def __init__(
        self, core: _Core, url: str, params: dict[str, str] | None, *, uuid: str | None
    ) -> None:
        core.check_token(f"execution {uuid}" if uuid else "request")
        self.core = core
        self.uuid = uuid
        self.shown = url if not params else f"{url}?{urlencode(params)}"
        self.attempts = 0
        #: Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` (sleep aside).
        self.retrying = core.retrying_options("GET", self.shown)

    def received(self, response: httpx.Response) -> httpx.Response:
        """An attempt's answer, once the limiter saw it; raises to retry a 429/502/503/504."""
        return self.core.after_receive(response)

    def failure(self, exc: BaseException) -> PlannrError:
        """What the last attempt raised, as an error of the tree (raise it outside ``except``)."""
        return self.core.failure(
            exc, method="GET", url=self.shown, uuid=self.uuid, attempts=self.attempts
        )

    def checked(self, response: httpx.Response) -> httpx.Response:
        """The final answer if it is one to read; an error for a 3xx, 4xx or 5xx."""
        return self.core.checked(response, uuid=self.uuid, attempts=self.attempts)


@dataclass(frozen=True, slots=True)
class _Lookup:
    """A ``get_execution`` call's cache lookup: a copy to return now, or one for when offline."""

    uuid: str
    include_account: bool
    fresh: Execution | None
    stale: Execution | None

    def fallback(self, error: PlannrError) -> Execution:
        """The cached copy when ``error`` means offline; else ``error`` raised again."""
        if _use_stale(self.stale, self.uuid, error):
            return self.stale
        raise error


class _Pager:
    """Where the next page is, and the proof that paging ends (shared by both clients).

    Paging stops with a :class:`ResponseFormatError` when ``links.next`` points back to a page
    already read, when a page holds only items already seen on earlier pages (a server that
    ignores ``page``), or after ``_MAX_PAGES`` pages.
    """

    def __init__(
        self,
        core: _Core,
        path: str,
        params: dict[str, str],
        bodies: list[bytes] | None = None,
    ) -> None:
        self.core = core
        self.bodies = bodies
        self.url: str = path
        self.query: dict[str, str] | None = params
        self.done = False
        self.pages = 0
        self.read: set[str] = set()
        self.seen: set[str] = set()

    def accept(self, response: httpx.Response) -> list[Execution]:
        """The items of ``response``; moves to the next page or sets ``done``."""
        items, next_url = self.core.parse_page(response)
        if self.bodies is not None:
            self.bodies.append(response.content)
        where = f"GET {_short_url(response.request.url)}"
        self.pages += 1
        self.read.add(str(response.request.url))
        keys = {normalize_uuid(item["uuid"]) for item in items}
        if self.pages > 1 and keys and keys <= self.seen:
            self._stop(where, response, "repeats only items of the pages before it")
        self.seen |= keys
        if not items or next_url is None:
            self.done = True
            return items
        if next_url in self.read:
            self._stop(where, response, "points links.next back to a page already read")
        if self.pages >= _MAX_PAGES:
            self._stop(where, response, f"is page {self.pages:,} and still not the last")
        self.url, self.query = next_url, None
        return items

    def _stop(self, where: str, response: httpx.Response, why: str) -> None:
        self.done = True
        msg = (
            f"list of executions: {where} {why}; stopped paging so the list cannot run away. "
            "Try again later; if it persists, tell Plannr support."
        )
        raise ResponseFormatError(msg, where=where, request=response.request)


class _Listing:
    """What :meth:`PlannrClient.list_executions` gathers, kept to what was asked."""

    def __init__(
        self,
        core: _Core,
        requests: list[tuple[str, dict[str, str]]],
        *,
        uuids: list[str] | None,
        sort: str | None,
        include_account: bool,
    ) -> None:
        self.core = core
        self.requests = requests
        self.include_account = include_account
        self.wanted = set(uuids) if uuids is not None else None
        self.sort = sort
        self.found: dict[str, Execution] = {}
        self.ignored = False

    def page(self, items: list[Execution], chunk: dict[str, str]) -> tuple[list[Execution], bool]:
        """For ``list_pages``: what a page adds, and whether ``chunk``'s request is done.

        What a page adds is stored in the cache; without UUIDs asked for, it is the page as
        it came.
        """
        if self.wanted is None:
            self.core.store(items, self.include_account)
            return items, False
        kept = len(self.found)
        done = self.add(items, chunk)
        page = list(self.found.values())[kept:]
        self.core.store(page, self.include_account)
        return page, done

    def add(self, items: list[Execution], chunk: dict[str, str]) -> bool:
        """Keep the items asked for; True when the request of ``chunk`` has all it can give."""
        asked = chunk.get("filter[uuid]")
        for item in items:
            key = normalize_uuid(item["uuid"])
            if self.wanted is not None and key not in self.wanted:
                if not self.ignored:
                    logger.info(_IGNORED_FILTER, "keeping only the UUIDs asked for")
                    self.ignored = True
                continue
            self.found.setdefault(key, item)
        return asked is not None and all(key in self.found for key in asked.split(","))

    def result(self) -> list[Execution]:
        """What was found, sorted across requests as asked, and stored in the cache."""
        executions = list(self.found.values())
        if len(self.requests) > 1 and self.sort in ("created_at", "-created_at"):
            executions.sort(key=_sort_key, reverse=self.sort.startswith("-"))
        self.core.store(executions, self.include_account)
        return executions


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
                canonical = normalize_uuid(value, kind="execution")
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
        self.bodies: list[bytes] = []
        for uuid in self.order:
            cached = cache.get(uuid) if cache is not None else None
            if cached is not None and cached.serves(include_account):
                self.found[uuid] = cached.view(include_account)
                self.bodies.append(orjson.dumps(self.found[uuid]))
            else:
                self.pending.append(uuid)
                if cached is not None:
                    self.stale[uuid] = cached.view(include_account)
        self.reused = len(self.order) - len(self.pending)

    def strays(self, chunk: Sequence[str], page: list[Execution]) -> bool:
        """Whether ``page`` holds executions not asked for (the API ignored ``filter[uuid]``).

        Then paging that chunk stops; what it misses is fetched one by one.
        """
        wanted = set(chunk)
        if all(normalize_uuid(item["uuid"]) in wanted for item in page):
            return False
        logger.info(_IGNORED_FILTER, "fetching the rest one by one")
        return True

    def chunks(self) -> list[list[str]]:
        size = self.chunk_size
        return [self.pending[i : i + size] for i in range(0, len(self.pending), size)]

    def store(self, execution: Execution) -> None:
        if self.cache is not None:
            self.cache.put(execution, include_account=self.include_account)

    def accept_chunk(
        self,
        chunk: Sequence[str],
        items: list[Execution],
        error: PlannrError | None,
        bodies: Sequence[bytes] = (),
    ) -> list[str]:
        """Record a list request's outcome; return the UUIDs to fetch one by one."""
        self.bodies.extend(bodies)
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
        self,
        uuid: str,
        execution: Execution | None,
        error: PlannrError | None,
        body: bytes | None = None,
    ) -> None:
        if execution is not None:
            self.found[uuid] = execution
            self.bodies.append(body if body is not None else orjson.dumps(execution))
            self.store(execution)
        else:
            self.fail(uuid, error or PlannrError(f"execution {uuid}: not fetched"))

    def fail(self, uuid: str, error: PlannrError) -> None:
        stale = self.stale.get(uuid)
        if _use_stale(stale, uuid, error):
            self.found[uuid] = stale
            self.bodies.append(orjson.dumps(stale))
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
        return FetchResult(executions=executions, errors=errors, bodies=self.bodies)


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc="executions", unit="execution", leave=True)
