"""kb's footer is one widget drawing what Textual's compact Footer drew with a widget per key: the same
line, cell for cell (text, colours, weight, dimmed keys), in the themes a user picks, at both widths,
with the mouse over each key; its tooltips; a click presses the key; a disabled key only rings."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input

from kb_tui.components.footer import KBFooter

SCREENS = Binding.Group("screens")


class Keys(Screen[None]):
    BINDINGS = [  # noqa: RUF012 (Textual's own annotation)
        Binding("ctrl+s", "press('sort')", "Sort"),
        Binding("f9", "press('new')", "New project", tooltip="Add a project"),
        Binding("f3", "press('search')", "Search", group=SCREENS),
        Binding("f4", "press('taxonomy')", "Taxonomy", group=SCREENS),
        Binding("f8", "press('mode')", "Mode"),
        Binding("ctrl+o", "press('hidden')", "Hidden", show=False),
    ]

    def __init__(self, footer: Widget) -> None:
        super().__init__()
        self.footer = footer
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input()
        yield self.footer

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if parameters == ("mode",) else True  # f8: shown, dimmed, not run

    def action_press(self, what: str) -> None:
        self.pressed.append(what)


class KeysApp(App[None]):
    CSS_PATH = "../kb_tui/kb.tcss"
    # what kb.tcss asked of Textual's Footer when kb used it: a group's keys one space apart, then
    # the group's name (`f3 f4 f5 f6 f7 screens`), and no palette key under 100 columns
    CSS = """
    Footer KeyGroup FooterKey.-grouped { margin: 0 1 0 0; }
    Footer FooterLabel { margin: 0 1 0 0; }
    Screen.-narrow Footer FooterKey.-command-palette { display: none; }
    """
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (as kb_tui.app.KBApp)

    def __init__(self, footer: Widget, theme: str) -> None:
        super().__init__()
        self.keys = Keys(footer)
        self.chosen_theme = theme

    def on_mount(self) -> None:
        self.theme = self.chosen_theme
        self.push_screen(self.keys)


def cells(app: App[Any]) -> list[tuple[str, Any]]:
    """The bottom line as (character, style) per cell; meta (Textual's offsets for selection) aside."""
    line = app.screen._compositor.render_strips()[-1]
    return [(ch, seg.style.clear_meta_and_links() if seg.style else None) for seg in line for ch in seg.text]


async def drawn(footer: Widget, theme: str, width: int, mouse_at: int | None) -> list[tuple[str, Any]]:
    app = KeysApp(footer, theme)
    async with app.run_test(size=(width, 6)) as pilot:
        await pilot.pause()
        if mouse_at is not None:
            await pilot.hover(offset=(mouse_at, 5))
        await pilot.pause()
        return cells(app)


# at 120 columns: ^s Sort · f9 New project · f3 f4 screens · f8 Mode, and ▏^p palette at the right edge
@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "nord", "gruvbox", "solarized-light"])
@pytest.mark.parametrize(
    ("width", "mouse_at"), [(120, None), (80, None), (120, 1), (120, 10), (120, 24), (120, 40), (120, 112)]
)
def test_the_footer_line_is_textuals_footer_line(theme: str, width: int, mouse_at: int | None) -> None:
    async def flow() -> None:
        ours = await drawn(KBFooter(), theme, width, mouse_at)
        theirs = await drawn(Footer(compact=True), theme, width, mouse_at)
        assert ours == theirs

    asyncio.run(flow())


def test_the_footer_line_as_text() -> None:
    """Written out by hand: the keys in order, one space apart, the group's keys then its name, the
    palette's key behind a bar at the right edge (120 columns) or left out (80)."""

    async def flow() -> None:
        wide = "".join(ch for ch, _ in await drawn(KBFooter(), "textual-dark", 120, None))
        assert wide.startswith("^s Sort f9 New project f3 f4 screens f8 Mode ")
        assert wide.endswith(" ▏^p palette ")
        narrow = "".join(ch for ch, _ in await drawn(KBFooter(), "textual-dark", 80, None))
        assert narrow == "^s Sort f9 New project f3 f4 screens f8 Mode".ljust(80)

    asyncio.run(flow())


def test_a_key_under_the_mouse_shows_its_tooltip_and_a_click_presses_it() -> None:
    async def flow() -> None:
        footer = KBFooter()
        app = KeysApp(footer, "textual-dark")
        async with app.run_test(size=(120, 6)) as pilot:
            await pilot.pause()
            await pilot.hover(offset=(10, 5))  # f9 New project
            assert footer.tooltip == "Add a project"
            await pilot.hover(offset=(24, 5))  # f3, a key of a group: its own description
            assert footer.tooltip == "Search"
            await pilot.hover(offset=(31, 5))  # "screens", the group's name: no key
            assert footer.tooltip is None
            await pilot.click(offset=(1, 5))  # ^s Sort
            await pilot.click(offset=(27, 5))  # f4
            await pilot.click(offset=(31, 5))  # the group's name: nothing
            await pilot.click(offset=(40, 5))  # f8 Mode, disabled: only the bell
            await pilot.pause()
            assert app.keys.pressed == ["sort", "taxonomy"]

    asyncio.run(flow())


def test_the_footer_follows_the_keys_of_the_focused_widget() -> None:
    """A key bound on the focused widget appears while it has the focus, and goes with it."""

    class Focusable(Input):
        BINDINGS = [Binding("ctrl+e", "noop", "Edit")]  # noqa: RUF012

        def action_noop(self) -> None:
            pass

    class Two(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Input(id="plain")
            yield Focusable(id="editing")
            yield KBFooter()

    class TwoApp(App[None]):
        def on_mount(self) -> None:
            self.push_screen(Two())

    async def flow() -> None:
        app = TwoApp()
        async with app.run_test(size=(80, 6)) as pilot:
            await pilot.pause()
            footer = app.screen.query_one(KBFooter)
            app.screen.query_one("#editing").focus()
            await pilot.pause()
            assert "^e Edit" in "".join(ch for ch, _ in cells(app))
            assert [e.description for e in footer.entries if not e.palette] == ["Edit"]
            app.screen.query_one("#plain").focus()
            await pilot.pause()
            assert "^e" not in "".join(ch for ch, _ in cells(app))

    asyncio.run(flow())


@pytest.mark.parametrize("width", [1, 9, 30, 100])
def test_a_footer_too_narrow_for_its_keys_is_cut_at_the_edge(width: int) -> None:
    """The line is exactly as wide as the terminal, the first keys first (at 100 columns and more the
    palette's key keeps the right edge)."""

    async def flow() -> None:
        line = "".join(ch for ch, _ in await drawn(KBFooter(), "textual-dark", width, None))
        assert len(line) == width
        if width < 100:  # the app's -narrow breakpoint: no palette key
            assert line == "^s Sort f9 New project f3 f4 screens f8 Mode ".ljust(200)[:width]
        else:
            assert line.startswith("^s Sort f9 New project") and line.endswith(" ▏^p palette ")

    asyncio.run(flow())
