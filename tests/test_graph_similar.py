"""Similar incidents that explain themselves (issue 17), on a fixture whose neighbours are worked out by hand.

Shipped taxonomy's causal roles: drift.distribution-shift (DS), security.hostile-input trigger;
model.no-transfer (NT), ops.no-monitoring (NM), ops.harmful-feedback-loop (FL), org.prestige-project
condition; harm.unsafe-output (UN), econ.development-overrun (OV) outcome. "->" is `because`, * the trigger.

  SIM-0001  sepsis (vendor Epic, production, tag healthcare): primary NT; contributing UN, NM.
         *t DS -> n NT -> m NM;  u UN -> t
  SIM-0002  chatbot (no vendor, retired, tag social): primary hostile-input; contributing UN, NM.
         *t hostile -> m NM -> f FL;  u UN -> t
  SIM-0003  oncology (vendor IBM, retired, tag healthcare): primary NT; contributing OV.
         *t DS -> n NT;  o OV -> p prestige
  SIM-0004  credit (no vendor, production, tag finance): primary DS; contributing NM.  *t DS -> m NM

Profiles (kb.graph.similar): A primary {NT}, other {UN, NM, DS}, roots {NM} (n has m below it),
pairs {DS->NT, DS->NM}; C roots {NT, prestige}, pairs {DS->NT}; D roots {NM}, pairs {DS->NM};
B roots {FL}, pairs {hostile->NM, hostile->FL}.
A's own weight: primary 4 + three others 3 x 0.5 + root 2 + two pairs 2 x 2 + vendor 1 + stage 0.25
+ tag 0.5 = 13.25.
  A~C: primary NT 4 + contributing DS 0.5 + pair DS->NT 2 + tag healthcare 0.5 = 7.0   -> 7/13.25
  A~D: DS primary in D, a cause's mode in A 1.5 + contributing NM 0.5 + root NM 2 + pair DS->NM 2
       + stage production 0.25 = 6.25                                                 -> 6.25/13.25
  A~B: contributing UN 0.5 + NM 0.5 = 1.0 -> 0.075, below the floor (0.2): left out.
The old weighted Jaccard over mode counts ranked B first for A (0.4, against D 0.375 and C 0.3):
the Epic/Tay kind of match, through two contributing modes only.
B's own weight: 4 + 1.5 + root 2 + two pairs 4 + stage 0.25 + tag 0.5 = 12.25; B~A 1.0, B~D NM 0.5,
B~C stage retired only (traits alone never match): B has no match above the floor.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.service import KB

NT, NM, DS, UN = "model.no-transfer", "ops.no-monitoring", "drift.distribution-shift", "harm.unsafe-output"

FIXTURE = """
projects:
  - {slug: sepsis, vendor: Epic, stage: production, tags: [healthcare]}
  - {slug: chatbot, stage: retired, tags: [social]}
  - {slug: oncology, vendor: IBM, stage: retired, tags: [healthcare]}
  - {slug: credit, stage: production, tags: [finance]}
incidents:
  - id: SIM-0001
    project: sepsis
    title: alert model missed most cases at a new hospital
    modes:
      - {code: model.no-transfer, role: primary}
      - {code: harm.unsafe-output}
      - {code: ops.no-monitoring}
    causes:
      - {id: t, statement: a new patient population, mode: drift.distribution-shift, trigger: true, because: [n]}
      - {id: n, statement: never validated at another site, mode: model.no-transfer, because: [m]}
      - {id: m, statement: nobody watched the alerts, mode: ops.no-monitoring}
      - {id: u, statement: nurses got wrong alerts, mode: harm.unsafe-output, because: [t]}
  - id: SIM-0002
    project: chatbot
    title: chatbot learned abuse from trolls
    modes:
      - {code: security.hostile-input, role: primary}
      - {code: harm.unsafe-output}
      - {code: ops.no-monitoring}
    causes:
      - {id: t, statement: coordinated trolls, mode: security.hostile-input, trigger: true, because: [m]}
      - {id: m, statement: nobody watched the output, mode: ops.no-monitoring, because: [f]}
      - {id: f, statement: it learned from live replies, mode: ops.harmful-feedback-loop}
      - {id: u, statement: offensive posts, mode: harm.unsafe-output, because: [t]}
  - id: SIM-0003
    project: oncology
    title: treatment advice did not carry to real patients
    modes:
      - {code: model.no-transfer, role: primary}
      - {code: econ.development-overrun}
    causes:
      - {id: t, statement: real records at the new site, mode: drift.distribution-shift, trigger: true, because: [n]}
      - {id: n, statement: trained on synthetic cases, mode: model.no-transfer}
      - {id: o, statement: cost several times the plan, mode: econ.development-overrun, because: [p]}
      - {id: p, statement: a flagship project, mode: org.prestige-project}
  - id: SIM-0004
    project: credit
    title: approvals drifted after the rate rise
    modes:
      - {code: drift.distribution-shift, role: primary}
      - {code: ops.no-monitoring}
    causes:
      - {id: t, statement: the rate rise, mode: drift.distribution-shift, trigger: true, because: [m]}
      - {id: m, statement: no drift monitoring, mode: ops.no-monitoring}
"""


@pytest.fixture
def sim(kb: KB, tmp_path: Path) -> KB:
    path = tmp_path / "similar.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    kb.import_paths([str(path)])
    return kb


def test_neighbours_worked_by_hand(sim: KB) -> None:
    found = sim.similar("SIM-0001")
    assert [(s.incident_id, s.score) for s in found] == [
        ("SIM-0003", pytest.approx(7.0 / 13.25, abs=1e-4)),
        ("SIM-0004", pytest.approx(6.25 / 13.25, abs=1e-4)),
    ]
    c, d = found
    assert [(r.kind, r.weight) for r in c.reasons] == [
        ("primary", 4.0),
        ("contributing", 0.5),
        ("pair", 2.0),
        ("tag", 0.5),
    ]
    assert [r.detail for r in c.reasons] == [
        f"primary mode of both: {NT}",
        f"contributing in both: {DS}",
        f"trigger -> condition in both: {DS} -> {NT}",
        "shared project tag: healthcare",
    ]
    assert [(r.kind, r.detail) for r in d.reasons] == [
        ("mode", f"primary in one, contributing in the other: {DS}"),
        ("contributing", f"contributing in both: {NM}"),
        ("root", f"root condition of both: {NM}"),
        ("pair", f"trigger -> condition in both: {DS} -> {NM}"),
        ("stage", "same stage: production"),
    ]


def test_a_contributing_only_overlap_no_longer_ranks_first(sim: KB) -> None:
    ids = [s.incident_id for s in sim.similar("SIM-0001")]
    assert "SIM-0002" not in ids  # the Epic/Tay kind: two contributing modes and nothing else
    assert sim.similar("SIM-0002") == []  # nothing it shares reaches the floor


def test_cli_prints_the_shared_elements(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "similar.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    run.ok("import", str(path))
    out = run.ok("graph", "similar", "SIM-0001").stdout
    flat = " ".join(out.split())
    assert "SIM-0003" in out and "primary mode of both" in flat and "SIM-0002" not in out
    data = json.loads(run.ok("graph", "similar", "SIM-0001", "--json").stdout)
    assert data[0]["incident_id"] == "SIM-0003"
    assert {"kind": "tag", "detail": "shared project tag: healthcare", "weight": 0.5} in data[0]["reasons"]
