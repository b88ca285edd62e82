"""The headless core stays headless: nothing under kb/ imports textual, and the CLI starts light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

KB_DIR = Path(__file__).resolve().parents[1] / "kb"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_under_kb_imports_textual_or_tui() -> None:
    offenders = []
    for path in sorted(KB_DIR.rglob("*.py")):
        bad = {m for m in _imports(path) if m.split(".")[0] in ("textual", "tui", "kb_tui")}
        if bad:
            offenders.append(f"{path.relative_to(KB_DIR.parent)}: {sorted(bad)}")
    assert offenders == []


def test_tui_cmd_imports_the_ui_only_inside_functions() -> None:
    """`kb tui` lives in kb_tui/cli.py (kb/ never imports the UI); Textual loads only when it runs."""
    path = KB_DIR.parent / "kb_tui" / "cli.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.add(node.module)
    assert not {m for m in top_level if m.split(".")[0] in ("textual", "tui")}
    assert not {m for m in top_level if m.startswith("kb_tui.") and m != "kb_tui.cli"}


def test_importing_the_core_loads_no_textual() -> None:
    code = (
        "import sys, kb.service, kb.cli, kb.models, kb.store.repo, kb.yamldoc, kb.taxonomy;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui', 'kb_tui'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_commands_without_importing_them() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom kb.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "assert 'import' in r.output and 'search' in r.output\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'networkx', 'scipy', 'jinja2', 'sqlite_utils', 'yaml', 'pydantic',"
        " 'sqlite3', 'rich', 'platformdirs'))\nprint(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
