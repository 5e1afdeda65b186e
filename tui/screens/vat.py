"""VAT mapping editor: each DUELL VAT rate in use against a Visma VAT id chosen from the
company's own list, with the SAF-T code and a status. Save (ctrl+s), undo (u), refresh from
Visma (f5). A complete mapping unblocks the department's transfers."""

from __future__ import annotations

from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from core.readmodels import VatEditor, VatRow, rate_shown, rates_shown
from tui.i18n import N_, _
from tui.messages import ActionDone, VatLoaded
from tui.screens.base import DuviScreen
from tui.screens.pick import NONE, PickOne
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tables import keep_cursor


class VatScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", N_("Save"), id="save-vat"),
        Binding("u", "undo", N_("Undo"), id="undo-vat"),
        Binding("f5", "refresh", N_("⟳ Refresh"), id="refresh-vat"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.data = VatEditor((), {}, None)
        self.edits: dict[Decimal, str | None] = {}

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                _("VAT mapping of department {dept}  (Enter: choose)").format(
                    dept=self.department_id
                ),
                classes="title",
            )
            table: DataTable[str] = DataTable(id="vat", cursor_type="row")
            table.add_columns(
                _("DUELL rate"), _("Products"), _("Sales"), _("Visma VAT id"), "SAF-T", _("Status")
            )
            yield table
            yield Static("", id="vat-state")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#vat", DataTable).focus()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="vat", exclusive=True)
    def load(self) -> None:
        self.post_message(VatLoaded(self.api.vat_editor(self.department_id)))

    @on(VatLoaded)
    def loaded(self, message: VatLoaded) -> None:
        self.data = message.editor
        self.edits = {}
        self.render_rows()

    def value(self, row: VatRow) -> str | None:
        return self.edits.get(row.rate, row.visma_vat_id)

    def render_rows(self) -> None:
        table = self.query_one("#vat", DataTable)
        with keep_cursor(table):
            table.clear()
            self.add_rows(table)
        missing = [r for r in self.data.rows if not self.value(r)]
        note = self.data.error or ""
        state = (
            _("Transfers: blocked until every rate in use is mapped")
            if missing
            else _("Transfers: mapping complete")
        )
        self.query_one("#vat-state", Static).update(f"{state}\n{note}".strip())

    def add_rows(self, table: DataTable[str]) -> None:
        for row in self.data.rows:
            vat_id = self.value(row)
            status = self.status(row, vat_id)
            mark = " *" if row.rate in self.edits else ""
            table.add_row(
                f"{rate_shown(row.rate)} %",
                str(row.products),
                str(row.sales),
                (vat_id or "-") + mark,
                row.saft_code or "-",
                status,
                key=str(row.rate),
            )

    def status(self, row: VatRow, vat_id: str | None) -> str:
        if row.rate not in self.edits:
            return row.status  # the engine's, against Visma's list
        if not vat_id:
            return _("missing")
        if self.data.visma and vat_id not in self.data.visma:
            return _("invalid")
        return _("wrong rate") if self.data.refusal(row.rate, vat_id) else _("ok")

    @on(DataTable.RowSelected, "#vat")
    def choose(self, event: DataTable.RowSelected) -> None:
        row = self.data.rows[event.cursor_row]
        rate = f"{rate_shown(row.rate)} %"

        def picked(choice: str | None) -> None:
            if choice is None:  # cancelled: the row stays as it was
                return
            vat_id = None if choice == NONE else choice
            refused = self.data.refusal(row.rate, vat_id) if vat_id else None
            if refused:  # a rate mapped to an id of another rate books the wrong VAT
                self.notify(refused, title=_("Refused"), severity="error")
                return
            self.edits[row.rate] = vat_id
            self.render_rows()

        current = self.value(row)
        opens_on = (
            current
            if current and current in self.data.visma and not self.data.refusal(row.rate, current)
            else row.suggested
        )
        self.app.push_screen(
            PickOne(
                (
                    _("Visma VAT id for {rate} (suggested: {suggested})")
                    if row.suggested
                    else _("Visma VAT id for {rate}")
                ).format(rate=rate, suggested=row.suggested),
                [
                    (key, f"{rates_shown(self.data.rates.get(key, '?')):>7}  {label}")
                    for key, label in self.data.visma.items()
                ],
                none_label=_("(none: leave unmapped)"),
                highlight=opens_on,
            ),
            picked,
        )

    def unsaved(self) -> str | None:
        if not self.edits:
            return None
        return _("the VAT mapping of department {dept}").format(dept=self.department_id)

    def action_undo(self) -> None:
        self.edits = {}
        self.render_rows()

    def action_save(self) -> None:
        if self.settings.read_only:
            self.notify(_("Read-only mode: saving is a changing action."), severity="warning")
            return
        mapping = {r.rate: self.value(r) for r in self.data.rows}
        self.save(mapping)

    @work(thread=True, exit_on_error=False, group="vat-save")
    def save(self, mapping: dict[Decimal, str | None]) -> None:
        self.post_message(ActionDone(self.api.save_vat_mapping(self.department_id, mapping)))

    @on(ActionDone)
    def saved(self, message: ActionDone) -> None:
        self.notify(message.text, title=_("Saved"))
        self.load()
