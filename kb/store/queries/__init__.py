"""kb's read path on the standard library's sqlite3: every query the read commands and the TUI's
first frame run, each returning small slotted dataclasses defined once here.

Nothing in this package imports sqlite-utils (and numpy with it) or pydantic, so `kb incident show`
starts like a terminal tool; `kb.service.KB` calls the same functions on its own connection
(`KB.db.conn`), so there is one definition of each query. Writes, migrations and FTS set-up stay on
sqlite-utils in `kb.store.db`, `kb.store.schema` and `kb.store.repo`.
"""
