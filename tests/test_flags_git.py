"""`kb flags import-git` on a repository the test builds: an OpenFeature flagd file edited by several people."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kb.service import KB

pytestmark = [
    pytest.mark.git,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs the git program, which is not installed"),
]

ALICE = ("Alice Chen", "alice@example.com")
BOB = ("Bob Okafor", "bob@example.com")
CAROL = ("Carol Ng", "carol@example.com")
DANA = ("Dana Lee", "dana@example.com")
C, F, X = "churn-model-enabled", "fraud-scorer-on", "checkout-theme"
ONOFF = {"on": True, "off": False}


def _flag(state: str, default: str, variants: dict[str, Any] = ONOFF, targeting: Any = None) -> dict[str, Any]:
    flag: dict[str, Any] = {"state": state, "variants": variants, "defaultVariant": default}
    if targeting is not None:
        flag["targeting"] = targeting
    return flag


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, who: tuple[str, str] = ALICE, when: str = "2026-01-01T00:00:00+00:00") -> str:
        env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": who[0],
            "GIT_AUTHOR_EMAIL": who[1],
            "GIT_COMMITTER_NAME": who[0],
            "GIT_COMMITTER_EMAIL": who[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        done = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True)
        return done.stdout

    def commit(self, files: dict[str, Any], message: str, who: tuple[str, str], when: str) -> str:
        for name, content in files.items():
            path = self.root / name
            if content is None:
                path.unlink()
                self.git("rm", "-q", name)
                continue
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            path.write_text(text, encoding="utf-8")
            self.git("add", name)
        self.git("commit", "-q", "-m", message, who=who, when=when)
        return self.git("rev-parse", "HEAD").strip()


def _history(tmp_path: Path) -> tuple[Repo, list[str]]:
    repo = Repo(tmp_path / "flags-repo")
    v1 = {"flags": {C: _flag("ENABLED", "on"), F: _flag("ENABLED", "on")}}
    v2 = {
        "flags": {
            C: _flag("ENABLED", "on", targeting={"if": [{"in": ["@corp", {"var": "email"}]}, "off", None]}),
            F: _flag("ENABLED", "on"),
        }
    }
    v3 = json.loads(json.dumps(v2))
    v3["flags"][F]["state"] = "DISABLED"
    v4 = json.loads(json.dumps(v3))
    v4["flags"][C]["defaultVariant"] = "off"
    v5 = json.loads(json.dumps(v4))
    v5["flags"][F]["state"] = "ENABLED"
    v5["flags"][X] = _flag("ENABLED", "blue", {"blue": "#00f", "green": "#0f0"})
    v6 = json.loads(json.dumps(v5))
    v6["flags"][X]["defaultVariant"] = "green"
    v7 = json.loads(json.dumps(v6))
    del v7["flags"][F]
    shas = [
        repo.commit({"flags.json": v1}, "Add churn and fraud flags", ALICE, "2026-01-05T09:00:00+00:00"),
        repo.commit({"flags.json": v2}, "Keep churn off for staff", BOB, "2026-02-01T10:00:00+01:00"),
        repo.commit({"README.md": "flags live here\n"}, "Say what this repo is", BOB, "2026-02-02T10:00:00+00:00"),
        repo.commit(
            {"flags.json": v3},
            "Pause fraud scorer\n\nVendor migration, see OPS-12.",
            CAROL,
            "2026-03-02T08:15:00+00:00",
        ),
        repo.commit({"flags.json": v4}, "Serve the fallback for churn", DANA, "2026-04-28T18:42:00+02:00"),
        repo.commit({"flags.json": v5}, "Resume fraud; add checkout theme", BOB, "2026-05-01T09:30:00+00:00"),
        repo.commit({"flags.json": v6}, "Green checkout", ALICE, "2026-05-10T12:00:00+00:00"),
        repo.commit({"flags.json": v7}, "Retire the fraud flag", CAROL, "2026-06-01T08:00:00+00:00"),
    ]
    return repo, shas


def test_each_change_of_state_or_default_variant_is_one_event(tmp_path: Path, run: Any, db_path: Path) -> None:
    repo, shas = _history(tmp_path)
    out = json.loads(run.ok("flags", "import-git", str(repo.root), "--path", "flags.json", "--json").stdout)
    assert (out["read"], out["added"], out["duplicates"]) == (8, 8, 0)
    with KB(db_path) as kb:
        got = [
            (
                e.flag_key,
                e.action,
                e.state_from,
                e.state_to,
                e.at.isoformat(),
                e.actor,
                e.comment,
                e.detail,
                e.event_key,
            )
            for e in kb.flag_events()
        ]
    key = [f"git:{sha}:flags.json#" for sha in shas]
    assert got == [
        (
            C,
            "created",
            None,
            None,
            "2026-01-05T09:00:00+00:00",
            "Alice Chen",
            "Add churn and fraud flags",
            "state ENABLED",
            key[0] + C,
        ),
        (
            F,
            "created",
            None,
            None,
            "2026-01-05T09:00:00+00:00",
            "Alice Chen",
            "Add churn and fraud flags",
            "state ENABLED",
            key[0] + F,
        ),
        # the targeting edit (shas[1]) and the README commit (shas[2]) make no events
        (
            F,
            "disabled",
            "on",
            "off",
            "2026-03-02T08:15:00+00:00",
            "Carol Ng",
            "Pause fraud scorer\n\nVendor migration, see OPS-12.",
            "state ENABLED → DISABLED",
            key[3] + F,
        ),
        # a boolean flag left ENABLED whose default variant becomes false serves the model to nobody
        (
            C,
            "disabled",
            "on",
            "off",
            "2026-04-28T16:42:00+00:00",
            "Dana Lee",
            "Serve the fallback for churn",
            "default variant on → off; the flag itself stayed ENABLED",
            key[4] + C,
        ),
        (
            X,
            "created",
            None,
            None,
            "2026-05-01T09:30:00+00:00",
            "Bob Okafor",
            "Resume fraud; add checkout theme",
            "state ENABLED",
            key[5] + X,
        ),
        (
            F,
            "enabled",
            "off",
            "on",
            "2026-05-01T09:30:00+00:00",
            "Bob Okafor",
            "Resume fraud; add checkout theme",
            "state DISABLED → ENABLED",
            key[5] + F,
        ),
        (
            X,
            "updated",
            None,
            None,
            "2026-05-10T12:00:00+00:00",
            "Alice Chen",
            "Green checkout",
            "default variant blue → green",
            key[6] + X,
        ),
        (
            F,
            "deleted",
            None,
            "off",
            "2026-06-01T08:00:00+00:00",
            "Carol Ng",
            "Retire the fraud flag",
            "removed from the file",
            key[7] + F,
        ),
    ]
    # what was served for everyone targeting does not reach, when the default variant moved
    with KB(db_path) as kb:
        moved = {(e.flag_key, str(e.serving_from), str(e.serving_to)) for e in kb.flag_events() if e.serving_to}
    assert moved == {(C, "{'true': 1.0}", "{'false': 1.0}"), (X, "{'\"#00f\"': 1.0}", "{'\"#0f0\"': 1.0}")}
    # running it again adds nothing
    again = json.loads(run.ok("flags", "import-git", str(repo.root), "--path", "flags.json", "--json").stdout)
    assert (again["read"], again["added"], again["duplicates"]) == (8, 0, 8)


def test_the_environment_given_is_the_events_environment(tmp_path: Path, run: Any, db_path: Path) -> None:
    repo, _ = _history(tmp_path)
    run.ok("flags", "import-git", str(repo.root), "--path", "flags.json", "--env", "production")
    with KB(db_path) as kb:
        assert {e.environment for e in kb.flag_events()} == {"production"}


def test_a_broken_version_names_its_commit_and_nothing_is_written(tmp_path: Path, run: Any, db_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit({"flags.json": {"flags": {C: _flag("ENABLED", "on")}}}, "add", ALICE, "2026-01-05T09:00:00+00:00")
    bad = repo.commit({"flags.json": '{"flags": {"x": '}, "oops", BOB, "2026-01-06T09:00:00+00:00")
    res = run.fails("flags", "import-git", str(repo.root), "--path", "flags.json")
    assert f"flags.json at commit {bad[:12]}: not valid JSON (Expecting value, line 1)" in res.stderr
    state = repo.commit(
        {"flags.json": {"flags": {C: {"state": "OFF", "variants": ONOFF}}}}, "x", BOB, "2026-01-07T09:00:00+00:00"
    )
    res = run.fails("flags", "import-git", str(repo.root), "--path", "flags.json")
    assert f"commit {bad[:12]}" in res.stderr  # the first bad version is the one named
    assert state != bad
    with KB(db_path) as kb:
        assert kb.flag_events() == []


def test_a_path_no_commit_touches_and_a_directory_that_is_no_repository(
    tmp_path: Path, run: Any, db_path: Path
) -> None:
    repo, _ = _history(tmp_path)
    res = run.fails("flags", "import-git", str(repo.root), "--path", "flagd/missing.json")
    assert "no commit on this branch touches flagd/missing.json" in res.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    res = run.fails("flags", "import-git", str(plain), "--path", "flags.json")
    assert "git log failed: fatal: not a git repository" in res.stderr
