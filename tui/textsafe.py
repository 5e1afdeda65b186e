"""No text from data reaches the terminal with a control character in it (imported first by
tui/app.py: `install()` runs before any text is made).

Text from data (a customer's name, a product text, an error message of Visma or DUELL, a
department's name) reaches every screen and widget: tables, panes, notifications, dialogs, the
palette's commands, tab labels, the header. Textual and Rich drop only BEL, BS, VT, FF and CR
from it; ESC and the C1 controls went to the terminal raw, so such text could set the window
title, write the clipboard (OSC 52) or move the cursor to fake what the screen shows. Rather
than make every screen clean its data (one forgotten call is the hole again), the console
hooks the two places all of it passes through, both in this module:

1. Where text is made. Textual's `Content` and Rich's `Text` pass every string they are given
   through one translate table (`textual.content._CONTROL_STRIP_TRANSLATE`,
   `rich.control._CONTROL_STRIP_TRANSLATE`): the tables are filled in place so each control
   character becomes its picture (core/textsafe.py: ESC "␛", BEL "␇", C1 "�") before its width
   is measured, and the agent sees that the data holds it. Tab and newline stay (each view
   handles them as it did); CR is still dropped, as Textual and Rich did (a CRLF line end).
2. Where a painted line becomes terminal output (`Strip.render`, which every update the app
   writes goes through): a control character that reached a line some other way (a segment
   made from a raw string) is dropped there, and so is one in a link's address. Dropped, not
   shown: the layout measured it as zero cells wide, and a picture there would push the line
   past its end. Ordinary lines pay one search of their text, once (Strip caches its output).

tests/test_textsafe.py fails if a Textual or Rich upgrade renames or bypasses either hook."""

from __future__ import annotations

import re
from collections.abc import Iterable

import rich.control
import textual.content
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from core.textsafe import PICTURES

# 1: the text-making tables. Tab and newline are laid out by the views; CR is dropped.
MADE_SAFE: dict[int, str | None] = {
    code: shown for code, shown in PICTURES.items() if code not in (0x09, 0x0A)
}
MADE_SAFE[0x0D] = None

# 2: whatever reaches a painted line raw; zero cells wide in the layout, so it goes.
_RAW = re.compile("[\x00-\x1f\x7f-\x9f]")


def _render(self: Strip, console: Console) -> str:
    """Strip.render (Textual 8.2's, the same four lines) with no control character left in
    the text or in a link's address."""
    if self._render_cache is None:
        color_system = console._color_system or ColorSystem.TRUECOLOR
        render = self.render_style
        segments: Iterable[Segment] = self._segments
        if _RAW.search("".join([text for text, _, _ in segments])) or any(
            style is not None and style._link and _RAW.search(style._link)
            for _, style, _ in segments
        ):
            segments = [Segment(_RAW.sub("", t), _safe_link(s), c) for t, s, c in segments]
        self._render_cache = "".join(
            [
                text if style is None else render(style, text, color_system=color_system)
                for text, style, _ in segments
            ]
        )
    return self._render_cache


def _safe_link(style: Style | None) -> Style | None:
    if style is None or not style._link or not _RAW.search(style._link):
        return style
    return style.update_link(_RAW.sub("", style._link))


def install() -> None:
    """Hook both places (once; again is harmless)."""
    for table in (
        textual.content._CONTROL_STRIP_TRANSLATE,
        rich.control._CONTROL_STRIP_TRANSLATE,
    ):
        table.clear()
        table.update(MADE_SAFE)  # type: ignore[arg-type]
    Strip.render = _render  # type: ignore[method-assign]


install()
