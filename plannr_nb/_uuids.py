"""UUID validation and normalisation: nothing reaches a URL unvalidated."""

from __future__ import annotations

import re
import uuid as uuid_module
from dataclasses import dataclass

from ._errors import InvalidUUIDError

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_QUOTES = ('"', "'", "`")
# Loose finder for free text (app URLs, pasted lists): a UUID not glued to other hex.
_FIND = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])"
)
_SPLIT = re.compile(r"[\s,;]+")


def _unwrap(text: str, left: str, right: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == left and text[-1] == right:
        return text[1:-1].strip()
    return text


def normalize_uuid(value: object) -> str:
    """Return ``value`` as a canonical lower-case UUID, or raise :class:`InvalidUUIDError`.

    Accepted around the 36 characters: white space, a pair of quotes, a pair of braces, a
    ``urn:uuid:`` prefix, and upper case. Anything else (empty text, 32 digits without hyphens,
    paths, SQL, a character too few) is refused before any request is made.
    """
    if isinstance(value, uuid_module.UUID):
        return str(value)
    if not isinstance(value, str):
        raise InvalidUUIDError.from_value(value)
    text = value.strip()
    for quote in _QUOTES:
        text = _unwrap(text, quote, quote)
    text = _unwrap(text, "{", "}")
    if text[:9].lower() == "urn:uuid:":
        text = text[9:]
    text = _unwrap(text, "{", "}").lower()
    if _CANONICAL.fullmatch(text):
        return text
    raise InvalidUUIDError.from_value(value)


@dataclass(frozen=True, slots=True)
class UUIDEntry:
    """One entry of pasted text: what was typed, and its UUID or the reason it is not one."""

    text: str
    uuid: str | None
    error: InvalidUUIDError | None


def parse_uuid_text(text: str) -> list[UUIDEntry]:
    """Split pasted text (lines, commas, spaces, app URLs) into entries, each checked.

    An entry that contains a UUID somewhere (a Plannr app URL, ``{...}``) yields it; any other
    entry yields an :class:`InvalidUUIDError`. Order is kept; duplicates are kept too.
    """
    entries: list[UUIDEntry] = []
    for raw in _SPLIT.split(text):
        piece = raw.strip()
        if not piece:
            continue
        try:
            entries.append(UUIDEntry(piece, normalize_uuid(piece), None))
            continue
        except InvalidUUIDError as exc:
            error = exc
        found = _FIND.findall(piece)
        if len(found) > 1:
            # An app link naming a blueprint and an execution: the execution is the one wanted.
            after = re.findall(r"executions?/(" + _FIND.pattern + ")", piece, re.I)
            found = after[:1] if len(after) == 1 else found
        if len(found) == 1:
            entries.append(UUIDEntry(piece, found[0].lower(), None))
        else:
            entries.append(UUIDEntry(piece, None, error))
    return entries
