"""The two sizes the suite runs at; `large` also runs `small` so it can report growth."""

from __future__ import annotations

from kb.synth import SynthSpec

SCALES: dict[str, SynthSpec] = {
    # the CI smoke run (tests/test_bench_smoke.py): every workload and consistency check, in seconds
    "smoke": SynthSpec(projects=40, incidents=1_000, periods=8, flag_events=400, seed=8),
    # the portfolio scaled by ten between them, so linear growth reads as about 10x
    "small": SynthSpec(projects=200, incidents=10_000, periods=12, flag_events=2_000, seed=8),
    "large": SynthSpec(projects=2_000, incidents=100_000, periods=12, flag_events=20_000, seed=8),
}

# repetitions per workload at each scale (the median is reported); imports at 100k take minutes each
REPS: dict[str, dict[str, int]] = {
    "smoke": {"import": 1, "search": 1, "silent": 1, "graph": 1, "keystones": 1, "recurring": 1, "review": 1, "tui": 1},
    "small": {
        "import": 2,
        "search": 1,
        "silent": 5,
        "graph": 5,
        "keystones": 5,
        "recurring": 5,
        "review": 5,
        "tui": 5,
        "cli": 5,
    },
    "large": {
        "import": 1,
        "search": 1,
        "silent": 3,
        "graph": 3,
        "keystones": 3,
        "recurring": 3,
        "review": 3,
        "tui": 5,
        "cli": 3,
    },
}
