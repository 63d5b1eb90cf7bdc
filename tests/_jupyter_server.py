"""A throw-away JupyterLab server on loopback, for the browser test.

Everything it writes (config, data, runtime, IPython, settings, workspaces) lives under one
temporary folder; it has no token, checks for no updates or news, and is stopped by its own
process id (and process group) whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from conftest import clean_environ

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

# Lab settings for a quiet, offline session: no news, no update check, no toasts on top of
# cells; no autosave, so a notebook reopened later is the clean copy again.
_USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL, the folder it serves and its log file."""

    url: str
    root: Path
    log: Path
    pid: int


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 2.0) -> bytes:
    # Loopback only: never go through a proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as response:
        return bytes(response.read())


def _server_env(home: Path) -> dict[str, str]:
    env = clean_environ()
    env.pop("JUPYTER_TOKEN", None)
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "IPYTHONDIR": home / "ipython",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    # The venv's share/jupyter holds the python3 kernelspec and the ipywidgets lab extension;
    # it is on Jupyter's path through sys.prefix already, this says so explicitly.
    shared = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (shared, env.get("JUPYTER_PATH")) if p)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate -> wait -> kill the server's own process group (it was started as its leader)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT)
    # Kernels started by the server are in its group; make sure none outlives it.
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def jupyter_lab(root: Path, home: Path) -> Iterator[Lab]:
    """Run JupyterLab over ``root`` (its own dirs under ``home``) until the block ends."""
    env = _server_env(home)
    settings = home / "lab-user-settings"
    for name, values in _USER_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "jupyterlab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: a test's tab opens notebooks with Lab's own commands, no reload
        "--LabApp.expose_app_in_browser=True",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                msg = f"JupyterLab exited with {proc.returncode} before it was ready:\n{tail}"
                raise RuntimeError(msg)
            try:
                json.loads(_get(f"{url}/api/status"))
                break
            except (OSError, urllib.error.URLError, ValueError):
                if time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-3000:]
                    msg = f"JupyterLab not ready after {START_TIMEOUT:.0f} s:\n{tail}"
                    raise RuntimeError(msg) from None
                time.sleep(0.2)
        yield Lab(url=url, root=root, log=log, pid=proc.pid)
    finally:
        _stop(proc)
