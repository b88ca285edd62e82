"""The silent-failure detector: signals with evidence, a weighted score, a verdict per project.

Pure functions over a `Snapshot` of the store (kb.ops.silent builds it with a handful of
queries). Only what was known at `as_of` is in the snapshot: flag events up to the end of that
day, health periods that had ended by then, incidents detected (or started) by then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from kb.health_rates import adoption, override_rate
from kb.rules import LIVE_STAGES, verdict_rank
from kb.silent import exposure
from kb.silent.trends import Direction, Trend, screen_s, sized_slopes, trend
from kb.timeutil import instant

if TYPE_CHECKING:
    from kb.silent.config import SilentConfig

VerdictWord = Literal["healthy", "watch", "silent-failure"]


def json_value(value: Any) -> Any:
    """A signal's data as JSON holds it: tuples as lists, and a number that is not finite (a relative
    slope over a median of 0) as null, which is what pydantic's JSON mode wrote before these were
    dataclasses (so `kb silent --json` reads the same)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


@dataclass(slots=True)
class Signal:
    code: str
    weight: float
    evidence: str
    data: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {"code": self.code, "weight": self.weight, "evidence": self.evidence, "data": json_value(self.data)}


@dataclass(slots=True)
class Verdict:
    """A project's verdict. Plain data made by `judge` (pydantic would only re-check what it built)."""

    project: str
    verdict: VerdictWord
    score: float
    signals: list[Signal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # checks that could not be made, and why

    def document(self) -> dict[str, Any]:
        """The JSON form `kb silent --json` prints (the signals last)."""
        return {
            "project": self.project,
            "verdict": self.verdict,
            "score": self.score,
            "notes": list(self.notes),
            "signals": [s.document() for s in self.signals],
        }


@dataclass(slots=True)
class ProjectFacts:
    slug: str
    owner: str = ""
    stage: str = "pilot"
    monitoring: str = "none"
    baseline: str = ""
    outcome_lag_days: int | None = None
    launched_on: date | None = None


@dataclass(slots=True)
class FlagFact:
    flag_key: str
    environment: str
    action: str
    state_to: str | None
    at: datetime
    actor: str = ""
    comment: str = ""
    id: int = 0
    scope: str = ""  # an override for one identity, segment or rule: never the environment's state
    serving_to: dict[str, float] | None = None  # variation value (JSON text) -> share served after the change
    detail: str = ""  # how the change moved what is served, in words

    @property
    def may_shut_down(self) -> bool:
        """Could this change leave the model served to nobody (checked exactly by the detector)?"""
        return not self.scope and (self.state_to == "off" or self.serving_to is not None)


@dataclass(slots=True)
class Retirement:
    """A review decision to retire or pause the project: a shutdown near it was meant."""

    decision: str
    quarter: str
    at: datetime


def utc_day(text: str) -> str:
    """The UTC day ('YYYY-MM-DD') of a stored date or stamp, read off the text when it is a date or ends in Z.

    Comparing these day strings against the day of a midnight bound is exact: an instant x lies in
    [midnight a, midnight b) exactly when its UTC day lies in [a, b), and ISO days sort as text.
    """
    if len(text) == 10 or text[-1] == "Z":
        return text[:10]
    v = instant(text)
    assert v is not None
    return v.astimezone(UTC).date().isoformat()


_UNKNOWN: Any = object()


class IncidentFact:
    """An incident's times as stored text; converted to datetimes only when a signal needs the instant.

    Most signals only ask which day an incident falls on against a day boundary (`utc_day`), so a
    scan of 100,000 incidents converts the few it looks at closely instead of every timestamp.
    One fact serves the scans of several dates (KB.silent_scan_many), so time to detect is kept.
    """

    __slots__ = ("_ttd", "detected_by", "detected_text", "flag_at_text", "id", "ref_day", "started_text")

    def __init__(
        self,
        id: str,
        started_text: str | None,
        detected_text: str | None,
        detected_by: str,
        flag_at_text: str | None = None,
    ) -> None:
        self.id = id
        self.started_text = started_text
        self.detected_text = detected_text
        self.detected_by = detected_by
        self.flag_at_text = flag_at_text
        ref = started_text or detected_text
        self.ref_day = utc_day(ref) if ref else None  # the day it is placed on: started, else detected
        self._ttd: int | None = _UNKNOWN

    @property
    def started(self) -> datetime | None:
        return instant(self.started_text)

    @property
    def detected(self) -> datetime | None:
        return instant(self.detected_text)

    @property
    def flag_at(self) -> datetime | None:
        return instant(self.flag_at_text)

    @property
    def ttd_days(self) -> int | None:
        """Whole days from start to detection (None unless both are known)."""
        if self._ttd is _UNKNOWN:
            s, d = self.started_text, self.detected_text
            if not s or not d:
                self._ttd = None
            elif len(s) == 10 and len(d) == 10:  # two dates (midnights UTC): no instants needed
                self._ttd = (date.fromisoformat(d) - date.fromisoformat(s)).days
            else:
                started, detected = instant(s), instant(d)
                assert started is not None and detected is not None
                self._ttd = (detected - started).days
        return self._ttd

    def times(self) -> list[datetime]:
        return [t for t in (self.flag_at, self.started, self.detected) if t is not None]

    def days(self) -> list[str]:
        """The UTC days of `times()`, from the text."""
        return [utc_day(t) for t in (self.flag_at_text, self.started_text, self.detected_text) if t]


@dataclass(slots=True)
class ActionFact:
    """An open action past due. Its date stays text ('YYYY-MM-DD', which sorts and compares as dates
    do) until the evidence names it, since a scan at 100,000 incidents holds some 60,000 of these."""

    incident_id: str
    title: str
    owner: str
    due_text: str

    @property
    def due(self) -> date:
        return date.fromisoformat(self.due_text)


@dataclass(slots=True)
class ActionDebt:
    """A project's open actions past due at a snapshot's date: how many, the oldest (by due date, then
    as written), and every one of them in that order, or None where the snapshot's reader keeps each
    signal's evidence but not its data (a brief snapshot: the review's scorecard). Counting the
    actions of 2,000 projects costs a fraction of making an object of each."""

    count: int
    oldest: ActionFact
    listed: list[ActionFact] | None = None


@dataclass
class Snapshot:
    as_of: date
    projects: list[ProjectFacts]
    events: dict[str, list[FlagFact]] = field(default_factory=dict)
    health: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    incidents: dict[str, list[IncidentFact]] = field(default_factory=dict)
    actions: dict[str, ActionDebt] = field(default_factory=dict)  # open actions due before as_of
    # projects the store found an incident of within the stale window, known by as_of: the rows it
    # read for that signal alone may leave theirs out (kb.ops.silent_scan._incident_rows)
    recent: frozenset[str] = frozenset()
    retirements: dict[str, list[Retirement]] = field(default_factory=dict)


# (signal code, health column or derived rate, direction, words)
TREND_SIGNALS: tuple[tuple[str, str, Direction, str], ...] = (
    ("usage-decline", "predictions", "down", "predictions"),
    ("adoption-decline", "adoption", "down", "adoption (acted on / predictions)"),
    ("quality-decay", "quality", "down", "quality"),
    ("override-rise", "override_rate", "up", "override rate (overrides / acted on)"),
    ("cost-creep", "cost", "up", "cost"),
)


def _day(d: datetime | date) -> str:
    return d.isoformat()[:10]


def _fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}" if v != int(v) else f"{int(v)}"


