"""Textual's parsed CSS kept between runs (kb_tui.css_cache): a second start parses nothing and gets the
rule sets Textual's own parser makes; an edited source, another theme or a damaged file is parsed again."""

from __future__ import annotations

import asyncio
import logging
import pickle
from pathlib import Path
from typing import Any, ClassVar

import pytest
import textual.css.stylesheet as textual_stylesheet
from textual.app import App, ComposeResult
from textual.css.stylesheet import Stylesheet
from textual.widgets import Input, Static

from kb.cachedir import cache_dir
from kb_tui import css_cache
from tests.snapshot_apps.common import make_app, settle


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each source Textual's parser is handed (its location), counted at Textual's own parse function."""
    seen: list[tuple[str, str]] = []
    parse = textual_stylesheet.parse

    def counted(scope: str, css: str, read_from: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(read_from)
        return parse(scope, css, read_from, *args, **kwargs)

    monkeypatch.setattr(textual_stylesheet, "parse", counted)
    return seen


def canon(rules: list[Any]) -> list[tuple[Any, ...]]:
    """Rule sets as comparable values: a parse makes new Layout objects, which compare by identity, so
    each style's value is compared by its repr (`<vertical>`, `Color(18, 18, 18)`, `Scalar(...)`)."""
    return [
        (
            repr(rule.selector_set),
            rule.is_default_rules,
            rule.tie_breaker,
            sorted(rule.selector_names),
            sorted(rule.pseudo_classes),
            sorted((name, repr(value)) for name, value in rule.styles.get_rules().items()),
            sorted(rule.styles.important),
            rule.errors,
        )
        for rule in rules
    ]


def textual_parse(app: App[Any]) -> list[tuple[Any, ...]]:
    """The rule sets Textual's own Stylesheet makes of the app's sources, with the app's variables."""
    plain = Stylesheet(variables=app.stylesheet._variables)
    for read_from, source in app.stylesheet.source.items():
        plain.add_source(source.content, read_from, source.is_defaults, source.tie_breaker, source.scope)
    plain.parse()
    return canon(plain.rules)


class Small(App[None]):
    CSS: ClassVar[str] = "Static { color: $primary; padding: 0 1; } #name:focus { border: tall $accent; }"

    def __init__(self) -> None:
        super().__init__()
        css_cache.install(self)

    def compose(self) -> ComposeResult:
        yield Static("hello")
        yield Input(id="name")

    def on_unmount(self) -> None:
        css_cache.save(self)


def run(app: App[Any]) -> list[tuple[Any, ...]]:
    async def flow() -> list[tuple[Any, ...]]:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            return canon(app.stylesheet.rules)

    return asyncio.run(flow())


def test_the_second_start_of_kb_parses_no_css_and_styles_as_textual_would(
    db_path: Path, parses: list[tuple[str, str]]
) -> None:
    async def start() -> tuple[list[tuple[Any, ...]], int, list[tuple[Any, ...]], str]:
        parses.clear()
        app = make_app(db_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            parsed = len(parses)  # before textual_parse's own
            counts = str(app.screen.query_one("#portfolio-counts").render())
            return canon(app.stylesheet.rules), parsed, textual_parse(app), counts

    first, parsed, _, _ = asyncio.run(start())
    assert parsed >= 10 and any(path.endswith("kb.tcss") for path, _ in parses[:parsed])
    assert len(list(cache_dir("tcss").glob("*.pickle"))) == 1
    second, parsed, textuals, counts = asyncio.run(start())
    assert parsed == 0
    assert second == first == textuals and len(second) > 50
    assert counts.startswith("0 projects")


def test_a_second_start_parses_nothing_and_an_edited_source_alone_is_parsed(parses: list[tuple[str, str]]) -> None:
    first = run(Small())
    assert "Small.CSS" in [name for _, name in parses] and "Input.DEFAULT_CSS" in [name for _, name in parses]
    parses.clear()
    app = Small()
    second = run(app)
    assert parses == []
    assert second == first == textual_parse(app)

    class Edited(Small):
        CSS: ClassVar[str] = "Static { color: $secondary; }"

    parses.clear()
    edited = Edited()
    rules = run(edited)
    # its own CSS, and App's DEFAULT_CSS: one class further from App, whose tie breaker is its depth
    assert sorted(name for _, name in parses) == ["App.DEFAULT_CSS", "Edited.CSS"]
    assert rules == textual_parse(edited) and rules != first
    parses.clear()
    run(Edited()), run(Small())  # both kept now, in the one file for this theme
    assert parses == []
    assert len(list(cache_dir("tcss").glob("*.pickle"))) == 1


def test_each_theme_has_its_own_file(parses: list[tuple[str, str]]) -> None:
    dark = Small()
    run(dark)
    light = Small()
    light.theme = "textual-light"
    parses.clear()
    rules = run(light)
    assert parses  # another theme's variables: parsed again, with them
    assert rules == textual_parse(light)
    assert len(list(cache_dir("tcss").glob("*.pickle"))) == 2


def test_a_damaged_file_is_logged_ignored_and_replaced(
    parses: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    run(Small())
    (kept,) = cache_dir("tcss").glob("*.pickle")
    whole = kept.read_bytes()
    for damage in (b"not a pickle", whole[:100], b"\x80\x05N.", pickle.dumps({"for": 1, "parsed": {}})):
        kept.write_bytes(damage)
        parses.clear()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="kb_tui.css_cache"):
            app = Small()
            rules = run(app)
        assert rules == textual_parse(app) and parses
        assert "ignoring the parsed CSS in" in caplog.text and str(kept) in caplog.text
        assert css_cache.read(kept, css_cache.fingerprint(app.stylesheet._variables))  # written whole again


def test_a_file_made_for_another_theme_or_textual_is_not_used(parses: list[tuple[str, str]]) -> None:
    """The file's name is a CRC of what the rules were made for; the file holds the whole of it, so a
    file whose name matches but which was made for something else is parsed over, not used."""
    app = Small()
    run(app)
    made_for = css_cache.fingerprint(app.stylesheet._variables)
    (kept,) = cache_dir("tcss").glob("*.pickle")
    assert kept == css_cache.cache_file(made_for)
    parsed = pickle.loads(kept.read_bytes())["parsed"]
    kept.write_bytes(pickle.dumps({"for": made_for + "\nanother=1", "parsed": parsed}))
    parses.clear()
    again = Small()
    rules = run(again)
    assert parses and rules == textual_parse(again)
    assert pickle.loads(kept.read_bytes())["for"] == made_for  # replaced by what this one parsed


def test_an_unwritable_cache_costs_only_a_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("KB_CACHE_DIR", str(blocker))
    with caplog.at_level(logging.WARNING, logger="kb_tui.css_cache"):
        first = run(Small())
        second = run(Small())
    assert first == second and parses.count(parses[0]) == 2
    assert "not keeping the parsed CSS" in caplog.text
