"""The main job: install the runtime (once; no test tools) and open JupyterLab on the notebooks.

    python3 scripts/lab.py [plannr-nb lab options, e.g. --no-browser --port 8890]

Without PLANNR_ACCESS_TOKEN the notebooks run on the bundled synthetic demo data.
"""

from __future__ import annotations

import os
import sys

from _bootstrap import BIN, ensure_venv

if __name__ == "__main__":
    ensure_venv()
    command = str(BIN / "plannr-nb")
    os.execv(command, [command, "lab", *sys.argv[1:]])
