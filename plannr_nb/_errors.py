"""The one exception tree of plannr_nb.

Everything a user can cause or meet raises a subclass of :class:`PlannrError`::

    PlannrError
    ├── ConfigurationError      (also ValueError)  an option the client refuses; nothing was sent
    ├── InvalidUUIDError        (also ValueError)  not a UUID; nothing was sent
    ├── ResponseFormatError     (also ValueError)  a body or payload that is not the JSON we expect
    ├── NothingFetchedError                        no execution asked for could be fetched
    ├── StoreError                                 a fleet history store that cannot be used as is
    ├── TransportError                             the network failed, after retries
    │   └── RequestTimeoutError (also TimeoutError)
    └── ApiError                                   the API answered with an error status
        ├── AuthenticationError     401
        ├── PermissionDeniedError   403
        ├── NotFoundError           404
        ├── ValidationError         422 (``.field_errors``)
        ├── RateLimitError          429, after retries
        └── ServerError             5xx, after retries

Messages say what failed, where (UUID or URL) and what to do next. :class:`ApiError` keeps
``.request`` and ``.response``, rebuilt without the ``Authorization`` header and with at most a
short excerpt of the body, so that the access token can never leak through an exception and an
error never holds a large body. A redirect (3xx, never followed) is an :class:`ApiError` naming
its ``Location``.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "InvalidUUIDError",
    "NotFoundError",
    "NothingFetchedError",
    "PermissionDeniedError",
    "PlannrError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseFormatError",
    "ServerError",
    "StoreError",
    "TransportError",
    "ValidationError",
]

_SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_EXCERPT = 300
_MAX_FIELDS = 20
_FIELD_TEXT = 200
#: Bytes of a body an error keeps in its ``.response`` (enough to see what the server said).
_KEPT_BODY = 1024


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    The one parser of this header: the client's waits and :attr:`RateLimitError.retry_after`
    both use it. A date in the past gives 0; anything unreadable gives None.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class PlannrError(Exception):
    """Base of every error plannr_nb raises on purpose.

    ``.request`` and ``.response`` are the HTTP exchange when there is one (``None``
    otherwise), always without the ``Authorization`` header.
    """

    request: httpx.Request | None = None
    response: httpx.Response | None = None


class ConfigurationError(PlannrError, ValueError):
    """An option the client refuses (an unsafe ``base_url``, a negative ``max_retries``...).

    Raised when the client is built, before anything is sent; the message names the option and
    says what to pass instead. A flag given something other than True or False is a
    :class:`TypeError` instead (the string ``"false"`` is not a no). ``.option`` names the
    option refused (``"base_url"``, ``"max_retries"``...).
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class InvalidUUIDError(PlannrError, ValueError):
    """A value that is not a UUID; raised before anything is sent."""

    def __init__(self, message: str, *, value: object = None) -> None:
        super().__init__(message)
        self.value = value

    @classmethod
    def from_value(cls, value: object) -> InvalidUUIDError:
        """Build the error for ``value``, quoting it (shortened) in the message."""
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        msg = (
            f"{shown} is not an execution UUID. Expected 36 characters such as "
            "'cc137447-a749-4b21-88a5-b27ef8b16878' (braces, quotes, 'urn:uuid:' and upper "
            "case are accepted): check the UUID you copied."
        )
        return cls(msg, value=value)


class ResponseFormatError(PlannrError, ValueError):
    """A response that cannot be read as a Plannr answer.

    Not JSON, not the expected shape, a corrupt ``Content-Encoding``, a body over
    ``max_response_bytes``, or pages that never end. ``.request`` is the request (redacted)
    when there was one.
    """

    def __init__(
        self, message: str, *, where: str | None = None, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message)
        self.where = where
        self.request = redacted_request(request)


class StoreError(PlannrError):
    """A fleet history store cannot be used as it is (another format, a newer schema, ...).

    The message names the directory and what to do: choose another one, upgrade plannr-nb, or
    move the damaged store aside and sync again.
    """


