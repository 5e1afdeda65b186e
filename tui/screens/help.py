"""Help (`?` on every screen): the keys of the screen it was opened on, those the footer
leaves out included, generated from the bindings in force, so it is never out of date."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from tui.i18n import N_, _, binding_text

# Keys every screen has through Textual itself (no binding of ours to read them from)
COMMON = [
    ("tab / shift+tab", N_("Next / previous pane or field"), "-"),
    ("↑ ↓ PgUp PgDn", N_("Move in a list"), "-"),
]
# The screen help names in its title (by class)
SCREEN_NAMES = {
    "MainScreen": N_("the main screen"),
    "TransfersScreen": N_("Transfers"),
    "CalendarScreen": N_("Calendar"),
    "ReconciliationScreen": N_("Reconciliation"),
    "ConflictsScreen": N_("Conflicts"),
    "VatScreen": N_("VAT mapping"),
    "AccountsScreen": N_("Account map"),
    "SettingsScreen": N_("Settings"),
    "SetupScreen": N_("Setup"),
    "LogScreen": N_("Log"),
    "DoctorScreen": N_("Doctor"),
    "MergeScreen": N_("Merge"),
    "TextScreen": N_("Text"),
}


def screen_name(screen: Screen[Any]) -> str:
    """The help title: the keys of which screen."""
    name = type(screen).__name__
    return _("keys of {screen}").format(screen=_(SCREEN_NAMES.get(name, name)))


def help_rows(screen: Screen[Any], app: App[Any]) -> list[tuple[str, str, str]]:
    """(keys, what they do, binding id) of the screen's bindings, then the app's; a binding
    its screen turns off (a department that does not exist) is left out."""
    rows: dict[tuple[str, str], tuple[list[str], str, str]] = {}
    nodes: list[DOMNode] = [screen, app]
    for node in nodes:
        for _key, binding in node._bindings:
            if not binding.description or binding.id in (None, "confirm-default"):
                continue
            state = app._check_action_state(binding.action, node)
            if state is False:
                continue
            text = binding_text(binding)
            keys = rows.setdefault((binding.action, text), ([], text, binding.id))[0]
            shown = app.get_key_display(binding)
            if shown not in keys:
                keys.append(shown)
    out = [(" / ".join(keys), desc, bid) for keys, desc, bid in rows.values()]
    return out + [(keys, _(text), bid) for keys, text, bid in COMMON]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", N_("Close"), id="close-help")]  # noqa: RUF012

    def __init__(self, bindings: list[tuple[str, str, str]], title: str | None = None) -> None:
        super().__init__()
        self.rows = bindings
        self.title_text = title or _("keys")

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(
                _("duvi: {title} (Esc closes)").format(title=self.title_text), id="help-title"
            )
            table: DataTable[str] = DataTable(id="help-table", cursor_type="row")
            # Two columns a person reads: the key to press (nb "Tast", not "Nøkkel", which
            # is a document's key) and what it does. A binding's id, which only the `keymap`
            # setting needs, is said under the table for the row the cursor is on.
            table.add_columns(_("Key to press"), _("Action"))
            for key, desc, _bid in self.rows:
                table.add_row(key, desc)
            yield table
            yield Static("", id="help-keymap")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        bid = self.rows[event.cursor_row][2] if 0 <= event.cursor_row < len(self.rows) else "-"
        self.query_one("#help-keymap", Static).update(
            _("Its name in the keymap setting: {id}").format(id=bid) if bid != "-" else ""
        )
