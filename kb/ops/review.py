"""Service operations for the quarterly reviews and decisions (issue 6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kb.errors import KBError
from kb.ops.base import Service

if TYPE_CHECKING:
    from sqlite_utils import Database

    from kb.ops.base import Session
    from kb.ops.graph import GraphService
    from kb.parallel import Runner
    from kb.review.build import Gathered, Outside
    from kb.review.model import ChainStep, Decision, FrozenReviewInfo, Review, ReviewDiff
    from kb.store.review import ReviewFacts
    from kb.taxonomy import Taxonomy
    from kb.timeutil import Period


def _quarter(text: str | None) -> Period:
    from kb.timeutil import last_complete_quarter, parse_period

    if text is None or not str(text).strip():
        return last_complete_quarter()
    try:
        period = parse_period(str(text))
    except ValueError as exc:
        raise KBError(str(exc), "QUARTER") from None
    if period.kind != "quarter":
        raise KBError(f"{text!r} is a {period.kind}, not a quarter (use a quarter like 2026Q3)", "QUARTER")
    return period


def _due(value: date | str | None, where: str = "--due") -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    from kb.timeutil import parse_date

    try:
        return parse_date(value)
    except ValueError as exc:
        raise KBError(str(exc), where) from None


def read_facts(db: Database, period: Period) -> ReviewFacts:
    """Everything a review reads from the store itself, in one state of it (kb.store.review)."""
    from kb.review import compute
    from kb.store.review import review_facts

    before = period.previous()
    start, end = compute.window(period)
    return review_facts(
        db,
        start,
        end,
        (before.label, *compute.window(before)),
        period.label,
        cutoff=compute.postmortem_cutoff(period),
        missing_limit=compute.MISSING_IDS_LISTED,
        worst_limit=compute.WORST_INCIDENTS,
    )


def chain_steps(ch: Any) -> list[ChainStep]:
    """An incident's causal tree (kb.graph) as flat steps for the review's drawing, in tree order."""
    from kb.review.model import ChainStep

    steps: dict[str, ChainStep] = {}
    # depth first, each node before its children, from a stack (a recursive closure is a reference
    # cycle, which only the cyclic collector frees)
    todo = list(reversed(ch.tree))
    while todo:
        node = todo.pop()
        if node.cause_id in steps or node.repeat:
            continue
        steps[node.cause_id] = ChainStep(
            id=node.cause_id,
            statement=node.statement,
            mode=node.mode,
            trigger=node.trigger,
            root=node.root,
            because=[c.cause_id for c in node.children],
        )
        todo.extend(reversed(node.children))
    return list(steps.values())


class ReviewService(Service):
    """The quarterly reviews and their decisions; a review reads the causal-graph sections from the
    graph service passed in and judges the silent-failure verdicts itself (kb.ops.silent_scan).

    `runner` decides how the review's independent parts run (kb.parallel: serially, or in child
    processes).
    """

    def __init__(self, session: Session, graph: GraphService, runner: Runner | None = None) -> None:
        super().__init__(session)
        self.graph = graph
        self.runner = runner

    # --- reading -------------------------------------------------------------------------------

    def review(self, quarter: str | None = None, live: bool = False, parallel: bool | None = None) -> Review:
        """The review of a quarter (default: the last complete one); a frozen review unless `live`.

        `parallel` chooses the runner: True, parts in child processes; False, serially; None, this
        service's runner (default: kb.parallel.default_runner). Never in child processes inside a
        transaction or on an in-memory database, which another connection cannot see. The review
        is the same either way.
        """
        from kb.perf import gc_paused
        from kb.review.model import Review
        from kb.store.review import frozen_body

        period = _quarter(quarter)
        body = frozen_body(self.db, period.label)
        if body is not None and not live:
            return Review.model_validate(body)
        tax = self._review_taxonomy()
        # hundreds of thousands of small acyclic objects (verdicts, graph, rows): without the cyclic
        # collector rescanning them at every allocation burst, the review takes a third less time
        with gc_paused():
            review = self._assemble(period, tax, self._runner(parallel))
            _settle()
        if tax is None:
            review.unavailable["recommendations"] = "the taxonomy does not load, so no mitigations can be named"
        if body is not None:
            review.frozen_version_at = datetime.fromisoformat(body["frozen_at"])
        return review

    def _runner(self, parallel: bool | None) -> Runner:
        from kb.parallel import SERIAL, ProcessRunner, default_runner

        if not self.session.on_disk or self.db.conn.in_transaction:
            return SERIAL
        if parallel is None:
            return self.runner if self.runner is not None else default_runner()
        return ProcessRunner() if parallel else SERIAL

    def frozen_reviews(self) -> list[FrozenReviewInfo]:
        from kb.review.model import FrozenReviewInfo
        from kb.store.review import frozen_review_rows

        return [FrozenReviewInfo(**r) for r in frozen_review_rows(self.db)]

    def review_diff(self, q1: str, q2: str) -> ReviewDiff:
        """Compare two reviews, each frozen if it was frozen, else computed live."""
        from kb.review.diff import diff_reviews

        return diff_reviews(self.review(q1), self.review(q2))

    # --- writing -------------------------------------------------------------------------------

    def decide(
        self,
        quarter: str,
        slug: str,
        decision: str,
        owner: str,
        due: date | str | None = None,
        note: str = "",
    ) -> Decision:
        """Record the review group's decision for a project; the next quarter's review follows it up.

        Without a due date the decision is due at the end of the next quarter (the next review).
        """
        from kb.review.compute import decisions_for
        from kb.review.model import DECISIONS
        from kb.store import changelog, repo
        from kb.store.review import decision_rows, frozen_body, insert_decision
        from kb.timeutil import stamp

        period = _quarter(quarter)
        if decision not in DECISIONS:
            raise KBError(f"{decision!r} is not a decision (use {', '.join(DECISIONS)})", "--decision")
        if not owner or not owner.strip():
            raise KBError("a decision needs an owner: the person who carries it out", "--owner")
        due_date = _due(due) or period.next().last_day
        if due_date < period.start:
            raise KBError(f"due date {due_date.isoformat()} is before the quarter {period.label} starts", "--due")
        with self.transaction():
            repo.require_project(self.db, slug)
            if frozen_body(self.db, period.label) is not None:
                raise KBError(f"the review of {period.label} is frozen; its decisions can no longer change", "QUARTER")
            insert_decision(
                self.db, [period.label, slug, decision, owner.strip(), due_date.isoformat(), note, stamp(), self.actor]
            )
            made = next(d for d in decisions_for(decision_rows(self.db, period.label)) if d.project == slug)
            changelog.record(
                self.db, self.actor, "decision", str(made.id), "create", made.model_dump(mode="json"), None
            )
        return made

    def freeze_review(self, quarter: str) -> Review:
        """Store the review as it stands now, with its decisions; later edits never change it."""
        from kb.store.review import frozen_body, insert_frozen_review
        from kb.timeutil import now_utc, stamp

        period = _quarter(quarter)
        if period.end > now_utc().date():
            raise KBError(
                f"{period.label} has not ended yet (it ends {(period.end - timedelta(days=1)).isoformat()}); "
                "freeze it after its end",
                "QUARTER",
            )
        with self.transaction():
            body = frozen_body(self.db, period.label)
            if body is not None:
                raise KBError(
                    f"{period.label} was already frozen at {body['frozen_at']}; a frozen review never changes"
                )
            review = self.review(period.label, live=True)
            review.frozen, review.frozen_at, review.frozen_by = True, now_utc(), self.actor
            review.frozen_version_at = None
            insert_frozen_review(self.db, period.label, stamp(review.frozen_at), self.actor, review.model_dump_json())
        return review

    # --- the parts of a review ----------------------------------------------------------------

    def _review_taxonomy(self) -> Taxonomy | None:
        try:
            return self.taxonomy
        except KBError:
            return None

    def _assemble(self, period: Period, tax: Taxonomy | None, runner: Runner) -> Review:
        """The review from its two independent parts, run as `runner` decides.

        One part, on the session the runner gives it (a child process's own connection when it
        forks), reads the silent-failure snapshot of both quarter ends and judges them, the earlier
        one through the runner again, and keeps of each verdict what the scorecard shows (`_verdicts`).
        The other, here, reads the store's numbers and computes the graph sections and the worst
        incidents' chains. The silent part is the larger one, so this process is left with the
        smaller one and no snapshot to free.
        """
        from kb.review.build import assemble
        from kb.store.review import frozen_body

        body = frozen_body(self.db, period.previous().label)
        previous = None if body is None else {c["slug"]: c.get("verdict") for c in body["scorecard"]}
        scan_before = previous is None
        part = runner.start_on(self.session, lambda session: _verdicts(session, period, scan_before, runner))
        try:
            gathered, out = self._store_and_graph(period, tax)
        except BaseException:
            part.cancel()
            raise
        out.verdicts, words = part.result()
        if previous is None:
            # only the projects the previous quarter's review held (kb.review.compute.portfolio)
            held = gathered.previous_projects
            previous = {slug: word for slug, word in words.items() if slug in held}
        out.previous_verdicts = previous
        return assemble(period, tax, gathered, out)

    def _store_and_graph(self, period: Period, tax: Taxonomy | None) -> tuple[Gathered, Outside]:
        """The store's numbers, the graph sections and the worst incidents' chains (drawn as text)."""
        from kb.graph.export import chain_mermaid
        from kb.review.build import Outside, gather

        side = Outside()
        _graph_parts(self.graph, period, side)
        gathered = gather(read_facts(self.db, period), period, tax)
        for worst in gathered.worst:
            found = self.graph.chain(worst.id)
            worst.mermaid = chain_mermaid(found)
            worst.chain = chain_steps(found)
        return gathered, side


def _settle() -> None:
    """Hand every object the cyclic collector tracks to its oldest generation, where nothing is frozen.

    A review of 2,000 projects is some 100,000 container objects (scorecards, their trends and
    signals), made while the collector was paused (kb.perf.gc_paused) and kept by the caller. Left
    young, the collector walks them all at its next collection of each generation as the caller
    renders the review: about 0.3 s on this machine. `freeze` then `unfreeze` moves them to the
    oldest generation at no cost (CPython merges the generations' lists); they are walked at the
    next full collection, which moving them does not bring forward. A cycle of garbage among them
    waits for that collection. Skipped where something is frozen (kb_tui.frozen), which `unfreeze`
    would release, and where another thread runs, which could freeze in between.
    """
    import gc
    import threading

    if gc.get_freeze_count() == 0 and threading.active_count() == 1:
        gc.freeze()
        gc.unfreeze()


def _verdicts(
    session: Session, period: Period, scan_before: bool, runner: Runner
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each project's silent-failure verdict at the quarter's end as its scorecard keeps it
    (kb.review.build.verdict_fields: a whole verdict carries every overdue action, too much to send
    back from a child), and with `scan_before` each project's verdict word at the previous quarter's
    end, judged as `runner` decides on the snapshot already read (kb.ops.silent_scan.scan_pair)."""
    from kb.ops.silent_scan import scan_dates, scan_pair
    from kb.parallel import leave_to_exit
    from kb.review.build import verdict_fields

    conn = session.db.conn
    # brief snapshots: the scorecard keeps each signal's evidence, not its data (every overdue action)
    if scan_before:
        current, words = scan_pair(conn, period.last_day, period.previous().last_day, runner, brief=True)
    else:
        current, words = scan_dates(conn, [period.last_day], brief=True)[0], {}
    fields = {v.project: verdict_fields(v, period) for v in current}
    leave_to_exit(current)  # in the child process, never freed (kb.parallel)
    return fields, words


def _graph_parts(graph: GraphService, period: Period, out: Outside) -> None:
    """The quarter's root causes, keystones and recurring chains (the quarter's rows are read once for all three)."""
    from kb.review.model import ChainRow, KeystoneRow, RootCauseRow

    found = graph.graph_patterns(quarter=period.label)
    report = found.root_causes
    out.root_causes = [
        RootCauseRow(
            code=i.code,
            name=i.name,
            incidents=i.incidents,
            weight=i.weight,
            share=i.share,
            of_incidents=report.total_incidents,
        )
        for i in report.items
    ]
    out.keystones = [
        KeystoneRow(
            code=k.code, name=k.name, score=k.score, incidents=k.incidents, cuts=[c.incident_id for c in k.cuts]
        )
        for k in found.keystones
    ]
    out.recurring_chains = [
        ChainRow(modes=list(c.modes), count=c.count, incident_ids=list(c.incident_ids)) for c in found.recurring_chains
    ]
