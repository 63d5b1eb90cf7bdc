"""Create .venv with this python3 and install plannr-nb into it, once per change.

Shared by scripts/lab.py and scripts/test.py, the README's two commands: they need nothing
but python3 (with its venv module). The main job installs only the runtime (``pip install -e
.``); the test command adds the ``test`` extra. A stamp per set of extras remembers what was
installed, for which pyproject.toml and constraints.txt, so nothing is installed twice.

constraints.txt pins every package to the version the tests last passed with, so a fresh
machine installs what CI tested (pip's ``-c``: packages it does not name, say a dependency added
since, install at their newest allowed version). After changing dependencies:

    python3 scripts/_bootstrap.py --refresh-constraints && python3 scripts/test.py

installs the test extra without the pins (a new dependency may need other versions) and writes
what is installed to constraints.txt; commit it once the tests pass (``make constraints`` does
both).

    python3 scripts/_bootstrap.py            # the runtime and the test extra (for CI, make)
    python3 scripts/_bootstrap.py --runtime  # the runtime only
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMPS = VENV / ".plannr-nb-installed"
CONSTRAINTS = "constraints.txt"


def _run(*command: str | Path) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, cwd=ROOT)


def _stamp(extras: Sequence[str]) -> Path:
    return STAMPS / ("runtime" if not extras else "+".join(sorted(extras)))


def _wanted() -> str:
    """What an install is for: pyproject.toml and the pins of constraints.txt."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    if (ROOT / CONSTRAINTS).is_file():
        digest.update((ROOT / CONSTRAINTS).read_bytes())
    return digest.hexdigest()


def ensure_venv(extras: Sequence[str] = (), *, pinned: bool = True) -> Path:
    """The venv's python, with plannr-nb and ``extras`` installed for this pyproject.toml.

    A set of extras installed for the same pyproject.toml and constraints.txt (or a larger set
    that includes it) is not installed again. ``pinned=False`` installs without the pins.
    """
    python = BIN / "python"
    wanted = _wanted()
    if STAMPS.is_file():  # the single stamp of earlier versions, which always installed [test]
        old = STAMPS.read_text()
        STAMPS.unlink()
        STAMPS.mkdir()
        _stamp(["test"]).write_text(old)
    if pinned and python.exists() and STAMPS.is_dir():
        for stamp in STAMPS.iterdir():
            have = set() if stamp.name == "runtime" else set(stamp.name.split("+"))
            if set(extras) <= have and stamp.read_text().strip() == wanted:
                return python
    if not python.exists():
        try:
            _run(sys.executable, "-m", "venv", VENV)
        except subprocess.CalledProcessError:
            sys.exit(
                "Could not create .venv. On Debian or Ubuntu install the venv module first: "
                "apt-get install python3-venv"
            )
    _run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{','.join(sorted(extras))}]" if extras else "."
    pins = ["-c", CONSTRAINTS] if pinned and (ROOT / CONSTRAINTS).is_file() else []
    _run(python, "-m", "pip", "install", "--quiet", *pins, "-e", target)
    if pinned:
        STAMPS.mkdir(exist_ok=True)
        _stamp(extras).write_text(wanted + "\n")
    return python


def refresh_constraints() -> None:
    """Install the test extra without the pins, then pin what is installed."""
    python = ensure_venv(("test",), pinned=False)
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    header = (
        "# The versions the tests last passed with; scripts/_bootstrap.py installs with them.\n"
        "# Refresh: python3 scripts/_bootstrap.py --refresh-constraints && "
        "python3 scripts/test.py\n"
    )
    (ROOT / CONSTRAINTS).write_text(header + frozen)
    if STAMPS.is_dir():  # the venv now matches the new pins: no reinstall on the next run
        shutil.rmtree(STAMPS)
    STAMPS.mkdir()
    _stamp(["test"]).write_text(_wanted() + "\n")
    print(f"wrote {CONSTRAINTS}: run python3 scripts/test.py, then commit it", flush=True)


if __name__ == "__main__":
    if "--refresh-constraints" in sys.argv[1:]:
        refresh_constraints()
    else:
        ensure_venv(() if "--runtime" in sys.argv[1:] else ("test",))
