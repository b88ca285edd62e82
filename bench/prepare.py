"""Build (once, then reuse) the data a scale needs: the synthetic database and its `kb export`.

The cache key is the spec plus a hash of the generator's source, so a changed generator never
benchmarks stale data.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import kb.synth
from kb.service import KB
from kb.synth import SynthSpec, generate
from kb.synth.write import write_portfolio

CACHE = Path(os.environ.get("KB_BENCH_CACHE") or Path(tempfile.gettempdir()) / "kb-bench")

COMMON_WORDS = (
    "latency",
    "drift",
    "owner",
    "monitoring",
    "retraining",
    "vendor",
    "baseline",
    "overrides",
    "trust",
    "pipeline",
    "schema",
    "budget",
    "accuracy",
    "feedback",
    "rollback",
    "traffic",
    "threshold",
    "pilot",
    "compliance",
    "cost",
    "upstream",
    "seasonal",
    "label",
    "dashboard",
    "alerts",
)


def _key(spec: SynthSpec) -> str:
    h = hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode())
    for src in sorted(Path(kb.synth.__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()[:12]


def prepare(name: str, spec: SynthSpec, log: Callable[[str], None] = print) -> Path:
    """The data directory for a scale: kb.sqlite, export/, queries.json, spec.json."""
    root = CACHE / f"{name}-{_key(spec)}"
    if (root / "ready").exists():
        return root
    # build beside it and rename into place, so two runs preparing at once never share a half-built database
    work = root.with_name(f"{root.name}.building-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log(f"[{name}] generating {spec.incidents} incidents over {spec.projects} projects ...")
    portfolio = generate(spec)
    with KB(work / "kb.sqlite", actor="bench") as handle:
        write_portfolio(handle, portfolio, work / "sources")
        log(f"[{name}] exporting ...")
        handle.export_dir(work / "export")
    rng = random.Random(spec.seed)
    names = sorted({inc.summary.split()[1] for inc in portfolio.incidents})  # "The <codename> service ..."
    queries = {"codenames": rng.sample(names, min(50, len(names))), "words": list(COMMON_WORDS) * 2}
    (work / "queries.json").write_text(json.dumps(queries, indent=1))
    (work / "spec.json").write_text(json.dumps(asdict(spec), indent=1))
    (work / "ready").write_text("ok\n")
    if (root / "ready").exists():  # another run finished first: use its data
        shutil.rmtree(work, ignore_errors=True)
        return root
    shutil.rmtree(root, ignore_errors=True)
    work.rename(root)
    return root
