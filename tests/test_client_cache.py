"""The on-disk cache: reuse of finished executions, refetch of running ones, offline, crashes."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
from conftest import CLIENT_BASE, CLIENT_TOKEN, FAST_RETRIES, Twin, TwinClient

from plannr_nb import AuthenticationError, TransportError
from plannr_nb._cache import ExecutionCache
from plannr_nb.testing import SimAPI, fake_executions

EXECUTIONS = fake_executions(24, seed=21)
UUIDS = [e["uuid"] for e in EXECUTIONS]
FINISHED = [e["uuid"] for e in EXECUTIONS if e["status"] != "in_progress"]
RUNNING = [e["uuid"] for e in EXECUTIONS if e["status"] == "in_progress"]
TOKEN = CLIENT_TOKEN
BASE = CLIENT_BASE
FAST = FAST_RETRIES

pytestmark = pytest.mark.usefixtures("clean_env")


def make(
    twin: Twin, api: SimAPI, cache: Path | ExecutionCache, token: str | None = TOKEN
) -> TwinClient:
    return twin(token, base_url=BASE, api=api, cache=cache, **FAST)


def test_finished_reused_running_refetched(tmp_path: Path, twin: Twin) -> None:
    """A finished execution is served from the cache; a running one is asked again."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    with make(twin, api, tmp_path) as c:
        c.get_execution(FINISHED[0])
        c.get_execution(FINISHED[0])
        c.get_execution(RUNNING[0])
        c.get_execution(RUNNING[0])
        assert "cache=" in repr(c)
    paths = [r.path.rsplit("/", 1)[1] for r in api.requests]
    assert paths == [FINISHED[0], RUNNING[0], RUNNING[0]]
    assert FINISHED[0] in ExecutionCache(tmp_path)


def test_cache_without_account_does_not_answer_include_account(tmp_path: Path, twin: Twin) -> None:
    """A snapshot taken without `account` does not answer include_account=True; the reverse does."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    with make(twin, api, tmp_path) as c:
        c.get_execution(FINISHED[1])
        assert "account" in c.get_execution(FINISHED[1], include_account=True)
        assert "account" not in c.get_execution(FINISHED[1])
        assert "account" in c.get_execution(FINISHED[1], include_account=True)
    assert len(api.requests) == 2


def test_batch_fetch_uses_cache(tmp_path: Path, twin: Twin) -> None:
    """A second batch only asks for the running executions."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    uuids = [e["uuid"] for e in EXECUTIONS]
    with make(twin, api, tmp_path) as c:
        first = c.fetch_executions(uuids)
        api.clear_log()
        second = c.fetch_executions(uuids)
    assert [e["uuid"] for e in second] == uuids == [e["uuid"] for e in first]
    assert len(api.requests) == 1
    assert set(api.requests[0].uuid_filter) == set(RUNNING)


def test_list_writes_through_to_cache(tmp_path: Path, twin: Twin) -> None:
    """Executions seen in a listing are snapshotted too."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    with make(twin, api, tmp_path) as c:
        c.list_executions()
    assert len(ExecutionCache(tmp_path)) == len(EXECUTIONS)


def test_offline_serves_what_the_cache_holds(tmp_path: Path, twin: Twin) -> None:
    """No network: finished and running executions held are served; others are errors."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    held = [FINISHED[0], FINISHED[1], RUNNING[0]]
    with make(twin, api, tmp_path) as c:
        c.fetch_executions(held)
    unknown = FINISHED[2]
    with twin(
        TOKEN, base_url="http://127.0.0.1:9", cache=tmp_path, max_retries=1, **FAST
    ) as offline:
        assert offline.get_execution(FINISHED[0])["uuid"] == FINISHED[0]
        assert offline.get_execution(RUNNING[0])["uuid"] == RUNNING[0]
        with pytest.raises(TransportError):
            offline.get_execution(unknown)
        result = offline.fetch_executions([*held, unknown])
    assert [e["uuid"] for e in result] == held
    assert list(result.errors) == [unknown]
    assert isinstance(result.errors[unknown], TransportError)


