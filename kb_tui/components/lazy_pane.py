"""A tab pane whose content is composed the first time it is shown, not when its screen opens.

The incident editor's six tabs hold about 220 widgets; composing (and styling) all of them before
the first field can take the cursor is most of what ctrl+n cost. A screen's hidden tabs wait until
they are activated (`KBScreen` builds them on `TabbedContent.TabActivated`, or on request through
`KBScreen.show_tab`), so code that reads their widgets must ask `built` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import TabPane

from kb_tui.components.forms import CompactOnCompose


class LazyPane(CompactOnCompose, TabPane):
    def __init__(self, title: str, content: Callable[[], ComposeResult], *, id: str) -> None:
        super().__init__(title, id=id)
        self._content = content
        self._wanted = False
        self._mounting: asyncio.Task[None] | None = None

    def compose(self) -> ComposeResult:
        if self._wanted:
            yield from self._content()

    @property
    def built(self) -> bool:
        return self._mounting is not None and self._mounting.done()

    async def build(self) -> bool:
        """Compose the content, once; True for the call that started it. Every caller returns with the
        content mounted (two callers at once share the one build)."""
        first = self._mounting is None
        if self._mounting is None:
            self._wanted = True
            self._mounting = asyncio.create_task(self.recompose())
        await self._mounting
        return first