@lru_cache(maxsize=64)  # asked twice per project of a scan, always for its one as_of
def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


SERIES_COLUMNS = ("predictions", "adoption", "quality", "override_rate", "cost", "value")


def all_series(rows: list[dict[str, Any]]) -> dict[str, tuple[list[str], list[float]]]:
    """Each metric's (or derived rate's) known values in period order, with their period labels."""
    periods = [r["period"] for r in rows]
    preds = [r["predictions"] for r in rows]
    acted = [r["acted_on"] for r in rows]
    cols: dict[str, list[Any]] = {
        "predictions": preds,
        "adoption": [adoption(a, p) for a, p in zip(acted, preds, strict=True)],
        "quality": [r["quality"] for r in rows],
        "override_rate": [override_rate(r["overrides"], a) for r, a in zip(rows, acted, strict=True)],
        "cost": [r["cost"] for r in rows],
        "value": [r["value"] for r in rows],
    }
    out: dict[str, tuple[list[str], list[float]]] = {}
    for column in SERIES_COLUMNS:
        values = cols[column]
        if None in values:
            keep = [i for i, v in enumerate(values) if v is not None]
            out[column] = ([periods[i] for i in keep], [float(values[i]) for i in keep])
        else:
            out[column] = (periods, [float(v) for v in values])
    return out


