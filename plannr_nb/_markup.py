"""Text is text: escaping for Markdown and HTML, and Markdown built from our own templates.

Every string from the API or a user that becomes Markdown or HTML goes through here, at the one
place each output is made. Markdown is escaped for both renderers that show it: JupyterLab's
(marked, then MathJax over the page) and nbconvert's (mistune with its url, table, strikethrough
and math plugins).
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable
from typing import Any

__all__ = ["NO_MATH", "Markdown", "code", "escape_html", "escape_markdown", "markdown"]

#: Class of an HTML element whose text MathJax must leave alone (JupyterLab and ipywidgets
#: typeset "$...$" and "\\(...\\)" in the rendered page, escaped or not): MathJax 3's name and
#: the older one.
NO_MATH = "mathjax_ignore tex2jax_ignore"

# Characters that become markup in Markdown, as entities: HTML tags, autolinks (<...>),
# entities themselves, quotes (so no value can end an attribute a renderer builds). A backslash
# is an entity too: JupyterLab's math finder reads "\\(" as the start of LaTeX, escaped or not.
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "\\": "&#92;",
}
# Punctuation that makes links, images, emphasis, code, tables, headings, lists, strikethrough
# or math: backslash-escaped (CommonMark escapes any ASCII punctuation).
_BACKSLASHED = frozenset("`*_[]()#+-!|{}~$=")
_REPLACEMENTS = {c: e for c, e in _ENTITIES.items()} | {c: "\\" + c for c in _BACKSLASHED}
# Line breaks would let a value start a block of its own (heading, list, quote, code).
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
# One pass over the text: bare-URL and e-mail autolinks (GFM in marked, mistune's url plugin)
# need "://", "www." or "@", so those become entities; an ordered-list marker ("1." where a
# template puts a value at the start of a line) is escaped; then the characters above.
_TOKEN = re.compile(
    r"(?P<scheme>:(?=//))|(?<=www)(?P<www>\.)|(?P<at>@)|^(?P<number>\s*\d+)\.|(?P<char>["
    + re.escape("".join(_REPLACEMENTS))
    + "])",
    re.I,
)


def _replace(match: re.Match[str]) -> str:
    if match["scheme"]:
        return "&#58;"
    if match["www"]:
        return "&#46;"
    if match["at"]:
        return "&#64;"
    if match["number"] is not None:
        return match["number"] + "\\."
    return _REPLACEMENTS[match["char"]]


class Markdown(str):
    """Markdown whose every value from outside was escaped: displayed as Markdown in Jupyter.

    Build it with :func:`markdown` (a template of our own, values escaped) rather than by hand:
    ``Markdown(text)`` trusts ``text`` as it is. Joining or adding plain strings gives a plain
    ``str``, so nothing unescaped is ever marked as safe by accident.
    """

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        # The block of HTML around it keeps MathJax off values such as "$5 and $6".
        return f'<div class="{NO_MATH}">\n\n{self}\n\n</div>'


def escape_markdown(text: object) -> str:
    """``text`` as Markdown that renders as exactly that text, inline, and creates no markup.

    HTML special characters (and the backslash) become entities, Markdown punctuation is
    backslash-escaped, bare URLs and e-mail addresses are kept from becoming links, and line
    breaks become spaces (a value stays inside the line a template puts it in).

    Parameters
    ----------
    text : object
        Any value; ``None`` is an empty string, anything else is ``str(text)``.

    """
    if text is None:
        return ""
    return _TOKEN.sub(_replace, _LINE_BREAKS.sub(" ", str(text)))


def escape_html(text: object) -> str:
    """``text`` as HTML text or a quoted attribute value: ``& < > " '`` become entities."""
    return "" if text is None else html.escape(str(text), quote=True)


def code(text: object) -> Markdown:
    """``text`` as an inline code span, whatever backticks it holds (one line)."""
    value = _LINE_BREAKS.sub(" ", "" if text is None else str(text))
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith(("`", " ")) or value.endswith(("`", " ")) else ""
    return Markdown(f"{fence}{pad}{value}{pad}{fence}")


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Markdown):
            return str(value)
        return escape_markdown(format(value, format_spec) if value is not None else "")


_FORMATTER = _EscapingFormatter()


def markdown(template: str, /, *args: Any, **kwargs: Any) -> Markdown:
    """Markdown from a template of your own, every value escaped: ``str.format`` that is safe.

    The template is trusted Markdown (write it as a literal); each ``{}`` field is filled with
    its value escaped by :func:`escape_markdown` (format specs apply first, so ``{:%d %b}``
    works). A value that is already :class:`Markdown` (from :func:`markdown`, :func:`code`,
    :func:`plannr_nb.explain`) goes in as it is.

    """
    return Markdown(_FORMATTER.vformat(template, args, kwargs))


def join(separator: str, parts: Iterable[object]) -> Markdown:
    """``parts`` joined by a literal ``separator``, each escaped unless it is Markdown already."""
    return Markdown(
        separator.join(p if isinstance(p, Markdown) else escape_markdown(p) for p in parts)
    )
