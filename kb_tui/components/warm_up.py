"""The forms' first-use costs, paid while the user reads the portfolio instead of on their key.

The first ctrl+n, F2 or F9 of a session waited for things that are the same every time: the
service (pydantic, sqlite-utils: ~0.7 s of CPU, imported by the form's worker on a thread that then
shared the GIL with the form being built), the shipped taxonomy and the database's first opening,
and the modules of the forms and of their Textual widgets. `start` (called once the portfolio has
its verdicts) does them in that order:

- the service, one session and the taxonomy on a worker thread, as a form's own worker would (kb
  never imports textual or kb_tui, so no import lock is shared with what the UI thread imports);
- the form modules on the UI thread, one module per step with a pause between steps, so a key
  pressed meanwhile waits for one import at most (importing kb_tui modules on a thread could meet
  the UI thread importing the same screens in the other order: a deadlock Python breaks by raising).

Failures are logged, never shown: a warm-up that fails costs only the time it would have saved.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger("kb.tui")

FORMS = ("kb_tui.screens.incident", "kb_tui.screens.quick_log", "kb_tui.screens.project_form")
STEP_PAUSE_S = 0.05


def start(app: Any) -> None:
    """Warm up once per app."""
    if getattr(app, "_kb_warmed", False):
        return
    app._kb_warmed = True
    app.run_worker(lambda: _service(app), thread=True, group="warm-up", name="warm-up", exit_on_error=False)
    _import_next(app, list(FORMS))


def _service(app: Any) -> None:
    try:
        from kb_tui.backend import session

        with session(app.db_path, app.actor) as kb:
            kb.taxonomy  # noqa: B018 (read once: parsed and checked once per process)
    except Exception:
        log.warning("warm-up of the service failed (the first form opens slower)", exc_info=True)


def _import_next(app: Any, names: list[str]) -> None:
    if not names:
        return
    name = names.pop(0)

    def step() -> None:
        try:
            importlib.import_module(name)
        except Exception:
            log.warning("warm-up import of %s failed", name, exc_info=True)
        _import_next(app, names)

    app.set_timer(STEP_PAUSE_S, step, name="warm-up")
