"""Text is text: hostile strings in every API field stay text in explain(), table(), the
explorer, charts and reports, read back with an HTML parser (and, for reports, in Chromium).

The corpus and the executions that carry it are in ``tests/hostile.py``; its remote URLs point at
a loopback beacon that must never be asked for anything.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from _html import Parsed, markdown_to_html, parse, shown_text
from conftest import HostileReports
from hostile import Beacon, corpus, hostile_executions

import plannr_nb as pnb

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Dialog, Request

BEACON = "http://127.0.0.1:9"  # the parser tests never contact it: port 9 is "discard"

# What our own Markdown may become (nbconvert adds an id and an anchor link to headings).
MARKDOWN_TAGS = {"div", "h1", "h3", "p", "code", "strong", "em", "ul", "li", "a"}
TABLE_TAGS = {"style", "div", "table", "caption", "thead", "tbody", "tr", "th", "td"}
WIDGET_TAGS = {"div", "b", "code", "span", "br", "p", "pre"}


def _flat(text: str) -> str:
    return " ".join(text.split())


def assert_inert(parsed: Parsed, allowed: set[str], where: str) -> None:
    """Only our own elements; no handler, no link but in-page anchors, nothing loaded."""
    assert parsed.tags <= allowed, f"{where}: unexpected elements {parsed.tags - allowed}"
    for tag, name, value in parsed.attributes():
        assert not name.lower().startswith("on"), f"{where}: <{tag} {name}={value!r}>"
        assert name.lower() not in {"src", "srcset", "action", "formaction"}, where
        if name.lower() == "style":  # the explorer's own colours, a table's scroll, raw JSON box
            ours = (
                r"color:(#[0-9a-f]{6}|inherit)|overflow-x:auto;max-width:100%"
                r"|max-height:480px;overflow:auto;margin:0"
            )
            assert re.fullmatch(ours, value), (where, value)
        if name.lower() == "href":
            assert tag == "a", f"{where}: <{tag} href={value!r}>"
            assert value.startswith("#"), f"{where}: <{tag} href={value!r}>"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus(BEACON)


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with pnb.PlannrClient.demo(executions=hostile_executions(BEACON)) as client:
        uuids = [item["uuid"] for item in hostile_executions(BEACON)]
        result = client.fetch_executions(uuids, include_account=True)
    assert not result.errors
    return pnb.build_frames(result.executions, accounts=True)


# the escapers ------------------------------------------------------------------------------


def test_the_corpus_is_big_and_varied(texts: list[str]) -> None:
    assert len(texts) >= 40
    assert len(set(texts)) == len(texts)
    assert sum(BEACON in t for t in texts) >= 15


def test_escaped_markdown_renders_as_exactly_the_text(texts: list[str]) -> None:
    for text in texts:
        html = markdown_to_html(pnb.escape_markdown(text))
        parsed = parse(html)
        assert parsed.tags <= {"p"}, (text, html)
        assert not parsed.attributes(), (text, html)
        assert _flat(parsed.text) == _flat(text), (text, html)


def test_escaped_markdown_stays_text_at_the_start_of_a_line_and_in_bold(
    texts: list[str],
) -> None:
    for text in texts:
        for template in ("{}", "- **{}**: {}", "### {}"):
            md = pnb.markdown(template, text, text)
            parsed = parse(markdown_to_html(md))
            assert_inert(parsed, {"p", "ul", "li", "strong", "h3", "a"}, f"{template} {text!r}")
            assert _flat(text) in _flat(parsed.text), (template, text)


def test_escape_html_escapes_quotes_too() -> None:
    assert pnb.escape_html("<a href='x'>\"&") == "&lt;a href=&#x27;x&#x27;&gt;&quot;&amp;"
    assert pnb.escape_html(None) == ""


def test_markdown_keeps_our_formatting_and_takes_markdown_as_is() -> None:
    inner = pnb.markdown("*{}*", "a_b")
    md = pnb.markdown("**{}** and {} on {:%d %b %Y}", "Send <SMS>", inner, date(2026, 6, 8))
    assert isinstance(md, pnb.Markdown)
    assert str(md) in md._repr_markdown_()
    assert "mathjax_ignore" in md._repr_markdown_()
    html = markdown_to_html(md)
    assert "<strong>Send &lt;SMS&gt;</strong>" in html
    assert "<em>a_b</em>" in html
    assert not isinstance(md + "x", pnb.Markdown)  # adding plain text never marks it safe


# explain(), table(), charts ---------------------------------------------------------------


def test_explain_shows_every_hostile_field_as_text_and_keeps_its_formatting(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], texts: list[str]
) -> None:
    executions, steps, _accounts = frames
    for row in executions.iter_rows(named=True):
        story = pnb.explain(row["execution_uuid"], executions, steps)
        assert isinstance(story, pnb.Markdown)
        parsed = parse(markdown_to_html(story))
        where = f"explain({row['name']!r})"
        assert_inert(parsed, MARKDOWN_TAGS, where)
        shown = _flat(parsed.text)
        for field in ("name", "triggered_by", "status", "account_name", "execution_uuid"):
            assert _flat(row[field]) in shown, (where, field)
        # steps 0, 1, 3, 4, ... fail (hostile_execution): their names and errors are told
        for text in (t for j, t in enumerate(texts) if j % 3 != 2):
            assert _flat(text) in shown, (where, text)
        # our own Markdown still renders: a heading, bold labels, list items
        assert {"h3", "strong", "ul", "li", "code"} <= parsed.tags
        strong = re.findall(r"<strong>(.*?)</strong>", markdown_to_html(story), re.S)
        assert "Progress:" in strong
        assert "What to check next:" in strong


def test_tables_show_every_hostile_value_column_and_caption_as_text(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], texts: list[str]
) -> None:
    executions, steps, accounts = frames
    for name, frame in (("executions", executions), ("steps", steps), ("accounts", accounts)):
        html = pnb.table(frame, max_rows=frame.height)._repr_html_()
        parsed = parse(html)
        assert_inert(parsed, TABLE_TAGS, name)
        assert {a for _t, a, _v in parsed.attributes()} <= {"class", "style", "title"}, name
        shown = _flat(parsed.text)
        for text in texts:
            assert _flat(text) in shown, (name, text)
    hostile = pl.DataFrame({text: [text] for text in texts})
    html = pnb.table(hostile, caption=texts[0])._repr_html_()
    parsed = parse(html)
    assert_inert(parsed, TABLE_TAGS, "hostile columns")
    assert [tag for tag, _ in parsed.elements].count("th") == len(texts)
    assert _flat(texts[0]) in _flat(parsed.text)


def _svg_is_inert(svg: str, where: str) -> None:
    root = ET.fromstring(svg)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        assert tag not in {"script", "foreignobject", "iframe", "a", "image"}, (where, tag)
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on"), (where, name)
            assert local != "href", (where, value)


def test_chart_svg_and_png_carry_no_live_markup(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    executions, steps, _accounts = frames
    one = steps.filter(pl.col("execution_uuid") == executions["execution_uuid"][0])
    for name, chart in (
        ("gantt", pnb.gantt(one)),
        ("status", pnb.status_chart(executions.head(12))),
        ("stats", pnb.step_stats_chart(one, per="step")),
    ):
        svg_path = tmp_path / f"{name}.svg"
        pnb.save_chart(chart, svg_path)
        svg = svg_path.read_text(encoding="utf-8")
        _svg_is_inert(svg, name)
        assert "&lt;" in svg  # the hostile names are there, as escaped text
        png_path = tmp_path / f"{name}.png"
        pnb.save_chart(chart, png_path)
        assert png_path.read_bytes().startswith(b"\x89PNG")


# the explorer -------------------------------------------------------------------------------


def _explorer_outputs(explorer: Any) -> Iterator[tuple[str, str, str]]:
    for tab, out in explorer.outputs.items():
        for item in out.outputs:
            for mime, value in item.get("data", {}).items():
                if mime in ("text/markdown", "text/html"):
                    yield tab, mime, value


def test_explorer_shows_hostile_data_and_typed_text_as_text(
    texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    payloads = hostile_executions(BEACON)
    client = pnb.PlannrClient.demo(executions=payloads)
    typed = "\n".join([payloads[0]["uuid"], payloads[1]["uuid"], *texts])
    explorer = pnb.ExecutionExplorer(client, uuids=typed, include_account=True, fetch=True)
    try:
        assert explorer.executions.height == 2
        assert explorer.errors  # the typed hostile text is reported, as text
        for name, widget in (
            ("banner", explorer.banner),
            ("validation", explorer.validation),
            ("status", explorer.status),
        ):
            assert_inert(parse(widget.value), WIDGET_TAGS, name)
        assert "&lt;img" in explorer.validation.value
        seen = ""
        for tab, mime, value in _explorer_outputs(explorer):
            if mime == "text/markdown":
                parsed = parse(markdown_to_html(value))
                assert_inert(parsed, MARKDOWN_TAGS, f"{tab} markdown")
            else:
                parsed = parse(value)
                assert_inert(parsed, TABLE_TAGS | WIDGET_TAGS, f"{tab} html")
            seen += _flat(parsed.text) + " "
        for text in texts:
            assert _flat(text) in seen, text

        # a click that fails with the text in its exception: the status line shows it as text
        def boom(*args: object, **kwargs: object) -> None:
            raise RuntimeError(texts[0])

        monkeypatch.setattr(client, "fetch_executions", boom)
        explorer.fetch_button.click()
        assert "Something went wrong" in explorer.status.value
        assert_inert(parse(explorer.status.value), WIDGET_TAGS, "status after error")
        assert _flat(texts[0]) in _flat(parse(explorer.status.value).text)
    finally:
        explorer.close()
        client.close()


# the report ---------------------------------------------------------------------------------

REPORT_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "main", "div", "span", "p", "a"),
    *("h1", "h2", "h3", "ul", "li", "strong", "em", "code", "pre", "img", "br"),
    *TABLE_TAGS,
}


@pytest.fixture(scope="module")
def reports(hostile_reports: HostileReports) -> tuple[Beacon, list[Path]]:
    """Reports of notebooks 01 and 03 (code shown) over a loopback API serving hostile
    executions; 03's title is the first hostile string."""
    runs = hostile_reports.runs.all()
    for run in runs:
        assert run.result.returncode == 0, run.result.stderr
    return hostile_reports.beacon, [run.html_path for run in runs]


