"""No text from data reaches the terminal with a control character in it: core's pictures
(core/textsafe.py) and the console's two hooks (tui/textsafe.py). These fail if a Textual or
Rich upgrade renames or bypasses a hook."""

from __future__ import annotations

import json
import re
from pathlib import Path

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


def test_the_command_line_shows_data_s_control_characters_and_json_keeps_them(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`duvi log`, `duvi transfers` and `duvi transfers show` print to a terminal: the data's
    control characters as pictures. --json is data: as it was (JSON escapes C0 itself)."""
    from core.boot import ensure_installation
    from core.cli import run
    from core.config import load_settings
    from core.eventlog import EventLog
    from core.ledger import Ledger
    from core.runtime import Runtime
    from tests.test_bad_data_console import zreport

    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)
        log = EventLog(rt.store)
        log.error(HOSTILE, department_id="1", entity="customer")
        log.flush()
        ledger = Ledger(rt.store)
        ledger.register("DUELL-Z-1-9001", "1", "zreport", "9001", zreport(9001, "100.00"))
        ledger.fail("DUELL-Z-1-9001", HOSTILE)
    for args in (
        ["log", "-d", "1"],
        ["transfers", "-d", "1"],
        ["transfers", "show", "DUELL-Z-1-9001"],
    ):
        run(args)
        out = capsys.readouterr().out
        assert "␛]2;PWNED␇" in out, args
        assert not RAW.findall(out.replace("\n", "")), (args, out)
    assert run(["log", "-d", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["message"] == HOSTILE


WALK = [("main", ()), ("log", ("l",)), ("conflicts", ("c",)), ("transfers", ("t",))]
WALK += [("document", ("t", "enter")), ("calendar", ("C",)), ("vat", ("v",))]


@pytest.mark.parametrize(("name", "presses"), WALK, ids=[w[0] for w in WALK])
async def test_no_screen_writes_a_control_character_from_data(
    home: Path, name: str, presses: tuple[str, ...]
) -> None:
    """Hostile text in an event, a conflict's fields and candidates and a document's error:
    what each screen would write to the terminal (its whole frame, as the compositor renders
    it) holds no control character but Textual's own sequences."""
    from core.boot import ensure_installation
    from core.config import load_settings
    from core.runtime import Runtime
    from tests.test_bad_data_console import plant_text
    from tests.test_snapshots import app, settled

    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)
        plant_text(rt, HOSTILE)
    console = app()
    async with console.run_test(size=(120, 36)) as pilot:
        await settled(pilot)
        for key in presses:
            await pilot.press(key)
            await settled(pilot)
        frame = console.screen._compositor.render_update(full=True)
        written = frame.render_segments(console.console)
        assert not raw_controls(written), written
        if name in ("log", "conflicts", "transfers", "document"):
            assert "␛" in written  # shown, not dropped


def test_the_command_line_lists_names_with_their_control_characters_shown(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A department's name and a conflict's record come from DUELL: `duvi departments list`
    and `duvi conflicts list` print them to a terminal, each control character as its picture
    (they printed it raw)."""
    from core.boot import ensure_installation
    from core.cli import run
    from core.config import load_settings
    from core.conflicts import Conflicts
    from core.departments import Departments
    from core.runtime import Runtime

    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)
        Departments(rt.store, rt.secrets).add("7", HOSTILE)
        Conflicts(rt.store).raise_conflict(
            "1",
            "customer",
            "duell",
            "77",
            {"name": HOSTILE},
            [{"id": "1", "name": HOSTILE}],
            "email",
        )
    for args in (["departments", "list"], ["conflicts", "list"]):
        run(args)
        out = capsys.readouterr().out
        assert "␛]2;PWNED␇" in out, (args, out)
        assert not RAW.findall(out.replace("\n", "")), (args, out)
