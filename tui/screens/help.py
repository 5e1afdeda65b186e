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

# Keys every screen has through Textual itself (no binding of ours to read them from)
COMMON = [
    ("tab / shift+tab", "Next / previous pane or field", "-"),
    ("↑ ↓ PgUp PgDn", "Move in a list", "-"),
]


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
            keys = rows.setdefault(
                (binding.action, binding.description), ([], binding.description, binding.id)
            )[0]
            shown = app.get_key_display(binding)
            if shown not in keys:
                keys.append(shown)
    out = [(" / ".join(keys), desc, bid) for keys, desc, bid in rows.values()]
    return out + COMMON


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="close-help")]  # noqa: RUF012

    def __init__(self, bindings: list[tuple[str, str, str]], title: str = "keys") -> None:
        super().__init__()
        self.rows = bindings
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(f"duvi: {self.title_text} (Esc closes)", id="help-title")
            table: DataTable[str] = DataTable(id="help-table", cursor_type="row")
            table.add_columns("Key", "Action", "Id")
            for key, desc, bid in self.rows:
                table.add_row(key, desc, bid)
            yield table
