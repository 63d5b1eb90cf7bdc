"""The ``plannr-nb`` command: open the bundled notebooks in JupyterLab, render reports, sync."""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._config import TOKEN_ENV_VARS
from ._report import _notebooks_dir, render_report

#: Exit status of ``plannr-nb report`` when no execution could be fetched (the report says why).
EXIT_NOTHING_FETCHED = 3

DEFAULT_WORKSPACE = "plannr-notebooks"
#: Default settings for the JupyterLab ``plannr-nb lab`` opens: no "news?" pop-up over outputs.
LAB_SETTINGS = Path(__file__).resolve().parent / "lab_settings"


def bundled_notebooks() -> list[Path]:
    """The bundled notebooks, in their numbered order."""
    return sorted(_notebooks_dir().glob("*.ipynb"))


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
        source = _notebooks_dir()
        # Work on copies so the bundled notebooks stay clean (no outputs, no personal data).
        workspace = Path.cwd() / DEFAULT_WORKSPACE
    else:
        source = None
        workspace = Path(args.dir)
    copied = _copy_workspace(workspace, refresh=args.refresh)
    kept = len(bundled_notebooks()) - len(copied)
    if source is not None:
        print(f"Bundled notebooks from {source} -> {workspace}: {len(copied)} copied")
    if kept:
        print(
            f"Kept {kept} existing cop{'y' if kept == 1 else 'ies'} in {workspace} (your edits "
            "stay); plannr-nb lab --refresh replaces them with the bundled notebooks."
        )
    if not any(os.environ.get(name) for name in TOKEN_ENV_VARS):
        print("No PLANNR_ACCESS_TOKEN set: the notebooks run on the bundled demo data.")
    first = bundled_notebooks()[0].name
    passed = list(args.jupyter_args)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={workspace.resolve()}",
        f"--LabApp.default_url=/lab/tree/{first}",
        *_settings_option(passed),
        *(["--allow-root"] if root and "--allow-root" not in passed else []),
        *(["--no-browser"] if args.no_browser else []),
        *(["--port", str(args.port)] if args.port else []),
        *passed,
    ]
    print(" ".join(command[1:]), flush=True)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


