"""What `python -m build` ships: the licence, the typing marker, the taxonomy and the seed cases.

The wheel is built here without build isolation (hatchling comes with the test extra), so the test
needs no network and checks the same build configuration a release uses.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (path,) = out.glob("kb-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_licence_typing_marker_and_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "no LICENSE in the wheel"
    assert "kb/py.typed" in names
    taxonomy = {n for n in names if n.startswith("kb/_data/taxonomy/")}
    seeds = {n for n in names if n.startswith("kb/_data/seed_cases/") and n.endswith(".yaml")}
    shipped_taxonomy = {p for p in (ROOT / "taxonomy").rglob("*") if p.is_file()}
    shipped_seeds = {p for p in (ROOT / "seed_cases").rglob("*.yaml")}
    assert len(taxonomy) == len(shipped_taxonomy) > 0
    assert len(seeds) == len(shipped_seeds) > 0
    assert any(n.startswith("kb/_data/examples/") for n in names), "the tour's example files are not shipped"
    top_level = {n.split("/", 1)[0] for n in names if "/" in n and ".dist-info" not in n}
    assert top_level == {"kb", "kb_tui"}, top_level  # no top-level `tui` to collide with other packages
    assert "kb_tui/kb.tcss" in names and "kb_tui/cli.py" in names


def test_wheel_metadata_is_complete(wheel: zipfile.ZipFile) -> None:
    (meta_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    meta = wheel.read(meta_name).decode()
    headers = [line.split(": ", 1) for line in meta.split("\n\n", 1)[0].splitlines() if ": " in line]
    keys = [k for k, _ in headers]
    assert ("License-Expression", "MIT") in [(k, v) for k, v in headers]
    assert keys.count("Classifier") >= 5 and "Keywords" in keys and "Project-URL" in keys
    requires = [v for k, v in headers if k == "Requires-Dist" and "extra ==" not in v]
    # runtime dependencies are ranges, never exact pins (those live in ci/constraints.txt)
    assert requires and not [r for r in requires if "==" in r], requires
    assert not [r for r in requires if r.startswith("pydantic-settings")]


def test_shell_completion_as_the_readme_documents_it() -> None:
    """The README's completion line works: click answers a completion request for `kb rev`."""
    from click.testing import CliRunner

    from kb.cli import main

    env = {"_KB_COMPLETE": "bash_complete", "COMP_WORDS": "kb rev", "COMP_CWORD": "1"}
    result = CliRunner().invoke(main, [], env=env, prog_name="kb")
    assert result.exit_code == 0
    assert "plain,review" in result.output.splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_KB_COMPLETE=bash_source kb)"' in readme
