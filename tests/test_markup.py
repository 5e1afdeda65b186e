"""Text from data is never read as Textual's or Rich's markup in the console (tui/textsafe.py,
part 3): "[/]" in a Visma error crashed the console, "Field [CustomerID] is required" lost
its field's name, "[@click=app.quit]q[/]" made a button. The hooks' tests fail if a Textual
or Rich upgrade renames or bypasses one; the walk shows every screen with such data."""

from __future__ import annotations

from collections.abc import Iterator
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
    from textual.content import Content
    from textual.visual import visualize

    from tui.textsafe import markup

    shown = markup("[b]$name[/b] says", name=MARK)
    assert shown == f"{MARK} says"  # as a str: the words alone
    read = Content.from_markup(shown)  # as Textual reads it (a Static, a notification)
    assert read is visualize(None, shown) is shown.content  # type: ignore[arg-type]
    assert read.plain == f"{MARK} says"
    assert [(s.start, s.end, str(s.style)) for s in read.spans] == [(0, len(MARK), "b")]
    assert markup("[b]y[/b] yes") == "y yes"


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


# Short data for narrow places (a tab label, the picker's columns): each piece on its own
NAMES = {"40": RED, "41": "[/] shop", "42": CLICK, "43": "[CustomerID]"}


def plant(*, many: bool = False) -> None:
    """MARK in every kind of data the console shows: an event's message, an HTTP call (its
    path, error and answer), a conflict's fields and candidates, a document's error, a
    department's name, its Visma company's name (saved, and as Visma lists it), Visma's
    account and VAT texts, DUELL's products and customers. `many`: ten departments more (the
    console opens on the picker)."""
    from core.boot import ensure_installation, sandbox
    from core.config import load_settings
    from core.departments import Departments
    from core.httplog import HttpCall, HttpLog
    from core.models import DepartmentSettings
    from core.runtime import Runtime
    from tests.test_bad_data_console import plant_text

    world = sandbox()
    for product in world.duell.state.products.values():
        product["product_name"] = MARK
    for customer in world.duell.state.customers.values():
        customer["customer_name"] = MARK
    for company in world.visma.companies.values():
        company.name = MARK
        for record in [*company.accounts.values(), *company.vat.values()]:
            record["description"] = MARK
        for branch in company.branches.values():
            branch["name"] = MARK  # the main branch's is the company's name setup lists
    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)
        depts = Departments(rt.store, rt.secrets)
        one = depts.get("1")
        assert one is not None
        depts.save_settings("1", one.settings.model_copy(update={"visma_company_name": MARK}))
        extra = {"7": MARK, **NAMES}
        for dept in ["7", *(str(n) for n in range(40, 50) if many)]:
            depts.add(dept, extra.get(dept, f"Shop {dept}"))
            depts.save_settings(
                dept, DepartmentSettings(visma_tenant_id="t-7", visma_company_name=MARK)
            )
        plant_text(rt, MARK)
        http = HttpLog(rt.store)
        http.record(
            HttpCall("visma", "POST", f"/customer/{MARK}", 400, 12.0, 10, 10, "1",
                     error=MARK, request=MARK, response=MARK)
        )  # fmt: skip
        http.flush()


WHOLE = (FIELD, RED, CLICK)
# screen: (keys, the pieces of MARK it must show as they are)
WALK: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "main": ((), WHOLE),  # the status panel's latest error, the company badge
    "dept7": (("7",), WHOLE),  # its tab label
    "log": (("l",), WHOLE),
    "log_detail": (("l", "down", "up"), WHOLE),
    "http": (("l", "h"), WHOLE),
    "conflicts": (("c",), (FIELD, RED)),  # the comparison's cells are cut: the start shows
    "merge": (("c", "M"), (FIELD, RED)),
    "transfers": (("t",), (FIELD, RED)),
    "document": (("t", "enter"), WHOLE),
    "doctor": (("d",), WHOLE),
    "calendar": (("C",), ()),  # no data of these kinds
    "settlement": (("S",), ()),
    "vat": (("v",), ()),
    "vat_pick": (("v", "enter"), WHOLE),  # Visma's VAT texts
    "accounts": (("m",), WHOLE),  # Visma's account texts
    "accounts_pick": (("m", "enter"), (FIELD, CLICK)),  # wrapped: RED across two lines
    "settings": (("s",), ()),
    "setup": (("e",), WHOLE),  # the saved company
    "setup_companies": (("e", "f6", "#company", "enter"), (FIELD,)),  # Visma's; cut
    "help": (("question_mark",), ()),
    "palette": (("colon",), WHOLE),  # the departments' commands
    "palette_search": (("colon", *"cust"), ("[CustomerID]",)),  # fuzzy-matched, highlighted
    "picker": ((), ("[CustomerID]", RED, CLICK)),  # ten departments more
    "picker_tabs": (("4", "0", "enter", "o", "4", "2", "enter"), (RED, CLICK)),
}


