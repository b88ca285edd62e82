"""The review is assembled one way; the runner passed in only decides where its parts run.

The JSON must be the same bytes with the serial runner and with parts in child processes, on the
seed database and on a synthetic portfolio (generated_at, the clock, is the only field left out).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kb.parallel import SERIAL, Pending, ProcessRunner, Reopenable, Runner, can_fork
from kb.service import KB
from kb.synth import SynthSpec, generate
from kb.synth.write import write_portfolio


class CountingProcesses(ProcessRunner):
    """A process runner that keeps the parts it started, to show they really ran in a child."""

    def __init__(self) -> None:
        self.parts: list[Any] = []

    def start(self, fn: Callable[[], Any]) -> Pending[Any]:
        part = super().start(fn)
        self.parts.append(part)
        return part

    def start_on(self, handle: Any, fn: Callable[[Any], Any]) -> Pending[Any]:
        part = super().start_on(handle, fn)
        self.parts.append(part)
        return part


def _json(path: Path, quarter: str, runner: Runner) -> str:
    with KB(path, actor="t", runner=runner) as kb:
        return kb.review(quarter, live=True).model_dump_json(exclude={"generated_at"})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "kb.sqlite"
    with KB(path, actor="t") as kb:
        kb.seed()
        kb.freeze_review("2026Q2")  # 2026Q3 follows a frozen quarter, 2026Q2 does not
    return path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    path = root / "kb.sqlite"
    with KB(path, actor="synth") as kb:
        write_portfolio(kb, generate(SynthSpec(projects=40, incidents=400, periods=4, flag_events=300, seed=5)), root)
    return path


@pytest.mark.skipif(not can_fork(), reason="child processes need fork on Linux with more than one core")
@pytest.mark.parametrize(("source", "quarter"), [("seeded", "2026Q3"), ("seeded", "2026Q2"), ("synthetic", "2026Q3")])
def test_the_review_json_is_the_same_bytes_with_either_runner(
    source: str, quarter: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(source)
    serial = _json(path, quarter, SERIAL)
    processes = CountingProcesses()
    parallel = _json(path, quarter, processes)
    assert parallel == serial
    assert '"scorecard":[{' in serial and '"root_causes":[{' in serial  # a review with content
    # the store-and-graph part ran in a child; so did the previous quarter's scan when it was not frozen
    assert processes.parts and all(p.forked for p in processes.parts)


def test_the_serial_runner_runs_a_part_here_when_asked() -> None:
    ran: list[int] = []
    part = SERIAL.start(lambda: ran.append(1) or 7)
    assert ran == []  # nothing runs before its result is asked for
    assert part.result() == 7 and ran == [1]


def test_a_part_on_a_handle_gets_its_own_connection_in_the_child(seeded: Path) -> None:
    import os

    parent = os.getpid()

    def where(handle: Reopenable) -> tuple[int, bool]:
        return os.getpid(), handle is original

    with KB(seeded, actor="t") as kb:
        original = kb.session
        pid, same = ProcessRunner().start_on(original, where).result()
        if can_fork():
            assert pid != parent and not same  # a reopened session, in another process
        here_pid, here_same = SERIAL.start_on(original, where).result()
        assert here_pid == parent and here_same


def test_a_serial_review_leaves_its_connection_as_it_was(seeded: Path) -> None:
    # the store's part and the silent-failure snapshot memory-map the file while they read
    # (kb.store.mapped); the caller's connection goes on with its own setting afterwards
    with KB(seeded, actor="t", runner=SERIAL) as kb:
        conn = kb.db.conn
        conn.execute("PRAGMA mmap_size = 4096")
        kb.review("2026Q3", live=True)
        assert conn.execute("PRAGMA mmap_size").fetchone()[0] == 4096
        assert not conn.in_transaction
        kb.silent_snapshots([date(2026, 9, 30)])
        assert conn.execute("PRAGMA mmap_size").fetchone()[0] == 4096


# run in a process of its own: the test runner's worker has threads (and other tests may freeze objects)
_GENERATIONS = """
import gc, sys
from kb.service import KB

def old(*objs):
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    return all(id(o) in oldest for o in objs)

with KB(sys.argv[1], actor="t") as kb:
    r = kb.review("2026Q3", live=True)
    print(old(r, r.scorecard, r.scorecard[0], r.scorecard[-1].signals), gc.isenabled(), gc.get_freeze_count())
    gc.freeze()  # as the TUI does after its imports (kb_tui.frozen): the first review with the rest
    again = kb.review("2026Q3", live=True)
    tracked = {id(o) for o in gc.get_objects()}  # every generation but the permanent one
    print(id(r) in tracked, id(r.scorecard) in tracked, again.scorecard == r.scorecard)
"""


def test_a_review_is_handed_to_the_oldest_generation_unless_something_is_frozen(seeded: Path) -> None:
    """A review's scorecards are long-lived results made while the collector was paused: they come back
    in the collector's oldest generation, so its next young collections do not walk them all; where
    something is frozen, it stays frozen."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", _GENERATIONS, str(seeded)], capture_output=True, text=True, env=env, check=True
    )
    settled, with_frozen = done.stdout.splitlines()
    assert settled == "True True 0"  # in the oldest generation, the collector on, nothing frozen
    assert with_frozen == "False False True"  # what was frozen stays frozen
