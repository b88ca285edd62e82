"""Writing files the way kb promises everywhere: atomically (a temp file in the same directory,
then a rename, so a reader never sees half a file and a failure leaves no 0-byte file), private
(0600 files, 0700 directories, whatever the umask), and a file-system error is one line naming
the path and the problem, never a traceback."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from kb.errors import KBError

_PROBLEMS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EISDIR: "it is a directory",
    errno.EEXIST: "it already exists",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be larger than this system allows",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "no such file or directory",
    errno.ENAMETOOLONG: "the name is too long",
}


def fs_error(exc: OSError, path: str | os.PathLike[str], doing: str = "write") -> KBError:
    """One line for an OSError: what kb could not do, where, and why in plain words."""
    why = _PROBLEMS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
    return KBError(f"cannot {doing} here: {why}", str(path))


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` and any missing parents, each 0700 (Path.mkdir gives parents 0777 & ~umask)."""
    target = Path(path).expanduser()
    missing: list[Path] = []
    p = target
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    try:
        if p.exists() and not p.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(p))
        for d in reversed(missing):
            os.mkdir(d, 0o700)
            os.chmod(d, 0o700)  # the umask may have taken bits away, never adds them: make it exact
    except FileExistsError:
        if not target.is_dir():
            raise fs_error(NotADirectoryError(errno.ENOTDIR, "not a directory"), target, "create a directory") from None
    except OSError as exc:
        raise fs_error(exc, target, "create a directory") from None
    return target


def atomic_write(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> Path:
    """Write `data` to `path` all at once: temp file, fsync, mode 0600, rename. With
    `overwrite=False` an existing file is refused (the rename is a link, which cannot replace)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise fs_error(IsADirectoryError(errno.EISDIR, "is a directory"), target)
    if not target.parent.is_dir():
        why = errno.ENOTDIR if target.parent.exists() or _blocked(target.parent) else errno.ENOENT
        raise fs_error(OSError(why, os.strerror(why)), target.parent)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kb-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)
            os.unlink(tmp)
        tmp = None
    except OSError as exc:
        raise fs_error(exc, target) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _blocked(p: Path) -> bool:
    """True when some ancestor of `p` exists and is not a directory."""
    return any(a.exists() and not a.is_dir() for a in p.parents)
