"""Causal graph view. For one incident: its chain as a tree, trigger at the top, root causes at
the leaves. For the portfolio: root-cause and keystone rankings, drillable to the incidents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Input, Static

from kb_tui.components.cause_tree import CauseTree
from kb_tui.components.footer import KBFooter
from kb_tui.screen_messages import GraphLoaded
from kb_tui.screens._base import KBScreen
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB


class GraphScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="graph.back", show=False),
        Binding("ctrl+o", "open", "Open", id="graph.open"),
        Binding("down", "to_list", "To the list", id="graph.to_list", show=False),
    ]

    def __init__(self, incident_id: str | None = None) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.report: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            self.incident_id or "",
            placeholder="incident id for its chain; empty for portfolio rankings; quarter like 2025Q3",
            id="graph-target",
        )
        yield Static("loading…", id="graph-title", classes="counts")
        if self.incident_id:
            yield CauseTree(id="chain-tree")
            yield Static("", id="chain-paths", classes="hint")
        else:
            with Horizontal(classes="split"):
                with Vertical(classes="main"):
                    yield Static("root causes (severity-weighted)", classes="panel-title")
                    roots: DataTable[Any] = DataTable(id="root-causes", cursor_type="row", zebra_stripes=True)
                    # fixed widths: the layout must not depend on when the rows arrive
                    for label, width in (("mode", 30), ("inc", 4), ("weight", 6), ("share", 5)):
                        roots.add_column(label, width=width)
                    yield roots
                    yield Static("keystones (cut the most chains)", classes="panel-title")
                    keys: DataTable[Any] = DataTable(id="keystones", cursor_type="row", zebra_stripes=True)
                    for label, width in (("mode", 30), ("score", 6), ("inc", 4)):
                        keys.add_column(label, width=width)
                    yield keys
                with Vertical(id="graph-side"):
                    yield Static("incidents under the root cause", classes="panel-title")
                    drill: DataTable[Any] = DataTable(id="drill", cursor_type="row")
                    drill.add_column("incident", width=60)
                    yield drill
        yield KBFooter()

    def on_mount(self) -> None:
        # typing goes to the incident id field: its placeholder invites it
        self.query_one("#graph-target", Input).focus()
        # after the first paint ("loading…" until then): the worker's thread would hold the GIL meanwhile
        self.call_after_refresh(self.load, self.incident_id, None)

    @on(Input.Submitted, "#graph-target")
    def _target(self, event: Input.Submitted) -> None:
        from kb.models import INCIDENT_ID_RE

        value = event.value.strip()
        if INCIDENT_ID_RE.match(value):
            self.app.pop_screen()
            self.kb_app.action_graph(value)
        elif self.incident_id:
            self.app.pop_screen()
            self.kb_app.action_graph(None)
        else:
            self.load(None, value or None)

    @kb_worker("graph-load")
    def load(self, kb: KB, incident_id: str | None, quarter: str | None) -> None:
        if incident_id:
            self.post_message(GraphLoaded(chain=kb.chain(incident_id)))
        else:
            roots = kb.root_causes(quarter=quarter)
            keys = kb.keystones(quarter=quarter, limit=15)
            self.post_message(GraphLoaded(root_causes=roots, keystones=keys))

    def on_graph_loaded(self, message: GraphLoaded) -> None:
        title = self.query_one("#graph-title", Static)
        if message.chain is not None:
            chain = message.chain
            title.update(
                Text.assemble(
                    (chain.incident_id, "bold"),
                    f"  {chain.title}  ",
                    ("trigger ", "dim"),
                    (chain.trigger or "–", "bold"),
                    ("  roots ", "dim"),
                    (", ".join(chain.roots) or "–", "bold"),
                )
            )
            tree = self.query_one(CauseTree)
            tree.show_chain(chain.tree)
            paths = "\n".join(" → ".join(p) for p in chain.mode_paths[:6])
            self.query_one("#chain-paths", Static).update(f"mode paths:\n{paths}" if paths else "no mode paths")
            return
        report = self.report = message.root_causes
        if report is None:
            return
        from kb.humanize import number, percent, plural

        title.update(
            f"{report.window.label}: {plural(report.total_incidents, 'incident')}, "
            f"total weight {number(report.total_weight)}"
        )
        roots: DataTable[Any] = self.query_one("#root-causes", DataTable)
        roots.clear()
        for item in report.items:
            roots.add_row(
                Text.assemble((item.code, "bold"), f"\n{item.name}"),
                item.incidents,
                number(item.weight),
                percent(item.share),
                key=item.code,
                height=2,
            )
        keys: DataTable[Any] = self.query_one("#keystones", DataTable)
        keys.clear()
        for k in message.keystones or []:
            keys.add_row(
                Text.assemble((k.code, "bold"), f"\n{k.name}"), number(k.score), k.incidents, key=k.code, height=2
            )
        if report.items:
            self._drill(report.items[0].code)

    @on(DataTable.RowHighlighted, "#root-causes")
    def _root_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self._drill(str(event.row_key.value))

    def _drill(self, code: str) -> None:
        if self.report is None:
            return
        item = next((i for i in self.report.items if i.code == code), None)
        drill: DataTable[Any] = self.query_one("#drill", DataTable)
        drill.clear()
        for incident_id in item.incident_ids if item else []:
            drill.add_row(incident_id, key=incident_id)

    @on(DataTable.RowSelected, "#drill")
    def _open_incident(self, event: DataTable.RowSelected) -> None:
        self.kb_app.action_open_incident(str(event.row_key.value))

    @on(DataTable.RowSelected, "#root-causes")
    def _to_drill(self) -> None:
        self.query_one("#drill", DataTable).focus()

    @on(DataTable.RowSelected, "#keystones")
    def _keystone(self, event: DataTable.RowSelected) -> None:
        self.kb_app.action_taxonomy(str(event.row_key.value))

    @on(CauseTree.NodeSelected, "#chain-tree")
    def _cause_mode(self, event: CauseTree.NodeSelected[str]) -> None:
        """Enter on a cause opens the incident editor on it."""
        if self.incident_id:
            self.kb_app.action_open_incident(self.incident_id)

    def action_to_list(self) -> None:
        """Down from the id field moves into the rankings (or the chain)."""
        target = "#root-causes" if not self.incident_id else "#chain-tree"
        self.query_one(target).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "to_list":
            return isinstance(self.focused, Input)
        return super().check_action(action, parameters)

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, DataTable) and focused.row_count:
            key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value
            if focused.id == "keystones":
                self.kb_app.action_taxonomy(str(key))
            elif focused.id == "drill":
                self.kb_app.action_open_incident(str(key))
        elif self.incident_id:
            self.kb_app.action_open_incident(self.incident_id)
