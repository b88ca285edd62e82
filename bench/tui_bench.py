"""TUI timings: seconds to the first portfolio rows, and milliseconds from the last keystroke of a
search to its results on screen. Prints numbers; asserts nothing (timings live here, not in tests).

    python bench/tui_bench.py --db /tmp/kb-bench/large-*/kb.sqlite --queries latency,drift,owner
    python bench/tui_bench.py --responsiveness 200,2000 --reps 3

The second form times each screen and form (ctrl+n, F2-F6, F9) from its key to the first frame
showing it with the cursor in its first field ("open"), to the first frame with its content
("ready": F4-F6's worker answer, the incident editor's whole form), and a character typed the
moment it opened to the frame showing it ("echo": whether typing waits for the work); and the
portfolio's rows and verdicts from process start, on synthetic portfolios of 200 and 2,000
projects, next to an empty Textual app pushing a one-input form (the floor), with the UI thread's
own CPU time (on a loaded machine, the steadier figure).

Each start-up sample runs in a fresh process (imports included), next to the floor: an empty
Textual app reaching its first frame in the same headless harness. Floor, `KBApp` and the
`kb tui --db` command path (click and kb.cli included, App.run swapped for the harness) take turns,
one sample each per round, so load on a shared machine falls on all three alike. kb keeps Textual's
parsed CSS between runs (kb_tui.css_cache): the rounds keep it in a directory of their own, filled by
one untimed start, whose figure is printed too (a first start after installing). `--queries ''`
skips the search part. Build a database with
`kb synth --projects 2000 --incidents 100000 --db PATH` (or reuse bench/run.py's cache).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

STARTUP = r"""
import time; START = time.perf_counter()
import asyncio, sys
from datetime import date
mode, db = sys.argv[1], sys.argv[2]

def took():
    # wall seconds from process start, and this process's CPU seconds (every thread; a child's not)
    return f"{time.perf_counter() - START} {time.process_time()}"

def watch(app, ready):
    # wall seconds to the first frame the app displays once ready() holds (Textual calls App._display
    # once per frame, headless too): what is on screen, where the polls below see what the app holds
    seen = []
    display = app._display
    def shown(screen, renderable):
        if renderable is not None and not seen and ready():
            seen.append(f"{time.perf_counter() - START} {time.thread_time()}")  # and the UI thread's CPU
        display(screen, renderable)
    app._display = shown
    return seen

async def floor():
    from textual.app import App
    app = App()
    drawn = watch(app, lambda: True)
    async with app.run_test(size=(160, 48)) as pilot:
        got = took()
        while not drawn:
            await pilot.pause(0.002)
        return f"{got} {drawn[0]}"

def has_rows(app):
    from textual.widgets import DataTable
    tables = app.screen.query(DataTable)
    return bool(tables) and tables.first().row_count > 0

async def rows(app):
    drawn = watch(app, lambda: has_rows(app))
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(100_000):
            if has_rows(app):
                got = took()
                while not drawn:
                    await pilot.pause(0.002)
                return f"{got} {drawn[0]}"
            await pilot.pause(0.002)
    raise SystemExit("no rows")

async def kb():
    from kb_tui.app import KBApp
    return await rows(KBApp(db, as_of=date(2026, 9, 30), cursor_blink=False))

def cli():
    # `kb tui --db DB` through click, with App.run swapped for the same headless harness once the
    # command imports kb_tui.app: importing it here first would import Textual before the command
    # starts its portfolio read, which it does before it imports Textual
    import importlib.abc, importlib.machinery
    seen = []

    class RunInHarness(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "kb_tui.app":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            load = spec.loader.exec_module

            def exec_module(module):
                load(module)
                module.KBApp.run = lambda self, *a, **k: seen.append(asyncio.run(rows(self)))

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, RunInHarness())
    from kb.cli import main
    main(["tui", "--db", db], standalone_mode=False)
    return seen[0]

print(cli() if mode == "cli" else asyncio.run(floor() if mode == "floor" else kb()))
"""


def _env(tree: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    """A sample's environment: this one, `extra`, and `tree` (another checkout) first on PYTHONPATH."""
    env = {**os.environ, **(extra or {})}
    if tree:
        env["PYTHONPATH"] = tree
    return env


