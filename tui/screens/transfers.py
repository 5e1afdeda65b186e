"""Transfers of a department: every Z-report, invoice and stock issue with its business date,
Z number and register, amount, state, Visma's number and status, and age. Filtered by state
(`f`) and by business date (`/`), sorted (`o`); Enter shows the document as sent (or as it
will be), `w` what Visma was told and answered about it, `s` resends, `b` releases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from core.i18n import date_text, parse_date
from core.readmodels import (
    TRANSFER_COLUMNS,
    TRANSFER_SORTS,
    TRANSFER_STATES,
    TransferRow,
    document_text,
    filter_transfers,
    kind_text,
    reason_shown,
    sort_transfers,
    state_text,
    state_words,
    transfer_cells,
    visma_status_words,
)
from tui.i18n import N_, _, ngettext
from tui.messages import ActionDone, DocumentLoaded, ExchangesLoaded, TransfersLoaded
from tui.screens.base import DuviScreen
from tui.screens.confirm import Confirm
from tui.widgets.cells import fit, unbroken
from tui.widgets.field import Field
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

# The rows the table is given at once: a DataTable measures every cell it is given (about
# 0.2 ms a row), so years of documents are shown a window at a time: the next window is added
# when the cursor reaches the last row, G shows the last one, g the first. 50: more than a
# screen holds at 200x50.
WINDOW = 50
# Fixed widths (the table never measures a column); the reason takes what is left. Numbers
# are right-aligned. The state and Visma's status are as wide as their longest word in the
# language (nb "holdt tilbake"), so a word is never cut where the columns fit, and the amount's
# as its heading, which names the currency (en "Amount (NOK)").
WIDTHS = (10, 5, 3, 24, 10, 9, 6, 8, 6)
RIGHT = frozenset({"Z", "Amount", "Age"})
# The columns a narrow terminal keeps, most important first: as many as fit, whole, until the
# first that does not (at 80 columns: the date, key, amount, state and Visma's number). The
# reason comes last and takes what is left, if that is 10 or more: the line under the table
# shows the highlighted document's reason in full anyway. The Z number (it is in the key) and
# the register come only when the reason keeps its 10 beside them.
IMPORTANCE = ("Date", "Key", "Amount", N_("State"), "Visma", "Age", "Status", "Z", "Reg")
OPTIONAL = frozenset({"Z", "Reg"})
REASON_MIN = 10
# The columns' titles as shown (TRANSFER_COLUMNS names them)
TITLES = {
    "Date": N_("Date"),
    "Z": N_("Z"),
    "Reg": N_("Reg"),
    "Key": N_("Key"),
    "Amount": N_("Amount (NOK)"),  # the cells bare numbers: the heading names the currency
    "State": N_("State"),
    "Visma": N_("Visma"),
    "Status": N_("Status"),
    "Age": N_("Age"),
    "Reason": N_("Reason"),
}


def shown_columns(width: int) -> list[tuple[int, int]]:
    """(index into TRANSFER_COLUMNS, width) of the columns a `width`-wide screen shows, in
    TRANSFER_COLUMNS' order."""
    left = width - 6  # the table's scrollbar and the screen's padding
    fixed = dict(zip(TRANSFER_COLUMNS, WIDTHS, strict=False))
    fixed["State"] = max(fixed["State"], *map(cell_len, state_words()))
    fixed["Status"] = max(fixed["Status"], *map(cell_len, visma_status_words()))
    fixed["Amount"] = max(fixed["Amount"], cell_len(_(TITLES["Amount"])))
    kept: dict[str, int] = {}
    for label in IMPORTANCE:
        if fixed[label] + 2 > left - (REASON_MIN + 2 if label in OPTIONAL else 0):
            break
        kept[label] = fixed[label]
        left -= fixed[label] + 2
    if left >= REASON_MIN:
        kept["Reason"] = left
    return [(i, kept[label]) for i, label in enumerate(TRANSFER_COLUMNS) if label in kept]


def parse_dates(text: str) -> tuple[date | None, date | None]:
    """One day ("2026-11-27", "27.11.2026", "27.11.26": core.i18n.parse_date), "from..to",
    "from.." or "..to"; empty: every date. ValueError for anything else."""
    text = text.strip()
    if not text:
        return None, None
    first, dots, last = text.partition("..")
    if not dots:
        day = parse_date(text)
        return day, day
    return (
        parse_date(first) if first.strip() else None,
        parse_date(last) if last.strip() else None,
    )


class TransfersScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("enter", "open", N_("Document"), id="preview"),
        Binding("f", "state_filter", N_("State"), id="transfers-state"),
        Binding("slash", "date_filter", N_("Dates"), id="transfers-dates"),
        Binding("o", "sort", N_("Sort"), id="transfers-sort"),
        Binding("s", "resend", N_("Resend"), id="resend"),
        Binding("b", "release", N_("Release"), id="release"),
        Binding("w", "raw", N_("Visma raw"), id="visma-raw"),
        Binding("j", "cursor_down", N_("Down"), show=False, id="transfers-down"),
        Binding("k", "cursor_up", N_("Up"), show=False, id="transfers-up"),
        Binding("g", "top", N_("Top"), show=False, id="transfers-top"),
        Binding("G", "bottom", N_("Bottom"), show=False, id="transfers-bottom"),
    ]

    def __init__(
        self,
        department_id: str,
        *,
        day: date | None = None,
        days: tuple[date, date] | None = None,
    ) -> None:
        """`day`: open on that business day's documents only (the calendar's Enter); `days`:
        on those from the first to the last (a doctor finding's, such as a closing period's)."""
        super().__init__()
        self.department_id = department_id
        self.all_rows: list[TransferRow] = []  # the department's, as loaded
        self.rows: list[TransferRow] = []  # what the table shows, in its order
        self.state: str | None = None  # the state filter; None: every state
        self.since: date | None = days[0] if days else day
        self.until: date | None = days[1] if days else day
        self.sort = TRANSFER_SORTS[0]
        self.chosen: list[TransferRow] = []  # the rows that pass the filters, sorted
        # The loaded rows in each order, sorted once per load (by the worker): a filter keeps
        # the order, so filtering the sorted rows is sorting the filtered ones, without a sort.
        self.ordered: dict[str, list[TransferRow]] = {}
        self.first = 0  # where in `chosen` the table's rows start
        # Opened on every date and state, newest first: a first page is read (transfer_page),
        # and the rest only when asked for (scrolled to its end, G, a filter or another sort);
        # how many there are meanwhile. None once every row is loaded.
        self.total: int | None = None
        self._then: str | None = None  # an action waiting for every row ("bottom"…)
        self.columns: list[tuple[int, int]] = []  # shown_columns(), set once mounted

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                Text(_("Transfers of department {dept}").format(dept=self.department_id)),
                id="transfers-title",
                classes="title",
            )
            yield Static("", id="transfers-filters")
            yield Field(
                placeholder=_(
                    "2026-11-27 or 27.11.2026, or from..to (either end may be left "
                    "out); empty: every date. Enter applies"
                ),
                id="dates-input",
                classes="hidden",
            )
            table: DataTable[str | Text] = DataTable(
                id="transfers", cursor_type="row", zebra_stripes=True
            )
            yield table
            yield Static("", id="transfer-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#transfers", DataTable)
        self.columns = shown_columns(self.app.size.width)
        for i, width in self.columns:
            label = TRANSFER_COLUMNS[i]
            table.add_column(_(TITLES.get(label, label)), width=width, key=label)
        table.focus()
        self.show_filters()
        self.load()

    def unfiltered(self) -> bool:
        return self.state is None and self.since is None and self.until is None

    def load(self) -> None:
        """The department's documents: a first page when the list shows them all, newest
        first (opening a department with years of them reads one page), else all of them."""
        self.load_rows(page=self.unfiltered() and self.sort == TRANSFER_SORTS[0])

    @work(thread=True, exit_on_error=False, group="transfers", exclusive=True)
    def load_rows(self, *, page: bool = False) -> None:
        if page:
            first = self.api.transfer_page(self.department_id, 2 * WINDOW)
            if first is not None and len(first[0]) < first[1]:
                rows, total = first
                self.post_message(TransfersLoaded(rows, {TRANSFER_SORTS[0]: rows}, total))
                return
            if first is not None:  # the page is every row
                rows = first[0]
                ordered = {by: sort_transfers(rows, by) for by in TRANSFER_SORTS}
                self.post_message(TransfersLoaded(rows, ordered))
                return
        rows = self.api.transfers(self.department_id)
        # Sorted here, in the worker, once per order: `o` and the filters then only filter.
        ordered = {by: sort_transfers(rows, by) for by in TRANSFER_SORTS}
        self.post_message(TransfersLoaded(rows, ordered))

    def load_all(self) -> bool:
        """Whether the rest is still to be read (it is then asked for: the list is filled
        again once it is in)."""
        if self.total is None:
            return False
        self.load_rows()
        return True

    @on(TransfersLoaded)
    def loaded(self, message: TransfersLoaded) -> None:
        self.all_rows = message.rows
        self.ordered = message.ordered
        self.total = message.total
        self.refill()
        if self._then is not None and self.total is None:
            then, self._then = self._then, None
            getattr(self, f"action_{then}")()

    def refill(self) -> None:
        """Filter, sort and show the loaded rows; the cursor stays on the document it was on
        (or, when that one is filtered out, on the same line)."""
        if not (self.unfiltered() and self.sort == TRANSFER_SORTS[0]) and self.load_all():
            return  # a filter or another order needs every row: filled again once read
        table = self.query_one("#transfers", DataTable)
        current = self.selected()
        line = table.cursor_row
        if self.sort not in self.ordered:
            self.ordered[self.sort] = sort_transfers(self.all_rows, self.sort)
        self.chosen = filter_transfers(
            self.ordered[self.sort],
            states=frozenset({self.state}) if self.state else None,
            since=self.since,
            until=self.until,
        )
        keys = [r.key for r in self.chosen]
        at = keys.index(current.key) if current is not None and current.key in keys else None
        self.first = 0 if at is None or at < WINDOW else at - WINDOW // 2
        self.show_window()
        if at is not None:
            table.move_cursor(row=at - self.first, animate=False)
        elif self.rows:
            table.move_cursor(row=min(line, len(self.rows) - 1), animate=False)
        self.show_filters()
        self.show_detail()

    def show_window(self) -> None:
        """The window of the chosen rows from `first` on."""
        table = self.query_one("#transfers", DataTable)
        table.clear()
        self.rows = []
        self.add_rows(self.chosen[self.first : self.first + WINDOW])

    def add_rows(self, rows: list[TransferRow]) -> None:
        now = datetime.now(UTC)
        # Text, not str: a str cell is parsed as markup, and a reason may hold brackets.
        # Padded, not justified: the table draws a cell from its left edge whatever it says.
        right = [TRANSFER_COLUMNS[i] in RIGHT for i, _ in self.columns]
        table_rows = []
        for row in rows:
            all_cells = transfer_cells(row, now)
            table_rows.append(
                tuple(
                    Text(fit(all_cells[i], w).rjust(w) if r else fit(all_cells[i], w))
                    for (i, w), r in zip(self.columns, right, strict=True)
                )
            )
        self.query_one("#transfers", DataTable).add_rows(table_rows)
        self.rows += rows

    def show_filters(self) -> None:
        if self.since is None and self.until is None:
            dates = _("all")
        elif self.since == self.until:
            dates = date_text(self.since)  # nb 27.11.2026: as typed, as the list shows it
        else:
            dates = f"{date_text(self.since) or '…'}..{date_text(self.until) or '…'}"
        total, last = self.total or len(self.chosen), self.first + len(self.rows)
        shown = (
            ngettext("{n} document", "{n} documents", total).format(n=total)
            if self.first == 0 and last == total
            else _("documents {first}-{last} of {total}").format(
                first=self.first + 1, last=last, total=total
            )
        )
        order = {
            "date": _("date, newest first"),
            "amount": _("amount, largest first"),
            "state": _("state, needing a person first"),
        }
        self.query_one("#transfers-filters", Static).update(
            Text(
                _("State: {state} (f)   Dates: {dates} (/)   Sort: {order} (o)   {shown}").format(
                    state=state_text(self.state) if self.state else _("all"),
                    dates=dates,
                    order=order.get(self.sort, self.sort),
                    shown=shown,
                )
            )
        )

    def selected(self) -> TransferRow | None:
        table = self.query_one("#transfers", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#transfers")
    def highlighted(self) -> None:
        table = self.query_one("#transfers", DataTable)
        last = self.first + len(self.rows)
        if table.cursor_row == len(self.rows) - 1 and last < len(self.chosen):
            self.add_rows(self.chosen[last : last + WINDOW])
            self.show_filters()
        elif table.cursor_row == len(self.rows) - 1 and last < (self.total or 0):
            self.load_all()  # the end of the first page: the rest, the cursor kept
        self.show_detail()

    def show_detail(self) -> None:
        """The highlighted document's whole reason (held, attention, refused), untruncated."""
        row = self.selected()
        if row is None:
            text = _("No documents match.") if self.all_rows else ""
        elif row.reason:
            text = _("{key} {state}: {reason}").format(
                key=row.key, state=state_text(row.state), reason=reason_shown(row.reason)
            )
        else:
            text = _("{key} {state}. Enter: the document; w: what Visma answered.").format(
                key=row.key, state=state_text(row.state)
            )
        detail = self.query_one("#transfer-detail", Static)
        detail.update(unbroken(detail, text))  # an amount in a reason is never split

    # -- moving and filtering ------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.query_one("#transfers", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#transfers", DataTable).action_cursor_up()

    def action_top(self) -> None:
        if self.first > 0:
            self.first = 0
            self.show_window()
            self.show_filters()
        self.query_one("#transfers", DataTable).move_cursor(row=0, animate=False)

    def action_bottom(self) -> None:
        if self.load_all():
            self._then = "bottom"
            return
        table = self.query_one("#transfers", DataTable)
        if self.first + len(self.rows) < len(self.chosen):
            self.first = max(0, len(self.chosen) - WINDOW)
            self.show_window()
            self.show_filters()
        table.move_cursor(row=max(0, table.row_count - 1), animate=False)

    def action_state_filter(self) -> None:
        """The next state that has documents (then every state again)."""
        if self.load_all():
            self._then = "state_filter"  # which states are present is known once all are read
            return
        present = {r.state for r in self.all_rows}
        cycle = [None, *(s for s in TRANSFER_STATES if s in present or s == self.state)]
        self.state = cycle[(cycle.index(self.state) + 1) % len(cycle)]
        self.refill()

    def action_sort(self) -> None:
        self.sort = TRANSFER_SORTS[(TRANSFER_SORTS.index(self.sort) + 1) % len(TRANSFER_SORTS)]
        self.refill()

    def action_date_filter(self) -> None:
        box = self.query_one("#dates-input", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Submitted, "#dates-input")
    def dates_given(self, event: Input.Submitted) -> None:
        try:
            self.since, self.until = parse_dates(event.value)
        except ValueError:
            self.notify(
                _(
                    "{value} is not a date: write 2026-11-27, 27.11.2026 or 27.11.26, or from..to"
                ).format(value=repr(event.value)),
                severity="error",
            )
            return
        self.refill()
        # The box goes and the focus moves once the rows are painted: both lay the screen out
        # again, and the rows are what the person waits for (the log's search does the same).
        self.call_after_refresh(self.close_dates)

    def close_dates(self) -> None:
        self.query_one("#dates-input", Input).add_class("hidden")
        self.query_one("#transfers", DataTable).focus()

    # -- one document ----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#transfers")
    def row_selected(self) -> None:  # Enter on the table
        self.action_open()

    def action_open(self) -> None:
        row = self.selected()
        if row is not None:
            self.open_document(row.key)

    @work(thread=True, exit_on_error=False, group="preview", exclusive=True)
    def open_document(self, key: str) -> None:
        self.post_message(DocumentLoaded(self.api.transfer_document(key)))

    @on(DocumentLoaded)
    def show_document(self, message: DocumentLoaded) -> None:
        from tui.screens.text import TextScreen

        doc = message.document
        self.app.push_screen(
            TextScreen(f"{doc.row.key} ({kind_text(doc.row.kind)})", document_text(doc))
        )

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

        self.app.push_screen(
            TextScreen(_("Visma about {key}").format(key=message.key), message.text)
        )

    # -- changing actions ------------------------------------------------------------------------

    def action_resend(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.state not in ("refused", "held", "attention"):
            self.notify(
                _("{key} is {state}: only refused or held transfers are resent.").format(
                    key=row.key, state=state_text(row.state)
                )
            )
            return
        if self.settings.read_only:
            self.notify(_("Read-only mode: resending is a changing action."), severity="warning")
            return
        if row.confirmable:  # the double-posting guard: a person decides, knowingly

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.confirm_foreign(row.key)

            question = (
                _(
                    "Visma already holds a customer invoice of {date} to the same customer, "
                    "for the same amount, that duvi did not make (DUELL's own Visma module?). "
                    "Post {key} beside it all the same? The sale is invoiced twice unless that "
                    "invoice is removed."
                )
                if row.kind == "invoice"
                else _(
                    "Visma already holds a batch of {date} for this department that duvi did "
                    "not make (DUELL's own Visma module?). Post {key} beside it all the same? "
                    "The day is booked twice unless that batch is removed."
                )
            ).format(date=date_text(row.business_date), key=row.key)
            self.app.push_screen(
                Confirm(question),
                confirmed,
            )
            return
        self.resend(row.key)

    def action_release(self) -> None:
        row = self.selected()
        if row is not None and row.state == "released":
            self.notify(
                _("{key} is already released in Visma ({number}).").format(
                    key=row.key, number=row.visma_number
                )
            )
            return
        if row is None or row.state != "confirmed":
            self.notify(_("Only a confirmed transfer can be released."))
            return
        if self.settings.read_only:
            self.notify(_("Read-only mode: releasing is a changing action."), severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.release(row.key)

        self.app.push_screen(
            Confirm(
                _("Release {key} ({number}) in Visma? This posts it for good.").format(
                    key=row.key, number=row.visma_number
                )
            ),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="transfer-action")
    def resend(self, key: str) -> None:
        self.post_message(ActionDone(self.api.resend(key)))

    @work(thread=True, exit_on_error=False, group="transfer-action")
    def confirm_foreign(self, key: str) -> None:
        self.post_message(ActionDone(self.api.confirm_foreign(key)))

    @work(thread=True, exit_on_error=False, group="transfer-action")
    def release(self, key: str) -> None:
        try:
            self.post_message(ActionDone(self.api.release(key)))
        finally:  # refused or not, the ledger may have learnt that it is released
            self.app.call_from_thread(self.load)

    @on(ActionDone)
    def done(self, message: ActionDone) -> None:
        self.notify(message.text)
        self.load()