class TransportError(PlannrError):
    """The request could not be completed (connection refused, reset, DNS), after retries."""

    def __init__(
        self, message: str, *, url: str | None = None, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.request = redacted_request(request)


class RequestTimeoutError(TransportError, TimeoutError):
    """The API did not answer in time, after retries."""


def redacted_request(request: httpx.Request | None) -> httpx.Request | None:
    """A copy of ``request`` (method, URL, headers) with its secret headers replaced."""
    if request is None:
        return None
    headers = httpx.Headers(
        [
            (name, "[redacted]" if name.lower() in _SECRET_HEADERS else value)
            for name, value in request.headers.multi_items()
        ]
    )
    return httpx.Request(request.method, request.url, headers=headers)


def _safe_response(
    response: httpx.Response | None,
    request: httpx.Request | None,
    scrub: Callable[[str], str],
) -> httpx.Response | None:
    """A copy of ``response`` keeping only a short excerpt of its body, secrets masked."""
    if response is None:
        return None
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    excerpt = scrub(content[:_KEPT_BODY].decode("utf-8", "replace")).encode()
    headers = [
        (name, scrub(value))
        for name, value in response.headers.multi_items()
        if name.lower()
        not in {"set-cookie", "content-encoding", "transfer-encoding", "content-length"}
    ]
    return httpx.Response(response.status_code, headers=headers, content=excerpt, request=request)


def _unchanged(text: str) -> str:
    return text


def _body_message(response: httpx.Response) -> tuple[str | None, dict[str, list[str]]]:
    """The ``message`` and Laravel ``errors`` of an error body, if it has them."""
    try:
        body: Any = response.json()
    except Exception:
        text = response.text.strip()
        if not text or text.lstrip().startswith("<"):
            return None, {}
        return text[:_BODY_EXCERPT], {}
    message = body.get("message") if isinstance(body, dict) else None
    errors: dict[str, list[str]] = {}
    raw_errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(raw_errors, dict):
        for field, value in list(raw_errors.items())[:_MAX_FIELDS]:
            items = value if isinstance(value, list) else [value]
            errors[str(field)[:_FIELD_TEXT]] = [str(item)[:_FIELD_TEXT] for item in items[:5]]
    if message is None:
        return None, errors
    text = str(message)
    return (text if len(text) <= _BODY_EXCERPT else f"{text[:_BODY_EXCERPT]}..."), errors


class ApiError(PlannrError):
    """The API answered with an error status.

    ``.status_code``, ``.request`` and ``.response`` describe the exchange; the request's
    ``Authorization`` header is replaced by ``[redacted]``.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
        uuid: str | None = None,
        scrub: Callable[[str], str] = _unchanged,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request = redacted_request(request)
        self.response = _safe_response(response, self.request, scrub)
        self.uuid = uuid

    @staticmethod
    def _advice(status_code: int) -> str:
        if status_code == 401:
            return (
                "Set PLANNR_ACCESS_TOKEN (or pass token=...) to a valid, unexpired Plannr "
                "access token."
            )
        if status_code == 403:
            return (
                "The token is valid but may not read this execution: check the token's "
                "scopes and X-PLANNR-ACCOUNT-UUID (PLANNR_ACCOUNT_UUID)."
            )
        if status_code == 404:
            return "Check the UUID, and that it belongs to the firm this token can see."
        if status_code == 422:
            return "Check the filters and parameters of the request."
        if status_code == 429:
            return (
                "Plannr allows 500 requests a minute per user: wait a minute, or lower "
                "the client's rate_limit."
            )
        if status_code >= 500:
            return "Plannr had a problem: try again later; if it persists, tell Plannr support."
        if 300 <= status_code < 400:
            return (
                "Check base_url: plannr-nb does not follow redirects, so the token is only ever "
                "sent to the address you gave."
            )
        return "Check the request."

    @classmethod
    def from_response(
        cls,
        response: httpx.Response,
        *,
        uuid: str | None = None,
        attempts: int = 1,
        scrub: Callable[[str], str] = _unchanged,
        advice: str | None = None,
    ) -> ApiError:
        """Build the subclass that matches ``response.status_code``, with a helpful message.

        ``scrub`` masks secrets (the access token) in the message and the kept response;
        ``advice`` replaces the usual last sentence (what to do about this status).
        """
        status = response.status_code
        error_cls: type[ApiError]
        if status == 401:
            error_cls = AuthenticationError
        elif status == 403:
            error_cls = PermissionDeniedError
        elif status == 404:
            error_cls = NotFoundError
        elif status == 422:
            error_cls = ValidationError
        elif status == 429:
            error_cls = RateLimitError
        elif status >= 500:
            error_cls = ServerError
        else:
            error_cls = ApiError
        request = response.request if _has_request(response) else None
        body_message, field_errors = _body_message(response)
        what = f"execution {uuid}" if uuid else "request"
        url = f"{request.method} {request.url}" if request is not None else "request"
        reason = response.reason_phrase or "error"
        location = response.headers.get("location")
        if 300 <= status < 400:
            target = location[:200] if location else "no Location"
            parts = [f"{what}: {url}: the API answered {status} to {target}"]
            body_message, field_errors = None, {}
        else:
            parts = [f"{what}: {url} returned HTTP {status} {reason}"]
        if attempts > 1:
            parts[0] += f" after {attempts} attempts"
        if body_message:
            parts.append(f"({body_message})")
        for field, messages in field_errors.items():
            parts.append(f"{field}: {'; '.join(messages)}")
        msg = scrub(" ".join(parts) + ". " + (advice or cls._advice(status)))
        error = error_cls(
            msg, status_code=status, request=request, response=response, uuid=uuid, scrub=scrub
        )
        if isinstance(error, ValidationError):
            error.field_errors = {
                scrub(key): [scrub(m) for m in value] for key, value in field_errors.items()
            }
        if isinstance(error, RateLimitError):
            error.retry_after = parse_retry_after(response.headers.get("retry-after"))
        return error


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises when the response was built without one
    except RuntimeError:
        return False
    return True


class AuthenticationError(ApiError):
    """401: the token is missing, wrong or expired."""


class PermissionDeniedError(ApiError):
    """403: the token may not see this resource."""


class NotFoundError(ApiError, LookupError):
    """404: no execution with that UUID is visible to this token."""


class ValidationError(ApiError, ValueError):
    """422: the API rejected a parameter; ``.field_errors`` maps fields to messages."""

    field_errors: dict[str, list[str]] = {}  # noqa: RUF012 - replaced per instance


class RateLimitError(ApiError):
    """429 after every retry (or at once when ``Retry-After`` is too long to wait for).

    ``.retry_after`` is the server's hint in seconds (from either form of the header), if any.
    """

    retry_after: float | None = None


class ServerError(ApiError):
    """5xx after every retry."""


class NothingFetchedError(PlannrError):
    """None of the executions asked for could be fetched: there is nothing to tell.

    A bundled notebook raises it after showing, per input, why it could not be fetched (with
    :func:`plannr_nb.show_not_fetched`); ``plannr-nb report`` then still writes the report and
    exits with status 3. In a notebook it shows as one line, not a traceback. ``.errors`` maps
    each input to its error (an exception or a text), ``.requested`` is how many were asked for.
    From :func:`plannr_nb.render_report`, ``.report`` is the report written all the same.
    """

    report: object | None = None

    def __init__(
        self,
        errors: Mapping[str, object] | None = None,
        *,
        requested: int | None = None,
        message: str | None = None,
    ) -> None:
        self.errors = dict(errors or {})
        self.requested = len(self.errors) if requested is None else requested
        if message is None:
            n = self.requested
            message = (
                f"nothing could be fetched for the {n} input{'s' if n != 1 else ''} given (why, "
                "per input, is shown above): check the UUIDs and that this token's firm can "
                "see them, then run again"
                if n
                else "nothing was asked for: give execution UUIDs or a blueprint UUID"
            )
        super().__init__(message)

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the reasons are already on screen.
        return [f"{type(self).__name__}: {self}"]
