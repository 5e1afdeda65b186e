"""Ask for a short text (why a warning is acknowledged): Enter gives it, Esc cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.i18n import N_, _
from tui.textsafe import markup
from tui.widgets.field import Field


class AskText(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), id="ask-cancel")]  # noqa: RUF012

    def __init__(self, question: str, placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question)
            yield Field(placeholder=self.placeholder, id="ask-input")
            yield Static(markup(_("[b]Enter[/b] ok   [b]Esc[/b] cancel")), classes="keys")

    def on_mount(self) -> None:
        self.query_one("#ask-input", Input).focus()

    @on(Input.Submitted, "#ask-input")
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())
