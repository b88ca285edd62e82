"""The kb terminal UI: an App that wires screens, global keys, themes and the command palette.

The app holds no database handle: screens start thread workers that open their own `KB`
(kb_tui.backend.session) and post results back as messages. Screens are imported when first shown,
and nothing here imports kb.service: the portfolio's first rows come from the stdlib-only
`kb.portfolio`, and its second pass (the full service, pydantic, sqlite-utils, numpy: ~0.8 s of
imports, then the detector) runs in a child process started with the app (kb_tui.second_pass), on
another core, so it never holds this process's GIL while Textual starts or a key is pressed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from kb_tui import css_cache
from kb_tui.commands import KBCommands
from kb_tui.frozen import freeze_once, hold_collector, release_collector
from kb_tui.second_pass import start_portfolio

if TYPE_CHECKING:
    from textual.screen import Screen

DARK, LIGHT = "textual-dark", "textual-light"
COLLECTOR_HELD_AT_MOST_S = 5.0  # kb_tui.frozen: if the portfolio's rows never come
# F3 search, F4 taxonomy, F5 graph, F6 review, F7 home: one footer entry, `f3 f4 f5 f6 f7 screens`
SCREENS = Binding.Group("screens")


class KBApp(App[None]):
    """`db_path` is the knowledge base file; `as_of` pins "today" (tests and snapshots use it)."""

    CSS_PATH = "kb.tcss"
    TITLE = "kb"
    SUB_TITLE = "postmortems for ML projects"
    COMMANDS = App.COMMANDS | {KBCommands}
    ENABLE_COMMAND_PALETTE = True
    # under 100 columns the footer drops its ctrl+p entry (F1's help names it) so every F-key shows
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (typed by textual.app.App)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help", priority=True),
        Binding("f2", "quick_log", "Log", id="app.quick_log", priority=True, tooltip="Log a quiet shutdown"),
        # the screens share one footer entry, so 80 columns show them all
        Binding("f3", "search", "Search", id="app.search", priority=True, group=SCREENS),
        Binding("f4", "taxonomy", "Taxonomy", id="app.taxonomy", priority=True, group=SCREENS),
        Binding("f5", "graph", "Graph", id="app.graph", priority=True, group=SCREENS),
        Binding("f6", "review", "Review", id="app.review", priority=True, group=SCREENS),
        Binding("f7", "home", "Portfolio", id="app.home", priority=True, group=SCREENS),
        # works everywhere; the footer shows it where it is the next thing to do (portfolio, project)
        Binding("ctrl+n", "new_incident", "New incident", id="app.new_incident", show=False),
        Binding("ctrl+t", "toggle_theme", "Theme", id="app.toggle_theme", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
    ]

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        actor: str | None = None,
        as_of: date | None = None,
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        cursor_blink: bool | None = None,
    ) -> None:
        hold_collector()  # until the portfolio's first frame, unless `kb tui` already did (kb_tui.frozen)
        freeze_once("ui")  # Textual and the app's modules (kb_tui.frozen)
        super().__init__()
        css_cache.install(self)  # Textual's parsed CSS, kept between runs (kb_tui.css_cache)
        self.db_path = Path(db_path) if db_path is not None else None
        self.actor = actor
        self.as_of = as_of
        start_portfolio(self.db_path, as_of)
        self._initial_theme = theme
        self._initial_keymap = keymap or {}
        self.cursor_blink = cursor_blink

    def on_unmount(self) -> None:
        from kb_tui import second_pass

        release_collector()  # if the portfolio never drew its rows
        second_pass.stop_all()
        css_cache.save(self)  # what was parsed this time and not kept yet

    def get_default_screen(self) -> Screen[Any]:
        """The portfolio is the first screen, the bottom of the stack (F7 and escape come back to it),
        styled once with the user's theme: pushed over Textual's empty default screen, it cost the
        first frame another screen's mounting, styling and switch (about 12 ms)."""
        from kb_tui.screens.portfolio import PortfolioScreen

        self._apply_settings()  # the theme first: set later, it would restyle the portfolio
        return PortfolioScreen()

    def _apply_settings(self) -> None:
        from kb_tui.settings import load_settings

        settings = load_settings()
        self.theme = self._initial_theme or settings.theme
        if self.cursor_blink is None:
            self.cursor_blink = settings.cursor_blink
        keymap = {**settings.keymap, **self._initial_keymap}
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        from kb_tui.workers import install_log_file

        install_log_file()  # a failing worker's traceback goes to <user state dir>/kb-tui.log
        self.set_timer(COLLECTOR_HELD_AT_MOST_S, release_collector)  # if the portfolio's rows never come

    def on_portfolio_verdicts(self) -> None:
        """The portfolio is complete (its verdicts bubble up here): the forms' first-use costs are paid
        now, while it is read, not on their keys (kb_tui.components.warm_up)."""
        from kb_tui.components import warm_up

        warm_up.start(self)

    def today(self) -> date:
        """The app's notion of today: pinned by `as_of`, else the system date."""
        if self.as_of is not None:
            return self.as_of
        from kb.timeutil import now_utc

        return now_utc().date()

    # --- navigation ----------------------------------------------------------------------------

    def _show(self, screen: Any) -> None:
        """Open a screen once: a second press of its key does not stack another copy."""
        if type(self.screen) is type(screen) or self._in_modal():
            return
        self.push_screen(screen)

    def _in_modal(self) -> bool:
        from textual.screen import ModalScreen

        return isinstance(self.screen, ModalScreen)

    def action_help(self) -> None:
        from kb_tui.screens.help import HelpScreen

        self._show(HelpScreen())

    def action_quick_log(self, project: str | None = None, flag: str | None = None, at: str | None = None) -> None:
        from kb_tui.screens.quick_log import QuickLogScreen

        if isinstance(self.screen, QuickLogScreen) or self._in_modal():
            return
        self.push_screen(QuickLogScreen(project=project, flag=flag, at=at))

    def action_search(self) -> None:
        from kb_tui.screens.search import SearchScreen

        self._show(SearchScreen())

    def action_taxonomy(self, code: str | None = None) -> None:
        from kb_tui.screens.taxonomy import TaxonomyScreen

        self._show(TaxonomyScreen(code=code))

    def action_graph(self, incident_id: str | None = None) -> None:
        from kb_tui.screens.graph import GraphScreen

        self._show(GraphScreen(incident_id=incident_id))

    def action_review(self) -> None:
        from kb_tui.screens.review import ReviewScreen

        self._show(ReviewScreen())

    def action_review_do(self, action: str, *args: str) -> None:
        """Open the review (unless it is showing) and run one of its actions: the palette's way in."""
        from kb_tui.screens.review import ReviewScreen

        if self._in_modal():
            return
        if isinstance(self.screen, ReviewScreen):
            self.screen.do(action, *args)
        else:
            self.push_screen(ReviewScreen(start=(action, args)))

    def action_home(self) -> None:
        """Back to the portfolio: unwind every screen above it (editors still ask about unsaved work)."""
        if self._in_modal():
            return
        while len(self.screen_stack) > 1:  # the portfolio is the first screen
            top: Any = self.screen
            if getattr(top, "dirty", False):
                top.action_back()  # it asks whether to save or discard; the user decides
                return
            self.pop_screen()

    def action_new_incident(self, project: str | None = None) -> None:
        from kb_tui.screens.incident import IncidentScreen

        self.push_screen(IncidentScreen(incident_id=None, project=project))

    def action_open_incident(self, incident_id: str) -> None:
        from kb_tui.screens.incident import IncidentScreen

        self.push_screen(IncidentScreen(incident_id=incident_id))

    def action_new_project(self, slug: str = "") -> None:
        """The new-project form; the project opens once it is created."""
        from kb_tui.screens.project_form import ProjectFormScreen

        if self._in_modal():
            return

        def created(new: str | None) -> None:
            if new:
                self.action_open_project(new)

        self.push_screen(ProjectFormScreen(slug), created)

    def action_open_project(self, slug: str) -> None:
        from kb_tui.screens.project import ProjectScreen

        self.push_screen(ProjectScreen(slug))

    async def action_quit(self) -> None:
        """Quit, but first ask about each screen holding unsaved changes (save, discard, stay)."""
        dirty = [s for s in self.screen_stack if getattr(s, "dirty", False)]
        if not dirty:
            self.exit()
            return
        from kb_tui.screens.confirm import ConfirmScreen

        top: Any = dirty[-1]
        what = getattr(top, "unsaved_what", "This screen")

        def answer(choice: str | None) -> None:
            if choice == "discard":
                self.exit()
            elif choice == "save":
                top.save_before_leaving(lambda: self.call_later(self.action_quit))

        self.push_screen(
            ConfirmScreen(f"{what} has unsaved changes. Quit anyway?", discard="Quit without saving"), answer
        )

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK
