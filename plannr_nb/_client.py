"""HTTP clients for Plannr automation executions: get, list and batch-fetch.

:class:`PlannrClient` (blocking) and :class:`AsyncPlannrClient` (awaitable) share one sans-IO core
(:mod:`plannr_nb._core`) that builds requests, reads bodies fed to it, decides on retries, pages,
keeps the books of a batch and turns responses into executions or into errors of the tree in
:mod:`plannr_nb._errors`. The twins here differ only where they must: how they send, read,
sleep and close, and threads (blocking) against tasks (async) for a batch. Both go through
httpx, so a ``transport`` can be injected; :meth:`PlannrClient.demo` injects the simulated API
of :mod:`plannr_nb.testing`, imported only then.

Every request:

* is sent only after its UUIDs were normalised (:func:`plannr_nb.normalize_uuid`);
* waits for the client-side rate limiter (480 a minute by default, a margin under Plannr's 500;
  slower when the API's ``X-Ratelimit-Remaining`` runs low);
* is retried by tenacity with jittered exponential backoff on 429, 502, 503, 504, connection
  errors and timeouts (``Retry-After`` honoured up to ``MAX_RETRY_AFTER``; a longer one fails at
  once), at most ``max_retries`` times; never on 400/401/403/404/422;
* is bounded: ``timeout`` seconds per attempt from the first byte sent to the last byte read,
  headers included (async: one ``asyncio.timeout``; sync: every socket read and write of an
  ``httpx.HTTPTransport`` waits only for what is left, see :mod:`plannr_nb._transport`), and
  ``max_response_bytes`` on the wire and once decoded (the body is read as a stream and
  inflated by bounded steps, so a gzip bomb never fills the memory);
* never follows a redirect (a 3xx is an :class:`~plannr_nb.ApiError` naming its ``Location``).

Whatever goes wrong while sending, receiving, decoding or paging ends as one error of the tree,
raised fresh (no httpx exception chained) and with the token masked.

The access token is sent only over TLS (or to loopback), in the ``Authorization`` header, and
nowhere else: it lives in a holder whose ``repr`` masks it, the header is added per request by
an :class:`httpx.Auth`, and every response is rebuilt (token masked in body and headers, request
redacted) before anything reads it. Not in ``repr``, not in log records, not in errors, not in
the locals of a formatted traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import httpx
import tenacity

from ._cache import ExecutionCache
from ._config import (
    BATCH_CONCURRENCY,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TIMEOUT,
)
from ._core import (
    DEFAULT_RETRY_WAIT,
    DEMO_BASE_URL,
    Execution,
    FetchResult,
    UUIDLike,
    _Batch,
    _Core,
    _DeadlineExceeded,
    _resolve_token,
)
from ._errors import AuthenticationError, PlannrError, TransportError
from ._ratelimit import RateLimiter
from ._transport import attempt_deadline, bound_by_deadline

if TYPE_CHECKING:  # later layers, for annotations only (sync imports them when used)
    from ._store import Store
    from ._sync import SyncSummary
    from .testing import SimAPI

__all__ = ["AsyncPlannrClient", "FetchResult", "PlannrClient"]

_Transport = TypeVar("_Transport", httpx.BaseTransport, httpx.AsyncBaseTransport)
_Chunk = tuple[list[Execution], PlannrError | None, list[bytes]]
_Single = tuple[Execution | None, PlannrError | None, bytes | None]


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc="executions", unit="execution", leave=True)


class _ClientBase(Generic[_Transport]):
    """What the twins share: options, the core, ``demo()``, the properties and ``repr``."""

    _core: _Core

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        account_uuid: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: _Transport | None = None,
        cache: str | os.PathLike[str] | ExecutionCache | None = None,
        rate_limit: int | RateLimiter | None = DEFAULT_RATE_LIMIT,
        concurrency: int = BATCH_CONCURRENCY,
        retry_wait: tuple[float, float] = DEFAULT_RETRY_WAIT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allow_insecure_http: bool = False,
    ) -> None:
        secret = _resolve_token(token)
        del token  # from here on only the masked holder: tracebacks with locals show frames
        self._core = _Core(
            secret,
            base_url=base_url,
            account_uuid=account_uuid,
            timeout=timeout,
            max_retries=max_retries,
            retry_wait=retry_wait,
            rate_limit=rate_limit,
            concurrency=concurrency,
            cache=cache,
            max_response_bytes=max_response_bytes,
            allow_insecure_http=allow_insecure_http,
        )
        self._open(transport)

    def _open(self, transport: _Transport | None) -> None:
        raise NotImplementedError

    @staticmethod
    def _sim_transport(api: SimAPI) -> _Transport:
        raise NotImplementedError

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
        A UUID not in the dataset is a :class:`~plannr_nb.NotFoundError` that says so.
        """
        # Test doubles stay out of the runtime import path.
        from .testing import SimAPI, demo_api

        # demo_api() makes its six months of history only when a request needs it (0.2 s a
        # process; a notebook that asks for today's executions never does).
        if executions is None:
            api = demo_api(latency=latency)
        else:
            api = SimAPI(executions, latency=latency)
        client = cls(
            token=None, base_url=DEMO_BASE_URL, transport=cls._sim_transport(api), cache=cache
        )
        client._core.demo = True
        return client

    def __repr__(self) -> str:
        core: _Core | None = getattr(self, "_core", None)
        if core is None:  # construction refused (a traceback with locals shows ``self``)
            return f"{type(self).__name__}(not set up)"
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
        return self._core.demo


