"""A review as Markdown (for git, wikis and pull requests) and as one self-contained HTML file.

Markdown: every user string goes through `md_cell`/`md_text`, so a `|` or a newline in a project
name cannot break a table and raw HTML cannot slip in. HTML: Jinja2 with autoescape on, inline CSS
and inline SVG only, so the file opens offline and user text is always text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from kb.humanize import duration, number, percent, plural, when
from kb.review.model import Review, Trend
from kb.review.sparkline import SvgLine, bar_width, blocks, svg_line

TEMPLATES = Path(__file__).parent / "templates"
VERDICT_MARK = {"silent-failure": "**silent-failure**", "watch": "**watch**", "healthy": "healthy", None: "n/a"}
CHANGE_MARK = {"worse": "▼ worse", "better": "▲ better", "same": "= same", "new": "new", "unknown": ""}
_NEWLINES = re.compile(r"\r\n|\r|\n")
CHAINS_SHOWN = 15
IDS_SHOWN = 10


# --- formatting shared by both renderers ----------------------------------------------------------


def days(value: float | None) -> str:
    """A duration in days as people read it: `9 d`, `3 h` (kb.humanize.duration)."""
    return duration(value)


def _ids(ids: list[str]) -> str:
    more = f" and {len(ids) - IDS_SHOWN} more" if len(ids) > IDS_SHOWN else ""
    return ", ".join(ids[:IDS_SHOWN]) + more


def _of(n: int, total: int) -> str:
    """A count with what it is out of, so a share of one incident never reads as a bare "100%"."""
    return f"{n} of {total}" if total else str(n)


def pct(value: float | None) -> str:
    """A share as a rounded percentage: 38%, 4.6% (kb.humanize.percent)."""
    return percent(value)


def num(value: float | None) -> str:
    """A score, weight or count to three significant figures: 3, 0.5, 12.3 (kb.humanize.number)."""
    if not value:  # 0.0 and -0.0 (written "0" and "-0") are one key to a cache
        return number(value)
    return _number(value)


# a review at 2,000 projects repeats a few scores and signal weights thousands of times
_number = lru_cache(maxsize=1024, typed=True)(number)


def minute(value: datetime | None) -> str:
    """An instant to the minute in UTC, marked so (a report is read in other time zones): 2026-11-29 16:29 UTC."""
    return when(value, utc=True)


# how each headline number of a review diff reads (kb.review.diff.headline names them)
def diff_label(metric: str) -> str:
    """The metric's name without its unit, which the value now carries: "time to detect, median"."""
    return metric.removesuffix(" (days)").removesuffix(" (share)")


def diff_value(metric: str, value: float | None) -> str:
    """`9 d` for durations, `38%` for shares and rates, `1,234` for counts."""
    if metric.endswith("(days)"):
        return duration(value)
    if metric.endswith("(share)") or metric.endswith(" rate"):
        return percent(value)
    return number(value)


# --- Markdown ------------------------------------------------------------------------------------


