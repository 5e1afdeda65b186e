"""No text from data reaches the terminal with a control character in it: core's pictures
(core/textsafe.py) and the console's two hooks (tui/textsafe.py). These fail if a Textual or
Rich upgrade renames or bypasses a hook."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style

from core.textsafe import has_control, visible

HOSTILE = "a \x1b]2;PWNED\x07 b \x1b[31mRED\x1b[0m \x9b2J \x7f \x00 end"
SHOWN = "a ␛]2;PWNED␇ b ␛[31mRED␛[0m \ufffd2J ␡ ␀ end"
# What Textual itself writes around the text: colours, cursor moves, links
OURS = re.compile(r"\x1b\[[0-9;]*[mHABCD]|\x1b\]8;[^\x1b\x07]*\x1b\\")
RAW = re.compile("[\x00-\x1f\x7f-\x9f]")


def raw_controls(terminal_output: str) -> list[str]:
    """The control characters left in what is written to the terminal, beyond Textual's own
    sequences and the newlines between lines."""
    return RAW.findall(OURS.sub("", terminal_output).replace("\n", ""))


def test_visible_shows_every_control_character_as_a_picture() -> None:
    assert visible(HOSTILE) == SHOWN
    assert visible("tab\there\r\nnext\rover") == "tab\there\nnext␍over"
    assert visible("a\tb\nc", keep="") == "a␉b␊c"
    assert visible("Kaffe ☕️ og شركة") == "Kaffe ☕️ og شركة"
    every = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)]))
    assert not has_control(visible(every, keep=""))
    assert len(visible(every, keep="")) == len(every)  # one character each


def test_the_console_s_text_makes_each_control_a_picture() -> None:
    from rich.text import Text
    from textual.content import Content

    import tui.app  # noqa: F401 (installs the hooks)

    assert Content(HOSTILE).plain == SHOWN
    assert Content.from_markup("[b]$x[/b]", x=HOSTILE).plain == SHOWN
    assert Text(HOSTILE).plain == SHOWN
    assert Text().append(HOSTILE).plain == SHOWN
    # tabs and newlines are the views' to lay out; CR is dropped, as Textual did
    assert Content("tab\there\r\nnext").plain == "tab\there\nnext"
    assert Text("tab\there\r\nnext").plain == "tab\there\nnext"


def test_a_painted_line_never_writes_a_control_character() -> None:
    from textual._compositor import LayoutUpdate
    from textual.geometry import Region
    from textual.strip import Strip

    import tui.app  # noqa: F401 (installs the hooks)

    console = Console(color_system="truecolor")
    raw = Strip([Segment("x" + HOSTILE, Style(color="red")), Segment(HOSTILE)])
    linked = Strip([Segment("click", Style(link="https://x/\x1b]2;PWNED\x07"))])
    for strip in (raw, linked):
        written = strip.render(console)
        assert not raw_controls(written), written
    update = LayoutUpdate([[raw], [linked]], Region(0, 0, 80, 2))
    written = update.render_segments(console)  # what the app writes to the terminal
    assert "\x1b[31m" in written and "PWNED" in written  # Textual's colour stays; the text too
    assert not raw_controls(written), written
    # ordinary lines are written as Textual writes them
    plain = Strip([Segment("Kaffe ☕️", Style(bold=True)), Segment(" og 🍰")])
    assert plain.render(console) == "\x1b[1mKaffe ☕️\x1b[0m og 🍰"


@pytest.mark.parametrize(
    "table", ["textual.content._CONTROL_STRIP_TRANSLATE", "rich.control._CONTROL_STRIP_TRANSLATE"]
)
def test_the_hooked_tables_are_the_ones_text_is_made_with(table: str) -> None:
    """A renamed table or a text type that stops using it would leave the hook empty-handed."""
    import importlib

    import tui.app  # noqa: F401 (installs the hooks)
    from tui.textsafe import MADE_SAFE

    module, name = table.rsplit(".", 1)
    assert getattr(importlib.import_module(module), name) == MADE_SAFE
