"""Choose one value from a list (a Visma VAT id, an account...)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.i18n import N_

NONE = "-"


class PickOne(ModalScreen[str | None]):
    """Dismissed with the chosen key, with NONE for the "none" choice, or with None when
    cancelled (Esc, q): a cancel changes nothing, so it must not read as "none"."""

    BINDINGS = [Binding("escape,q", "dismiss(None)", N_("Cancel"), id="pick-cancel")]  # noqa: RUF012

    def __init__(
        self,
        title: str,
        choices: list[tuple[str, str]],
        *,
        none_label: str | None = None,
        highlight: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.none_label = none_label
        self.highlight = highlight  # the choice the cursor opens on (the suggested one)

    def compose(self) -> ComposeResult:
        options = [Option(f"{key:<6} {label}", id=key) for key, label in self.choices]
        if self.none_label:
            options.append(Option(self.none_label, id=NONE))
        with Vertical(id="confirm"):
            yield Static(self.title_text)
            yield OptionList(*options, id="pick")

    def on_mount(self) -> None:
        keys = [key for key, _ in self.choices]
        if self.highlight in keys:
            self.query_one("#pick", OptionList).highlighted = keys.index(self.highlight)

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