@pytest.mark.slow
def test_reports_of_hostile_executions_are_inert(reports: tuple[Beacon, list[Path]]) -> None:
    beacon, paths = reports
    texts = corpus(beacon.url)
    for path in paths:
        html = path.read_text(encoding="utf-8")
        parsed = parse(html)
        where = path.name
        assert parsed.tags <= REPORT_TAGS, (where, parsed.tags - REPORT_TAGS)
        assert parsed.elements[0][0] == "html"
        head = [tag for tag, _ in parsed.elements[1:6]]
        assert head[:2] == ["head", "meta"]
        csp = parsed.elements[2][1]
        assert csp["http-equiv"] == "Content-Security-Policy"
        assert "default-src 'none'" in csp["content"]
        assert "script-src" not in csp["content"]
        for tag, name, value in parsed.attributes():
            assert not name.lower().startswith("on"), (where, tag, name)
            if name == "href":
                assert value.startswith(("#", "https://", "http://")), (where, value)
                assert value.startswith("#") or beacon.url not in value, (where, value)
            if name == "src":
                assert value.startswith("data:image/"), (where, value)
            if name == "style":
                assert "url(" not in value.lower(), (where, value)
            assert name not in {"srcset", "action", "formaction", "xlink:href"}, (where, name)
        metas = [attrs for tag, attrs in parsed.elements if tag == "meta"]
        assert all("refresh" not in attrs.get("http-equiv", "").lower() for attrs in metas)
        for css in re.findall(r"<style>(.*?)</style>", html, re.S):
            assert "@import" not in css
            assert not re.search(r"url\(\s*['\"]?(?!data:)", css), where
        # ids, a picture's alt text and a cell's title are inert text (a chart's title may
        # quote a hostile execution name); every other attribute must not carry the beacon
        live = (v for _t, n, v in parsed.attributes() if n not in {"id", "href", "alt", "title"})
        assert beacon.url not in "".join(live)
        shown = _flat(parsed.text)
        assert "<img src=x onerror=" in shown, where  # the payloads are there, as text
        assert "[x](javascript:alert(1))" in shown, where
    title = parse(paths[-1].read_text(encoding="utf-8"))
    assert _flat(texts[0]) in _flat(title.text)  # the hostile title parameter, as text
    assert beacon.requests == []