def scan(snap: Snapshot, cfg: SilentConfig) -> list[Verdict]:
    """Every project's verdict, worst first (score, then verdict, then slug)."""
    rule = cfg.rule
    # one vectorised screen per trend signal across the whole portfolio, then scipy on the survivors
    prepared: dict[str, list[tuple[list[str], list[float]]]] = {}
    passes: dict[str, list[int | None]] = {}
    slopes: dict[str, dict[int, float]] = {}
    per_project = [all_series(snap.health.get(p.slug, [])) for p in snap.projects]
    for code, column, direction, _ in (*TREND_SIGNALS, ("value-rise", "value", "up", "")):
        prepared[code] = [s[column] for s in per_project]
        passes[code] = screen_s([vals for _, vals in prepared[code]], direction, rule)
        survivors = [i for i, s in enumerate(passes[code]) if s is not None]
        sized = sized_slopes([prepared[code][i][1] for i in survivors], direction, rule)
        slopes[code] = {}
        for i, slope in zip(survivors, sized, strict=True):
            if slope is None:
                passes[code][i] = None
            else:
                slopes[code][i] = slope
    out = []
    for i, p in enumerate(snap.projects):
        trends: dict[str, Trend | None] = {}
        for code, _column, direction, _ in (*TREND_SIGNALS, ("value-rise", "value", "up", "")):
            labels, values = prepared[code][i]
            s = passes[code][i]
            if code == "value-rise":  # value matters only when cost rose
                cost = trends.get("cost-creep")
                if cost is not None and cost.fired:
                    trends[code] = (
                        trend(labels, values, direction, rule, s, slopes[code][i])
                        if s is not None
                        else Trend(
                            direction, len(values), False, len(values) >= rule.min_periods, list(labels), list(values)
                        )
                    )
            elif s is not None:
                trends[code] = trend(labels, values, direction, rule, s, slopes[code][i])
            elif 0 < len(values) < rule.min_periods:
                trends[code] = trend(labels, values, direction, rule)  # says: too little history
            else:
                trends[code] = None  # screened out: no significant trend, or no data
        out.append(judge(p, snap, cfg, trends))
    out.sort(key=lambda v: (-v.score, verdict_rank(v.verdict), v.project))
    return out


