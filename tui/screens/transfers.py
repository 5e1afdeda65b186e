"""Transfers of a department: Z-reports, invoices and stock with their state; journal preview,
resend a failed one, release (confirmed), and what Visma answered, raw."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from core.readmodels import NoPreview, TransferRow
from tui.messages import ActionDone, ExchangesLoaded, PreviewLoaded, TransfersLoaded
from tui.screens.base import DuviScreen
from tui.screens.confirm import Confirm
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tables import keep_cursor


def money(value: Decimal) -> str:
    """An amount as the preview shows it: 1 234.50, blank for zero."""
    return f"{value:,.2f}".replace(",", " ") if value else ""


class TransfersScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("enter", "preview", "Preview", id="preview"),
        Binding("s", "resend", "Resend", id="resend"),
        Binding("b", "release", "Release", id="release"),
        Binding("w", "raw", "Visma raw", id="visma-raw"),
        Binding("j", "cursor_down", "Down", show=False, id="transfers-down"),
        Binding("k", "cursor_up", "Up", show=False, id="transfers-up"),
    ]

    def __init__(self, department_id: str, *, day: date | None = None) -> None:
        """`day`: only the documents of that business day (the calendar's Enter)."""
        super().__init__()
        self.department_id = department_id
        self.day = day
        self.rows: list[TransferRow] = []

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            on_day = f" on {self.day:%d.%m.%Y}" if self.day else ""
            yield Static(f"Transfers of department {self.department_id}{on_day}", classes="title")
            table: DataTable[str] = DataTable(id="transfers", cursor_type="row", zebra_stripes=True)
            table.add_columns("Key", "Kind", "State", "Visma", "Error")
            yield table
            yield Static("", id="preview")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="transfers", exclusive=True)
    def load(self) -> None:
        self.post_message(TransfersLoaded(self.api.transfers(self.department_id, day=self.day)))

    @on(TransfersLoaded)
    def show(self, message: TransfersLoaded) -> None:
        self.rows = message.rows
        table = self.query_one("#transfers", DataTable)
        with keep_cursor(table):
            table.clear()
            for r in message.rows:
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
        self.post_message(PreviewLoaded(self.api.journal_preview(key)))

    @on(PreviewLoaded)
    def show_preview(self, message: PreviewLoaded) -> None:
        p = message.preview
        if isinstance(p, NoPreview):
            self.query_one("#preview", Static).update(p.text)
            return
        amounts = [money(x) for ln in p.lines for x in (ln.debit, ln.credit)]
        w = max(12, *(len(a) for a in [*amounts, money(p.debit), money(p.credit)]))
        lines = [
            p.description,
            f"{'Account':<8} {'Text':<26} {'Debit':>{w}} {'Credit':>{w}} VAT",
        ]
        for ln in p.lines:
            lines.append(
                f"{ln.account:<8} {ln.text[:26]:<26} {money(ln.debit):>{w}} "
                f"{money(ln.credit):>{w}} {ln.vat_id}"
            )
        lines.append(f"{'':<8} {'Total':<26} {money(p.debit):>{w}} {money(p.credit):>{w}}")
        lines += [f"! {f}" for f in p.flags]
        error = p.last_error or ""
        error = error if len(error) <= 400 else error[:400] + "… (the whole answer: w)"
        lines.append(f"Visma: {p.state} {p.visma_number or ''} {error}")
        self.query_one("#preview", Static).update("\n".join(lines))

    def action_raw(self) -> None:
        row = self.selected()
        if row is not None:
            self.raw(row.key)

    @work(thread=True, exit_on_error=False, group="preview", exclusive=True)
    def raw(self, key: str) -> None:
        self.post_message(ExchangesLoaded(key, self.api.visma_exchanges(key)))

    @on(ExchangesLoaded)
    def show_raw(self, message: ExchangesLoaded) -> None:
        from tui.screens.text import TextScreen

        self.app.push_screen(TextScreen(f"Visma about {message.key}", message.text))

    def action_resend(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.state not in ("failed", "attention"):
            self.notify(f"{row.key} is {row.state}: only failed or held transfers are resent.")
            return
        if self.settings.read_only:
            self.notify("Read-only mode: resending is a changing action.", severity="warning")
            return
        self.resend(row.key)

    def action_release(self) -> None:
        row = self.selected()
        if row is None or row.state != "confirmed":
            self.notify("Only a confirmed transfer can be released.")
            return
        if self.settings.read_only:
            self.notify("Read-only mode: releasing is a changing action.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.release(row.key)

        self.app.push_screen(
            Confirm(f"Release {row.key} ({row.visma_number}) in Visma? This posts it for good."),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="transfer-action")
    def resend(self, key: str) -> None:
        self.post_message(ActionDone(self.api.resend(key)))

    @work(thread=True, exit_on_error=False, group="transfer-action")
    def release(self, key: str) -> None:
        self.post_message(ActionDone(self.api.release(key)))

    @on(ActionDone)
    def done(self, message: ActionDone) -> None:
        self.notify(message.text)
        self.load()
