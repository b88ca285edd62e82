"""Writing normalised flag events: identity, repeats, duplicates and conflicts (every SQL statement here).

An event's key is its identity (kb.silent.events.event_key). On import:
- a key already stored with the same content (flag, environment, scope, action, state, time) is a
  duplicate, and adds nothing, so re-importing a file or a page adds nothing;
- a key already stored with *other* content is a conflict: both are kept (the new one under
  `<key>!<content hash>`) and the report names the key, so nothing is silently dropped;
- a record without a vendor id is keyed by its content; its second, third ... copy within one
  file or stream gets `~2`, `~3`, so a file's repeated rows all count, while re-importing the
  file gives the same keys again. The copies are counted in a temporary table, so a huge log
  needs no memory per row;
- a key stored with other content but the *same* vendor record is that record read again by a
  kb that reads it better (a mis-read fixed): the stored reading is corrected in place;
- events stored before m006 carry the older key (`<source>:<vendor id>`, without the instance):
  an event whose older key is stored with the same vendor record is that event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kb.timeutil import stamp

if TYPE_CHECKING:
    from sqlite_utils import Database


class FlagEvent(Protocol):
    """What the writer needs of a normalised event (kb.silent.events.FlagEvent); it renumbers `event_key`."""

    event_key: str

    @property
    def legacy_key(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def flag_key(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def state_from(self) -> str | None: ...
    @property
    def state_to(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def comment(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def instance(self) -> str: ...
    @property
    def serving_from(self) -> dict[str, float] | None: ...
    @property
    def serving_to(self) -> dict[str, float] | None: ...
    @property
    def detail(self) -> str: ...
    @property
    def raw(self) -> Any: ...


class FlagImportReport(Protocol):
    """The counters an import fills in (kb.silent.events.FlagImportReport)."""

    read: int
    added: int
    duplicates: int
    mapped: int
    unmapped: int
    skipped: int
    overrides: int
    conflicts: int
    conflicting_keys: list[str]
    reread: int


def fingerprint(
    flag: str, environment: str, scope: str, action: str, state_to: str | None, at: datetime | str
) -> tuple[str, ...]:
    """What makes two events with one key the same event: flag, environment, scope, action, state, second."""
    when = at if isinstance(at, str) else at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return (flag, environment, scope or "", action, state_to or "", when[:19])


BATCH = 1000
MAX_NAMED_CONFLICTS = 50
_COLUMNS = (
    "event_key, source, flag_key, environment, action, state_from, state_to, at, actor, comment, raw, imported_at, "
    "scope, instance, serving_from, serving_to, detail"
)
_INSERT = f"INSERT INTO flag_events ({_COLUMNS}) VALUES ({', '.join('?' for _ in _COLUMNS.split(', '))})"


def _fingerprint_of_row(row: tuple[Any, ...]) -> tuple[str, ...]:
    return fingerprint(row[1], row[2], row[3], row[4], row[5], row[6])


class Ingest:
    """One import's writer: feed it (index, events) pairs, then `finish()`; the caller holds the transaction."""

    def __init__(self, db: Database, report: FlagImportReport, on_batch: Callable[[], None] | None = None) -> None:
        self.db, self.report, self.on_batch = db, report, on_batch
        self.mapped = {r[0] for r in db.execute("SELECT DISTINCT flag_key FROM project_flags").fetchall()}
        self.imported_at = stamp()
        self.pending: list[FlagEvent] = []
        db.execute("CREATE TEMP TABLE IF NOT EXISTS flag_copies (key TEXT PRIMARY KEY, n INTEGER NOT NULL)")
        db.execute("DELETE FROM temp.flag_copies")

    def feed(self, stream: Iterable[tuple[int, Sequence[FlagEvent]]]) -> None:
        for _index, events in stream:
            self.add(events)

    def add(self, events: Sequence[FlagEvent]) -> None:
        """The events of one vendor record ([] for a record that is not about a flag)."""
        if not events:
            self.report.skipped += 1
        self.pending.extend(events)
        if len(self.pending) >= BATCH:
            self.flush()

    def finish(self) -> None:
        self.flush()
        self.db.execute("DELETE FROM temp.flag_copies")
        r = self.report
        r.duplicates = r.read - r.added

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        self._number_copies(batch)
        keys = {e.event_key for e in batch} | {e.legacy_key for e in batch if e.legacy_key}
        stored = self._stored(keys)
        rows, rereads = [], []
        for e in batch:
            r = self.report
            r.read += 1
            r.overrides += bool(e.scope)
            if e.flag_key in self.mapped:
                r.mapped += 1
            else:
                r.unmapped += 1
            mine = fingerprint(e.flag_key, e.environment, e.scope, e.action, e.state_to, e.at)
            raw = _raw_text(e.raw)
            key = e.event_key if e.event_key in stored else e.legacy_key if e.legacy_key in stored else ""
            if not key:
                stored[e.event_key] = (mine, raw)
                rows.append(self._row(e, e.event_key, raw))
                continue
            have, have_raw = stored[key]
            if have == mine:
                continue  # already known
            if have_raw == raw:  # the same vendor record, read better by this kb: correct the reading
                stored[key] = stored[e.event_key] = (mine, raw)
                rereads.append((*self._row(e, e.event_key, raw), key))
                continue
            if key != e.event_key:  # an older key, another record: this one is new
                stored[e.event_key] = (mine, raw)
                rows.append(self._row(e, e.event_key, raw))
                continue
            alt = f"{e.event_key}!{_digest(mine)}"
            if alt not in stored:
                stored.update(self._stored({alt}))
            if alt in stored:
                continue  # this conflicting version is already kept
            stored[alt] = (mine, raw)
            rows.append(self._row(e, alt, raw))
            r.conflicts += 1
            if len(r.conflicting_keys) < MAX_NAMED_CONFLICTS:
                r.conflicting_keys.append(e.event_key)
        if rows:
            self.db.conn.executemany(_INSERT, rows)
            self.report.added += len(rows)
        if rereads:
            sets = ", ".join(f"{c} = ?" for c in _COLUMNS.split(", "))
            self.db.conn.executemany(f"UPDATE flag_events SET {sets} WHERE event_key = ?", rereads)
            self.report.reread += len(rereads)
        if self.on_batch is not None:
            self.on_batch()

    def _number_copies(self, batch: list[FlagEvent]) -> None:
        hashed = sorted({e.event_key for e in batch if ":sha256:" in e.event_key})
        if not hashed:
            return
        seen = dict(
            self.db.execute(
                "SELECT key, n FROM temp.flag_copies WHERE key IN (SELECT value FROM json_each(?))",
                [json.dumps(hashed)],
            ).fetchall()
        )
        for e in batch:
            if ":sha256:" not in e.event_key:
                continue
            n = seen.get(e.event_key, 0) + 1
            seen[e.event_key] = n
            if n > 1:
                e.event_key = f"{e.event_key}~{n}"
        self.db.conn.executemany(
            "INSERT INTO temp.flag_copies (key, n) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = excluded.n",
            list(seen.items()),  # only hashed keys: those read back and those counted here
        )

    def _stored(self, keys: set[str]) -> dict[str, tuple[tuple[str, ...], str]]:
        """(content fingerprint, raw record text) of the stored events with these keys."""
        if not keys:
            return {}
        rows = self.db.execute(
            "SELECT event_key, flag_key, environment, scope, action, state_to, at, raw FROM flag_events "
            "WHERE event_key IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted(keys))],
        ).fetchall()
        return {r[0]: (_fingerprint_of_row(r), r[7]) for r in rows}

    def _row(self, e: FlagEvent, key: str, raw: str) -> tuple[Any, ...]:
        return (
            key,
            e.source,
            e.flag_key,
            e.environment,
            e.action,
            e.state_from,
            e.state_to,
            stamp(e.at),
            e.actor,
            e.comment,
            raw,
            self.imported_at,
            e.scope,
            e.instance,
            _serving_text(e.serving_from),
            _serving_text(e.serving_to),
            e.detail,
        )


def _raw_text(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False, sort_keys=True)


def _serving_text(serving: dict[str, float] | None) -> str | None:
    return None if serving is None else json.dumps(serving, sort_keys=True)


def _digest(fp: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(fp).encode("utf-8")).hexdigest()[:12]