def judge(p: ProjectFacts, snap: Snapshot, cfg: SilentConfig, trends: dict[str, Trend | None]) -> Verdict:
    signals: list[Signal] = []
    notes: list[str] = []
    w = cfg.weights

    def fire(code: str, evidence: str, **data: Any) -> None:
        if w.get(code, 0) > 0:
            signals.append(Signal(code, float(w[code]), evidence, data))

    events = snap.events.get(p.slug, [])
    health = snap.health.get(p.slug, [])
    incidents = snap.incidents.get(p.slug, [])
    _flag_signals(p, snap.as_of, events, health, incidents, cfg, fire, snap.retirements.get(p.slug))
    _record_signals(p, snap.as_of, health, incidents, snap.actions.get(p.slug), cfg, fire, p.slug in snap.recent)
    _trend_signals(trends, fire, notes)
    _capacity(health, cfg, fire)
    score = round(sum(s.weight for s in signals), 6)
    word: VerdictWord = (
        "silent-failure"
        if score >= cfg.verdict.silent_failure
        else "watch"
        if score >= cfg.verdict.watch
        else "healthy"
    )
    return Verdict(project=p.slug, verdict=word, score=float(score), signals=signals, notes=notes)


def _is_prod(env: str, cfg: SilentConfig) -> bool:
    return env.casefold() in cfg.production


def judged_change(e: FlagFact, cfg: SilentConfig) -> bool:
    """A change the flag signals read: to the whole environment, in production or in none (an archive or
    a delete). A change to staging, or for one identity or segment, never shuts the model down."""
    return not e.scope and (_is_prod(e.environment, cfg) or not e.environment)


