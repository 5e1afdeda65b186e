"""Textual's command palette with its own words in the language: the search prompt (given
when it opens, tui/app.py) and "No matches found".

Textual 8 writes "No matches found" as a literal: half a second after a search that found
nothing, the palette adds a disabled option with the id "--no-matches" to its CommandList
(textual/command.py, `_start_no_matches_countdown`). The palette here composes as Textual's
does, with a CommandList of its own in the list's place, whose `add_option` (OptionList's
public method) says that option in the language. Should Textual change the id or the way it
adds the option, the English shows again: tests/test_i18n_console.py searches for nothing
in nb and fails."""

from __future__ import annotations

from typing import Self

from rich.align import Align
from rich.text import Text
from textual.app import ComposeResult
from textual.command import CommandList, CommandPalette
from textual.visual import VisualType
from textual.widgets.option_list import Option

from tui.i18n import _

NO_MATCHES = "--no-matches"  # CommandPalette._NO_MATCHES, Textual 8


class Matches(CommandList):
    """The palette's list: Textual's, with "No matches found" in the language."""

    def add_option(self, option: Option | VisualType | None = None) -> Self:
        if isinstance(option, Option) and option.id == NO_MATCHES:
            option = Option(
                Align.center(Text(_("No matches found"), style="not bold")),
                disabled=True,
                id=NO_MATCHES,
            )
        return super().add_option(option)


class Palette(CommandPalette):
    # Textual draws the search icon #000 (for its own snapshot tests): black on the dark
    # palette in truecolor and in 16 colours. The theme's text colour reads on any theme.
    DEFAULT_CSS = """
    Palette SearchIcon {
        color: $foreground;
    }
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield Matches() if type(widget) is CommandList else widget
