"""Package-wide settings, set once and read at call time: today, the time zone times are shown in.

``pnb.options.tz = "UTC"`` (or ``PLANNR_NB_TZ=UTC`` in the environment) changes the zone of every
chart, table, story and explorer that is not given ``tz=`` explicitly. Functions take
``tz: str | None = None``, ``None`` meaning this default, and resolve it when called, so setting
the option after ``import plannr_nb`` works.
"""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._config import DEFAULT_TZ, TZ_ENV_VAR
from ._errors import ConfigurationError

__all__ = ["Options", "check_zone", "options", "resolve_tz"]


def check_zone(tz: str) -> ZoneInfo:
    """The zone named ``tz``, or a ConfigurationError that says what an IANA name looks like."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        msg = (
            f"Unknown time zone {tz!r}: use an IANA name such as 'UTC' or 'Europe/London' "
            "(install the 'tzdata' package if the system has no zone database)."
        )
        raise ConfigurationError(msg, option="tz") from exc


class Options:
    """Settings of plannr-nb, read each time a function needs them (``pnb.options``).

    Attributes
    ----------
    tz : str
        The IANA time zone times are shown in when a function is not given ``tz=``. Set it once
        (``pnb.options.tz = "UTC"``); without it, the ``PLANNR_NB_TZ`` environment variable,
        else ``"Europe/London"`` (Plannr is a UK product; every axis and table names its zone).
        Setting ``None`` goes back to that default; an unknown zone is refused at once.
    """

    def __init__(self) -> None:
        self._tz: str | None = None

    @property
    def tz(self) -> str:
        """The default time zone: the one set, else ``$PLANNR_NB_TZ``, else Europe/London."""
        if self._tz is not None:
            return self._tz
        from_env = os.environ.get(TZ_ENV_VAR, "").strip()
        if not from_env:
            return DEFAULT_TZ
        try:
            check_zone(from_env)
        except ConfigurationError as exc:
            msg = f"{TZ_ENV_VAR} (set in the environment) is refused: {exc} Fix or unset it."
            raise ConfigurationError(msg, option="tz") from None
        return from_env

    @tz.setter
    def tz(self, value: str | None) -> None:
        if value is not None:
            check_zone(value)
        self._tz = value

    def __repr__(self) -> str:
        return f"Options(tz={self.tz!r})"


#: The one settings object of the package.
options = Options()


def resolve_tz(tz: str | None) -> str:
    """``tz`` checked, or the default zone (:attr:`Options.tz`) when it is ``None``."""
    if tz is None:
        return options.tz
    check_zone(tz)
    return tz
