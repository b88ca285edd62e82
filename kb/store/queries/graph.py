"""The rows the causal graph and its analyses read: every SQL statement of kb.graph.

The shapes, each read in one snapshot of the store (a commit landing between two queries would
otherwise show a link naming a cause that was never read):

- `GraphRows`: everything the MultiDiGraph is built from (kb.graph.build): projects, incidents with
  titles, causes with statements, links, classifications with role and confidence.
- `FactRows`: only what the portfolio analyses read per incident (kb.graph.patterns): ids,
  severities, cause ids, modes, triggers, links and codes. No titles, statements or projects.
- `ChainRows`: the same facts, one row per incident, packed by SQLite (`group_concat`) so that
  100,000 incidents cost 100,000 rows rather than 900,000; kept packed in `incident_chains`
  (m011, kb.store.chains), so a read is one narrow table.
- `ChainGroup`: those texts grouped by SQLite, each distinct chain once with the ids and
  severities of the incidents that have it (kb.graph.shapes reads these).

Rows are plain tuples (what sqlite3 returns, typed by the aliases below): a dataclass per row
would double the objects made for 300,000 causes. Both shapes list incidents by id, causes by
incident then cause id, links by incident, cause and position, classifications by incident and
position, so the two paths see every incident's causes in the same order.

Merged duplicates (incidents.duplicate_of set) are left out, except when one incident is asked for
by id. A window is `[start, end)` over `started_at`, falling back to `detected_at` (`window_sql`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from kb.errors import NotFound
from kb.store.queries import sql

ProjectRow = tuple[str, str, str, str]  # slug, name, owner, stage
IncidentRow = tuple[str, str, str, str, int, str]  # id, project, title, kind, severity, at ("" if unplaced)
CauseRow = tuple[str, str, str, "str | None", int]  # incident_id, cause_id, statement, mode, is_trigger
LinkRow = tuple[str, str, str]  # incident_id, cause_id, because_id
ClassificationRow = tuple[str, str, str, str]  # incident_id, code, role, confidence

FactIncidentRow = tuple[str, int]  # id, severity
FactCauseRow = tuple[str, str, "str | None", int]  # incident_id, cause_id, mode, is_trigger
FactClassificationRow = tuple[str, str]  # incident_id, code


@dataclass(slots=True)
class GraphRows:
    """The rows a graph is built from."""

    projects: list[ProjectRow] = field(default_factory=list)
    incidents: list[IncidentRow] = field(default_factory=list)
    causes: list[CauseRow] = field(default_factory=list)
    links: list[LinkRow] = field(default_factory=list)
    classifications: list[ClassificationRow] = field(default_factory=list)


@dataclass(slots=True)
class FactRows:
    """The slim rows of a window's live incidents: what their per-incident facts need, nothing else."""

    incidents: list[FactIncidentRow] = field(default_factory=list)
    causes: list[FactCauseRow] = field(default_factory=list)
    links: list[LinkRow] = field(default_factory=list)
    classifications: list[FactClassificationRow] = field(default_factory=list)


def window_sql(start: date | None, end: date | None) -> tuple[str, list[str]]:
    """A WHERE fragment over the incidents table placing an incident's time (kb.rules.incident_time)
    in `[start, end)`, and its parameters ("" when unbounded). Text dates sort as time; the fragments
    are kb.store.queries.sql's, written so SQLite can use the started_at index."""
    if start is not None and end is not None:
        return sql.incident_time_in("", "?", "?"), [start.isoformat(), end.isoformat()] * 2
    if start is not None:
        return sql.incident_time_since(), [start.isoformat()] * 2
    if end is not None:
        return sql.incident_time_before(), [end.isoformat()] * 2
    return "", []


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Several reads that see one state of the store (as kb.store.retry.read_snapshot, on a bare
    connection): in WAL mode a deferred transaction reads from the snapshot of its first read, and
    readers never block the writer. Inside a transaction already, it adds nothing."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:  # nothing was written: the COMMIT only ends the snapshot
            conn.execute("COMMIT")


