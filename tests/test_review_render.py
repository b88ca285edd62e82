"""Markdown tables survive hostile cells; HTML shows hostile names as text; the CLI drives it all."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result

from kb.models import Action, Incident, Project
from kb.review.render import md_cell, num, to_html, to_markdown
from kb.review.sparkline import blocks, svg_line
from kb.service import KB
from tests.test_review_portfolio import load_portfolio

EVIL_NAME = '<script>alert("x")</script> R&D\'s | tool'
EVIL_TITLE = 'Tom & Jerry\'s "model" <script>bad()</script> | broke\nacross lines'
EVIL_OWNER = "Ann | Bob\nCarol <b>"


@pytest.fixture
def hostile(kb: KB) -> KB:
    kb.add_project(Project(slug="alpha", name=EVIL_NAME, owner=EVIL_OWNER, stage="production"))
    kb.add_incident(
        Incident(
            project="alpha",
            title=EVIL_TITLE,
            severity=1,
            started_at="2026-08-01",
            detected_at="2026-08-02",
            summary="<img src=x onerror=alert(1)>",
            modes=[{"code": "silent.quiet-shutdown", "role": "primary"}],
            causes=[{"id": "c1", "statement": "a <b>bold</b> | claim", "mode": "silent.quiet-shutdown"}],
            actions=[Action(title="fix & <check>", due=date(2026, 9, 1))],
        )
    )
    kb.decide("2026Q3", "alpha", "fix", EVIL_OWNER, "2026-12-01", "keep | watch\nclosely & <i>")
    return kb


def _cells(line: str) -> list[str]:
    """Split a Markdown table row on unescaped pipes, as GitHub does."""
    inner = line.strip()[1:-1]
    return re.split(r"(?<!\\)\|", inner)


def _tables(md: str) -> list[list[str]]:
    tables, current = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def test_markdown_tables_stay_intact_with_pipes_and_newlines(hostile: KB) -> None:
    md = to_markdown(hostile.review("2026Q3"))
    tables = _tables(md)
    assert len(tables) >= 4
    for table in tables:
        width = len(_cells(table[0]))
        assert all(len(_cells(row)) == width for row in table), table
        assert re.fullmatch(r"\|(---\|)+", table[1])
    assert "Ann \\| Bob<br>Carol &lt;b&gt;" in md  # owner cell in the scorecard
    assert "keep \\| watch<br>closely & &lt;i&gt;" in md  # decision note cell
    assert "<script>" not in md and "<b>" not in md
    # a heading cannot span lines: the newline in the title becomes a space
    assert "| broke across lines" in md


def test_md_cell_escapes() -> None:
    assert md_cell("a|b\r\nc\nd") == "a\\|b<br>c<br>d"
    assert md_cell("<x>") == "&lt;x&gt;"


def test_html_renders_hostile_text_as_text(hostile: KB) -> None:
    page = to_html(hostile.review("2026Q3"))
    assert "<script" not in page
    assert "<b>" not in page and "<i>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; R&amp;D&#39;s | tool" in page
    assert "Tom &amp; Jerry&#39;s &#34;model&#34; &lt;script&gt;bad()&lt;/script&gt;" in page
    assert "closely &amp; &lt;i&gt;" in page
    # self-contained: no external resource of any kind
    assert not re.search(r"(src|href)\s*=", page)
    assert "<link" not in page and "@import" not in page
    assert page.count("<style>") == 1


def test_num_writes_each_value_as_itself_whatever_came_before() -> None:
    # num remembers what it wrote (a large review repeats a few scores): values equal to each other
    # but written differently must not share an answer
    assert [num(v) for v in (0.0, -0.0, 0, 1, True, 1.0, 2.5, 12.345, 1234.5, None)] == [
        "0",
        "-0",
        "0",
        "1",
        "True",
        "1",
        "2.5",
        "12.3",
        "1,234",
        "–",
    ]
    assert [num(v) for v in (-0.0, 0.0, True, 1)] == ["-0", "0", "True", "1"]


def test_sparklines() -> None:
    assert blocks([0.0, 0.5, 1.0]) == "▁▅█"  # 0.5 * 7 = 3.5 rounds to 4: the fifth of eight blocks
    assert blocks([2.0, None, 2.0]) == "▄·▄"
    assert blocks([None, None]) == "··"
    line = svg_line([1.0, None, 3.0, 2.0], width=104, height=24, pad=2)
    # x steps of (104 - 4) / 3; y: 3 at the top (2), 1 at the bottom (22)
    assert line.segments == ["2.0,22.0", "68.7,2.0 102.0,12.0"]
    assert line.last == (102.0, 12.0)


def test_html_has_inline_svg_charts(kb: KB, tmp_path: Path) -> None:
    load_portfolio(kb, tmp_path)
    with kb.transaction() as db:
        for month, quality in (("2026-07", 0.9), ("2026-08", 0.6)):
            db.execute(
                "INSERT INTO health (project, period, period_start, period_end, quality) VALUES (?, ?, ?, ?, ?)",
                ["alpha", month, f"{month}-01", f"{month}-28", quality],
            )
    page = to_html(kb.review("2026Q3"))
    assert '<polyline points="2.0,2.0 118.0,22.0"' in page  # quality 0.9 -> 0.6 falls across the box
    assert page.count('class="bar"') >= 6 * 2  # two bars per mode row


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli_portfolio(db_path: Path, tmp_path: Path) -> Path:
    with KB(db_path) as kb:
        load_portfolio(kb, tmp_path)
    return db_path


def test_cli_review_formats(cli_portfolio: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    data = json.loads(run.ok("review", "2026Q3", "--format", "json").stdout)
    assert (data["quarter"], data["summary"]["incidents_opened"], data["frozen"]) == ("2026Q3", 5, False)
    md = run.ok("review", "2026Q3").stdout
    assert md.startswith("# Portfolio health review 2026Q3\n")
    out = tmp_path / "r.html"
    result = run.ok("review", "--format", "html", "--out", str(out), "2026Q3")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "live review of 2026Q3" in result.stderr


def test_cli_default_quarter_is_the_last_complete_one(cli_portfolio: Path, run: Callable[..., Result]) -> None:
    today = date.today()
    q = (today.month - 1) // 3  # this quarter's index 0..3; the last complete one is the one before
    expected = f"{today.year}Q{q}" if q else f"{today.year - 1}Q4"
    assert json.loads(run.ok("review", "--format", "json").stdout)["quarter"] == expected


def test_cli_decide_freeze_list_diff(cli_portfolio: Path, run: Callable[..., Result]) -> None:
    run.ok("review", "decide", "2026Q3", "beta", "--decision", "fix", "--owner", "Bo", "--due", "2026-12-01")
    assert "froze the review of 2026Q3" in run.ok("review", "freeze", "2026Q3").stdout
    run.ok("incident", "edit", "INC-0101", "--title", "Edited after the freeze")
    md = run.ok("review", "2026Q3").stdout
    assert "**Frozen review**" in md and "Edited after the freeze" not in md
    live = run.ok("review", "2026Q3", "--live").stdout
    assert "Computed live" in live and "Edited after the freeze" in live
    listed = json.loads(run.ok("review", "list", "--json").stdout)
    assert [(x["quarter"], x["decisions"]) for x in listed] == [("2026Q3", 1)]
    diff = json.loads(run.ok("review", "diff", "2026Q2", "2026Q3", "--json").stdout)
    assert (diff["a_frozen"], diff["b_frozen"]) == (False, True)
    assert "incidents opened" in run.ok("review", "diff", "2026Q2", "2026Q3").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "2026-07"], "is a month, not a quarter"),
        (["review", "someday"], "is not a period"),
        (["review", "decide", "2026Q3", "nope", "--decision", "fix", "--owner", "A"], "no project 'nope'"),
        (["review", "decide", "2026Q3", "beta", "--decision", "fix", "--owner", "A", "--due", "soon"], "not a date"),
        (["review", "freeze", "2099Q1"], "has not ended"),
    ],
)
def test_cli_errors_are_one_line(
    cli_portfolio: Path, run: Callable[..., Result], args: list[str], message: str
) -> None:
    result = run.fails(*args)
    assert message in result.stderr
    with KB(cli_portfolio) as kb:
        assert kb.db.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
        assert kb.db.execute("SELECT count(*) FROM frozen_reviews").fetchone()[0] == 0
