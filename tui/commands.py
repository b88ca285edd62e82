"""The command palette provider: every action of the UI, found by fuzzy name (ctrl+p)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, action string run on the app); screen-specific actions use `screen.` prefixes
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Portfolio", "Every project with verdict, incidents and usage", "app.home"),
    ("Log quiet shutdown", "Record a feature flag that switched a model off", "app.quick_log"),
    ("New incident", "Open the incident editor on a blank postmortem", "app.new_incident"),
    ("Search incidents", "Full-text search over incidents, causes and actions", "app.search"),
    ("Taxonomy browser", "Failure modes by category, with sources and incidents", "app.taxonomy"),
    ("Causal graph", "Root causes and keystone failure modes across the portfolio", "app.graph"),
    ("Quarterly review", "Summary, scorecard, patterns, decisions and export", "app.review"),
    ("Help", "Keys and screens", "app.help"),
    ("Toggle light/dark theme", "Switch between the light and dark theme", "app.toggle_theme"),
    ("Quit", "Leave kb", "app.quit"),
)


class KBCommands(Provider):
    """Each hit runs the same action as its key, so the palette and the keymap never disagree."""

    async def _run(self, action: str) -> None:
        await self.app.run_action(action)

    async def discover(self) -> Hits:
        for title, help_text, action in ACTIONS:
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in ACTIONS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), text=title, help=help_text)
