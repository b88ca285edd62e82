"""The HTML review people read: chains drawn as inline SVG (no Mermaid source, no script), times to
the minute, the quarter's dates as people say them, and a one-screen summary at the top.

The chain is checked by parsing the SVG and reading back the boxes' positions and texts against
the chain the test wrote: the trigger on top, each cause below the cause that names it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import Run

HOSTILE = 'Queue <script>alert("x")</script> & "quotes" overflowed'

DOC = f"""
projects:
  - slug: claims-triage
    stage: production
    owner: dana
    feature_flags: [claims-model-on]
    monitoring: none
incidents:
  - id: INC-0001
    project: claims-triage
    title: Claims triage flagged more than adjusters could read
    kind: degradation
    severity: 1
    status: open
    started_at: 2026-08-03
    detected_at: 2026-08-20
    detected_by: downstream-team
    postmortem: draft
    modes:
      - {{code: integration.capacity-gap, role: primary, confidence: known}}
    causes:
      - {{id: c1, statement: "Model flagged 500 claims an hour", mode: integration.capacity-gap, trigger: true,
          because: [c2, c3]}}
      - {{id: c2, statement: "Threshold tuned for offline recall", mode: value.accuracy-illusion}}
      - {{id: c3, statement: {HOSTILE!r}, mode: org.miscommunication, because: [c4]}}
      - {{id: c4, statement: "Nobody owned launch planning", mode: org.unclear-ownership}}
      - {{id: c5, statement: "Adjusters stopped opening the flags", mode: silent.unused-output, because: [c1]}}
"""


@pytest.fixture
def html(run: Run, tmp_path: Path) -> str:
    src = tmp_path / "doc.yaml"
    src.write_text(DOC)
    run.ok("import", str(src))
    out = tmp_path / "review.html"
    run.ok("review", "2026Q3", "--format", "html", "--out", str(out))
    return out.read_text(encoding="utf-8")


def _chains(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r'<svg class="chain".*?</svg>', html, re.S)]


def test_chain_is_an_inline_svg_with_the_trigger_on_top(html: str) -> None:
    assert "flowchart" not in html and "-->" not in html and "classDef" not in html  # no Mermaid source
    assert "<script" not in html.lower().replace("&lt;script", "")  # the hostile text is escaped, never markup
    assert "http://" not in html and "https://" not in html  # no external asset
    (svg,) = _chains(html)
    boxes = {}
    for g in svg.iter("g"):
        rect = g.find("rect")
        assert rect is not None
        texts = " ".join(t.text or "" for t in g.findall("text"))
        title = g.find("title")
        boxes[g.get("data-cause")] = (int(rect.get("x", "0")), int(rect.get("y", "0")), g.get("class"), texts, title)
    assert set(boxes) == {"c1", "c2", "c3", "c4", "c5"}
    y = {k: v[1] for k, v in boxes.items()}
    assert y["c1"] == min(y.values())  # the trigger on top
    assert y["c2"] > y["c1"] and y["c3"] > y["c1"] and y["c4"] > y["c3"]  # each cause below what it explains
    assert y["c5"] == y["c1"]  # the effect of the trigger sits beside it, not above it
    assert "trigger" in boxes["c1"][2] and "root" in boxes["c2"][2] and "root" in boxes["c4"][2]
    assert boxes["c1"][3].startswith("c1: Model flagged 500 claims an hour")
    assert "integration.capacity-gap" in boxes["c1"][3]
    assert boxes["c3"][4] is not None and boxes["c3"][4].text == HOSTILE  # escaped in the file, intact when read
    assert len(svg.findall("line")) == 4  # one arrow per because link: c1-c2, c1-c3, c3-c4, c5-c1


def test_times_to_the_minute_and_the_quarter_as_people_say_it(html: str) -> None:
    assert "1 July – 30 September 2026" in html
    assert "end exclusive" not in html
    assert not re.search(r"\d\d:\d\d:\d\d", html)  # no seconds, no microseconds, no +00:00
    assert re.search(r"Computed live on \d{4}-\d\d-\d\d \d\d:\d\d UTC", html)


def test_one_screen_summary_opens_the_review(html: str) -> None:
    glance = html.index('id="at-a-glance"')
    assert glance < html.index("<h2>Portfolio summary</h2>")
    section = html[glance : html.index("</section>", glance)]
    assert "Verdicts" in section and "Since 2026Q2" in section and "Decisions due" in section
    assert "1 incidents opened" in section or "1 incident" in section
