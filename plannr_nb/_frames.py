"""Execution responses to polars frames.

One fast path for every input: each execution becomes one line of JSON, pyarrow reads the lines
with an explicit, projected schema (no inference, unknown fields skipped), a slice of the input
at a time, and polars derives the frames. Timestamps are read as text and cast by arrow (a column
at a time, all or nothing: only full timestamps with an offset); a column it refuses is parsed in
polars with one strict ISO-8601 format, and the few values that do not fit that either (no
offset, date only) are parsed one by one in Python, so nothing is silently lost. Input that
pyarrow rejects is checked and repaired in Python, which either yields the same lines in
canonical form or raises :class:`ResponseFormatError` saying what and where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, TypeAlias
from zoneinfo import ZoneInfo

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from ._config import FAILED_STATUSES, NAIVE_TIMESTAMP_ZONE
from ._errors import ResponseFormatError

__all__ = [
    "ACCOUNT_SCHEMA",
    "EXECUTION_SCHEMA",
    "STEP_SCHEMA",
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

UTC_DT = pl.Datetime("us", "UTC")

# The contract columns first, in its order; what users also need after them.
STEP_SCHEMA: dict[str, pl.DataType] = {
    "execution_uuid": pl.String(),
    "position": pl.Int64(),
    "step_uuid": pl.String(),
    "name": pl.String(),
    "status": pl.String(),
    "info": pl.String(),
    "errors": pl.List(pl.String()),
    "created_at": UTC_DT,
    "updated_at": UTC_DT,
    "executed_at": UTC_DT,
    "previous_at": UTC_DT,
    "gap": pl.Duration("us"),
    "failed": pl.Boolean(),
    "execution_name": pl.String(),
    "execution_status": pl.String(),
    "execution_created_at": UTC_DT,
    "execution_updated_at": UTC_DT,
}

EXECUTION_SCHEMA: dict[str, pl.DataType] = {
    "execution_uuid": pl.String(),
    "name": pl.String(),
    "status": pl.String(),
    "triggered_by": pl.String(),
    "created_at": UTC_DT,
    "updated_at": UTC_DT,
    "step_count": pl.Int64(),
    "failed_step_count": pl.Int64(),
    "first_executed_at": UTC_DT,
    "last_executed_at": UTC_DT,
    "next_step_name": pl.String(),
    "previous_step_name": pl.String(),
    "account_uuid": pl.String(),
    "account_name": pl.String(),
    "executed_step_count": pl.Int64(),
    "span": pl.Duration("us"),
    "first_failed_step": pl.String(),
    "errors": pl.List(pl.String()),
}

_ACCOUNT_TEXT = ("uuid", "name", "first_name", "last_name", "email", "type", "role")
_ACCOUNT_DATETIMES = (
    "created_at",
    "updated_at",
    "terms_of_business_at",
    "client_agreement_at",
    "last_interaction_at",
)
# The *_date fields are calendar dates (a review is due on a day) that the API writes as
# timestamps, at local midnight in real data ("2026-06-08T00:00:00+01:00"): in UTC that is the
# evening before. They are dates, read as written in their own offset; inactive_at is
# documented as a date alone.
_ACCOUNT_DATES = (
    "first_contact_date",
    "next_review_date",
    "previous_review_date",
    "anniversary_review_date",
    "inactive_at",
)
_ACCOUNT_RELATIONS = (
    "firm",
    "primary_phone_number",
    "primary_email",
    "assigned_adviser",
    "assigned_administrator",
    "assigned_paraplanner",
    "introduced_by",
    "business_unit",
    "groups",
    "tags",
    "owners",
    "circles",
    "joint_account_circle",
)

ACCOUNT_SCHEMA: dict[str, pl.DataType] = {
    "account_uuid": pl.String(),
    **{name: pl.String() for name in _ACCOUNT_TEXT[1:]},
    **{name: UTC_DT for name in _ACCOUNT_DATETIMES},
    **{name: pl.Date() for name in _ACCOUNT_DATES},
    **{name: pl.String() for name in _ACCOUNT_RELATIONS},
    "with_login": pl.Boolean(),
    "has_joint_account": pl.Boolean(),
    "can_be_deleted": pl.Boolean(),
    "ownership_percentage": pl.Int64(),
    "referral_code": pl.String(),
    "photo_url": pl.String(),
}

# --- reading: payloads -> canonical JSON lines -> arrow ---------------------------------------

_STEP_FIELDS = ("uuid", "created_at", "updated_at", "executed_at", "status", "info", "name")
_STEP_TIMES = ("created_at", "updated_at", "executed_at")
_EXEC_TEXT = ("uuid", "created_at", "updated_at", "status", "triggered_by", "name")
_ARROW_STEP = pa.struct([(name, pa.string()) for name in _STEP_FIELDS])
_ARROW_EXEC_FIELDS: list[tuple[str, pa.DataType]] = [
    *((name, pa.string()) for name in _EXEC_TEXT),
    ("steps", pa.list_(_ARROW_STEP)),
    ("next_step", _ARROW_STEP),
    ("previous_step", _ARROW_STEP),
    (
        "account",
        pa.struct([(name, pa.string()) for name in ("uuid", "name", "first_name", "last_name")]),
    ),
]
_ARROW_SCHEMA = pa.schema([*_ARROW_EXEC_FIELDS, ("data", pa.struct(_ARROW_EXEC_FIELDS))])
_PARSE = pa_json.ParseOptions(explicit_schema=_ARROW_SCHEMA, unexpected_field_behavior="ignore")
_PARSE_MULTILINE = pa_json.ParseOptions(
    explicit_schema=_ARROW_SCHEMA, unexpected_field_behavior="ignore", newlines_in_values=True
)
# Arrow parses the blocks of one read in parallel; a read is a slice of the input of about
# _CHUNK_BYTES (see _read_table).
_BLOCK_BYTES = 1 << 22
_CHUNK_BYTES = 1 << 25


def _read_options(block_size: int) -> pa_json.ReadOptions:
    return pa_json.ReadOptions(block_size=block_size, use_threads=True)


_READ = _read_options(_BLOCK_BYTES)


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


def _to_lines(payloads: Payloads) -> tuple[list[bytes], bool]:
    """Each payload as one JSON text; whether any spans several lines."""
    lines: list[bytes] = []
    multiline = False
    for index, payload in enumerate(_iter_payloads(payloads)):
        if isinstance(payload, bytes):
            body = payload
        elif isinstance(payload, str):
            body = payload.encode()
        elif isinstance(payload, bytearray | memoryview):
            body = bytes(payload)
        elif isinstance(payload, Mapping):
            try:
                body = orjson.dumps(payload, default=str)
            except TypeError:
                try:  # integers beyond 64 bits: the stdlib writes them, arrow reads them
                    body = json.dumps(payload, default=str).encode()
                except (TypeError, ValueError) as exc:
                    msg = f"payloads[{index}] cannot be read as JSON: {exc}"
                    raise ResponseFormatError(msg, where=f"payloads[{index}]") from None
        else:
            msg = (
                f"payloads[{index}] is {_kind(payload)}; expected an execution "
                "object (dict) or a JSON response body (str or bytes)"
            )
            raise ResponseFormatError(msg, where=f"payloads[{index}]")
        body = body.strip().removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
        if not body.startswith(b"{"):
            # Not an object: let the checker say what it is, precisely.
            return _repair(_iter_payloads(payloads)), False
        if b"\n" in body or b"\r" in body:
            multiline = True
        lines.append(body)
    return lines, multiline


def _read_table(lines: list[bytes], multiline: bool) -> pa.Table:
    """Arrow reads the lines in slices of about ``_CHUNK_BYTES``.

    Joining a slice at a time bounds the extra copy of the input to one slice, and
    ``pa.BufferReader`` hands the joined bytes to arrow without a second copy.
    """
    if not lines:  # e.g. only ``{"data": []}``: no executions at all
        return _ARROW_SCHEMA.empty_table()
    options = _PARSE_MULTILINE if multiline else _PARSE
    tables: list[pa.Table] = []
    start = size = longest = 0
    for stop, line in enumerate(lines, 1):
        size += len(line) + 1
        longest = max(longest, len(line))
        if size >= _CHUNK_BYTES or stop == len(lines):
            data = b"\n".join(lines[start:stop])
            # A line may not straddle more than two blocks: blocks at least as long as any line.
            read = _READ if longest < _BLOCK_BYTES else _read_options(longest + 2)
            tables.append(
                pa_json.read_json(pa.BufferReader(data), read_options=read, parse_options=options)
            )
            start, size, longest = stop, 0, 0
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def _load_table(payloads: Payloads) -> pa.Table:
    if isinstance(payloads, Iterator):
        payloads = list(payloads)  # read twice when repair is needed
    lines, multiline = _to_lines(payloads)
    if not lines:
        return _ARROW_SCHEMA.empty_table()
    try:
        table = _read_table(lines, multiline)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        table = None
    if table is not None and _table_is_sound(table):
        return table
    return _read_table(_repair(_iter_payloads(payloads)), False)


def _table_is_sound(table: pa.Table) -> bool:
    """Every row has a non-empty uuid and only step objects, directly or under ``data``."""
    frame = pl.from_arrow(table.select(["uuid", "steps", "data"]))
    assert isinstance(frame, pl.DataFrame)
    wrapped = pl.col("data").is_not_null() & pl.col("uuid").is_null()
    uuid = pl.when(wrapped).then(pl.col("data").struct.field("uuid")).otherwise(pl.col("uuid"))
    steps = pl.when(wrapped).then(pl.col("data").struct.field("steps")).otherwise(pl.col("steps"))
    bad = (
        uuid.is_null()
        | (uuid == "")
        | steps.list.eval(pl.element().is_null()).list.any().fill_null(False)
    )
    return not bool(frame.select(bad.any()).item())


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
        value = obj.get(name)
        clean[name] = None if value in (None, [], {}) else _clean_step(value, f"{where}.{name}")
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


def _repair(payloads: Iterable[Payload]) -> list[bytes]:
    return [
        orjson.dumps(_clean_execution(obj, where)) for obj, where in _decoded_executions(payloads)
    ]


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
    info:
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
    lookup = pl.DataFrame(
        {
            "info": uniques,
            "errors": pl.Series(
                [parse_info(v) for v in uniques.to_list()], dtype=pl.List(pl.String)
            ),
        },
        schema={"info": pl.String, "errors": pl.List(pl.String)},
    )
    joined = pl.DataFrame({"info": info}).join(lookup, on="info", how="left", maintain_order="left")
    return joined["errors"].fill_null(pl.lit([], dtype=pl.List(pl.String)))


# --- frames ---------------------------------------------------------------------------------


class Frames(NamedTuple):
    """The three frames of one set of payloads."""

    executions: pl.DataFrame
    steps: pl.DataFrame
    accounts: pl.DataFrame


def _executions_table(payloads: Payloads) -> pl.DataFrame:
    table = _load_table(payloads)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.height and frame["data"].null_count() < frame.height:
        # {"data": {...}} is a wrapper only around a body that has no uuid of its own.
        wrapped = pl.col("data").is_not_null() & pl.col("uuid").is_null()
        frame = frame.with_columns(
            pl.when(wrapped).then(pl.col("data").struct.field(name)).otherwise(pl.col(name))
            for name, _ in _ARROW_EXEC_FIELDS
        )
    frame = frame.drop("data")
    if frame["uuid"].n_unique() < frame.height:  # the last copy of an execution wins
        frame = frame.unique(subset="uuid", keep="last", maintain_order=True)
    return _finish_timestamps(frame, ("created_at", "updated_at"), "execution", "uuid")


def _steps_from(table: pl.DataFrame) -> pl.DataFrame:
    exploded = (
        table.select(
            execution_uuid=pl.col("uuid"),
            execution_name=pl.col("name"),
            execution_status=pl.col("status"),
            execution_created_at=pl.col("created_at"),
            execution_updated_at=pl.col("updated_at"),
            steps=pl.col("steps"),
            position=pl.int_ranges(pl.col("steps").list.len(), dtype=pl.Int64),
        )
        .filter(pl.col("steps").list.len() > 0)
        .explode("steps", "position")
        .unnest("steps")
        .rename({"uuid": "step_uuid"})
    )
    exploded = _finish_timestamps(exploded, _STEP_TIMES, "a step of execution", "execution_uuid")
    errors = _errors_column(exploded["info"])
    status = pl.col("status").str.to_lowercase()
    return (
        exploded.with_columns(
            errors=errors,
            failed=status.is_in(list(FAILED_STATUSES)).fill_null(False) | (errors.list.len() > 0),
            previous_at=pl.when(pl.col("position") == 0)
            .then(pl.col("execution_created_at"))
            .otherwise(pl.col("executed_at").shift(1)),
        )
        .with_columns(gap=pl.col("executed_at") - pl.col("previous_at"))
        .select([pl.col(name).cast(dtype) for name, dtype in STEP_SCHEMA.items()])
    )


def _executions_from(table: pl.DataFrame, steps: pl.DataFrame) -> pl.DataFrame:
    per_execution = steps.group_by("execution_uuid").agg(
        executed_step_count=pl.col("executed_at").is_not_null().sum().cast(pl.Int64),
        failed_step_count=pl.col("failed").sum().cast(pl.Int64),
        first_executed_at=pl.col("executed_at").min(),
        last_executed_at=pl.col("executed_at").max(),
        first_failed_step=pl.col("name").filter(pl.col("failed")).first(),
        errors=pl.col("errors")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .drop_nulls()
        .unique(maintain_order=True),
    )
    account_name = pl.coalesce(
        pl.col("account").struct.field("name"),
        pl.concat_str(
            pl.col("account").struct.field("first_name"),
            pl.col("account").struct.field("last_name"),
            separator=" ",
            ignore_nulls=True,
        ).replace("", None),
    )
    frame = table.select(
        execution_uuid=pl.col("uuid"),
        name=pl.col("name"),
        status=pl.col("status"),
        triggered_by=pl.col("triggered_by"),
        created_at=pl.col("created_at"),
        updated_at=pl.col("updated_at"),
        step_count=pl.col("steps").list.len().fill_null(0).cast(pl.Int64),
        next_step_name=pl.col("next_step").struct.field("name"),
        previous_step_name=pl.col("previous_step").struct.field("name"),
        account_uuid=pl.col("account").struct.field("uuid"),
        account_name=account_name,
    ).join(per_execution, on="execution_uuid", how="left", maintain_order="left")
    return frame.with_columns(
        pl.col("executed_step_count", "failed_step_count").fill_null(0),
        pl.col("errors").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        span=pl.col("last_executed_at") - pl.col("created_at"),
    ).select([pl.col(name).cast(dtype) for name, dtype in EXECUTION_SCHEMA.items()])


def steps_frame(payloads: Payloads) -> pl.DataFrame:
    """One row per step of the given executions, in response order.

    Parameters
    ----------
    payloads:
        One execution or an iterable of them: decoded JSON objects (what
        :class:`~plannr_nb.PlannrClient` returns) or raw response bodies (``str``/``bytes``),
        bare or wrapped in ``{"data": ...}``.

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
    return _steps_from(_executions_table(payloads))


