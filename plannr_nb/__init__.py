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
    "FetchResult": "_client",
    "Frames": "_frames",
    "InvalidUUIDError": "_errors",
    "Markdown": "_markup",
    "NotFoundError": "_errors",
    "PermissionDeniedError": "_errors",
    "PlannrClient": "_client",
    "PlannrError": "_errors",
    "RateLimitError": "_errors",
    "RateLimiter": "_ratelimit",
    "Redactor": "_redact",
    "Report": "_report",
    "RequestTimeoutError": "_errors",
    "ResponseFormatError": "_errors",
    "ServerError": "_errors",
    "Table": "_tables",
    "TransportError": "_errors",
    "UUIDEntry": "_uuids",
    "ValidationError": "_errors",
    "accounts_frame": "_frames",
    "build_frames": "_frames",
    "connect": "_connect",
    "escape_html": "_markup",
    "escape_markdown": "_markup",
    "executions_frame": "_frames",
    "explain": "_story",
    "gantt": "_charts",
    "human_duration": "_story",
    "load_demo_executions": "_demo",
    "markdown": "_markup",
    "normalize_uuid": "_uuids",
    "parse_info": "_frames",
    "parse_uuid_text": "_uuids",
    "redact": "_redact",
    "render_report": "_report",
    "save_chart": "_charts",
    "status_chart": "_charts",
    "step_stats": "_charts",
    "step_stats_chart": "_charts",
    "steps_frame": "_frames",
    "table": "_tables",
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
