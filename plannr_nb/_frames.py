"""Execution responses to polars frames.

One fast path for every input. Response bodies (bytes) are joined a slice of about 8 MB at a time
and read by pyarrow with an explicit, projected schema (no inference, unknown fields skipped) in
two threads (arrow releases the GIL); decoded dicts go straight into arrow with the same schema
(``pa.array`` with the struct type), never back to JSON text. In the reader, arrow checks that
every row is an execution and casts the timestamps (all or nothing per column: only full
timestamps with an offset; a column it refuses is parsed exactly, in polars and, for the odd
value, in Python). One ``pl.from_arrow`` a slice; polars derives the frames, grouping on an
integer row. Accounts: only the last body carrying each distinct account is decoded.

Input the fast path cannot read exactly (a wrong type, a row count that is off, a missing uuid)
goes down the checked path: every execution is decoded and checked in Python, which either
yields canonical lines for the same reader or raises :class:`ResponseFormatError` saying what and
where. Both paths give identical frames (a property test proves it).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, TypeAlias
from zoneinfo import ZoneInfo

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from ._config import NAIVE_TIMESTAMP_ZONE
from ._errors import ResponseFormatError
from ._schemas import (
    ACCOUNT_DATES,
    ACCOUNT_DATETIMES,
    ACCOUNT_RELATIONS,
    ACCOUNT_SCHEMA,
    ACCOUNT_TEXT,
    EXECUTION_SCHEMA,
    STEP_SCHEMA,
    UTC_DT,
)
from ._statuses import is_failed

__all__ = [
    "Frames",
    "Payloads",
    "accounts_frame",
    "build_frames",
    "executions_frame",
    "parse_info",
    "steps_frame",
]

Payload: TypeAlias = Mapping[str, Any] | str | bytes | bytearray | memoryview
Payloads: TypeAlias = Payload | Iterable[Payload]

# --- reading: bodies -> arrow, a slice at a time, in threads --------------------------------

_STEP_FIELDS = ("uuid", "created_at", "updated_at", "executed_at", "status", "info", "name")
_STEP_TIMES = ("created_at", "updated_at", "executed_at")
_EXEC_TEXT = ("uuid", "created_at", "updated_at", "status", "triggered_by", "name")
_ARROW_STEP = pa.struct([(name, pa.string()) for name in _STEP_FIELDS])
# Only the name of next_step / previous_step reaches a frame; reading the rest costs ~7%.
_ARROW_NAMED = pa.struct([("name", pa.string())])
_ARROW_ACCOUNT = pa.struct(
    [(name, pa.string()) for name in ("uuid", "name", "first_name", "last_name")]
)
_ARROW_EXEC_FIELDS: list[tuple[str, pa.DataType]] = [
    *((name, pa.string()) for name in _EXEC_TEXT),
    ("steps", pa.list_(_ARROW_STEP)),
    ("next_step", _ARROW_NAMED),
    ("previous_step", _ARROW_NAMED),
    ("account", _ARROW_ACCOUNT),
]
_ARROW_EXEC = pa.schema(_ARROW_EXEC_FIELDS)
_ARROW_EXEC_STRUCT = pa.struct(_ARROW_EXEC_FIELDS)
# Below this many dicts, writing them as JSON text for the reader is as fast as converting them.
_FEW_DICTS = 256
# pyarrow's conversion of Python objects imports pandas when it is installed (~0.3 s, once).
# Until something has, up to this many dicts go as JSON text instead (~10 ms more a thousand).
_FEW_DICTS_BEFORE_PANDAS = 4096
# A body: a bare execution, or {"data": {...}} (what a single GET returns).
_ARROW_BODY = pa.schema([*_ARROW_EXEC_FIELDS, ("data", pa.struct(_ARROW_EXEC_FIELDS))])
# A list page as the API sends it: {"data": [...], "links": ..., "meta": ...}.
_ARROW_PAGE = pa.schema([("data", pa.list_(pa.struct(_ARROW_EXEC_FIELDS)))])
_PARSE = {
    (page, multiline): pa_json.ParseOptions(
        explicit_schema=_ARROW_PAGE if page else _ARROW_BODY,
        unexpected_field_behavior="ignore",
        newlines_in_values=multiline,
    )
    for page in (False, True)
    for multiline in (False, True)
}
_PAGE_START = re.compile(rb"\s*(?:\xef\xbb\xbf)?\s*\{\s*\"data\"\s*:\s*\[")
# Each reader thread parses slices of about this size, one arrow block each: small enough that
# two threads keep both cores busy and the extra copy of the input stays small...
_SLICE_BYTES = 8 << 20
# ...and, for large inputs, about this share of the input (at most _MAX_SLICE_BYTES): fewer
# slices cost less to stitch (100,000 bodies, memory warm: 1.47x the orjson floor, not
# 1.55-1.69x, for 1.7x the JSON in memory, not 1.6x; at 10,000 they would hold 2.6x).
_SLICE_SHARE = 20
_MAX_SLICE_BYTES = 32 << 20
_THREADS = max(1, min(2, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None
# Tests set this to send every input down the checked path.
_CHECKED_ONLY = False


class _Unsound(Exception):
    """The fast path cannot read this input exactly; the checked path will."""


@functools.cache
def _arrow_memory() -> pa.MemoryPool:
    """Where arrow allocates while reading: jemalloc, else the system's allocator.

    Not arrow's default mimalloc, which keeps what the readers free for arrow alone: polars then
    maps memory of its own, and the peak at 10,000 bodies was 2.4-3.0x the JSON, not 1.6x.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - a pyarrow built without jemalloc
        return pa.system_memory_pool()


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array; a single chunk as it is (``combine_chunks`` would copy it)."""
    if column.num_chunks == 1:
        return column.chunk(0)
    return column.combine_chunks(_arrow_memory())


def _reader_pool() -> ThreadPoolExecutor:
    global _pool  # one pool for the process, made on first use
    if _pool is None:
        _pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="plannr-frames")
    return _pool


def _fields(struct: pa.StructArray) -> dict[str, pa.Array]:
    """The children of a struct array, null where the struct itself is null."""
    return dict(zip([f.name for f in struct.type], struct.flatten(), strict=True))


def _times(values: pa.Array, owners: Callable[[], pa.Array], what: str, name: str) -> pa.Array:
    """Text to UTC timestamps: arrow's cast when it takes every value, else the exact path."""
    try:
        cast = pc.cast(values, _ARROW_UTC, memory_pool=_arrow_memory())
    except pa.ArrowException:
        pass
    else:
        bounds = pc.min_max(cast.cast(pa.int64())).as_py()
        low, high = bounds["min"], bounds["max"]
        if low is None or (low >= _MIN_US and high <= _MAX_US):
            return cast
    frame = pl.DataFrame(
        {"owner": pl.Series(owners(), dtype=pl.String), name: pl.Series(values, dtype=pl.String)}
    )
    return _finish_timestamps(frame, [name], what, "owner")[name].to_arrow()


