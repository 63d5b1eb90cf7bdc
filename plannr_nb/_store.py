"""A local history of executions: plain Hive-partitioned Parquet, one dataset per frame.

Layout of a store directory::

    manifest.json                              schema version, live files, sync progress
    executions/created_month=2026-11/*.parquet EXECUTION_SCHEMA
    steps/created_month=2026-11/*.parquet      STEP_SCHEMA (the month of the step's execution)
    accounts/created_month=2026-11/*.parquet   ACCOUNT_SCHEMA (the month of the newest
                                               execution that brought the account)

The files hold exactly the frames' columns and types; ``created_month`` (``YYYY-MM`` of the
execution's ``created_at`` in UTC) lives only in the directory names, as Hive partitioning
wants, so DuckDB, Spark or Trino read the directories as they are.

Writes are atomic. New files are written into ``.staging/`` inside the store, moved into their
partition with :func:`os.replace` under fresh names, and only then does ``manifest.json`` (also
replaced atomically) name them as live; files the manifest no longer names are deleted last.
A crash at any point therefore leaves the manifest naming a complete, consistent set of files;
files it does not name are leftovers that the next write removes. The lazy frames read the
files the manifest names. One writer at a time (a sync, a compaction); readers are welcome.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
import uuid as uuid_module
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from ._config import STORE_ENV_VAR
from ._errors import StoreError
from ._schemas import ACCOUNT_SCHEMA, EXECUTION_SCHEMA, STEP_SCHEMA
from ._statuses import is_finished

__all__ = ["PARTITION", "SCHEMA_VERSION", "Store", "UpsertResult", "open_store"]

#: Bumped whenever the layout or a dataset's columns change.
SCHEMA_VERSION: Final = 1
#: The Hive partition column: ``YYYY-MM`` of the execution's ``created_at`` (UTC).
PARTITION: Final = "created_month"
_MANIFEST: Final = "manifest.json"
_STAGING: Final = ".staging"
_FORMAT: Final = "plannr-nb fleet store"
_SCHEMAS: Final[dict[str, dict[str, pl.DataType]]] = {
    "executions": EXECUTION_SCHEMA,
    "steps": STEP_SCHEMA,
    "accounts": ACCOUNT_SCHEMA,
}
_HIVE: Final = {PARTITION: pl.String()}


@dataclass(frozen=True)
class UpsertResult:
    """What one :meth:`Store.upsert` changed, counted in executions."""

    new: int
    updated: int
    unchanged: int


def default_store_path() -> Path:
    """``$PLANNR_NB_STORE``, else ``<user data dir>/plannr-nb/store`` (platformdirs)."""
    override = os.environ.get(STORE_ENV_VAR)
    if override and override.strip():
        return Path(override.strip()).expanduser()
    import platformdirs

    return platformdirs.user_data_path("plannr-nb", appauthor=False) / "store"


def open_store(path: str | os.PathLike[str] | None = None, *, demo: bool = False) -> Store:
    """Open (creating if needed) the fleet history store at ``path``.

    Parameters
    ----------
    path : str | os.PathLike[str], optional
        The store directory. Default: ``$PLANNR_NB_STORE`` when set, else a per-user data
        directory (``~/.local/share/plannr-nb/store`` on Linux).
    demo : bool, optional
        The store is for the demo's data (pass ``client.is_demo``): with no ``path``, a fresh
        temporary directory, deleted when the process exits, instead of the default, so that
        synthetic executions never mix into your own history. A ``path`` given is used as is.

    Returns
    -------
    Store
        The store; its ``executions``, ``steps`` and ``accounts`` are polars LazyFrames.

    Raises
    ------
    StoreError
        When the directory holds something else, or a store of a newer schema version.

    """
    if path is None and demo:
        # The demo is anchored to the present of each process: a store kept from an earlier
        # run would hold the same executions at other times. So a new one, gone at exit.
        temporary = tempfile.mkdtemp(prefix="plannr-nb-demo-store-")
        atexit.register(shutil.rmtree, temporary, ignore_errors=True)
        return Store(Path(temporary))
    return Store(default_store_path() if path is None else Path(path).expanduser())


def _month(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m").fill_null("unknown").alias(PARTITION)


def _conform(frame: pl.DataFrame, dataset: str) -> pl.DataFrame:
    """The frame with exactly the dataset's columns, types and order (plus the partition)."""
    schema = _SCHEMAS[dataset]
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        msg = (
            f"the {dataset} frame given to the store lacks columns {missing}: pass the frames "
            "of plannr_nb.build_frames (or of the store) as they are"
        )
        raise StoreError(msg)
    columns = [pl.col(name).cast(dtype) for name, dtype in schema.items()]
    if PARTITION in frame.columns:
        columns.append(pl.col(PARTITION).cast(pl.String))
    return frame.select(columns)


