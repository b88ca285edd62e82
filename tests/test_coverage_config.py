"""Coverage is measured with both review runners: with pyproject.toml's [tool.coverage.run], code that
kb.parallel.ProcessRunner runs in a forked child is recorded as well as code run here.

Without `concurrency = ["multiprocessing", ...]` the child's lines were lost, so a forked review
showed kb/review/followup.py at 76% against 98% for a serial one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# measured in a fresh interpreter (a test run may itself be under coverage); kb.rules.cause_tree is
# called only in the forked child, so its lines are recorded only if the child's data is kept
SCRIPT = """
import json, sys
import coverage
cov = coverage.Coverage(config_file=sys.argv[1], data_file=sys.argv[2])
cov.start()
from kb.parallel import ProcessRunner
from kb.rules import cause_tree
part = ProcessRunner().start(lambda: len(cause_tree(["a", "b"], {"a": ["b"]}, ["a"])))
answer = part.result()
cov.stop()
cov.save()
cov.combine()
import kb.rules
lines = cov.get_data().lines(kb.rules.__file__) or []
print(json.dumps({"forked": part.forked, "answer": answer, "lines": sorted(lines)}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ProcessRunner forks only on Linux")
def test_a_part_run_in_a_forked_child_is_measured(tmp_path: Path) -> None:
    import kb.rules

    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "pyproject.toml"), str(tmp_path / ".coverage")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        check=True,
    )
    found = json.loads(out.stdout)
    assert (found["forked"], found["answer"]) == (True, 1)
    source = Path(kb.rules.__file__).read_text(encoding="utf-8").splitlines()
    # the last line of cause_tree's body, found by its text: run only in the child
    body = next(n for n, line in enumerate(source, 1) if "tops += [node(c, 1) for c in order if c not in seen]" in line)
    assert body in found["lines"]
