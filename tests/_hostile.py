"""Shared by the hostile-input tests: run one kb command on arbitrary input and hold it to the rules.

The rules: exit 0 or 1, never a traceback; a failure says what is wrong on stderr; and a failure
leaves the database file byte-for-byte as it was (hashed after a WAL checkpoint, WAL included).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from kb.cli import main


def db_digest(db: Path) -> str:
    """A hash of the database file and its WAL, after folding every committed page into the file."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    h = hashlib.sha256(db.read_bytes())
    wal = Path(str(db) + "-wal")
    if wal.exists():
        h.update(wal.read_bytes())
    return h.hexdigest()


def run_hostile(db: Path, *args: str, input: str | None = None) -> Result:
    """Run `kb --db DB ARGS`; assert the rules; return the result for further checks."""
    before = db_digest(db)
    result = CliRunner().invoke(main, ["--db", str(db), *args], input=input)
    assert result.exit_code in (0, 1), f"exit {result.exit_code}: {result.output}\n{result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), lines
        assert db_digest(db) == before, f"a failed `kb {' '.join(args)}` changed the database"
    return result
