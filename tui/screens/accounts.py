"""Account mapping editor: payment types, revenue and VAT per rate, rounding, inventory
change and gift cards, each against Visma's chart of accounts (status: ok / missing /
inactive). Enter chooses, ctrl+s saves (audited), u undoes, f5 re-reads Visma."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tui.messages import ActionDone, DataLoaded
from tui.screens.pick import PickOne
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.workers import ShowsWorkerErrors


class AccountsScreen(ShowsWorkerErrors, Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("ctrl+s", "save", "Save", id="save-accounts"),
        Binding("u", "undo", "Undo", id="undo-accounts"),
        Binding("f5", "refresh", "⟳ Refresh", id="refresh-accounts"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.data: dict[str, Any] = {"rows": [], "accounts": {}}
        self.edits: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                f"Account map of department {self.department_id}  (Enter: choose)", classes="title"
            )
            table: DataTable[str] = DataTable(id="accounts", cursor_type="row")
            table.add_columns("Line", "Account", "Visma description", "Status")
            yield table
            yield Static("", id="accounts-state")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#accounts", DataTable).focus()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="accounts", exclusive=True)
    def load(self) -> None:
        from core.views import account_editor

        self.post_message(DataLoaded(account_editor(self.app.settings, self.department_id)))  # type: ignore[attr-defined]

    @on(DataLoaded)
    def loaded(self, message: DataLoaded) -> None:
        self.data, self.edits = message.data, {}
        self.render_rows()

    def render_rows(self) -> None:
        table = self.query_one("#accounts", DataTable)
        table.clear()
        accounts = self.data["accounts"]
        for row in self.data["rows"]:
            acc = self.edits.get(row["key"], row["account"])
            status = (
                row["status"]
                if row["key"] not in self.edits
                else ("ok" if acc in accounts else "missing")
            )
            mark = " *" if row["key"] in self.edits else ""
            table.add_row(row["label"], acc + mark, accounts.get(acc, ""), status)
        bad = [r for r in self.data["rows"] if r["status"] != "ok" and r["key"] not in self.edits]
        text = (
            f"{len(bad)} line(s) point at accounts Visma lacks or has closed"
            if bad
            else ("every account exists and is active in Visma")
        )
        self.query_one("#accounts-state", Static).update(
            f"{text}\n{self.data.get('error') or ''}".strip()
        )

    @on(DataTable.RowSelected, "#accounts")
    def choose(self, event: DataTable.RowSelected) -> None:
        row = self.data["rows"][event.cursor_row]

        def picked(acc: str | None) -> None:
            if acc:
                self.edits[row["key"]] = acc
                self.render_rows()

        self.app.push_screen(
            PickOne(f"Account for {row['label']}", sorted(self.data["accounts"].items())), picked
        )

    def action_undo(self) -> None:
        self.edits = {}
        self.render_rows()

    def action_save(self) -> None:
        if self.app.settings.read_only:  # type: ignore[attr-defined]
            self.notify("Read-only mode: saving is a changing action.", severity="warning")
            return
        if self.edits:
            self.save(dict(self.edits))

    @work(thread=True, exit_on_error=False, group="accounts-save")
    def save(self, changes: dict[str, str]) -> None:
        from core.views import save_accounts

        self.post_message(ActionDone(save_accounts(self.app.settings, self.department_id, changes)))  # type: ignore[attr-defined]

    @on(ActionDone)
    def saved(self, message: ActionDone) -> None:
        self.notify(message.text, title="Saved")
        self.load()
