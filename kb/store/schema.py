"""The schema, as an ordered list of migrations; the database records which ones it has.

Never edit a migration that has shipped: add a new one. A database that lists a migration this
code does not know was written by a newer kb and is refused (see kb.store.db).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

from kb.timeutil import stamp

MIGRATION_SET = "kb"


class _Steps:
    """The migrations in order, registered with `@migrations()`; sqlite-utils' `Migrations` is built
    only when one is applied or inspected, so the read path (kb.store.queries) knows the names
    without importing sqlite-utils (and numpy with it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[tuple[str, Callable[[Database], None], bool]] = []
        self._built: Migrations | None = None

    def __call__(
        self, *, name: str | None = None, transactional: bool = True
    ) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
        def register(fn: Callable[[Database], None]) -> Callable[[Database], None]:
            step = name or fn.__name__
            if any(n == step for n, _, _ in self._steps):
                raise ValueError(f"migration {step!r} is registered twice")
            self._steps.append((step, fn, transactional))
            self._built = None
            return fn

        return register

    @property
    def names(self) -> list[str]:
        return [n for n, _, _ in self._steps]

    def _migrations(self) -> Migrations:
        if self._built is None:
            from sqlite_utils.migrations import Migrations

            built = Migrations(self.name)
            for step, fn, transactional in self._steps:
                built(name=step, transactional=transactional)(fn)
            self._built = built
        return self._built

    def __getattr__(self, attr: str) -> Any:  # apply, applied, pending, ...: sqlite-utils' own
        return getattr(self._migrations(), attr)


migrations = _Steps(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE projects (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            team TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL DEFAULT '',
            business_owner TEXT NOT NULL DEFAULT '',
            stage TEXT NOT NULL,
            feature_flags TEXT NOT NULL DEFAULT '[]',
            decision TEXT NOT NULL DEFAULT '',
            success_metric TEXT NOT NULL DEFAULT '',
            baseline TEXT NOT NULL DEFAULT '',
            monitoring TEXT NOT NULL,
            outcome_lag_days INTEGER,
            retraining_owner TEXT NOT NULL DEFAULT '',
            retraining_cadence_days INTEGER,
            vendor TEXT NOT NULL DEFAULT '',
            launched_on TEXT,
            notes TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        -- which flag keys switch which project on and off: flag events map to projects through it
        CREATE TABLE project_flags (
            flag_key TEXT NOT NULL,
            project TEXT NOT NULL REFERENCES projects(slug),
            PRIMARY KEY (flag_key, project)
        );
        CREATE INDEX project_flags_project ON project_flags(project);

        CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(slug),
            title TEXT NOT NULL,
            kind TEXT NOT NULL,
            severity INTEGER NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT,
            detected_at TEXT,
            resolved_at TEXT,
            detected_by TEXT NOT NULL,
            announced INTEGER NOT NULL DEFAULT 0,
            postmortem TEXT NOT NULL,
            flag_key TEXT,
            flag_environment TEXT,
            flag_from TEXT,
            flag_to TEXT,
            flag_at TEXT,
            flag_actor TEXT,
            summary TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            links TEXT NOT NULL DEFAULT '[]',
            duplicate_of TEXT REFERENCES incidents(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX incidents_project ON incidents(project);
        CREATE INDEX incidents_started ON incidents(started_at);

        CREATE TABLE classifications (
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            pos INTEGER NOT NULL,
            code TEXT NOT NULL,
            role TEXT NOT NULL,
            confidence TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (incident_id, code)
        );
        CREATE INDEX classifications_code ON classifications(code);

        CREATE TABLE causes (
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            cause_id TEXT NOT NULL,
            pos INTEGER NOT NULL,
            statement TEXT NOT NULL,
            mode TEXT,
            is_trigger INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (incident_id, cause_id)
        );
        CREATE INDEX causes_mode ON causes(mode);

        CREATE TABLE cause_links (
            incident_id TEXT NOT NULL,
            cause_id TEXT NOT NULL,
            because_id TEXT NOT NULL,
            pos INTEGER NOT NULL,
            PRIMARY KEY (incident_id, cause_id, because_id),
            FOREIGN KEY (incident_id, cause_id) REFERENCES causes(incident_id, cause_id),
            FOREIGN KEY (incident_id, because_id) REFERENCES causes(incident_id, cause_id)
        );

        CREATE TABLE actions (
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            pos INTEGER NOT NULL,
            title TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            due TEXT,
            status TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (incident_id, pos)
        );
        CREATE INDEX actions_open_due ON actions(status, due);

        CREATE TABLE timeline (
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            pos INTEGER NOT NULL,
            at TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (incident_id, pos)
        );

        CREATE TABLE tags (
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            PRIMARY KEY (entity, entity_id, tag)
        );
        CREATE INDEX tags_tag ON tags(tag);

        -- one row per incident with the text search reads; the triggers below keep it current
        CREATE TABLE incident_text (
            incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
            title TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            causes TEXT NOT NULL DEFAULT '',
            actions TEXT NOT NULL DEFAULT ''
        );

        CREATE TRIGGER incidents_text_ai AFTER INSERT ON incidents BEGIN
            INSERT INTO incident_text (incident_id, title, summary) VALUES (new.id, new.title, new.summary);
        END;
        CREATE TRIGGER incidents_text_au AFTER UPDATE OF title, summary ON incidents BEGIN
            UPDATE incident_text SET title = new.title, summary = new.summary WHERE incident_id = new.id;
        END;
        CREATE TRIGGER causes_text_ai AFTER INSERT ON causes BEGIN
            UPDATE incident_text SET causes = (
                SELECT coalesce(group_concat(statement, char(10)), '') FROM
                (SELECT statement FROM causes WHERE incident_id = new.incident_id ORDER BY pos)
            ) WHERE incident_id = new.incident_id;
        END;
        CREATE TRIGGER causes_text_ad AFTER DELETE ON causes BEGIN
            UPDATE incident_text SET causes = (
                SELECT coalesce(group_concat(statement, char(10)), '') FROM
                (SELECT statement FROM causes WHERE incident_id = old.incident_id ORDER BY pos)
            ) WHERE incident_id = old.incident_id;
        END;
        CREATE TRIGGER actions_text_ai AFTER INSERT ON actions BEGIN
            UPDATE incident_text SET actions = (
                SELECT coalesce(group_concat(title, char(10)), '') FROM
                (SELECT title FROM actions WHERE incident_id = new.incident_id ORDER BY pos)
            ) WHERE incident_id = new.incident_id;
        END;
        CREATE TRIGGER actions_text_ad AFTER DELETE ON actions BEGIN
            UPDATE incident_text SET actions = (
                SELECT coalesce(group_concat(title, char(10)), '') FROM
                (SELECT title FROM actions WHERE incident_id = old.incident_id ORDER BY pos)
            ) WHERE incident_id = old.incident_id;
        END;

        -- append-only history of every create, update and merge
        CREATE TABLE changelog (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            op TEXT NOT NULL,
            changes TEXT NOT NULL,
            snapshot TEXT
        );
        CREATE INDEX changelog_entity ON changelog(entity, entity_id, seq);
        CREATE TRIGGER changelog_no_update BEFORE UPDATE ON changelog BEGIN
            SELECT RAISE(ABORT, 'the change log is append-only');
        END;
        CREATE TRIGGER changelog_no_delete BEFORE DELETE ON changelog BEGIN
            SELECT RAISE(ABORT, 'the change log is append-only');
        END;

        -- feature-flag audit events from any vendor, normalised; raw keeps the original
        CREATE TABLE flag_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_key TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            flag_key TEXT NOT NULL,
            environment TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            state_from TEXT,
            state_to TEXT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL DEFAULT '',
            comment TEXT NOT NULL DEFAULT '',
            raw TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );
        CREATE INDEX flag_events_flag ON flag_events(flag_key, at);

        -- health metrics per project and period; a re-import of a period replaces it
        CREATE TABLE health (
            project TEXT NOT NULL REFERENCES projects(slug),
            period TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            predictions REAL,
            acted_on REAL,
            overrides REAL,
            quality REAL,
            latency_p95_ms REAL,
            cost REAL,
            value REAL,
            owner_confirmed INTEGER,
            flag_on INTEGER,
            PRIMARY KEY (project, period)
        );
        CREATE INDEX health_project_start ON health(project, period_start);

        -- quarterly reviews: decisions, and frozen snapshots that never change
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            quarter TEXT NOT NULL,
            project TEXT NOT NULL REFERENCES projects(slug),
            decision TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            due TEXT,
            note TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE INDEX decisions_quarter ON decisions(quarter, project);

        CREATE TABLE frozen_reviews (
            quarter TEXT PRIMARY KEY,
            frozen_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TRIGGER frozen_reviews_no_update BEFORE UPDATE ON frozen_reviews BEGIN
            SELECT RAISE(ABORT, 'a frozen review never changes');
        END;
        CREATE TRIGGER frozen_reviews_no_delete BEFORE DELETE ON frozen_reviews BEGIN
            SELECT RAISE(ABORT, 'a frozen review never changes');
        END;
        """
    )
    db.table("incident_text").enable_fts(
        ["title", "summary", "causes", "actions"], create_triggers=True, tokenize="porter unicode61"
    )
    db.execute("INSERT INTO meta (key, value) VALUES ('next_incident_seq', '1')")


def known_migration_names() -> list[str]:
    return migrations.names


@migrations()
def m002_foreign_key_indexes(db: Database) -> None:
    """Index the foreign-key columns m001 left bare.

    Every incident save rewrites its row (id included), so SQLite looks for incidents whose
    duplicate_of points at it, and every project save looks for its decisions: without these
    indexes both were full table scans, which made re-importing a large export quadratic.
    """
    db.execute("CREATE INDEX IF NOT EXISTS incidents_duplicate_of ON incidents(duplicate_of)")
    db.execute("CREATE INDEX IF NOT EXISTS decisions_project ON decisions(project)")


@migrations()
def m003_search_text_written_once(db: Database) -> None:
    """Write an incident's search text once per save instead of once per child row.

    m001 kept incident_text current with triggers on causes and actions, so saving an incident
    with three causes and two actions rewrote its search row (and its FTS entry) six times: half
    the cost of a bulk import. The store now writes the row once, in the same transaction as the
    incident (kb.store.repo.put_incident); the FTS index still follows incident_text by trigger,
    and `kb check` recomputes the text from the rows to prove they agree.
    """
    for name in (
        "incidents_text_ai",
        "incidents_text_au",
        "causes_text_ai",
        "causes_text_ad",
        "actions_text_ai",
        "actions_text_ad",
    ):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")


@migrations()
def m004_covering_indexes(db: Database) -> None:
    """Indexes for the reads a review, a silent scan and the TUI's first frame make over every incident.

    At 100,000 incidents these read the wide incidents table (titles, summaries) in full several
    times each. `incidents_live` holds the columns they ask of live incidents (not merged
    duplicates), so those reads become index-only; it starts with duplicate_of, so it also serves
    the foreign-key lookups m002's `incidents_duplicate_of` served, which it replaces. The others
    serve the review's resolved-in-quarter, missing-postmortem and open-actions reads.
    """
    db.execute(
        "CREATE INDEX IF NOT EXISTS incidents_live ON incidents"
        "(duplicate_of, project, status, started_at, detected_at, flag_at, detected_by, id)"
    )
    db.execute("DROP INDEX IF EXISTS incidents_duplicate_of")
    db.execute("CREATE INDEX IF NOT EXISTS incidents_resolved ON incidents(resolved_at)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS incidents_postmortem_due ON incidents"
        "(postmortem, coalesce(detected_at, started_at), duplicate_of, id)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS actions_status_incident ON actions(status, incident_id, due)")


@migrations()
def m005_record_format_2(db: Database) -> None:
    """Columns for what public ML failures need recording (issue 16); every existing row keeps its values.

    Only new, nullable or defaulted columns are added, so a database from m004 upgrades in place. Dates
    known only to a year, quarter or month keep their period's first day in the date column (sortable,
    and read by every analysis as before) and their written form in `approx_dates`, a JSON map from
    column to text such as {"started_at": "2021Q3"}; NULL means every date is exact.
    """
    for table, column, decl in (
        ("projects", "automation", "TEXT"),
        ("projects", "retired_on", "TEXT"),
        ("projects", "lifecycle", "TEXT NOT NULL DEFAULT '[]'"),
        ("projects", "approx_dates", "TEXT"),
        ("incidents", "made_public_at", "TEXT"),
        ("incidents", "postmortem_source", "TEXT"),
        ("incidents", "postmortem_link", "TEXT NOT NULL DEFAULT ''"),
        ("incidents", "impact", "TEXT"),
        ("incidents", "organisations", "TEXT NOT NULL DEFAULT '[]'"),
        ("incidents", "affected_projects", "TEXT NOT NULL DEFAULT '[]'"),
        ("incidents", "metrics", "TEXT NOT NULL DEFAULT '[]'"),
        ("incidents", "lessons", "TEXT"),
        ("incidents", "approx_dates", "TEXT"),
    ):
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


@migrations()
def m010_flag_sources(db: Database) -> None:
    """Where each live pull of a flag system stopped, so the next one reads only what is newer.

    One row per vendor, base URL, project and environment. `cursor` is the vendor's own position
    (an event id, an epoch in milliseconds or a date-time, as JSON). No token is ever stored here.
    """
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS flag_sources (
            source_key TEXT PRIMARY KEY,
            vendor TEXT NOT NULL,
            base_url TEXT NOT NULL,
            project TEXT NOT NULL DEFAULT '',
            environment TEXT NOT NULL DEFAULT '',
            cursor TEXT,
            pulled_at TEXT,
            pulls INTEGER NOT NULL DEFAULT 0,
            events INTEGER NOT NULL DEFAULT 0
        );
        """
    )


@migrations()
def m008_no_duplicate_cycles(db: Database) -> None:
    """Make a cycle of `duplicate_of` links impossible in the store, whoever writes.

    Two incidents marked duplicates of each other made `kb incident merge` loop forever holding
    the write lock. kb refuses such input (kb/store/repo.py), and these triggers refuse it even
    from plain SQL. Any cycle an older kb let in is broken first: the link of the cycle's
    smallest id is cleared (the record stays; only its duplicate mark goes), and the change is
    in the change log.
    """
    cycle_sql = """
        SELECT RAISE(ABORT, 'duplicate_of would make a cycle of duplicates')
        WHERE NEW.duplicate_of = NEW.id OR EXISTS (
            WITH RECURSIVE chain(id) AS (
                SELECT NEW.duplicate_of
                UNION
                SELECT i.duplicate_of FROM incidents i JOIN chain c ON i.id = c.id WHERE i.duplicate_of IS NOT NULL
            )
            SELECT 1 FROM chain WHERE id = NEW.id
        );
    """
    rows = db.execute("SELECT id, duplicate_of FROM incidents WHERE duplicate_of IS NOT NULL").fetchall()
    links = dict(rows)
    for start in sorted(links):
        seen: list[str] = []
        cur: str | None = start
        while cur is not None and cur not in seen:
            seen.append(cur)
            cur = links.get(cur)
        if cur is not None and cur == start:  # start lies on a cycle: cut it at its smallest id
            cut = min(seen)
            db.execute("UPDATE incidents SET duplicate_of = NULL WHERE id = ?", [cut])
            db.execute(
                "INSERT INTO changelog (at, actor, entity, entity_id, op, changes, snapshot) "
                "VALUES (?, 'kb-migration', 'incident', ?, 'update', ?, NULL)",
                [stamp(), cut, json.dumps({"duplicate_of": [links[cut], None]})],
            )
            links[cut] = None  # type: ignore[assignment]
    for event in ("INSERT", "UPDATE OF duplicate_of"):
        name = "incidents_no_duplicate_cycle_" + event.split()[0].lower()
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON incidents "
            f"WHEN NEW.duplicate_of IS NOT NULL BEGIN {cycle_sql} END"
        )


@migrations()
def m006_flag_event_scope_and_serving(db: Database) -> None:
    """Flag events learn who a change was for, which vendor instance it came from, and what was served.

    `scope` names the identity, segment or rule an override was for ('' for the whole
    environment), so a change for some users is never read as an environment shutdown.
    `instance` is the vendor's project or instance, part of an event's identity from now on.
    `serving_from` / `serving_to` (JSON: variation value -> share of traffic) and `detail` hold
    what the environment served before and after a default-variation, rollout or strategy change,
    so a model switched off without touching the toggle is seen. The index serves reading an
    instance's newest event (incremental pulls) and the identity checks of an import.
    """
    for column in (
        "scope TEXT NOT NULL DEFAULT ''",
        "instance TEXT NOT NULL DEFAULT ''",
        "serving_from TEXT",
        "serving_to TEXT",
        "detail TEXT NOT NULL DEFAULT ''",
    ):
        db.execute(f"ALTER TABLE flag_events ADD COLUMN {column}")
    db.execute("CREATE INDEX IF NOT EXISTS flag_events_source ON flag_events(source, instance, at)")


@migrations()
def m009_search_everything(db: Database) -> None:
    """Search everything an incident records, not only its title, summary, causes and actions.

    incident_text gains three columns (modes: codes and their names; details: evidence, tags,
    timeline, links, lessons, impact; project: the project's name, team, vendor, decision, notes)
    and the FTS index is rebuilt over all seven. The new columns are filled from the records by
    kb.store.repo.refresh_search_text, which kb.store.db runs right after the migrations while
    `search_text_stale` is set in meta, so it always uses the code that writes the rows.
    """
    db.table("incident_text").disable_fts()
    for column in ("modes", "details", "project"):
        db.execute(f"ALTER TABLE incident_text ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    db.table("incident_text").enable_fts(
        ["title", "summary", "causes", "actions", "modes", "details", "project"],
        create_triggers=True,
        tokenize="porter unicode61",
    )
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('search_text_stale', '1')")


@migrations()
def m007_views_for_common_questions(db: Database) -> None:
    """Views for the questions people ask of the file directly (sqlite3, Datasette, a notebook).

    Read-only and derived: they hold no data, so they can be dropped and recreated by a later
    migration at no risk. Merged duplicates are left out, as every analysis leaves them out.
    """
    db.executescript(
        """
        CREATE VIEW IF NOT EXISTS incidents_with_modes AS
        SELECT i.id, i.project, p.name AS project_name, p.team, p.owner AS project_owner, p.stage,
               i.title, i.kind, i.severity, i.status, i.started_at, i.detected_at, i.resolved_at,
               i.detected_by, i.announced, i.postmortem, i.flag_key, i.flag_at,
               (SELECT c.code FROM classifications c
                 WHERE c.incident_id = i.id AND c.role = 'primary' ORDER BY c.pos LIMIT 1) AS primary_mode,
               (SELECT group_concat(code, ', ') FROM
                 (SELECT c.code FROM classifications c WHERE c.incident_id = i.id ORDER BY c.pos)) AS modes,
               (SELECT c.statement FROM causes c
                 WHERE c.incident_id = i.id AND c.is_trigger = 1 LIMIT 1) AS trigger_cause,
               i.summary, i.tags
        FROM incidents i JOIN projects p ON p.slug = i.project
        WHERE i.duplicate_of IS NULL;

        CREATE VIEW IF NOT EXISTS open_actions AS
        SELECT a.incident_id, i.project, i.title AS incident_title, a.pos, a.title, a.owner, a.due, a.kind,
               a.status, CASE WHEN a.due IS NOT NULL AND a.due < date('now') THEN 1 ELSE 0 END AS overdue
        FROM actions a JOIN incidents i ON i.id = a.incident_id
        WHERE a.status = 'open' AND i.duplicate_of IS NULL
        ORDER BY a.due IS NULL, a.due, a.incident_id, a.pos;

        CREATE VIEW IF NOT EXISTS project_verdict_inputs AS
        SELECT p.slug, p.name, p.team, p.owner, p.business_owner, p.stage, p.monitoring, p.outcome_lag_days,
               p.retraining_owner, p.launched_on, p.feature_flags,
               (SELECT count(*) FROM incidents i WHERE i.project = p.slug AND i.duplicate_of IS NULL) AS incidents,
               (SELECT count(*) FROM incidents i
                 WHERE i.project = p.slug AND i.duplicate_of IS NULL AND i.status != 'resolved') AS open_incidents,
               (SELECT count(*) FROM incidents i
                 WHERE i.project = p.slug AND i.duplicate_of IS NULL AND i.kind = 'quiet-shutdown') AS quiet_shutdowns,
               (SELECT max(coalesce(i.started_at, i.detected_at)) FROM incidents i
                 WHERE i.project = p.slug AND i.duplicate_of IS NULL) AS last_incident,
               (SELECT count(*) FROM actions a JOIN incidents i ON i.id = a.incident_id
                 WHERE i.project = p.slug AND i.duplicate_of IS NULL AND a.status = 'open') AS open_actions,
               h.period AS last_health_period, h.predictions, h.acted_on, h.overrides, h.quality,
               h.owner_confirmed, h.flag_on,
               (SELECT e.action FROM flag_events e JOIN project_flags pf ON pf.flag_key = e.flag_key
                 WHERE pf.project = p.slug ORDER BY e.at DESC LIMIT 1) AS last_flag_action,
               (SELECT e.at FROM flag_events e JOIN project_flags pf ON pf.flag_key = e.flag_key
                 WHERE pf.project = p.slug ORDER BY e.at DESC LIMIT 1) AS last_flag_at,
               (SELECT d.decision FROM decisions d WHERE d.project = p.slug
                 ORDER BY d.quarter DESC, d.at DESC LIMIT 1) AS last_decision,
               (SELECT d.quarter FROM decisions d WHERE d.project = p.slug
                 ORDER BY d.quarter DESC, d.at DESC LIMIT 1) AS last_decision_quarter
        FROM projects p
        LEFT JOIN health h ON h.project = p.slug AND h.period_start =
            (SELECT max(period_start) FROM health WHERE project = p.slug);
        """
    )


@migrations()
def m011_incident_chains(db: Database) -> None:
    """Each incident's causal chain packed in one narrow row (kb.store.chains), for the portfolio analyses.

    A trigger on each child table drops the incident's row when one of its causes, links or
    classifications changes (whoever writes); kb writes the row again when it saves the incident,
    and readers pack a missing one from the child rows. Filled here for every incident.
    """
    from kb.store.chains import CHILD_TABLES, write_chains

    db.execute(
        """
        CREATE TABLE IF NOT EXISTS incident_chains (
            incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
            causes TEXT NOT NULL DEFAULT '',
            modes TEXT NOT NULL DEFAULT '',
            links TEXT NOT NULL DEFAULT '',
            codes TEXT NOT NULL DEFAULT ''
        )
        """
    )
    for table in CHILD_TABLES:
        drop = "DELETE FROM incident_chains WHERE incident_id = {row}.incident_id;"
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_chain_ai AFTER INSERT ON {table} BEGIN {drop.format(row='NEW')} END"
        )
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_chain_ad AFTER DELETE ON {table} BEGIN {drop.format(row='OLD')} END"
        )
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_chain_au AFTER UPDATE ON {table} "
            f"BEGIN {drop.format(row='OLD')} {drop.format(row='NEW')} END"
        )
    write_chains(db.conn)
