"""kb.parallel: a part runs in a forked child when that is safe, and a failed child never changes the answer."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from kb import parallel
from kb.models import Incident
from kb.parallel import Part, can_fork
from kb.service import KB


def test_a_forked_part_runs_in_another_process() -> None:
    part = Part(os.getpid, fork=True)
    assert part.forked
    assert part.result() != os.getpid()


def test_an_unforked_part_runs_here_when_asked() -> None:
    part = Part(os.getpid, fork=False)
    assert part.result() == os.getpid()


def test_an_error_in_the_child_is_raised_by_the_serial_rerun() -> None:
    runs: list[int] = []

    def boom() -> None:
        runs.append(os.getpid())  # the child's append is lost with the child
        raise ValueError("no such quarter")

    part = Part(boom, fork=True)
    with pytest.raises(ValueError, match="no such quarter"):
        part.result()
    assert runs == [os.getpid()]  # run once more, here


def test_a_child_that_dies_is_replaced_by_a_run_here() -> None:
    parent = os.getpid()

    def dies_in_child() -> str:
        if os.getpid() != parent:
            os._exit(3)
        return "computed here"

    assert Part(dies_in_child, fork=True).result() == "computed here"


def test_an_unpicklable_result_is_computed_here() -> None:
    parent = os.getpid()

    def lock_in_child() -> Any:
        return threading.Lock() if os.getpid() != parent else "computed here"

    assert Part(lock_in_child, fork=True).result() == "computed here"


class _Big:
    """Stands for a large structure a part builds (weakly referable, so its freeing can be seen)."""


def _kept_after_return() -> bool:
    import weakref

    big = _Big()
    seen = weakref.ref(big)
    parallel.leave_to_exit(big)
    del big
    return seen() is not None


def test_a_forked_child_keeps_what_it_leaves_to_its_exit_and_the_parent_frees_it() -> None:
    assert Part(_kept_after_return, fork=True).result() is True  # kept by the child until os._exit
    assert Part(_kept_after_return, fork=False).result() is False  # freed here as usual
    assert parallel._kept == []  # nothing held in this process


def test_cancel_stops_a_child_that_would_never_finish() -> None:
    read_end, write_end = os.pipe()  # nothing is ever written: the child blocks reading
    try:
        part = Part(lambda: os.read(read_end, 1), fork=True)
        part.cancel()
        assert part._proc.exitcode is not None  # ended (terminated), not left running
    finally:
        os.close(read_end)
        os.close(write_end)


def test_can_fork_follows_the_switch_and_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel.sys, "platform", "linux")
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.delenv("KB_PARALLEL", raising=False)
    assert can_fork()
    monkeypatch.setenv("KB_PARALLEL", "0")
    assert not can_fork()
    monkeypatch.setenv("KB_PARALLEL", "1")
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not can_fork()  # another thread could hold a lock the child would inherit
    finally:
        release.set()
        other.join()
    assert can_fork()
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    assert not can_fork()
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel.sys, "platform", "darwin")
    assert not can_fork()


def _dump(kb: KB, quarter: str, parallel: bool) -> dict[str, Any]:
    return kb.review(quarter, live=True, parallel=parallel).model_dump(exclude={"generated_at"})


def test_a_forked_review_equals_a_serial_one(tmp_path: Path) -> None:
    with KB(tmp_path / "kb.sqlite", actor="t") as kb:
        kb.seed()
        kb.freeze_review("2026Q2")  # one quarter with a frozen predecessor, one without
        for quarter in ("2026Q3", "2026Q2"):
            serial = _dump(kb, quarter, parallel=False)
            assert serial["scorecard"] and serial["patterns"]["root_causes"]
            assert _dump(kb, quarter, parallel=True) == serial


# every fork this process makes, as the operating system's fork hook reports it (os.register_at_fork)
_FORKED: list[int] = []
os.register_at_fork(after_in_parent=lambda: _FORKED.append(1))


@pytest.fixture
def forks() -> list[int]:
    """The forks made during the test: children started by this process from here on."""
    del _FORKED[:]
    return _FORKED


def test_a_review_inside_a_transaction_never_forks(tmp_path: Path, forks: list[int]) -> None:
    """A child could not see the transaction's own rows: the review stays in this process."""
    with KB(tmp_path / "kb.sqlite", actor="t") as kb:
        kb.seed()
        del forks[:]  # the seeding's own children, if any
        outside = kb.review("2026Q3", live=True, parallel=True)
        assert len(forks) == 1  # the silent-failure part (whose child forks the previous quarter's scan)
        slug = outside.scorecard[0].slug
        with kb.transaction():
            kb.add_incident(Incident(project=slug, title="written inside the transaction", started_at="2026-08-03"))
            inside = kb.review("2026Q3", live=True, parallel=True)
        assert len(forks) == 1
        # the review saw the transaction's own, uncommitted incident
        assert inside.summary.incidents_opened == outside.summary.incidents_opened + 1
        cards = {c.slug: c.incidents for c in inside.scorecard}
        assert cards[slug] == {c.slug: c.incidents for c in outside.scorecard}[slug] + 1


def test_an_in_memory_database_never_forks(forks: list[int]) -> None:
    """A second connection to ':memory:' would be a different, empty database."""
    with KB(":memory:", actor="t") as kb:
        kb.seed()
        r = kb.review("2026Q3", live=True, parallel=True)
    assert forks == []
    assert sum(c.incidents for c in r.scorecard) > 0


def test_a_part_may_start_a_part_of_its_own() -> None:
    """The review's silent-failure part, in a child, forks the previous quarter's scan."""
    parent = os.getpid()

    def outer() -> tuple[int, bool, int]:
        inner = Part(os.getpid, fork=True)
        return os.getpid(), inner.forked, inner.result()

    child, forked, grandchild = Part(outer, fork=True).result()
    assert forked
    assert len({parent, child, grandchild}) == 3  # each part ran in a process of its own