def startup(
    mode: str, db: str, reps: int, tree: str | None = None, env_extra: dict[str, str] | None = None
) -> list[tuple[float, float, float, float]]:
    """(wall, CPU, drawn, drawn UI CPU) seconds per sample: wall and CPU when the table first holds
    rows (the empty app: when it is ready), drawn when the first frame showing them was displayed,
    and the UI thread's own CPU by then (what a busy machine inflates least: the figure to compare
    while other work runs). `tree`: run another checkout of kb (its directory first on PYTHONPATH)
    instead of this one. `env_extra`: more environment (the bench's own KB_CACHE_DIR)."""
    env = _env(tree, env_extra)
    out = []
    for _ in range(reps):
        done = subprocess.run(
            [sys.executable, "-c", STARTUP, mode, db], capture_output=True, text=True, check=True, env=env, cwd=tree
        )
        wall, cpu, drawn, drawn_cpu = done.stdout.strip().splitlines()[-1].split()
        out.append((float(wall), float(cpu), float(drawn), float(drawn_cpu)))
    return out


def interleaved(modes: list[str], db: str, reps: int, compare: str | None = None) -> dict[str, list[float]]:
    """One sample of each mode per round, so a burst of load on the shared machine hits them alike;
    with `compare`, that checkout's kb and cli modes take their turns too (as "<mode>@compare").
    Each mode's CPU seconds are under "cpu:<mode>", its first frame drawn with rows under "drawn:<mode>".

    kb keeps Textual's parsed CSS between runs (kb_tui.css_cache): the rounds use a cache directory of
    their own, filled by one untimed `kb tui` start first, whose first frame is kept under
    "cold:cli" (what the first start after installing or upgrading costs)."""
    runs: list[tuple[str, str, str | None]] = [(m, m, None) for m in modes]
    if compare:
        runs += [(f"{m}@compare", m, compare) for m in modes if m != "floor"]
    out: dict[str, list[float]] = {
        key: [] for name, _, _ in runs for key in (name, f"cpu:{name}", f"drawn:{name}", f"drawn-ui-cpu:{name}")
    }
    with tempfile.TemporaryDirectory(prefix="kb-tui-bench-cache-") as cache:
        extra = {"KB_CACHE_DIR": cache}
        out["cold:cli"] = [startup("cli", db, 1, None, extra)[0][2]]
        for _ in range(reps):
            for name, mode, tree in runs:
                for wall, cpu, drawn, drawn_cpu in startup(mode, db, 1, tree, extra):
                    out[name].append(wall)
                    out[f"cpu:{name}"].append(cpu)
                    out[f"drawn:{name}"].append(drawn)
                    out[f"drawn-ui-cpu:{name}"].append(drawn_cpu)
    return out


def search_latency(db: str, queries: list[str]) -> list[float]:
    """Per query: type it; the app stamps its last edit and the results it led to (debounce included)."""
    import asyncio
    from datetime import date

    from textual.widgets import Input

    from kb_tui.app import KBApp
    from kb_tui.screens.search import SearchScreen

    async def run() -> list[float]:
        app = KBApp(db, as_of=date(2026, 9, 30), cursor_blink=False)
        times: list[float] = []
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            app.action_search()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SearchScreen)
            for q in queries:
                screen.query_one("#search-query", Input).value = ""
                await pilot.pause()
                await pilot.press(*q)
                while screen.shown_query is None or screen.shown_query[0] != q:
                    await pilot.pause(0.001)
                times.append((screen.shown_at - screen.changed_at) * 1000)
        return times

    return asyncio.run(run())


