"""Opening a screen with each widget styled once: the mixin every kb screen and dialog starts from.

Textual works a widget's CSS out when the widget is mounted, then again for the whole screen whenever
a class of the screen changes. Opening a form paid that whole-screen pass three more times, for
nothing that changes what it shows (profiled on ctrl+n: about half of the UI thread's time):

- compact style set after mounting (`CompactOnCompose` sets it before);
- the width breakpoint (`-narrow` / `-wide`, App.HORIZONTAL_BREAKPOINTS), which Textual adds on the
  screen's first Resize, after everything is mounted: here it is set before anything is;
- the screen's first ScreenResume, which restyles every widget just styled on mounting. Later
  resumes (coming back to a screen, where a theme may have changed meanwhile) still do;
- the screen's first Resize, the echo of its own first layout, which laid out and painted the
  screen (and a dialog's screens beneath) a second time at the same size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kb_tui.components.forms import CompactOnCompose

if TYPE_CHECKING:
    from textual import events


class StyledOnce(CompactOnCompose):
    """Mix in before the Screen class: `class X(StyledOnce, ModalScreen[...])`."""

    _resumed = False

    async def _on_compose(self, event: events.Compose) -> None:
        """Runs before Widget's own handler, which composes and mounts the children (Textual calls
        each class's handler in turn, subclass first: this one must not call it again)."""
        self.update_classes(_breakpoint_classes(self), update=False)  # type: ignore[attr-defined]

    _echo_seen = False

    async def _on_resize(self, event: events.Resize) -> None:
        """Runs before Screen's own handler. A new screen's first Resize is the echo of its own first
        layout: Screen's handler would lay out and paint it again at the size it was just laid out
        for (and, under a dialog, the screens beneath too). Any other Resize is handled as usual."""
        if self._echo_seen:
            return
        self._echo_seen = True
        app: Any = self.app  # type: ignore[attr-defined]
        screens = [self, *app._background_screens]
        if all(getattr(getattr(s, "_compositor", None), "size", None) == event.size for s in screens):
            event.prevent_default()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Runs before Screen's own handler (Textual calls each class's, subclass first)."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False  # every widget was styled as it was mounted, just now


def _breakpoint_classes(screen: Any) -> dict[str, bool]:
    """The classes Screen._on_resize would set for the app's current size."""
    app = screen.app
    out: dict[str, bool] = {}
    for own, default, size in (
        (screen.HORIZONTAL_BREAKPOINTS, app.HORIZONTAL_BREAKPOINTS, app.size.width),
        (screen.VERTICAL_BREAKPOINTS, app.VERTICAL_BREAKPOINTS, app.size.height),
    ):
        points = (default if own is None else own) or []
        for _, name in points:
            out[name] = False
        for point, name in sorted(points, reverse=True):
            if size >= point:
                out[name] = True
                break
    return out
