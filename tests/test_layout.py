"""The layout's rules that a reader relies on: SQL lives in ``data``; dependencies point one way;
only the CLI imports its command modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bidder", "bot", "crawler", "tenderwatch")
BUILDERS = {"select", "insert", "update", "delete", "text", "func"}
"""Query builders: ``select(...)`` imported from sqlalchemy/sqlmodel, ``sa.update(...)``,
``PROFILES.insert()`` (a table constant)."""
RUNNERS = {"exec", "execute", "scalar", "scalars"}
"""What runs a query: ``session.exec(...)``, ``conn.execute(...)``."""
SQL_ALLOWED = {
    "tenderwatch/commands/demo.py": "reads a file that may not be ours, read-only, without migrating it",
}


def _sources(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def _names_from(tree: ast.Module, *modules: str) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(modules)
        for alias in node.names
    }


def _sql_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    builders = _names_from(tree, "sqlalchemy", "sqlmodel") & BUILDERS
    owners = {"sa", "sqlalchemy"} | _names_from(tree, "data.models")
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            sql = func.id in builders
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            sql = func.attr in RUNNERS or (func.attr in BUILDERS and owner in owners)
        else:
            sql = False
        if sql:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_query_outside_data_but_the_noted_ones() -> None:
    calls = [call for path in _sources(*PRODUCT) for call in _sql_calls(path)]
    unexplained = [c for c in calls if c.split(":")[0] not in SQL_ALLOWED]
    assert unexplained == []
    assert {c.split(":")[0] for c in calls} == set(SQL_ALLOWED), "an allowed file no longer queries: drop it"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    return found + [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]


ALLOWED_IMPORTS = {
    "data": set(),
    "crawler": {"data"},
    "bidder": {"data"},
    "bot": {"bidder", "data"},
    "tenderwatch": {"bidder", "bot", "crawler", "data"},
}
"""Dependencies point one way: ``tenderwatch -> bot -> bidder -> data`` and ``crawler -> data``.
The bot reads profiles and matches people's words (search, filters, suggestions) with the bidder;
nothing below imports anything above it."""


@pytest.mark.parametrize("package", sorted(ALLOWED_IMPORTS))
def test_dependencies_point_one_way(package: str) -> None:
    found = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _sources(package)
        for module in _imports(path)
        if module.split(".")[0] in ALLOWED_IMPORTS
        and module.split(".")[0] not in {package, *ALLOWED_IMPORTS[package]}
    }
    assert found == set()


def test_only_the_cli_imports_the_command_modules() -> None:
    commands = ROOT / "tenderwatch" / "commands"
    importers = {
        str(path.relative_to(ROOT))
        for path in _sources(*PRODUCT)
        if commands not in path.parents and any(m.startswith("tenderwatch.commands") for m in _imports(path))
    }
    assert importers == set()  # tenderwatch/cli.py loads them by name (COMMANDS), no one else at all
    from tenderwatch.cli import MODULES

    assert set(MODULES) == {p.stem for p in commands.glob("*.py")} - {"__init__"}
