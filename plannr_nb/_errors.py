"""The one exception tree of plannr_nb.

Everything a user can cause or meet raises a subclass of :class:`PlannrError`::

    PlannrError
    ├── InvalidUUIDError        (also ValueError)  not a UUID; nothing was sent
    ├── ResponseFormatError     (also ValueError)  a body or payload that is not the JSON we expect
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
``.request`` and ``.response``, rebuilt without the ``Authorization`` header so that the access
token can never leak through an exception.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "ApiError",
    "AuthenticationError",
    "InvalidUUIDError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlannrError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseFormatError",
    "ServerError",
    "TransportError",
    "ValidationError",
]

_SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_EXCERPT = 300


class PlannrError(Exception):
    """Base of every error plannr_nb raises on purpose.

    ``.request`` and ``.response`` are the HTTP exchange when there is one (``None``
    otherwise), always without the ``Authorization`` header.
    """

    request: httpx.Request | None = None
    response: httpx.Response | None = None


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
    """A response body or payload that does not have the shape of a Plannr execution."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.where = where


class TransportError(PlannrError):
    """The request could not be completed (connection refused, reset, DNS), after retries."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class RequestTimeoutError(TransportError, TimeoutError):
    """The API did not answer in time, after retries."""


def _safe_request(request: httpx.Request | None) -> httpx.Request | None:
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
    response: httpx.Response | None, request: httpx.Request | None
) -> httpx.Response | None:
    if response is None:
        return None
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in {"set-cookie", "content-encoding", "transfer-encoding"}
    ]
    return httpx.Response(response.status_code, headers=headers, content=content, request=request)


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
        for field, value in raw_errors.items():
            items = value if isinstance(value, list) else [value]
            errors[str(field)] = [str(item) for item in items]
    return (str(message) if message is not None else None), errors


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
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request = _safe_request(request)
        self.response = _safe_response(response, self.request)
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
        return "Check the request."

    @classmethod
    def from_response(
        cls,
        response: httpx.Response,
        *,
        uuid: str | None = None,
        attempts: int = 1,
    ) -> ApiError:
        """Build the subclass that matches ``response.status_code``, with a helpful message."""
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
        parts = [f"{what}: {url} returned HTTP {status} {reason}"]
        if attempts > 1:
            parts[0] += f" after {attempts} attempts"
        if body_message:
            parts.append(f"({body_message})")
        for field, messages in field_errors.items():
            parts.append(f"{field}: {'; '.join(messages)}")
        msg = " ".join(parts) + ". " + cls._advice(status)
        error = error_cls(msg, status_code=status, request=request, response=response, uuid=uuid)
        if isinstance(error, ValidationError):
            error.field_errors = field_errors
        if isinstance(error, RateLimitError):
            error.retry_after = _retry_after(response)
        return error


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises when the response was built without one
    except RuntimeError:
        return False
    return True


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


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
    """429 after every retry; ``.retry_after`` is the server's hint in seconds, if any."""

    retry_after: float | None = None


class ServerError(ApiError):
    """5xx after every retry."""
