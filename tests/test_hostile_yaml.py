"""Hostile YAML documents: whatever the file holds, `kb import` exits 0 or 1 with one line, never a
traceback, and a refused file leaves the database byte-for-byte unchanged. YAML is read with the
safe loader only: a `!!python/object` tag is refused, not run.
"""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.service import KB
from tests._hostile import db_digest, run_hostile

BASE: dict[str, Any] = {
    "projects": [{"slug": "churn-scorer", "name": "Churn", "stage": "production", "feature_flags": ["churn-on"]}],
    "incidents": [
        {
            "id": "INC-0007",
            "project": "churn-scorer",
            "title": "Churn model silently switched off",
            "kind": "quiet-shutdown",
            "started_at": "2026-02-10",
            "detected_at": "2026-05-02",
            "flag": {"key": "churn-on", "environment": "production", "from": "on", "to": "off", "at": "2026-04-28"},
            "modes": [{"code": "silent.quiet-shutdown", "role": "primary", "confidence": "known"}],
            "causes": [
                {
                    "id": "c1",
                    "statement": "latency rose",
                    "mode": "integration.latency",
                    "trigger": True,
                    "because": ["c2"],
                },
                {"id": "c2", "statement": "nobody load-tested it", "mode": "ops.no-monitoring"},
            ],
            "actions": [{"title": "add a monitor", "owner": "ana", "due": "2026-06-30"}],
            "timeline": [{"at": "2026-04-28T17:04:00Z", "text": "flag off"}],
        }
    ],
}

# paths into BASE whose values the property test replaces
PATHS: list[tuple[Any, ...]] = [
    ("projects", 0, "slug"),
    ("projects", 0, "stage"),
    ("projects", 0, "feature_flags"),
    ("projects", 0, "launched_on"),
    ("projects", 0, "retraining"),
    ("incidents", 0, "id"),
    ("incidents", 0, "project"),
    ("incidents", 0, "title"),
    ("incidents", 0, "kind"),
    ("incidents", 0, "severity"),
    ("incidents", 0, "started_at"),
    ("incidents", 0, "detected_at"),
    ("incidents", 0, "flag"),
    ("incidents", 0, "flag", "at"),
    ("incidents", 0, "modes", 0, "code"),
    ("incidents", 0, "modes"),
    ("incidents", 0, "causes", 0, "because"),
    ("incidents", 0, "causes", 1, "id"),
    ("incidents", 0, "causes", 0, "trigger"),
    ("incidents", 0, "actions", 0, "due"),
    ("incidents", 0, "timeline", 0, "at"),
    ("incidents", 0, "duplicate_of"),
    ("incidents", 0, "tags"),
    ("incidents",),
    ("projects",),
]

HOSTILE_STRINGS = [
    "../../etc/x",
    "INC-0001/../../x",
    "/etc/passwd",
    "'; DROP TABLE incidents; --",
    '" OR 1=1 --',
    'NEAR(a b) AND * OR "',
    "\x00",
    "\u202e\u0000",
    "x" * 10_000,
    "9999-99-99",
    "2026-02-30",
    "-1",
    "INC-0007",
    "silent.quiet-shutdown",
    "!!python/object:os.system",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_STRINGS),
    st.dates().map(str),
)
values = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=10), kids, max_size=4)),
    max_leaves=12,
)


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile-yaml") / "kb.sqlite"
    KB(db).close()
    return db


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "doc.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text=st.text(max_size=400))
def test_any_text_as_a_document(hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = _write(tmp_path_factory.mktemp("doc"), text)
    run_hostile(hostile_db, "import", str(path))


@SETTINGS
@given(path=st.sampled_from(PATHS), value=values)
def test_any_value_in_any_field(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, path: tuple[Any, ...], value: Any
) -> None:
    doc = copy.deepcopy(BASE)
    _set(doc, path, value)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    run_hostile(hostile_db, "import", str(_write(tmp_path_factory.mktemp("doc"), text)))


@SETTINGS
@given(
    cut=st.integers(min_value=0, max_value=4000),
    length=st.integers(min_value=0, max_value=30),
    insert=st.text(alphabet=":-[]{}&*!|>'\"#%@`\n\t ,?a1", max_size=8),
)
def test_damaged_valid_document(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, cut: int, length: int, insert: str
) -> None:
    text = yaml.safe_dump(BASE, sort_keys=False)
    cut = min(cut, len(text))
    damaged = text[:cut] + insert + text[cut + length :]
    run_hostile(hostile_db, "import", str(_write(tmp_path_factory.mktemp("doc"), damaged)))


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_text_on_standard_input(hostile_db: Path, text: str) -> None:
    run_hostile(hostile_db, "import", "-", input=text)


def test_python_tags_are_refused_not_run(tmp_path: Path, db_path: Path) -> None:
    KB(db_path).close()
    marker = tmp_path / "pwned"
    for tag in ("!!python/object/apply:os.system", "!!python/object/new:os.system"):
        doc = _write(tmp_path, f'projects:\n  - slug: x\n    notes: {tag} ["touch {marker}"]\n')
        result = run_hostile(db_path, "import", str(doc))
        assert result.exit_code == 1
        assert "malformed YAML" in result.stderr and "python/object" in result.stderr
        assert not marker.exists()
    doc = _write(tmp_path, "!!python/name:os.system\n")
    assert run_hostile(db_path, "import", str(doc)).exit_code == 1


def test_alias_bomb_is_refused_quickly(tmp_path: Path, db_path: Path) -> None:
    # nine levels of ten aliases: a billion strings if expanded; validation stops at the first wrong type
    lines = ["projects:", "  - slug: p", "    tags:", '      - &a0 ["lol","lol","lol","lol","lol"]']
    lines += [f"      - &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    KB(db_path).close()
    result = run_hostile(db_path, "import", str(_write(tmp_path, "\n".join(lines) + "\n")))
    assert result.exit_code == 1
    assert "expands (through aliases)" in result.stderr


def test_a_failed_import_in_a_batch_leaves_nothing(tmp_path: Path, db_path: Path) -> None:
    """The second file is bad, so the first file's records, valid on their own, must not land."""
    KB(db_path).close()
    good = tmp_path / "a.yaml"
    good.write_text(yaml.safe_dump(BASE, sort_keys=False), encoding="utf-8")
    bad = tmp_path / "b.yaml"
    bad.write_text("incidents:\n  - {project: churn-scorer, title: t, kind: not-a-kind}\n", encoding="utf-8")
    digest = db_digest(db_path)
    result = run_hostile(db_path, "import", str(good), str(bad))
    assert result.exit_code == 1 and "b.yaml:2" in result.stderr
    assert db_digest(db_path) == digest
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0
    conn.close()
