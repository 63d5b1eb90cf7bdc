"""Sync executions from the API into a fleet history store, page by page, resumably.

A sync has two passes:

1. **List.** Pages of the list endpoint, newest first (``sort=-created_at``, 500 a page), are
   written to the store as they arrive, until a page reaches the *floor*: the newest
   ``created_at`` already stored minus an overlap window (executions created in the same second
   may straddle pages, and the API's clock may lag), or ``since`` on a first sync, or the end
   of the list. The floor of a pass that has not finished is recorded in the store's manifest
   before the first page is written; a sync that was interrupted is resumed from the newest
   page down to that same floor, so nothing in between is skipped (pages already stored are
   recognised as unchanged and not rewritten).
2. **Refresh.** Every execution the store holds as unfinished (and that the list pass did not
   just bring) is fetched again by ``filter[uuid]`` batches and upserted.

Every store write is atomic and an upsert keeps the newest copy of each execution, so a sync
killed at any point leaves a consistent store and the next one completes it without duplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from ._errors import PlannrError
from ._frames import build_frames
from ._store import Store

if TYPE_CHECKING:
    from ._client import AsyncPlannrClient, FetchResult, PlannrClient

__all__ = ["DEFAULT_OVERLAP", "SyncSummary", "async_sync", "sync"]

#: How far below the newest stored ``created_at`` a new list pass goes.
DEFAULT_OVERLAP: Final = timedelta(hours=1)
#: Unfinished executions refreshed per ``fetch_executions`` call (and per store write).
_REFRESH_BATCH: Final = 1000
#: A partition with this many files is compacted at the end of a sync.
_COMPACT_AT: Final = 8

Execution = dict[str, Any]


@dataclass
class SyncSummary:
    """What a sync did: counts in executions, and the ones it could not fetch."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    still_unfinished: int = 0
    pages: int = 0
    refreshed: int = 0
    resumed: bool = False
    #: UUID -> the error that kept it from being refreshed (message of a PlannrError).
    not_fetched: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        text = (
            f"{self.new} new, {self.updated} updated, {self.still_unfinished} still unfinished, "
            f"{len(self.not_fetched)} not fetched ({self.pages} pages listed, "
            f"{self.refreshed} unfinished refreshed{', resumed' if self.resumed else ''})"
        )
        if self.not_fetched:
            first = next(iter(self.not_fetched.items()))
            text += f"; first error: {first[0]}: {first[1]}"
        return text


class _Run:
    """The sans-IO bookkeeping of one sync, shared by the blocking and the async driver."""

    def __init__(
        self,
        store: Store,
        since: datetime | None,
        include_account: bool,
        overlap: timedelta,
        progress: bool,
    ) -> None:
        self.store = store
        self.include_account = include_account
        self.summary = SyncSummary()
        self.listed: set[str] = set()
        self.progress = progress
        state = store.sync_state
        pending = state.get("pass")
        if isinstance(pending, dict) and "floor" in pending:
            floor = pending["floor"]
            self.floor = None if floor is None else datetime.fromisoformat(floor)
            self.summary.resumed = True
        else:
            newest = store.newest_created_at()
            if newest is not None:
                self.floor = newest - overlap
            elif since is not None:
                self.floor = since if since.tzinfo else since.replace(tzinfo=UTC)
            else:
                self.floor = None
            floor_text = None if self.floor is None else self.floor.isoformat()
            store.set_sync_state({**state, "pass": {"floor": floor_text}})
        self.bar = _bar(progress, "listed")

    def accept_page(self, items: Sequence[Execution]) -> bool:
        """Store one page; whether to go on to the next."""
        self.summary.pages += 1
        if not items:
            return False
        frames = build_frames(items, accounts=self.include_account)
        executions = frames.executions
        reached = False
        if self.floor is not None:
            floor = pl.lit(self.floor, dtype=pl.Datetime("us", "UTC"))
            oldest = executions["created_at"].min()
            reached = isinstance(oldest, datetime) and oldest < self.floor
            executions = executions.filter(pl.col("created_at") >= floor)
        self._upsert(executions, frames.steps, frames.accounts if self.include_account else None)
        self.listed.update(executions["execution_uuid"].to_list())
        self.bar.update(executions.height)
        return not reached

    def finish_listing(self) -> list[str]:
        """Mark the list pass done; return the unfinished UUIDs left to refresh."""
        self.bar.close()
        state = self.store.sync_state
        state.pop("pass", None)
        state["listed_at"] = datetime.now(UTC).isoformat()
        self.store.set_sync_state(state)
        todo = [uuid for uuid in self.store.unfinished_uuids() if uuid not in self.listed]
        self.bar = _bar(self.progress and bool(todo), "refreshed", total=len(todo))
        return todo

    def accept_refresh(self, result: FetchResult) -> None:
        for key, error in result.errors.items():
            self.summary.not_fetched[key] = str(error) if isinstance(error, PlannrError) else "?"
        if result.executions:
            frames = build_frames(result.executions, accounts=self.include_account)
            self._upsert(
                frames.executions,
                frames.steps,
                frames.accounts if self.include_account else None,
            )
        self.summary.refreshed += len(result.executions)
        self.bar.update(len(result.executions) + len(result.errors))

    def _upsert(
        self, executions: pl.DataFrame, steps: pl.DataFrame, accounts: pl.DataFrame | None
    ) -> None:
        outcome = self.store.upsert(executions, steps, accounts)
        self.summary.new += outcome.new
        self.summary.updated += outcome.updated
        self.summary.unchanged += outcome.unchanged

    def finish(self) -> SyncSummary:
        self.bar.close()
        # Each page wrote a file per partition: merge where they piled up.
        self.store.compact(min_files=_COMPACT_AT)
        self.summary.still_unfinished = len(self.store.unfinished_uuids())
        state = self.store.sync_state
        state["synced_at"] = datetime.now(UTC).isoformat()
        self.store.set_sync_state(state)
        if self.progress:
            print(f"Synced into {self.store.path}: {self.summary}")
        return self.summary


