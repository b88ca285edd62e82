"""Editing one incident from a terminal: the whole document as YAML text, or one cause, action or link.

`kb incident edit ID` round-trips the incident through text (the `kubectl edit` convention: the face
opens $EDITOR, this module validates what comes back); scripts append one item at a time. Every
successful call is one transaction and one change-log entry; a failed one writes nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kb.errors import KBError, validation_message
from kb.models import Action, Cause, Incident, Link
from kb.ops.base import Service

if TYPE_CHECKING:
    from collections.abc import Iterator


__all__ = ["EDIT_HEADER", "EditService", "strip_header"]

EDIT_HEADER = (
    "# Edit the incident below and save to apply it; close without saving to cancel.\n"
    "# Lines starting with '#' are ignored, and an empty file cancels the edit.\n"
    "# The id cannot change. Nothing is written until the document is valid.\n"
)
_ERROR_PREFIX = "# ERROR: "


def strip_header(text: str) -> str:
    """The document without kb's comment block at the top (instructions and the last error)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


def with_error(text: str, error: str) -> str:
    """The user's text back with the error on top, so they fix it where they left it."""
    body = strip_header(text)
    flat = " ".join(error.split())
    return f"{_ERROR_PREFIX}{flat}\n#\n{EDIT_HEADER}{body}"


class EditService(Service):
    """Editing an incident piece by piece, or as a YAML document; every method is one transaction."""

    def incident_as_yaml(self, incident_id: str) -> str:
        """The incident as the YAML document `kb export` writes, with the editing instructions on top."""
        from kb.store import repo
        from kb.yamldoc import document, to_yaml

        inc = repo.require_incident(self.db, incident_id)
        return EDIT_HEADER + to_yaml(document(inc))

    def save_incident_yaml(self, incident_id: str, text: str, source: str = "edited incident") -> tuple[Incident, bool]:
        """Validate an edited document and store it; (incident, changed). KBError (one line) when it is wrong."""
        from kb.store import repo
        from kb.yamldoc import Bundle, parse_document, parse_text

        data, node = parse_text(text, source)
        if data is None:
            raise KBError("the document is empty", source)
        if not isinstance(data, dict) or "projects" in data or "incidents" in data or data.get("kind") == "project":
            raise KBError("expected one incident (a mapping with title and project)", source)
        bundle = Bundle()
        parse_document(data, node, source, bundle)
        inc = bundle.incidents[0][0]
        if inc.id is None:
            inc = inc.model_copy(update={"id": incident_id})
        if inc.id != incident_id:
            raise KBError(f"an incident's id cannot change (ids are permanent): keep id: {incident_id}", source)
        with self.transaction():
            current = repo.require_incident(self.db, incident_id)
            self.session.check_codes(inc, source)
            result = repo.put_incident(self.db, inc, self.actor)
        return (inc if result != "unchanged" else current), result != "unchanged"

    # --- one item at a time, for scripts ---------------------------------------------------------

    def _append(self, incident_id: str, field: str, item: dict[str, Any]) -> Incident:
        from kb.store import repo

        with self.transaction():
            current = repo.require_incident(self.db, incident_id)
            data = current.model_dump(mode="python", by_alias=True, exclude_none=True)
            data[field] = [*data.get(field, []), item]
            try:
                updated = Incident.model_validate(data)
            except ValidationError as exc:
                raise KBError(validation_message(exc), incident_id) from None
            self.session.check_codes(updated, incident_id)
            repo.put_incident(self.db, updated, self.actor)
        return updated

    def add_cause(self, incident_id: str, cause: dict[str, Any]) -> Cause:
        """Append a cause; without an id it gets the next free `cN`. Returns the stored cause."""
        from kb.store import repo

        if not cause.get("id"):
            taken = {c.id for c in repo.require_incident(self.db, incident_id).causes}
            cause = {**cause, "id": next(f"c{n}" for n in _count(1) if f"c{n}" not in taken)}
        _item(Cause, cause, "cause")
        updated = self._append(incident_id, "causes", cause)
        return next(c for c in updated.causes if c.id == cause["id"])

    def add_action(self, incident_id: str, action: dict[str, Any]) -> Action:
        _item(Action, action, "action")
        return self._append(incident_id, "actions", action).actions[-1]

    def add_link(self, incident_id: str, link: dict[str, Any]) -> Link:
        checked = _item(Link, link, "link")
        if not (checked.url or checked.document):
            raise KBError("a link needs a url or a document title", "link")
        if checked.url and not re.match(r"^https?://\S+$", checked.url):
            raise KBError(f"{checked.url[:60]!r} is not an http(s) address", "link.url")
        return self._append(incident_id, "links", link).links[-1]


def _item(model: type[Cause] | type[Action] | type[Link], data: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KBError(validation_message(exc), what) from None


def _count(start: int) -> Iterator[int]:
    n = start
    while True:
        yield n
        n += 1
