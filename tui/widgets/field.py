"""The console's text input."""

from __future__ import annotations

from textual.widgets import Input


class Field(Input):
    """An Input whose cursor does not blink when animations are off (over SSH, and in tests):
    a blinking cursor is a repaint every half second down the wire."""

    def on_mount(self) -> None:
        if self.app.animation_level == "none":
            self.cursor_blink = False
