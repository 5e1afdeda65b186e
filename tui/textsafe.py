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

3. Markup. The same text from data was also read as Textual's markup: "[/]" in a Visma error
   crashed the console (MarkupError), "Field [CustomerID] is required" was shown as
   "Field  is required", "[@click=app.quit]q[/]" made a button and "[link=...]" a link. Every
   str a widget is given is read by one of two parsers: Textual's `Content.from_markup`
   (Static and Label contents, notifications, tab labels, Select and OptionList prompts, the
   palette's commands, border titles, buttons, checkboxes) and, in a DataTable only, Rich's
   `Text.from_markup` (its cells and labels). Both read a str as it is here: the text shown
   is the str. The console's own markup (bold keys in a dialog, a setting's dim state) says
   so with `markup()`, the only parser left (a `Markup`: a str, so a notification takes it
   too); data in it goes in as a variable ($name), which is never parsed. Textual's own
   markup in a notification (ctrl+c's hint, a saved screenshot) is said by DuviApp. Rich's
   `Text.from_markup` itself is left alone (typer's help, in the same process in tests, uses
   it): only DataTable's module reads a str with the literal one.

tests/test_textsafe.py and tests/test_markup.py fail if an upgrade renames or bypasses a hook."""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

import rich.control
import textual.content
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.content import Content
from textual.strip import Strip

from core.importhook import when_imported
from core.textsafe import CONTROL, PICTURES

# 1: the text-making tables. Tab and newline are laid out by the views; CR is dropped.
MADE_SAFE: dict[int, str | None] = {
    code: shown for code, shown in PICTURES.items() if code not in (0x09, 0x0A)
}
MADE_SAFE[0x0D] = None

# 2: whatever reaches a painted line raw (CONTROL) is zero cells wide in the layout: it goes.


def _render(self: Strip, console: Console) -> str:
    """Strip.render (Textual 8.2's, the same four lines) with no control character left in
    the text or in a link's address."""
    if self._render_cache is None:
        color_system = console._color_system or ColorSystem.TRUECOLOR
        render = self.render_style
        segments: Iterable[Segment] = self._segments
        if CONTROL.search("".join([text for text, _, _ in segments])) or any(
            style is not None and style._link and CONTROL.search(style._link)
            for _, style, _ in segments
        ):
            segments = [Segment(CONTROL.sub("", t), _safe_link(s), c) for t, s, c in segments]
        self._render_cache = "".join(
            [
                text if style is None else render(style, text, color_system=color_system)
                for text, style, _ in segments
            ]
        )
    return self._render_cache


def _safe_link(style: Style | None) -> Style | None:
    if style is None or not style._link or not CONTROL.search(style._link):
        return style
    return style.update_link(CONTROL.sub("", style._link))


# 3: markup. Textual's parser, kept for the console's own markup.
_parse = textual.content.Content.from_markup.__func__  # type: ignore[attr-defined]


class Markup(str):
    """Text of ours with its look, as `markup()` makes it. As a str it is the words alone
    (what a str operation on it keeps: no tags); wherever Textual reads it (a Static, a
    notification, a label) it is `content`, bold keys and all."""

    content: Content

    def __new__(cls, content: Content) -> Markup:
        made = super().__new__(cls, content.plain)
        made.content = content
        return made


def markup(template: str, **data: object) -> Markup:
    """The console's own markup (`template`: a translated text of ours, never data), with
    `data` put in as it is where the template says $name."""
    return Markup(_parse(Content, template, **data))


def _from_markup(cls: type[Content], text: str | Content, **variables: object) -> Content:
    """Content.from_markup as installed: a str is shown as it is. A template with variables
    is code's own (Textual's docs' way to put data in markup): parsed, the data not."""
    if isinstance(text, Markup):
        return text.content
    if isinstance(text, Content) or variables:
        return _parse(cls, text, **variables)
    return cls(text)


class _LiteralText(Text):
    """Rich's Text for DataTable's module: its from_markup reads no markup."""

    @classmethod
    def from_markup(
        cls,
        text: str,
        *,
        style: str | Style = "",
        emoji: bool = True,
        emoji_variant: Any = None,  # rich's; unused: data's ":x:" stays as it is
        justify: Any = None,
        overflow: Any = None,
        end: str = "\n",
    ) -> Text:
        return Text(text, style=style, justify=justify, overflow=overflow, end=end)


def install() -> None:
    """Hook every place (once; again is harmless)."""
    for table in (
        textual.content._CONTROL_STRIP_TRANSLATE,
        rich.control._CONTROL_STRIP_TRANSLATE,
    ):
        table.clear()
        table.update(MADE_SAFE)  # type: ignore[arg-type]
    Strip.render = _render  # type: ignore[method-assign]
    Content.from_markup = classmethod(_from_markup)  # type: ignore[assignment,method-assign]
    # DataTable's module when it is imported: the first frame has no table (4 ms of imports)
    when_imported("textual.widgets._data_table", _literal_cells)


def _literal_cells(data_table: types.ModuleType) -> None:
    data_table.Text = _LiteralText  # type: ignore[attr-defined]


install()
