"""Flags kept as code: walk an OpenFeature flagd file's git history and turn its changes into flag events.

A flagd file is `{"flags": {"<key>": {"state": "ENABLED"|"DISABLED", "variants": {...},
"defaultVariant": "...", "targeting": {...}}}}`. A disabled flag serves the application's code
default; an enabled one serves its default variant unless targeting picks another. So for a
flag with boolean variants, switching the default variant to a `false` one while the state stays
ENABLED switches the model off for everyone targeting does not reach: kb records that as a
disable and says how. Targeting edits alone are not events.

The history read is the first-parent line of the current branch (`git log --first-parent`): the
states the branch actually went through, each at the time its commit landed (committer date), by
its author, with the commit message as the comment and what changed as the detail (with what
was served before and after when the default variant changed). `git` runs with a fixed argument
list and no shell; the file's versions come from one `git cat-file --batch`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import KBError
from kb.silent.events import STATE_AFTER, FlagEvent, Serving, json_value
from kb.timeutil import instant

SOURCE = "git"
STATES = ("ENABLED", "DISABLED")
_FIELD, _RECORD = "\x1f", "\x1e"
TIMEOUT_S = 600


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    email: str
    at: str  # committer date, ISO 8601
    message: str


@dataclass(frozen=True)
class FlagState:
    state: str
    default: str | None
    value: Any  # the default variant's value (None without a default variant)
    serving: bool  # does the flag serve a truthy default to everyone targeting does not reach?
    boolean: bool  # is the default variant's value a boolean (so serving says model on/off)?

    def served(self) -> Serving | None:
        """What an ENABLED flag serves everyone targeting does not reach, as kb's Serving."""
        return {json_value(self.value): 1.0} if self.state == "ENABLED" and self.default is not None else None


def _git(repo: Path, *args: str, stdin: str | None = None) -> str:
    argv = ["git", "-C", str(repo), "-c", "core.quotepath=off", *args]
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT_S,
            check=False,
            env={**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        raise KBError("the git program is not installed (kb flags import-git runs it)", "git") from None
    except subprocess.TimeoutExpired:
        raise KBError(f"git {args[0]} took longer than {TIMEOUT_S} s", str(repo)) from None
    if done.returncode != 0:
        first = next((ln for ln in done.stderr.splitlines() if ln.strip()), f"exit status {done.returncode}")
        raise KBError(f"git {args[0]} failed: {first.strip()}", str(repo))
    return done.stdout


def commits(repo: Path, path: str) -> list[Commit]:
    """The commits that changed `path` on the first-parent line, oldest first."""
    fmt = _FIELD.join(("%H", "%an", "%ae", "%cI", "%B")) + _RECORD
    out = _git(repo, "log", "--first-parent", "--reverse", f"--format={fmt}", "--", path)
    found = []
    for chunk in out.split(_RECORD):
        chunk = chunk.lstrip("\n")
        if not chunk:
            continue
        sha, author, email, at, message = chunk.split(_FIELD, 4)
        found.append(Commit(sha, author.strip(), email.strip(), at.strip(), message.strip()))
    return found


def versions(repo: Path, path: str, shas: list[str]) -> Iterator[str | None]:
    """The file's text at each commit (None where the commit deleted it), from one `git cat-file --batch`."""
    if not shas:
        return
    raw = _cat_file(repo, "".join(f"{sha}:{path}\n" for sha in shas))
    pos = 0
    for _sha in shas:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].decode("utf-8", "replace")
        pos = end + 1
        if header.endswith(" missing"):
            yield None
            continue
        size = int(header.rsplit(" ", 1)[1])
        yield raw[pos : pos + size].decode("utf-8", "replace")
        pos += size + 1


