"""A fetch becomes frames from the bytes the API sent: the same frames as from its dicts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from conftest import CLIENT_BASE, CLIENT_TOKEN, FAST_RETRIES, Twin
from polars.testing import assert_frame_equal

import plannr_nb as pnb
from plannr_nb.testing import SimAPI

pytestmark = pytest.mark.usefixtures("clean_env")


def _assert_same(result: pnb.FetchResult, *, accounts: bool = True) -> None:
    from_bodies = pnb.build_frames(result, accounts=accounts)
    from_dicts = pnb.build_frames(result.executions, accounts=accounts)
    for mine, theirs in zip(from_bodies, from_dicts, strict=True):
        assert_frame_equal(mine, theirs)
    assert from_bodies.executions["execution_uuid"].to_list() == [
        execution["uuid"] for execution in result.executions
    ]


@pytest.fixture(scope="module")
def demo() -> list[dict[str, object]]:
    return pnb.load_demo_executions()


def test_a_batch_of_pages_gives_the_frames_of_its_dicts(twin: Twin, demo: list[dict]) -> None:
    """250 UUIDs (3 list pages), reversed, with one missing: frames hold what was found."""
    wanted = [execution["uuid"] for execution in demo][::-1]
    wanted.insert(7, "00000000-0000-4000-8000-000000000000")
    with twin.demo() as client:
        result = client.fetch_executions(wanted, include_account=True)
    assert len(result.executions) == len(demo)
    assert len(result.errors) == 1
    assert len(result.bodies) < 10  # pages and no single GET for what the pages held
    _assert_same(result)
    _assert_same(result, accounts=False)


def test_singles_and_cached_copies_give_the_same_frames(
    twin: Twin, demo: list[dict], tmp_path: Path
) -> None:
    """Cached copies, and single GETs after a list request failed, agree as well."""
    uuids = [execution["uuid"] for execution in demo[:30]]
    api = SimAPI(demo)
    options = {"base_url": CLIENT_BASE, "cache": tmp_path, **FAST_RETRIES}
    with twin(CLIENT_TOKEN, api=api, **options) as client:
        client.fetch_executions(uuids[:10])  # finished ones are now served from the cache
        api.faults.status(500)  # the next list request fails: its UUIDs are fetched one by one
        result = client.fetch_executions(uuids)
    assert [execution["uuid"] for execution in result.executions] == uuids
    assert len(result.bodies) == len(uuids)  # cached copies and single bodies, no page
    _assert_same(result)


def test_an_empty_fetch_gives_empty_frames_with_the_contract(twin: Twin) -> None:
    """Nothing fetched: three empty frames with every contract column."""
    with twin.demo() as client:
        result = client.fetch_executions(["not-a-uuid"])
    frames = pnb.build_frames(result)
    assert frames.executions.height == 0
    assert frames.steps.height == 0
    assert frames.executions.schema == pnb.build_frames([]).executions.schema
    assert isinstance(frames.steps, pl.DataFrame)
