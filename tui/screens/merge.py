"""Merge a conflict field by field: for each field, keep the incoming value or the
candidate's. Returns the chosen values, or None when cancelled."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from core.i18n import value_text
from core.readmodels import FieldDiff
from tui.i18n import N_, _
from tui.textsafe import markup
from tui.widgets.footer import KeysFooter

CHOSEN = "● "


class MergeScreen(ModalScreen[dict[str, Any] | None]):
    BINDINGS = [  # noqa: RUF012
        Binding("h,left", "take(0)", N_("Keep incoming"), id="merge-incoming"),
        Binding("l,right", "take(1)", N_("Keep candidate"), id="merge-candidate"),
        Binding("j", "cursor_down", N_("Down"), show=False, id="merge-down"),
        Binding("k", "cursor_up", N_("Up"), show=False, id="merge-up"),
        Binding("m,ctrl+s", "done", N_("Merge"), id="merge-done"),
        Binding("escape,q", "cancel", N_("Cancel"), id="merge-cancel"),
        Binding("question_mark", "app.help", N_("Help"), id="merge-help"),
    ]

    def __init__(self, title: str, rows: list[FieldDiff], candidate: int, names: tuple[str, str]):
        super().__init__()
        self.title_text = title
        self.rows = rows
        self.candidate = candidate
        self.names = names
        # Start from the incoming value where there is one: the record that triggered it.
        self.choice = {r.field: 0 if r.incoming else 1 for r in rows}
        self.first_choice = dict(self.choice)

    def compose(self) -> ComposeResult:
        with Vertical(id="merge"):
            yield Static(self.title_text, classes="title")
            table: DataTable[Text] = DataTable(id="merge-table", cursor_type="row")
            table.add_columns(_("Field"), *self.names)
            yield table
            yield Static(
                markup(
                    _(
                        "[b]h[/b]/[b]←[/b] keep incoming   [b]l[/b]/[b]→[/b] keep candidate   "
                        "[b]m[/b] merge   [b]esc[/b] cancel"
                    )
                ),
                classes="keys",
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self.render_rows()

    def render_rows(self) -> None:
        table = self.query_one("#merge-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in self.rows:
            values = (r.incoming, r.candidates[self.candidate])
            cells = [
                Text(CHOSEN + value_text(v), style="bold reverse")
                if self.choice[r.field] == i
                else Text("  " + value_text(v))
                for i, v in enumerate(values)
            ]
            table.add_row(Text(r.label), *cells, key=r.field)
        table.move_cursor(row=cursor)

    def action_take(self, side: int) -> None:
        table = self.query_one("#merge-table", DataTable)
        if not self.rows:
            return
        self.choice[self.rows[table.cursor_row].field] = side
        self.render_rows()

    def action_cursor_down(self) -> None:
        self.query_one("#merge-table", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#merge-table", DataTable).action_cursor_up()

    def action_cancel(self) -> None:
        """Back without merging; asks first when a value was chosen."""
        if self.choice == self.first_choice:
            self.dismiss(None)
            return
        from tui.screens.base import ask_to_discard

        ask_to_discard(self, _("the merge"), lambda: self.dismiss(None))

    def action_done(self) -> None:
        self.dismiss(
            {
                r.field: (r.incoming, r.candidates[self.candidate])[self.choice[r.field]] or None
                for r in self.rows
            }
        )
