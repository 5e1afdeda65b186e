"""A yes/no question before a changing action (or before throwing edits away)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.i18n import N_, _


class Confirm(ModalScreen[bool]):
    BINDINGS = [  # noqa: RUF012
        Binding("y", "answer(True)", N_("Yes"), id="confirm-yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm-no"),
        Binding("enter", "default", N_("The default"), show=False, id="confirm-default"),
    ]

    def __init__(self, question: str, *, default: bool = False) -> None:
        super().__init__()
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        yes, no = ("Y", "n") if self.default else ("y", "N")
        with Vertical(id="confirm"):
            yield Static(self.question)
            yield Static(
                _("[b]{yes}[/b] yes   [b]{no}[/b] no").format(yes=yes, no=no), classes="keys"
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_default(self) -> None:
        self.dismiss(self.default)
