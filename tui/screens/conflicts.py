"""Duplicate conflicts of a department: the incoming record beside its candidates, and the
decisions link / create new / ignore, each confirmed (merge field by field: `duvi conflicts
resolve --merge`)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.messages import ActionDone, DataLoaded
from tui.screens.confirm import Confirm
from tui.workers import ShowsWorkerErrors


def _name(record: dict[str, Any]) -> str:
    return str(
        record.get("name") or record.get("customer_name") or record.get("product_name") or ""
    )


class ConflictsScreen(ShowsWorkerErrors, Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("l", "decide('link')", "Link", id="link"),
        Binding("n", "decide('create')", "Create new", id="create"),
        Binding("i", "decide('ignore')", "Ignore", id="ignore"),
        Binding("tab", "focus_next", "Next pane", show=False, id="next-pane"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.all: list[Any] = []
        self.shown: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Static(f"Conflicts of department {self.department_id}", classes="title")
            yield Input(placeholder="filter (name, key, id)", id="filter-input", classes="hidden")
            table: DataTable[str] = DataTable(id="conflicts", cursor_type="row")
            table.add_columns("#", "Entity", "Incoming", "Same", "Candidates")
            yield table
            with Horizontal(id="detail"):
                yield Static("", id="incoming")
                candidates: DataTable[str] = DataTable(id="candidates", cursor_type="row")
                candidates.add_columns("Candidate", "Name")
                yield candidates
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#conflicts", DataTable).focus()  # not the (hidden) filter box
        self.load()

    @work(thread=True, exit_on_error=False, group="conflicts", exclusive=True)
    def load(self) -> None:
        from core.views import conflicts

        self.post_message(DataLoaded(conflicts(self.app.settings, self.department_id)))  # type: ignore[attr-defined]

    @on(DataLoaded)
    def loaded(self, message: DataLoaded) -> None:
        self.all = message.data
        self.apply_filter(self.query_one("#filter-input", Input).value)

    def apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        self.shown = [
            c
            for c in self.all
            if not needle
            or needle
            in (
                f"{c.id} {c.entity} {c.match_key} {_name(c.incoming)} {c.incoming_id} "
                + " ".join(_name(x) for x in c.candidates)
            ).casefold()
        ]
        table = self.query_one("#conflicts", DataTable)
        table.clear()
        for c in self.shown:
            table.add_row(
                str(c.id),
                c.entity,
                _name(c.incoming)[:30],
                c.match_key,
                ", ".join(str(x.get("id")) for x in c.candidates),
                key=str(c.id),
            )
        self.show_detail()

    def action_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Changed, "#filter-input")
    def filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#filter-input")
    def filter_done(self) -> None:
        self.query_one("#conflicts", DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#filter-input", Input)
        if box.has_focus:
            box.value = ""
            box.add_class("hidden")
            self.query_one("#conflicts", DataTable).focus()
        else:
            self.app.pop_screen()

    def current(self) -> Any | None:
        table = self.query_one("#conflicts", DataTable)
        row = table.cursor_row
        return self.shown[row] if self.shown and row is not None and row < len(self.shown) else None

    @on(DataTable.RowHighlighted, "#conflicts")
    def highlighted(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        c = self.current()
        incoming = self.query_one("#incoming", Static)
        candidates = self.query_one("#candidates", DataTable)
        candidates.clear()
        if c is None:
            incoming.update("No open conflicts.")
            return
        fields = [f"{k}: {v}" for k, v in c.incoming.items() if v not in (None, "")]
        incoming.update(f"Incoming ({c.source}) {c.incoming_id}\n" + "\n".join(fields[:10]))
        for x in c.candidates:
            candidates.add_row(str(x.get("id")), _name(x), key=str(x.get("id")))

    def action_decide(self, action: str) -> None:
        c = self.current()
        if c is None:
            return
        if self.app.settings.read_only:  # type: ignore[attr-defined]
            self.notify(
                "Read-only mode: resolving a conflict is a changing action.", severity="warning"
            )
            return
        candidate = None
        if action == "link":
            table = self.query_one("#candidates", DataTable)
            row = table.cursor_row or 0
            candidate = str(c.candidates[row].get("id")) if c.candidates else None
        question = {
            "link": f"Link {_name(c.incoming)} to candidate {candidate}?",
            "create": f"Create {_name(c.incoming)} as a new record?",
            "ignore": f"Ignore {_name(c.incoming)} (it will not sync)?",
        }[action]

        def answered(yes: bool | None) -> None:
            if yes:
                self.resolve(c.id, action, candidate)

        self.app.push_screen(Confirm(question), answered)

    @work(thread=True, exit_on_error=False, group="resolve")
    def resolve(self, conflict_id: int, action: str, candidate: str | None) -> None:
        from core.views import resolve

        self.post_message(ActionDone(resolve(self.app.settings, conflict_id, action, candidate)))  # type: ignore[attr-defined]

    @on(ActionDone)
    def resolved(self, message: ActionDone) -> None:
        self.notify(message.text)
        self.load()
