"""UUID validation and normalisation: the one parser for every UUID a user gives us.

Nothing reaches a URL unvalidated. The accepted forms are the same everywhere (client methods,
``explain``, the explorer, notebook parameters, ``plannr-nb report --uuid``).
"""

from __future__ import annotations

import re
import uuid as uuid_module
from dataclasses import dataclass
from typing import Final, Literal

from ._errors import InvalidUUIDError

__all__ = ["UUIDEntry", "UUIDKind", "normalize_uuid", "parse_uuid_text"]

#: What a UUID names, for the wording of errors and for picking one out of an app link.
UUIDKind = Literal["execution", "blueprint"]

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BARE_HEX = re.compile(r"[0-9a-f]{32}")
_QUOTES = ('"', "'", "`")
# A UUID inside a link, not glued to other hex or letters, with the path segment before it.
_IN_LINK = re.compile(
    r"(?:([A-Za-z_-]+)/)?(?<![0-9A-Za-z])"
    r"([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
    r"(?![0-9A-Za-z])"
)
_SPLIT = re.compile(r"[\s,;]+")
_EXAMPLE: Final = "cc137447-a749-4b21-88a5-b27ef8b16878"
_FORMS: Final = (
    "36 characters such as '" + _EXAMPLE + "'; upper case, braces, quotes, 'urn:uuid:', "
    "the 32 digits without hyphens and links of the Plannr app are accepted"
)


def _what(kind: UUIDKind | None) -> str:
    if kind is None:
        return "a Plannr UUID (of an execution or a blueprint)"
    return f"an {kind} UUID" if kind == "execution" else f"a {kind} UUID"


def _invalid(value: object, kind: UUIDKind | None, why: str = "") -> InvalidUUIDError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    msg = f"{shown} is not {_what(kind)}{why}. Expected {_FORMS}: check the UUID you copied."
    return InvalidUUIDError(msg, value=value)


def _unwrap(text: str, left: str, right: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == left and text[-1] == right:
        return text[1:-1].strip()
    return text


def _from_link(text: str, value: object, kind: UUIDKind | None) -> str:
    """The UUID a Plannr app link names (``https://app.plannrcrm.com/.../executions/UUID``).

    A link naming several UUIDs gives the one after ``executions/`` (or ``blueprints/`` when a
    blueprint is wanted); a link whose only UUID is labelled as the other kind is refused.
    """
    found: list[tuple[str, str]] = [
        (str(label or "").lower().rstrip("s"), str(uuid).lower())
        for label, uuid in _IN_LINK.findall(text[text.index("//") + 2 :])
    ]
    wanted = kind or "execution"
    other = "blueprint" if wanted == "execution" else "execution"
    labelled = [uuid for label, uuid in found if label == wanted]
    if len(labelled) == 1:
        return labelled[0]
    unique = list(dict.fromkeys(uuid for _, uuid in found))
    if len(unique) == 1 and (kind is None or all(label != other for label, _ in found)):
        return unique[0]
    if not unique:
        raise _invalid(value, kind, " (the link names no UUID)")
    if len(unique) == 1:
        raise _invalid(value, kind, f" (the link names a {other})")
    raise _invalid(value, kind, " (the link names several UUIDs)")


def normalize_uuid(value: object, *, kind: UUIDKind | None = None) -> str:
    """Return ``value`` as a canonical lower-case UUID, or raise :class:`InvalidUUIDError`.

    This is the one parser every UUID a user gives goes through.

    Parameters
    ----------
    value : object
        A :class:`uuid.UUID`, or text in one of these forms: the canonical 36 characters, in any
        case, optionally wrapped in white space, a pair of quotes, a pair of braces or a
        ``urn:uuid:`` prefix; the 32 hexadecimal digits without hyphens; a link of the Plannr
        app (``http(s)://``), which gives the UUID it names (with a blueprint and an execution
        in it, the one of ``kind``, else the execution). Anything else (empty text, paths, SQL,
        a character too few) is refused before any request is made.
    kind : {"execution", "blueprint"}, optional
        What the UUID should name (``"execution"`` or ``"blueprint"``): used to pick from a link
        and to word the error; ``None`` words it neutrally.

    Returns
    -------
    str
        The canonical form, e.g. ``"cc137447-a749-4b21-88a5-b27ef8b16878"``.

    Raises
    ------
    InvalidUUIDError
        If ``value`` is none of the accepted forms; the message says which forms are.
    """
    if isinstance(value, uuid_module.UUID):
        return str(value)
    if not isinstance(value, str):
        raise _invalid(value, kind)
    text = value.strip()
    for quote in _QUOTES:
        text = _unwrap(text, quote, quote)
    if re.match(r"https?://[^/\s]+", text, re.I) and not re.search(r"\s", text):
        return _from_link(text, value, kind)
    text = _unwrap(text, "{", "}")
    if text[:9].lower() == "urn:uuid:":
        text = text[9:]
    text = _unwrap(text, "{", "}").lower()
    if _CANONICAL.fullmatch(text):
        return text
    if _BARE_HEX.fullmatch(text):
        return str(uuid_module.UUID(hex=text))
    raise _invalid(value, kind)


@dataclass(frozen=True, slots=True)
class UUIDEntry:
    """One entry of pasted text: what was typed, and its UUID or the reason it is not one."""

    text: str
    uuid: str | None
    error: InvalidUUIDError | None


def parse_uuid_text(text: str, *, kind: UUIDKind = "execution") -> list[UUIDEntry]:
    """Split pasted text (lines, commas, semicolons, spaces) into entries, each checked.

    Each entry goes through :func:`normalize_uuid`, so the accepted forms are the same as
    everywhere else (app links included). Order is kept; duplicates are kept too.

    Parameters
    ----------
    text : str
        What the user pasted.
    kind : {"execution", "blueprint"}, optional
        What the UUIDs should name (for links and for the wording of errors).

    Returns
    -------
    list[UUIDEntry]
        One entry per piece of text: its UUID, or the :class:`InvalidUUIDError` saying why not.
    """
    entries: list[UUIDEntry] = []
    for raw in _SPLIT.split(text):
        piece = raw.strip()
        if not piece:
            continue
        try:
            entries.append(UUIDEntry(piece, normalize_uuid(piece, kind=kind), None))
        except InvalidUUIDError as exc:
            entries.append(UUIDEntry(piece, None, exc))
    return entries
