"""The whole hostile corpus of issue 14 through the CLI: every input gives exit 0 or one `Error:`
line, never a traceback and never the guard's "internal error" (under the tests the guard
re-raises, so an escaping exception fails here), and a refused input leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.models import Project
from kb.service import KB
from tests._hostile import run_hostile

HEALTH = "project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on\n"
UNLEASH = (
    '{{"events": [{{"id": 1, "type": "feature-updated", "featureName": "f", "environment": "production",'
    ' "createdBy": "ann", "createdAt": "{at}", "data": {{"enabled": false}}}}]}}'
)
YAML_VALUES = [
    "2026-02-30", "2026-02-10 25:00:00", "2026-02-10T23:59:60Z", "!!int x", "!!float y", "!!timestamp nope",
    "!!int " + "9" * 5000, "9" * 5000, "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "'0999-06-01'",
]  # fmt: skip
# (file name, file body as bytes, command arguments; {f} is the file)
CORPUS: list[tuple[str, bytes, list[str]]] = [
    *[
        (f"y{i}.yaml", f"project: p\ntitle: t\nstarted_at: {v}\n".encode(), ["import", "{f}"])
        for i, v in enumerate(YAML_VALUES)
    ],
    ("dup.yaml", b"incidents: []\nincidents: []\n", ["import", "{f}"]),
    ("bad.yaml", b"title: \xff\xfe\n", ["import", "{f}"]),
    *[
        (f"u{i}.json", UNLEASH.format(at=at).encode(), ["flags", "import", "{f}"])
        for i, at in enumerate(["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "0999-06-01T12:00:00Z"])
    ],
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, ["flags", "import", "{f}", "--format", "unleash"]),
    ("bigint.json", b'{"events": [{"id": ' + b"9" * 5000 + b"}]}", ["flags", "import", "{f}", "--format", "unleash"]),
    (
        "surrogate.json",
        b'{"events": [{"id": 1, "featureName": "\\ud800"}]}',
        ["flags", "import", "{f}", "--format", "unleash"],
    ),
    ("bom.json", b"\xef\xbb\xbf" + UNLEASH.format(at="2026-01-01T00:00:00Z").encode(), ["flags", "import", "{f}"]),
    (
        "notutf8.json",
        b'{"events": [{"id": 1, "featureName": "\xff"}]}',
        ["flags", "import", "{f}", "--format", "unleash"],
    ),
    (
        "offset.csv",
        b"flag,environment,action,at,actor,comment\nf,production,disabled,0001-01-01T00:00:00+01:00,a,x\n",
        ["flags", "import", "{f}"],
    ),
    (
        "cell.csv",
        b"flag,environment,action,at,actor,comment\nf,production,disabled,2026-01-01,a," + b"c" * 200_000 + b"\n",
        ["flags", "import", "{f}"],
    ),
    ("w.csv", (HEALTH + "p,9999-W52,1,1,,,,,,,\n").encode(), ["health", "import", "{f}"]),
    ("q.csv", (HEALTH + "p,0001Q1,1,1,,,,,,,\n").encode(), ["health", "import", "{f}"]),
    ("hcell.csv", (HEALTH + "p,2026Q1," + "1" * 200_000 + ",1,,,,,,,\n").encode(), ["health", "import", "{f}"]),
    ("num.toml", b"min_events = 1" + b"0" * 5000 + b"\n", ["silent", "--config", "{f}"]),
    ("bytes.toml", b"\xff\xfe = 1\n", ["silent", "--config", "{f}"]),
    ("-", b"", ["incident", "list", "--since", "0001-01-01T00:00:00+01:00"]),
    ("-", b"", ["search", "x", "--since", "9999-12-31T23:00:00-05:00"]),
    ("-", b"", ["incident", "history", "INC-0001", "--as-of", "2026-02-30"]),
    ("-", b"", ["silent", "--as-of", "9999-12-31T23:00:00-05:00"]),
    ("-", b"", ["graph", "root-causes", "--quarter", "9999-W52"]),
    ("-", b"", ["review", "show", "0001Q1"]),
    ("-", b"", ["incident", "show", "INC-999999999"]),
    ("-", b"", ["search", " ".join(["latency"] * 8000)]),
]


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("corpus") / "kb.sqlite"
    with KB(db) as kb:
        kb.add_project(Project(slug="p", owner="ann", feature_flags=["f"]))
    return db


@pytest.mark.parametrize(("name", "body", "args"), CORPUS, ids=[f"{c[0]}:{' '.join(c[2])[:30]}" for c in CORPUS])
def test_no_traceback_anywhere(corpus_db: Path, tmp_path: Path, name: str, body: bytes, args: list[str]) -> None:
    f = tmp_path / name
    if name != "-":
        f.write_bytes(body)
    result = run_hostile(corpus_db, *[a.format(f=f) for a in args])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if name not in ("bom.json", "-"):
        assert result.exit_code == 1, result.output
    if name == "bom.json":
        assert result.exit_code == 0  # a byte-order mark is not "cannot tell the format"


def test_invalid_utf8_on_standard_input(corpus_db: Path) -> None:
    from click.testing import CliRunner

    from kb.cli import main

    result = CliRunner().invoke(main, ["--db", str(corpus_db), "import", "-"], input=b"title: \xff\n")
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    assert result.stderr.count("\n") == 1 and "not UTF-8" in result.stderr
