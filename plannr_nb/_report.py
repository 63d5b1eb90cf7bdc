"""Headless reports: run a notebook with parameters, write a self-contained HTML file."""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._config import BASE_URL_ENV_VAR, TOKEN_ENV_VARS
from ._markup import escape_html, markdown

if TYPE_CHECKING:  # httpx and polars come with them: imported when used (--help stays fast)
    from ._errors import NothingFetchedError
    from ._redact import Redactor

__all__ = ["Report", "bundled_notebook", "render_report", "show_not_fetched"]

#: Output metadata key under which a notebook tells the report runner what it fetched.
FETCH_METADATA = "plannr_nb/fetch"
#: Cells with this tag are for interactive use (instructions, widgets): left out of reports.
INTERACTIVE_ONLY = "interactive-only"
# nbconvert's lab template, with each PNG's alternative text from its output metadata (our
# renderer puts the chart's title there); nbconvert's own fallback says "No description".
_TEMPLATE_NAME = "plannr_report.html.j2"
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block data_png scoped %}
{%- set alt = output | get_metadata('alt', 'image/png') -%}
{%- if alt -%}
{{ super() | replace('<img ', '<img alt="' ~ (alt | escape_html) ~ '" ', 1) }}
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock data_png %}
"""

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = (
    "<p><em>An interactive explorer was shown here. Open the notebook in JupyterLab to use it; "
    "this report carries every chart and table as static output.</em></p>"
)
# A report is static: no script, nothing loaded from anywhere. The CSP says so to the browser,
# so that whatever the sanitizer below might miss still runs and fetches nothing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)
# What nbconvert's lab template needs in the body, and nothing that runs, loads or submits.
_TAGS = frozenset(
    {
        *("a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd"),
        *("del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5"),
        *("h6", "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "ol", "p", "pre", "s"),
        *("samp", "section", "small", "span", "strong", "sub", "sup", "table", "tbody", "td"),
        *("tfoot", "th", "thead", "tr", "u", "ul", "var"),
    }
)
_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir", "style", "tabindex", "data-mime-type"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "ol": {"start"},
}
# style="..." keeps layout and colour (ANSI colours, image sizes); anything that loads is not
# a property here, and a url() in an allowed one is ignored by browsers.
_STYLE_PROPERTIES = frozenset(
    {
        *("color", "background-color", "font-weight", "font-style", "font-size"),
        *("text-align", "text-decoration", "vertical-align", "white-space", "display"),
        *("width", "height", "max-width", "max-height", "margin", "padding"),
        # wide tables scroll in their own block and keep readable column widths
        *("overflow", "overflow-x", "overflow-y", "min-width", "overflow-wrap"),
    }
)
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
_BODY = re.compile(r"<body\b([^>]*)>(.*)</body\s*>", re.S | re.I)
_BODY_ATTRIBUTE = re.compile(r"""\b(class|data-jp-theme-[a-z-]+)=["']([^"']*)["']""", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.S)
_CSS_LOADS = re.compile(
    r"@import|expression\s*\(|behavio(u)?r\s*:|-moz-binding|image-set\s*\(|\bimage\s*\("
    r"|cross-fade\s*\(|\burl\s*\(\s*(?![\"']?\s*data:)",
    re.I,
)


def show_not_fetched(
    errors: Mapping[str, object],
    *,
    fetched: int,
    requested: int | None = None,
    redactor: Redactor | None = None,
) -> None:
    """Show, in words and a table, which executions could not be fetched and why; stop if none.

    For notebooks: call it after fetching. When every execution was fetched it shows nothing.
    When some were not, it says how many and lists each input with its error. When none was,
    it says so, lists why, and raises :class:`NothingFetchedError`, which stops the notebook
    with one line (no traceback) and makes ``plannr-nb report`` exit with status 3. The counts
    go into the output's metadata, where the report runner reads them (``Report.not_fetched``).

    Parameters
    ----------
    errors : Mapping[str, object]
        Input -> error (an exception, or a text saying why), as in ``FetchResult.errors``.
    fetched : int
        How many executions were fetched.
    requested : int, optional
        How many were asked for (default: fetched + errors).
    redactor : Redactor, optional
        Masks personal data in the explanations (the :class:`Redactor` of the report).

    Raises
    ------
    NothingFetchedError
        When ``fetched`` is 0.

    """
    from IPython import display as ipython_display

    from ._errors import NothingFetchedError
    from ._tables import errors_frame, table

    display = _untyped(ipython_display).display
    requested = fetched + len(errors) if requested is None else requested
    missing = requested - fetched
    counts = {"requested": requested, "fetched": fetched, "not_fetched": missing}
    if fetched == 0:
        words = markdown(
            "**Nothing could be fetched**, so there is nothing to show. Why, per input:"
        )
        if not errors:
            words = markdown("**Nothing could be fetched**: no execution was asked for.")
    elif missing:
        words = markdown(
            "**{} of {} executions could not be fetched**; the others are shown below. Why:",
            missing,
            requested,
        )
    else:
        return
    display(words, metadata={FETCH_METADATA: counts})
    if errors:
        mask = redactor.text if redactor is not None else str
        display(table(errors_frame(errors, mask=mask), max_rows=len(errors)))
    if fetched == 0:
        raise NothingFetchedError(errors, requested=requested)


def _kernel_config(folder: Path) -> Any:
    from traitlets.config import Config

    if os.name == "nt":  # no Unix sockets: the default TCP on loopback
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "kernel")}})


def _kernel_manager_class() -> type[Any]:
    """A kernel manager that shuts the kernel down without interrupting it first.

    jupyter_client's ``shutdown_kernel`` sends SIGINT before it stops the kernel; a kernel
    that gets it between two messages logs "[IPKernelApp] ERROR | KeyboardInterrupt caught in
    kernel" (about one report in eight, sometimes after the command returned). A report's
    kernel is idle when it is shut down, so it is simply stopped. Interrupts at other times (a
    cell timing out) are unchanged.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietShutdownKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return QuietShutdownKernelManager