def _settings_option(passed: Sequence[str]) -> list[str]:
    """Our settings folder for JupyterLab, unless the user or the environment has one.

    Its ``overrides.json`` turns JupyterLab's news off by default (otherwise a "Would you like
    to get notified about official Jupyter news?" pop-up covers outputs on first start); the
    user's own settings still win. An environment that already has an application settings
    folder keeps it, as does a user who passes ``--LabApp.app_settings_dir``.
    """
    if any("app_settings_dir" in option for option in passed):
        return []
    try:
        from jupyterlab.commands import get_app_dir  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - jupyterlab is a dependency
        return []
    if (Path(get_app_dir()) / "settings").exists():
        return []
    return [f"--LabApp.app_settings_dir={LAB_SETTINGS}"]


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
            "there. Any other option (e.g. --ServerApp.ip=0.0.0.0) goes to jupyter lab, as does "
            "everything after --; --allow-root is added when running as root."
        ),
    )
    lab.add_argument("--dir", help="workspace folder for the notebooks")
    lab.add_argument("--refresh", action="store_true", help="overwrite existing copies")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument("--port", type=int, help="port for JupyterLab")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    lab.set_defaults(handler=_lab)

    names = ", ".join(p.stem for p in bundled_notebooks()) if _has_notebooks() else "none"
    description = textwrap.fill(
        "Execute NOTEBOOK (a path, or a bundled notebook by name: "
        f"{names}) in a fresh kernel with the given parameters, and write a "
        "self-contained HTML report (static images of every chart, HTML tables, nothing "
        "fetched from the network) plus the executed .ipynb beside it. Without "
        "PLANNR_ACCESS_TOKEN, or with --demo, it runs on the bundled demo data. --uuid fills "
        "the notebook's uuids (or execution_uuid) parameter; --redact its redact parameter.",
        width=88,
    )
    report = commands.add_parser(
        "report",
        help="run a notebook headless and write a self-contained HTML report",
        description=description,
        epilog=(
            f"{_parameters_help()}"
            "examples:\n"
            "  plannr-nb report 03_report --demo --output demo-report.html\n"
            "  plannr-nb report 01 --uuid cc137447-a749-4b21-88a5-b27ef8b16878 --redact\n"
            "  plannr-nb report 02 --param blueprint_uuid=... --param max_executions=20\n\n"
            "exit status: 0 the report is written (inputs that could not be fetched are named on "
            "stderr\nand in the report); 1 a cell failed; 2 bad arguments; "
            f"{EXIT_NOTHING_FETCHED} nothing could be fetched\n(the report says why, per input)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("notebook", help="notebook path, or bundled notebook name")
    report.add_argument(
        "--uuid",
        action="append",
        default=[],
        metavar="UUID",
        help="execution to report on (repeat, or separate with commas)",
    )
    report.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="notebook parameter; VALUE is read as JSON when it parses, else as text",
    )
    report.add_argument("--output", "-o", help="HTML file to write (default: NOTEBOOK.html)")
    report.add_argument(
        "--redact", action="store_true", help="mask names, e-mails, phone numbers and such"
    )
    report.add_argument(
        "--demo", action="store_true", help="use the bundled demo data even if a token is set"
    )
    report.add_argument("--show-code", action="store_true", help="keep code cells in the HTML")
    report.add_argument("--timeout", type=float, default=600, help="seconds a cell may run")
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    report.set_defaults(handler=_report)
    _add_sync_parser(commands)
    return parser


def _add_sync_parser(commands: Any) -> None:
    """``plannr-nb sync``: bring the fleet history store up to date."""
    sync = commands.add_parser(
        "sync",
        help="sync every execution into the local fleet history store (Parquet)",
        description=textwrap.fill(
            "Page the API's executions newest first into the fleet history store (plain "
            "Parquet: see the README's Fleet history), down to what it already holds, then "
            "refresh the ones still unfinished; print what changed. The store is --store, else "
            "$PLANNR_NB_STORE, else a per-user data folder. Without PLANNR_ACCESS_TOKEN, or "
            "with --demo, it syncs the demo's six months of history, into --store or else a "
            "temporary folder (demo data never goes into your own store).",
            width=88,
        ),
        epilog=(
            "examples:\n"
            "  plannr-nb sync --since 2026-06-01\n"
            "  plannr-nb sync --demo --store /tmp/demo-store --quiet"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument("--store", metavar="PATH", help="the store's folder")
    sync.add_argument(
        "--since",
        metavar="DATE",
        help="on a first sync, go back to this date (ISO: 2026-06-01, or a time; UTC if no zone)",
    )
    sync.add_argument(
        "--demo", action="store_true", help="use the bundled demo data even if a token is set"
    )
    sync.add_argument(
        "--include-account", action="store_true", help="also fetch each execution's account"
    )
    sync.add_argument("--quiet", action="store_true", help="no progress bars")
    sync.set_defaults(handler=_sync)


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        msg = f"--since takes a date such as 2026-06-01 (or 2026-06-01T09:00+01:00), not {text!r}"
        raise ValueError(msg) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sync(args: argparse.Namespace) -> int:
    from ._connect import connect
    from ._errors import PlannrError
    from ._store import open_store

    try:
        since = _since(args.since)
        with connect(demo=True if args.demo else None) as client:
            store = open_store(args.store, demo=client.is_demo)
            summary = client.sync(
                store,
                since=since,
                include_account=args.include_account,
                progress=not args.quiet,
            )
    except ValueError as exc:
        print(f"plannr-nb sync: {exc}", file=sys.stderr)
        return 2
    except PlannrError as exc:
        print(f"plannr-nb sync: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.quiet:  # the sync printed it already otherwise
        print(f"Synced into {store.path}: {summary}")
    if client.is_demo and args.store is None:
        print("A temporary store, deleted as plannr-nb exits: pass --store PATH to keep one.")
    for uuid, error in list(summary.not_fetched.items())[:10]:
        print(f"Not fetched: {uuid}: {error}", file=sys.stderr)
    return 1 if summary.not_fetched else 0


def notebook_parameters(path: Path) -> dict[str, str]:
    """Name -> default (as written) of the assignments in a notebook's ``parameters`` cell.

    Read from the notebook's JSON with :mod:`ast`, so ``--help`` need not import papermill
    (about a second and a half); papermill reads the same cell the same way when it runs.
    """
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        found: dict[str, str] = {}
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = ast.get_source_segment(text, node.value) or "?"
        return found
    return {}


def _parameters_help() -> str:
    """The parameters each bundled notebook takes, for --help."""
    try:
        lines = ["parameters of the bundled notebooks (--param NAME=VALUE):"]
        for path in bundled_notebooks():
            declared = notebook_parameters(path)
            shown = ", ".join(f"{name}={default}" for name, default in declared.items())
            lines.append(textwrap.fill(shown, 86, initial_indent=f"  {path.stem}: ",
                                       subsequent_indent="      "))  # fmt: skip
        return "\n".join(lines) + "\n\n"
    except Exception:  # help must print even if a notebook cannot be read
        return ""


def _has_notebooks() -> bool:
    try:
        return bool(bundled_notebooks())
    except FileNotFoundError:
        return False


def _param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        msg = f"--param takes NAME=VALUE, not {text!r}"
        raise ValueError(msg)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return name.strip(), value


def _report(args: argparse.Namespace) -> int:
    from ._errors import NothingFetchedError

    uuids = [part.strip() for item in args.uuid for part in item.split(",") if part.strip()]
    try:
        parameters = dict(_param(item) for item in args.param)
        result = render_report(
            args.notebook,
            uuids=uuids,
            parameters=parameters,
            output=args.output,
            redact=args.redact,
            demo=args.demo,
            show_code=args.show_code,
            progress=not args.quiet,
            timeout=args.timeout,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"plannr-nb report: {exc}", file=sys.stderr)
        return 2
    except NothingFetchedError as exc:
        written = getattr(exc.report, "html", None) or args.output
        n = exc.requested
        why = (
            f"none of the {n} input{'s' if n != 1 else ''} given could be fetched"
            if n
            else str(exc)
        )
        print(
            f"plannr-nb report: nothing to report on: {why}.\n"
            f"The report, saying why for each input, is in {written} (and its .ipynb).",
            file=sys.stderr,
        )
        return EXIT_NOTHING_FETCHED
    except Exception as exc:
        if type(exc).__name__ != "PapermillExecutionError":
            raise
        name, value = getattr(exc, "ename", "Error"), getattr(exc, "evalue", str(exc))
        written = Path(args.output or f"{Path(args.notebook).stem}.html")
        print(
            f"plannr-nb report: cell {getattr(exc, 'exec_count', '?')} failed: {name}: {value}\n"
            f"The report up to that cell is in {written} (and its .ipynb).",
            file=sys.stderr,
        )
        return 1
    print(f"Report: {result.html}")
    print(f"Executed notebook: {result.notebook}")
    if result.not_fetched:
        print(
            f"plannr-nb report: {result.not_fetched} of {result.requested} executions could not "
            "be fetched: see the report",
            file=sys.stderr,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``plannr-nb`` command line."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command != "lab" and unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "lab":
        # Options plannr-nb does not know are JupyterLab's (--ServerApp.ip=..., --allow-root).
        extra = [*unknown, *args.jupyter_args]
        args.jupyter_args = [a for a in extra if a != "--"]
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
