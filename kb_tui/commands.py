"""The command palette (ctrl+p): every action and every object, found by fuzzy name.

Three kinds of hit: the app's actions (the same action strings as their keys, so the palette and
the keymap never disagree); the current screen's own commands, read from its live bindings; and
objects: "Open project X", "Log shutdown of X", "Decide on X in the review" for every project, and
"Open incident ID" for an id typed in full or incidents whose text matches. Objects are read in a
thread (stdlib sqlite3 for projects), so the palette never blocks typing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, action string run on the app)
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Portfolio", "Every project with verdict, incidents and usage", "app.home"),
    ("Log quiet shutdown", "Record a feature flag that switched a model off (F2)", "app.quick_log"),
    ("New incident", "Open the incident editor on a blank postmortem (ctrl+n)", "app.new_incident"),
    ("New project", "Create a project: slug, name, stage, owner, flags", "app.new_project"),
    ("Search incidents", "Full-text search over incidents, causes and actions (F3)", "app.search"),
    ("Taxonomy browser", "Failure modes by category, with sources and incidents (F4)", "app.taxonomy"),
    ("Causal graph", "Root causes and keystone failure modes across the portfolio (F5)", "app.graph"),
    ("Quarterly review", "Summary, scorecard, patterns, decisions and export (F6)", "app.review"),
    ("Review: record a decision", "The review's Decide tab", "app.review_do('decide_tab')"),
    ("Review: freeze", "Store the review as it stands, with its decisions", "app.review_do('freeze')"),
    ("Review: export", "Markdown, HTML or JSON to a file", "app.review_do('export_tab')"),
    ("Review: diff with the previous quarter", "What changed between two reviews", "app.review_do('diff_tab')"),
    ("Help", "Keys and screens (F1)", "app.help"),
    ("Toggle light/dark theme", "Switch between the light and dark theme (ctrl+t)", "app.toggle_theme"),
    ("Quit", "Leave kb (asks first about unsaved changes)", "app.quit"),
)
OBJECT_LIMIT = 8  # incidents found by text, per query


def _project_rows(db_path: Any) -> list[Any]:
    from kb.portfolio import first_rows

    got = first_rows(db_path)
    if got is None:
        from kb_tui.backend import session

        with session(db_path) as kb:
            return list(kb.project_rows())
    return list(got[0])


def _incidents(db_path: Any, query: str) -> list[tuple[str, str]]:
    """(id, title) of the incident whose id is typed in full, then incidents whose text matches."""
    from kb.errors import NotFound
    from kb.models import INCIDENT_ID_RE
    from kb_tui.backend import session

    out: list[tuple[str, str]] = []
    with session(db_path) as kb:
        wanted = query.strip().upper()
        if INCIDENT_ID_RE.match(wanted):
            try:
                inc = kb.get_incident(wanted)
                out.append((inc.id or wanted, inc.title))
            except NotFound:  # not there: nothing to offer (anything else is logged by the caller)
                pass
        if len(query.strip()) >= 3:
            hits = kb.search(query, limit=OBJECT_LIMIT)  # quoted for FTS: any text is a query
            out += [(h.id, h.title) for h in hits if h.id not in {i for i, _ in out}]
    return out


class KBCommands(Provider):
    """Each hit runs an action string, like a key does."""

    projects: Sequence[Any] = ()  # the portfolio's rows, read by `startup` off the UI thread

    async def startup(self) -> None:
        app: Any = self.app
        try:
            self.projects = await asyncio.to_thread(_project_rows, app.db_path)
        except Exception:  # the palette still offers actions when the database cannot be read
            import logging

            logging.getLogger("kb.tui").exception("command palette: reading projects")
            self.projects = []

    async def _run(self, action: str) -> None:
        await self.app.run_action(action)

    async def _run_on_screen(self, screen: Any, action: str) -> None:
        await screen.run_action(action)

    def _commands(self) -> list[tuple[str, str, Any]]:
        """(title, help, callback) of everything the palette can do from the current screen."""
        out: list[tuple[str, str, Any]] = [(t, h, partial(self._run, a)) for t, h, a in ACTIONS]
        screen = self.screen
        seen = {t for t, _, _ in out}
        for binding in _screen_bindings(screen):
            title = f"{type(screen).__name__.removesuffix('Screen')}: {binding.description}"
            if binding.description and title not in seen:
                seen.add(title)
                key = binding.key_display or binding.key
                out.append((title, f"on this screen ({key})", partial(self._run_on_screen, screen, binding.action)))
        for row in self.projects:
            slug = row.slug
            name = f" ({row.name})" if row.name else ""
            out.append(
                (f"Open project {slug}", f"{row.stage}{name}", partial(self._run, f"app.open_project({slug!r})"))
            )
            out.append(
                (f"Log shutdown of {slug}", "F2 for this project", partial(self._run, f"app.quick_log({slug!r})"))
            )
            out.append(
                (
                    f"Decide on {slug} in the review",
                    "continue, fix, pause or retire",
                    partial(self._run, f"app.review_do('decide_tab', {slug!r})"),
                )
            )
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            if title.startswith(("Log shutdown of", "Decide on")):
                continue  # one line per project is enough before typing
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
        app: Any = self.app
        try:
            found = await asyncio.to_thread(_incidents, app.db_path, query)
        except Exception:
            import logging

            logging.getLogger("kb.tui").exception("command palette: finding incidents")
            return
        for incident_id, title in found:
            text = f"Open incident {incident_id}"
            score = max(matcher.match(text), 0.5)
            yield Hit(
                score,
                matcher.highlight(text),
                partial(self._run, f"app.open_incident({incident_id!r})"),
                text=text,
                help=title,
            )


def _screen_bindings(screen: Any) -> list[Binding]:
    """The bindings of the screen's own class tree that have an id and a description."""
    out: list[Binding] = []
    for cls in type(screen).__mro__:
        for b in cls.__dict__.get("BINDINGS", []):
            if isinstance(b, Binding) and b.id and b.description and b.action not in ("back",):
                out.append(b)
    return out