FORMS = r"""
import time, asyncio, sys, json
from datetime import date
mode, db = sys.argv[1], sys.argv[2]

# Read where Textual paints (App._display, called for every frame, headless too), from the key:
#   open:  the first frame of the new screen with the cursor in one of its fields (keys land there);
#   ready: the first frame with the screen's content in (its worker's answer shown, the form whole;
#          for a screen whose worker changes nothing drawn, F2's suggestions, the same as open);
#   echo:  from a character typed as soon as the screen opened to the frame showing it in the field.
READY = {
    "new incident": lambda s: getattr(s, "saved_state", None) is not None and getattr(s, "form_complete", True),
    "taxonomy": lambda s: getattr(s, "taxonomy", None) is not None,
    "graph": lambda s: getattr(s, "report", None) is not None,
    "review": lambda s: getattr(s, "review", None) is not None,
}

def key_event(app, key):
    from textual import events
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    return event

async def measure(app, name, send, home):
    from textual.widgets import Input
    out, typed = {}, {}
    display = app._display
    def spy(screen, renderable):
        display(screen, renderable)
        now, cpu = time.perf_counter(), time.thread_time()
        if renderable is None or screen is not app.screen or screen is home:
            return
        focused = app.focused
        if "open" not in out and isinstance(focused, Input) and focused.screen is screen:
            out["open"], out["cpu:open"] = now - t0, cpu - c0
        if "open" in out and "ready" not in out and READY.get(name, lambda s: True)(screen):
            out["ready"], out["cpu:ready"] = now - t0, cpu - c0
        if typed and "echo" not in out and typed["field"].value != typed["before"]:
            out["echo"] = now - typed["at"]
    app._display = spy
    try:
        t0, c0 = time.perf_counter(), time.thread_time()
        send()
        while "open" not in out:
            await asyncio.sleep(0.0005)
        typed.update(field=app.focused, before=app.focused.value, at=time.perf_counter())
        app._driver.send_message(key_event(app, "z"))  # typed as soon as the screen shows, content or not
        for _ in range(60_000):  # 30 s at most
            if "echo" in out and "ready" in out:
                break
            await asyncio.sleep(0.0005)
    finally:
        app._display = display
    return out

async def floor():
    # an empty Textual app pushing a screen with one input and focusing it: the least a form costs
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Input

    class Form(Screen):
        def compose(self):
            yield Input(id="x")
        def on_mount(self):
            self.query_one(Input).focus()

    app = App()
    async with app.run_test(size=(120, 40)):
        got = await measure(app, "floor", lambda: app.push_screen(Form()), app.screen)
    return {f"{k}:floor": v for k, v in got.items()}

async def wait(pilot, cond):
    while not cond():
        await pilot.pause(0.001)

async def kb():
    from kb_tui.app import KBApp
    start = time.perf_counter()
    app = KBApp(db, as_of=date(2026, 9, 30), cursor_blink=False)
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        from kb_tui.screens.portfolio import PortfolioScreen
        await wait(pilot, lambda: isinstance(app.screen, PortfolioScreen) and app.screen.loaded)
        out["rows"] = time.perf_counter() - start
        await wait(pilot, lambda: app.screen.verdicts is not None)
        out["verdicts"] = time.perf_counter() - start
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)  # the forms' warm-up starts once the verdicts are in
        await app.workers.wait_for_complete()
        home = app.screen
        for key, name in (("ctrl+n", "new incident"), ("f2", "quick log"), ("f3", "search"),
                          ("f4", "taxonomy"), ("f5", "graph"), ("f6", "review"), ("f9", "new project")):
            got = await measure(app, name, lambda: app._driver.send_message(key_event(app, key)), home)
            out.update({f"{k}:{name}": v for k, v in got.items()})
            # whatever the screen started ends before the next key is timed
            await pilot.pause()
            await app.workers.wait_for_complete()
            while app.screen is not home:
                app.pop_screen()
                await pilot.pause()
            await app.workers.wait_for_complete()
    return out

print(json.dumps(asyncio.run(floor() if mode == "floor" else kb())))
"""


def synth_db(projects: int, cache: Path, per_project: int = 50) -> str:
    """A synthetic portfolio (`per_project` incidents per project), built once and kept under `cache`."""
    path = cache / f"tui-{projects}" / "kb.sqlite"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kb",
                "synth",
                "--projects",
                str(projects),
                "--incidents",
                str(projects * per_project),
                "--flag-events",
                str(projects * 10),
                "--db",
                str(path),
            ],
            check=True,
            capture_output=True,
        )
    return str(path)


