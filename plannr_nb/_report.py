"""Headless reports: run a notebook with parameters, write a self-contained HTML file."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._config import TOKEN_ENV_VARS

__all__ = ["Report", "bundled_notebook", "render_report"]

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = (
    "<p><em>An interactive explorer was shown here. Open the notebook in JupyterLab to use it; "
    "this report carries every chart and table as static output.</em></p>"
)
# A report is static: no script at all (nbconvert's would load require.js, MathJax and
# mermaid from CDNs), and no stylesheet from the network.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.I)


def _kernel_config(folder: Path) -> Any:
    from traitlets.config import Config

    if os.name == "nt":  # no Unix sockets: the default TCP on loopback
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "kernel")}})


def _kernel_manager_class() -> type[Any]:
    """A kernel manager that shuts the kernel down without interrupting it first.

    jupyter_client's ``shutdown_kernel`` sends SIGINT before the shutdown request; a kernel
    that gets it between two messages logs "[IPKernelApp] ERROR | KeyboardInterrupt caught in
    kernel" (about one report in eight, sometimes after the command returned). A report's
    kernel is idle when it is shut down, so the request alone stops it; a kernel that does not
    stop in time is still killed. Interrupts at other times (a cell timing out) are unchanged.
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
    """What :func:`render_report` wrote: the HTML report and the executed notebook."""

    html: Path
    notebook: Path


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
            os.environ["PLANNR_BASE_URL"] = base_url
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _strip_widgets(notebook: Any) -> None:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if isinstance(data, dict) and _WIDGET_MIME in data:
                output["data"] = {"text/html": _WIDGET_NOTE, "text/plain": "[interactive explorer]"}
    notebook.metadata.pop("widgets", None)


def _to_html(notebook: Any, *, show_code: bool, title: str) -> str:
    import nbconvert

    exporter = _untyped(nbconvert).HTMLExporter(
        template_name="lab",
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    notebook.metadata["title"] = title
    body, _resources = exporter.from_notebook_node(notebook)
    return _REMOTE_LINK.sub("", _SCRIPT.sub("", body))


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
    notebook:
        Path of a notebook, or the name of a bundled one.
    uuids:
        Executions to report on.
    parameters:
        Other notebook parameters (name -> value).
    output:
        Path of the HTML file (default: ``<notebook name>.html`` in the current folder).
    redact:
        Mask names, e-mails, phone numbers and other personal data.
    demo:
        Use the bundled demo data even when a token is set.
    show_code:
        Keep the code cells in the HTML (hidden by default).
    progress:
        Show a progress bar while cells run.
    timeout:
        Seconds a cell may run.
    base_url:
        Plannr API address for the kernel (``PLANNR_BASE_URL``), e.g. a test server.

    Raises
    ------
    FileNotFoundError
        When the notebook does not exist.
    ValueError
        When a parameter is not one the notebook declares.
    papermill.PapermillExecutionError
        When a cell fails; the executed notebook is still written, showing where.

    """
    import nbformat as nbformat_module
    import papermill

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
                )
            finally:
                # Also when a cell failed: the report then shows how far it got, and where.
                if executed.exists():
                    book = nbformat.read(executed, as_version=4)
                    _strip_widgets(book)
                    nbformat.write(book, ipynb_path)
                    html = _to_html(book, show_code=show_code, title=title)
                    html_path.write_text(html, encoding="utf-8")
    return Report(html=html_path, notebook=ipynb_path)