class PlannrClient(_ClientBase[httpx.BaseTransport]):
    """A blocking client for Plannr automation executions; use it as a context manager.

    ``token`` defaults to ``$PLANNR_ACCESS_TOKEN`` (then ``$ACCESS_TOKEN``); ``account_uuid`` to
    ``$PLANNR_ACCOUNT_UUID`` (sent as ``X-PLANNR-ACCOUNT-UUID``); ``"Bearer abc"`` is sent as
    ``Bearer abc`` and an empty or blank token means none. ``base_url`` must be https:// (plain
    http:// only to loopback, or with ``allow_insecure_http=True``) and carry no user or
    password. ``timeout`` bounds each attempt, from the first byte sent to the last byte read;
    ``max_response_bytes`` caps a body on the wire and once decoded (64 MiB). ``rate_limit``:
    the API's requests a minute (the client keeps a 4 % margin under it), a shared
    :class:`~plannr_nb._ratelimit.RateLimiter`, or None for no client-side limit;
    ``concurrency`` requests at once in batch fetches; ``retry_wait`` = (first, largest) backoff
    in seconds; ``cache``: a directory for snapshots of fetched executions (see
    :mod:`plannr_nb._cache`). ``transport`` goes to httpx (the whole-attempt deadline covers
    the headers too with ``httpx.HTTPTransport``; with other transports, the body). Options
    the client refuses raise :class:`~plannr_nb.ConfigurationError`, before anything is sent.
    :meth:`demo` gives a client on the bundled demo dataset.
    """

    def _open(self, transport: httpx.BaseTransport | None) -> None:
        self._http = httpx.Client(**self._core.http_options(transport))
        bound_by_deadline(self._http)
        self._sleep: Callable[[float], None] = time.sleep

    @staticmethod
    def _sim_transport(api: SimAPI) -> httpx.BaseTransport:
        from .testing import SimTransport

        return SimTransport(api)

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

    # sending, with retries

    def _send(self, url: str, params: dict[str, str] | None, *, uuid: str | None) -> httpx.Response:
        call = self._core.call(url, params, uuid=uuid)

        def attempt() -> httpx.Response:
            call.attempts += 1
            return call.received(self._exchange(url, params))

        failure: PlannrError | None = None
        try:
            response = tenacity.Retrying(sleep=self._sleep, **call.retrying)(attempt)
        except Exception as exc:  # anything at all: it ends as one error of the tree
            failure = call.failure(exc)
        if failure is not None:
            # Raised outside the except block: no httpx exception (holding the token in its
            # request headers) is chained to ours.
            raise failure
        return call.checked(response)

    def _exchange(self, url: str, params: dict[str, str] | None) -> httpx.Response:
        """One attempt: wait for the limiter, send, read the body bounded in size and time."""
        core = self._core
        while (pause := core.limiter_wait()) > 0:
            self._sleep(pause)
        deadline = core.deadline()
        try:
            # Every socket read of this attempt, headers included, waits only for what is left.
            with attempt_deadline(deadline):
                request = self._http.build_request("GET", url, params=params)
                response = self._http.send(request, stream=True)
                try:
                    reader = core.reader(response, deadline)
                    if reader.streaming:
                        for chunk in response.iter_raw():
                            reader.feed(chunk)
                    return reader.finish()
                finally:
                    response.close()
        finally:
            core.limiter_release()

    def _pages(
        self, path: str, params: dict[str, str], bodies: list[bytes] | None = None
    ) -> Iterator[list[Execution]]:
        pager = self._core.pager(path, params, bodies)
        while not pager.done:
            yield pager.accept(self._send(pager.url, pager.query, uuid=None))

    def _fetch(self, uuid: str, include_account: bool) -> Execution:
        return self._fetch_body(uuid, include_account)[0]

    def _fetch_body(self, uuid: str, include_account: bool) -> tuple[Execution, bytes]:
        path, params = self._core.execution_request(uuid, include_account)
        response = self._send(path, params, uuid=uuid)
        return self._core.fetched(response, uuid, include_account), response.content

    # public API

    def get_execution(self, uuid: UUIDLike, *, include_account: bool = False) -> Execution:
        """``GET /api/v1/automation-executions/{uuid}``: one execution, as a dict.

        ``include_account`` asks for the ``account`` the execution ran for. A finished execution
        held in the cache is returned without a request; when the network is down, any cached
        copy is. Raises :class:`InvalidUUIDError` (nothing sent), :class:`NotFoundError`, ...
        """
        lookup = self._core.lookup(uuid, include_account)
        if lookup.fresh is not None:
            return lookup.fresh
        try:
            return self._fetch(lookup.uuid, lookup.include_account)
        except (TransportError, AuthenticationError) as exc:
            return lookup.fallback(exc)

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
        filters = (uuids, client_uuids, account_uuids, blueprint_uuid, include_account, sort)
        listing = self._core.listing(*filters)
        for path, params in listing.requests:
            for items in self._pages(path, params):
                if listing.add(items, params):
                    break
        return listing.result()

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
        batch = core.batch(uuids, include_account, progress)
        include = batch.include_account
        bar = _progress(len(batch.order), progress)
        try:
            bar.update(batch.reused)
            if batch.pending:
                workers = min(core.concurrency, len(batch.pending))
                pool = ThreadPoolExecutor(workers, thread_name_prefix="plannr-nb")
                try:
                    chunk_jobs: dict[Future[_Chunk], list[str]] = {
                        pool.submit(self._fetch_chunk, batch, chunk): chunk
                        for chunk in batch.chunks()
                    }
                    singles: list[str] = []
                    for job in as_completed(chunk_jobs):
                        chunk = chunk_jobs[job]
                        todo = batch.accept_chunk(chunk, *job.result())
                        singles.extend(todo)
                        bar.update(len(chunk) - len(todo))
                    single_jobs = {
                        pool.submit(self._fetch_single, uuid, include): uuid for uuid in singles
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

    def _fetch_chunk(self, batch: _Batch, chunk: list[str]) -> _Chunk:
        path, params = self._core.chunk_request(chunk, batch.include_account)
        items: list[Execution] = []
        bodies: list[bytes] = []
        failure: PlannrError | None = None
        try:
            for page in self._pages(path, params, bodies):
                items.extend(page)
                if batch.strays(chunk, page):
                    break
        except Exception as exc:  # whatever a chunk raises, its inputs still get an answer
            failure = self._core.lost(exc, path)
        return items, failure, bodies

    def _fetch_single(self, uuid: str, include_account: bool) -> _Single:
        failure: PlannrError | None = None
        try:
            execution, body = self._fetch_body(uuid, include_account)
        except Exception as exc:  # whatever one request raises, the batch goes on
            failure = self._core.lost_single(exc, uuid)
        if failure is not None:
            return None, failure, None
        return execution, None, body

    # -- fleet history: page by page, and sync into a store -------------------------------

    def list_pages(
        self,
        *,
        uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        client_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        account_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        blueprint_uuid: UUIDLike | None = None,
        include_account: bool = False,
        sort: str | None = None,
    ) -> Iterator[list[Execution]]:
        """Yield the executions of each page as it arrives; filters as :meth:`list_executions`.

        Nothing is gathered: a caller that stops iterating stops the requests. Every UUID is
        validated at this call, before anything is sent. With ``uuids``, only the executions
        asked for are yielded, each once; without, each page as the API sends it (an execution
        may come twice when others are created while paging).
        """
        filters = (uuids, client_uuids, account_uuids, blueprint_uuid, include_account, sort)
        listing = self._core.listing(*filters)

        def pages() -> Iterator[list[Execution]]:
            for path, params in listing.requests:
                for items in self._pages(path, params):
                    page, done = listing.page(items, params)
                    yield page
                    if done:
                        break

        return pages()

    def sync(
        self,
        store: Store,
        *,
        since: datetime | None = None,
        include_account: bool = False,
        progress: bool = True,
    ) -> SyncSummary:
        """Bring a fleet history ``store`` up to date: new executions, then unfinished ones.

        Pages newest first down to what the store already holds (resumable after a crash),
        then fetches again every execution the store holds as unfinished.

        Parameters
        ----------
        store : Store
            From :func:`plannr_nb.open_store`.
        since : datetime, optional
            On a first sync (empty store), how far back to go (default: everything).
        include_account : bool, optional
            Also fetch each execution's account (the store's ``accounts``).
        progress : bool, optional
            Show progress bars and print the summary.

        Returns
        -------
        SyncSummary
            New, updated, still unfinished, and not fetched (UUID -> error message).

        """
        from ._sync import sync  # a later layer, imported on use: see tests/test_package.py

        return sync(self, store, since=since, include_account=include_account, progress=progress)


class AsyncPlannrClient(_ClientBase[httpx.AsyncBaseTransport]):
    """The awaitable twin of :class:`PlannrClient`: same options, same methods, ``await`` them.

    Use it with ``async with``. Batch fetches run up to ``concurrency`` requests at once on the
    running event loop.
    """

    def _open(self, transport: httpx.AsyncBaseTransport | None) -> None:
        self._http = httpx.AsyncClient(**self._core.http_options(transport))
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @staticmethod
    def _sim_transport(api: SimAPI) -> httpx.AsyncBaseTransport:
        from .testing import AsyncSimTransport

        return AsyncSimTransport(api)

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

    # sending, with retries

    async def _send(
        self, url: str, params: dict[str, str] | None, *, uuid: str | None
    ) -> httpx.Response:
        call = self._core.call(url, params, uuid=uuid)

        async def attempt() -> httpx.Response:
            call.attempts += 1
            return call.received(await self._exchange(url, params))

        failure: PlannrError | None = None
        try:
            retrying = tenacity.AsyncRetrying(sleep=self._sleep, **call.retrying)
            response: httpx.Response = await retrying(attempt)
        except Exception as exc:  # anything at all: it ends as one error of the tree
            failure = call.failure(exc)
        if failure is not None:
            raise failure  # outside the except block, as in PlannrClient._send
        return call.checked(response)

    async def _exchange(self, url: str, params: dict[str, str] | None) -> httpx.Response:
        """One attempt: wait for the limiter, send, read the body bounded in size and time."""
        core = self._core
        while (pause := core.limiter_wait()) > 0:
            await self._sleep(pause)
        timer = asyncio.timeout(core.attempt_seconds)
        try:
            async with timer:
                request = self._http.build_request("GET", url, params=params)
                response = await self._http.send(request, stream=True)
                try:
                    reader = core.reader(response, core.deadline())
                    if reader.streaming:
                        async for chunk in response.aiter_raw():
                            reader.feed(chunk)
                    return reader.finish()
                finally:
                    await response.aclose()
        except TimeoutError:
            if timer.expired():
                raise _DeadlineExceeded from None
            raise
        finally:
            core.limiter_release()

    async def _pages(
        self, path: str, params: dict[str, str], bodies: list[bytes] | None = None
    ) -> AsyncGenerator[list[Execution], None]:
        pager = self._core.pager(path, params, bodies)
        while not pager.done:
            yield pager.accept(await self._send(pager.url, pager.query, uuid=None))

    async def _fetch(self, uuid: str, include_account: bool) -> Execution:
        return (await self._fetch_body(uuid, include_account))[0]

    async def _fetch_body(self, uuid: str, include_account: bool) -> tuple[Execution, bytes]:
        path, params = self._core.execution_request(uuid, include_account)
        response = await self._send(path, params, uuid=uuid)
        return self._core.fetched(response, uuid, include_account), response.content

    # public API

    async def get_execution(self, uuid: UUIDLike, *, include_account: bool = False) -> Execution:
        """``GET /api/v1/automation-executions/{uuid}``; see :meth:`PlannrClient.get_execution`."""
        lookup = self._core.lookup(uuid, include_account)
        if lookup.fresh is not None:
            return lookup.fresh
        try:
            return await self._fetch(lookup.uuid, lookup.include_account)
        except (TransportError, AuthenticationError) as exc:
            return lookup.fallback(exc)

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
        filters = (uuids, client_uuids, account_uuids, blueprint_uuid, include_account, sort)
        listing = self._core.listing(*filters)
        for path, params in listing.requests:
            async with contextlib.aclosing(self._pages(path, params)) as pages:
                async for items in pages:
                    if listing.add(items, params):
                        break
        return listing.result()

    async def fetch_executions(
        self,
        uuids: Iterable[object] | str,
        *,
        include_account: bool = False,
        progress: bool = False,
    ) -> FetchResult:
        """Fetch many executions at once; see :meth:`PlannrClient.fetch_executions`."""
        core = self._core
        batch = core.batch(uuids, include_account, progress)
        slots = asyncio.Semaphore(core.concurrency)
        bar = _progress(len(batch.order), progress)

        async def chunk_job(chunk: list[str]) -> list[str]:
            async with slots:
                outcome = await self._fetch_chunk(batch, chunk)
            todo = batch.accept_chunk(chunk, *outcome)
            bar.update(len(chunk) - len(todo))
            return todo

        async def single_job(uuid: str) -> None:
            execution: Execution | None = None
            body: bytes | None = None
            error: PlannrError | None = None
            async with slots:
                try:
                    execution, body = await self._fetch_body(uuid, batch.include_account)
                except Exception as exc:  # whatever one request raises, the batch goes on
                    error = core.lost_single(exc, uuid)
            batch.accept_single(uuid, execution, error, body)
            bar.update(1)

        try:
            bar.update(batch.reused)
            todo = await asyncio.gather(*(chunk_job(chunk) for chunk in batch.chunks()))
            await asyncio.gather(*(single_job(uuid) for part in todo for uuid in part))
        finally:
            bar.close()
        return batch.result()

    async def _fetch_chunk(self, batch: _Batch, chunk: list[str]) -> _Chunk:
        path, params = self._core.chunk_request(chunk, batch.include_account)
        items: list[Execution] = []
        bodies: list[bytes] = []
        failure: PlannrError | None = None
        try:
            async with contextlib.aclosing(self._pages(path, params, bodies)) as pages:
                async for page in pages:
                    items.extend(page)
                    if batch.strays(chunk, page):
                        break
        except Exception as exc:  # whatever a chunk raises, its inputs still get an answer
            failure = self._core.lost(exc, path)
        return items, failure, bodies

    # -- fleet history: page by page, and sync into a store -------------------------------

    def list_pages(
        self,
        *,
        uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        client_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        account_uuids: UUIDLike | Iterable[UUIDLike] | None = None,
        blueprint_uuid: UUIDLike | None = None,
        include_account: bool = False,
        sort: str | None = None,
    ) -> AsyncIterator[list[Execution]]:
        """An async iterator over each page's executions; see :meth:`PlannrClient.list_pages`.

        Use ``async for page in client.list_pages(...)``; validation happens at this call.
        """
        filters = (uuids, client_uuids, account_uuids, blueprint_uuid, include_account, sort)
        listing = self._core.listing(*filters)

        async def pages() -> AsyncGenerator[list[Execution], None]:
            for path, params in listing.requests:
                async with contextlib.aclosing(self._pages(path, params)) as answers:
                    async for items in answers:
                        page, done = listing.page(items, params)
                        yield page
                        if done:
                            break

        return pages()

    async def sync(
        self,
        store: Store,
        *,
        since: datetime | None = None,
        include_account: bool = False,
        progress: bool = True,
    ) -> SyncSummary:
        """The awaitable twin of :meth:`PlannrClient.sync` (store writes run in a thread).

        Returns
        -------
        SyncSummary
            New, updated, still unfinished, and not fetched (UUID -> error message).

        """
        from ._sync import async_sync  # a later layer, imported on use: see test_package.py

        return await async_sync(
            self, store, since=since, include_account=include_account, progress=progress
        )