def _part(table: pa.Table, start: int, page: bool) -> tuple[pa.Table, pa.Table]:
    """One read slice as flat execution and step tables, checked and with typed timestamps.

    Raises :class:`_Unsound` when a row has no uuid or a step is not an object: the checked
    path then says precisely what is wrong.
    """
    body: pa.Array | None = None
    if page:
        data = _one_array(table.column("data"))
        if data.null_count:
            raise _Unsound
        executions = data.flatten()
        if executions.null_count:
            raise _Unsound
        columns = _fields(executions)
        body = pc.list_parent_indices(data)  # made global in polars (see _read_group)
    else:
        columns = {name: _one_array(table.column(name)) for name, _ in _ARROW_EXEC_FIELDS}
        if "data" in table.column_names:
            data = _one_array(table.column("data"))
            if data.null_count < len(data):
                # {"data": {...}} is a wrapper only around a body with no uuid of its own.
                inner = _fields(data)
                wrapped = pc.and_(pc.is_valid(data), pc.is_null(columns["uuid"]))
                count = pc.sum(wrapped).as_py() or 0
                if count == len(data):
                    columns = inner
                elif count:
                    columns = {
                        name: pc.if_else(wrapped, inner[name], columns[name]) for name in columns
                    }
    uuid = columns["uuid"]
    # No Python scalars in arrow calls: converting one makes pyarrow import pandas (~0.3 s).
    if uuid.null_count or (len(uuid) and pc.min(pc.utf8_length(uuid)).as_py() == 0):
        raise _Unsound
    steps = columns["steps"]
    flat = steps.flatten()
    if flat.null_count:
        raise _Unsound
    parents = pc.list_parent_indices(steps)
    step = _fields(flat)

    def owners() -> pa.Array:
        return pc.take(uuid, parents, memory_pool=_arrow_memory())

    account = _fields(columns["account"])
    created_at = _times(columns["created_at"], lambda: uuid, "execution", "created_at")
    updated_at = _times(columns["updated_at"], lambda: uuid, "execution", "updated_at")
    out: dict[str, pa.Array] = {
        "uuid": uuid,
        "name": columns["name"],
        "status": columns["status"],
        "triggered_by": columns["triggered_by"],
        "created_at": created_at,
        "updated_at": updated_at,
        "step_count": pc.list_value_length(steps),  # null for no steps: 0 in polars
        "next_step_name": _fields(columns["next_step"])["name"],
        "previous_step_name": _fields(columns["previous_step"])["name"],
        "account_uuid": account["uuid"],
        "account_name": account["name"],
        "account_first_name": account["first_name"],
        "account_last_name": account["last_name"],
    }
    if body is not None:
        out["body"] = body
    steps_table = pa.table(
        {
            "row": parents,
            # Each step's execution timestamps, gathered here, in the reader threads; the text
            # columns in polars, whose string views share the execution's bytes.
            "execution_created_at": pc.take(created_at, parents, memory_pool=_arrow_memory()),
            "execution_updated_at": pc.take(updated_at, parents, memory_pool=_arrow_memory()),
            "step_uuid": step["uuid"],
            "name": step["name"],
            "status": step["status"],
            "info": step["info"],
            **{
                name: _times(step[name], owners, "a step of execution", name)
                for name in _STEP_TIMES
            },
        }
    )
    # Each execution's executed_at values as one list (the steps' own offsets): its timing
    # aggregates are then list reductions, with no grouping at all.
    offsets = pc.subtract(steps.offsets, steps.offsets[0])
    out["executed_at_list"] = pa.ListArray.from_arrays(
        offsets, _one_array(steps_table["executed_at"])
    )
    return pa.table(out), steps_table


