"""The ``plannr-nb`` command: open the bundled notebooks in JupyterLab, render reports."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ._config import TOKEN_ENV_VARS

DEFAULT_WORKSPACE = "plannr-notebooks"


def bundled_notebooks_dir() -> Path:
    """Where the bundled notebooks are: inside the installed package, or the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "notebooks", here.parent / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    msg = "the bundled notebooks are missing from this installation; reinstall plannr-nb"
    raise FileNotFoundError(msg)


def bundled_notebooks() -> list[Path]:
    """The bundled notebooks, in their numbered order."""
    return sorted(bundled_notebooks_dir().glob("*.ipynb"))


def _copy_workspace(target: Path, *, refresh: bool) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in bundled_notebooks():
        dest = target / source.name
        if refresh or not dest.exists():
            shutil.copyfile(source, dest)
            copied.append(dest)
    return copied


def _lab(args: argparse.Namespace) -> int:
    if args.dir is None:
        source = bundled_notebooks_dir()
        # Work on copies so the bundled notebooks stay clean (no outputs, no personal data).
        workspace = Path.cwd() / DEFAULT_WORKSPACE
    else:
        source = None
        workspace = Path(args.dir)
    copied = _copy_workspace(workspace, refresh=args.refresh)
    if source is not None:
        print(f"Bundled notebooks from {source} -> {workspace} ({len(copied)} copied)")
    if not any(os.environ.get(name) for name in TOKEN_ENV_VARS):
        print("No PLANNR_ACCESS_TOKEN set: the notebooks run on the bundled demo data.")
    first = bundled_notebooks()[0].name
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={workspace.resolve()}",
        f"--LabApp.default_url=/lab/tree/{first}",
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *(["--no-browser"] if args.no_browser else []),
        *(["--port", str(args.port)] if args.port else []),
        *args.jupyter_args,
    ]
    print(" ".join(command[1:]), flush=True)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


def build_parser() -> argparse.ArgumentParser:
    """The command line parser of ``plannr-nb``."""
    parser = argparse.ArgumentParser(
        prog="plannr-nb",
        description=(
            "Troubleshoot Plannr CRM automation executions: open the bundled notebooks in "
            "JupyterLab, or render a notebook into a self-contained HTML report. Set "
            "PLANNR_ACCESS_TOKEN to use your firm's data; without it everything runs on the "
            "bundled demo data."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lab = commands.add_parser(
        "lab",
        help="open JupyterLab on the bundled notebooks",
        description=(
            "Copy the bundled notebooks into a workspace folder (./plannr-notebooks unless "
            "--dir is given; existing copies are kept unless --refresh) and open JupyterLab "
            "there. Extra arguments after -- go to jupyter lab."
        ),
    )
    lab.add_argument("--dir", help="workspace folder for the notebooks")
    lab.add_argument("--refresh", action="store_true", help="overwrite existing copies")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument("--port", type=int, help="port for JupyterLab")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    lab.set_defaults(handler=_lab)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``plannr-nb`` command line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "jupyter_args", None) and args.jupyter_args[:1] == ["--"]:
        args.jupyter_args = args.jupyter_args[1:]
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
