"""Troubleshoot Plannr CRM automation executions from Jupyter.

HTTP client -> raw JSON -> polars frames -> altair charts -> ipywidgets -> notebooks. Names are
loaded on first use, so ``import plannr_nb`` stays fast.
"""

import importlib as _importlib
import importlib.metadata as _metadata
import typing as _typing

# The one list of public names: each name and the private module that defines it. __all__,
# __dir__ and __getattr__ are derived from it (lazy_loader's pattern); __init__.pyi gives type
# checkers the same names, and tests/test_package.py compares the two both ways.
_EXPORTS: dict[str, str] = {
    "ApiError": "_errors",
    "AsyncPlannrClient": "_client",
    "AuthenticationError": "_errors",
    "CachedExecution": "_cache",
    "ConfigurationError": "_errors",
    "DEMO_BLUEPRINT_UUIDS": "_demo",
    "DEMO_RUNNING_UUID": "_demo",
    "DEMO_SNAPSHOT": "_demo",
    "DEMO_STORY_UUID": "_demo",
    "ExecutionCache": "_cache",
    "ExecutionExplorer": "_widgets",
    "FAILED_STATUSES": "_statuses",
    "FINISHED_STATUSES": "_statuses",
    "FetchResult": "_core",
    "Frames": "_frames",
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
    "RateLimiter": "_ratelimit",
    "Redactor": "_redact",
    "Report": "_report",
    "RequestTimeoutError": "_errors",
    "ResponseFormatError": "_errors",
    "ServerError": "_errors",
    "Store": "_store",
    "StoreError": "_errors",
    "SyncSummary": "_sync",
    "Table": "_tables",
    "TransportError": "_errors",
    "UUIDEntry": "_uuids",
    "UpsertResult": "_store",
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

__all__ = sorted(_EXPORTS)
# One version string: pyproject.toml's, as installed.
__version__ = _metadata.version("plannr-nb")


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
