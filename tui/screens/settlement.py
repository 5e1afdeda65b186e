"""Reconciliation (S from the department view; `<` `>` the month before and after): a month's
business days, DUELL's Z-reports beside the batches Visma holds for them, as `duvi report
settlement` prints them. One row per day; under the list the day under the cursor (sales per
rate, payments per means, what differs with the figures), or, with v, the month's VAT per
code. Marks are words (readable without colour); a day that differs is bold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from core.readmodels import (
    MARKS,
    Settlement,
    SettlementDay,
    marks_text,
    money_said,
    money_text,
    on_account_text,
    payment_text,
    rate_shown,
    state_text,
    summary_text,
    vat_code_text,
    visma_status_text,
)
from tui.i18n import N_, _, month_text, period_text, weekday_short
from tui.i18n import day_text as weekday_date
from tui.screens.base import DuviScreen
from tui.screens.calendar import add_months
from tui.widgets.cells import unbroken
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

# A column of amounts names its currency in its heading; its cells are bare numbers.
COLUMNS = (
    N_("Date"),
    N_("Z"),
    N_("Sales (NOK)"),
    N_("VAT (NOK)"),
    N_("Batch"),
    N_("In Visma (NOK)"),
    N_("Marks"),
)
RIGHT = {"Sales (NOK)", "VAT (NOK)", "In Visma (NOK)"}
DIFFERENCES = ("missing", "differs", "extra")


@dataclass
class SettlementLoaded(Message):
    settlement: Settlement


def day_cells(d: SettlementDay) -> tuple[str, ...]:
    zs = ",".join(str(z.z_number) for z in d.zreports if z.z_number) or "-"
    return (
        f"{d.day:%d.%m} {weekday_short(d.day)}",
        zs,
        money_text(d.gross),
        money_text(d.vat),
        d.batches or "-",
        money_text(d.visma_sales) or "-",
        marks_text(d.marks),
    )


def table_rows(days: tuple[SettlementDay, ...]) -> list[tuple[Text, ...]]:
    """The days' cells as Text (a str cell is read as markup), amounts padded to the widest
    of the month: the table draws a cell from its left edge whatever it says."""
    cells = [day_cells(d) for d in days]
    widths = [max([len(c[i]) for c in cells] + [len(_(COLUMNS[i]))]) for i in range(len(COLUMNS))]
    out = []
    for d, row in zip(days, cells, strict=True):
        bold = "bold" if set(d.marks) & set(DIFFERENCES) else ""
        out.append(
            tuple(
                Text(c.rjust(widths[i]) if COLUMNS[i] in RIGHT else c, style=bold)
                for i, c in enumerate(row)
            )
        )
    return out


def day_text(d: SettlementDay) -> str:
    """The day under the cursor: DUELL's figures, then Visma's batches and what differs. Its
    amounts stand alone, so each says its currency (nb 15 607,00 kr)."""
    rates = " · ".join(
        _("{rate} % {gross} (VAT {vat})").format(
            rate=rate_shown(s.rate),
            gross=money_said(s.gross),
            vat=money_said(s.vat),
        )
        for s in d.sales
    )
    paid = " · ".join(f"{payment_text(t)} {money_said(a)}" for t, a in d.payments.items())
    extra = [
        text.format(amount=money_said(v))
        for text, v in (
            (_("gift cards sold {amount}"), d.gift_cards_sold),
            (_("tips {amount}"), d.tips),
            (_("rounding {amount}"), d.rounding),
            (_("pant sold (in sales) {amount}"), d.pant_sold),
            (_("pant paid back {amount}"), d.pant_refunded),
            (_("cash difference {amount}"), d.cash_difference),
            (_("paid in {amount}"), d.pay_ins),
            (_("paid out {amount}"), d.pay_outs),
        )
        if v
    ]
    lines = [
        f"{weekday_date(d.day)}: {marks_text(d.marks)}",
        _("  Sales {rates}").format(rates=rates) if rates else _("  No sales"),
        _("  Paid {payments}").format(payments=paid) + (f" · {' · '.join(extra)}" if extra else ""),
    ]
    for z in d.zreports:
        who = f"Z {z.z_number}" if z.z_number else z.key
        batch = (
            _("batch {batch} ({status})").format(batch=z.batch, status=visma_status_text(z.status))
            if z.batch
            else _("no batch in Visma (duvi's ledger: {state})").format(
                state=state_text(z.ledger_state)
            )
        )
        said = "; ".join(MARKS[m] for m in z.marks if m in ("differs", "extra"))
        lines.append(f"  {who}: {batch}" + (f": {said}" if said else ""))
        if z.on_account:
            lines.append(f"    {on_account_text(z.on_account)}")
        for a in z.differences:
            lines.append(
                _(
                    "    account {account}: DUELL {duell}, Visma {visma}, difference {difference}"
                ).format(
                    account=a.account,
                    duell=money_said(a.duell),
                    visma=money_said(a.visma),
                    difference=money_said(a.difference),
                )
            )
        if z.note:
            lines.append(f"    {z.note}")
    return "\n".join(lines)


def vat_text(r: Settlement) -> str:
    codes = [vat_code_text(v.code) for v in r.vat]
    heads = (_("Code"), _("Visma base"), _("Visma VAT"), _("DUELL base"), _("DUELL VAT"))
    w = max([8, len(heads[0]), *map(len, codes)])  # "rate 25 % (not mapped)" is wider than an id
    # Each column as wide as its amounts, or its title with two spaces before it, whichever is
    # wider (nb "Visma grunnlag" is 14).
    n = [max(wide, len(head) + 2) for wide, head in zip((12, 11, 12, 11), heads[1:], strict=True)]
    lines = [
        _("VAT per code, {month}, in NOK: Visma's batches beside DUELL's Z-reports").format(
            month=month_text(r.month)
        ),
        f"  {heads[0]:<{w}} {heads[1]:>{n[0]}} {heads[2]:>{n[1]}} {heads[3]:>{n[2]}} "
        f"{heads[4]:>{n[3]}}",
    ]
    for v, code in zip(r.vat, codes, strict=True):
        lines.append(
            f"  {code:<{w}} {money_text(v.visma_base):>{n[0]}} {money_text(v.visma_vat):>{n[1]}} "
            f"{money_text(v.duell_base):>{n[2]}} {money_text(v.duell_vat):>{n[3]}}"
            + (_("  differs") if v.differs else "")
        )
    if any(v.visma_vat != v.duell_vat for v in r.vat):
        lines.append(
            _(
                "  Visma's VAT is what lines carrying the code book on a VAT account: a VAT "
                "line without the code reports no VAT"
            )
        )
    return "\n".join(lines)


class ReconciliationScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        # Not the arrows: the list of days keeps those (its cursor).
        Binding("less_than_sign", "month(-1)", N_("Month before"), id="settlement-earlier"),
        Binding("greater_than_sign", "month(1)", N_("Month after"), id="settlement-later"),
        Binding("v", "toggle_vat", N_("VAT per code"), id="settlement-vat"),
        Binding("f5", "reload", N_("Refresh"), id="settlement-refresh"),
    ]

    def __init__(self, department_id: str, month: date | None = None) -> None:
        """`month`: by default the month of the department's latest Z-report."""
        super().__init__()
        self.department_id = department_id
        self.month = month.replace(day=1) if month else None
        self.report: Settlement | None = None
        self.showing_vat = False

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                _("Reconciliation, department {dept}").format(dept=self.department_id),
                id="settlement-title",
                classes="title",
            )
            yield Static(_("Reading the ledger and Visma…"), id="settlement-summary")
            table: DataTable[Text] = DataTable(id="settlement-days", cursor_type="row")
            for name in COLUMNS:
                table.add_column(_(name), key=name)
            yield table
            yield Static("", id="settlement-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="settlement", exclusive=True)
    def load(self) -> None:
        self.post_message(SettlementLoaded(self.api.settlement(self.department_id, self.month)))

    def action_reload(self) -> None:
        self.load()

    def action_month(self, n: int) -> None:
        if self.report is None:
            return
        self.month = add_months(self.report.month, n)
        self.query_one("#settlement-summary", Static).update(_("Reading the ledger and Visma…"))
        self.load()

    def action_toggle_vat(self) -> None:
        self.showing_vat = not self.showing_vat
        self.show_detail()

    @on(SettlementLoaded)
    def show(self, message: SettlementLoaded) -> None:
        r = self.report = message.settlement
        self.query_one("#settlement-title", Static).update(
            _("Reconciliation, department {dept} {name}: {month} · period {periods}").format(
                dept=r.department_id,
                name=r.department_name,
                month=month_text(r.month),
                periods=", ".join(period_text(p) for p in r.periods),
            )
        )
        self.query_one("#settlement-summary", Static).update(summary_text(r))
        table = self.query_one("#settlement-days", DataTable)
        table.clear()
        table.add_rows(table_rows(r.days))
        self.show_detail()

    @on(DataTable.RowHighlighted)
    def highlighted(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        r = self.report
        detail = self.query_one("#settlement-detail", Static)
        if r is None:
            return
        if self.showing_vat:
            detail.update(unbroken(detail, vat_text(r)))
            return
        table = self.query_one("#settlement-days", DataTable)
        if not r.days:
            detail.update(
                unbroken(
                    detail, _("No Z-report in duvi's ledger for this month (< > another month).")
                )
            )
            return
        row = min(max(table.cursor_row, 0), len(r.days) - 1)
        # Wrapped at ordinary spaces only: an amount (nb 17 572,25) never splits over two lines
        detail.update(unbroken(detail, day_text(r.days[row])))
