"""The package as a whole: public names, docs, layering, dependencies, set-up commands."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import itertools
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

import altair
import polars
import pytest
import yaml
from conftest import ROOT, run_python

import plannr_nb

PACKAGE = ROOT / "plannr_nb"

# Data flows one way: a module may import our modules of its own layer or earlier ones.
LAYERS: dict[str, int] = {
    "_config": 0,
    "_errors": 0,
    "_uuids": 0,
    "_markup": 0,
    "_payloads": 0,
    "_statuses": 0,
    "_durations": 0,
    "_schemas": 0,
    "_options": 0,
    "_demo": 1,
    "_core": 2,
    "_transport": 2,
    "testing": 2,
    "_ratelimit": 2,
    "_cache": 2,
    "_client": 2,
    "_connect": 2,
    "_frames": 3,
    "_redact": 3,
    "_story": 3,
    "_history": 1,
    "_store": 3,
    "_sync": 3,
    "_analysis": 4,
    "_fleet": 4,
    "_charts": 5,
    "_fleet_charts": 5,
    "_gantt": 5,
    "_render": 5,
    "_tables": 5,
    "_widgets": 6,
    "_session": 6,
    "_report": 7,
    "_cli": 8,
}
BASE_ONLY_NOTHING_OF_OURS = {
    "_config",
    "_durations",
    "_errors",
    "_markup",
    "_payloads",
    "_statuses",
}
# The only imports against the flow, and only deferred (inside a function, or under
# TYPE_CHECKING for annotations), so importing the earlier module never loads the later one:
# the issue's `client.sync(store)` is a thin method over _sync, which sits above the client.
DEFERRED_ONLY: set[tuple[str, str]] = {("_client", "_sync"), ("_client", "_store")}


def test_all_is_sorted_and_matches_what_the_package_exposes() -> None:
    """__all__ is sorted, unique, and every name in it resolves; dir() shows them."""
    names = plannr_nb.__all__
    assert names == sorted(set(names))
    assert set(names) == set(plannr_nb._EXPORTS)
    for name in names:
        assert getattr(plannr_nb, name) is not None, name
    assert set(names) <= set(dir(plannr_nb))
    public_modules = {
        name
        for name, value in vars(plannr_nb).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public_modules <= set(names)
    with pytest.raises(AttributeError):
        _ = plannr_nb.not_a_name  # type: ignore[attr-defined]


def _stub_exports() -> dict[str, str]:
    """Name -> module of every ``from .module import Name as Name`` in __init__.pyi."""
    tree = ast.parse((PACKAGE / "__init__.pyi").read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            assert isinstance(node, ast.ImportFrom), ast.unparse(node)
            assert node.level == 1, ast.unparse(node)
            assert node.module, ast.unparse(node)
            for alias in node.names:
                assert alias.asname == alias.name, f"{alias.name}: re-export as itself"
                assert alias.name not in found, f"{alias.name} imported twice"
                found[alias.name] = node.module
    return found


def test_the_stub_declares_exactly_the_exported_names_from_their_modules() -> None:
    """__init__.pyi and the lazy mapping agree both ways, module by module."""
    stub = _stub_exports()
    assert sorted(set(stub) - set(plannr_nb._EXPORTS)) == []  # typed but not exported
    assert sorted(set(plannr_nb._EXPORTS) - set(stub)) == []  # exported but untyped
    assert stub == plannr_nb._EXPORTS


def test_each_exported_name_comes_from_its_module() -> None:
    """Classes and functions say they live in the module the mapping names."""
    for name, module in plannr_nb._EXPORTS.items():
        value = getattr(plannr_nb, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ == f"plannr_nb.{module}", name


def test_types_that_public_functions_take_or_return_are_exported() -> None:
    """Every class of ours in a public signature can be imported from plannr_nb."""
    ours = re.compile(r"plannr_nb\._\w+\.(\w+)")
    # Names annotations import only for type checkers: polars, and every class of our modules.
    classes: dict[str, Any] = {"pl": polars, "alt": altair}
    classes |= {
        name: value
        for module in sorted(PACKAGE.glob("_*.py"))
        if module.stem != "__init__"
        for name, value in vars(importlib.import_module(f"plannr_nb.{module.stem}")).items()
        if inspect.isclass(value) and value.__module__.startswith("plannr_nb.")
    }
    missing: set[str] = set()
    for name in plannr_nb.__all__:
        value = getattr(plannr_nb, name)
        members = [value]
        if inspect.isclass(value):
            members = [
                m for a, m in vars(value).items() if not a.startswith("_") or a == "__init__"
            ]
        for member in members:
            member = getattr(member, "fget", member)  # properties: their getter
            if not callable(member):
                continue
            hints = typing.get_type_hints(member, localns=classes)
            found = ours.findall(" ".join(map(str, hints.values())))
            missing.update(f"{cls} ({name})" for cls in found if cls not in plannr_nb._EXPORTS)
    assert sorted(missing) == []


def test_one_version_string_from_the_package_metadata() -> None:
    """__version__ is pyproject's version, read from the installed metadata."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert plannr_nb.__version__ == project["version"]
    assert plannr_nb.__version__ == importlib.metadata.version("plannr-nb")
    source = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert project["version"] not in source