def load_rows(
    conn: sqlite3.Connection,
    *,
    project: str | None = None,
    incident: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> GraphRows:
    """Everything the graph needs, in five queries whatever the number of incidents.

    `incident` selects exactly that record (even a merged duplicate); otherwise duplicates are
    left out and `project` and the window narrow the set. NotFound for an unknown incident or project.
    """
    with snapshot(conn):
        where, params = _incident_filter(conn, project, incident, start, end)
        rows = GraphRows()
        rows.incidents = conn.execute(
            f"SELECT id, project, title, kind, severity, coalesce({sql.incident_time()}, '') FROM incidents"
            f" WHERE {where} ORDER BY id",
            params,
        ).fetchall()
        if project is None and incident is None:
            rows.projects = conn.execute("SELECT slug, name, owner, stage FROM projects ORDER BY slug").fetchall()
        else:
            slugs = sorted({r[1] for r in rows.incidents} | ({project} if project else set()))
            rows.projects = conn.execute(
                "SELECT slug, name, owner, stage FROM projects WHERE slug IN (SELECT value FROM json_each(?)) "
                "ORDER BY slug",
                [json.dumps(slugs)],
            ).fetchall()
        # the incidents just read, by id: each child table is searched by its incident_id index
        scope = " WHERE incident_id IN (SELECT value FROM json_each(?))"
        ids = [json.dumps([r[0] for r in rows.incidents])]
        rows.causes = conn.execute(
            f"SELECT incident_id, cause_id, statement, mode, is_trigger FROM causes{scope}"
            " ORDER BY incident_id, cause_id",
            ids,
        ).fetchall()
        rows.links = conn.execute(
            f"SELECT incident_id, cause_id, because_id FROM cause_links{scope} ORDER BY incident_id, cause_id, pos", ids
        ).fetchall()
        rows.classifications = conn.execute(
            f"SELECT incident_id, code, role, confidence FROM classifications{scope} ORDER BY incident_id, pos", ids
        ).fetchall()
        return rows


def load_fact_rows(conn: sqlite3.Connection, *, start: date | None = None, end: date | None = None) -> FactRows:
    """The slim rows of the live incidents in `[start, end)` (every live incident when unbounded).

    A bounded window reads its incidents' children through their incident_id indexes; an unbounded
    one reads each child table whole and drops a merged duplicate's rows here, which is faster than
    handing SQLite 100,000 ids (the duplicates are a fraction of a percent).
    """
    with snapshot(conn):
        where, params = _incident_filter(conn, None, None, start, end)
        rows = FactRows()
        inc_sql = f"SELECT id, severity FROM incidents WHERE {where} ORDER BY id"
        rows.incidents = conn.execute(inc_sql, params).fetchall()
        if start is None and end is None:
            live = {r[0] for r in rows.incidents}
            dead = conn.execute("SELECT count(*) FROM incidents WHERE duplicate_of IS NOT NULL").fetchone()[0]
            rows.causes = conn.execute(
                "SELECT incident_id, cause_id, mode, is_trigger FROM causes ORDER BY incident_id, cause_id"
            ).fetchall()
            rows.links = conn.execute(
                "SELECT incident_id, cause_id, because_id FROM cause_links ORDER BY incident_id, cause_id, pos"
            ).fetchall()
            rows.classifications = conn.execute(
                "SELECT incident_id, code FROM classifications ORDER BY incident_id, pos"
            ).fetchall()
            if dead:
                rows.causes = [r for r in rows.causes if r[0] in live]
                rows.links = [r for r in rows.links if r[0] in live]
                rows.classifications = [r for r in rows.classifications if r[0] in live]
            return rows
        scope = " WHERE incident_id IN (SELECT value FROM json_each(?))"
        ids = [json.dumps([r[0] for r in rows.incidents])]
        rows.causes = conn.execute(
            f"SELECT incident_id, cause_id, mode, is_trigger FROM causes{scope} ORDER BY incident_id, cause_id", ids
        ).fetchall()
        rows.links = conn.execute(
            f"SELECT incident_id, cause_id, because_id FROM cause_links{scope} ORDER BY incident_id, cause_id, pos", ids
        ).fetchall()
        rows.classifications = conn.execute(
            f"SELECT incident_id, code FROM classifications{scope} ORDER BY incident_id, pos", ids
        ).fetchall()
        return rows


@dataclass(slots=True)
class ChainRows:
    """Live incidents' chains as stored, packed by SQLite: one text per incident and table instead of
    one row per cause, link and code, which the analyses can look a chain up by without taking it
    apart (kb.graph.shapes unpacks each distinct text once, with `unpack_causes` and `unpack_links`).

    `incidents`: (id, severity) by id. `causes` (incident id -> text; absent when it has none): per
    cause, in cause-id order (as `load_rows` orders them), its id and "1" if it is the trigger, else
    "0"; `modes`: the causes' modes as stored, in the same order ("" for a cause without one). Apart,
    because a portfolio has a few hundred ways of linking its causes and thousands of ways of
    naming their modes. `links`: per `because` link, by cause id then named cause id: the cause id,
    the link's position, the named cause id. `codes`: the codes it is classified as, by code, each
    once (None when not read). Fields are joined by `SEP`. The maps may hold merged duplicates'
    texts too: look them up by the ids in `incidents`.
    """

    incidents: list[tuple[str, int]]
    causes: dict[str, str]
    modes: dict[str, str]
    links: dict[str, str]
    codes: dict[str, str] | None


SEP = "\x1f"  # the unit separator: no cause id or taxonomy code kb writes can hold it
_PACKED_CAUSES = (
    "SELECT incident_id, count(*),"
    " group_concat(cause_id || x'1f' || (is_trigger != 0), x'1f'), group_concat(coalesce(mode, ''), x'1f')"
    " FROM causes{scope} GROUP BY incident_id"
)
_PACKED_LINKS = (
    "SELECT incident_id, 3 * count(*) - 1, group_concat(cause_id || x'1f' || pos || x'1f' || because_id, x'1f')"
    " FROM cause_links{scope} GROUP BY incident_id"
)
_PACKED_CODES = (
    "SELECT incident_id, count(*) - 1, group_concat(code, x'1f') FROM classifications{scope} GROUP BY incident_id"
)
_IN_IDS = " WHERE incident_id IN (SELECT value FROM json_each(?))"


@dataclass(slots=True)
class ChainGroup:
    """The live incidents that share one stored chain: its texts as `ChainRows` packs them ("" where
    it has none; `codes` None when not read), and the incidents' ids and severities, in one order."""

    causes: str
    modes: str
    links: str
    codes: str | None
    ids: list[str]
    severities: list[int]


def load_chain_groups(
    conn: sqlite3.Connection, *, start: date | None = None, end: date | None = None, codes: bool = True
) -> list[ChainGroup]:
    """The live incidents in `[start, end)` (all of them when unbounded) grouped by their stored chain
    texts (with their codes too unless `codes=False`), each distinct chain once.

    SQLite groups the rows of `incident_chains` (m011) joined to the live incidents, so Python sees
    the 25,000 distinct chains of 100,000 incidents rather than the incidents. An incident without a
    row there (a hand-edited database, or a file opened read-only before its chains were written)
    has its texts packed from its child rows, as `packed_chains` does, and joins its group.
    Groups come in the order of their texts, a group's ids in order (its severities along).
    """
    key = "c.causes, c.modes, c.links" + (", c.codes" if codes else "")
    with snapshot(conn):
        where, params = _incident_filter(conn, None, None, start, end)
        rows = conn.execute(
            f"SELECT {key}, count(*), group_concat(i.id, x'1f'), group_concat(i.severity, x'1f')"
            f" FROM incidents i LEFT JOIN incident_chains c ON c.incident_id = i.id WHERE {where} GROUP BY {key}",
            params,
        ).fetchall()
        groups: list[ChainGroup] = []
        missing: list[tuple[str, int]] = []
        width = len(key.split(", "))
        for row in rows:
            texts, (n, ids, severities) = row[:width], row[width:]
            if ids.count(SEP) == n - 1:
                id_list, severity_list = _by_id(ids.split(SEP), [*map(int, severities.split(SEP))])
            else:  # an id holding SEP (only a hand-edited database has one): the group read row by row
                members = conn.execute(
                    "SELECT i.id, i.severity FROM incidents i LEFT JOIN incident_chains c ON c.incident_id = i.id"
                    f" WHERE {where} AND " + " AND ".join(f"{col} IS ?" for col in key.split(", ")),
                    [*params, *texts],
                ).fetchall()
                id_list, severity_list = _by_id([i for i, _ in members], [s for _, s in members])
            if texts[0] is None:  # no row in incident_chains
                missing.extend(zip(id_list, severity_list, strict=True))
            else:
                groups.append(
                    ChainGroup(texts[0], texts[1], texts[2], texts[3] if codes else None, id_list, severity_list)
                )
        if missing:
            _add_packed(conn, groups, missing, codes)
        return groups


def _by_id(ids: list[str], severities: list[int]) -> tuple[list[str], list[int]]:
    """A group's ids in order, their severities along (`group_concat` keeps no order; sorted runs
    make the analyses' sorted lists of ids cheap merges)."""
    if len(ids) < 2 or ids == sorted(ids):
        return ids, severities
    pairs = sorted(zip(ids, severities, strict=True))
    return [i for i, _ in pairs], [s for _, s in pairs]


def _add_packed(
    conn: sqlite3.Connection, groups: list[ChainGroup], members: list[tuple[str, int]], codes: bool
) -> None:
    """These incidents' chains packed from their child rows, each added to the group of its texts."""
    packed = packed_chains(conn, [i for i, _ in members], codes=codes)
    found = {(g.causes, g.modes, g.links, g.codes): g for g in groups}
    for iid, severity in members:
        texts = (
            packed.causes.get(iid, ""),
            packed.modes.get(iid, ""),
            packed.links.get(iid, ""),
            packed.codes.get(iid, "") if packed.codes is not None else None,
        )
        group = found.get(texts)
        if group is None:
            group = found[texts] = ChainGroup(*texts, [], [])
            groups.append(group)
        group.ids.append(iid)
        group.severities.append(severity)
    for group in found.values():
        group.ids, group.severities = _by_id(group.ids, group.severities)


def packed_chains(conn: sqlite3.Connection, ids: list[str] | None, *, codes: bool = True) -> ChainRows:
    """These incidents' chains (every incident's when `ids` is None) packed from their causes, links
    and classifications: what `incident_chains` holds for each (kb.store.chains writes it from here).

    Each child table is read grouped by incident through its primary-key index, so a group lists its
    rows in key order. A group whose text does not split into its row count (a value holding `SEP`,
    which only a hand-edited database has) is read row by row, `SEP` in values replaced by U+FFFD.
    `incidents` is left empty.
    """
    if ids is None:
        scope, args = "", []
    elif len(ids) == 1:  # an incident being saved: its rows by the primary key, no JSON list to walk
        scope, args = " WHERE incident_id = ?", list(ids)
    else:
        scope, args = _IN_IDS, [json.dumps(ids)]
    odd: set[str] = set()
    causes: dict[str, str] = {}
    modes: dict[str, str] = {}
    for iid, n, packed, packed_modes in conn.execute(_PACKED_CAUSES.format(scope=scope), args):
        if packed.count(SEP) == 2 * n - 1 and packed_modes.count(SEP) == n - 1:
            causes[iid], modes[iid] = packed, packed_modes
        else:
            odd.add(iid)
    rows = ChainRows(
        [],
        causes,
        modes,
        _packed(conn, _PACKED_LINKS.format(scope=scope), args, odd),
        _packed(conn, _PACKED_CODES.format(scope=scope), args, odd) if codes else None,
    )
    for iid in odd:
        _repack(conn, iid, rows)
    return rows


def _packed(conn: sqlite3.Connection, sql: str, args: list[str], odd: set[str]) -> dict[str, str]:
    """Incident id -> packed text; an id whose text does not hold its expected separators goes to `odd`."""
    out: dict[str, str] = {}
    for iid, seps, packed in conn.execute(sql, args):
        if packed.count(SEP) == seps:
            out[iid] = packed
        else:
            odd.add(iid)
    return out


def _repack(conn: sqlite3.Connection, iid: str, rows: ChainRows) -> None:
    """One incident's texts read without `group_concat`, `SEP` in values replaced."""
    causes = conn.execute(
        "SELECT cause_id, coalesce(mode, ''), is_trigger != 0 FROM causes WHERE incident_id = ? ORDER BY cause_id",
        [iid],
    ).fetchall()
    links = conn.execute(
        "SELECT cause_id, pos, because_id FROM cause_links WHERE incident_id = ? ORDER BY cause_id, because_id", [iid]
    ).fetchall()
    if causes:
        rows.causes[iid] = _pack([str(x) for cid, _mode, trigger in causes for x in (cid, trigger)])
        rows.modes[iid] = _pack([mode for _cid, mode, _trigger in causes])
    if links:
        rows.links[iid] = _pack([str(x) for row in links for x in row])
    if rows.codes is not None:
        codes = _codes_of(conn, iid)
        if codes:
            rows.codes[iid] = _pack(codes)


def unpack_causes(packed: str) -> tuple[list[str], int]:
    """A `ChainRows.causes` text: cause ids, and the trigger's position (-1 without one; the last
    flagged cause when several are, as a graph keeps the last)."""
    if not packed:
        return [], -1
    parts = packed.split(SEP)
    return parts[0::2], "".join(parts[1::2]).rfind("1")


def unpack_modes(packed: str) -> list[str]:
    """A `ChainRows.modes` text as the causes' modes ("" for none); call it only for an incident with causes."""
    return packed.split(SEP)


def unpack_links(packed: str) -> list[tuple[str, str]]:
    """A `ChainRows.links` text as (cause id, named cause id) in the written order: by cause id, then position."""
    if not packed:
        return []
    parts = packed.split(SEP)
    triples = sorted(zip(parts[0::3], map(int, parts[1::3]), parts[2::3], strict=True), key=lambda t: t[:2])
    return [(c, b) for c, _pos, b in triples]


def unpack_codes(packed: str) -> list[str]:
    """A `ChainRows.codes` text as its codes."""
    return packed.split(SEP) if packed else []


def _pack(values: list[str]) -> str:
    return SEP.join(v.replace(SEP, "\ufffd") for v in values)


def _codes_of(conn: sqlite3.Connection, iid: str) -> list[str]:
    return [c for (c,) in conn.execute("SELECT code FROM classifications WHERE incident_id = ? ORDER BY code", [iid])]


def _incident_filter(
    conn: sqlite3.Connection, project: str | None, incident: str | None, start: date | None, end: date | None
) -> tuple[str, list[str]]:
    if incident is not None:
        if conn.execute("SELECT 1 FROM incidents WHERE id = ?", [incident]).fetchone() is None:
            raise NotFound(f"no incident {incident!r}", where="incident")
        return "id = ?", [incident]
    # `+`: not through the duplicate_of index, which nearly every row matches (a plain scan, or the
    # window's started_at index, is faster)
    parts, params = ["+duplicate_of IS NULL"], []
    if project is not None:
        if conn.execute("SELECT 1 FROM projects WHERE slug = ?", [project]).fetchone() is None:
            raise NotFound(f"no project {project!r}", where="project")
        parts.append("project = ?")
        params.append(project)
    clause, wparams = window_sql(start, end)
    if clause:
        parts.append(clause)
        params.extend(wparams)
    return " AND ".join(parts), params
