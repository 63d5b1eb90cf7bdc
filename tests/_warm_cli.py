"""``plannr-nb`` runs for the shared report fixtures, each in a process of its own forked from
one that has already imported what the command imports (multiprocessing's fork server).

A report run then costs its own work (its kernel, the HTML), not the 0.7 core-seconds of starting
Python and importing papermill, nbconvert and plannr_nb again: about 11 core-seconds a suite.
Each run is still a process of its own, in its own session (killed whole, kernel included), with
its own environment, folder and output; ``plannr_nb._cli.main`` is the command's own entry point.
What only a shell adds, the installed ``plannr-nb`` script and the interpreter's start, is run
by the tests that call ``run_cli``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

#: What ``plannr-nb report`` imports before its kernel starts: imported once, in the fork server.
#: None of these reads our variables or Jupyter's paths at import: each run sets its own.
PRELOAD = (
    "plannr_nb._cli",
    "plannr_nb._report",
    "plannr_nb._errors",
    "papermill",
    "nbformat",
    "nbconvert",
    "jinja2",
    "nh3",
    "jupyter_client.manager",
    "traitlets.config",
    "IPython.display",
)

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__, *PRELOAD])


def _main(args: Sequence[str], env: Mapping[str, str], cwd: str, out: str, err: str) -> None:
    """The forked run: a session of its own, the run's environment and folder, stdout and
    stderr to files, then the command's entry point; its return value is the exit status."""
    os.setsid()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    from plannr_nb._cli import main

    try:
        code = main(list(args))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    sys.exit(code)


def _scratch(kind: str) -> Path:
    """A file for one of a run's streams, outside the run's folder (tests list what it wrote)."""
    handle, name = tempfile.mkstemp(prefix=f"plannr-nb-{kind}-")
    os.close(handle)
    return Path(name)


class WarmRun:
    """One ``plannr-nb ARGS`` run, started at once; ``wait`` gives what a subprocess would."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
        self.command = ["plannr-nb", *args]
        self._out, self._err = (_scratch(kind) for kind in ("stdout", "stderr"))
        self._process = _CONTEXT.Process(
            target=_main,
            args=(list(args), dict(env), str(cwd), str(self._out), str(self._err)),
            name="plannr-nb",
        )
        self._process.start()

    def wait(self, timeout: float) -> subprocess.CompletedProcess[str]:
        """The exit status and output, once the run ends (``TimeoutExpired`` after ``timeout``,
        the run killed)."""
        self._process.join(timeout)
        if self._process.exitcode is None:
            self.kill()
            raise subprocess.TimeoutExpired(self.command, timeout)
        out = self._out.read_text(encoding="utf-8", errors="replace")
        err = self._err.read_text(encoding="utf-8", errors="replace")
        self._out.unlink(missing_ok=True)
        self._err.unlink(missing_ok=True)
        return subprocess.CompletedProcess(self.command, self._process.exitcode, out, err)

    def running(self) -> bool:
        return self._process.exitcode is None

    def kill(self) -> None:
        """Kill the run's whole session (its kernel with it), then reap it."""
        pid = self._process.pid
        if pid is not None and self.running():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            self._process.kill()  # not yet in a session of its own
        self._process.join()  # ``wait`` still reads what it wrote, then removes the files