def executions_frame(payloads: Payloads) -> pl.DataFrame:
    """One row per execution (the last copy wins when a UUID is given twice).

    Parameters
    ----------
    payloads:
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

    Cheaper than calling :func:`executions_frame` and :func:`steps_frame` one after the other,
    which read the payloads twice. ``accounts=False`` leaves the accounts frame empty.
    """
    if isinstance(payloads, Iterator):
        payloads = list(payloads)
    table = _executions_table(payloads)
    steps = _steps_from(table)
    executions = _executions_from(table, steps)
    return Frames(
        executions,
        steps,
        accounts_frame(payloads) if accounts else pl.DataFrame(schema=ACCOUNT_SCHEMA),
    )


# --- accounts -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^App\\(?:Http\\)?(?:Resources|Models)\\\w+$")
_READABLE_KEYS = ("name", "title", "label", "email", "number", "value", "address", "uuid")


def _readable(value: Any) -> str | None:
    """A relation field reduced to something a person can read."""
    if value is None or value in ("", [], {}):
        return None
    if isinstance(value, str):
        return None if _PLACEHOLDER.match(value.strip()) else value
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
    for name in _ACCOUNT_TEXT[1:]:
        row[name] = _as_text(account.get(name))
    if row["name"] is None:
        full = " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        row["name"] = full or None
    for name in _ACCOUNT_DATETIMES:
        row[name] = _as_datetime(account.get(name), f"{where}.{name}")
    for name in _ACCOUNT_DATES:
        row[name] = _as_date(account.get(name), f"{where}.{name}")
    for name in _ACCOUNT_RELATIONS:
        row[name] = _readable(account.get(name))
    row["with_login"] = _as_bool(account.get("with_login"))
    row["has_joint_account"] = _as_bool(account.get("has_joint_account"))
    row["can_be_deleted"] = _as_bool(account.get("can_be_deleted"))
    row["ownership_percentage"] = _as_int(account.get("ownership_percentage"))
    row["referral_code"] = _as_text(account.get("referral_code"))
    row["photo_url"] = _as_text(account.get("photo_url"))
    return row


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
    payloads:
        As for :func:`steps_frame`.

    Raises
    ------
    ResponseFormatError
        When a payload is not an execution, naming what was wrong and where.

    """
    rows: dict[str, dict[str, Any]] = {}
    for obj, where in _decoded_executions(_iter_payloads(payloads)):
        _clean_execution(obj, where)  # the same checks, and errors, as the other frames
        account = obj.get("account")
        if not isinstance(account, dict) or not account:
            continue
        row = _account_row(account, f"{where}.account")
        if row["account_uuid"] is None:
            continue
        rows.pop(row["account_uuid"], None)
        rows[row["account_uuid"]] = row
    return pl.DataFrame(list(rows.values()), schema=ACCOUNT_SCHEMA)
