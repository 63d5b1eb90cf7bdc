"""Type information for plannr_nb, whose names load lazily (see ``__init__.py``).

One import per public name, as ``from .module import Name as Name`` (an explicit re-export);
tests/test_package.py checks that these are exactly ``plannr_nb._EXPORTS``, module by module.
"""

# ruff: noqa: I001 (isort would split each block into one import per name)

from ._analysis import (
    step_stats as step_stats,
)
from ._cache import (
    CachedExecution as CachedExecution,
    ExecutionCache as ExecutionCache,
)
from ._charts import (
    save_chart as save_chart,
    status_chart as status_chart,
    step_stats_chart as step_stats_chart,
)
from ._client import (
    AsyncPlannrClient as AsyncPlannrClient,
    PlannrClient as PlannrClient,
)
from ._connect import (
    connect as connect,
)
from ._core import (
    FetchResult as FetchResult,
)
from ._demo import (
    DEMO_BLUEPRINT_UUIDS as DEMO_BLUEPRINT_UUIDS,
    DEMO_RUNNING_UUID as DEMO_RUNNING_UUID,
    DEMO_SNAPSHOT as DEMO_SNAPSHOT,
    DEMO_STORY_UUID as DEMO_STORY_UUID,
    load_demo_executions as load_demo_executions,
)
from ._durations import (
    human_duration as human_duration,
)
from ._errors import (
    ApiError as ApiError,
    AuthenticationError as AuthenticationError,
    ConfigurationError as ConfigurationError,
    InvalidUUIDError as InvalidUUIDError,
    NotFoundError as NotFoundError,
    NothingFetchedError as NothingFetchedError,
    PermissionDeniedError as PermissionDeniedError,
    PlannrError as PlannrError,
    RateLimitError as RateLimitError,
    RequestTimeoutError as RequestTimeoutError,
    ResponseFormatError as ResponseFormatError,
    ServerError as ServerError,
    StoreError as StoreError,
    TransportError as TransportError,
    ValidationError as ValidationError,
)
from ._fleet import (
    changes as changes,
    error_clusters as error_clusters,
    failure_trend as failure_trend,
    stalled as stalled,
)
from ._fleet_charts import (
    clusters_chart as clusters_chart,
    runs_heatmap as runs_heatmap,
    trend_chart as trend_chart,
)
from ._frames import (
    Frames as Frames,
    accounts_frame as accounts_frame,
    build_frames as build_frames,
    executions_frame as executions_frame,
    parse_info as parse_info,
    steps_frame as steps_frame,
)
from ._gantt import (
    gantt as gantt,
)
from ._markup import (
    Markdown as Markdown,
    escape_html as escape_html,
    escape_markdown as escape_markdown,
    markdown as markdown,
)
from ._options import (
    Options as Options,
    options as options,
)
from ._ratelimit import (
    RateLimiter as RateLimiter,
)
from ._redact import (
    Redactor as Redactor,
    redact as redact,
)
from ._report import (
    Report as Report,
    render_report as render_report,
    show_not_fetched as show_not_fetched,
)
from ._statuses import (
    FAILED_STATUSES as FAILED_STATUSES,
    FINISHED_STATUSES as FINISHED_STATUSES,
    PENDING_STATUSES as PENDING_STATUSES,
    RUNNING_STATUSES as RUNNING_STATUSES,
    is_failed as is_failed,
    is_finished as is_finished,
    normalize_status as normalize_status,
    status_expr as status_expr,
)
from ._store import (
    Store as Store,
    UpsertResult as UpsertResult,
    open_store as open_store,
)
from ._story import (
    explain as explain,
)
from ._sync import (
    SyncSummary as SyncSummary,
)
from ._tables import (
    Table as Table,
    table as table,
)
from ._uuids import (
    UUIDEntry as UUIDEntry,
    normalize_uuid as normalize_uuid,
    parse_uuid_text as parse_uuid_text,
)
from ._widgets import (
    ExecutionExplorer as ExecutionExplorer,
)

_EXPORTS: dict[str, str]
__all__: list[str]
__version__: str
