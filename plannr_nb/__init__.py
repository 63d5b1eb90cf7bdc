"""Troubleshoot Plannr CRM automation executions from Jupyter.

HTTP client -> raw JSON -> polars frames -> altair charts -> ipywidgets -> notebooks. Names are
loaded on first use, so ``import plannr_nb`` stays fast.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from ._analysis import step_stats
    from ._charts import save_chart, status_chart, step_stats_chart
    from ._client import AsyncPlannrClient, FetchResult, PlannrClient
    from ._connect import connect
    from ._demo import (
        DEMO_BLUEPRINT_UUIDS,
        DEMO_RUNNING_UUID,
        DEMO_SNAPSHOT,
        DEMO_STORY_UUID,
        load_demo_executions,
    )
    from ._durations import human_duration
    from ._errors import (
        ApiError,
        AuthenticationError,
        ConfigurationError,
        InvalidUUIDError,
        NotFoundError,
        NothingFetchedError,
        PermissionDeniedError,
        PlannrError,
        RateLimitError,
        RequestTimeoutError,
        ResponseFormatError,
        ServerError,
        StoreError,
        TransportError,
        ValidationError,
    )
    from ._fleet import changes, error_clusters, failure_trend, stalled
    from ._fleet_charts import clusters_chart, runs_heatmap, trend_chart
    from ._frames import accounts_frame, build_frames, executions_frame, parse_info, steps_frame
    from ._gantt import gantt
    from ._markup import Markdown, escape_html, escape_markdown, markdown
    from ._options import Options, options
    from ._redact import Redactor, redact
    from ._report import render_report, show_not_fetched
    from ._statuses import (
        FAILED_STATUSES,
        FINISHED_STATUSES,
        PENDING_STATUSES,
        RUNNING_STATUSES,
        is_failed,
        is_finished,
        normalize_status,
        status_expr,
    )
    from ._store import Store, open_store
    from ._story import explain
    from ._sync import SyncSummary
    from ._tables import table
    from ._uuids import normalize_uuid, parse_uuid_text
    from ._widgets import ExecutionExplorer

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "ApiError": "_errors",
    "AsyncPlannrClient": "_client",
    "AuthenticationError": "_errors",
    "ConfigurationError": "_errors",
    "DEMO_BLUEPRINT_UUIDS": "_demo",
    "DEMO_RUNNING_UUID": "_demo",
    "DEMO_SNAPSHOT": "_demo",
    "DEMO_STORY_UUID": "_demo",
    "ExecutionExplorer": "_widgets",
    "FAILED_STATUSES": "_statuses",
    "FINISHED_STATUSES": "_statuses",
    "FetchResult": "_client",
    "InvalidUUIDError": "_errors",
    "Markdown": "_markup",
    "NotFoundError": "_errors",
    "NothingFetchedError": "_errors",
    "Options": "_options",
    "PENDING_STATUSES": "_statuses",
    "PermissionDeniedError": "_errors",
    "PlannrClient": "_client",
    "PlannrError": "_errors",
    "RUNNING_STATUSES": "_statuses",
    "RateLimitError": "_errors",
    "Redactor": "_redact",
    "RequestTimeoutError": "_errors",
    "ResponseFormatError": "_errors",
    "ServerError": "_errors",
    "Store": "_store",
    "StoreError": "_errors",
    "SyncSummary": "_sync",
    "TransportError": "_errors",
    "ValidationError": "_errors",
    "accounts_frame": "_frames",
    "build_frames": "_frames",
    "changes": "_fleet",
    "clusters_chart": "_fleet_charts",
    "connect": "_connect",
    "error_clusters": "_fleet",
    "escape_html": "_markup",
    "escape_markdown": "_markup",
    "executions_frame": "_frames",
    "explain": "_story",
    "failure_trend": "_fleet",
    "gantt": "_gantt",
    "human_duration": "_durations",
    "is_failed": "_statuses",
    "is_finished": "_statuses",
    "load_demo_executions": "_demo",
    "markdown": "_markup",
    "normalize_status": "_statuses",
    "normalize_uuid": "_uuids",
    "open_store": "_store",
    "options": "_options",
    "parse_info": "_frames",
    "parse_uuid_text": "_uuids",
    "redact": "_redact",
    "render_report": "_report",
    "runs_heatmap": "_fleet_charts",
    "save_chart": "_charts",
    "show_not_fetched": "_report",
    "stalled": "_fleet",
    "status_chart": "_charts",
    "status_expr": "_statuses",
    "step_stats": "_analysis",
    "step_stats_chart": "_charts",
    "steps_frame": "_frames",
    "table": "_tables",
    "trend_chart": "_fleet_charts",
}

__all__ = [
    "ApiError",
    "AsyncPlannrClient",
    "AuthenticationError",
    "ConfigurationError",
    "DEMO_BLUEPRINT_UUIDS",
    "DEMO_RUNNING_UUID",
    "DEMO_SNAPSHOT",
    "DEMO_STORY_UUID",
    "ExecutionExplorer",
    "FAILED_STATUSES",
    "FINISHED_STATUSES",
    "FetchResult",
    "InvalidUUIDError",
    "Markdown",
    "NotFoundError",
    "NothingFetchedError",
    "Options",
    "PENDING_STATUSES",
    "PermissionDeniedError",
    "PlannrClient",
    "PlannrError",
    "RUNNING_STATUSES",
    "RateLimitError",
    "Redactor",
    "RequestTimeoutError",
    "ResponseFormatError",
    "ServerError",
    "Store",
    "StoreError",
    "SyncSummary",
    "TransportError",
    "ValidationError",
    "accounts_frame",
    "build_frames",
    "changes",
    "clusters_chart",
    "connect",
    "error_clusters",
    "escape_html",
    "escape_markdown",
    "executions_frame",
    "explain",
    "failure_trend",
    "gantt",
    "human_duration",
    "is_failed",
    "is_finished",
    "load_demo_executions",
    "markdown",
    "normalize_status",
    "normalize_uuid",
    "open_store",
    "options",
    "parse_info",
    "parse_uuid_text",
    "redact",
    "render_report",
    "runs_heatmap",
    "save_chart",
    "show_not_fetched",
    "stalled",
    "status_chart",
    "status_expr",
    "step_stats",
    "step_stats_chart",
    "steps_frame",
    "table",
    "trend_chart",
]


def __getattr__(name: str) -> _typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'plannr_nb' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