def forms(db: str, reps: int, compare: str | None = None) -> dict[str, list[float]]:
    """Fresh process per round: floor (empty app, one form), kb (rows, verdicts, every screen), and with
    `compare` the same for that checkout ("kb@compare"), so load on the shared machine falls on all alike.
    The rounds keep kb's parsed CSS in a cache directory of their own, filled by one untimed round first."""
    runs: list[tuple[str, str, str | None]] = [("floor", "floor", None), ("kb", "kb", None)]
    if compare:
        runs.append(("kb@compare", "kb", compare))
    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="kb-tui-bench-cache-") as cache:
        for round_ in range(reps + 1):
            for name, mode, tree in runs if round_ else [("kb", "kb", None)]:
                args = [sys.executable, "-c", FORMS, mode, db]
                env = _env(tree, {"KB_CACHE_DIR": cache})
                done = subprocess.run(args, capture_output=True, text=True, check=True, env=env, cwd=tree)
                if not round_:
                    continue  # the untimed round: it fills the cache
                for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
                    out.setdefault(f"{name}:{key}", []).append(value)
    return out


SCREENS = ("new incident", "quick log", "search", "taxonomy", "graph", "review", "new project")


def responsiveness(sizes: list[int], reps: int, cache: Path, per_project: int, compare: str | None = None) -> None:
    """Issue 18's targets: any screen or form open within 200 ms (first frame, the cursor in its
    first field), verdicts within 1 s at 200 projects; longer work shows progress and typing goes on."""
    print("responsiveness, medians in ms from the key (cpu: the UI thread's own CPU time meanwhile; Nx: open / floor):")
    print("  open  = first frame of the screen with the cursor in its first field (keys land there)")
    print("  ready = first frame with its content (the worker's answer shown, the whole form mounted)")
    print("  echo  = a character typed the moment the screen opened, until the frame showing it")
    if compare:
        print(f"  'before' is the checkout in {compare}, run in the same rounds")
    for n in sizes:
        db = synth_db(n, cache, per_project)
        got = forms(db, reps, compare)
        med = {k: statistics.median(v) * 1000 for k, v in got.items()}
        floor_ms, floor_cpu = med["floor:open:floor"], med["floor:cpu:open:floor"]
        print(f"  {n:,} projects ({n * per_project:,} incidents), {reps} rounds, load {os.getloadavg()[0]:.1f}:")
        label = "floor: empty app, push a one-input form"
        print(f"    {label:40s} open {floor_ms:7.1f} (cpu {floor_cpu:6.1f})  echo {med['floor:echo:floor']:6.1f}")
        for name in SCREENS:
            for run, label in (("kb", name), ("kb@compare", "  before")):
                if run == "kb@compare" and not compare:
                    continue
                m = {
                    k: med.get(f"{run}:{k}:{name}", float("nan"))
                    for k in ("open", "cpu:open", "ready", "cpu:ready", "echo")
                }
                print(
                    f"    {label:40s} open {m['open']:7.1f} (cpu {m['cpu:open']:6.1f}, {m['open'] / floor_ms:5.1f}x)"
                    f"  ready {m['ready']:7.1f} (cpu {m['cpu:ready']:6.1f})  echo {m['echo']:6.1f}"
                )
        for key, label in (("rows", "portfolio rows"), ("verdicts", "portfolio verdicts")):
            line = f"    {label + ' from process start:':41s} {med['kb:' + key] / 1000:7.3f} s"
            if compare:
                line += f"   before {med['kb@compare:' + key] / 1000:7.3f} s"
            print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="the database for the start-up and search timings")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--queries", default="latency,drift,owner,monitoring,shutdown,flag,capacity,vendor")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--compare",
        metavar="DIR",
        help="another checkout to time in the same rounds, e.g. `git archive REV | tar -x -C DIR`",
    )
    ap.add_argument(
        "--responsiveness",
        metavar="SIZES",
        help="time every form and the verdicts on synthetic portfolios of these sizes, e.g. 200,2000 "
        "(built once under --cache); skips the start-up and search parts",
    )
    ap.add_argument("--cache", default="/tmp/kb-tui-bench", help="where --responsiveness keeps its databases")
    ap.add_argument("--per-project", type=int, default=50, help="incidents per project in those databases")
    args = ap.parse_args()
    if args.responsiveness:
        responsiveness(
            [int(n) for n in args.responsiveness.split(",")],
            args.reps,
            Path(args.cache),
            args.per_project,
            args.compare,
        )
        return
    if not args.db:
        ap.error("--db is needed for the start-up and search timings (or use --responsiveness)")
    db = str(Path(args.db).expanduser())
    samples = interleaved(["floor", "kb", "cli"], db, args.reps, args.compare)
    floor, kb, cli = samples["floor"], samples["kb"], samples["cli"]
    search = search_latency(db, [q for q in args.queries.split(",") if q]) if args.queries else [float("nan")]
    result = {
        "floor_first_frame_s": statistics.median(floor),
        "kb_first_rows_s": statistics.median(kb),
        "ratio": statistics.median(kb) / statistics.median(floor),
        "cli_first_rows_s": statistics.median(cli),
        "cli_ratio": statistics.median(cli) / statistics.median(floor),
        "search_ms_median": statistics.median(search),
        "search_ms_max": max(search),
        "samples": {**samples, "search_ms": search},
    }
    for name in ("kb@compare", "cli@compare"):
        if name in samples:
            result[f"{name}_first_rows_s"] = statistics.median(samples[name])
    if args.json:
        print(json.dumps(result, indent=2))
        return

    def cpu(name: str) -> str:
        return f"cpu {statistics.median(samples['cpu:' + name]):.3f} s"

    print(f"load average {os.getloadavg()[0]:.1f}; wall from process start, and the process's CPU (all threads)")
    floor_s, kb_s, cli_s = result["floor_first_frame_s"], result["kb_first_rows_s"], result["cli_first_rows_s"]
    print(f"empty Textual app, first frame:   {floor_s:.3f} s (median of {args.reps}; {cpu('floor')})")
    print(f"kb portfolio, first rows:         {kb_s:.3f} s  ({result['ratio']:.2f}x floor; {cpu('kb')})")
    print(f"`kb tui --db`, first rows:        {cli_s:.3f} s  ({result['cli_ratio']:.2f}x floor; {cpu('cli')})")
    for name in ("kb@compare", "cli@compare"):
        if name in samples:
            m = statistics.median(samples[name])
            print(f"{name + ' (--compare)':33s} {m:.3f} s  ({m / statistics.median(floor):.2f}x floor; {cpu(name)})")

    def ratios(title: str, kind: str) -> None:
        """One line: the empty app's median of `kind`, then each kb mode's and its ratio to it."""
        floor_m = statistics.median(samples[f"{kind}:floor"])
        parts = [f"empty app {floor_m:.3f} s"]
        for name in ("kb", "cli", "kb@compare", "cli@compare"):
            if f"{kind}:{name}" in samples:
                m = statistics.median(samples[f"{kind}:{name}"])
                parts.append(f"{name} {m:.3f} s ({m / floor_m:.2f}x)")
        print(f"{title}: " + "; ".join(parts))

    ratios("first frame displayed (what is on screen)", "drawn")
    ratios("  the UI thread's CPU by then", "drawn-ui-cpu")
    print(
        f"  `kb tui`'s first start with no parsed CSS kept yet (after installing; one sample):"
        f" {samples['cold:cli'][0]:.3f} s"
    )
    med, top = result["search_ms_median"], result["search_ms_max"]
    if args.queries:
        print(f"search, last keystroke -> results: median {med:.1f} ms, max {top:.1f} ms")
    print(
        "targets: the first frame displayed with rows <= 1.5x the empty app's (issue 20; the first-rows"
        " poll can see rows before the frame that draws them); < 1.5 s; search results < 100 ms"
    )


if __name__ == "__main__":
    main()