def _untyped(module: Any) -> Any:
    """A module whose functions lack annotations, as Any (nbformat, nbconvert)."""
    return module


@dataclass(frozen=True)
class Report:
    """What :func:`render_report` wrote: the HTML report and the executed notebook.

    ``requested`` and ``not_fetched`` count the executions the notebook asked for and those it
    could not fetch, as it said with :func:`show_not_fetched` (``None`` and 0 when it did not).
    """

    html: Path
    notebook: Path
    requested: int | None = None
    not_fetched: int = 0


def _fetch_counts(notebook: Any) -> tuple[int | None, int]:
    """What the notebook's :func:`show_not_fetched` outputs recorded: (requested, not fetched)."""
    requested: int | None = None
    missing = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            counts = output.get("metadata", {}).get(FETCH_METADATA)
            if isinstance(counts, dict):
                requested = (requested or 0) + int(counts.get("requested", 0))
                missing += int(counts.get("not_fetched", 0))
    return requested, missing


def _notebooks_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "notebooks", here.parent / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    msg = "the bundled notebooks are missing from this installation; reinstall plannr-nb"
    raise FileNotFoundError(msg)


def bundled_notebook(name: str | os.PathLike[str]) -> Path:
    """Resolve ``name``: a path to a notebook, or a bundled one by (part of) its name.

    ``"03_report"``, ``"report"``, ``"03"`` and ``"03_report.ipynb"`` all name the bundled
    report notebook.
    """
    path = Path(name)
    if path.suffix == ".ipynb" and path.exists():
        return path.resolve()
    bundled = sorted(_notebooks_dir().glob("*.ipynb"))
    key = path.name.removesuffix(".ipynb").lower()
    exact = [nb for nb in bundled if nb.stem.lower() == key]
    matches = exact or [nb for nb in bundled if key and key in nb.stem.lower()]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(nb.stem for nb in bundled)
    if not matches:
        msg = f"no notebook {str(name)!r}: give a path to an .ipynb file or one of: {names}"
    else:
        msg = f"{str(name)!r} names several notebooks ({names}): be more specific"
    raise FileNotFoundError(msg)


@contextlib.contextmanager
def _environment(demo: bool, base_url: str | None) -> Iterator[None]:
    """The kernel inherits our environment: strip the token for demo runs."""
    saved = dict(os.environ)
    try:
        if demo:
            for name in TOKEN_ENV_VARS:
                os.environ.pop(name, None)
        if base_url:
            os.environ[BASE_URL_ENV_VAR] = base_url
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _drop_interactive(notebook: Any) -> None:
    """Leave out cells tagged ``interactive-only``: a static report has no kernel to use."""
    notebook.cells = [
        cell for cell in notebook.cells if INTERACTIVE_ONLY not in cell.metadata.get("tags", [])
    ]


