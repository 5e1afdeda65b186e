"""Account mapping editor: payment types, revenue and VAT per rate, rounding, inventory
change and gift cards, each against Visma's chart of accounts (status: ok / missing /
inactive). Enter chooses, ctrl+s saves (audited), u undoes, f5 re-reads Visma."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from core.readmodels import AccountEditor
from tui.i18n import N_, _, ngettext
from tui.messages import AccountsLoaded, ActionDone
from tui.screens.base import DuviScreen
from tui.screens.pick import PickOne
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tables import keep_cursor


class AccountsScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", N_("Save"), id="save-accounts"),
        Binding("u", "undo", N_("Undo"), id="undo-accounts"),
        Binding("f5", "refresh", N_("⟳ Refresh"), id="refresh-accounts"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.data = AccountEditor((), {}, None)
        self.edits: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                _("Account map of department {dept}  (Enter: choose)").format(
                    dept=self.department_id
                ),
                classes="title",
            )
            table: DataTable[str] = DataTable(id="accounts", cursor_type="row")
            table.add_columns(_("Line"), _("Account"), _("Visma description"), _("Status"))
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
        self.post_message(AccountsLoaded(self.api.account_editor(self.department_id)))

    @on(AccountsLoaded)
    def loaded(self, message: AccountsLoaded) -> None:
        self.data, self.edits = message.editor, {}
        self.render_rows()

    def render_rows(self) -> None:
        table = self.query_one("#accounts", DataTable)
        accounts = self.data.accounts
        with keep_cursor(table):
            table.clear()
            for row in self.data.rows:
                acc = self.edits.get(row.key, row.account)
                status = (
                    row.status
                    if row.key not in self.edits
                    else (_("ok") if acc in accounts else _("missing"))
                )
                mark = " *" if row.key in self.edits else ""
                table.add_row(row.label, acc + mark, accounts.get(acc, ""), status, key=row.key)
        bad = [r for r in self.data.rows if r.status != "ok" and r.key not in self.edits]
        text = (
            ngettext(
                "{n} line points at an account Visma lacks or has closed",
                "{n} lines point at accounts Visma lacks or has closed",
                len(bad),
            ).format(n=len(bad))
            if bad
            else _("every account exists and is active in Visma")
        )
        self.query_one("#accounts-state", Static).update(f"{text}\n{self.data.error or ''}".strip())

    @on(DataTable.RowSelected, "#accounts")
    def choose(self, event: DataTable.RowSelected) -> None:
        row = self.data.rows[event.cursor_row]

        def picked(acc: str | None) -> None:
            if acc:
                self.edits[row.key] = acc
                self.render_rows()

        self.app.push_screen(
            PickOne(
                _("Account for {line}").format(line=row.label), sorted(self.data.accounts.items())
            ),
            picked,
        )

    def unsaved(self) -> str | None:
        if not self.edits:
            return None
        return _("the account map of department {dept}").format(dept=self.department_id)

    def action_undo(self) -> None:
        self.edits = {}
        self.render_rows()

    def action_save(self) -> None:
        if self.settings.read_only:
            self.notify(_("Read-only mode: saving is a changing action."), severity="warning")
            return
        if self.edits:
            self.save(dict(self.edits))

    @work(thread=True, exit_on_error=False, group="accounts-save")
    def save(self, changes: dict[str, str]) -> None:
        self.post_message(ActionDone(self.api.save_accounts(self.department_id, changes)))

    @on(ActionDone)
    def saved(self, message: ActionDone) -> None:
        self.notify(message.text, title=_("Saved"))
        self.load()
