"""ExecutionExplorer: paste UUIDs, fetch, and see what happened, in JupyterLab."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from ._analysis import step_stats
from ._charts import status_chart, step_stats_chart
from ._client import AsyncPlannrClient, FetchResult, PlannrClient
from ._config import BATCH_CHUNK_SIZE, DEFAULT_TZ
from ._connect import connect
from ._errors import PlannrError
from ._frames import build_frames
from ._gantt import gantt
from ._markup import NO_MATH, Markdown, escape_html, join, markdown
from ._options import resolve_tz
from ._redact import Redactor
from ._render import plannr_renderer
from ._schemas import ACCOUNT_SCHEMA, EXECUTION_SCHEMA, STEP_SCHEMA
from ._statuses import is_finished
from ._story import explain
from ._tables import errors_frame, table
from ._uuids import UUIDEntry, parse_uuid_text

try:
    import ipywidgets as widgets
except ImportError as exc:  # pragma: no cover - ipywidgets is a dependency
    msg = "ExecutionExplorer needs ipywidgets: pip install 'ipywidgets>=8.1'"
    raise ImportError(msg) from exc

__all__ = ["ExecutionExplorer"]

#: Auto-refresh choices (label, seconds); 0 is off.
REFRESH_CHOICES: tuple[tuple[str, int], ...] = (
    ("Off", 0),
    ("every 30 s", 30),
    ("every minute", 60),
    ("every 5 minutes", 300),
)
ZONES = (DEFAULT_TZ, "UTC")
_RAW_LIMIT = 20
#: The Raw JSON tab scrolls within this height (30 runs are some 37,000 px of JSON).
RAW_MAX_HEIGHT = "480px"
_RAW_HIDDEN = (
    "<p>Raw JSON is hidden while <b>Redact</b> is on: the payloads hold the personal data "
    "that the other tabs mask. Untick Redact to see them.</p>"
)
_TABLE_ROWS = 200
_STORIES = 5


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class ExecutionExplorer:
    """An ipywidgets front-end: paste execution UUIDs, fetch them, read their story.

    Display it (or its ``.widget``) in a notebook. The text box takes one or many UUIDs in any
    form (lines, commas, spaces, braces, upper case, links of the Plannr app) and checks them
    as you type. **Fetch** loads them (with a progress bar for batches) and fills the tabs:
    summary, timeline, steps, step statistics, errors and raw JSON. Failures are listed per
    UUID, in words. After a fetch, ``explorer.executions``, ``explorer.steps`` and
    ``explorer.accounts`` hold the frames for the next cell (redacted when Redact is on).

    Parameters
    ----------
    client : PlannrClient, optional
        A :class:`PlannrClient`; by default the real API when ``PLANNR_ACCESS_TOKEN`` is set,
        else the bundled demo (the explorer says which).
    uuids : str | Sequence[str], optional
        Initial text of the UUID box (one notebook serves interactive and headless runs).
    include_account : bool, optional
        Initial state of the "include account" toggle.
    tz : str, optional
        Time zone of the timeline, the tables and the story (the Zone menu changes it); by
        default ``pnb.options.tz`` (``PLANNR_NB_TZ``, else Europe/London).
    auto_refresh : int, optional
        Seconds between automatic refreshes of running executions (0: off).
    fetch : bool, optional
        Fetch at once when ``uuids`` is given.
    redact : bool, optional
        Initial state of the "Redact" toggle: mask names, e-mails, phone numbers and other
        personal data (with :class:`Redactor`, one pseudonym per person across every tab and
        the frames) before anything is shown. The Raw JSON tab is hidden while it is on, and
        accounts are fetched so that their people's names are masked inside texts too.

    """

    def __init__(
        self,
        client: PlannrClient | None = None,
        *,
        uuids: str | Sequence[str] = "",
        include_account: bool = False,
        tz: str | None = None,
        auto_refresh: int = 0,
        fetch: bool = False,
        redact: bool = False,
    ) -> None:
        if isinstance(client, AsyncPlannrClient):
            msg = "ExecutionExplorer needs a PlannrClient (the blocking one), not the async one"
            raise TypeError(msg)
        tz = resolve_tz(tz)  # an unknown zone fails here, not at draw time
        if auto_refresh < 0:
            msg = f"auto_refresh is seconds between refreshes (0: off), not {auto_refresh}"
            raise ValueError(msg)
        self.client: PlannrClient = client if client is not None else connect()
        self.demo = self.client.is_demo
        self.executions = pl.DataFrame(schema=EXECUTION_SCHEMA)
        self.steps = pl.DataFrame(schema=STEP_SCHEMA)
        self.accounts = pl.DataFrame(schema=ACCOUNT_SCHEMA)
        self.payloads: list[dict[str, Any]] = []
        self.errors: dict[str, PlannrError] = {}
        self.redactor: Redactor | None = None
        self._entries: list[UUIDEntry] = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

        text = uuids if isinstance(uuids, str) else "\n".join(uuids)
        banner = (
            "<b>Demo data</b>: no PLANNR_ACCESS_TOKEN is set, so this explorer reads the bundled "
            "synthetic dataset. Set the token and restart the kernel to use your firm's data."
            if self.demo
            else f"Connected to <code>{escape_html(self.client.base_url)}</code>."
        )
        self.banner = widgets.HTML(f"<div class='plannr-banner {NO_MATH}'>{banner}</div>")
        self.uuid_box = widgets.Textarea(
            value=text,
            placeholder=(
                "Paste one or more execution UUIDs or Plannr links: one per line, or separated "
                "by commas or spaces"
            ),
            layout=widgets.Layout(width="100%", height="90px"),
        )
        self.validation = widgets.HTML()
        self.include_account = widgets.Checkbox(
            value=include_account, description="Include account", indent=False
        )
        self.redact = widgets.Checkbox(
            value=redact,
            description="Redact",
            indent=False,
            tooltip="Mask names, e-mails, phone numbers and other personal data in every tab",
        )
        self.zone = widgets.Dropdown(
            options=list(dict.fromkeys([tz, *ZONES])), value=tz, description="Zone"
        )
        self.fetch_button = widgets.Button(
            description="Fetch",
            button_style="primary",
            icon="download",
            layout=widgets.Layout(flex="0 0 auto"),
        )
        self.refresh_button = widgets.Button(
            description="Refresh running",
            icon="refresh",
            disabled=True,
            layout=widgets.Layout(width="auto", min_width="160px", flex="0 0 auto"),
            tooltip="Fetch again the executions that have not finished",
        )
        choices = list(REFRESH_CHOICES)
        if auto_refresh not in dict(REFRESH_CHOICES).values():
            choices.append((f"every {auto_refresh} s", auto_refresh))
        self.auto_refresh = widgets.Dropdown(
            options=choices, value=auto_refresh, description="Auto"
        )
        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, layout=widgets.Layout(width="40%", visibility="hidden")
        )
        self.status = widgets.HTML()
        self.outputs = {
            name: widgets.Output()
            for name in ("Summary", "Timeline", "Steps", "Statistics", "Errors", "Raw JSON")
        }
        self.tabs = widgets.Tab(
            children=list(self.outputs.values()), titles=list(self.outputs.keys())
        )
        self.widget = widgets.VBox(
            [
                self.banner,
                self.uuid_box,
                self.validation,
                widgets.HBox(
                    [
                        self.fetch_button,
                        self.refresh_button,
                        self.include_account,
                        self.redact,
                        self.zone,
                        self.auto_refresh,
                    ]
                ),
                widgets.HBox([self.progress]),
                self.status,
                self.tabs,
            ]
        )
        self.uuid_box.observe(lambda _change: self._validate(), names="value")
        self.fetch_button.on_click(lambda _button: self._safely(self.fetch))
        self.refresh_button.on_click(lambda _button: self._safely(self.refresh))
        self.zone.observe(lambda _change: self._safely(self._render), names="value")
        self.redact.observe(lambda _change: self._safely(self._redaction_changed), names="value")
        self.auto_refresh.observe(lambda _change: self._schedule(), names="value")
        self._validate()
        if fetch and text.strip():
            self.fetch()
        self._schedule()

    # display -------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            # Names the explorer in saved notebooks: reports put a note in its place.
            bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return (
            f"ExecutionExplorer({self.executions.height} executions, {len(self.errors)} errors, "
            f"{'demo' if self.demo else self.client.base_url})"
        )

    # input ---------------------------------------------------------------------------------

    @property
    def uuids(self) -> list[str]:
        """The valid UUIDs in the text box, normalised, each once, in order."""
        return list(dict.fromkeys(e.uuid for e in self._entries if e.uuid is not None))

    @property
    def invalid(self) -> dict[str, str]:
        """Entries of the text box that are not UUIDs -> why."""
        return {e.text: str(e.error) for e in self._entries if e.error is not None}

    def _validate(self) -> None:
        self._entries = parse_uuid_text(self.uuid_box.value)
        valid, invalid = self.uuids, self.invalid
        parts = []
        if valid:
            parts.append(
                f"<span style='color:#1a7f37'>&#10003; {len(valid)} UUID"
                f"{'s' if len(valid) != 1 else ''} ready</span>"
            )
        for text in invalid:
            shown = escape_html(text if len(text) <= 60 else text[:57] + "...")
            parts.append(
                f"<span style='color:#b42318'>&#10007; <code>{shown}</code> is not an execution "
                "UUID (expected 36 characters like cc137447-a749-4b21-88a5-b27ef8b16878)</span>"
            )
        self.validation.value = f"<div class='{NO_MATH}'>{'<br>'.join(parts)}</div>"
        self.fetch_button.disabled = not valid

    # actions -------------------------------------------------------------------------------

    def _safely(self, action: Callable[[], object]) -> None:
        """Run a button's action; show any failure in words, never a traceback."""
        try:
            action()
        except PlannrError as exc:
            self._say(f"<b>Could not fetch:</b> {escape_html(str(exc))}", error=True)
        except Exception as exc:  # a widget callback must not die silently
            self._say(f"<b>Something went wrong:</b> {escape_html(_error_text(exc))}", error=True)

    def _say(self, message: str, *, error: bool = False) -> None:
        colour = "#b42318" if error else "inherit"
        self.status.value = f"<div class='{NO_MATH}' style='color:{colour}'>{message}</div>"

    def _fetch_uuids(self, uuids: Sequence[str]) -> FetchResult:
        total = FetchResult()
        self.progress.max = max(1, len(uuids))
        self.progress.value = 0
        self.progress.layout.visibility = "visible" if len(uuids) > 1 else "hidden"
        for chunk in _chunks(uuids, BATCH_CHUNK_SIZE):
            self._say(f"Fetching {len(uuids)} execution{'s' if len(uuids) != 1 else ''}...")
            # Redaction learns the people to mask from the accounts: fetch them too.
            with_account = bool(self.include_account.value or self.redact.value)
            result = self.client.fetch_executions(chunk, include_account=with_account)
            total.executions.extend(result.executions)
            total.errors.update(result.errors)
            self.progress.value += len(chunk)
        self.progress.layout.visibility = "hidden"
        return total

    def fetch(self) -> FetchResult:
        """Fetch what the text box holds; returns once the frames and tabs are filled.

        Invalid entries are reported as errors (nothing is sent for them); every valid UUID
        ends up in ``executions`` or in ``errors``.
        """
        with self._lock:
            self._validate()
            result = self._fetch_uuids(self.uuids)
            for entry in self._entries:
                if entry.error is not None:
                    result.errors[entry.text] = entry.error
            self.payloads = list(result.executions)
            self.errors = dict(result.errors)
            self._rebuild()
            return result

    def refresh(self) -> FetchResult:
        """Fetch again the executions that have not finished, and update everything."""
        with self._lock:
            running = self.executions.filter(~is_finished())["execution_uuid"].to_list()
            if not running:
                self._say("Every execution shown has finished: nothing to refresh.")
                return FetchResult()
            result = self._fetch_uuids(running)
            fresh = {item["uuid"]: item for item in result.executions}
            self.payloads = [fresh.get(item["uuid"], item) for item in self.payloads]
            for uuid in fresh:
                self.errors.pop(uuid, None)
            self.errors.update(result.errors)
            self._rebuild(refreshed=len(fresh))
            return result

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        seconds = int(self.auto_refresh.value)
        if seconds <= 0:
            return
        timer = threading.Timer(seconds, self._tick)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _tick(self) -> None:
        self._safely(self.refresh)
        self._schedule()

    def close(self) -> None:
        """Stop auto-refresh and close the widgets."""
        self.auto_refresh.value = 0
        if self._timer is not None:
            self._timer.cancel()
        for child in (*self.outputs.values(), self.tabs, self.widget):
            child.close()

    # rendering -----------------------------------------------------------------------------

    def _rebuild(self, refreshed: int | None = None) -> None:
        redacting = bool(self.redact.value)
        ex, steps, accounts = build_frames(
            self.payloads, accounts=self.include_account.value or redacting
        )
        self.redactor = None
        if redacting:
            self.redactor = Redactor()
            ex, steps, accounts = self.redactor.redact(ex, steps, accounts)
        self.executions, self.steps, self.accounts = ex, steps, accounts
        if not self.include_account.value:
            self.accounts = pl.DataFrame(schema=ACCOUNT_SCHEMA)
        running = self.executions.filter(~is_finished()).height
        self.refresh_button.disabled = running == 0
        n, e = self.executions.height, len(self.errors)
        message = f"Fetched {n} execution{'s' if n != 1 else ''}"
        if refreshed is not None:
            message = f"Refreshed {refreshed} running execution{'s' if refreshed != 1 else ''}"
        if running:
            message += f"; {running} still running"
        if e:
            message += f"; <b>{e} could not be fetched</b> (see the Errors tab)"
        message += "."
        if self.redactor is not None:
            message += f" <b>Redacted.</b> {escape_html(self.redactor.summary())}"
            if any("account" not in payload for payload in self.payloads):
                message += " Fetch again to mask the names of the accounts inside texts too."
        self._say(message, error=bool(e) and n == 0)
        self._render()

    def _show(self, name: str, *items: Any) -> None:
        out = self.outputs[name]
        out.outputs = ()
        for item in items:
            if isinstance(item, dict) and "output_type" in item:
                out.outputs = (*out.outputs, item)
            else:
                out.append_display_data(item)

    @staticmethod
    def _chart(chart: Any) -> dict[str, Any]:
        bundle, metadata = plannr_renderer(chart.to_dict(), png=False)
        return {"output_type": "display_data", "data": bundle, "metadata": metadata}

    @staticmethod
    def _markdown(text: Markdown) -> dict[str, Any]:
        # Only Markdown built by _markup (values escaped) is shown as Markdown.
        return {
            "output_type": "display_data",
            "data": {"text/markdown": text._repr_markdown_()},
            "metadata": {},
        }

    @staticmethod
    def _html(text: str) -> dict[str, Any]:
        return {
            "output_type": "display_data",
            "data": {"text/html": text, "text/plain": text},
            "metadata": {},
        }

    def _redaction_changed(self) -> None:
        with self._lock:
            if self.payloads or self.errors:
                self._rebuild()

    def _raw_html(self) -> str:
        """The payloads as JSON, in a box of limited height; nothing while redacting."""
        if self.redactor is not None:
            return f"<div class='{NO_MATH}'>{_RAW_HIDDEN}</div>"
        raw = json.dumps(self.payloads[:_RAW_LIMIT], indent=2, ensure_ascii=False)
        note = (
            f"<p>First {_RAW_LIMIT} of {len(self.payloads)} executions.</p>"
            if len(self.payloads) > _RAW_LIMIT
            else ""
        )
        box = f"max-height:{RAW_MAX_HEIGHT};overflow:auto;margin:0"
        return (
            f"<div class='{NO_MATH}'>{note}"
            f"<pre class='plannr-raw-json' style='{box}'>{escape_html(raw)}</pre></div>"
        )

    def _render(self) -> None:
        tz = str(self.zone.value)
        ex, steps = self.executions, self.steps
        if ex.height == 0:
            for name in self.outputs:
                self._show(name)
        elif ex.height == 1:
            self._show(
                "Summary", self._markdown(explain(ex["execution_uuid"][0], ex, steps, tz=tz))
            )
        else:
            counts = ex.group_by("status").len().sort("len", descending=True)
            lines = join(", ", (markdown("{} {}", n, status) for status, n in counts.iter_rows()))
            stories = [
                self._markdown(explain(uuid, ex, steps, tz=tz))
                for uuid in ex["execution_uuid"].head(_STORIES).to_list()
            ]
            self._show(
                "Summary",
                self._markdown(markdown("**{} executions:** {}.", ex.height, lines)),
                *(stories if ex.height <= _STORIES else []),
                self._chart(status_chart(ex)),
                table(
                    ex.select(
                        "execution_uuid",
                        "name",
                        "status",
                        "created_at",
                        "step_count",
                        "failed_step_count",
                        "first_failed_step",
                        "account_name",
                    ),
                    tz=tz,
                    max_rows=_TABLE_ROWS,
                ),
            )
        if ex.height:
            self._show("Timeline", self._chart(gantt(steps, tz=tz, relative=ex.height > 1)))
            self._show(
                "Steps",
                table(
                    steps.select(
                        "execution_uuid",
                        (pl.col("position") + 1).alias("step"),
                        "name",
                        "status",
                        "executed_at",
                        pl.col("gap").alias("wait_since_previous"),
                        "failed",
                        "errors",
                    ),
                    tz=tz,
                    max_rows=_TABLE_ROWS,
                ),
            )
            self._show(
                "Statistics",
                self._chart(step_stats_chart(steps, per="step")),
                table(step_stats(steps, per="step"), tz=tz, max_rows=_TABLE_ROWS),
            )
            self._show("Raw JSON", self._html(self._raw_html()))
        mask = self.redactor.text if self.redactor is not None else str
        failures = errors_frame(self.errors, mask=mask)
        self._show(
            "Errors",
            table(failures, tz=tz) if self.errors else self._html("<p>Every UUID was fetched.</p>"),
        )
        self.tabs.titles = [
            f"Errors ({len(self.errors)})" if name == "Errors" and self.errors else name
            for name in self.outputs
        ]
