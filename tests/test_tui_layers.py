"""The UI is a face: nothing under kb_tui/ talks to the store directly; every read and write goes via KB."""

from __future__ import annotations

import ast
from pathlib import Path

TUI_DIR = Path(__file__).resolve().parents[1] / "kb_tui"
FORBIDDEN = ("sqlite3", "sqlite_utils", "kb.store")


def test_no_module_under_tui_imports_the_store() -> None:
    offenders = []
    for path in sorted(TUI_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("db", "execute", "query")
                and isinstance(node.value, ast.Name)
                and node.value.id == "kb"
            ):
                offenders.append(f"{path.name}:{node.lineno}: kb.{node.attr}")
    assert offenders == []