def _cat_file(repo: Path, requests: str) -> bytes:
    argv = ["git", "-C", str(repo), "cat-file", "--batch"]
    try:
        done = subprocess.run(argv, input=requests.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise KBError("the git program is not installed (kb flags import-git runs it)", "git") from None
    if done.returncode != 0:
        raise KBError(f"git cat-file failed: {done.stderr.decode('utf-8', 'replace').strip()}", str(repo))
    return done.stdout


def parse_flags(text: str, where: str) -> dict[str, FlagState]:
    """Each flag's state in one version of a flagd file; a bad file is one error naming the commit and flag."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KBError(f"not valid JSON ({exc.msg}, line {exc.lineno})", where) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("flags"), dict):
        raise KBError('not a flagd file: expected {"flags": {...}} at the top', where)
    out: dict[str, FlagState] = {}
    for key, flag in doc["flags"].items():
        here = f"flags.{key}"
        if not isinstance(flag, dict):
            raise KBError(f"{here}: expected an object", where)
        state = flag.get("state")
        if state not in STATES:
            raise KBError(f"{here}.state: {state!r} is not ENABLED or DISABLED", where)
        variants = flag.get("variants")
        if not isinstance(variants, dict) or not variants:
            raise KBError(f"{here}.variants: expected a non-empty object", where)
        default = flag.get("defaultVariant")
        if default is not None and (not isinstance(default, str) or default not in variants):
            raise KBError(f"{here}.defaultVariant: {default!r} is not one of the variants", where)
        value = variants.get(default) if default is not None else None
        boolean = isinstance(value, bool)
        serving = state == "ENABLED" and (value if boolean else True)
        out[key] = FlagState(state, default, value, bool(serving), boolean)
    return out


def _change(prev: FlagState, cur: FlagState) -> tuple[str, str | None, str | None, str] | None:
    """(action, state_from, state_to, how) for one flag between two versions, or None if nothing that counts."""
    variant = (
        f"default variant {prev.default or '(none)'} → {cur.default or '(none)'}" if prev.default != cur.default else ""
    )
    if prev.state != cur.state:
        how = f"state {prev.state} → {cur.state}" + (f", {variant}" if variant else "")
        if cur.state == "DISABLED":
            return "disabled", "on" if prev.serving else "off", "off", how
        return "enabled", "off", "on" if cur.serving else "off", how
    if not variant:
        return None
    if cur.state == "ENABLED" and prev.boolean and cur.boolean and prev.serving != cur.serving:
        how = f"{variant}; the flag itself stayed ENABLED"
        return ("disabled", "on", "off", how) if not cur.serving else ("enabled", "off", "on", how)
    return "updated", None, None, variant


def history(repo: str | os.PathLike[str], path: str, environment: str = "") -> Iterator[FlagEvent]:
    """Every change of state or default variant in the file's history, oldest first."""
    root = Path(repo).expanduser()
    if not root.is_dir():
        raise KBError("not a directory", str(root))
    if not path or "\n" in path or path.startswith("-"):
        raise KBError(f"{path!r} is not a file path inside the repository", "--path")
    found = commits(root, path)
    if not found:
        raise KBError(f"no commit on this branch touches {path}", str(root))
    before: dict[str, FlagState] = {}
    for commit, text in zip(found, versions(root, path, [c.sha for c in found]), strict=True):
        where = f"{path} at commit {commit.sha[:12]}"
        after = {} if text is None else parse_flags(text, where)
        at = instant(commit.at)
        assert at is not None  # git always prints %cI
        for key in sorted(before.keys() | after.keys()):
            prev, cur = before.get(key), after.get(key)
            if prev is None and cur is not None:
                change: tuple[str, str | None, str | None, str] | None = ("created", None, None, f"state {cur.state}")
            elif cur is None:
                change = ("deleted", *STATE_AFTER["deleted"], "removed from the file")
            else:
                assert prev is not None
                change = _change(prev, cur)
            if change is None:
                continue
            action, state_from, state_to, how = change
            variant_changed = prev is not None and cur is not None and prev.default != cur.default
            yield FlagEvent(
                event_key=f"{SOURCE}:{commit.sha}:{path}#{key}",
                source=SOURCE,
                flag_key=key,
                environment=environment,
                action=action,  # type: ignore[arg-type]
                state_from=state_from,
                state_to=state_to,
                at=at,
                actor=commit.author or commit.email,
                comment=commit.message,
                serving_from=prev.served() if variant_changed and prev is not None else None,
                serving_to=cur.served() if variant_changed and cur is not None else None,
                detail=how,
                raw=_raw(commit, path, key, how),
            )
        before = after


def _raw(commit: Commit, path: str, key: str, how: str) -> dict[str, Any]:
    return {"commit": commit.sha, "path": path, "flag": key, "author_email": commit.email, "change": how}
