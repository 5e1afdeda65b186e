"""Text that keeps its shape in a column or a wrapping pane.

`fit`: a cell's text in its column's width; one too long ends in "…", never cut silently.

`Unbroken`: text for a pane that wraps (a detail line, a document's facts) that breaks only at
an ordinary space. Rich and Textual wrap at any whitespace, the no-break space inside an amount
(nb 17 572,25) too, so "17" could end one line and "572,25" start the next: an amount, a date
with its time or anything else joined by a no-break space stays whole on one line. A pane shows
it with `pane.update(unbroken(pane, text))`; the text is data, never markup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.measure import Measurement
from rich.text import Text
from textual.visual import RichVisual

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from textual.widget import Widget

NBSP = "\xa0"
# Stands in for the no-break space while Rich wraps: one cell wide and not whitespace (a
# private-use character, never in duvi's text).
_HOLD = "\ue000"


def fit(text: str, width: int) -> str:
    """`text` in `width` cells: as it is when it fits, else cut to end in "…"."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""


class Unbroken:
    """A Rich renderable: `text` (str or Text) wrapped to the width it is given, at ordinary
    spaces only."""

    def __init__(self, text: str | Text) -> None:
        self.text = Text(text) if isinstance(text, str) else text

    def __str__(self) -> str:
        return self.text.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        held = self.text.copy()
        held.plain = held.plain.replace(NBSP, _HOLD)  # the same length: the styles stay
        lines = held.wrap(console, options.max_width, justify="left", overflow="fold")
        for line in lines:
            line.plain = line.plain.replace(_HOLD, NBSP)
            line.end = "\n"
        text = Text("\n").join(lines)
        text.no_wrap = True
        yield text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


class UnbrokenVisual(RichVisual):
    """Unbroken text as a Static shows it; str() gives the text (as a Static's own does)."""

    def __str__(self) -> str:
        return str(self._renderable)


def unbroken(widget: Widget, text: str | Text) -> UnbrokenVisual:
    """`text` for `widget` (a Static's update), wrapped at ordinary spaces only."""
    return UnbrokenVisual(widget, Unbroken(text))
