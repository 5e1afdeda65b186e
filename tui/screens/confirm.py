"""A yes/no question before a changing action (or before throwing edits away)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from core.i18n import current_language
from tui.i18n import N_, _
from tui.textsafe import markup

# The key that answers yes, as the language says yes: nb "j" (ja), en "y". Both keys answer
# yes in either language (a hand used to one keeps working after a switch).
YES_KEYS = {"nb": "j", "en": "y"}


class Confirm(ModalScreen[bool]):
    BINDINGS = [  # noqa: RUF012
        Binding("y,j", "answer(True)", N_("Yes"), id="confirm-yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm-no"),
        Binding("enter", "default", N_("The default"), show=False, id="confirm-default"),
    ]

    def __init__(self, question: str, *, default: bool = False) -> None:
        super().__init__()
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        key = YES_KEYS.get(current_language(), "y")
        yes, no = (key.upper(), "n") if self.default else (key, "N")
        with Vertical(id="confirm"):
            yield Static(self.question)
            yield Static(
                markup(_("[b]{yes}[/b] yes   [b]{no}[/b] no").format(yes=yes, no=no)),
                classes="keys",
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_default(self) -> None:
        self.dismiss(self.default)
