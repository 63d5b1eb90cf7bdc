"""One call for notebooks: the real API when a token is set, the bundled demo otherwise."""

from __future__ import annotations

import os
from typing import Any

from ._client import PlannrClient
from ._config import TOKEN_ENV_VARS

__all__ = ["BASE_URL_ENV_VAR", "DEMO_ENV_VAR", "connect"]

#: Set to 1 to use the bundled demo data even when a token is set.
DEMO_ENV_VAR = "PLANNR_NB_DEMO"
#: Another address for the API (a sandbox, or a test server).
BASE_URL_ENV_VAR = "PLANNR_BASE_URL"


def connect(*, demo: bool | None = None, **options: Any) -> PlannrClient:
    """A :class:`PlannrClient` for notebooks and widgets.

    With ``demo=None`` (the default) it is the real API when ``PLANNR_ACCESS_TOKEN`` (or
    ``ACCESS_TOKEN``) is set, and the bundled demo dataset otherwise, so every notebook runs
    before you own a token; ``PLANNR_NB_DEMO=1`` forces the demo. ``demo=True`` forces the
    demo, ``demo=False`` the real API (which then needs a token). ``PLANNR_BASE_URL`` changes
    the API's address. Other keyword options go to :class:`PlannrClient`.
    """
    if demo is None:
        forced = os.environ.get(DEMO_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}
        has_token = any(os.environ.get(name) for name in TOKEN_ENV_VARS) or options.get("token")
        demo = forced or not has_token
    if demo:
        return PlannrClient.demo(cache=options.get("cache"))
    base_url = os.environ.get(BASE_URL_ENV_VAR)
    if base_url:
        options.setdefault("base_url", base_url)
    return PlannrClient(**options)