def test_sanitize_report_drops_what_loads_and_keeps_the_template_css() -> None:
    from plannr_nb._report import sanitize_report

    page = (
        "<html><head><title>t</title><style>.a{color:red}"
        ".b{background:url(data:image/png;base64,AA)}</style>"
        "<style>@import url(http://127.0.0.1:9/x.css);</style>"
        "<style>.c{background:\\75 rl(http://127.0.0.1:9/y)}</style></head>"
        '<body class="jp-Notebook" onload="alert(1)"><p style="color:red;'
        'background:url(http://127.0.0.1:9/z)">x</p><a href="https://example.com/">ok</a>'
        '<a href="javascript:alert(1)">no</a><img src="http://127.0.0.1:9/i.png">'
        '<img src="data:image/png;base64,AA" srcset="http://127.0.0.1:9/s 1x"></body></html>'
    )
    out = sanitize_report(page, title="<b>t</b>")
    parsed = parse(out)
    assert ".a{color:red}" in out
    assert "@import" not in out
    assert "127.0.0.1:9" not in out
    assert "onload" not in out
    assert '<a href="https://example.com/" rel="noopener noreferrer">ok</a>' in out
    assert '<body class="jp-Notebook">' in out
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in out
    assert [attrs for tag, attrs in parsed.elements if tag == "img"] == [
        {},
        {"src": "data:image/png;base64,AA"},
    ]
    assert shown_text(out).endswith("xokno")


