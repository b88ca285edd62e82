"""The `kb` command's entry point: `kb --help` from a copy of click's own output, everything else to kb.cli.

`kb --help` is the call a new user makes first and a script makes most, and importing click alone
costs about 90 ms on a 2-core laptop's Python, three times the interpreter's own start. So the help
click printed is kept in the user cache directory (KB_CACHE_DIR, else the XDG cache directory on
Linux; elsewhere there is no copy and click answers every time), under a name made of what its
layout depends on: kb's version, the program name and the width click formats for. The copy also
lists the files its text came from (kb/cli.py, the common options, click's formatter and core, and
whether kb_tui is installed beside kb) with their sizes and modification times, as Python's own
bytecode cache does; if any differs, click answers and the copy is written again.

This module imports only os and sys: it runs before everything else.
"""

from __future__ import annotations

import os
import sys

HELP_ARGS = (["--help"], ["-h"])
_SEP = "\x1e"  # between the list of sources and the text


def main() -> None:
    if sys.argv[1:] in HELP_ARGS:
        path = help_cache_path()
        if path is not None and _serve(path):
            return
        _help(path)
        return
    from kb.cli import main as cli

    cli()


def help_cache_path() -> str | None:
    """Where `kb --help` is kept for this version, program name and width (None: no cache here)."""
    from kb import __version__

    root = os.environ.get("KB_CACHE_DIR")
    if root:
        root = os.path.expanduser(root)
    elif sys.platform.startswith("linux"):
        root = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kb")
    else:
        return None
    name = f"{__version__}|{sys.argv[0]}|{os.environ.get('COLUMNS', '')}|{_terminal_columns()}"
    return os.path.join(root, "help", f"{_digest(name)}.txt")


def _terminal_columns() -> str:
    try:
        return str(os.get_terminal_size(sys.__stdout__.fileno()).columns)  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return ""


def _digest(text: str) -> str:
    """A short stable name for `text` (FNV-1a, 64 bits): hashlib's import alone would cost more than it saves."""
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}\tmissing"
    return f"{path}\t{st.st_size}\t{st.st_mtime_ns}"


def _serve(path: str) -> bool:
    """Print the kept help if every file it came from is as it was; False otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            kept = f.read()
    except (OSError, ValueError):
        return False
    sources, sep, text = kept.partition(_SEP)
    if not sep or not text or any(_stamp(line.split("\t", 1)[0]) != line for line in sources.splitlines()):
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def _sources() -> list[str]:
    import click
    import click.formatting

    import kb.cli
    import kb.commands._common

    kb_dir = os.path.dirname(os.path.abspath(kb.cli.__file__))
    files = [kb.cli.__file__, kb.commands._common.__file__, click.formatting.__file__, click.core.__file__]
    files.append(os.path.join(os.path.dirname(kb_dir), "kb_tui", "__init__.py"))  # `tui` and `demo` listed or not
    return [_stamp(os.path.abspath(f)) for f in files if f]


def _help(path: str | None) -> None:
    """Let click print the help, and keep what it printed when it exits cleanly."""
    import io

    from kb.cli import main as cli

    buffer = io.StringIO()
    stdout, sys.stdout = sys.stdout, buffer
    try:
        code = cli.main(standalone_mode=False)
    finally:
        sys.stdout = stdout
    text = buffer.getvalue()
    sys.stdout.write(text)
    sys.stdout.flush()
    if code not in (None, 0) or not text:
        raise SystemExit(code)
    if path is not None:
        _keep(path, "\n".join(_sources()) + "\n" + _SEP + text)


def _keep(path: str, content: str) -> None:
    """Write atomically; a cache that cannot be written only costs the next call click's import."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(tmp, path)
    except OSError:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)
