"""A hostile HTTP server on loopback: plays the Plannr API, then misbehaves on cue.

Raw sockets (``socketserver``), so it can send what no well-behaved server library would:
corrupt gzip, gzip bombs, heads and bodies dripped a byte at a time, endless bodies, broken
status lines, resets, redirects, echoes of the Authorization header. Each request is answered
by the first queued :class:`Misbehaviour` whose ``match`` is in the request's path (used
``times`` times), otherwise by the API: ``GET /api/v1/automation-executions/{uuid}`` and the
list endpoint with ``filter[uuid]``, ``per_page`` and ``page``.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import socketserver
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

EXECUTIONS_PATH = "/api/v1/automation-executions"


@dataclass
class Seen:
    """One request as the server received it."""

    at: float
    path: str
    headers: dict[str, str]


@dataclass
class Exchange:
    """What a behaviour gets: the request, the server, and the socket to answer on."""

    path: str
    headers: dict[str, str]
    server: HostileServer
    sock: socket.socket

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query))

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


Behaviour = Callable[[Exchange], None]


@dataclass
class Misbehaviour:
    behaviour: Behaviour
    match: str = ""
    times: int = 1


def head(status: int, headers: Sequence[tuple[str, str]] = (), reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    status: int, body: bytes, headers: Sequence[tuple[str, str]] = (), *, length: bool = True
) -> Behaviour:
    extra = [("Content-Type", "application/json"), *headers]
    if length:
        extra.append(("Content-Length", str(len(body))))

    def act(exchange: Exchange) -> None:
        exchange.send(head(status, extra) + body)

    return act


def json(data: object, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> Behaviour:
    return respond(status, orjson.dumps(data), headers)


def gzip_body(data: bytes, headers: Sequence[tuple[str, str]] = ()) -> Behaviour:
    return respond(200, data, [("Content-Encoding", "gzip"), *headers])


def corrupt_gzip() -> Behaviour:
    """A gzip header, then garbage."""
    good = gzip.compress(b'{"data": []}')
    return gzip_body(good[:12] + b"\x00garbage that is not deflate\xff" * 4)


def gzip_bomb(decoded: int) -> bytes:
    """``decoded`` zero bytes, gzipped (about a thousandth of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(decoded // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)


def drip(body: bytes, every: float) -> Behaviour:
    """Send the head at once, then one byte of the body every ``every`` seconds."""

    def act(exchange: Exchange) -> None:
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        exchange.send(head(200, headers))
        for byte in body:
            time.sleep(every)
            exchange.send(bytes([byte]))

    return act


def drip_head(every: float, seconds: float) -> Behaviour:
    """Send the status line and headers one byte every ``every`` seconds, for ``seconds`` or more.

    The head is padded (an ``X-Padding`` header) to last that long, then a valid body follows:
    only a client that bounds the whole attempt gives up before the head is complete.
    """

    def act(exchange: Exchange) -> None:
        body = orjson.dumps({"data": []})
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        short = len(head(200, [*headers, ("X-Padding", "")]))
        padding = "x" * max(0, round(seconds / every) - short)
        for byte in head(200, [*headers, ("X-Padding", padding)]):
            time.sleep(every)
            exchange.send(bytes([byte]))
        exchange.send(body)

    return act


def endless(total: int, *, declare: bool = False) -> Behaviour:
    """A JSON-looking body of ``total`` bytes, sent in 1 MiB writes (Content-Length optional)."""

    def act(exchange: Exchange) -> None:
        headers = [("Content-Type", "application/json")]
        if declare:
            headers.append(("Content-Length", str(total)))
        exchange.send(head(200, headers) + b'{"data": ["')
        block = b"x" * (1024 * 1024)
        sent = 0
        while sent < total:
            exchange.send(block)
            sent += len(block)

    return act


def redirect(status: int, location: str) -> Behaviour:
    body = orjson.dumps({"data": [], "uuid": "not data"})
    return respond(status, body, [("Location", location)])


def rate_limited(retry_after: str) -> Behaviour:
    return json({"message": "Too Many Attempts."}, 429, [("Retry-After", retry_after)])


def echo_token(status: int = 400) -> Behaviour:
    """An error whose body and headers repeat the Authorization header it received."""

    def act(exchange: Exchange) -> None:
        secret = exchange.headers.get("authorization", "")
        body = orjson.dumps({"message": f"bad header {secret}", "errors": {secret: [secret]}})
        respond(status, body, [("X-Echo", secret)])(exchange)

    return act


def broken_status_line() -> Behaviour:
    def act(exchange: Exchange) -> None:
        exchange.send(b"HTTP/1.1 two hundred OK\r\nbogus\r\n\r\n{}")

    return act


def reset() -> Behaviour:
    def act(exchange: Exchange) -> None:
        exchange.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return act


def page(items: list[dict[str, Any]], next_link: object) -> Behaviour:
    return json({"data": items, "links": {"next": next_link}})


def repeated_pages(items: list[dict[str, Any]]) -> Behaviour:
    """The same items on every page, each pointing to a new page number."""

    def act(exchange: Exchange) -> None:
        number = int(exchange.query.get("page", "1"))
        link = f"{exchange.server.url}{EXECUTIONS_PATH}?page={number + 1}"
        page(items, link)(exchange)

    return act


def ignore_filters() -> Behaviour:
    """Every execution the server has, whatever was asked (one page)."""

    def act(exchange: Exchange) -> None:
        page(list(exchange.server.executions.values()), None)(exchange)

    return act


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        hostile = self.server.hostile
        hostile.record(Seen(time.monotonic(), path, headers))
        exchange = Exchange(path, headers, hostile, sock)
        # The client may hang up (it had read enough): that is the point.
        with contextlib.suppress(OSError):
            hostile.pick(path)(exchange)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's backlog of 5 drops the SYNs of a batch's burst of connections, and each
    # dropped one costs the kernel's 1 s SYN retry.
    request_queue_size = 128
    hostile: HostileServer


@dataclass
class HostileServer:
    """Serves ``executions`` like the API, and the queued misbehaviours first."""

    executions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    #: Serve https:// with this server-side context (its certificate and key loaded).
    tls: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Misbehaviour] = []
        self._server = _TCPServer(("127.0.0.1", 0), _Handler)
        self._server.hostile = self
        if self.tls is not None:
            # The handshake runs at accept(); one the client refuses never reaches a handler.
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        scheme = "http" if self.tls is None else "https"
        return f"{scheme}://{host!s}:{port}"

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def misbehave(self, behaviour: Behaviour, *, match: str = "", times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``match`` with ``behaviour``."""
        with self._lock:
            self._queue.append(Misbehaviour(behaviour, match, times))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def pick(self, path: str) -> Behaviour:
        with self._lock:
            for entry in self._queue:
                if entry.match in path:
                    entry.times -= 1
                    if entry.times <= 0:
                        self._queue.remove(entry)
                    return entry.behaviour
        return self._api

    def _api(self, exchange: Exchange) -> None:
        parts = urlsplit(exchange.path)
        query = exchange.query
        if parts.path.startswith(EXECUTIONS_PATH + "/"):
            execution = self.executions.get(parts.path.rsplit("/", 1)[1])
            if execution is None:
                json({"message": "Not found."}, 404)(exchange)
            else:
                json({"data": execution})(exchange)
            return
        if parts.path != EXECUTIONS_PATH:
            json({"message": "Not found."}, 404)(exchange)
            return
        items = list(self.executions.values())
        if "filter[uuid]" in query:
            wanted = query["filter[uuid]"].split(",")
            items = [self.executions[u] for u in wanted if u in self.executions]
        per_page = int(query.get("per_page", "15"))
        number = int(query.get("page", "1"))
        chunk = items[(number - 1) * per_page : number * per_page]
        more = number * per_page < len(items)
        link = None
        if more:
            rest = {**query, "page": str(number + 1)}
            link = f"{self.url}{parts.path}?" + "&".join(f"{k}={v}" for k, v in rest.items())
        page(chunk, link)(exchange)


def max_in_window(times: Iterator[float] | list[float], window: float) -> int:
    """The most requests that arrived within any ``window`` seconds."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best
