"""Read HTML and Markdown as a browser would: elements, attributes and the text they show."""

from __future__ import annotations

import html.parser
from dataclasses import dataclass, field

from nbconvert.filters.markdown_mistune import markdown2html_mistune


def markdown_to_html(source: str) -> str:
    """Markdown as nbconvert renders it (mistune, with its url, table and math plugins)."""
    return markdown2html_mistune(source)


@dataclass
class Parsed:
    """What an HTML parser saw: each element with its attributes, and the text shown."""

    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: str = ""
    comments: list[str] = field(default_factory=list)

    @property
    def tags(self) -> set[str]:
        return {tag for tag, _ in self.elements}

    def attributes(self) -> list[tuple[str, str, str]]:
        return [(tag, name, value) for tag, attrs in self.elements for name, value in attrs.items()]


class _Parser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = Parsed()
        self._text: list[str] = []
        self._raw: list[str] = []  # inside <style>/<script>: not shown text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.result.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag in ("style", "script"):
            self._raw.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._raw and self._raw[-1] == tag:
            self._raw.pop()

    def handle_data(self, data: str) -> None:
        if not self._raw:
            self._text.append(data)

    def handle_comment(self, data: str) -> None:
        self.result.comments.append(data)


def parse(source: str) -> Parsed:
    """Parse an HTML fragment or page."""
    parser = _Parser()
    parser.feed(source)
    parser.close()
    parser.result.text = "".join(parser._text)
    return parser.result


def shown_text(source: str) -> str:
    """The text an HTML fragment shows, whitespace runs as one space."""
    return " ".join(parse(source).text.split())