def _strip_widgets(notebook: Any) -> None:
    """Widgets need a kernel: an explorer becomes a note, any other widget (a progress bar) goes."""
    for cell in notebook.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if isinstance(data, dict) and _WIDGET_MIME in data:
                if not str(data.get("text/plain", "")).startswith("ExecutionExplorer("):
                    continue
                output["data"] = {"text/html": _WIDGET_NOTE, "text/plain": "[interactive explorer]"}
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    notebook.metadata.pop("widgets", None)


def _css_unescaped(css: str) -> str:
    def char(match: re.Match[str]) -> str:
        if match[1]:
            code = int(match[1], 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return match[2]

    return _CSS_ESCAPE.sub(char, _CSS_COMMENT.sub("", css))


def _safe_css(css: str) -> bool:
    """No @import, no url() but data:, no other way for CSS to load something."""
    return _CSS_LOADS.search(_css_unescaped(css)) is None


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "href":  # links: http(s) targets and in-page anchors only
        ok = value.startswith("#") or re.match(r"https?://", value, re.I) is not None
        return value if ok else None
    if name == "src":  # images: embedded data only, never fetched
        return value if _DATA_IMAGE.match(value) else None
    return value


def sanitize_report(document: str, *, title: str) -> str:
    """A complete HTML page made safe to send: nothing runs, nothing loads, text stays text.

    ``<style>`` blocks are kept (moved into the head) only when they load nothing; the body
    goes through the ``nh3`` allowlist sanitizer (tags and attributes nbconvert's lab template
    needs; links to http(s) or in-page anchors; images as ``data:`` URLs only; no event
    handler, script, frame, object, embed, form, base, meta or link), and a
    Content-Security-Policy forbidding scripts and every remote load comes first in the head.
    """
    import nh3

    styles = [css for css in dict.fromkeys(_STYLE_BLOCK.findall(document)) if _safe_css(css)]
    found = _BODY.search(document)
    body_attributes, body = (found[1], found[2]) if found else ("", document)
    body = _STYLE_BLOCK.sub("", body)
    clean = nh3.clean(
        body,
        tags=set(_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "data"},
        filter_style_properties=set(_STYLE_PROPERTIES),
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
    kept = " ".join(
        f'{name.lower()}="{escape_html(value)}"'
        for name, value in _BODY_ATTRIBUTE.findall(body_attributes)
    )
    head = "\n".join(
        [
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{escape_html(title)}</title>",
            *(f"<style>{css}</style>" for css in styles),
        ]
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{head}\n</head>\n'
        f"<body {kept}>\n{clean}\n</body>\n</html>\n"
    )


def _to_html(notebook: Any, *, show_code: bool, title: str) -> str:
    import jinja2  # nbconvert's template engine, a dependency of nbconvert
    import nbconvert

    exporter = _untyped(nbconvert).HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    notebook = copy.deepcopy(notebook)
    _drop_interactive(notebook)
    notebook.metadata["title"] = title
    body, _resources = exporter.from_notebook_node(notebook)
    return sanitize_report(body, title=title)


def _parameters_for(
    path: Path, uuids: Sequence[str], parameters: Mapping[str, Any], redact: bool
) -> dict[str, Any]:
    import papermill

    declared = papermill.inspect_notebook(str(path))
    params = dict(parameters)
    if uuids:
        if "uuids" in declared:
            params["uuids"] = list(uuids)
        elif "execution_uuid" in declared:
            if len(uuids) != 1:
                msg = f"{path.name} tells one execution: give exactly one --uuid, not {len(uuids)}"
                raise ValueError(msg)
            params["execution_uuid"] = uuids[0]
        else:
            msg = f"{path.name} takes no UUIDs (its parameters: {', '.join(declared) or 'none'})"
            raise ValueError(msg)
    if redact:
        if "redact" not in declared:
            msg = f"{path.name} cannot redact: it has no 'redact' parameter"
            raise ValueError(msg)
        params["redact"] = True
    unknown = sorted(set(params) - set(declared))
    if unknown:
        msg = (
            f"{path.name} has no parameter {', '.join(unknown)}; "
            f"its parameters are: {', '.join(declared) or 'none'}"
        )
        raise ValueError(msg)
    return params


def render_report(
    notebook: str | os.PathLike[str],
    *,
    uuids: Sequence[str] = (),
    parameters: Mapping[str, Any] | None = None,
    output: str | os.PathLike[str] | None = None,
    redact: bool = False,
    demo: bool = False,
    show_code: bool = False,
    progress: bool = True,
    timeout: float = 600,
    base_url: str | None = None,
) -> Report:
    """Execute a notebook headless and write a self-contained HTML report beside it.

    The notebook (a path, or a bundled one by name such as ``"03_report"``) runs in a fresh
    kernel with ``parameters`` injected (papermill's ``parameters`` cell convention). ``uuids``
    go to its ``uuids`` (or single ``execution_uuid``) parameter; ``redact=True`` sets its
    ``redact`` parameter, which masks personal data before anything is shown. The HTML shows
    every chart as a static image and every table as HTML, with no script or stylesheet
    fetched from the network, so it opens offline and can be attached to a ticket. The
    executed notebook is written next to it (``.ipynb``).

    Parameters
    ----------
    notebook : str | os.PathLike[str]
        Path of a notebook, or the name of a bundled one.
    uuids : Sequence[str], optional
        Executions to report on.
    parameters : Mapping[str, Any], optional
        Other notebook parameters (name -> value).
    output : str | os.PathLike[str], optional
        Path of the HTML file (default: ``<notebook name>.html`` in the current folder).
    redact : bool, optional
        Mask names, e-mails, phone numbers and other personal data.
    demo : bool, optional
        Use the bundled demo data even when a token is set.
    show_code : bool, optional
        Keep the code cells in the HTML (hidden by default).
    progress : bool, optional
        Show a progress bar while cells run.
    timeout : float, optional
        Seconds a cell may run.
    base_url : str, optional
        Plannr API address for the kernel (``PLANNR_BASE_URL``), e.g. a test server.

    Raises
    ------
    FileNotFoundError
        When the notebook does not exist.
    ValueError
        When a parameter is not one the notebook declares.
    NothingFetchedError
        When the notebook could fetch no execution (it says why); the report is still
        written, and is the error's ``.report``.
    papermill.PapermillExecutionError
        When a cell fails; the executed notebook is still written, showing where.

    """
    import nbformat as nbformat_module
    import papermill

    from ._errors import NothingFetchedError

    nbformat = _untyped(nbformat_module)
    source = bundled_notebook(notebook)
    html_path = Path(output) if output is not None else Path.cwd() / f"{source.stem}.html"
    if html_path.suffix.lower() not in {".html", ".htm"}:
        html_path = html_path.with_suffix(".html")
    html_path = html_path.resolve()
    ipynb_path = html_path.with_suffix(".ipynb")
    if ipynb_path == source.resolve():
        # Never overwrite the notebook being run (a bundled one stays clean).
        ipynb_path = html_path.with_name(f"{html_path.stem}.executed.ipynb")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    params = _parameters_for(source, uuids, parameters or {}, redact)

    with tempfile.TemporaryDirectory(prefix="plannr-nb-report-") as work:
        work_path = Path(work)
        copy = work_path / source.name
        shutil.copyfile(source, copy)
        executed = work_path / f"{source.stem}.executed.ipynb"
        title = str(params.get("title") or source.stem.replace("_", " "))
        if redact:
            title += " (redacted)"
        counts: tuple[int | None, int] = (None, 0)
        nothing: NothingFetchedError | None = None
        with _environment(demo, base_url):
            try:
                papermill.execute_notebook(
                    str(copy),
                    str(executed),
                    parameters=params,
                    kernel_name="python3",
                    progress_bar=progress,
                    cwd=str(work_path),
                    execution_timeout=timeout,
                    request_save_on_cell_execute=False,
                    # Unix sockets in our temp folder: local only, and no ipykernel warning
                    # about unencrypted TCP on every run.
                    config=_kernel_config(work_path),
                    kernel_manager_class=_kernel_manager_class(),
                    # Every output is in by then: stop the kernel at once. A shutdown request
                    # let ipykernel log socket errors now and then as it closed its streams.
                    shutdown_kernel="immediate",
                )
            except papermill.PapermillExecutionError as exc:
                if exc.ename != NothingFetchedError.__name__:
                    raise
                # The notebook said why, in the report: the caller gets our error, not papermill's.
                nothing = NothingFetchedError(message=str(exc.evalue))
            finally:
                # Also when a cell failed: the report then shows how far it got, and where.
                if executed.exists():
                    book = nbformat.read(executed, as_version=4)
                    _strip_widgets(book)
                    nbformat.write(book, ipynb_path)
                    html = _to_html(book, show_code=show_code, title=title)
                    html_path.write_text(html, encoding="utf-8")
                    counts = _fetch_counts(book)
    report = Report(html_path, ipynb_path, *counts)
    if nothing is not None:
        nothing.requested = counts[0] or 0
        nothing.report = report
        raise nothing
    return report
