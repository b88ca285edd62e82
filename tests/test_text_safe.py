"""Control characters in what users type never reach a terminal raw or break an export (issue 14:
titles with control characters made GraphML/GEXF invalid XML and DOT unparseable, and escape
sequences reached the terminal through `incident show` and `search`)."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import pytest

from kb.models import Cause, Incident, Project
from kb.service import KB
from tests._hostile import run_hostile

pydot = pytest.importorskip("pydot", reason="pydot (a graphviz-compatible DOT parser) is not installed")

NASTY = "red\x1b[31m alert\x07 bell\x00nul\x0cff \x9b[2J csi \u202eevil [bold]markup[/bold]"
# what a reader sees: every control character as a visible escape, markup as text
SHOWN = "red\\x1b[31m alert\\x07 bell\\x00nul\\x0cff \\x9b[2J csi \\u202eevil [bold]markup[/bold]"


@pytest.fixture
def nasty(db_path: Path) -> Path:
    with KB(db_path) as kb:
        kb.add_project(Project(slug="p", owner="ann"))
        kb.add_incident(
            Incident(
                id="INC-0001",
                project="p",
                title=NASTY,
                summary="summary " + NASTY,
                causes=[Cause(id="c1", statement="alert " + NASTY, mode="ops.no-monitoring")],
            )
        )
    return db_path


def test_graphml_and_gexf_are_valid_xml_with_the_text_visible(nasty: Path) -> None:
    with KB(nasty) as kb:
        for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
            data = kb.export_graph(fmt)
            assert isinstance(data, bytes)
            back = reader(io.BytesIO(data))  # before: "not well-formed (invalid token)"
            assert back.nodes["incident:INC-0001"]["title"] == SHOWN, fmt
            assert back.nodes["cause:INC-0001/c1"]["statement"] == "alert " + SHOWN, fmt


def test_dot_parses_with_a_graphviz_compatible_parser(nasty: Path) -> None:
    with KB(nasty) as kb:
        dot = kb.export_graph("dot")
        g = kb.graph()
    assert isinstance(dot, str)
    assert not any(ord(ch) < 32 and ch not in "\n" for ch in dot)
    (parsed,) = pydot.graph_from_dot_data(dot)
    nodes = [n for n in parsed.get_nodes() if n.get_name() not in ("graph", "node", "edge")]  # not defaults
    assert len(nodes) == g.number_of_nodes()
    assert len(parsed.get_edges()) == g.number_of_edges()
    labels = [n.get("label") for n in nodes]
    assert any("red\\\\x1b[31m alert" in str(lab) for lab in labels)


def test_mermaid_has_no_raw_control_characters(nasty: Path) -> None:
    with KB(nasty) as kb:
        text = kb.export_graph("mermaid")
    assert isinstance(text, str)
    assert not any((ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in text)


@pytest.mark.parametrize("args", [["incident", "show", "INC-0001"], ["search", "alert"], ["incident", "list"]])
def test_terminal_output_has_no_escape_sequences(nasty: Path, args: list[str]) -> None:
    out = run_hostile(nasty, *args).output
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\x9b" not in out
    assert "\u202e" not in out
    if args[1] != "list":  # the list cuts titles short
        assert "\\x1b[31m" in out  # shown, not hidden
        assert "[bold]markup[/bold]" in out  # Rich markup in the text printed as text
