"""`kb incident show` on the read path (kb.store.queries.incidents.incident_view, no pydantic):
what it prints, worked out by hand, and that it is what the pydantic model prints for every incident
of the seed cases, the public cases and a synthetic portfolio."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from kb import models
from kb.cli import main
from kb.commands._doc import plain, renderables
from kb.commands.render import incident_doc
from kb.models import Project
from kb.ops.reads import Reader
from kb.service import KB
from kb.store.queries import incidents as incident_queries
from tests.test_read_path import FULL, _run_fresh


@pytest.fixture
def stocked(db_path: Path) -> Path:
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana", team="risk"))
        kb.add_incident(FULL)
        kb.edit_incident("INC-0042", {"severity": 1})
    return db_path


# FULL as kb stores it, by hand: instants in UTC (09:30+02:00 is 07:30Z, microseconds kept), dates as
# dates, defaults filled in (role contributing -> confidence potential, an action open/prevent), the
# fields format 2 added left out because FULL uses none of them
FULL_JSON = {
    "id": "INC-0042",
    "project": "fraud-review",
    "title": "scores frozen after a silent flag flip",
    "kind": "quiet-shutdown",
    "severity": 1,
    "status": "resolved",
    "started_at": "2026-02-10",
    "detected_at": "2026-02-12T07:30:00.250000Z",
    "resolved_at": "2026-02-20T17:00:00Z",
    "detected_by": "user-report",
    "announced": False,
    "postmortem": "published",
    "flag": {
        "key": "fraud-model",
        "environment": "prod",
        "from": "on",
        "to": "off",
        "at": "2026-02-10T08:00:00Z",
        "actor": "",
    },
    "summary": "Nobody noticed for two days.",
    "modes": [
        {"code": "ops.no-monitoring", "role": "primary", "confidence": "known", "evidence": "no alert"},
        {"code": "org.unclear-ownership", "role": "contributing", "confidence": "potential", "evidence": ""},
    ],
    "causes": [
        {
            "id": "flip",
            "statement": "the flag was switched off",
            "mode": None,
            "trigger": True,
            "because": ["owner", "alert"],
        },
        {
            "id": "owner",
            "statement": "nobody owned the model",
            "mode": "org.unclear-ownership",
            "trigger": False,
            "because": [],
        },
        {
            "id": "alert",
            "statement": "no alert on the score rate",
            "mode": "ops.no-monitoring",
            "trigger": False,
            "because": ["owner"],
        },
    ],
    "actions": [
        {"title": "alert on score volume", "owner": "ana", "due": "2026-03-01", "status": "done", "kind": "prevent"},
        {"title": "name an owner", "owner": "", "due": None, "status": "open", "kind": "prevent"},
    ],
    "timeline": [{"at": "2026-02-10T08:00:00Z", "text": "flag off"}, {"at": "2026-02-12", "text": "report"}],
    "tags": ["fraud", "flags"],
    "links": [{"title": "ticket", "url": "https://example.com/T-1", "document": "", "quote": "why?"}],
    "duplicate_of": None,
}


def test_incident_show_json_by_hand(stocked: Path) -> None:
    out = CliRunner().invoke(main, ["--db", str(stocked), "incident", "show", "INC-0042", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == FULL_JSON
    assert list(json.loads(out.output)) == list(FULL_JSON)  # the field order of the format
    assert out.output == json.dumps(FULL_JSON, ensure_ascii=False, indent=2) + "\n"


def test_incident_show_text_by_hand(stocked: Path) -> None:
    # TTY_COMPATIBLE: draw as for a terminal (rich's panel); TERM=dumb: without colour codes
    env = {"COLUMNS": "100", "TTY_COMPATIBLE": "1", "TERM": "dumb"}
    out = CliRunner().invoke(main, ["--db", str(stocked), "incident", "show", "INC-0042"], env=env)
    assert out.exit_code == 0, out.output
    lines = [line.strip("│ ").rstrip() for line in out.output.splitlines()]
    assert out.output.splitlines()[0].startswith("╭─ INC-0042 scores frozen after a silent flag flip ─")
    # started 2026-02-10 00:00Z; detected 2026-02-12 07:30:00.25Z: 2 d 7.5 h, to the nearest day 2 d;
    # resolved 2026-02-20 17:00Z: 8 d 9.5 h after detection = 8 d, 10 d 17 h after the start = 11 d
    for key, value in (
        ("severity", "1"),
        ("started", "2026-02-10"),
        ("detected", "2026-02-12 07:30"),
        ("resolved", "2026-02-20 17:00"),
        ("announced", "no"),
        ("postmortem", "published"),
        ("time to detect", "2 d"),
        ("time to resolve", "8 d"),
        ("impact time", "11 d"),
        ("flag", "fraud-model (prod) on → off at 2026-02-10 08:00:00+00:00 by ?"),
        ("tags", "fraud, flags"),
    ):
        assert any(line.split() == [*key.split(), *value.split()] for line in lines), (key, value)
    text = "\n".join(lines)
    # the chain: the trigger first, each cause behind it deeper, `owner` met twice shown once in full
    assert "trigger the flag was switched off" in text
    assert "nobody owned the model org.unclear-ownership (root)" in text
    assert "nobody owned the model org.unclear-ownership (root) (see above)" in text
    assert "alert on score volume  prevent  ana    2026-03-01  done" in text
    assert "2026-02-10 08:00:00+00:00  flag off" in text and "2026-02-12                 report" in text
    assert 'link: ticket https://example.com/T-1 — "why?"' in text


def test_incident_show_in_a_pipe_is_plain_text_by_hand(stocked: Path) -> None:
    """Not a terminal: no panel, whole values, a tab between a field's name and value and between
    cells, two spaces a level in the cause tree, and rich is never imported."""
    heavy, printed = _run_fresh(["--db", str(stocked), "incident", "show", "INC-0042"], ("rich",))
    assert heavy == []
    lines = printed.splitlines()
    assert lines[0] == "INC-0042 scores frozen after a silent flag flip"
    chain = [
        "causes (trigger → root causes)",
        "  trigger the flag was switched off",
        "    nobody owned the model org.unclear-ownership (root)",
        "    no alert on the score rate ops.no-monitoring",
        "      nobody owned the model org.unclear-ownership (root) (see above)",
    ]
    at = lines.index(chain[0])
    assert lines[at : at + 5] == chain
    for expected in (
        "severity\t1",
        "detected\t2026-02-12 07:30",
        "time to detect\t2 d",
        "flag\tfraud-model (prod) on → off at 2026-02-10 08:00:00+00:00 by ?",
        "classified as",
        "mode\trole\tconfidence\tevidence",
        "ops.no-monitoring\tprimary\tknown\tno alert",
        "action\tkind\towner\tdue\tstatus",
        "alert on score volume\tprevent\tana\t2026-03-01\tdone",
        "2026-02-12\treport",
        'link: ticket https://example.com/T-1 — "why?"',
    ):
        assert expected in lines, expected


def test_incident_show_of_a_missing_incident_is_one_line(stocked: Path) -> None:
    out = CliRunner().invoke(main, ["--db", str(stocked), "incident", "show", "INC-9999"])
    assert out.exit_code == 1
    assert out.output.strip() == "Error: incident: no incident 'INC-9999'"


def _drawn(incident: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, highlight=False, soft_wrap=False, color_system=None)
    for part in renderables(incident_doc(incident)):  # type: ignore[arg-type]
        console.print(part)
    return buffer.getvalue()


def _all_equal(kb: KB, path: Path) -> int:
    seen = 0
    with Reader(path) as reader:
        for (incident_id,) in kb.db.conn.execute("SELECT id FROM incidents ORDER BY id"):
            stored = kb.get_incident(incident_id)
            view = reader.incident(incident_id)
            assert view.document() == stored.model_dump(mode="json", by_alias=True), incident_id
            assert json.dumps(view.document()) == json.dumps(stored.model_dump(mode="json", by_alias=True))
            assert _drawn(view) == _drawn(stored), incident_id
            assert plain(incident_doc(view)) == plain(incident_doc(stored)), incident_id
            seen += 1
    return seen


def test_the_view_is_the_model_for_the_seed_and_public_cases(db_path: Path) -> None:
    with KB(db_path, "tester") as kb:
        kb.seed()
        kb.seed(public=True)
        n = _all_equal(kb, db_path)
    assert n > 20


def test_the_view_is_the_model_for_a_synthetic_portfolio_and_hand_made_extremes(db_path: Path, tmp_path: Path) -> None:
    from kb.synth import SynthSpec, generate
    from kb.synth.write import write_portfolio

    with KB(db_path, "tester") as kb:
        write_portfolio(kb, generate(SynthSpec(projects=5, incidents=80, periods=4, flag_events=10, seed=5)), tmp_path)
        kb.add_project(Project(slug="fraud-review"))
        kb.add_incident(FULL.model_copy(update={"id": "INC-9000"}))
        kb.import_paths([str(_format_two(tmp_path))])
        assert _all_equal(kb, db_path) == 82


def _format_two(tmp_path: Path) -> Path:
    """An incident using every field format 2 added: approximate dates, impact, metrics, lessons."""
    path = tmp_path / "v2.yaml"
    path.write_text(
        "id: INC-9001\nproject: fraud-review\ntitle: approximate\nstarted_at: 2021Q3\ndetected_at: 2021-11\n"
        "resolved_at: 2022\nmade_public_at: '2022-01-05'\npostmortem_source: press\npostmortem_link: https://x.test\n"
        "impact: {money_lost: {amount: 1000, currency: USD}, people_affected: 12000, text: fines}\n"
        "organisations: [Acme]\naffected_projects: [fraud-review]\n"
        "metrics: [{name: AUC, before: 0.76, after: 1}, {name: recall}]\n"
        "lessons: {went_wrong: [nobody looked]}\n"
        "flag: {key: k, at: '2021-08-01T10:00:00+01:00', actor: bob}\n",
        encoding="utf-8",
    )
    return path


def test_the_format_two_fields_are_kept_in_sync() -> None:
    assert incident_queries.INCIDENT_ADDED == models.INCIDENT_ADDED


def test_search_json_and_text_by_hand(stocked: Path) -> None:
    out = CliRunner().invoke(main, ["--db", str(stocked), "search", "silent flag", "--json"])
    assert out.exit_code == 0, out.output
    (hit,) = json.loads(out.output)
    assert list(hit) == ["id", "project", "title", "kind", "started_at", "score", "snippet", "duplicate_of"]
    assert {k: hit[k] for k in ("id", "project", "title", "kind", "started_at", "duplicate_of")} == {
        "id": "INC-0042",
        "project": "fraud-review",
        "title": "scores frozen after a silent flag flip",
        "kind": "quiet-shutdown",
        "started_at": "2026-02-10",
        "duplicate_of": None,
    }
    # one incident in the index: FTS5 clamps bm25's idf to 1e-6 when every row matches, so it rounds to 0
    assert hit["score"] == 0.0 and '"score": 0.0,' in out.output
    assert hit["snippet"] == "scores frozen after a silent flag flip"  # the title, markers removed
    text = CliRunner().invoke(main, ["--db", str(stocked), "search", "silent flag"], env={"COLUMNS": "200"})
    assert text.output.splitlines() == [
        "INC-0042 fraud-review scores frozen after a silent flag flip  quiet-shutdown",
        "    scores frozen after a silent flag flip",
    ]
    none = CliRunner().invoke(main, ["--db", str(stocked), "search", "nothing-like-this"])
    assert none.output == "no matches\n"
    bad = CliRunner().invoke(main, ["--db", str(stocked), "search", "x", "--mode", "ops.no-monitorng"])
    assert bad.exit_code == 1
    assert bad.output.strip() == (
        "Error: --mode: unknown taxonomy code 'ops.no-monitorng'; did you mean ops.no-monitoring?"
    )