@dataclasses.dataclass
class _Seen:
    """What one page asked for, finished loading, opened as a dialog and logged."""

    requests: list[str] = dataclasses.field(default_factory=list)
    finished: list[str] = dataclasses.field(default_factory=list)
    dialogs: list[str] = dataclasses.field(default_factory=list)
    console: list[str] = dataclasses.field(default_factory=list)

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_finished(self, request: Request) -> None:
        self.finished.append(request.url)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")


@pytest.mark.slow
@pytest.mark.browser
def test_reports_run_nothing_and_fetch_nothing_in_chromium(
    reports: tuple[Beacon, list[Path]], tmp_path: Path
) -> None:
    """Every request, dialog and console message logged: only the file itself is loaded."""
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM_ARGS, _chromium

    beacon, paths = reports
    # The CSP alone stops what a sanitizer might miss: a page with it and live payloads.
    bare = tmp_path / "csp-only.html"
    from plannr_nb._report import CONTENT_SECURITY_POLICY

    bare.write_text(
        f'<html><head><meta http-equiv="Content-Security-Policy" '
        f'content="{CONTENT_SECURITY_POLICY}"></head><body>'
        f'<img src="{beacon.url}/csp-img"><script>document.title="PWNED"</script>'
        f'<img src=x onerror="alert(1)"><style>@import url({beacon.url}/csp.css);</style>'
        f'<iframe src="{beacon.url}/csp-frame"></iframe></body></html>',
        encoding="utf-8",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            for path in [*paths, bare]:
                seen = _Seen()
                page = browser.new_page()
                page.on("request", seen.on_request)
                page.on("requestfinished", seen.on_finished)
                page.on("dialog", seen.on_dialog)
                page.on("console", seen.on_console)
                page.goto(path.as_uri(), wait_until="load")
                page.mouse.move(200, 200)  # hover handlers, if any survived
                page.wait_for_timeout(500)
                own = {path.as_uri()}
                done = [u for u in seen.finished if u not in own and not u.startswith("data:")]
                assert done == [], (path.name, done)
                asked = [u for u in seen.requests if u not in own and not u.startswith("data:")]
                if path != bare:  # a report does not even ask (the CSP page asks, is refused)
                    assert asked == [], (path.name, asked)
                assert seen.dialogs == [], path.name
                assert page.title() != "PWNED", path.name
                if path != bare:  # a report breaks no CSP rule: nothing tried to load
                    assert seen.console == [], (path.name, seen.console)
                    assert page.locator("img").count() >= 1  # charts, as data: PNGs
                    assert "<img src=x onerror=" in page.inner_text("body")
                page.close()
        finally:
            browser.close()
    assert beacon.requests == []