def _read_slice(bodies: Sequence[Any], start: int, page: bool) -> tuple[pa.Table, pa.Table]:
    data = b"\n".join(bodies)
    read = pa_json.ReadOptions(use_threads=False, block_size=len(data) + 1)
    for multiline in (False, True):  # pretty bodies span lines: the slower mode reads them
        try:
            table = pa_json.read_json(
                pa.BufferReader(data),
                read_options=read,
                parse_options=_PARSE[page, multiline],
                memory_pool=_arrow_memory(),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if table.num_rows == len(bodies):  # one row a body, or the reading is not what it seems
            return _part(table, start, page)
    raise _Unsound


def _polars_part(
    executions: pa.Table, steps: pa.Table, *, start: int, page: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A part's flat frames; ``body`` made global.

    Made in the calling thread, not the readers: polars has a thread pool of its own, which the
    readers' parsing would compete with. The steps' derived columns come later, once for all
    parts.
    """
    local = pl.col("body") if page else pl.int_range(pl.len(), dtype=pl.Int64)
    times = pl.col("executed_at_list")
    frame = (
        _polars(executions)
        .with_columns(
            pl.col("step_count").fill_null(0),
            body=(local + start).cast(pl.Int64),
            executed_step_count=times.list.drop_nulls().list.len().cast(pl.Int64),
            first_executed_at=times.list.min(),
            last_executed_at=times.list.max(),
        )
        .drop("executed_at_list")
    )
    steps_frame = _polars(steps)
    row = steps_frame["row"]
    return frame, steps_frame.with_columns(
        frame["uuid"].gather(row).alias("execution_uuid"),
        frame["name"].gather(row).alias("execution_name"),
        frame["status"].gather(row).alias("execution_status"),
    )


def _read_group(bodies: Sequence[Any], page: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Bodies of one kind (all pages or none) read in slices, as flat executions and steps.

    Executions get ``body`` (the index of their body); steps get ``row`` (their execution's).
    """
    count = len(bodies)
    total = sum(map(len, bodies))
    size = min(max(_SLICE_BYTES, total // _SLICE_SHARE), _MAX_SLICE_BYTES)
    slices = -(-total // size)
    if slices > 1:  # a multiple of the threads, so that none idles at the end
        slices = -(-slices // _THREADS) * _THREADS
    per = max(1, -(-count // max(slices, 1)))
    starts = range(0, count, per)
    if len(starts) == 1:
        parts = [_polars_part(*_read_slice(bodies, 0, page), start=0, page=page)]
    else:
        # The readers parse (arrow lets go of the GIL); this thread, idle otherwise, turns each
        # slice into polars as soon as it is read, in order.
        futures = [_reader_pool().submit(_read_slice, bodies[s : s + per], s, page) for s in starts]
        try:
            parts = [
                _polars_part(*future.result(), start=s, page=page)
                for future, s in zip(futures, starts, strict=True)
            ]
        finally:
            for future in futures:
                future.cancel()
    executions, steps = [], []
    rows = 0
    for part_executions, part_steps in parts:
        executions.append(part_executions)
        steps.append(part_steps.with_columns(pl.col("row") + rows))
        rows += part_executions.height
    return pl.concat(executions, rechunk=True), pl.concat(steps, rechunk=True)


def _polars(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


class _Read(NamedTuple):
    """Flat executions (one row per execution read, in input order) and their steps."""

    executions: pl.DataFrame
    steps: pl.DataFrame
    # (body, item within the body) -> (the execution as decoded JSON, where it is)
    locate: Callable[[int, int], tuple[Any, str]]


def _to_polars(tables: tuple[pl.DataFrame, pl.DataFrame], locate: Any) -> _Read:
    return _Read(tables[0], tables[1], locate)


def _body_locator(bodies: Sequence[Any], origin: Sequence[int] | None = None) -> Any:
    decoded: dict[int, list[tuple[Any, str]]] = {}

    def locate(body: int, item: int) -> tuple[Any, str]:
        if body not in decoded:
            where = f"payloads[{body if origin is None else origin[body]}]"
            decoded[body] = _unwrap(_decode(bodies[body], where), where)
        return decoded[body][item]

    return locate


def _item_locator(items: Sequence[tuple[Any, str]]) -> Any:
    return lambda body, _item: items[body]


def _as_bytes(items: Sequence[Any]) -> list[Any]:
    """Every payload as a JSON text of bytes (or a bytes-like object arrow reads as it is)."""
    out: list[Any] = []
    for index, payload in enumerate(items):
        if isinstance(payload, bytes | bytearray | memoryview):
            out.append(payload)
        elif isinstance(payload, str):
            out.append(payload.encode())
        elif isinstance(payload, Mapping):
            try:
                out.append(orjson.dumps(payload, default=str))
            except TypeError:
                try:  # integers beyond 64 bits: the stdlib writes them, arrow reads them
                    out.append(json.dumps(payload, default=str).encode())
                except (TypeError, ValueError) as exc:
                    msg = f"payloads[{index}] cannot be read as JSON: {exc}"
                    raise ResponseFormatError(msg, where=f"payloads[{index}]") from None
        else:
            msg = (
                f"payloads[{index}] is {_kind(payload)}; expected an execution "
                "object (dict) or a JSON response body (str or bytes)"
            )
            raise ResponseFormatError(msg, where=f"payloads[{index}]")
    return out


def _is_page(body: Any) -> bool:
    """Whether a body is a list page; TypeError when it is not bytes-like."""
    return _PAGE_START.match(bytes(body[:64])) is not None


def _read_texts(bodies: list[Any]) -> _Read | None:
    """Bodies of one kind read as one group, else None.

    Raises TypeError when not every body is bytes-like (the join refuses).
    """
    page = _is_page(bodies[0])
    if _is_page(bodies[-1]) != page:
        return None  # pages and single bodies: _read_mixed reads each kind, without a failed read
    try:
        tables = _read_group(bodies, page)
    except _Unsound:
        return None
    return _to_polars(tables, _body_locator(bodies))


def _read_mixed(bodies: list[Any]) -> _Read | None:
    """List pages mixed with single bodies: each kind read as one group (else None)."""
    pages = sum(map(_is_page, bodies))
    return _read_bodies(bodies) if 0 < pages < len(bodies) else None


def _few_dicts() -> int:
    """Below how many dicts ``_read_dicts`` leaves them to the text reader."""
    if "pandas" in sys.modules or not _pandas_installed():
        return _FEW_DICTS
    return _FEW_DICTS_BEFORE_PANDAS


@functools.cache
def _pandas_installed() -> bool:
    return importlib.util.find_spec("pandas") is not None


def _read_dicts(items: list[Any]) -> _Read | None:
    """Decoded executions straight into arrow with the explicit schema (never back to text)."""
    found: list[tuple[Any, str]] = []
    for index, obj in enumerate(items):
        if type(obj) is not dict:
            return None
        if "uuid" not in obj and "data" in obj:
            found.extend(_unwrap(obj, f"payloads[{index}]"))
        else:
            found.append((obj, f"payloads[{index}]"))
    objs = [obj for obj, _ in found]
    if len(objs) < _few_dicts() or any(type(obj) is not dict for obj in objs):
        return None
    try:
        table = pa.Table.from_struct_array(
            pa.array(objs, type=_ARROW_EXEC_STRUCT, memory_pool=_arrow_memory())
        )
        executions, steps = _polars_part(*_part(table, 0, page=False), start=0, page=False)
    except (_Unsound, pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    return _Read(executions, steps, _item_locator(found))


def _read_checked(items: list[Any]) -> _Read:
    found = list(_decoded_executions(items))
    lines = [orjson.dumps(_clean_execution(obj, where)) for obj, where in found]
    if not lines:
        return _empty_read()
    try:
        tables = _read_group(lines, page=False)
    except _Unsound:  # pragma: no cover - checked lines always read
        msg = "the payloads could not be read as automation executions"
        raise ResponseFormatError(msg, where="payloads") from None
    return _to_polars(tables, _item_locator(found))


def _empty_read() -> _Read:
    # Not _ARROW_EXEC.empty_table(): it converts Python lists, which imports pandas (~0.3 s).
    empty = pa.Table.from_arrays([pa.nulls(0, f.type) for f in _ARROW_EXEC], schema=_ARROW_EXEC)
    executions, steps = _polars_part(*_part(empty, 0, page=False), start=0, page=False)
    return _Read(executions, steps, _item_locator([]))


def _read_fast(items: list[Any]) -> _Read | None:
    first = items[0]
    if type(first) is dict:
        read = _read_dicts(items)
        if read is not None:
            return read
    elif isinstance(first, bytes | bytearray | memoryview):
        with contextlib.suppress(TypeError):  # some other kind among them: made bytes below
            return _read_texts(items) or _read_mixed(items)
    try:
        texts = _as_bytes(items)
    except ResponseFormatError:
        return None  # the checked path says the same, with every check
    return _read_texts(texts) or _read_mixed(texts)


def _read(payloads: Payloads) -> _Read:
    if isinstance(payloads, Mapping | str | bytes | bytearray | memoryview):
        items: list[Any] = [payloads]
    elif isinstance(payloads, list):
        items = payloads
    else:
        items = list(_iter_payloads(payloads))
    if not items:
        return _empty_read()
    if not _CHECKED_ONLY:
        read = _read_fast(items)
        if read is not None:
            return read
    return _read_checked(items)


def _iter_payloads(payloads: Payloads) -> Iterator[Payload]:
    if isinstance(payloads, Mapping | str | bytes | bytearray | memoryview):
        yield payloads
        return
    try:
        iterator = iter(payloads)
    except TypeError:
        msg = (
            f"payloads must be an execution (a dict or a JSON body) or an iterable of them, "
            f"not {type(payloads).__name__}"
        )
        raise ResponseFormatError(msg, where="payloads") from None
    yield from iterator


# --- repair: precise checks for input pyarrow rejected -------------------------------------


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _decode(payload: Payload, where: str) -> Any:
    if isinstance(payload, Mapping):
        return payload
    if isinstance(payload, memoryview | bytearray):
        payload = bytes(payload)
    if not isinstance(payload, str | bytes):
        msg = (
            f"{where} is {_kind(payload)}; expected an execution object (dict) or a JSON "
            "response body (str or bytes)"
        )
        raise ResponseFormatError(msg, where=where)
    if isinstance(payload, bytes):
        payload = payload.removeprefix(b"\xef\xbb\xbf")
    else:
        payload = payload.removeprefix("\ufeff")
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        text = payload[:60] if isinstance(payload, str) else payload[:60].decode("utf-8", "replace")
        msg = f"{where} is not valid JSON ({exc}); it starts with {text!r}"
        raise ResponseFormatError(msg, where=where) from None


def _text(value: Any, where: str, *, lenient: bool = False) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if lenient:
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # e.g. an integer beyond 64 bits, which the stdlib writes
            return json.dumps(value, default=str)
    msg = f"{where} is {_kind(value)}; expected text"
    raise ResponseFormatError(msg, where=where)


def _clean_step(step: Any, where: str) -> dict[str, str | None]:
    if not isinstance(step, dict):
        msg = f"{where} is {_kind(step)}; expected a step object"
        raise ResponseFormatError(msg, where=where)
    return {
        name: _text(step.get(name), f"{where}.{name}", lenient=name == "info")
        for name in _STEP_FIELDS
    }


def _clean_execution(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        msg = f"{where} is {_kind(obj)}; expected an execution object"
        raise ResponseFormatError(msg, where=where)
    uuid = obj.get("uuid")
    if uuid is None or uuid == "":
        msg = f"{where} has no 'uuid': it is not an automation execution (keys: {sorted(obj)[:8]})"
        raise ResponseFormatError(msg, where=where)
    clean: dict[str, Any] = {name: _text(obj.get(name), f"{where}.{name}") for name in _EXEC_TEXT}
    steps = obj.get("steps")
    if steps is None:
        steps = []
    if not isinstance(steps, list):
        msg = f"{where}.steps is {_kind(steps)}; expected a list of steps"
        raise ResponseFormatError(msg, where=f"{where}.steps")
    clean["steps"] = [_clean_step(step, f"{where}.steps[{i}]") for i, step in enumerate(steps)]
    for name in ("next_step", "previous_step"):
        # Only the name reaches a frame, as on the fast path.
        value = obj.get(name)
        if value in (None, [], {}):
            clean[name] = None
        elif isinstance(value, dict):
            clean[name] = {"name": _text(value.get("name"), f"{where}.{name}.name")}
        else:
            msg = f"{where}.{name} is {_kind(value)}; expected a step object"
            raise ResponseFormatError(msg, where=f"{where}.{name}")
    account = obj.get("account")
    if account in (None, [], {}):
        clean["account"] = None
    elif isinstance(account, dict):
        clean["account"] = {
            key: _text(account.get(key), f"{where}.account.{key}", lenient=True)
            for key in ("uuid", "name", "first_name", "last_name")
        }
    else:
        msg = f"{where}.account is {_kind(account)}; expected an account object"
        raise ResponseFormatError(msg, where=f"{where}.account")
    return clean


def _unwrap(obj: Any, where: str) -> list[tuple[Any, str]]:
    """The executions in a decoded body: bare, ``{"data": {...}}`` or ``{"data": [...]}``."""
    if isinstance(obj, dict) and "uuid" not in obj and "data" in obj:
        data = obj["data"]
        if isinstance(data, list):
            return [(item, f"{where}.data[{i}]") for i, item in enumerate(data)]
        return [(data, f"{where}.data")]
    return [(obj, where)]


def _decoded_executions(payloads: Iterable[Payload]) -> Iterator[tuple[Any, str]]:
    for index, payload in enumerate(payloads):
        where = f"payloads[{index}]"
        yield from _unwrap(_decode(payload, where), where)


# --- timestamps -----------------------------------------------------------------------------

_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
_NAIVE_ZONE = ZoneInfo(NAIVE_TIMESTAMP_ZONE)


def _parse_timestamp(text: str) -> datetime:
    """Any ISO-8601 form; no offset means UK local time; a date alone means its midnight."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=_NAIVE_ZONE)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00: beyond datetime's range in UTC
        msg = f"{text!r} is outside the range of dates"
        raise ValueError(msg) from None


def _timestamps(column: str) -> pl.Expr:
    """Parse a text column to UTC; every non-null text must parse, or the caller is told."""
    return (
        pl.col(column)
        .str.to_datetime(_ISO_FORMAT, time_zone="UTC", strict=False, time_unit="us")
        .alias(column)
    )


_ARROW_UTC = pa.timestamp("us", tz="UTC")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What Python's datetime can hold, in microseconds since the epoch.
_MIN_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def _arrow_timestamps(column: pl.Series) -> pl.Series | None:
    """The column parsed by arrow's ISO-8601 cast, or None when any value needs the slow path.

    The cast is all or nothing and accepts only full timestamps with an offset (``Z``,
    ``+01:00``, ``+0100``, fractions up to microseconds), for which it gives the same instants
    as the polars format and ``datetime.fromisoformat``; a naive or date-only value, an odd form
    or an instant outside Python's datetime range sends the whole column down the exact path.
    """
    try:
        cast = pc.cast(column.to_arrow(), _ARROW_UTC)
    except pa.ArrowException:
        return None
    parsed = pl.Series(column.name, cast)
    physical = parsed.to_physical()
    low, high = physical.min(), physical.max()
    if isinstance(low, int) and isinstance(high, int) and (low < _MIN_US or high > _MAX_US):
        return None
    return parsed


def _finish_timestamps(
    frame: pl.DataFrame, columns: Iterable[str], what: str, key: str
) -> pl.DataFrame:
    """Parse ``columns`` (text) to UTC datetimes, strict about anything unparseable."""
    slow: list[str] = []
    fast: list[pl.Series] = []
    for name in columns:
        parsed = _arrow_timestamps(frame[name])
        if parsed is None:
            slow.append(name)
        else:
            fast.append(parsed)
    if fast:
        frame = frame.with_columns(fast)
    if not slow:
        return frame
    columns = slow
    raw = frame.select(key, *columns)
    frame = frame.with_columns(_timestamps(name) for name in columns)
    for name in columns:
        failed = raw[name].filter(frame[name].is_null() & raw[name].is_not_null())
        if failed.len() == 0:
            continue
        mapping: dict[str, datetime] = {}
        for text in failed.unique(maintain_order=True).to_list():
            try:
                mapping[text] = _parse_timestamp(text)
            except ValueError:
                owner = raw.filter(pl.col(name) == text)[key][0]
                msg = (
                    f"{what} {owner}: {name} has {text!r}, which is not an ISO-8601 "
                    "timestamp such as '2026-06-08T16:08:03+01:00'"
                )
                raise ResponseFormatError(msg, where=f"{what}.{name}") from None
        fixed = raw[name].replace_strict(mapping, default=None, return_dtype=UTC_DT)
        frame = frame.with_columns(pl.coalesce(pl.col(name), fixed).alias(name))
    return frame


# --- parse_info -----------------------------------------------------------------------------

# `errors : "message"` or, escaped, `errors : \"message\"`: the message runs to the closing
# quote of the same kind that is followed by `}`, `,` or `]`, so inner quotes survive.
_ERROR_PAIR = re.compile(
    r"""\\?["']?\b(?:errors?|message)\b\\?["']?\s*:\s*(\\?)"(.*?)\1"\s*(?=[,}\]]|$)""",
    re.IGNORECASE | re.DOTALL,
)
_ESCAPED = re.compile(r"""\\(["'\\])""")
_ERROR_WORDS = re.compile(
    r"\b(error|errors|fail|failed|failure|invalid|not found|required|timed? ?out|timeout|"
    r"exception|unable|denied|refused|missing|rejected|could not|cannot|can't|unauthori[sz]ed|"
    r"forbidden|bounced|undeliverable)\b",
    re.IGNORECASE,
)


def _collect(value: Any, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, str):
        text = value.strip()
        if text:
            out.append(text)
    elif isinstance(value, list):
        for item in value:
            _collect(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, out)
    elif not isinstance(value, bool):
        out.append(str(value))


def _from_json(value: Any, out: list[str], depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(value, str):
        out.extend(parse_info(value) if depth < 3 else [])
    elif isinstance(value, list):
        for item in value:
            _from_json(item, out, depth + 1)
    elif isinstance(value, dict):
        found = False
        for key in ("errors", "error", "exception"):
            if key in value and value[key] not in (None, "", [], {}):
                _collect(value[key], out)
                found = True
        if not found and value.get("message") not in (None, ""):
            _collect(value["message"], out)


def parse_info(info: str | None) -> list[str]:
    r"""Return the error messages carried by a step's ``info`` text.

    Reads proper JSON (``[{"errors": "..."}]``, ``{"errors": {"field": ["..."]}}``,
    ``{"message": "..."}``), the documented not-quite-JSON form
    ``"[{errors : \"the account_uuid field is required\" }]"`` (with its extra quotes), and
    plain text that reads like an error ("Template not found"). Returns ``[]`` for null, empty or
    informational text ("Email queued"). Never raises.

    Parameters
    ----------
    info : str or None
        The step's ``info`` value as the API gave it.

    """
    try:
        return _parse_info(info)
    except Exception:  # the contract: never raise, whatever the text
        return [info.strip()] if isinstance(info, str) and _ERROR_WORDS.search(info) else []


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _parse_info(info: str | None) -> list[str]:
    if not isinstance(info, str):
        return []
    text = info.strip()
    if not text:
        return []
    out: list[str] = []
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    else:
        if isinstance(decoded, str):
            # A JSON string that wraps the real text (the documented example).
            return parse_info(decoded) if decoded.strip() != text else []
        _from_json(decoded, out)
        return _dedupe(out)
    pairs = [_ESCAPED.sub(r"\1", message) for _slash, message in _ERROR_PAIR.findall(text)]
    if pairs:
        return _dedupe(pair.strip() for pair in pairs)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return parse_info(text[1:-1])
    if _ERROR_WORDS.search(text):
        return [text]
    return []


def _errors_column(info: pl.Series) -> pl.Series:
    """``parse_info`` over a column, once per distinct text."""
    uniques = info.drop_nulls().unique()
    parsed = pl.Series([*map(parse_info, uniques.to_list()), []], dtype=pl.List(pl.String))
    # Each text's index among the distinct ones (an enum's codes: no join); null -> the last.
    codes = info.cast(pl.Enum(uniques)).to_physical().fill_null(len(uniques))
    return parsed.gather(codes)


# --- frames ---------------------------------------------------------------------------------


class Frames(NamedTuple):
    """The three frames of one set of payloads."""

    executions: pl.DataFrame
    steps: pl.DataFrame
    accounts: pl.DataFrame


def _select(read: _Read, rows: pl.Series) -> _Read:
    """The executions at ``rows`` (in that order) and their steps."""
    executions, steps = read.executions, read.steps
    counts = executions["step_count"].cast(pl.Int64)
    starts = counts.cum_sum() - counts
    spans = pl.DataFrame({"start": starts.gather(rows), "count": counts.gather(rows)}).with_columns(
        row=pl.int_range(pl.len(), dtype=pl.Int64)
    )
    index = (
        spans.filter(pl.col("count") > 0)
        .select("row", step=pl.int_ranges("start", pl.col("start") + pl.col("count")))
        .explode("step")
    )
    return _Read(
        executions[rows],
        steps[index["step"]].with_columns(row=index["row"]),
        read.locate,
    )


def _steps_from(executions: pl.DataFrame, steps: pl.DataFrame) -> pl.DataFrame:
    """The steps frame's columns, plus ``row`` (the execution's row) for the aggregates."""
    row = steps["row"]
    counts = executions["step_count"].cast(pl.Int64)
    starts = counts.cum_sum() - counts
    steps = steps.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) - starts.gather(row)).alias("position"),
        _errors_column(steps["info"]).alias("errors"),
    )
    # The status rule on each distinct status, not on each of a million steps (0.4 s).
    statuses = steps["status"].drop_nulls().unique()
    failing = pl.DataFrame({"status": statuses}).filter(is_failed("status"))["status"]
    return (
        steps.with_columns(
            failed=pl.col("status").is_in(failing.implode()).fill_null(False)
            | (pl.col("errors").list.len() > 0),
            previous_at=pl.when(pl.col("position") == 0)
            .then(pl.col("execution_created_at"))
            .otherwise(pl.col("executed_at").shift(1)),
        )
        .with_columns(gap=pl.col("executed_at") - pl.col("previous_at"))
        .select(
            pl.col("row").set_sorted(),
            *(pl.col(name).cast(dtype) for name, dtype in STEP_SCHEMA.items()),
        )
        .rechunk()  # the shift leaves two chunks in previous_at and gap
    )


def _executions_from(executions: pl.DataFrame, steps: pl.DataFrame) -> pl.DataFrame:
    """Per-execution aggregates grouped on the integer row, not on the uuid text."""
    # Failures are few: aggregate only the steps that have them (a step with errors has failed).
    failed = (
        steps.filter(pl.col("failed"))
        .group_by("row")
        .agg(
            failed_step_count=pl.len().cast(pl.Int64),
            first_failed_step=pl.col("name").first(),
            errors=pl.col("errors")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .drop_nulls()
            .unique(maintain_order=True),
        )
    )
    account_name = pl.coalesce(
        pl.col("account_name"),
        pl.concat_str(
            pl.col("account_first_name"),
            pl.col("account_last_name"),
            separator=" ",
            ignore_nulls=True,
        ).replace("", None),
    )
    frame = executions.select(
        row=pl.int_range(pl.len(), dtype=pl.Int64),
        execution_uuid=pl.col("uuid"),
        name=pl.col("name"),
        status=pl.col("status"),
        triggered_by=pl.col("triggered_by"),
        created_at=pl.col("created_at"),
        updated_at=pl.col("updated_at"),
        step_count=pl.col("step_count"),
        next_step_name=pl.col("next_step_name"),
        previous_step_name=pl.col("previous_step_name"),
        account_uuid=pl.col("account_uuid"),
        account_name=account_name,
        executed_step_count=pl.col("executed_step_count"),
        first_executed_at=pl.col("first_executed_at"),
        last_executed_at=pl.col("last_executed_at"),
    )
    frame = frame.join(failed, on="row", how="left", maintain_order="left")
    return frame.with_columns(
        pl.col("executed_step_count", "failed_step_count").fill_null(0),
        pl.col("errors").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        span=pl.col("last_executed_at") - pl.col("created_at"),
    ).select([pl.col(name).cast(dtype) for name, dtype in EXECUTION_SCHEMA.items()])


def _frames(read: _Read, *, uuids: Sequence[str] | None, accounts: bool) -> Frames:
    executions = read.executions
    account_rows: pl.Series | None = None
    if uuids is not None:
        # The first copy of each UUID asked for, in the order asked; the rest are dropped.
        first = executions.select("uuid", index=pl.int_range(pl.len(), dtype=pl.Int64)).unique(
            subset="uuid", keep="first"
        )
        wanted = pl.DataFrame({"uuid": list(uuids)}, schema={"uuid": pl.String}).unique(
            maintain_order=True
        )
        account_rows = wanted.join(first, on="uuid", how="inner", maintain_order="left")["index"]
        read = _select(read, account_rows)
    elif executions["uuid"].n_unique() < executions.height:  # the last copy of an execution wins
        keep = executions.select(
            pl.int_range(pl.len(), dtype=pl.Int64).filter(pl.col("uuid").is_last_distinct())
        ).to_series()
        read = _select(read, keep)
    steps = _steps_from(read.executions, read.steps.with_columns(pl.col("row").set_sorted()))
    return Frames(
        _executions_from(read.executions, steps),
        steps.drop("row"),
        _accounts(executions, read.locate, account_rows)
        if accounts
        else pl.DataFrame(schema=ACCOUNT_SCHEMA),
    )


def steps_frame(payloads: Payloads) -> pl.DataFrame:
    """One row per step of the given executions, in response order.

    Parameters
    ----------
    payloads : dict, str, bytes or an iterable of them
        One execution or an iterable of them: decoded JSON objects (what
        :class:`~plannr_nb.PlannrClient` returns) or raw response bodies (``str``/``bytes``),
        bare, wrapped in ``{"data": ...}`` or whole list pages (``{"data": [...], ...}``).

    Returns
    -------
    polars.DataFrame
        Columns ``execution_uuid, position, step_uuid, name, status, info, errors, created_at,
        updated_at, executed_at, previous_at, gap, failed, execution_name, execution_status,
        execution_created_at, execution_updated_at``. ``previous_at`` is the previous
        step's ``executed_at`` (the execution's ``created_at`` for position 0); ``gap`` is
        ``executed_at - previous_at``: the time since the previous step, not a duration of the
        step. ``failed`` is true when the status says so or ``info`` carries errors.

    Raises
    ------
    ResponseFormatError
        When a payload is not an execution, naming what was wrong and where.

    """
    return build_frames(payloads, accounts=False).steps


def executions_frame(payloads: Payloads) -> pl.DataFrame:
    """One row per execution (the last copy wins when a UUID is given twice).

    Parameters
    ----------
    payloads : dict, str, bytes or an iterable of them
        As for :func:`steps_frame`.

    Returns
    -------
    polars.DataFrame
        Columns ``execution_uuid, name, status, triggered_by, created_at, updated_at,
        step_count, failed_step_count, first_executed_at, last_executed_at, next_step_name,
        previous_step_name, account_uuid, account_name, executed_step_count, span,
        first_failed_step, errors``. Timestamps are UTC; ``span`` runs from creation to the
        last executed step.

    Raises
    ------
    ResponseFormatError
        When a payload is not an execution, naming what was wrong and where.

    """
    return build_frames(payloads, accounts=False).executions


def build_frames(payloads: Payloads, *, accounts: bool = True) -> Frames:
    """Executions, steps and (optionally) accounts frames from one reading of ``payloads``.

    Cheaper than calling :func:`executions_frame`, :func:`steps_frame` and
    :func:`accounts_frame` one after the other, which read the payloads once each.

    Parameters
    ----------
    payloads : dict, str, bytes, an iterable of them, or FetchResult
        As for :func:`steps_frame`, or a :class:`~plannr_nb.FetchResult`: its frames are then
        read from the response bodies the API sent (no dict is serialised again), holding
        exactly its ``executions``, in their order.
    accounts : bool, default True
        ``False`` leaves the accounts frame empty.

    Returns
    -------
    Frames
        ``(executions, steps, accounts)``.

    Raises
    ------
    ResponseFormatError
        When a payload is not an execution, naming what was wrong and where.

    """
    client = sys.modules.get("plannr_nb._core")  # no FetchResult exists before it is imported
    if client is not None and isinstance(payloads, client.FetchResult):
        # The bytes the API sent, read once: the fetched dicts are never serialised again.
        uuids = [str(execution["uuid"]) for execution in payloads.executions]
        return frames_from_bodies(payloads.bodies, uuids=uuids, accounts=accounts)
    return _frames(_read(payloads), uuids=None, accounts=accounts)


def frames_from_bodies(
    bodies: Sequence[bytes], *, uuids: Sequence[str] | None = None, accounts: bool = True
) -> Frames:
    """Frames straight from the response bodies the API sent (for the client).

    ``bodies`` may mix list pages (``{"data": [...], "links": ..., "meta": ...}``) and single
    bodies (``{"data": {...}}`` or bare). With ``uuids``, the frames hold exactly those
    executions that were found, in that order, the first copy of each (UUIDs are compared as
    given: pass them in the API's canonical lower-case form), and the accounts of those.
    Without, they are what :func:`build_frames` gives for the same bodies.
    """
    bodies = list(bodies)
    read = None if _CHECKED_ONLY else _read_bodies(bodies)
    if read is None:
        read = _read_checked(bodies)
    return _frames(read, uuids=uuids, accounts=accounts)


def _read_bodies(bodies: list[Any]) -> _Read | None:
    """Pages and single bodies, each kind read as one group; rows in the bodies' order."""
    if not bodies:
        return _empty_read()
    try:
        is_page = [_is_page(body) for body in bodies]
    except TypeError:
        return None
    order = [i for i, page in enumerate(is_page) if page]
    pages = len(order)
    order += [i for i, page in enumerate(is_page) if not page]
    grouped = [bodies[i] for i in order]
    groups = [
        (part, page, base)
        for part, page, base in ((grouped[:pages], True, 0), (grouped[pages:], False, pages))
        if part
    ]
    try:
        tables = [_read_group(part, page) for part, page, _ in groups]
    except (_Unsound, TypeError):
        return None
    executions, steps = [], []
    rows = 0
    for (_bodies, _page, base), (group_executions, group_steps) in zip(groups, tables, strict=True):
        executions.append(group_executions.with_columns(pl.col("body") + base))
        steps.append(group_steps.with_columns(pl.col("row") + rows))
        rows += group_executions.height
    read = _Read(pl.concat(executions), pl.concat(steps), _body_locator(bodies))
    origin = pl.Series(order, dtype=pl.Int64).gather(read.executions["body"])
    read = read._replace(executions=read.executions.with_columns(body=origin))
    if not origin.is_sorted():  # pages were read first: back to the given order
        order_frame = pl.DataFrame({"origin": origin}).with_row_index()
        read = _select(read, order_frame.sort("origin", maintain_order=True)["index"])
    return read


# --- accounts -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^App\\(?:Http\\)?(?:Resources|Models)\\\w+$")
_READABLE_KEYS = ("name", "title", "label", "email", "number", "value", "address", "uuid")


def _readable(value: Any) -> str | None:
    """A relation field reduced to something a person can read."""
    if value is None:
        return None
    if isinstance(value, str):
        # The placeholder test only where one could be: an account has dozens of texts.
        if not value or ("App\\" in value and _PLACEHOLDER.match(value.strip())):
            return None
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        if value.get("full_name"):
            return str(value["full_name"])
        for key in _READABLE_KEYS:
            if value.get(key) not in (None, ""):
                return _readable(value[key])
        return None
    if isinstance(value, list):
        parts = [part for part in (_readable(item) for item in value) if part]
        return ", ".join(parts) or None
    return str(value)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no", ""}:
            return False
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = value if isinstance(value, int) else int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if -(2**63) <= number < 2**63 else None


def _as_text(value: Any) -> str | None:
    readable = _readable(value)
    return readable


def _as_datetime(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        msg = f"{where} is {_kind(value)}; expected an ISO-8601 timestamp"
        raise ResponseFormatError(msg, where=where)
    if _PLACEHOLDER.match(value):
        return None
    try:
        return _parse_timestamp(value)
    except ValueError:
        msg = f"{where} has {value!r}, which is not an ISO-8601 timestamp"
        raise ResponseFormatError(msg, where=where) from None


def _as_date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        msg = f"{where} is {_kind(value)}; expected a date"
        raise ResponseFormatError(msg, where=where)
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        # The calendar date the API wrote, in the offset it wrote it in.
        parsed = datetime.fromisoformat(text)
        return parsed.date()
    except ValueError:
        msg = f"{where} has {value!r}, which is not a date"
        raise ResponseFormatError(msg, where=where) from None


def _account_row(account: dict[str, Any], where: str) -> dict[str, Any]:
    row: dict[str, Any] = {"account_uuid": _as_text(account.get("uuid"))}
    for name in ACCOUNT_TEXT[1:]:
        row[name] = _as_text(account.get(name))
    if row["name"] is None:
        full = " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        row["name"] = full or None
    for name in ACCOUNT_DATETIMES:
        row[name] = _as_datetime(account.get(name), f"{where}.{name}")
    for name in ACCOUNT_DATES:
        row[name] = _as_date(account.get(name), f"{where}.{name}")
    for name in ACCOUNT_RELATIONS:
        row[name] = _readable(account.get(name))
    row["with_login"] = _as_bool(account.get("with_login"))
    row["has_joint_account"] = _as_bool(account.get("has_joint_account"))
    row["can_be_deleted"] = _as_bool(account.get("can_be_deleted"))
    row["ownership_percentage"] = _as_int(account.get("ownership_percentage"))
    row["referral_code"] = _as_text(account.get("referral_code"))
    row["photo_url"] = _as_text(account.get("photo_url"))
    return row


def _accounts(
    executions: pl.DataFrame, locate: Callable[[int, int], tuple[Any, str]], rows: pl.Series | None
) -> pl.DataFrame:
    """One row per distinct account: only the last body carrying each account is decoded."""
    candidates = executions.select(
        "account_uuid", "body", index=pl.int_range(pl.len(), dtype=pl.Int64)
    )
    if rows is not None:
        candidates = candidates[rows]
    last = candidates.filter(
        pl.col("account_uuid").is_not_null()
        & (pl.col("account_uuid") != "")
        & pl.col("account_uuid").is_last_distinct()
    )
    # The item within its body: rows of one body are consecutive and bodies ascend.
    first_of_body = executions["body"].search_sorted(last["body"], side="left")
    out: dict[str, dict[str, Any]] = {}
    for body, index, first in zip(
        last["body"].to_list(), last["index"].to_list(), first_of_body.to_list(), strict=True
    ):
        obj, where = locate(body, index - first)
        account = obj.get("account")
        row = _account_row(account, f"{where}.account")
        if row["account_uuid"] is None:
            continue
        out.pop(row["account_uuid"], None)
        out[row["account_uuid"]] = row
    return pl.DataFrame(list(out.values()), schema=ACCOUNT_SCHEMA)


def accounts_frame(payloads: Payloads) -> pl.DataFrame:
    r"""One row per distinct account among the executions (those fetched with the account).

    Relation fields (``firm``, ``assigned_adviser``, ``tags``, ...) are reduced to a readable
    value: an object's name (or uuid), a list's names joined with ", ". The API documentation's
    placeholders such as ``App\Http\Resources\FirmResource`` are not data and become null.
    Timestamps (the ``*_at`` fields) are UTC datetimes; a time without an offset is read as UK
    local time. The ``*_date`` fields and ``inactive_at`` are dates: the calendar date as the
    API wrote it, in its own offset (a review due on 8 June stays 8 June in every zone). The
    last copy of an account wins.

    Parameters
    ----------
    payloads : dict, str, bytes or an iterable of them
        As for :func:`steps_frame`.

    Raises
    ------
    ResponseFormatError
        When a payload is not an execution, naming what was wrong and where.

    """
    return build_frames(payloads).accounts