def _bar(enabled: bool, what: str, total: int | None = None) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=what, unit="execution", leave=True)


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _REFRESH_BATCH):
        yield items[start : start + _REFRESH_BATCH]


def _pages(client: PlannrClient, include_account: bool) -> Iterator[list[Execution]]:
    return client.list_pages(sort="-created_at", include_account=include_account)


def _async_pages(
    client: AsyncPlannrClient, include_account: bool
) -> AsyncIterator[list[Execution]]:
    return client.list_pages(sort="-created_at", include_account=include_account)


def sync(
    client: PlannrClient,
    store: Store,
    *,
    since: datetime | None = None,
    include_account: bool = False,
    progress: bool = True,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> SyncSummary:
    """Bring ``store`` up to date with the API: new executions, then the unfinished ones.

    Parameters
    ----------
    client : PlannrClient
        A :class:`~plannr_nb.PlannrClient` (``PlannrClient.demo()`` works offline).
    store : Store
        From :func:`plannr_nb.open_store`.
    since : datetime, optional
        On a first sync (empty store), how far back to go (default: everything).
    include_account : bool, optional
        Also fetch each execution's account (the store's ``accounts``).
    progress : bool, optional
        Show progress bars and print the summary.
    overlap : timedelta, optional
        How far below the newest stored ``created_at`` the list pass goes again.

    Returns
    -------
    SyncSummary
        New, updated, still unfinished, and not fetched (UUID -> error message).

    Raises
    ------
    PlannrError
        When listing fails (after the client's retries): what was stored so far stays, and
        the next sync resumes the interrupted pass.

    """
    run = _Run(store, since, include_account, overlap, progress)
    pages = _pages(client, include_account)
    try:
        for items in pages:
            if not run.accept_page(items):
                break
    finally:
        close = getattr(pages, "close", None)
        if callable(close):
            close()
    for batch in _batches(run.finish_listing()):
        run.accept_refresh(client.fetch_executions(batch, include_account=include_account))
    return run.finish()


async def async_sync(
    client: AsyncPlannrClient,
    store: Store,
    *,
    since: datetime | None = None,
    include_account: bool = False,
    progress: bool = True,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> SyncSummary:
    """The awaitable twin of :func:`sync`, for :class:`~plannr_nb.AsyncPlannrClient`.

    Store writes run in a worker thread so the event loop stays responsive. Parameters,
    returns and raises are those of :func:`sync`.
    """
    run = await asyncio.to_thread(_Run, store, since, include_account, overlap, progress)
    pages = _async_pages(client, include_account)
    try:
        async for items in pages:
            if not await asyncio.to_thread(run.accept_page, items):
                break
    finally:
        close = getattr(pages, "aclose", None)
        if callable(close):
            await close()
    todo = await asyncio.to_thread(run.finish_listing)
    for batch in _batches(todo):
        result = await client.fetch_executions(batch, include_account=include_account)
        await asyncio.to_thread(run.accept_refresh, result)
    return await asyncio.to_thread(run.finish)