def test_fleet_history_names_are_public() -> None:
    """Issue 14's names: the store, sync's summary, the analysis and its charts."""
    names = {
        "open_store", "Store", "SyncSummary", "StoreError", "failure_trend", "trend_chart",
        "error_clusters", "clusters_chart", "stalled", "changes", "runs_heatmap",
    }  # fmt: skip
    assert names <= set(plannr_nb.__all__)
    assert callable(plannr_nb.PlannrClient.sync)
    assert callable(plannr_nb.AsyncPlannrClient.sync)
    assert callable(plannr_nb.PlannrClient.list_pages)


def test_every_public_name_has_a_docstring() -> None:
    """Every exported function and class, and their public methods, are documented."""
    missing = []
    for name in plannr_nb.__all__:
        value = getattr(plannr_nb, name)
        if not (inspect.getdoc(value) or "").strip():
            missing.append(name)
        if inspect.isclass(value) and not issubclass(value, BaseException):
            for attr, member in vars(value).items():
                if attr.startswith("_") or not callable(member):
                    continue
                if not (inspect.getdoc(member) or "").strip():
                    missing.append(f"{name}.{attr}")
    assert not missing


# Numpy style: in these sections each entry reads `name : type` (several names may share one
# line), its description indented below. ruff checks the names (D417, DOC102), not this form.
_NAMED_SECTIONS = ("Parameters", "Other Parameters", "Attributes")
_ENTRY = re.compile(r"\*{0,2}\w+(, \*{0,2}\w+)* : \S.*")


