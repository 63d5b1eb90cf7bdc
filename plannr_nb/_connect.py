"""One call for notebooks: the real API when a token is set, the bundled demo otherwise."""

from __future__ import annotations

import os
from typing import Any

from ._client import PlannrClient
from ._config import BASE_URL_ENV_VAR, DEMO_ENV_VAR
from ._core import _resolve_token
from ._errors import ConfigurationError

__all__ = ["connect"]


def connect(*, demo: bool | None = None, **options: Any) -> PlannrClient:
    """A :class:`PlannrClient` for notebooks and widgets.

    With ``demo=None`` (the default) it is the real API when ``PLANNR_ACCESS_TOKEN`` (or
    ``ACCESS_TOKEN``) is set, and the bundled demo dataset otherwise, so every notebook runs
    before you own a token; ``PLANNR_NB_DEMO=1`` forces the demo. ``demo=True`` forces the
    demo, ``demo=False`` the real API (which then needs a token). ``PLANNR_BASE_URL`` changes
    the API's address (refused like ``base_url``: plain http:// only to loopback, no
    credentials). Other keyword options go to :class:`PlannrClient`.

    Raises
    ------
    ConfigurationError
        An option (or ``PLANNR_BASE_URL``) the client refuses; nothing was sent.
    """
    # The token goes straight into the masking holder (the environment's when none is given):
    # from here on no frame of ours holds its text, even in a traceback formatted with locals.
    options["token"] = _resolve_token(options.pop("token", None))
    if demo is None:
        forced = os.environ.get(DEMO_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}
        demo = forced or options["token"] is None
    if demo:
        return PlannrClient.demo(cache=options.get("cache"))
    from_env = os.environ.get(BASE_URL_ENV_VAR, "").strip()
    if not from_env or "base_url" in options:
        return PlannrClient(**options)
    options["base_url"] = from_env
    refusal: str | None = None
    try:
        return PlannrClient(**options)
    except ConfigurationError as exc:
        if exc.option != "base_url":
            raise
        refusal = str(exc)  # raised below, outside this block, as the error of the variable
    msg = (
        f"{BASE_URL_ENV_VAR} (set in the environment) is refused: {refusal} Fix or unset "
        f"{BASE_URL_ENV_VAR}, or pass connect(base_url=...)."
    )
    raise ConfigurationError(msg, option="base_url")
