"""The clients' connections: one TLS context, and the blocking client's deadline at the socket.

httpx's sync read timeout applies to each socket read, so a server dripping a byte at a time
could hold a call for ever. :func:`bound_by_deadline` puts a network backend under every
``httpx.HTTPTransport`` of a client whose every read and write waits only for what is left of
the attempt (set per attempt with :func:`attempt_deadline`). The async client needs none of
this: one ``asyncio.timeout`` bounds its attempt.

Every client verifies certificates with one TLS context per process (:func:`tls_context`):
httpx would load the CA bundle again for each client, about 20 ms each.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

__all__ = ["attempt_deadline", "bound_by_deadline", "tls_context"]

#: When the blocking attempt running in this thread (or task) must be over, if ever.
_ATTEMPT_DEADLINE: ContextVar[float | None] = ContextVar("plannr_nb_deadline", default=None)


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    del cert_file, cert_dir  # the cache key: httpx reads them from the environment
    return httpx.create_ssl_context(verify=True, trust_env=True)


def tls_context() -> ssl.SSLContext:
    """The context every client verifies servers with: httpx's default, made once per process.

    Like httpx, it trusts ``$SSL_CERT_FILE`` or ``$SSL_CERT_DIR`` when set, else certifi's CA
    bundle; a change to either variable gives a new context. Certificate checks and hostname
    checks are always on.
    """
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def _left(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` cut to what is left of the attempt's deadline; ``expired`` when nothing is."""
    deadline = _ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        msg = "the attempt's deadline (timeout) passed"
        raise expired(msg)
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by the attempt's deadline.

    httpx's sync read timeout applies to each socket read, so a server dripping a byte at a
    time (into the headers, or the body) could hold a call for ever; here each read may wait
    only for what is left of the attempt.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, its streams bounded by the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, left, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound_by_deadline(client: httpx.Client) -> int:
    """Put :class:`_DeadlineBackend` under every ``httpx.HTTPTransport`` of ``client``.

    httpx offers no way to choose httpcore's network backend, so it is set on each connection
    pool (the default transport, one given with ``transport=``, those of ``HTTPS_PROXY``)
    before its first connection. Other transports (a mock, the simulator) are left as they are:
    their bodies are still bounded by the core's body reader. Returns the pools bounded.
    """
    mounts: dict[Any, Any] = getattr(client, "_mounts", {})
    bounded = 0
    for transport in (getattr(client, "_transport", None), *mounts.values()):
        if not isinstance(transport, httpx.HTTPTransport):
            continue
        pool: Any = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, _DeadlineBackend):
            bounded += 1
        elif isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = _DeadlineBackend(backend)
            bounded += 1
    return bounded


@contextlib.contextmanager
def attempt_deadline(deadline: float | None) -> Iterator[None]:
    """Every socket read and write in this block (headers included) ends by ``deadline``."""
    mark = _ATTEMPT_DEADLINE.set(deadline)
    try:
        yield
    finally:
        _ATTEMPT_DEADLINE.reset(mark)