def md_text(value: Any) -> str:
    """User text for a Markdown line: one line, no raw HTML."""
    text = str(value)
    if "\n" in text or "\r" in text:  # (a review has tens of thousands of cells and lines: skip the regex)
        text = _NEWLINES.sub(" ", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def md_cell(value: Any) -> str:
    """User text for a table cell: `|` escaped, newlines as `<br>`, no raw HTML."""
    if type(value) is int:  # a count: nothing to escape
        return str(value)
    text = str(value).replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    if "\n" in text or "\r" in text:
        text = _NEWLINES.sub("<br>", text)
    return text


def md_table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return out


def quiet_line(logged: int, unlogged: int) -> str:
    """The quarter's quiet shutdowns, logged and detected-but-unlogged apart (kb.review.compute)."""
    return f"{logged} logged as incidents, {unlogged} detected with no incident"


def _stage_line(by_stage: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in by_stage.items()) or "none"


def _summary_md(r: Review) -> list[str]:
    s, a = r.summary, r.summary.actions
    det = " · ".join(f"{k} {v} ({pct(s.detection_share[k])})" for k, v in s.detection.items())
    missing = str(s.postmortems_missing)
    if s.postmortems_missing_ids:
        shown = ", ".join(s.postmortems_missing_ids[:10])
        more = f" and {s.postmortems_missing - 10} more" if s.postmortems_missing > 10 else ""
        missing += f": {shown}{more}"
    rows = [
        ["projects", f"{s.projects} ({_stage_line(s.by_stage)})"],
        ["incidents opened / resolved", f"{s.incidents_opened} / {s.incidents_resolved}"],
        [
            "time to detect: median / p90",
            f"{days(s.time_to_detect.median_days)} / {days(s.time_to_detect.p90_days)} "
            f"({plural(s.time_to_detect.count, 'incident')})",
        ],
        [
            "time to resolve: median / p90",
            f"{days(s.time_to_resolve.median_days)} / {days(s.time_to_resolve.p90_days)} "
            f"({plural(s.time_to_resolve.count, 'incident')})",
        ],
        ["detected by", det],
        ["quiet shutdowns", quiet_line(s.quiet_shutdowns, s.quiet_shutdowns_unlogged)],
        ["postmortems missing (none after 14 days)", missing],
        [
            "action items of the quarter",
            f"opened {a.opened}, done {a.done}, won't do {a.wont_do}, open {a.still_open}; "
            f"completion {pct(a.completion_rate)}",
        ],
        ["action items overdue (all incidents)", str(a.overdue)],
    ]
    return md_table(["measure", "value"], rows)


def _trend_md(card: Any) -> str:
    return " ".join(f"{t.metric} {blocks(t.values)}" for t in card.trends)


def _scorecard_md(r: Review) -> list[str]:
    rows = []
    for c in r.scorecard:
        flag = " ⚠ undecided twice" if c.undecided_twice else ""
        decision = c.decision.decision if c.decision else ""
        rows.append(
            [
                c.slug,
                c.stage,
                c.owner or "(none)",
                VERDICT_MARK[c.verdict] + flag,
                num(c.score),
                CHANGE_MARK[c.change],
                c.incidents,
                f"{c.quiet_shutdowns} / {c.quiet_shutdowns_unlogged}",
                f"{c.open_actions} ({c.overdue_actions} overdue)" if c.overdue_actions else c.open_actions,
                _trend_md(c),
                decision,
            ]
        )
    header = ["project", "stage", "owner", "verdict", "score", "change", "incidents"]
    header += ["quiet shutdowns (logged / unlogged)", "open actions", "trends"]
    out = md_table([*header, "decision"], rows)
    risky = [c for c in r.scorecard if c.signals and c.verdict in ("watch", "silent-failure")]
    if risky:
        out += ["", "Signals behind the verdicts:", ""]
        for c in risky:
            out.append(f"- **{md_text(c.slug)}** ({c.verdict}, score {num(c.score)})")
            out += [f"  - `{md_text(s.code)}` ({num(s.weight)}): {md_text(s.evidence)}" for s in c.signals]
    return out


def _patterns_md(r: Review) -> list[str]:
    p = r.patterns
    out = [f"### Taxonomy modes by incidents ({r.quarter} vs {r.previous_quarter})", ""]
    if p.modes:
        out += md_table(
            ["mode", "name", r.quarter, r.previous_quarter, "change"],
            [[m.code, m.name, m.incidents, m.previous, f"{m.delta:+d}"] for m in p.modes],
        )
    else:
        out.append("No classified incidents in either quarter.")
    out += _analysis_md(
        r,
        "Root causes (causal graph)",
        "root causes",
        p.root_causes,
        "No causal chains recorded for the quarter's incidents.",
        lambda items: md_table(
            ["mode", "name", "incidents", "weight", "share"],
            [[x.code, x.name, _of(x.incidents, x.of_incidents), num(x.weight), pct(x.share)] for x in items[:10]],
        ),
    )
    out += _analysis_md(
        r,
        "Keystone causes",
        "keystone causes",
        p.keystones,
        "None this quarter.",
        lambda items: md_table(
            ["mode", "name", "score", "incidents", "chains it cuts"],
            [[k.code, k.name, num(k.score), k.incidents, _ids(k.cuts)] for k in items],
        ),
    )
    none = "No chain of modes recurred this quarter."
    out += _analysis_md(r, "Recurring chains", "recurring chains", p.recurring_chains, none, _chains_md)
    out += ["", "### Causal chains of the worst incidents", ""]
    if not p.worst:
        out.append("No incidents this quarter.")
    for w in p.worst:
        out.append(f"#### {md_text(w.id)}: {md_text(w.title)}")
        out += ["", f"Project {md_text(w.project)}, {md_text(w.kind)}, severity {w.severity}.", ""]
        if w.mermaid:
            out += ["```mermaid", w.mermaid.rstrip("\n").replace("```", "'''"), "```", ""]
        elif "causal chains" in r.unavailable:
            out += [f"_Chain unavailable: {md_text(r.unavailable['causal chains'])}._", ""]
        else:
            out += ["_No causes recorded._", ""]
    return out


# what each ranking counts, in one line (kb.graph.analyses says the same of its own rankings)
ANALYSIS_NOTES = {
    "root causes": "The deepest standing conditions in the quarter's chains (never a trigger or an outcome), "
    "weighted 6 - severity.",
    "keystone causes": "Conditions whose removal would have cut the most chains from their root conditions.",
}


def _analysis_md(
    r: Review, heading: str, key: str, items: list[Any] | None, empty: str, table: Callable[[list[Any]], list[str]]
) -> list[str]:
    """A section filled by another analysis: its table, a line when it found nothing, or why it is missing."""
    out = ["", f"### {heading}", ""]
    if items is None:
        return [*out, f"_Unavailable: {md_text(r.unavailable.get(key, 'not computed'))}._"]
    if not items:
        return [*out, empty]
    note = ANALYSIS_NOTES.get(key)
    return out + ([note, ""] if note else []) + table(items)


def _chains_md(chains: list[Any]) -> list[str]:
    shown = chains[:CHAINS_SHOWN]
    out = md_table(["chain", "incidents", "ids"], [[" → ".join(c.modes), c.count, _ids(c.incident_ids)] for c in shown])
    if len(chains) > len(shown):
        out += ["", f"{plural(len(chains) - len(shown), 'more chain')} in the JSON review."]
    return out


def _decisions_md(r: Review) -> list[str]:
    out = [f"### Follow-up of the {r.previous_quarter} decisions", ""]
    if r.follow_ups:
        out += md_table(
            ["project", "decision", "owner", "due", "status", "evidence", "note"],
            [
                [
                    f.decision.project,
                    f.decision.decision,
                    f.decision.owner,
                    f.decision.due or "",
                    f.status,
                    f.evidence,
                    f.decision.note,
                ]
                for f in r.follow_ups
            ],
        )
    else:
        out.append(f"No decisions were recorded for {r.previous_quarter}.")
    if r.undecided_twice:
        out += [
            "",
            f"> **At risk two reviews in a row with no decision** ({r.previous_quarter} and {r.quarter}): "
            + ", ".join(md_text(s) for s in r.undecided_twice)
            + f". Record one with `kb review decide {r.quarter} SLUG --decision continue|fix|pause|retire "
            "--owner NAME --due DATE`.",
        ]
    out += ["", f"### Decisions for {r.quarter}", ""]
    if r.decisions:
        out += md_table(
            ["project", "decision", "owner", "due", "note", "recorded by"],
            [[d.project, d.decision, d.owner, d.due or "", d.note, f"{d.actor}, {d.at:%Y-%m-%d}"] for d in r.decisions],
        )
    else:
        out.append("None recorded yet.")
    return out


def _recommendations_md(r: Review) -> list[str]:
    if not r.recommendations:
        reason = r.unavailable.get("recommendations", "no classified incidents this quarter")
        return [f"_None: {md_text(reason)}._"]
    out: list[str] = []
    for rec in r.recommendations:
        out += [f"**{md_text(rec.name)}** (`{md_text(rec.code)}`, {plural(rec.incidents, 'incident')})", ""]
        out += [f"- {md_text(m)}" for m in rec.mitigations] or ["- (the taxonomy lists no mitigation)"]
        out.append("")
    return out


def _status_md(r: Review) -> str:
    if r.frozen:
        stored = minute(r.frozen_at) or "?"
        return (
            f"> **Frozen review**, stored {stored} by {md_text(r.frozen_by or '?')}. Later edits to incidents do not "
            f"change it; `kb review {r.quarter} --live` recomputes it from today's data."
        )
    line = f"> Computed live on {minute(r.generated_at)} from the data as it is now."
    if r.frozen_version_at:
        line += f" A frozen version exists (stored {r.frozen_version_at:%Y-%m-%d}); `kb review {r.quarter}` shows it."
    else:
        line += f" Freeze it with `kb review freeze {r.quarter}` once the group has decided."
    return line


def to_markdown(review: Review) -> str:
    r = review
    last = r.end.fromordinal(r.end.toordinal() - 1)
    out = [
        f"# Portfolio health review {r.quarter}",
        "",
        _status_md(r),
        "",
        f"Quarter {r.start.isoformat()} to {last.isoformat()}, compared with {r.previous_quarter}. "
        "Definitions: docs/review.md.",
        "",
        "## Portfolio summary",
        "",
        *_summary_md(r),
        "",
        "## Scorecard",
        "",
        *(_scorecard_md(r) if r.scorecard else ["No projects in the portfolio."]),
        "",
        "## Failure patterns",
        "",
        *_patterns_md(r),
        "",
        "## Decisions",
        "",
        *_decisions_md(r),
        "",
        "## Recommendations",
        "",
        *_recommendations_md(r),
        "",
    ]
    if r.unavailable:
        out += ["## Not available in this review", ""]
        out += [f"- {md_text(k)}: {md_text(v)}" for k, v in sorted(r.unavailable.items())]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- HTML ----------------------------------------------------------------------------------------


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def say_day(d: date, year: bool = True) -> str:
    return f"{d.day} {MONTHS[d.month - 1]}" + (f" {d.year}" if year else "")


def period_dates(start: date, end: date) -> str:
    """A half-open period [start, end) as people say it: 1 July – 30 September 2026."""
    last = end - timedelta(days=1)
    return f"{say_day(start, year=start.year != last.year)} – {say_day(last)}"


def at_a_glance(r: Review) -> dict[str, Any]:
    """The one-screen summary: verdict counts, what changed since the last quarter, decisions due."""
    verdicts: dict[str, int] = {}
    changes: dict[str, int] = {}
    for c in r.scorecard:
        verdicts[c.verdict or "n/a"] = verdicts.get(c.verdict or "n/a", 0) + 1
        if c.change not in ("same", "unknown"):
            changes[c.change] = changes.get(c.change, 0) + 1
    last_day = r.end - timedelta(days=1)
    due = [f for f in r.follow_ups if f.decision.due is not None and f.decision.due <= last_day]
    due.sort(key=lambda f: (f.decision.due, f.decision.project))
    upcoming = sorted((d for d in r.decisions if d.due is not None), key=lambda d: (d.due, d.project))
    order = ["silent-failure", "watch", "healthy", "n/a"]
    return {
        "verdicts": sorted(verdicts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9),
        "changes": sorted(changes.items()),
        "due": due,
        "upcoming": upcoming,
        "not_done": [f for f in due if f.status != "carried-out"],
    }


def trend_line(t: Trend) -> SvgLine:
    """A trend's sparkline, with a tooltip listing every period's value (built once, escaped by Jinja)."""
    line = svg_line(t.values, width=120, height=24)
    line.title = f"{t.metric}: " + ", ".join(f"{p} {num(v)}" for p, v in zip(t.periods, t.values, strict=True))
    return line


@cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from kb.review.chainsvg import BOX_H, BOX_W, layout

    env.filters.update(days=days, pct=pct, num=num, minute=minute, say_day=say_day, plural=plural)
    env.globals.update(
        chain_layout=layout,
        box_w=BOX_W,
        box_h=BOX_H,
        period_dates=period_dates,
        at_a_glance=at_a_glance,
        trend_line=trend_line,
        bar_width=bar_width,
        change_mark=CHANGE_MARK,
        chains_shown=CHAINS_SHOWN,
        ids=_ids,
    )
    return env


def to_html(review: Review) -> str:
    """One self-contained page: inline CSS, inline SVG, no script, no network."""
    max_mode = max([m.incidents for m in review.patterns.modes] + [m.previous for m in review.patterns.modes] + [1])
    return str(_environment().get_template("review.html.j2").render(r=review, max_mode=max_mode))
