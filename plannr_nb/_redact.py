"""Masking personal data in frames, consistently, so a report can leave the firm."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import overload

import polars as pl

__all__ = ["PERSONAL_COLUMNS", "TEXT_COLUMNS", "Redactor", "redact"]

#: Columns whose whole value is personal data: kind of pseudonym to use.
PERSONAL_COLUMNS: dict[str, str] = {
    "name": "person",  # only in an accounts frame (see _is_accounts)
    "account_name": "person",
    "first_name": "first",
    "last_name": "last",
    "email": "email",
    "primary_email": "email",
    "primary_phone_number": "phone",
    "photo_url": "url",
    "referral_code": "code",
    "assigned_adviser": "person",
    "assigned_administrator": "person",
    "assigned_paraplanner": "person",
    "introduced_by": "person",
    "owners": "person",
    # Circles are households, named after the family ("Osei family").
    "circles": "group",
    "joint_account_circle": "group",
}
#: Free-text columns searched for personal data inside them.
TEXT_COLUMNS = ("info", "errors", "first_failed_step")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# UK numbers: +44 / 0 then 9-10 digits, with spaces, dashes or brackets in between.
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|\(?0)(?:\d[\s\-()]?){8,10}\d(?!\w)")
_NAMED_EMAIL = re.compile(
    r"\b([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,3})\s*[<(\[\u2039]\s*"
    r"([A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})\s*[>)\]\u203a]"
)
_NI_NUMBER = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_DOB = re.compile(r"\b(?:date of birth|dob|born)\b[:\s]*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", re.I)


class Redactor:
    """Replaces personal data with pseudonyms; the same value always gets the same pseudonym.

    Use one redactor for every frame of a report, so "Person 3" in the steps table is "Person 3"
    in the accounts table too::

        redactor = Redactor()
        executions, steps, accounts = redactor.redact(executions, steps, accounts)

    Names seen in personal columns are also masked wherever they appear inside free text
    (``info``, ``errors``), as are e-mail addresses, UK phone numbers, National Insurance
    numbers, postcodes and dates of birth.
    """

    def __init__(self) -> None:
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._counters: dict[str, int] = {}
        self._names: dict[str, str] = {}

    def pseudonym(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` as a ``kind`` (person, email, phone, ...)."""
        key = (kind, value.strip().lower())
        found = self._pseudonyms.get(key)
        if found is not None:
            return found
        number = self._counters.get(kind, 0) + 1
        self._counters[kind] = number
        if kind == "email":
            made = f"person{number}@redacted.invalid"
        elif kind == "phone":
            # Not a number: a pseudonym must never be somebody else's real phone.
            made = f"[phone {number}]"
        elif kind == "group":
            made = f"Group {number}"
        elif kind == "url":
            made = f"https://redacted.invalid/{number}"
        elif kind == "code":
            made = "REDACTED" + hashlib.sha256(value.encode()).hexdigest()[:4].upper()
        elif kind == "first":
            made = f"First{number}"
        elif kind == "last":
            made = f"Last{number}"
        else:
            made = f"Person {number}"
        self._pseudonyms[key] = made
        return made

    def _learn(self, frame: pl.DataFrame) -> None:
        for column, kind in self._personal(frame).items():
            if kind not in {"person", "first", "last", "group"}:
                continue
            for value in frame[column].drop_nulls().unique(maintain_order=True).to_list():
                for part in str(value).split(", "):
                    if len(part.strip()) >= 3:
                        self._names[part.strip().lower()] = self.pseudonym(kind, part)

    def _personal(self, frame: pl.DataFrame) -> dict[str, str]:
        accounts = "account_uuid" in frame.columns and "email" in frame.columns
        return {
            column: kind
            for column, kind in PERSONAL_COLUMNS.items()
            if column in frame.columns
            and frame.schema[column] == pl.String
            and (column != "name" or accounts)
        }

    def text(self, value: str) -> str:
        """Mask personal data inside free text."""
        # "Jane Doe <jane@example.com>": the name before an address is that person's.
        out = _NAMED_EMAIL.sub(
            lambda m: f"{self.pseudonym('person', m.group(1))} <{m.group(2)}>", value
        )
        out = _EMAIL.sub(lambda m: self.pseudonym("email", m.group(0)), out)
        out = _PHONE.sub(lambda m: self.pseudonym("phone", re.sub(r"\D", "", m.group(0))), out)
        out = _NI_NUMBER.sub("[NI number]", out)
        out = _DOB.sub("[date of birth]", out)
        out = _POSTCODE.sub("[postcode]", out)
        for name in sorted(self._names, key=len, reverse=True):
            out = re.sub(rf"\b{re.escape(name)}\b", self._names[name], out, flags=re.I)
        return out

    def _apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        updates: list[pl.Series] = []
        for column, kind in self._personal(frame).items():
            series = frame[column]
            mapping = {
                value: ", ".join(self.pseudonym(kind, part) for part in value.split(", "))
                if kind == "person"
                else self.pseudonym(kind, value)
                for value in series.drop_nulls().unique().to_list()
            }
            updates.append(series.replace_strict(mapping, default=None, return_dtype=pl.String))
        for column in TEXT_COLUMNS:
            if column not in frame.columns:
                continue
            series = frame[column]
            if series.dtype == pl.String:
                mapping = {v: self.text(v) for v in series.drop_nulls().unique().to_list()}
                updates.append(series.replace_strict(mapping, default=None, return_dtype=pl.String))
            elif series.dtype == pl.List(pl.String):
                updates.append(
                    pl.Series(
                        column,
                        [
                            None if items is None else [self.text(item) for item in items]
                            for items in series.to_list()
                        ],
                        dtype=pl.List(pl.String),
                    )
                )
        return frame.with_columns(updates) if updates else frame

    @overload
    def redact(self, frame: pl.DataFrame, /) -> pl.DataFrame: ...
    @overload
    def redact(
        self, frame: pl.DataFrame, second: pl.DataFrame, /, *more: pl.DataFrame
    ) -> tuple[pl.DataFrame, ...]: ...
    def redact(self, *frames: pl.DataFrame) -> pl.DataFrame | tuple[pl.DataFrame, ...]:
        """Masked copies of the frames (one frame in, one out; several in, a tuple out)."""
        for frame in frames:
            self._learn(frame)
        masked = tuple(self._apply(frame) for frame in frames)
        return masked[0] if len(masked) == 1 else masked


def redact(frame: pl.DataFrame, *, redactor: Redactor | None = None) -> pl.DataFrame:
    """Return a copy of ``frame`` with personal data masked.

    Account names, e-mails, phone numbers, photo URLs, referral codes and the people in
    relation fields become pseudonyms ("Person 1", "person1@redacted.invalid", ...); inside
    ``info`` and ``errors`` texts, e-mails, UK phone numbers, National Insurance numbers,
    postcodes, dates of birth and any name seen in the frame are masked too. Pass the same
    ``redactor`` for every frame of one report so a person keeps one pseudonym throughout.
    The input frame is not changed.

    Parameters
    ----------
    frame:
        An executions, steps or accounts frame (any frame with those columns).
    redactor:
        A :class:`Redactor` shared across frames; a new one when omitted.

    """
    return (redactor or Redactor()).redact(frame)


def redact_all(frames: Iterable[pl.DataFrame]) -> list[pl.DataFrame]:
    """Redact several frames with one shared redactor."""
    items = list(frames)
    if not items:
        return []
    redactor = Redactor()
    for frame in items:
        redactor._learn(frame)
    return [redactor._apply(frame) for frame in items]
