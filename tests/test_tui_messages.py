"""The UI's messages are events: each equal only to itself (two posts of the same rows are two
events), and shown in logs with their fields, as a dataclass's repr would."""

from __future__ import annotations

from kb_tui.messages import Failed, PortfolioLoaded


def test_a_message_is_equal_only_to_itself_and_names_its_fields() -> None:
    first = PortfolioLoaded([], {"projects": 0})
    again = PortfolioLoaded([], {"projects": 0})
    assert first == first and first != again
    assert len({first, again}) == 2  # hashable: a message may be a key or in a set
    assert repr(Failed("no such project", "project", "load")) == (
        "Failed(error='no such project', where='project', worker='load')"
    )
    assert repr(first) == "PortfolioLoaded(rows=[], counts={'projects': 0}, stamp=())"
