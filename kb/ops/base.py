"""What every domain service shares: one open knowledge base (a `Session`), and the `Service` base reading it.

A service is constructed with the session and the other services it needs (kb.service.KB wires them),
so a dependency is a constructor argument, never a method found by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from kb.errors import KBError

if TYPE_CHECKING:
    from kb.models import Incident
    from kb.taxonomy import Taxonomy


class Session:
    """One open knowledge base file: its connection, who is acting, the loaded taxonomy.

    Owns one SQLite connection, which belongs to the thread that opened it.
    """

    def __init__(
        self,
        path: Path | str,
        actor: str,
        db: Database,
        taxonomy: Callable[[], Taxonomy] | None = None,
    ) -> None:
        self.path = path
        self.actor = actor
        self.db = db
        self._taxonomy = taxonomy  # who provides the taxonomy (kb.service.KB's), else it is loaded here

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None, actor: str | None, *, create: bool = True, migrate: bool = True
    ) -> Session:
        from kb import config
        from kb.store.db import open_db

        resolved = config.resolve_db_path(path)
        return cls(resolved, config.resolve_actor(actor), open_db(resolved, create=create, migrate=migrate))

    def close(self) -> None:
        self.db.close()

    def reopened(self) -> Session:
        """Another session on the same file with a connection of its own, sharing the loaded taxonomy.

        For a forked child (kb.parallel): an SQLite connection must never be used across a fork.
        The schema was checked when this session opened, so the new connection skips that.
        """
        from kb.store.db import connect

        return Session(self.path, self.actor, connect(self.path), self._taxonomy)

    @property
    def on_disk(self) -> bool:
        """False for an in-memory database, which no second connection can see."""
        return str(self.path) != ":memory:"

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All or nothing: the unit of work of one command (BEGIN IMMEDIATE, see kb.store.retry)."""
        from kb.store.retry import write_transaction

        with write_transaction(self.db):
            yield self.db

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            loaded = load_taxonomy_or_error()
            self._taxonomy = lambda: loaded
        return self._taxonomy()

    def require_code(self, code: str, where: str, prefix: str = "") -> str:
        """The current code for `code` (aliases followed), or an error suggesting the closest codes."""
        resolved = self.taxonomy.resolve(code)
        if resolved is None:
            raise KBError(f"{prefix}{self.taxonomy.unknown_code(code)}", where)
        return resolved

    def check_codes(self, inc: Incident, where: str = "") -> None:
        """Reject taxonomy codes that do not exist, suggesting the closest ones."""
        refs: list[tuple[str, str]] = [(f"modes[{n}].code", m.code) for n, m in enumerate(inc.modes)]
        refs += [(f"causes[{n}].mode", c.mode) for n, c in enumerate(inc.causes) if c.mode]
        for loc, code in refs:
            self.require_code(code, where or (inc.id or "incident"), prefix=f"{loc}: ")


def load_taxonomy_or_error() -> Taxonomy:
    from kb.taxonomy import load_taxonomy

    try:
        return load_taxonomy()
    except ValueError as exc:
        raise KBError(f"the taxonomy does not load: {exc}", "taxonomy") from None


class Service:
    """A domain service: reads the connection, the actor and the taxonomy through its session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def db(self) -> Database:
        return self.session.db

    @property
    def actor(self) -> str:
        return self.session.actor

    @property
    def taxonomy(self) -> Taxonomy:
        return self.session.taxonomy

    def transaction(self) -> AbstractContextManager[Database]:
        return self.session.transaction()
