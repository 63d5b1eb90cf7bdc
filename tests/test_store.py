"""The fleet history store: layout, types, upserts, atomic writes, compaction, DuckDB."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fleet_data import frames, history

from plannr_nb._config import STORE_ENV_VAR
from plannr_nb._errors import StoreError
from plannr_nb._frames import build_frames
from plannr_nb._schemas import ACCOUNT_SCHEMA, EXECUTION_SCHEMA, STEP_SCHEMA
from plannr_nb._store import PARTITION, SCHEMA_VERSION, Store, default_store_path, open_store


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the whole history, with accounts (written once for the module)."""
    store = open_store(tmp_path_factory.mktemp("store"))
    f = build_frames(history().executions)
    store.upsert(f.executions, f.steps, f.accounts)
    return store


def test_layout_manifest_and_types(full: Store) -> None:
    manifest = json.loads((full.path / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION
    months = full.months()
    assert len(months) >= 6
    for dataset in ("executions", "steps", "accounts"):
        for file in full.paths(dataset):
            assert file.parent.name.startswith(f"{PARTITION}=")
            assert file.parent.parent.name == dataset
    assert full.executions.collect_schema() == pl.Schema(
        {**EXECUTION_SCHEMA, PARTITION: pl.String()}
    )
    assert full.steps.collect_schema() == pl.Schema({**STEP_SCHEMA, PARTITION: pl.String()})
    assert full.accounts.collect_schema() == pl.Schema({**ACCOUNT_SCHEMA, PARTITION: pl.String()})
    # The files hold exactly the frames' columns; the month lives in the directory name.
    assert pl.read_parquet_schema(full.paths("steps")[0]) == STEP_SCHEMA
    executions = full.executions.collect()
    f = frames()
    assert executions.height == f.executions.height
    assert (
        executions.drop(PARTITION)
        .sort("execution_uuid")
        .equals(f.executions.sort("execution_uuid"))
    )
    assert full.steps.collect().height == f.steps.height
    assert (executions["created_at"].dt.strftime("%Y-%m") == executions[PARTITION]).all()
    steps = full.steps.collect()
    assert (steps["execution_created_at"].dt.strftime("%Y-%m") == steps[PARTITION]).all()
    assert full.accounts.collect()["account_uuid"].n_unique() == full.accounts.collect().height


def test_filters_prune_partitions(full: Store) -> None:
    month = full.months()[-1]
    plan = full.executions.filter(pl.col(PARTITION) == month).explain()
    assert plan.count(".parquet") == 1  # only that month's file is scanned


def test_duckdb_reads_the_store_as_it_is(full: Store) -> None:
    root = full.path.as_posix()
    with duckdb.connect() as con:
        for dataset in ("executions", "steps", "accounts"):
            count = con.sql(
                f"select count(*) from read_parquet('{root}/{dataset}/*/*.parquet', "
                "hive_partitioning = true)"
            ).fetchall()[0]
            assert count is not None
            assert count[0] == getattr(full, dataset).select(pl.len()).collect().item()
        by_month = con.sql(
            f"select created_month, count(*) from read_parquet('{root}/executions/*/*.parquet', "
            "hive_partitioning = true) group by 1 order by 1"
        ).fetchall()
    polars_months = full.executions.group_by(PARTITION).len().sort(PARTITION).collect().rows()
    assert by_month == polars_months


def _first(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    f = frames()
    ex = f.executions.sort("created_at").head(n)
    steps = f.steps.join(ex.select("execution_uuid"), on="execution_uuid", how="semi")
    return ex, steps


def test_upsert_keeps_the_newest_copy(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ex, steps = _first(300)
    assert store.upsert(ex, steps).new == 300
    again = store.upsert(ex, steps)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 300)
    assert len(store.paths("executions")) == len(store.months())  # nothing rewritten
    target = ex["execution_uuid"][5]
    newer = ex.filter(pl.col("execution_uuid") == target).with_columns(
        pl.col("updated_at") + timedelta(hours=1), status=pl.lit("cancelled")
    )
    newer_steps = steps.filter(pl.col("execution_uuid") == target).head(2)
    older = ex.filter(pl.col("execution_uuid") == ex["execution_uuid"][6]).with_columns(
        pl.col("updated_at") - timedelta(hours=1), status=pl.lit("older")
    )
    result = store.upsert(pl.concat([newer, older]), newer_steps)
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    stored = store.executions.collect()
    assert stored.height == 300
    assert stored["execution_uuid"].n_unique() == 300
    assert stored.filter(pl.col("execution_uuid") == target)["status"].item() == "cancelled"
    assert "older" not in stored["status"].to_list()
    # The newer copy's steps replaced the old ones, and no other execution lost any.
    kept = store.steps.collect()
    assert kept.filter(pl.col("execution_uuid") == target).height == 2
    assert kept.height == steps.height - steps.filter(pl.col("execution_uuid") == target).height + 2


def test_a_crash_between_files_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path)
    ex, steps = _first(200)
    store.upsert(ex, steps)
    before_files = sorted(p.name for p in tmp_path.rglob("*.parquet"))
    before = store.executions.collect().sort("execution_uuid")
    more_ex, more_steps = _first(3000)
    changed = more_ex.with_columns(pl.col("updated_at") + timedelta(minutes=1))
    real_replace = os.replace
    calls = {"n": 0}

    def crash_on_third(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (injected)")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_third)
    with pytest.raises(OSError, match="injected"):
        store.upsert(changed, more_steps)
    monkeypatch.setattr(os, "replace", real_replace)
    # The same object and a fresh one both see exactly the previous state.
    assert store.executions.collect().sort("execution_uuid").equals(before)
    reopened = open_store(tmp_path)
    assert reopened.executions.collect().sort("execution_uuid").equals(before)
    assert sorted(p.name for p in tmp_path.rglob("*.parquet")) == before_files  # swept
    # DuckDB, reading the directories, sees the same.
    with duckdb.connect() as con:
        count = con.sql(
            f"select count(*) from read_parquet('{tmp_path.as_posix()}/executions/*/*.parquet')"
        ).fetchall()[0]
    assert count == (200,)
    # And the write succeeds when tried again.
    result = reopened.upsert(changed, more_steps)
    assert (result.new, result.updated) == (2800, 200)
    assert reopened.executions.select(pl.len()).collect().item() == 3000


def test_a_crash_before_the_manifest_is_swept(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ex, steps = _first(50)
    store.upsert(ex, steps)
    month = store.months()[0]
    stray = tmp_path / "executions" / f"{PARTITION}={month}" / "part-stray.parquet"
    ex.write_parquet(stray)
    (tmp_path / ".staging").mkdir(exist_ok=True)
    (tmp_path / ".staging" / "half.parquet").write_bytes(b"PAR1")
    reopened = open_store(tmp_path)
    assert not stray.exists()
    assert not (tmp_path / ".staging").exists()
    assert reopened.executions.select(pl.len()).collect().item() == 50


def test_compact_merges_small_files(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ex, steps = _first(1200)
    for start in range(0, 1200, 100):
        part = ex.slice(start, 100)
        store.upsert(
            part, steps.join(part.select("execution_uuid"), on="execution_uuid", how="semi")
        )
    files = len(store.paths("steps"))
    assert files > len(store.months())
    before = store.steps.collect().sort("execution_uuid", "position")
    merged = store.compact()
    assert merged > 0
    assert len(store.paths("steps")) == len(store.months())
    assert store.steps.collect().sort("execution_uuid", "position").equals(before)
    assert store.compact() == 0


def test_default_path_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STORE_ENV_VAR, str(tmp_path / "mine"))
    assert default_store_path() == tmp_path / "mine"
    assert open_store().path == tmp_path / "mine"
    monkeypatch.delenv(STORE_ENV_VAR)
    assert default_store_path().parts[-2:] == ("plannr-nb", "store")


def test_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a plannr-nb store"):
        open_store(tmp_path)
    other = tmp_path / "newer"
    open_store(other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["schema_version"] = SCHEMA_VERSION + 1
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match="Upgrade plannr-nb"):
        open_store(other)


def test_upsert_checks_its_input(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ex, steps = _first(5)
    with pytest.raises(StoreError, match="lacks columns"):
        store.upsert(ex.drop("status"), steps)
    assert store.upsert(ex.clear(), steps.clear()).new == 0