def _untyped_entries(source: str) -> list[str]:
    """The numpy section entries of `source`'s docstrings not written `name : type`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        lines = (ast.get_docstring(node) or "").splitlines()
        section = None
        for line, below in itertools.pairwise([*lines, ""]):
            if re.fullmatch(r"-{3,}", below.strip()):
                section = line.strip()
            elif (
                section in _NAMED_SECTIONS
                and line[:1] not in ("", " ", "-")
                and not _ENTRY.fullmatch(line)
            ):
                found.append(f"{node.name}: {line}")
    return found


def test_docstring_entries_read_name_colon_type() -> None:
    """Every Parameters/Attributes entry of the package reads `name : type`."""
    bad = '''def f(a, b, c):
        """F.

        Parameters
        ----------
        a : int
            Fine.
        b:
            No type.
        c
            No type either.
        """
    '''
    assert _untyped_entries(bad) == ["f: b:", "f: c"]
    found = [
        f"{path.name}: {entry}"
        for path in sorted(PACKAGE.glob("*.py"))
        for entry in _untyped_entries(path.read_text())
    ]
    assert not found


def test_error_tree() -> None:
    """One tree under PlannrError, with the builtins users catch."""
    p = plannr_nb
    assert issubclass(p.InvalidUUIDError, p.PlannrError)
    assert issubclass(p.InvalidUUIDError, ValueError)
    assert issubclass(p.ResponseFormatError, p.PlannrError)
    assert issubclass(p.ResponseFormatError, ValueError)
    assert issubclass(p.TransportError, p.PlannrError)
    assert issubclass(p.RequestTimeoutError, p.TransportError)
    assert issubclass(p.RequestTimeoutError, TimeoutError)
    assert issubclass(p.StoreError, p.PlannrError)
    for cls in (
        p.AuthenticationError,
        p.PermissionDeniedError,
        p.NotFoundError,
        p.ValidationError,
        p.RateLimitError,
        p.ServerError,
    ):
        assert issubclass(cls, p.ApiError)
        assert issubclass(cls, p.PlannrError)


def _our_imports(path: Path, *, toplevel_only: bool = False) -> set[str]:
    """Our modules that ``path`` imports (with ``toplevel_only``: at import time only)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    nodes: list[ast.AST] = list(ast.walk(tree))
    if toplevel_only:
        nodes = [
            node
            for node in tree.body
            if not (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
        ]
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("plannr_nb"):
                parts = node.module.split(".")
                if len(parts) > 1:
                    found.add(parts[1])
                else:
                    found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "plannr_nb" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_layering_data_flows_one_way() -> None:
    """client -> frames -> analysis -> charts -> widgets -> reports: no module imports later."""
    problems = []
    for path in sorted(PACKAGE.glob("*.py")):
        module = path.stem
        if module == "__init__":
            continue
        assert module in LAYERS, f"{module} has no layer in tests/test_package.py"
        for imported in _our_imports(path):
            if imported not in LAYERS:
                problems.append(f"{module} imports unknown {imported}")
            elif module in BASE_ONLY_NOTHING_OF_OURS:
                problems.append(f"{module} must import nothing of ours, imports {imported}")
            elif (module, imported) in DEFERRED_ONLY:
                if imported in _our_imports(path, toplevel_only=True):
                    problems.append(f"{module} imports {imported} at import time")
            elif LAYERS[imported] > LAYERS[module]:
                problems.append(f"{module} (layer {LAYERS[module]}) imports {imported}")
    assert not problems


def test_client_import_loads_neither_the_store_nor_sync() -> None:
    """The deferred imports stay deferred: the client works without the store's modules."""
    code = (
        "import sys\n"
        "from plannr_nb._client import PlannrClient\n"
        "assert not {'plannr_nb._sync', 'plannr_nb._store'} & set(sys.modules)\n"
        "print('ok')\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_no_pandas_and_lazy_imports_at_runtime() -> None:
    """`import plannr_nb` loads nothing heavy; frames and charts never import pandas."""
    code = (
        "import sys, plannr_nb\n"
        "heavy = {'polars', 'altair', 'httpx', 'pyarrow', 'ipywidgets', 'pandas',\n"
        "         'phonenumbers', 'stdnum'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "from plannr_nb import steps_frame, executions_frame, load_demo_executions, gantt\n"
        "p = load_demo_executions()\n"
        "gantt(steps_frame(p[:3])).to_dict()\n"
        "executions_frame(p)\n"
        # No executions, and a page's worth of dicts: pyarrow would import pandas converting them.
        "plannr_nb.build_frames([])\n"
        "plannr_nb.build_frames([{**x, 'uuid': f'{i:032x}'} for i, x in enumerate(p * 4)])\n"
        "assert 'pandas' not in sys.modules\n"
        # Bodies over two read slices: the reader threads and their aggregates run too.
        "import json\n"
        "many = p * (20_000_000 // len(json.dumps(p)) + 1)\n"
        "bodies = [json.dumps({**x, 'uuid': f'{i:032x}'}).encode() for i, x in enumerate(many)]\n"
        "assert len(plannr_nb.build_frames(bodies).steps) > 10_000\n"
        "loaded = {'pandas', 'pyarrow.dataset'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
        "print('ok')\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_altair_loads_without_rfc3987_syntax() -> None:
    """Every kernel that draws imports altair, hence jsonschema: the one pyproject allows (<4.25)
    does not import rfc3987-syntax, whose parsers cost 0.8 s on every kernel start."""
    result = run_python("import sys, altair\nprint('rfc3987_syntax' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def _requirement_name(spec: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert match, spec
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject_both_ways() -> None:
    """environment.yml lists exactly pyproject's runtime and test dependencies, same bounds."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(
        _requirement_name(spec)
        for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda = dict(
        _requirement_name(item)
        for item in env["dependencies"]
        if isinstance(item, str) and _requirement_name(item)[0] not in {"python", "pip"}
    )
    assert conda == wanted
    assert f">={project['requires-python'].lstrip('>=')}" in " ".join(
        item for item in env["dependencies"] if isinstance(item, str)
    )


def test_no_pandas_in_runtime_dependencies() -> None:
    """pandas and numpy stay out of the runtime dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_requirement_name(spec)[0] for spec in project["dependencies"]}
    assert not names & {"pandas", "numpy"}


def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    """The README's first screen has exactly two set-up commands; CI runs the second."""
    readme = (ROOT / "README.md").read_text()
    first_screen = readme.split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", first_screen, re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert commands == ["python3 scripts/lab.py", "python3 scripts/test.py"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^python3 scripts/test\.py$", ci, re.M)
    for script in ("lab.py", "test.py"):
        assert (ROOT / "scripts" / script).exists()
