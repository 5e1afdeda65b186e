"""The department picker (issue 21 item 4): every department's worst state from one query, on
a world of colliding numbers (department 3 beside 13, 30, 31 and 300) and two customers with a
shop in Bergen each; the console opens on the picker with more than nine departments, the
filter narrows, attention comes first, Enter opens a tab, Esc goes back, `o` reopens it, and
the palette opens any department. Figures are written out by hand from the world below."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from core.config import load_settings
from core.departments import VISMA_CLIENT_ID, VISMA_CLIENT_SECRET, Departments
from core.models import DepartmentSettings
from core.runtime import Runtime
from core.status import department_index
from core.store import utcnow
from tui.app import DuviApp
from tui.screens.departments import DepartmentList, DepartmentPicker, filter_departments, searchable
from tui.screens.main import MainScreen

# id: (name, Visma company, set up). Strikkeriet and Skohuset each have a shop in Bergen, beside
# the sandbox's department 2, Bergen Galleriet of Garnbua AS.
WORLD = {
    "3": ("Bergen", "Strikkeriet AS", True),
    "4": ("Oslo", "Strikkeriet AS", True),
    "5": ("Tromsø", "Strikkeriet AS", True),
    "10": ("Bergen", "Skohuset AS", True),
    "13": ("Oslo", "Skohuset AS", True),
    "30": ("Bergen Storsenter", "Skohuset AS", True),
    "31": ("Bergen Torget", "Skohuset AS", False),
    "300": ("Trondheim", "Skohuset AS", True),
}
CUSTOMERS = {
    "3": "Strikkeriet",
    "4": "Strikkeriet",
    "5": "Strikkeriet",
    "10": "Skohuset",
    "30": "Skohuset",
}


def build_world(*, customers: bool = False) -> None:
    """The sandbox's departments 1 and 2 (set up, nothing sent: idle) and WORLD: 3 has a failed
    Z-report (failing), 4 an open conflict, 30 an invoice waiting for attention, 31 is not set
    up (attention), 5 a failed Z-report with Z-reports turned off and a confirmed invoice (ok),
    13 a confirmed Z-report (ok), 10 and 300 nothing (idle). `customers`: each settings row
    also names its customer, as DepartmentSettings will (written as stored JSON: the field is
    being added beside this work)."""
    with Runtime.open(load_settings()) as rt:
        from core.boot import ensure_installation

        ensure_installation(rt)
        depts = Departments(rt.store, rt.secrets)
        for dept, (name, company, set_up) in WORLD.items():
            depts.add(dept, name)
            depts.save_settings(
                dept,
                DepartmentSettings(
                    visma_tenant_id=f"tenant-{company}",
                    visma_company_name=company,
                    zreports=dept != "5",
                ),
            )
            if set_up:
                rt.secrets.set(dept, VISMA_CLIENT_ID, SecretStr(f"client-{dept}"))
                rt.secrets.set(dept, VISMA_CLIENT_SECRET, SecretStr(f"secret-{dept}"))
        now = utcnow()
        rows = [
            ("DUELL-Z-3-1", "3", "zreport", "failed"),
            ("DUELL-Z-3-2", "3", "zreport", "confirmed"),
            ("DUELL-INV-30-1", "30", "invoice", "attention"),
            ("DUELL-Z-5-1", "5", "zreport", "failed"),
            ("DUELL-INV-5-1", "5", "invoice", "confirmed"),
            ("DUELL-Z-13-1", "13", "zreport", "confirmed"),
        ]
        with rt.store.write() as db:
            db.execute(
                "INSERT INTO conflicts (department_id, entity, source, incoming_id, incoming, "
                "candidates, match_key, state, created_at) VALUES "
                "('4', 'customer', 'duell', '9', '{}', '[]', 'orgnr', 'open', ?), "
                "('13', 'customer', 'duell', '8', '{}', '[]', 'orgnr', 'resolved', ?)",
                [now, now],
            )
            rt.store.conn.executemany(
                "INSERT INTO ledger (key, department_id, kind, source_id, state, attempts, "
                "payload, created_at, updated_at) VALUES (?, ?, ?, '1', ?, 1, '{}', ?, ?)",
                [(*r, now, now) for r in rows],
            )
            if customers:
                for dept, customer in CUSTOMERS.items():
                    stored = json.loads(
                        db.execute(
                            "SELECT settings FROM department_settings WHERE department_id = ?",
                            [dept],
                        ).fetchone()[0]
                    )
                    db.execute(
                        "UPDATE department_settings SET settings = ? WHERE department_id = ?",
                        [json.dumps({**stored, "customer": customer}), dept],
                    )


def test_one_query_gives_every_departments_worst_state_worst_first() -> None:
    build_world(customers=True)
    with Runtime.open(load_settings()) as rt:
        index = department_index(rt)
    assert [(e.id, e.state) for e in index] == [
        ("3", "failing"),
        ("4", "attention"),
        ("30", "attention"),
        ("31", "attention"),
        ("5", "ok"),
        ("13", "ok"),
        ("1", "idle"),
        ("2", "idle"),
        ("10", "idle"),
        ("300", "idle"),
    ]
    by_id = {e.id: e for e in index}
    assert by_id["3"].note == "1 Z-report failed"
    assert by_id["4"].note == "1 open conflict"
    assert by_id["30"].note == "1 invoice needs attention"
    assert by_id["31"].note == "not set up" and not by_id["31"].set_up
    assert by_id["5"].note == ""  # its failed Z-report is of a kind turned off
    assert (by_id["3"].customer, by_id["3"].company) == ("Strikkeriet", "Strikkeriet AS")
    assert (by_id["10"].customer, by_id["31"].customer) == ("Skohuset", None)


def test_the_filter_puts_the_number_typed_whole_first_and_tells_the_bergen_shops_apart() -> None:
    build_world(customers=True)
    with Runtime.open(load_settings()) as rt:
        items = searchable(department_index(rt))

    def ids(query: str) -> list[str]:
        return [i.entry.id for i in filter_departments(items, query)]

    # 3 itself, then the numbers that start with 3 (worst first), then 13, which holds a 3
    assert ids("3") == ["3", "30", "31", "300", "13"]
    assert ids("30") == ["30", "300"]
    assert ids("bergen") == ["3", "30", "31", "2", "10"]  # 2 is the sandbox's Bergen Galleriet
    assert ids("strikkeriet bergen") == ["3"]
    assert ids("bergen skohuset") == ["30", "31", "10"]  # 31: no customer, its company matches
    assert ids("stri berg") == ["3"]  # the starts of words
    assert ids("brgn") == ["3", "30", "31", "2", "10"]  # letters in order
    assert ids("") == ["3", "4", "30", "31", "5", "13", "1", "2", "10", "300"]
    assert ids("zz") == []


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def shown(app: DuviApp) -> list[str]:
    return [r.entry.id for r in app.screen.query_one(DepartmentList).rows]


async def test_the_console_opens_on_the_picker_and_enter_opens_a_tab() -> None:
    build_world()
    app = DuviApp(load_settings(animations="none"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, DepartmentPicker)
        assert shown(app) == ["3", "4", "30", "31", "5", "13", "1", "2", "10", "300"]
        await pilot.press(*"bergen sko")
        assert shown(app) == ["30", "31", "10"]
        await pilot.press("down", "down", "up")
        await pilot.press("enter")
        await settle(app, pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        tabs = main.query_one("#departments")
        assert tabs.active == "dept-31" and [t.id for t in tabs.query("Tab")] == ["dept-31"]
        assert "not set up" in str(tabs.get_tab("dept-31").label)
        # o reopens it on every department; Esc goes back, nothing opened
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, DepartmentPicker) and len(shown(app)) == 10
        await pilot.press(*"13", "escape")
        await settle(app, pilot)
        assert app.screen is main and tabs.active == "dept-31"
        await pilot.press("o")
        await settle(app, pilot)
        await pilot.press("3", "enter")  # the number typed whole: 3, not 30
        await settle(app, pilot)
        assert tabs.active == "dept-3"
        assert [t.id for t in tabs.query("Tab")] == ["dept-31", "dept-3"]
        assert main.opened == ["31", "3"]
        await pilot.press("3")  # its number key jumps to an opened department's tab
        await pilot.press("f5")
        await settle(app, pilot)
        assert set(main.statuses) == {"31", "3"}  # only the opened panels are read


async def test_one_department_pane_serves_every_opened_tab() -> None:
    """Enter adds a tab label only: one department pane (hint, status panel, summary) shows the
    department of the active tab, each department keeps the row a person was on, and the
    panel's columns are sized to the shown department's own cells."""
    from rich.cells import cell_len

    from tui.widgets.status_panel import StatusPanel

    build_world()
    app = DuviApp(load_settings(animations="none"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"31", "enter")
        await settle(app, pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("o")
        await settle(app, pilot)
        await pilot.press("3", "enter")
        await settle(app, pilot)
        assert app.screen is main and main.query_one("#departments").active == "dept-3"
        assert len(main.query("#dept-pane")) == 1 and len(main.query(StatusPanel)) == 1
        panel = main.query_one("#dept-status", StatusPanel)
        hint = main.query_one("#dept-hint")

        def states() -> list[str]:
            return [str(panel.get_row_at(i)[1]) for i in range(panel.row_count)]

        def sized_to_its_cells() -> bool:
            column = panel.ordered_columns[1]
            widest = max([column.label.cell_len, *(cell_len(s) for s in states())])
            return column.content_width == widest

        assert panel.department == "3" and "✗ failing" in states() and sized_to_its_cells()
        assert str(hint.render()) == ""
        panel.focus()
        await pilot.press("j", "j")
        assert panel.cursor_row == 2
        await pilot.click("#dept-3")  # the tab bar focused, as a click on a tab leaves it
        await pilot.pause()
        left = app.export_screenshot()
        await pilot.click("#dept-31")  # its tab clicked: the pane shows department 31
        await pilot.pause()
        assert panel.department == "31" and panel.cursor_row == 0
        assert "✗ failing" not in states() and sized_to_its_cells()
        assert "Not set up" in str(hint.render())
        drawn = []
        draw = panel._render_cell
        panel._render_cell = lambda *a, **k: drawn.append(a) or draw(*a, **k)
        await pilot.press("3")  # the number key: department 3 again, on the row it was on
        await pilot.pause()
        assert panel.department == "3" and panel.cursor_row == 2 and "✗ failing" in states()
        # drawn as it was left, from the rows drawn then: not a cell drawn again
        assert app.export_screenshot() == left and drawn == []
        await pilot.press("f5")
        await settle(app, pilot)
        assert panel.department == "3" and panel.cursor_row == 2  # read again, the row kept
        assert len(main.query(StatusPanel)) == 1


async def test_the_palette_opens_any_department() -> None:
    from textual.command import CommandPalette

    build_world()
    app = DuviApp(load_settings(animations="none"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("escape")  # the picker closed: an empty main screen
        await settle(app, pilot)
        main = app.screen
        assert isinstance(main, MainScreen) and not main.statuses
        hint = str(main.query_one("#pick-hint").render())
        assert "10 departments, 4 failing or needing attention: press o" in hint
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert CommandPalette.is_open(app)
        await pilot.press(*"dept 300")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert main.query_one("#departments").active == "dept-300"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_picker_snapshot(snap_compare, size: tuple[int, int]) -> None:
    build_world()

    async def run_before(pilot) -> None:
        for _ in range(3):
            await settle(pilot.app, pilot)
        # The search box's cursor, steady: a blinking one is in or out of the snapshot
        pilot.app.screen.query_one("#picker-query").cursor_blink = False
        await pilot.pause()

    app = DuviApp(load_settings(theme="textual-dark", animations="none"))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_settings_changed_between_two_readings_are_read_again() -> None:
    """department_index picks each settings text once (core.status._PICKED_SEEN: f5 reads
    every department again): a changed text is picked again, one that is not a JSON object is
    "settings unreadable", and the same text again is read as it was."""
    build_world(customers=True)
    with Runtime.open(load_settings()) as rt:
        before = {e.id: e for e in department_index(rt)}
        assert (before["3"].customer, before["3"].company) == ("Strikkeriet", "Strikkeriet AS")

        def store(dept: str, text: str) -> None:
            with rt.store.write() as db:
                db.execute(
                    "UPDATE department_settings SET settings = ? WHERE department_id = ?",
                    [text, dept],
                )

        stored = rt.store.query(
            "SELECT settings FROM department_settings WHERE department_id = '3'"
        )
        kept = stored[0]["settings"]
        store("3", json.dumps({**json.loads(kept), "customer": "Garnhuset", "zreports": False}))
        after = {e.id: e for e in department_index(rt)}
        # its failed Z-report is of a kind now turned off: nothing else is wrong
        assert (after["3"].customer, after["3"].state, after["3"].note) == ("Garnhuset", "ok", "")
        store("3", "[1, 2]")  # JSON, but not an object
        unreadable = {e.id: e for e in department_index(rt)}["3"]
        assert (unreadable.state, unreadable.note) == ("attention", "settings unreadable")
        store("3", kept)
        assert {e.id: e for e in department_index(rt)}["3"] == before["3"]
