"""Effective exposure: is the model actually served in an environment, whatever the toggle says?

A flag can stay on while serving the model to nobody: its default (fallthrough) variation
switched to the "off" value, a percentage rollout cut to 0%, the only strategy removed. kb keeps,
per flag and environment, the toggle and what the environment serves when the toggle is on
(variation value -> share of traffic, from kb.silent.events). The model is served when the toggle
is not off and the share of the "model on" variations is above the floor (`exposure_floor`).

Which variations mean "model on" is set per project flag (`[flags.on_variations]`); a boolean
flag's `true` is the default. A flag whose variations are not booleans and has no such setting
has an unknown exposure, which counts as served: kb never guesses a multivariate flag off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.silent.config import SilentConfig
    from kb.silent.detector import FlagFact

BOOLEAN = frozenset({"true", "false"})
DEFAULT_ON = frozenset({"true"})


@dataclass(frozen=True, slots=True)
class State:
    toggle: bool | None  # None: not known yet
    serving: dict[str, float] | None  # what the environment serves when the toggle is on; None: not known


UNKNOWN = State(None, None)


@dataclass(frozen=True, slots=True)
class Step:
    """What one change did to the model's exposure in its environment."""

    known: bool  # the state after the change is known (a toggle or a serving was seen)
    served: bool  # the model is served after the change (unknown counts as served)
    shut_down: bool  # served before, served to nobody after
    how: str  # "disabled", "archived", or the serving change in words ("rollout cut from 100% to 0%")
    stayed_on: bool  # the toggle stayed on: the model was switched off by what the flag serves


def apply(state: State, e: FlagFact) -> State:
    """The state after a change. A change that turns the toggle off tells what is served while off
    (an off variation), which says nothing of what the flag serves when on, so it is not kept."""
    toggle = True if e.state_to == "on" else False if e.state_to == "off" else state.toggle
    serving = e.serving_to if e.serving_to is not None and e.state_to != "off" else state.serving
    return State(toggle, serving)


def on_values(project: str, flag: str, cfg: SilentConfig) -> frozenset[str] | None:
    """The variations (as JSON text) that mean "model on" for a project's flag; None: the default."""
    table = cfg.flags.on_variations
    value = table.get(f"{project}/{flag}", table.get(flag))
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return frozenset(json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for v in values)


def share(serving: dict[str, float] | None, on: frozenset[str] | None) -> float | None:
    """The share of traffic served a "model on" variation; None when it cannot be told."""
    if serving is None:
        return None
    if on is None:
        if not set(serving) <= BOOLEAN:
            return None  # a multivariate flag nobody said which variation is the model
        on = DEFAULT_ON
    return sum(v for k, v in serving.items() if k in on)


def served(state: State, on: frozenset[str] | None, floor: float) -> bool:
    if state.toggle is False:
        return False
    x = share(state.serving, on)
    return x is None or x > floor


def step(before: State, after: State, e: FlagFact, on: frozenset[str] | None, floor: float) -> Step:
    was, now = served(before, on, floor), served(after, on, floor)
    known = after.toggle is not None or share(after.serving, on) is not None
    if e.state_to == "off" or after.toggle is False:
        how, stayed_on = e.action, False
    else:
        x = share(after.serving, on)
        how, stayed_on = e.detail or (f"served to {x:.0%} of traffic" if x is not None else "changed"), True
    return Step(known=known, served=now, shut_down=was and not now, how=how, stayed_on=stayed_on)


def walk(changes: list[FlagFact], project: str, cfg: SilentConfig) -> list[Step]:
    """One Step per change (in the order given, which must be time order), per flag and environment."""
    floor = cfg.flags.exposure_floor
    now: dict[tuple[str, str], State] = {}
    ons: dict[str, Any] = {}
    out = []
    for e in changes:
        key = (e.flag_key, e.environment)
        before = now.get(key, UNKNOWN)
        after = apply(before, e)
        now[key] = after
        if e.flag_key not in ons:
            ons[e.flag_key] = on_values(project, e.flag_key, cfg)
        out.append(step(before, after, e, ons[e.flag_key], floor))
    return out
