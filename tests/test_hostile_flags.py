"""Hostile flag logs and health CSVs: every flag-log format and the health CSV, damaged at random or
with any value in any field. `kb flags import` / `kb health import` exit 0 or 1 with one line,
never a traceback, and a refused file leaves the database byte-for-byte unchanged.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.service import KB
from tests._hostile import run_hostile

FIXTURES = Path(__file__).parent / "fixtures"
FLAG_LOGS = {
    "unleash": FIXTURES / "flags" / "unleash_events.json",
    "launchdarkly": FIXTURES / "flags" / "launchdarkly_audit.json",
    "flagsmith-audit": FIXTURES / "flags" / "flagsmith_audit.json",
    "flagsmith-webhooks": FIXTURES / "flags" / "flagsmith_webhooks.ndjson",
    "growthbook": FIXTURES / "flags" / "growthbook_webhooks.ndjson",
    "csv": FIXTURES / "flags" / "flags.csv",
}
HEALTH = FIXTURES / "silent" / "health.csv"
PORTFOLIO = FIXTURES / "silent" / "portfolio.yaml"

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["", "../../etc/x", "9999-99-99T99:99:99Z", "2026-02-30", "-1e309", "on", "off", "\x00"]),
)
json_values = st.recursive(
    json_scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)),
    max_leaves=8,
)
cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "NaN", "inf", "-1", "1e400", "true", "maybe", "2026-13", "2026Q5", "9" * 40, "a,b", '"']),
)
damage = st.tuples(
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=0, max_value=40),
    st.text(alphabet='{}[]",:0123456789aeflnrstu \n\\', max_size=8),
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside parsed JSON, containers included."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for n, v in enumerate(obj):
            out += _paths(v, (*prefix, n))
    return out


def _replace(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    obj = copy.deepcopy(obj)
    node = obj
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return obj


def _load(path: Path) -> tuple[bool, Any]:
    """(is NDJSON, parsed content) of a JSON or NDJSON fixture."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ndjson":
        return True, [json.loads(line) for line in text.splitlines() if line.strip()]
    return False, json.loads(text)


def _dump(ndjson: bool, data: Any) -> str:
    if ndjson:
        return "".join(json.dumps(r) + "\n" for r in data)
    return json.dumps(data)


def _damaged(text: str, spec: tuple[int, int, str]) -> str:
    cut, length, insert = spec
    cut = min(cut, len(text))
    return text[:cut] + insert + text[cut + length :]


def _csv_with(path: Path, row: int, col: int, value: str) -> str:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    r = rows[row % len(rows)]
    r[col % len(r)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile-flags") / "kb.sqlite"
    with KB(db) as kb:
        kb.import_paths([str(PORTFOLIO)])
    return db


def _file(tmp_path_factory: pytest.TempPathFactory, name: str, text: str) -> str:
    path = tmp_path_factory.mktemp("log") / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return str(path)


@pytest.mark.parametrize("name", sorted(n for n in FLAG_LOGS if n != "csv"))
@SETTINGS
@given(data=st.data())
def test_json_flag_log_with_any_value_anywhere(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject
) -> None:
    ndjson, parsed = _load(FLAG_LOGS[name])
    paths = _paths(parsed)
    path = data.draw(st.sampled_from(paths), label="path")
    value = data.draw(json_values, label="value")
    text = _dump(ndjson, _replace(parsed, path, value))
    fmt = data.draw(st.sampled_from([[], ["--format", name.split("-")[0]]]), label="format")
    run_hostile(hostile_db, "flags", "import", _file(tmp_path_factory, FLAG_LOGS[name].name, text), *fmt)


@pytest.mark.parametrize("name", sorted(FLAG_LOGS))
@SETTINGS
@given(spec=damage)
def test_damaged_flag_log(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, name: str, spec: tuple[int, int, str]
) -> None:
    text = _damaged(FLAG_LOGS[name].read_text(encoding="utf-8"), spec)
    run_hostile(hostile_db, "flags", "import", _file(tmp_path_factory, FLAG_LOGS[name].name, text))


@SETTINGS
@given(row=st.integers(min_value=0, max_value=50), col=st.integers(min_value=0, max_value=10), value=cells)
def test_flag_csv_with_any_cell(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, row: int, col: int, value: str
) -> None:
    text = _csv_with(FLAG_LOGS["csv"], row, col, value)
    run_hostile(hostile_db, "flags", "import", _file(tmp_path_factory, "flags.csv", text), "--format", "csv")


@SETTINGS
@given(text=st.text(max_size=300), fmt=st.sampled_from(["unleash", "launchdarkly", "flagsmith", "growthbook", "csv"]))
def test_any_text_as_a_flag_log(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, text: str, fmt: str
) -> None:
    path = _file(tmp_path_factory, "log.txt", text)
    run_hostile(hostile_db, "flags", "import", path)
    run_hostile(hostile_db, "flags", "import", path, "--format", fmt)


@SETTINGS
@given(row=st.integers(min_value=0, max_value=120), col=st.integers(min_value=0, max_value=12), value=cells)
def test_health_csv_with_any_cell(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, row: int, col: int, value: str
) -> None:
    text = _csv_with(HEALTH, row, col, value)
    run_hostile(hostile_db, "health", "import", _file(tmp_path_factory, "health.csv", text))


@SETTINGS
@given(spec=damage)
def test_damaged_health_csv(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, spec: tuple[int, int, str]
) -> None:
    text = _damaged(HEALTH.read_text(encoding="utf-8"), spec)
    run_hostile(hostile_db, "health", "import", _file(tmp_path_factory, "health.csv", text))


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_text_as_a_health_csv(hostile_db: Path, tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    run_hostile(hostile_db, "health", "import", _file(tmp_path_factory, "health.csv", text))


def test_the_unmutated_fixtures_import(hostile_db: Path) -> None:
    """The property tests start from files that are valid: each imports with exit 0."""
    for path in FLAG_LOGS.values():
        assert run_hostile(hostile_db, "flags", "import", str(path)).exit_code == 0, path
    assert run_hostile(hostile_db, "health", "import", str(HEALTH)).exit_code == 0


def test_growthbook_rules_that_are_not_a_list_are_read_as_no_rules(hostile_db: Path, tmp_path: Path) -> None:
    """Found by the property test above in CI: `rules: true` in previous_attributes raised a TypeError."""
    hook = {
        "event": "feature.updated",
        "created": 1782120600000,
        "data": {
            "object": {"id": "f", "environments": {"production": {"enabled": False, "rules": True}}},
            "previous_attributes": {"environments": {"production": {"enabled": True, "rules": True}}},
        },
    }
    f = tmp_path / "gb.json"
    f.write_text(json.dumps(hook), encoding="utf-8")
    result = run_hostile(hostile_db, "flags", "import", str(f), "--format", "growthbook")
    assert result.exit_code in (0, 1), result.output
    assert "TypeError" not in result.stderr and "internal error" not in result.stderr, result.stderr