@pytest.fixture
def marked(home: Path) -> Iterator[None]:
    from core.boot import sandbox

    sandbox.cache_clear()
    yield
    sandbox.cache_clear()  # the changed sandbox must not reach the tests after this one


@pytest.mark.parametrize("name", list(WALK))
async def test_every_screen_shows_data_as_it_is(marked: None, name: str, quits: list[str]) -> None:
    """No crash, each piece of MARK shown as it is where the data shows, and a click on the
    "q" of "[@click=app.quit]q[/]" does not quit."""
    from tests.test_snapshots import app, settled

    presses, shown = WALK[name]
    plant(many=name.startswith("picker"))
    console = app()
    async with console.run_test(size=(200, 50), notifications=True) as pilot:
        await settled(pilot)
        for key in presses:
            if key.startswith("#"):  # focus that widget
                console.screen.query_one(key).focus()
            else:
                await pilot.press(key)
            await settled(pilot)
        text = screen_text(console)
        for piece in shown:
            assert piece in text, (name, piece)
        assert "Field  is required" not in text
        if CLICK in shown:
            x, y = click_offset(console, CLICK) or (0, 0)
            assert await pilot.click(offset=(x + CLICK.index("q"), y))
            await settled(pilot)
        assert not quits


async def test_textual_s_own_notifications_keep_their_look_and_show_a_path_as_it_is(
    home: Path, tmp_path: Path
) -> None:
    """Textual's ctrl+c hint and its note of a saved screenshot were markup of its own: said
    by the console now, the key still bold, the folder's name (data) as it is."""
    from textual.widgets._toast import Toast

    from core.boot import ensure_installation
    from core.config import load_settings
    from core.runtime import Runtime
    from tests.test_snapshots import app, settled

    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)
    folder = tmp_path / "shots [CustomerID] [bold red]RED"  # no "/" in a name
    folder.mkdir()
    console = app()
    async with console.run_test(size=(160, 40), notifications=True) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+c")
        await settled(pilot)
        (hint,) = [t.render() for t in console.screen.query(Toast)]
        assert hint.plain == "Do you want to quit?\nPress ^q to quit the console."
        key = hint.plain.index("^q")
        assert any(s.start == key and s.end == key + 2 and "b" in str(s.style) for s in hint.spans)
        console.clear_notifications()
        console.action_screenshot("shot.svg", str(folder))
        for _ in range(100):
            await settled(pilot)
            if (folder / "shot.svg").exists() and console._notifications:
                break
        await settled(pilot)
        shown = [t.render().plain for t in console.screen.query(Toast)]
        assert shown == [f"Screenshot\nScreenshot saved to {folder / 'shot.svg'}."]


# Every place in Textual that reads markup, as Textual 8.2 has them. "Content": it calls
# Content.from_markup (hooked: a str shown as it is); "Text": Rich's Text.from_markup.
READS_MARKUP = {
    "_markup_playground.py": 1,  # Content: a developer's tool
    "command.py": 2,  # Content: the palette's hits
    # Content: from_text (tab labels), from_markup's own parsing, 2 examples in docstrings;
    # Text: from_rich_text given a str (no caller gives one)
    "content.py": 5,
    "fuzzy.py": 1,  # Content: the palette's highlight
    "visual.py": 1,  # Content: every widget's str
    "widget.py": 2,  # Content: render_str (titles); Text: post_render of a str (visual first)
    "widgets/_data_table.py": 3,  # Text: DataTable's module's Text is hooked
    "widgets/_key_panel.py": 1,  # Text: Textual's keys panel, not in the console
    "widgets/_rich_log.py": 1,  # Text: RichLog, not in the console
    "widgets/_toast.py": 1,  # Content: notifications
    "widgets/_tree.py": 2,  # Text: Tree, not in the console
}


def test_textual_reads_markup_in_no_place_the_hooks_do_not_know() -> None:
    """The hooks are installed where Textual reads markup, and a Textual upgrade that reads
    markup somewhere new (or moves a reading) fails here: look at the new place, and hook it
    if the console's data can reach it."""
    import re

    import textual
    import textual.widgets._data_table as data_table
    from textual.content import Content

    import tui.app  # noqa: F401 (installs the hooks)
    from tui import textsafe

    # the two hooks are in place (a str shown as it is: test above)
    assert Content.from_markup.__func__ is textsafe._from_markup  # type: ignore[attr-defined]
    assert data_table.Text is textsafe._LiteralText
    root = Path(textual.__file__).parent
    reads = re.compile(r"(?<!def )\b(from_markup|to_content)\(")
    found: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name.startswith(("demo/", "_doc")):
            continue
        code = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.strip().startswith("#")
        ]
        n = sum(len(reads.findall(line)) for line in code)
        if n:
            found[name] = n
    assert found == READS_MARKUP
