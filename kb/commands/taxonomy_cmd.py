"""`kb taxonomy list|show|validate` and `kb seed`: browse the failure taxonomy, check a copy, load the seed cases.

A thin face: `list` and `show` read the packaged taxonomy and its use through kb.ops.reads.Reader
(kb.taxonomy_index and kb.store.queries.taxonomy, no pydantic); `validate PATH` and `seed` use
kb.taxonomy and kb.service.KB; this module only renders.
"""

from __future__ import annotations

from pathlib import Path

import click

from kb.commands._common import common_options, emit_json, json_option, open_kb, open_reader
from kb.commands._doc import Branches, Doc, Line, Node, Part, emit, line
from kb.errors import KBError
from kb.humanize import plural


@click.group()
def taxonomy() -> None:
    """Browse and validate the failure taxonomy (categories, modes, causal links)."""


@taxonomy.command("list")
@common_options
@json_option
def list_cmd(as_json: bool) -> None:
    """Every category and mode, with how many incidents touch each mode."""
    reader = open_reader()
    tax = reader.taxonomy
    by_mode, by_category = reader.mode_counts()
    if as_json:
        emit_json(
            {
                "version": tax.version,
                "categories": [
                    {
                        **cat.document(),
                        "modes": [
                            {
                                "code": m.code,
                                "name": m.name,
                                "stage": m.stage,
                                "causal_role": m.causal_role,
                                "origin": m.origin,
                                "summary": m.summary,
                                "incidents": by_mode.get(m.code, 0),
                            }
                            for m in tax.modes_in(cat.code)
                        ],
                    }
                    for cat in tax.categories
                ],
            }
        )
        return
    root = line(("kb failure taxonomy", "bold"), f" v{tax.version} ({plural(len(tax.modes), 'mode')})")
    branches = []
    for cat in tax.categories:
        modes = [
            Node(line((m.code, "cyan"), f"  {m.name}  ", _count(by_mode.get(m.code, 0))))
            for m in tax.modes_in(cat.code)
        ]
        head = line(
            (cat.name, "bold"), " ", (f"{cat.code} · {cat.stage}", "dim"), "  ", _count(by_category.get(cat.code, 0))
        )
        branches.append(Node(head, modes))
    emit(Doc(None, [Branches(root, branches)]))


def _count(n: int) -> Part:
    return (plural(n, "incident"), "yellow" if n else "dim")


@taxonomy.command("show")
@click.argument("code")
@common_options
@json_option
def show_cmd(code: str, as_json: bool) -> None:
    """Everything about one mode, the incidents under it and the modes that co-occur with it."""
    reader = open_reader()
    tax = reader.taxonomy
    current = tax.resolve(code)
    if current is None:
        from kb.taxonomy_index import unknown_code

        raise unknown_code(code, "CODE")
    mode = tax.modes[current]
    rows = [
        {"id": r.id, "project": r.project, "title": r.title, "kind": r.kind, "started_at": r.started_at, "role": r.role}
        for r in reader.mode_incidents(current)
    ]
    together = [{"code": c, "name": tax.modes[c].name, "incidents": n} for c, n in reader.co_occurring(current)]
    led_from = [a for a, b in tax.leads_to_edges() if b == current]
    if as_json:
        emit_json(
            {
                **mode.document(),
                "requested": code,
                "led_to_by": led_from,
                "incidents": rows,
                "co_occurring": together,
            }
        )
        return
    out: list[Line] = []
    if current != code.strip():
        out.append(line((f"{code} is a retired code; it now means {current}", "dim")))
    out.append(line((mode.code, "bold cyan"), "  ", (mode.name, "bold")))
    origin = "from the wider field" if mode.origin == "field" else "from the source essays"
    out.append(
        line((f"category {mode.category} · enters at {mode.stage} · causal role {mode.causal_role} · {origin}", "dim"))
    )
    out += [line(""), line(mode.summary), line(""), line(mode.description)]
    for title, items in (
        ("Signals", mode.signals),
        ("Questions for the postmortem", mode.questions),
        ("Mitigations", mode.mitigations),
    ):
        if items:
            out += [line(""), line((title, "bold")), *(line(f"  • {item}") for item in items)]
    out += [line(""), line(("Sources", "bold"))]
    for src in mode.sources:
        out += [line(f"  “{src.quote}”" if src.quote else f"  {src.ref}"), line(("    — " + src.document, "dim"))]
    if mode.leads_to:
        out += [line(""), line(("Leads to", "bold"), "  " + ", ".join(mode.leads_to))]
    if led_from:
        out.append(line(("Led to by", "bold"), "  " + ", ".join(led_from)))
    if mode.see_also:
        refs = ", ".join(f"{s.taxonomy} {s.code} {s.name}".strip() for s in mode.see_also)
        out.append(line(("See also", "bold"), "  " + refs))
    out += [line(""), line(("Incidents", "bold"), f" ({len(rows)})")]
    for r in rows:
        when = str(r["started_at"] or "")[:10]
        out.append(
            line(f"  {r['id']}  ", (f"{r['role']:<12}", "dim"), f" {when}  {r['title']} ", (f"({r['project']})", "dim"))
        )
    if not rows:
        out.append(line(("  none yet (kb seed loads the examples from the source essays)", "dim")))
    if together:
        out += [line(""), line(("Most often together with", "bold"))]
        out += [line(f"  {t['code']}  {t['name']}  ", (f"{t['incidents']}×", "dim")) for t in together]
    emit(Doc(None, out))


@taxonomy.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@json_option
def validate_cmd(path: Path | None, as_json: bool) -> None:
    """Check a taxonomy directory: schema, unique codes, leads_to and alias targets, cycles.

    PATH defaults to the taxonomy shipped with kb. Problems are listed one per line; the exit code is 1 if any.
    """
    from kb.taxonomy import default_taxonomy_dir, validate_taxonomy

    root = path if path is not None else default_taxonomy_dir()
    problems = validate_taxonomy(root)
    if as_json:
        emit_json({"path": str(root), "ok": not problems, "problems": problems})
        if problems:
            raise SystemExit(1)
        return
    for p in problems:
        click.echo(p)
    if problems:
        raise KBError(f"{plural(len(problems), 'problem')} found", str(root))
    from kb.taxonomy import load_taxonomy

    tax = load_taxonomy(root)
    click.echo(
        f"taxonomy at {root} is valid: version {tax.version}, {plural(len(tax.categories), 'category')}, "
        f"{plural(len(tax.modes), 'mode')}, {plural(len(tax.leads_to_edges()), 'leads_to link')}, "
        f"{plural(len(tax.cycles), 'documented cycle')}"
    )


@click.command()
@click.option("--public", is_flag=True, help="Load the ten public ML failures (seed_cases/public) instead.")
@common_options
@json_option
def seed(public: bool, as_json: bool) -> None:
    """Load the seed cases drawn from the source essays (idempotent: a second run changes nothing)."""
    report = open_kb().seed(public=public)
    if as_json:
        emit_json(
            {"created": report.created, "updated": report.updated, "unchanged": report.unchanged, "ids": report.ids}
        )
        return
    click.echo(f"seed cases loaded: {report.summary()}")
