"""Service operations for the quarterly reviews and decisions (issue 6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kb.errors import KBError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlite_utils import Database

    from kb.review.build import Outside
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

    def visit(node: Any) -> None:
        if node.cause_id in steps or node.repeat:
            return
        steps[node.cause_id] = ChainStep(
            id=node.cause_id,
            statement=node.statement,
            mode=node.mode,
            trigger=node.trigger,
            root=node.root,
            because=[c.cause_id for c in node.children],
        )
        for child in node.children:
            visit(child)

    for top in ch.tree:
        visit(top)
    return list(steps.values())


class ReviewOps:
    """Mixed into kb.service.KB; methods here are what the CLI and the TUI call."""

    if TYPE_CHECKING:
        db: Database
        actor: str

        def transaction(self) -> AbstractContextManager[Database]: ...

        @property
        def taxonomy(self) -> Taxonomy: ...

    # --- reading -------------------------------------------------------------------------------

    def review(self, quarter: str | None = None, live: bool = False, parallel: bool | None = None) -> Review:
        """The review of a quarter (default: the last complete one); a frozen review unless `live`.

        `parallel` (default: wherever kb.parallel.can_fork says it is safe) reads the store's numbers
        and the previous quarter's verdicts in a forked child while this process scans the quarter and
        computes the causal-graph sections; the review is the same either way.
        """
        from kb.parallel import can_fork
        from kb.perf import gc_paused
        from kb.review.build import assemble, gather
        from kb.review.model import Review
        from kb.store.review import frozen_body

        period = _quarter(quarter)
        body = frozen_body(self.db, period.label)
        if body is not None and not live:
            return Review.model_validate(body)
        tax = self._review_taxonomy()
        fork = (can_fork() if parallel is None else parallel) and self.on_disk and not self.db.conn.in_transaction
        # hundreds of thousands of small acyclic objects (verdicts, graph, rows): without the cyclic
        # collector rescanning them at every allocation burst, the review takes a third less time
        with gc_paused():
            if fork:
                review = self._review_forked(period, tax)
            else:
                review = assemble(period, tax, gather(read_facts(self.db, period), period, tax), self._outside(period))
        if tax is None:
            review.unavailable["recommendations"] = "the taxonomy does not load, so no mitigations can be named"
        if body is not None:
            review.frozen_version_at = datetime.fromisoformat(body["frozen_at"])
        return review

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

    # --- the other analyses' parts ---------------------------------------------------------------

    def _review_taxonomy(self) -> Taxonomy | None:
        try:
            return self.taxonomy
        except KBError:
            return None

    def _outside(self, period: Period) -> Outside:
        """What the other analyses contribute to a review: verdicts, graph sections, chain drawings."""
        from kb.review.build import Outside

        out = Outside()
        self._verdict_parts(period, out)
        self._graph_parts(period, out)
        self._mermaid(out)
        return out

    def _review_forked(self, period: Period, tax: Taxonomy | None) -> Review:
        """The review with its work spread over the cores (kb.parallel), balanced at 2,000 projects.

        A child reads the store's numbers and computes the graph sections and the worst incidents'
        chains (own connection) while this process reads the silent-failure snapshot of both quarter
        ends; a second child, forked once that snapshot is in memory, scans the previous quarter's
        end while this process scans this one.
        """
        from kb.parallel import Part
        from kb.review.build import Outside, assemble, gather

        reopened: Callable[[], Any] = getattr(self, "reopened")  # noqa: B009 (KB's, not ReviewOps')

        def in_child() -> tuple[Any, Outside]:
            other = reopened()
            try:
                side = Outside()
                other._graph_parts(period, side)
                other._mermaid(side)
                gathered = gather(read_facts(other.db, period), period, tax)
                if side.mermaid is not None:  # drawn here: a function cannot be sent back
                    for worst in gathered.worst:
                        worst.mermaid = side.mermaid(worst.id)
                    side.mermaid = None
                if side.chain_steps is not None:
                    for worst in gathered.worst:
                        worst.chain = side.chain_steps(worst.id)
                    side.chain_steps = None
                return gathered, side
            finally:
                other.close()

        child = Part(in_child, fork=True)
        out = Outside()
        try:
            self._verdict_parts(period, out, parallel=True)
        except BaseException:
            child.cancel()
            raise
        gathered, side = child.result()
        out.root_causes, out.keystones, out.recurring_chains = side.root_causes, side.keystones, side.recurring_chains
        out.unavailable.update(side.unavailable)
        return assemble(period, tax, gathered, out)

    def _verdict_parts(self, period: Period, out: Outside, parallel: bool = False) -> None:
        """The quarter's silent-failure verdicts and the previous quarter's (from its frozen review if any)."""
        from kb.review.compute import portfolio, window
        from kb.store.review import frozen_body, portfolio_facts

        scan_many: Callable[..., Any] | None = getattr(self, "silent_scan_many", None)
        pair: Callable[..., Any] | None = getattr(self, "silent_scan_pair", None)
        if getattr(self, "silent_scan", None) is None or scan_many is None or pair is None:
            out.unavailable["silent-failure verdicts"] = "the silent-failure detector (issue 5) is not available yet"
            return
        before = period.previous()
        body = frozen_body(self.db, before.label)
        if body is not None:
            out.verdicts = {v.project: v for v in scan_many([period.last_day])[0]}
            out.previous_verdicts = {c["slug"]: c.get("verdict") for c in body["scorecard"]}
            return
        current, words = pair(period.last_day, before.last_day, parallel=parallel)
        out.verdicts = {v.project: v for v in current}
        # only the projects the previous quarter's review held (kb.review.compute.portfolio)
        then = {p["slug"] for p in portfolio(portfolio_facts(self.db, *window(before)), before)}
        out.previous_verdicts = {slug: word for slug, word in words.items() if slug in then}

    def _graph_parts(self, period: Period, out: Outside) -> None:
        from kb.review.model import ChainRow, KeystoneRow, RootCauseRow

        missing = "the causal-graph analyses (issue 4) are not available yet"
        root_causes = getattr(self, "root_causes", None)
        keystones = getattr(self, "keystones", None)
        recurring = getattr(self, "recurring_chains", None)
        patterns = getattr(self, "graph_patterns", None)
        if patterns is not None and None not in (root_causes, keystones, recurring):
            found = patterns(quarter=period.label)  # the quarter's graph is built once for all three
            report, keys, chains = found.root_causes, found.keystones, found.recurring_chains
        else:
            report = root_causes(quarter=period.label) if root_causes is not None else None
            keys = keystones(quarter=period.label) if keystones is not None else None
            chains = recurring(quarter=period.label) if recurring is not None else None
        if report is None:
            out.unavailable["root causes"] = missing
        else:
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
        if keys is None:
            out.unavailable["keystone causes"] = missing
        else:
            out.keystones = [
                KeystoneRow(
                    code=k.code,
                    name=k.name,
                    score=k.score,
                    incidents=k.incidents,
                    cuts=[c.incident_id for c in k.cuts],
                )
                for k in keys
            ]
        if chains is None:
            out.unavailable["recurring chains"] = missing
        else:
            out.recurring_chains = [
                ChainRow(modes=list(c.modes), count=c.count, incident_ids=list(c.incident_ids)) for c in chains
            ]

    def _mermaid(self, out: Outside) -> None:
        """How the worst incidents' chains are drawn (with this handle's connection; a forked review draws them
        in its child and sends the text back, since a function cannot be sent)."""
        chain = getattr(self, "chain", None)
        try:
            from kb.graph.export import chain_mermaid
        except ImportError:
            chain_mermaid = None
        if chain is None or chain_mermaid is None:
            out.unavailable["causal chains"] = "the causal-graph analyses (issue 4) are not available yet"
        else:
            out.mermaid = lambda incident_id: chain_mermaid(chain(incident_id))
            out.chain_steps = lambda incident_id: chain_steps(chain(incident_id))
