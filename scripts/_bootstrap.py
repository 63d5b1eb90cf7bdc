"""Create .venv with this python3 and install plannr-nb with its test extra, once per change.

Shared by scripts/lab.py and scripts/test.py, the README's two commands: they need nothing
but python3 (with its venv module).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".plannr-nb-installed"


def _run(*command: str | Path) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, cwd=ROOT)


def ensure_venv() -> Path:
    """The venv's python, created and installed when missing or when pyproject.toml changed."""
    python = BIN / "python"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
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
    _run(python, "-m", "pip", "install", "--quiet", "-e", ".[test]")
    STAMP.write_text(wanted + "\n")
    return python


if __name__ == "__main__":
    ensure_venv()
