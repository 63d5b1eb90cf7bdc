"""An on-disk snapshot store of fetched executions (``PlannrClient(cache=...)``).

One JSON file per execution, named by its canonical UUID, in one directory. Writes are atomic: a
temporary file in the same directory is written, flushed, fsynced and then renamed over the
target, so a crash leaves either the old snapshot or the new one, never a torn file. Finished
executions (see ``FINISHED_STATUSES``) are reused as they are; running ones are refetched, and
served from here only when the network is down (offline mode).

The cache trusts nothing it reads: a file is opened without following symlinks and only when it
is a regular file (a FIFO or a device never blocks a read), and a snapshot whose execution UUID
is not the one asked for (or has none) is a miss. The directory is created private (0700); an
existing one writable by group or others is used, with a warning (once): anyone who can write
there can make the client see executions that were never fetched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ._errors import ConfigurationError, InvalidUUIDError
from ._statuses import FINISHED_STATUSES, normalize_status
from ._uuids import normalize_uuid

logger = logging.getLogger("plannr_nb")

_SUFFIX = ".json"
_FORMAT = 1
_ORPHAN_AGE = 3600.0
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_if_shared(directory: Path) -> None:
    """Log once per directory when group or others may write into it."""
    try:
        mode = directory.stat().st_mode
    except OSError:
        return
    if not mode & (stat.S_IWGRP | stat.S_IWOTH):
        return
    key = str(directory.resolve())
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    logger.warning(
        "cache: %s is writable by other users (mode %s): they could plant snapshots the client "
        "would serve. Use a private directory (chmod 700) for cache=...",
        directory,
        stat.filemode(mode),
    )


@dataclass(frozen=True, slots=True)
class CachedExecution:
    """One snapshot: the execution, whether it carries ``account``, and when it was stored."""

    execution: dict[str, Any]
    include_account: bool
    stored_at: float

    @property
    def finished(self) -> bool:
        """Whether the execution's status means it will not change any more."""
        return normalize_status(self.execution.get("status")) in FINISHED_STATUSES

    def serves(self, include_account: bool) -> bool:
        """Whether this snapshot may answer a request without asking the API."""
        return self.finished and (self.include_account or not include_account)

    def view(self, include_account: bool) -> dict[str, Any]:
        """The execution as a request with that ``include_account`` would have returned it."""
        if include_account:
            return dict(self.execution)
        return {key: value for key, value in self.execution.items() if key != "account"}


class ExecutionCache:
    """A directory of execution snapshots; safe to share between threads and processes."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            usable = os.access(self.directory, os.R_OK | os.W_OK | os.X_OK)
            problem = "it is not readable and writable by you"
        except OSError as exc:
            usable, problem = False, f"{type(exc).__name__}: {exc.strerror or exc}"
        if not usable:
            msg = (
                f"cache {str(self.directory)!r} cannot be used as a directory ({problem}). "
                "Pass cache= a directory you can write to (it is created if missing), or "
                "cache=None for no cache."
            )
            raise ConfigurationError(msg, option="cache")
        _warn_if_shared(self.directory)
        self._sweep()

    def _sweep(self) -> None:
        """Remove temporary files left by writers that died more than an hour ago."""
        cutoff = time.time() - _ORPHAN_AGE
        for path in self.directory.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    def __repr__(self) -> str:
        return f"ExecutionCache({str(self.directory)!r})"

    def _path(self, uuid: str) -> Path:
        # normalize_uuid guarantees 36 characters of [0-9a-f-]: no path tricks possible.
        return self.directory / f"{normalize_uuid(uuid)}{_SUFFIX}"

    def _read(self, path: Path) -> bytes | None:
        """The bytes of ``path`` if it is a regular file (not a symlink, FIFO or device)."""
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except FileNotFoundError:
            return None
        except OSError as exc:  # ELOOP: a symlink; EACCES; ENXIO: a FIFO without writer
            logger.warning("cache: cannot read %s (%s); ignoring it", path.name, exc)
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                logger.warning("cache: %s is not a regular file; ignoring it", path.name)
                return None
            with os.fdopen(fd, "rb", closefd=False) as stream:
                return stream.read()
        except OSError as exc:
            logger.warning("cache: cannot read %s (%s); ignoring it", path.name, exc)
            return None
        finally:
            os.close(fd)

    def get(self, uuid: str) -> CachedExecution | None:
        """The snapshot of ``uuid``, or None (unreadable, not a snapshot, or of another UUID)."""
        path = self._path(uuid)
        raw = self._read(path)
        if raw is None:
            return None
        try:
            record = orjson.loads(raw)
            execution = record["execution"]
            if not isinstance(execution, dict):
                raise TypeError
            held = normalize_uuid(execution.get("uuid"))
            snapshot = CachedExecution(
                execution=execution,
                include_account=record.get("include_account") is True,
                stored_at=float(record.get("stored_at", 0.0)),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            # InvalidUUIDError is a ValueError: a snapshot without a valid uuid lands here too.
            logger.warning("cache: %s is not a snapshot; ignoring it", path.name)
            return None
        if held != path.stem:
            logger.warning("cache: %s holds execution %s; ignoring it", path.name, held)
            return None
        return snapshot

    def put(self, execution: Mapping[str, Any], *, include_account: bool) -> None:
        """Store ``execution`` atomically (it must carry a valid ``uuid``)."""
        try:
            path = self._path(str(execution.get("uuid")))
        except InvalidUUIDError:
            logger.warning("cache: execution without a valid uuid not stored")
            return
        record = {
            "format": _FORMAT,
            "include_account": include_account,
            "stored_at": time.time(),
            "execution": execution,
        }
        try:
            payload = orjson.dumps(record)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{path.stem}.", suffix=".tmp", dir=self.directory
            )
        except (OSError, TypeError) as exc:
            # The cache is a convenience: a full disk must not lose what was fetched.
            logger.warning("cache: could not store %s: %s", path.stem, exc)
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(payload)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            logger.warning("cache: could not store %s: %s", path.stem, exc)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def uuids(self) -> Iterator[str]:
        """The UUIDs held, in no particular order."""
        for path in self.directory.glob(f"*{_SUFFIX}"):
            if not path.name.startswith("."):
                yield path.stem

    def __contains__(self, uuid: object) -> bool:
        try:
            return isinstance(uuid, str) and self._path(uuid).exists()
        except InvalidUUIDError:
            return False

    def __len__(self) -> int:
        return sum(1 for _ in self.uuids())
