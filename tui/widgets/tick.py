"""A checkbox whose state reads without colour: [X] when on, [ ] when off."""

from __future__ import annotations

from textual.widgets import Checkbox


class Tick(Checkbox):
    """Textual's Checkbox draws an X in both states and tells them apart by colour alone (a
    dark X on the panel when off): under NO_COLOR, in 16 colours and to the contrast check,
    off looked like on. Off is an empty box here."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "X" if self.value else " "
