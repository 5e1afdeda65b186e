"""A long text to read and scroll (a raw Visma exchange): never parsed as markup."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.i18n import N_
from tui.widgets.footer import KeysFooter


class TextScreen(ModalScreen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape,q", "dismiss(None)", N_("Close"), id="text-close"),
        Binding("question_mark", "app.help", N_("Help"), id="text-help"),
        Binding("j", "scroll('down')", N_("Down"), show=False, id="text-down"),
        Binding("k", "scroll('up')", N_("Up"), show=False, id="text-up"),
        Binding("g", "scroll('home')", N_("Top"), show=False, id="text-top"),
        Binding("G", "scroll('end')", N_("Bottom"), show=False, id="text-bottom"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text-box"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.text), id="text-body")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#text-box").focus()

    def action_scroll(self, where: str) -> None:
        box = self.query_one("#text-box", VerticalScroll)
        {
            "down": box.scroll_down,
            "up": box.scroll_up,
            "home": box.scroll_home,
            "end": box.scroll_end,
        }[where]()
