"""Create .venv with this python3 and install plannr-nb into it, once per change.

Shared by scripts/lab.py and scripts/test.py, the README's two commands: they need nothing
but python3 (with its venv module). The main job installs only the runtime (``pip install -e
.``); the test command adds the ``test`` extra. A stamp per set of extras remembers what was
installed, for which pyproject.toml, so nothing is installed twice.

    python3 scripts/_bootstrap.py            # the runtime and the test extra (for CI, make)
    python3 scripts/_bootstrap.py --runtime  # the runtime only
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMPS = VENV / ".plannr-nb-installed"


def _run(*command: str | Path) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, cwd=ROOT)


def _stamp(extras: Sequence[str]) -> Path:
    return STAMPS / ("runtime" if not extras else "+".join(sorted(extras)))


def ensure_venv(extras: Sequence[str] = ()) -> Path:
    """The venv's python, with plannr-nb and ``extras`` installed for this pyproject.toml.

    A set of extras installed for the same pyproject.toml (or a larger set that includes it)
    is not installed again.
    """
    python = BIN / "python"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMPS.is_file():  # the single stamp of earlier versions, which always installed [test]
        old = STAMPS.read_text()
        STAMPS.unlink()
        STAMPS.mkdir()
        _stamp(["test"]).write_text(old)
    if python.exists() and STAMPS.is_dir():
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
    _run(python, "-m", "pip", "install", "--quiet", "-e", target)
    STAMPS.mkdir(exist_ok=True)
    _stamp(extras).write_text(wanted + "\n")
    return python


if __name__ == "__main__":
    ensure_venv(() if "--runtime" in sys.argv[1:] else ("test",))