class Store:
    """A fleet history store: see :func:`open_store` and the module's documentation.

    Attributes ``executions``, ``steps`` and ``accounts`` are LazyFrames over the live files,
    with the frames' columns and the ``created_month`` partition column.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)
        manifest = self._read_manifest()
        if manifest is None:
            manifest = {"format": _FORMAT, "schema_version": SCHEMA_VERSION, "files": {}}
            self._manifest = manifest
            if any(self.path.iterdir()):
                msg = (
                    f"{self.path} is not empty and has no {_MANIFEST}: it is not a plannr-nb "
                    "store. Choose an empty or new directory (open_store(path=...) or "
                    f"${STORE_ENV_VAR})."
                )
                raise StoreError(msg)
            self._write_manifest()
        self._manifest = manifest
        self._sweep()

    def __repr__(self) -> str:
        files = sum(len(names) for parts in self._files().values() for names in parts.values())
        return f"Store({str(self.path)!r}, {files} files)"

    # -- manifest ---------------------------------------------------------------------------

    def _read_manifest(self) -> dict[str, Any] | None:
        target = self.path / _MANIFEST
        try:
            data = json.loads(target.read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            msg = f"{target} is not valid JSON: the store is damaged; move it aside and sync again"
            raise StoreError(msg) from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            msg = f"{target} is not a plannr-nb store manifest"
            raise StoreError(msg)
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            msg = (
                f"{self.path} is a store of schema version {version}; this plannr-nb reads "
                f"version {SCHEMA_VERSION}. Upgrade plannr-nb, or sync into a new directory."
            )
            raise StoreError(msg)
        return data

    def _write_manifest(self) -> None:
        self._manifest["written_at"] = datetime.now(UTC).isoformat()
        staging = self._staging()
        temp = staging / f"{_MANIFEST}.{uuid_module.uuid4().hex}"
        with temp.open("w") as handle:
            json.dump(self._manifest, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path / _MANIFEST)

    def _files(self) -> dict[str, dict[str, list[str]]]:
        files: dict[str, dict[str, list[str]]] = self._manifest.setdefault("files", {})
        return files

    def _staging(self) -> Path:
        staging = self.path / _STAGING
        staging.mkdir(exist_ok=True)
        return staging

    def _sweep(self) -> None:
        """Delete what an interrupted write left: staged files and files no manifest names."""
        shutil.rmtree(self.path / _STAGING, ignore_errors=True)
        live = {
            self._relative(dataset, month, name)
            for dataset, parts in self._files().items()
            for month, names in parts.items()
            for name in names
        }
        for dataset in _SCHEMAS:
            for file in (self.path / dataset).glob(f"{PARTITION}=*/*.parquet"):
                if file.relative_to(self.path).as_posix() not in live:
                    file.unlink(missing_ok=True)
            for folder in (self.path / dataset).glob(f"{PARTITION}=*"):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty

    @staticmethod
    def _relative(dataset: str, month: str, name: str) -> str:
        return f"{dataset}/{PARTITION}={month}/{name}"

    @property
    def sync_state(self) -> dict[str, Any]:
        """Progress a sync recorded in the manifest (a copy; see :meth:`set_sync_state`)."""
        return dict(self._manifest.get("sync", {}))

    def set_sync_state(self, state: Mapping[str, Any]) -> None:
        """Record sync progress in the manifest (atomically)."""
        self._manifest["sync"] = dict(state)
        self._write_manifest()

    # -- reading ----------------------------------------------------------------------------

    def paths(self, dataset: str, months: list[str] | None = None) -> list[Path]:
        """The live Parquet files of ``dataset``, optionally only those of some months."""
        parts = self._files().get(dataset, {})
        return [
            self.path / self._relative(dataset, month, name)
            for month in sorted(parts)
            if months is None or month in months
            for name in parts[month]
        ]

    def months(self) -> list[str]:
        """The partitions (``YYYY-MM``) that hold executions, oldest first."""
        return sorted(self._files().get("executions", {}))

    def _scan(self, dataset: str, months: list[str] | None = None) -> pl.LazyFrame:
        files = self.paths(dataset, months)
        if not files:
            return pl.LazyFrame(schema={**_SCHEMAS[dataset], **_HIVE})
        return pl.scan_parquet(
            files, hive_partitioning=True, hive_schema=_HIVE, missing_columns="insert"
        )

    @property
    def executions(self) -> pl.LazyFrame:
        """The executions, one row each (EXECUTION_SCHEMA and ``created_month``)."""
        return self._scan("executions")

    @property
    def steps(self) -> pl.LazyFrame:
        """The steps of the stored executions (STEP_SCHEMA and ``created_month``)."""
        return self._scan("steps")

    @property
    def accounts(self) -> pl.LazyFrame:
        """The accounts, one row each (ACCOUNT_SCHEMA and ``created_month``)."""
        return self._scan("accounts")

    def unfinished_uuids(self) -> list[str]:
        """UUIDs of stored executions that have not finished, oldest first."""
        frame = (
            self.executions.filter(~is_finished("status"))
            .sort("created_at")
            .select("execution_uuid")
            .collect()
        )
        return frame["execution_uuid"].to_list()

    def newest_created_at(self) -> datetime | None:
        """The latest ``created_at`` among stored executions, or None when empty."""
        value = self.executions.select(pl.col("created_at").max()).collect().item()
        return value if isinstance(value, datetime) else None

    # -- writing ----------------------------------------------------------------------------

    def upsert(
        self,
        executions: pl.DataFrame,
        steps: pl.DataFrame,
        accounts: pl.DataFrame | None = None,
    ) -> UpsertResult:
        """Add or replace executions with their steps (and accounts), newest copy winning.

        Per ``execution_uuid`` the copy with the newest ``updated_at`` is kept (an incoming copy
        replaces a stored one only when strictly newer; its steps replace all stored steps of
        that execution). Per ``account_uuid`` likewise. Only the partitions touched are written:
        a partition with no replaced rows gets one new file; one with replaced rows is
        rewritten. The whole upsert is atomic (see the module's documentation).

        Parameters
        ----------
        executions, steps : pl.DataFrame
            Frames with the columns of :func:`plannr_nb.build_frames` (extra columns ignored).
        accounts : pl.DataFrame, optional
            Likewise, for the accounts.

        Returns
        -------
        UpsertResult
            Executions new to the store, updated, and unchanged (not newer than stored).

        """
        incoming = (
            _conform(executions, "executions")
            .drop(PARTITION, strict=False)
            .sort("updated_at", nulls_last=False, maintain_order=True)
            .unique("execution_uuid", keep="last", maintain_order=True)
            .with_columns(_month("created_at"))
        )
        if incoming.height == 0:
            return UpsertResult(0, 0, 0)
        months = incoming[PARTITION].unique().to_list()
        stored = (
            self._scan("executions", months)
            .select("execution_uuid", pl.col("updated_at").alias("stored_at"), PARTITION)
            .filter(pl.col("execution_uuid").is_in(incoming["execution_uuid"].implode()))
            .collect()
        )
        joined = incoming.join(
            stored.drop(PARTITION), on="execution_uuid", how="left", maintain_order="left"
        )
        is_new = pl.col("stored_at").is_null() & ~pl.col("execution_uuid").is_in(
            stored["execution_uuid"].implode()
        )
        # A stored copy without updated_at loses to one that has it.
        newer = (pl.col("updated_at") > pl.col("stored_at")).fill_null(
            pl.col("stored_at").is_null() & pl.col("updated_at").is_not_null()
        )
        winners = joined.filter(is_new | newer)
        new_count = joined.filter(is_new).height
        result = UpsertResult(
            new_count, winners.height - new_count, incoming.height - winners.height
        )
        if winners.height == 0:
            return result
        winners = winners.drop("stored_at")
        replaced = stored.filter(
            pl.col("execution_uuid").is_in(winners["execution_uuid"].implode())
        )
        plan: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
        plan["executions"] = (winners, replaced.select("execution_uuid", PARTITION))
        step_rows = _conform(steps, "steps").drop(PARTITION, strict=False)
        step_rows = step_rows.join(
            winners.select("execution_uuid", PARTITION), on="execution_uuid", how="inner"
        )
        plan["steps"] = (step_rows, replaced.select("execution_uuid", PARTITION))
        if accounts is not None and accounts.height:
            plan["accounts"] = self._account_plan(accounts, winners)
        self._apply(plan)
        return result

    def _account_plan(
        self, accounts: pl.DataFrame, winners: pl.DataFrame
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Accounts to write (newer than stored), in the month of their newest execution."""
        home = (
            winners.filter(pl.col("account_uuid").is_not_null())
            .sort("created_at")
            .group_by("account_uuid")
            .agg(pl.col(PARTITION).last())
        )
        incoming = (
            _conform(accounts, "accounts")
            .drop(PARTITION, strict=False)
            .filter(pl.col("account_uuid").is_not_null())
            .unique("account_uuid", keep="last", maintain_order=True)
            .join(home, on="account_uuid", how="inner")
        )
        stored = (
            self._scan("accounts")
            .select("account_uuid", pl.col("updated_at").alias("stored_at"), PARTITION)
            .filter(pl.col("account_uuid").is_in(incoming["account_uuid"].implode()))
            .collect()
        )
        joined = incoming.join(
            stored.drop(PARTITION), on="account_uuid", how="left", maintain_order="left"
        )
        absent = ~pl.col("account_uuid").is_in(stored["account_uuid"].implode())
        newer = (pl.col("updated_at") > pl.col("stored_at")).fill_null(False)
        # An account without updated_at cannot be compared: the copy just fetched wins.
        unknown = pl.col("updated_at").is_null() | pl.col("stored_at").is_null()
        winners = joined.filter(absent | newer | unknown).drop("stored_at")
        replaced = stored.filter(pl.col("account_uuid").is_in(winners["account_uuid"].implode()))
        return winners, replaced.select(pl.col("account_uuid").alias("execution_uuid"), PARTITION)

    def _apply(self, plan: Mapping[str, tuple[pl.DataFrame, pl.DataFrame]]) -> None:
        """Write each dataset's rows; rewrite the partitions where rows are replaced."""
        staged: list[tuple[str, str, Path]] = []  # (dataset, month, staged file)
        dropped: dict[tuple[str, str], list[str]] = {}
        staging = self._staging()
        for dataset, (rows, replaced) in plan.items():
            key = "account_uuid" if dataset == "accounts" else "execution_uuid"
            by_month = dict(rows.partition_by(PARTITION, as_dict=True, include_key=False).items())
            gone: dict[str, pl.Series] = {
                month[0]: part["execution_uuid"]
                for month, part in replaced.partition_by(PARTITION, as_dict=True).items()
                if isinstance(month[0], str)
            }
            months = {str(m[0]) for m in by_month} | set(gone)
            for month in sorted(months):
                new_rows = by_month.get((month,))
                if month in gone:
                    old = self.paths(dataset, [month])
                    kept = (
                        pl.scan_parquet(old, hive_partitioning=False)
                        .filter(~pl.col(key).is_in(gone[month].implode()))
                        .collect()
                        if old
                        else pl.DataFrame(schema=_SCHEMAS[dataset])
                    )
                    new_rows = kept if new_rows is None else pl.concat([kept, new_rows])
                    dropped[(dataset, month)] = list(self._files().get(dataset, {}).get(month, []))
                if new_rows is None or new_rows.height == 0:
                    continue
                staged.append((dataset, month, self._stage(staging, dataset, new_rows)))
        self._commit(staged, dropped)

    @staticmethod
    def _stage(staging: Path, dataset: str, rows: pl.DataFrame) -> Path:
        target = staging / f"{dataset}-{uuid_module.uuid4().hex}.parquet"
        rows.select(_SCHEMAS[dataset].keys()).write_parquet(
            target, compression="zstd", statistics=True
        )
        return target

    def _commit(
        self, staged: list[tuple[str, str, Path]], dropped: Mapping[tuple[str, str], list[str]]
    ) -> None:
        """Move staged files in, name them in the manifest, then delete the replaced ones."""
        files = {
            dataset: {m: list(n) for m, n in parts.items()}
            for dataset, parts in self._files().items()
        }
        for (dataset, month), names in dropped.items():
            part = files.setdefault(dataset, {})
            part[month] = [name for name in part.get(month, []) if name not in names]
        for dataset, month, temp in staged:
            folder = self.path / dataset / f"{PARTITION}={month}"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"part-{uuid_module.uuid4().hex}.parquet"
            os.replace(temp, folder / name)
            files.setdefault(dataset, {}).setdefault(month, []).append(name)
        previous = self._manifest.get("files", {})
        self._manifest["files"] = {
            dataset: {month: names for month, names in sorted(parts.items()) if names}
            for dataset, parts in files.items()
        }
        try:
            self._write_manifest()
        except BaseException:
            self._manifest["files"] = previous
            raise
        self._sweep()

    def compact(self, min_files: int = 2) -> int:
        """Merge each partition's files into one; return how many files were merged away.

        Only partitions with at least ``min_files`` files are rewritten.

        Duplicates that cannot arise through :meth:`upsert` are dropped all the same (per key,
        the newest ``updated_at``). Atomic like every write.
        """
        staged: list[tuple[str, str, Path]] = []
        dropped: dict[tuple[str, str], list[str]] = {}
        staging = self._staging()
        merged = 0
        for dataset, parts in self._files().items():
            for month, names in parts.items():
                if len(names) < max(2, min_files):
                    continue
                rows = pl.scan_parquet(self.paths(dataset, [month]), hive_partitioning=False)
                if dataset == "steps":
                    rows = rows.sort("execution_created_at", "execution_uuid", "position")
                else:
                    key = "account_uuid" if dataset == "accounts" else "execution_uuid"
                    rows = (
                        rows.sort("updated_at", nulls_last=False, maintain_order=True)
                        .unique(key, keep="last", maintain_order=True)
                        .sort("created_at")
                    )
                staged.append((dataset, month, self._stage(staging, dataset, rows.collect())))
                dropped[(dataset, month)] = list(names)
                merged += len(names) - 1
        if staged:
            self._commit(staged, dropped)
        return merged

    def iter_files(self) -> Iterator[Path]:
        """Every live Parquet file, dataset by dataset."""
        for dataset in _SCHEMAS:
            yield from self.paths(dataset)