def test_offline_without_token_serves_cache(tmp_path: Path, twin: Twin) -> None:
    """No token and no network: the cache still answers; the rest asks for a token."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    with make(twin, api, tmp_path) as c:
        c.fetch_executions([FINISHED[0], RUNNING[1]])
    with twin(base_url="http://127.0.0.1:9", cache=tmp_path) as offline:
        assert offline.get_execution(FINISHED[0])["uuid"] == FINISHED[0]
        assert offline.get_execution(RUNNING[1])["uuid"] == RUNNING[1]
        result = offline.fetch_executions([FINISHED[0], RUNNING[1], FINISHED[3]])
    assert len(result) == 2
    assert isinstance(result.errors[FINISHED[3]], AuthenticationError)


def test_write_is_atomic_when_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure before the rename leaves the previous snapshot intact and no stray file."""
    cache = ExecutionCache(tmp_path)
    old = dict(EXECUTIONS[0], status="in_progress")
    cache.put(old, include_account=False)

    def crash(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with caplog.at_level("WARNING", logger="plannr_nb"):
        cache.put(dict(EXECUTIONS[0], status="completed"), include_account=False)
    monkeypatch.undo()
    assert "disk gone" in caplog.text  # a warning, not an exception that loses a batch
    snapshot = cache.get(EXECUTIONS[0]["uuid"])
    assert snapshot is not None
    assert snapshot.execution["status"] == "in_progress"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{EXECUTIONS[0]['uuid']}.json"]


def test_process_killed_mid_write_leaves_no_torn_file(tmp_path: Path) -> None:
    """A process killed between writing and renaming leaves the old snapshot, readable."""
    cache = ExecutionCache(tmp_path)
    cache.put(dict(EXECUTIONS[0], status="in_progress"), include_account=False)
    script = textwrap.dedent(
        f"""
        import os
        from plannr_nb._cache import ExecutionCache
        execution = {orjson.dumps(dict(EXECUTIONS[0], status="completed")).decode()!r}
        os.replace = lambda src, dst: os._exit(9)  # die after the temporary file is written
        import orjson
        ExecutionCache({str(tmp_path)!r}).put(orjson.loads(execution), include_account=False)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert done.returncode == 9
    snapshot = cache.get(EXECUTIONS[0]["uuid"])
    assert snapshot is not None
    assert snapshot.execution["status"] == "in_progress"
    # the orphaned temporary file is not mistaken for a snapshot
    assert list(cache.uuids()) == [EXECUTIONS[0]["uuid"]]
    assert len(cache) == 1


def test_torn_file_is_a_miss(tmp_path: Path, caplog: pytest.LogCaptureFixture, twin: Twin) -> None:
    """A damaged snapshot (written by something else) is ignored with a warning and refetched."""
    uuid = FINISHED[0]
    (tmp_path / f"{uuid}.json").write_bytes(b'{"execution": {"uuid": "')
    api = SimAPI(EXECUTIONS, token=TOKEN)
    with caplog.at_level(logging.WARNING, logger="plannr_nb"), make(twin, api, tmp_path) as c:
        assert c.get_execution(uuid)["uuid"] == uuid
    assert "not a snapshot" in caplog.text
    assert len(api.requests) == 1
    snapshot = ExecutionCache(tmp_path).get(uuid)
    assert snapshot is not None
    assert snapshot.finished


def test_cache_never_stores_outside_its_directory(tmp_path: Path) -> None:
    """An execution whose uuid is not a UUID is not stored (no path tricks)."""
    cache = ExecutionCache(tmp_path / "c")
    cache.put({"uuid": "../../evil", "status": "completed"}, include_account=False)
    assert list((tmp_path / "c").iterdir()) == []
    assert "../../evil" not in cache


def test_old_orphaned_temporary_files_are_swept(tmp_path: Path) -> None:
    """Temporary files of writers that died long ago are removed when the cache opens."""
    old = tmp_path / ".x.123.tmp"
    old.write_bytes(b"{")
    os.utime(old, (1_000_000, 1_000_000))
    recent = tmp_path / ".y.456.tmp"
    recent.write_bytes(b"{")
    ExecutionCache(tmp_path)
    assert not old.exists()
    assert recent.exists()  # perhaps another process is writing it right now


def test_a_failing_cache_never_loses_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, twin: Twin
) -> None:
    """The disk refusing writes: every execution still comes back, with a warning."""
    wanted = [e["uuid"] for e in EXECUTIONS[:5]]
    client = twin.demo(EXECUTIONS, cache=tmp_path)

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with caplog.at_level("WARNING", logger="plannr_nb"):
        result = client.fetch_executions(wanted)
        single = client.get_execution(wanted[0])
    assert [e["uuid"] for e in result.executions] == wanted
    assert not result.errors
    assert single["uuid"] == wanted[0]
    assert "disk full" in caplog.text


def _snapshot(execution: dict[str, object]) -> bytes:
    return orjson.dumps(
        {"format": 1, "include_account": True, "stored_at": 1.0, "execution": execution}
    )


def test_a_snapshot_of_another_uuid_is_a_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file whose execution UUID is not its name (or that has none) is never served."""
    cache = ExecutionCache(tmp_path)
    planted = dict(EXECUTIONS[1], status="completed")
    (tmp_path / f"{UUIDS[0]}.json").write_bytes(_snapshot(planted))
    (tmp_path / f"{UUIDS[2]}.json").write_bytes(_snapshot({"status": "completed"}))
    assert cache.get(UUIDS[0]) is None
    assert cache.get(UUIDS[2]) is None
    assert "holds execution" in caplog.text
    cache.put(dict(EXECUTIONS[0], status="completed"), include_account=True)
    snapshot = cache.get(UUIDS[0])
    assert snapshot is not None
    assert snapshot.execution["uuid"] == UUIDS[0]


def test_symlinks_and_fifos_are_misses_that_never_block(tmp_path: Path) -> None:
    """A symlink is not followed and a FIFO not read (it would block): both are misses."""
    cache = ExecutionCache(tmp_path / "cache")
    target = tmp_path / "elsewhere.json"
    target.write_bytes(_snapshot(dict(EXECUTIONS[0], status="completed")))
    (cache.directory / f"{UUIDS[0]}.json").symlink_to(target)
    os.mkfifo(cache.directory / f"{UUIDS[1]}.json")
    (cache.directory / f"{UUIDS[2]}.json").mkdir()
    assert cache.get(UUIDS[0]) is None
    assert cache.get(UUIDS[1]) is None  # returns at once: O_NONBLOCK, then not a regular file
    assert cache.get(UUIDS[2]) is None


def test_directory_is_private_and_a_shared_one_is_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A new cache directory is 0700; an existing group/world-writable one warns, once."""
    private = ExecutionCache(tmp_path / "new" / "cache")
    assert stat.S_IMODE(private.directory.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with caplog.at_level(logging.WARNING, logger="plannr_nb"):
        ExecutionCache(shared)
        ExecutionCache(shared)
    assert caplog.text.count("writable by other users") == 1
