"""Transfers of a department: Z-reports, invoices and stock with their state; journal preview,
resend a failed one, release (confirmed), and what Visma answered, raw."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from core.views import TransferRow, money
from tui.messages import ActionDone, DataLoaded
from tui.screens.confirm import Confirm
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.workers import ShowsWorkerErrors


class Previewed(Message):
    def __init__(self, preview: dict) -> None:
        super().__init__()
        self.preview = preview


class RawLoaded(Message):
    def __init__(self, key: str, text: str) -> None:
        super().__init__()
        self.key = key
        self.text = text


class TransfersScreen(ShowsWorkerErrors, Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("enter", "preview", "Preview", id="preview"),
        Binding("s", "resend", "Resend", id="resend"),
        Binding("b", "release", "Release", id="release"),
        Binding("w", "raw", "Visma raw", id="visma-raw"),
        Binding("j", "cursor_down", "Down", show=False, id="transfers-down"),
        Binding("k", "cursor_up", "Up", show=False, id="transfers-up"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.rows: list[TransferRow] = []

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(f"Transfers of department {self.department_id}", classes="title")
            table: DataTable[str] = DataTable(id="transfers", cursor_type="row", zebra_stripes=True)
            table.add_columns("Key", "Kind", "State", "Visma", "Error")
            yield table
            yield Static("", id="preview")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="transfers", exclusive=True)
    def load(self) -> None:
        from core.views import transfers

        self.post_message(DataLoaded(transfers(self.app.settings, self.department_id)))  # type: ignore[attr-defined]

    @on(DataLoaded)
    def show(self, message: DataLoaded) -> None:
        self.rows = message.data
        table = self.query_one("#transfers", DataTable)
        table.clear()
        for r in message.data:
            table.add_row(r.key, r.kind, r.state, r.visma_number, r.error, key=r.key)

    def selected(self) -> TransferRow | None:
        table = self.query_one("#transfers", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_cursor_down(self) -> None:
        self.query_one("#transfers", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#transfers", DataTable).action_cursor_up()

    @on(DataTable.RowSelected, "#transfers")
    def row_selected(self) -> None:  # Enter on the table
        self.action_preview()

    def action_preview(self) -> None:
        row = self.selected()
        if row is not None:
            self.preview(row.key)

    @work(thread=True, exit_on_error=False, group="preview", exclusive=True)
    def preview(self, key: str) -> None:
        from core.views import journal_preview

        self.post_message(Previewed(journal_preview(self.app.settings, key)))  # type: ignore[attr-defined]

    @on(Previewed)
    def show_preview(self, message: Previewed) -> None:
        p = message.preview
        if p.get("error"):
            self.query_one("#preview", Static).update(p["error"])
            return
        amounts = [money(x) for _, _, d, c, _ in p["lines"] for x in (d, c)]
        w = max(12, *(len(a) for a in [*amounts, money(p["debit"]), money(p["credit"])]))
        lines = [
            p["description"],
            f"{'Account':<8} {'Text':<26} {'Debit':>{w}} {'Credit':>{w}} VAT",
        ]
        for acc, text, debit, credit, vat in p["lines"]:
            lines.append(f"{acc:<8} {text[:26]:<26} {money(debit):>{w}} {money(credit):>{w}} {vat}")
        lines.append(f"{'':<8} {'Total':<26} {money(p['debit']):>{w}} {money(p['credit']):>{w}}")
        lines += [f"! {f}" for f in p["flags"]]
        raw = p["raw"]
        error = raw["last_error"] or ""
        error = error if len(error) <= 400 else error[:400] + "… (the whole answer: w)"
        lines.append(f"Visma: {raw['state']} {raw['visma_number'] or ''} {error}")
        self.query_one("#preview", Static).update("\n".join(lines))

    def action_raw(self) -> None:
        row = self.selected()
        if row is not None:
            self.raw(row.key)

    @work(thread=True, exit_on_error=False, group="preview", exclusive=True)
    def raw(self, key: str) -> None:
        from core.views import visma_exchanges

        self.post_message(RawLoaded(key, visma_exchanges(self.app.settings, key)))  # type: ignore[attr-defined]

    @on(RawLoaded)
    def show_raw(self, message: RawLoaded) -> None:
        from tui.screens.text import TextScreen

        self.app.push_screen(TextScreen(f"Visma about {message.key}", message.text))

    def action_resend(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.state not in ("failed", "attention"):
            self.notify(f"{row.key} is {row.state}: only failed or held transfers are resent.")
            return
        if self.app.settings.read_only:  # type: ignore[attr-defined]
            self.notify("Read-only mode: resending is a changing action.", severity="warning")
            return
        self.run_action("resend", row.key)

    def action_release(self) -> None:
        row = self.selected()
        if row is None or row.state != "confirmed":
            self.notify("Only a confirmed transfer can be released.")
            return
        if self.app.settings.read_only:  # type: ignore[attr-defined]
            self.notify("Read-only mode: releasing is a changing action.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_action("release", row.key)

        self.app.push_screen(
            Confirm(f"Release {row.key} ({row.visma_number}) in Visma? This posts it for good."),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="transfer-action")
    def run_action(self, what: str, key: str) -> None:
        from core import views

        self.post_message(ActionDone(getattr(views, what)(self.app.settings, key)))  # type: ignore[attr-defined]

    @on(ActionDone)
    def done(self, message: ActionDone) -> None:
        self.notify(message.text)
        self.load()
