"""Text from data is never read as Textual's or Rich's markup in the console (tui/textsafe.py,
part 3): "[/]" in a Visma error crashed the console, "Field [CustomerID] is required" lost
its field's name, "[@click=app.quit]q[/]" made a button. The hooks' tests fail if a Textual
or Rich upgrade renames or bypasses one; the walk shows every screen with such data."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

FIELD = "Field [CustomerID] is required"
RED = "[bold red]RED[/]"
CLICK = "[@click=app.quit]q[/]"
# Each piece read as markup: dropped, bold red, a crash ("[/]" closes nothing), a link, a button
MARK = f"{FIELD} {RED} [/] [link=https://evil.example]x[/link] {CLICK} end"


def test_a_str_is_shown_as_it_is_wherever_textual_reads_one() -> None:
    from textual.command import Matcher
    from textual.content import Content
    from textual.notifications import Notification
    from textual.visual import visualize
    from textual.widgets import Tab
    from textual.widgets._data_table import default_cell_formatter
    from textual.widgets._toast import Toast

    import tui.app  # noqa: F401 (installs the hooks)

    assert Content.from_markup(MARK).plain == MARK
    assert Content.from_text(MARK).plain == MARK  # tab labels, buttons, checkboxes
    assert visualize(None, MARK).plain == MARK  # type: ignore[arg-type, attr-defined]
    assert Tab(MARK).label.plain == MARK
    assert Toast(Notification(MARK, markup=True)).render().plain == MARK  # notify()
    assert Matcher("field").highlight(MARK).plain == MARK  # the palette's commands
    cell = default_cell_formatter(MARK)  # a DataTable's cells
    assert cell.plain == MARK  # type: ignore[union-attr]
    assert not cell.spans  # type: ignore[union-attr]
    assert Content.from_markup(MARK).spans == []


async def test_a_data_table_shows_its_cells_and_labels_as_they_are() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    import tui.app  # noqa: F401 (installs the hooks)

    class Table(App[None]):
        def compose(self) -> ComposeResult:
            table: DataTable[str] = DataTable()
            table.add_column(MARK, key="c")
            table.add_row(MARK, label=MARK)
            yield table

    async with Table().run_test(size=(200, 5)) as pilot:
        await pilot.pause()
        table = pilot.app.query_one(DataTable)
        assert table.ordered_columns[0].label.plain == MARK
        assert table.rows[next(iter(table.rows))].label.plain == MARK  # type: ignore[union-attr]
        assert MARK in screen_text(pilot.app)


def test_the_console_s_own_markup_is_parsed_with_its_data_put_in_as_it_is() -> None:
    from tui.textsafe import markup

    shown = markup("[b]$name[/b] says", name=MARK)
    assert shown.plain == f"{MARK} says"
    assert [(s.start, s.end, str(s.style)) for s in shown.spans] == [(0, len(MARK), "b")]
    assert markup("[b]y[/b] yes").plain == "y yes"


def screen_text(app) -> str:
    """The app's whole frame as the compositor renders it: its lines' text."""
    frame = app.screen._compositor.render_update(full=True)
    return "\n".join("".join(strip.text for strip in line) for line in frame.strips)


def click_offset(app, text: str) -> tuple[int, int] | None:
    """Where `text` starts on the screen (cells), if it is there."""
    for y, line in enumerate(screen_text(app).split("\n")):
        if text in line:
            return cell_len(line[: line.index(text)]), y
    return None


async def test_a_worker_s_error_is_shown_as_it_is(home: Path) -> None:
    """tui/workers.py shows str(exc) of a worker's error: data (a Visma or DUELL answer)."""
    from textual.widgets._toast import Toast

    from core.boot import ensure_installation
    from core.config import load_settings
    from core.runtime import Runtime
    from tests.test_snapshots import app, settled

    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)
    console = app()
    async with console.run_test(size=(160, 40), notifications=True) as pilot:
        await settled(pilot)

        async def fails() -> None:
            raise RuntimeError(MARK)

        console.screen.run_worker(fails(), exit_on_error=False)
        await settled(pilot)
        toasts = [t.render().plain for t in console.screen.query(Toast)]
        assert toasts == [f"Error\nRuntimeError: {MARK}"]
        assert "[CustomerID]" in screen_text(console)  # painted


@pytest.fixture
def quits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each quit a click asked for."""
    from tui.app import DuviApp

    asked: list[str] = []

    async def action_quit(self: DuviApp) -> None:
        asked.append("quit")

    monkeypatch.setattr(DuviApp, "action_quit", action_quit)
    return asked
