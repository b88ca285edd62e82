"""The streaming JSON reader fails fast on a syntax error without re-reading the file (issue 14:
a 150 MB flag log with a syntax error near its start ran past 400 s, buffering the whole file)."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.service import KB
from kb.silent.jsonstream import iter_json
from tests._hostile import run_hostile

EVENT = (
    '{"id": 1, "type": "feature-updated", "featureName": "f", "environment": "production",'
    ' "createdBy": "ann", "createdAt": "2026-01-01T00:00:00Z", "data": {"enabled": false}}'
)


class CountingReader(io.StringIO):
    """The input file, counting the characters kb asks of it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.chars = 0

    def read(self, size: int | None = -1) -> str:
        out = super().read(size)
        self.chars += len(out)
        return out


def _big_log(n_events: int, error_at: int) -> str:
    events = [EVENT] * n_events
    events[error_at] = EVENT.replace('"type":', '"type"')  # a missing colon
    return '{"events": [' + ",\n".join(events) + "]}"


def test_a_syntax_error_near_the_start_reads_one_chunk() -> None:
    text = _big_log(40_000, error_at=3)  # ~7 MB
    src = CountingReader(text)
    tracemalloc.start()
    with pytest.raises(KBError) as err:
        for _ in iter_json(src):
            pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "event 3: not valid JSON (Expecting ':' delimiter)" in str(err.value)
    assert str(err.value).startswith("line 4:")
    assert src.chars <= 2 * (1 << 16)  # before: every character of the file, again and again
    assert peak < 2 << 20


def test_a_value_cut_by_the_chunk_boundary_still_reads() -> None:
    """Values that straddle chunk ends (strings, literals, numbers, escapes) are not errors."""
    events = [f'{{"k": "{"x" * n}\\u00e9", "t": true, "n": -12.5e-3, "z": null}}' for n in range(200)]
    text = "[" + ",".join(events) + "]"
    for chunk in (7, 13, 64, 1000):
        got = list(iter_json(io.StringIO(text), chunk=chunk))
        assert len(got) == 200 and got[-1] == {"k": "x" * 199 + "é", "t": True, "n": -0.0125, "z": None}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('[{"id": ' + "9" * 5000 + "}]", "not valid JSON"),
        ('[{"id": "\\ud800"}]', "lone UTF-16 surrogate"),
    ],
)
def test_hostile_values_are_one_line(body: str, says: str) -> None:
    with pytest.raises(KBError) as err:
        list(iter_json(io.StringIO(body)))
    assert says in str(err.value) and len(str(err.value)) < 200


def test_a_malformed_150_mb_log_is_refused_through_the_cli(tmp_path: Path, db_path: Path) -> None:
    KB(db_path).close()
    f = tmp_path / "big.json"
    with f.open("w", encoding="utf-8") as fh:
        fh.write('{"events": [' + EVENT + ",\n" + EVENT.replace('"type":', '"type"') + ",\n")
        block = ",\n".join([EVENT] * 10_000) + ",\n"
        while fh.tell() < 150 << 20:
            fh.write(block)
        fh.write(EVENT + "]}")
    result = run_hostile(db_path, "flags", "import", str(f), "--format", "unleash")
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "Expecting ':' delimiter" in result.stderr