def _clip(text: str, n: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


def _flag_signals(
    p: ProjectFacts,
    as_of: date,
    events: list[FlagFact],
    health: list[dict[str, Any]],
    incidents: list[IncidentFact],
    cfg: SilentConfig,
    fire: Any,
    retirements: list[Retirement] | None = None,
) -> None:
    f = cfg.flags
    end = _end_of(as_of)
    window = timedelta(days=f.incident_window_days)
    retired = retirements or []
    # production (or environment-less archive/delete) changes to the whole environment, in time order
    changes = [e for e in events if judged_change(e, cfg)]
    changes.sort(key=lambda e: (e.at, e.id))
    quiet: list[dict[str, Any]] = []
    served = exposure.walk(changes, p.slug, cfg)
    state: dict[str, tuple[str, datetime]] = {}  # flag -> (on | off, since when)
    for n, (e, now) in enumerate(zip(changes, served, strict=True)):
        word = "on" if now.served else "off"
        if now.known and state.get(e.flag_key, ("",))[0] != word:
            state[e.flag_key] = (word, e.at)
        if not now.shut_down:
            continue
        later = zip(changes[n + 1 :], served[n + 1 :], strict=True)
        back_on = next((x for x, s in later if x.flag_key == e.flag_key and s.served), None)
        until = back_on.at if back_on else end
        off_days = (until - e.at).days
        if off_days < f.quiet_min_off_days:
            continue
        if any(any(abs(t - e.at) <= window for t in i.times()) for i in incidents):
            continue  # a postmortem (or at least an incident) of the project near it
        if any(r.at <= e.at + window for r in retired):
            continue  # the project was being retired or paused on purpose
        quiet.append(
            {
                "flag": e.flag_key,
                "environment": e.environment or "all environments",
                "action": e.action,
                "how": now.how,
                "toggle_stayed_on": now.stayed_on,
                "at": _day(e.at),
                "actor": e.actor,
                "comment": e.comment,
                "off_days": off_days,
                "back_on": _day(back_on.at) if back_on else None,
                "event_id": e.id,
            }
        )
    if quiet:
        q = quiet[-1]
        who = f"by {q['actor']}" if q["actor"] else "by an unknown actor"
        span = (
            f"off for {q['off_days']} days until re-enabled on {q['back_on']}"
            if q["back_on"]
            else f"off for {q['off_days']} days"
        )
        more = f" (and {len(quiet) - 1} earlier)" if len(quiet) > 1 else ""
        said = (
            f'; comment in the flag tool: "{_clip(q["comment"])}" (not a postmortem);'
            if q["comment"]
            else " with no comment;"
        )
        what = (
            f"flag {q['flag']} in {q['environment']}: {q['how']} {who} on {q['at']}; the flag itself stayed on"
            if q["toggle_stayed_on"]
            else f"flag {q['flag']} {q['how']} in {q['environment']} on {q['at']} {who}"
        )
        fire(
            "quiet-shutdown",
            f"{what}{said} no incident within {f.incident_window_days} days; {span}{more}",
            shutdowns=quiet,
        )
    if p.stage not in LIVE_STAGES:
        return
    if state:
        off = {k: at for k, (s, at) in state.items() if s == "off"}
        if len(off) == len(state):
            since = max(off.values())
            days = (end - since).days
            if days >= f.abandoned_days:
                flags = ", ".join(sorted(off))
                fire(
                    "abandoned",
                    f"flag {flags} off since {_day(since)} ({days} days) while the stage says {p.stage}",
                    flags=sorted(off),
                    off_since=_day(since),
                    off_days=days,
                    stage=p.stage,
                )
        return
    # no flag log: fall back on the health sheet's flag_on column (trailing run of "false")
    run = []
    for r in reversed(health):
        if r["flag_on"] is None:
            continue
        if r["flag_on"]:
            break
        run.append(r)
    if run:
        start = date.fromisoformat(run[-1]["period_start"])
        days = (end.date() - start).days
        if days >= f.abandoned_days:
            labels = [r["period"] for r in reversed(run)]
            fire(
                "abandoned",
                f"flag_on false in {', '.join(labels)} (off since at least {start}, {days} days) while the "
                f"stage says {p.stage}",
                periods=labels,
                off_since=start.isoformat(),
                off_days=days,
                stage=p.stage,
            )


def _record_signals(
    p: ProjectFacts,
    as_of: date,
    health: list[dict[str, Any]],
    incidents: list[IncidentFact],
    debt: ActionDebt | None,
    cfg: SilentConfig,
    fire: Any,
    recent: bool = False,
) -> None:
    t = cfg.thresholds
    end = _end_of(as_of)
    if not p.owner.strip():
        fire("ownerless", "no owner recorded", owner="")
    elif health and health[-1]["owner_confirmed"] is not True:
        last = health[-1]
        how = "false" if last["owner_confirmed"] is False else "blank"
        fire(
            "ownerless",
            f"owner {p.owner} not confirmed in the latest period {last['period']} (owner_confirmed {how})",
            owner=p.owner,
            period=last["period"],
            owner_confirmed=last["owner_confirmed"],
        )
    if p.stage == "production" and p.monitoring in ("none", "training-metrics"):
        fire(
            "unmonitored",
            f"in production with monitoring '{p.monitoring}' (nothing watches its live inputs or outcomes)",
            monitoring=p.monitoring,
        )
    if not p.baseline.strip():
        fire("no-baseline", "no baseline recorded: nobody wrote down what happens without the model")
    lag = p.outcome_lag_days
    if lag is not None and lag >= t.feedback_lag_days and p.monitoring != "outcomes":
        fire(
            "feedback-blind",
            f"outcomes arrive {lag} days later and monitoring is '{p.monitoring}', not outcomes",
            outcome_lag_days=lag,
            monitoring=p.monitoring,
        )
    since = end - timedelta(days=t.stale_days)
    since_day, end_day = since.date().isoformat(), end.date().isoformat()  # both bounds are midnights
    recent_health = any(r["period_end"] > since_day for r in health)
    young = p.launched_on is not None and p.launched_on > since.date()
    if (
        not recent_health
        and not young
        and not recent
        and not any(since_day <= d < end_day for i in incidents for d in i.days())  # an incident in the window
    ):
        last_period = health[-1]["period"] if health else None
        fire(
            "stale-record",
            f"no health period and no incident since {_day(since)} ({t.stale_days} days); "
            + (f"last health period {last_period}" if last_period else "no health data at all"),
            since=_day(since),
            last_period=last_period,
        )
    window_day = (end - timedelta(days=t.undetected_window_days)).date().isoformat()  # a midnight, like end
    late = []
    for i in incidents:
        day = i.ref_day
        if day is None or not (window_day <= day < end_day):
            continue
        ttd = i.ttd_days
        if i.detected_by in ("nobody", "review") or (ttd is not None and ttd > t.undetected_ttd_days):
            late.append({"incident": i.id, "started": day, "detected_by": i.detected_by, "ttd_days": ttd})
    if late:
        parts = [
            f"{x['incident']} (started {x['started']}) detected by {x['detected_by']}"
            + (f" after {x['ttd_days']} days" if x["ttd_days"] is not None else "")
            for x in late
        ]
        fire("undetected", "; ".join(parts), incidents=late)
    if debt is not None and debt.count:
        n, oldest = debt.count, debt.oldest
        data: dict[str, Any] = {"count": n}
        if debt.listed is not None:
            data = {"actions": [{"incident": a.incident_id, "title": a.title, "due": a.due_text} for a in debt.listed]}
        fire(
            "action-debt",
            f"{n} postmortem action{'s' if n > 1 else ''} past due and open; oldest "
            f"'{oldest.title}' ({oldest.incident_id}, owner {oldest.owner or 'nobody'}) due {oldest.due}",
            **data,
        )


def _trend_words(t: Trend, words: str) -> str:
    first, last = t.values[0], t.values[-1]
    return (
        f"{words} {'fell' if t.direction == 'down' else 'rose'} from {_fmt(first)} in {t.periods[0]} to "
        f"{_fmt(last)} in {t.periods[-1]} over {t.n} periods (Mann-Kendall tau {t.tau:+.2f}, one-sided "
        f"p = {t.p_value:.2g} < {t.alpha:.2f}; Theil-Sen slope {t.slope:+.4g} per period, "
        f"{t.relative_slope:.0%} of the median {_fmt(t.median or 0)})"
    )


# what a trend signal's data holds: the test's numbers, not its outcome
_TREND_DATA = tuple(f.name for f in fields(Trend) if f.name not in ("fired", "enough_history", "reason"))


def _trend_data(t: Trend) -> dict[str, Any]:
    out = {}
    for name in _TREND_DATA:
        value = getattr(t, name)
        out[name] = list(value) if isinstance(value, list) else value
    return out


def _trend_signals(trends: dict[str, Trend | None], fire: Any, notes: list[str]) -> None:
    for code, _column, _direction, words in TREND_SIGNALS:
        t = trends.get(code)
        if t is None:
            continue
        if t.n > 0 and not t.enough_history:
            notes.append(f"{code}: {t.reason} ({', '.join(t.periods)})")
            continue
        if not t.fired:
            continue
        if code == "cost-creep":
            v = trends.get("value-rise")
            if v is not None and v.fired:
                continue
            tail = (
                f"; value did not rise ({v.n} periods known)"
                if v is not None and v.n
                else "; value is not recorded, so nothing shows the extra cost pays for itself"
            )
            fire(code, _trend_words(t, words) + tail, **_trend_data(t), value_periods=v.n if v is not None else 0)
        else:
            fire(code, _trend_words(t, words), **_trend_data(t))


def _capacity(health: list[dict[str, Any]], cfg: SilentConfig, fire: Any) -> None:
    t = cfg.thresholds
    tail = health[-t.capacity_periods :]
    if len(tail) < t.capacity_periods:
        return
    rates = [adoption(r["acted_on"], r["predictions"]) for r in tail]
    if any(x is None or x >= t.capacity_ratio for x in rates):
        return
    parts = [
        f"{x:.0%} of {_fmt(r['predictions'])} predictions in {r['period']}" for x, r in zip(rates, tail, strict=True)
    ]
    fire(
        "capacity-gap",
        f"acted on {' and '.join(parts)} (below {t.capacity_ratio:.0%}): outputs far exceed what anyone can act on",
        periods=[r["period"] for r in tail],
        adoption=rates,
    )
