"""Strict YAML (issue 14): duplicate keys were merged silently (a file with two `incidents:` lists
imported only the second); an alias bomb whose expansion reached a failing field ran for minutes."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.service import KB
from kb.yamldoc import parse_text
from tests._hostile import run_hostile

TWO_LISTS = """\
projects:
  - {slug: p, owner: ann}
incidents:
  - {id: INC-0001, project: p, title: first}
incidents:
  - {id: INC-0002, project: p, title: second}
"""


def test_two_incidents_lists_are_refused_naming_both_lines(tmp_path: Path, db_path: Path) -> None:
    KB(db_path).close()
    f = tmp_path / "dup.yaml"
    f.write_text(TWO_LISTS, encoding="utf-8")
    result = run_hostile(db_path, "import", str(f))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {f}:5: malformed YAML: duplicate key 'incidents' (first on line 3, again on line 5)\n"
    )


@pytest.mark.parametrize(
    ("text", "first", "again"),
    [
        ("title: a\ntitle: b\n", 1, 2),
        ("{a: 1, b: 2, a: 3}\n", 1, 1),
        ("x:\n  y: 1\n  z: 2\n  y: 3\n", 2, 4),
        ("1: a\n'1': b\n1: c\n", 1, 3),  # the int 1 twice; '1' (a string) is another key
    ],
)
def test_duplicate_keys_anywhere(text: str, first: int, again: int) -> None:
    with pytest.raises(KBError) as err:
        parse_text(text, "f.yaml")
    assert f"(first on line {first}, again on line {again})" in str(err.value)


def test_merge_keys_are_not_duplicates() -> None:
    data, _ = parse_text("base: &b {owner: ann}\np:\n  <<: *b\n  owner: bob\n", "f.yaml")
    assert data["p"] == {"owner": "bob"}


def test_an_alias_bomb_aimed_at_a_failing_field_is_refused_at_once(tmp_path: Path, db_path: Path) -> None:
    # ten levels of ten aliases into `title`, which wants a string: pydantic formatted the expansion
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    lines += ["project: p", "title: *a9"]
    f = tmp_path / "bomb.yaml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    KB(db_path).close()
    tracemalloc.start()
    result = run_hostile(db_path, "import", str(f))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.exit_code == 1 and "expands (through aliases)" in result.stderr
    assert peak < 50 << 20


def test_a_document_with_ordinary_aliases_still_loads() -> None:
    data, _ = parse_text("t: &t [a, b]\nu: *t\nv: *t\n", "f.yaml")
    assert data == {"t": ["a", "b"], "u": ["a", "b"], "v": ["a", "b"]}
