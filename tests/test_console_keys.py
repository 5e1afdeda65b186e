"""The console's keys as people expect them (issue 16 item 6), driven by Pilot: Tab reaches
the candidates, the palette, help and going back on every screen, the footer at 80 and 120
columns, cursors that stay put, and unsaved edits that are not thrown away without asking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import DataTable

from core.config import load_settings
from core.conflicts import Conflicts
from core.runtime import Runtime
from tui.app import DuviApp
from tui.screens.confirm import Confirm
from tui.screens.help import HelpScreen
from tui.widgets.footer import KeysFooter


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def two_conflicts() -> None:
    with Runtime.open(load_settings()) as rt:
        conflicts = Conflicts(rt.store)
        conflicts.raise_conflict(
            "1",
            "customer",
            "duell",
            "77",
            {"name": "Ola Nordmann AS", "city": "Bergen"},
            [
                {"id": "20001", "name": "Ola Nordmann", "city": "Oslo"},
                {"id": "20002", "name": "Ola Nordmann AS", "city": "Bergen"},
            ],
            "orgnr",
        )
        conflicts.raise_conflict(
            "1",
            "customer",
            "duell",
            "78",
            {"name": "Kari Hansen"},
            [{"id": "20003", "name": "Kari Hansen"}, {"id": "20004", "name": "K. Hansen"}],
            "phone",
        )


async def test_tab_reaches_the_candidates_and_link_and_merge_take_the_one_chosen() -> None:
    from tui.screens.conflicts import ConflictsScreen
    from tui.screens.merge import MergeScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)  # the sandbox's first start sets the departments up
        two_conflicts()
        await pilot.press("c")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        await pilot.press("tab", "down")  # to the candidates, the second one
        assert app.focused is screen.query_one("#candidates")
        await pilot.press("l")
        assert isinstance(app.screen, Confirm) and "candidate 20002" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        # Ola's conflict is gone; the cursor stays in place, on Kari's
        assert screen.query_one("#conflicts", DataTable).row_count == 1
        await pilot.press("shift+tab", "tab", "down")  # the list, then Kari's second candidate
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, MergeScreen) and app.screen.candidate == 1
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
    with Runtime.open(load_settings()) as rt:
        resolved = {
            c.incoming_id: c.resolution for c in Conflicts(rt.store).list("1", state="resolved")
        }
    assert resolved["77"] == {"action": "link", "candidate": "20002", "fields": {}}
    assert resolved["78"] is not None and resolved["78"]["candidate"] == "20004"
    assert resolved["78"]["action"] == "merge"


SCREEN_KEYS = {  # the main screen's key for each screen, and the screen's class name
    "t": "TransfersScreen",
    "c": "ConflictsScreen",
    "v": "VatScreen",
    "m": "AccountsScreen",
    "d": "DoctorScreen",
    "l": "LogScreen",
    "s": "SettingsScreen",
    "e": "SetupScreen",
}


async def test_palette_help_and_back_work_on_every_screen() -> None:
    from textual.command import CommandPalette

    from tui.screens.main import MainScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        for key in ("ctrl+p", "colon"):
            await pilot.press(key)
            await pilot.pause()
            assert CommandPalette.is_open(app), key
            await pilot.press("escape")
            await pilot.pause()
        for i, (key, name) in enumerate(SCREEN_KEYS.items()):
            for back in ("escape", "q")[i % 2 :][:1]:  # Esc on one screen, q on the next
                await pilot.press(key)
                await settle(app, pilot)
                assert type(app.screen).__name__ == name
                if name == "SetupScreen":  # in a text field `?` and q are typed
                    app.set_focus(None)
                await pilot.press("question_mark")
                await pilot.pause()
                assert isinstance(app.screen, HelpScreen), name
                listed = {r[2] for r in app.screen.rows}
                assert {"back", "quit", "palette"} <= listed, (name, listed)
                await pilot.press("escape")
                await pilot.press("ctrl+p")
                await pilot.pause()
                assert CommandPalette.is_open(app), name
                await pilot.press("escape")
                await pilot.press(back)
                await settle(app, pilot)
                assert isinstance(app.screen, MainScreen), (name, back)
        await pilot.press("q")  # the first screen: q leaves
        await pilot.pause()
    assert app.return_code == 0


async def test_f1_opens_help_from_a_text_field_without_typing_into_it() -> None:
    from textual.widgets import Input

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        field = app.focused
        assert type(app.screen).__name__ == "SetupScreen" and isinstance(field, Input)
        value = field.value
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert field.value == value


async def test_help_lists_the_keys_the_footer_leaves_out() -> None:
    app = DuviApp(load_settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        footer = {k.description for k in app.screen.query_one(KeysFooter).keys}
        await pilot.press("question_mark")
        await pilot.pause()
        rows = {r[1]: r[0] for r in app.screen.rows}
    assert "Retry failed" not in footer and rows["Retry failed"] == "f"
    assert rows["Commands"] == ": / ^p" and rows["Back"] if "Back" in rows else True
    assert "Dept 3" in rows and "Dept 4" not in rows  # only departments that exist


@pytest.mark.parametrize("width", [80, 120])
async def test_the_footer_shows_whole_keys_that_fit(width: int) -> None:
    from textual.widgets import Input

    app = DuviApp(load_settings())
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(app, pilot)
        for key in ["", *SCREEN_KEYS]:
            if key:
                await pilot.press(key)
                await settle(app, pilot)
            shown = app.screen.query_one(KeysFooter).keys
            descriptions = [k.description for k in shown]
            typing = isinstance(app.focused, Input)  # there `?` is a character, not help
            assert "Help" in descriptions or typing, (key, descriptions)
            assert "Back" in descriptions or not key, (key, descriptions)
            assert all(k.end <= width for k in shown), (key, descriptions)  # none cut
            assert sum(k.end - k.start for k in shown) <= width
            if key:
                app.set_focus(None)
                await pilot.press("escape")
                await settle(app, pilot)
        before = len(app.screen.query_one(KeysFooter).keys)
        await pilot.resize_terminal(width + 40, 30)  # a wider window shows more keys
        await settle(app, pilot)
        shown = app.screen.query_one(KeysFooter).keys
        assert len(shown) > before and all(k.end <= width + 40 for k in shown)


async def test_cursors_stay_on_their_row_across_reloads() -> None:
    from core.departments import Departments
    from tui.screens.pick import PickOne
    from tui.screens.vat import VatScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        two_conflicts()
        await pilot.press("c")
        await settle(app, pilot)
        table = app.screen.query_one("#conflicts", DataTable)
        await pilot.press("down", "tab", "down")  # Kari's conflict, her second candidate
        app.screen.load()  # a reload, as after any decision
        await settle(app, pilot)
        assert table.cursor_row == 1
        assert app.screen.query_one("#candidates", DataTable).cursor_row == 1
        await pilot.press("escape")
        await settle(app, pilot)

        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, VatScreen)
        vat = app.screen.query_one("#vat", DataTable)
        rates = [vat.get_row_at(i)[0] for i in range(vat.row_count)]
        row = rates.index("15 %")
        assert row > 0
        vat.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickOne)
        await pilot.press("enter")  # a choice redraws the rows
        await pilot.pause()
        assert vat.cursor_row == row
        await pilot.press("ctrl+s")  # saved, then read again
        await settle(app, pilot)
        await settle(app, pilot)
        assert vat.cursor_row == row
    with Runtime.open(load_settings()) as rt:
        assert Decimal(15) in Departments(rt.store, rt.secrets).vat_mappings("1")


async def test_transfers_keep_the_cursor_on_the_same_key() -> None:
    import asyncio

    from tests.test_console import transfer_now
    from tui.screens.transfers import TransfersScreen

    def transferred() -> None:
        with Runtime.open(load_settings()) as rt:
            transfer_now(rt, "1")

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await asyncio.to_thread(transferred)
        await pilot.press("t")
        await settle(app, pilot)
        assert isinstance(app.screen, TransfersScreen)
        table = app.screen.query_one("#transfers", DataTable)
        table.move_cursor(row=5)
        key = table.coordinate_to_cell_key((5, 0)).row_key.value
        app.screen.load()
        await settle(app, pilot)
        assert table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value == key


@pytest.mark.parametrize("editor", ["v", "m", "s", "e", "merge"])
async def test_going_back_with_unsaved_edits_asks_and_no_is_the_default(editor: str) -> None:
    from textual.widgets import Checkbox, Input

    from tui.screens.main import MainScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        if editor == "merge":
            two_conflicts()
            await pilot.press("c")
            await settle(app, pilot)
            await pilot.press("M")
            await pilot.pause()
        else:
            await pilot.press(editor)
            await settle(app, pilot)
        screen = app.screen
        # nothing changed yet: back without a question
        if editor != "merge":
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), editor
            await pilot.press(editor)
            await settle(app, pilot)
            screen = app.screen
        # an edit
        if editor in ("v", "m"):
            await pilot.press("enter")
            await pilot.pause()
            # VAT: the picker opens on the row's id and any other is of another rate
            # (refused); choosing it again is still an edit. Accounts: another account.
            await pilot.press(*(["enter"] if editor == "v" else ["down", "enter"]))
            await pilot.pause()
            assert screen.edits, editor
        elif editor == "s":
            box = screen.query_one("#set-stock_update", Checkbox)
            box.value = not box.value
        elif editor == "e":
            screen.query_one("#client-id", Input).value = "isv_half_typed"
            app.set_focus(None)
        else:
            await pilot.press("l")  # the candidate's value for the first field
        for key in ("escape", "enter"):  # Enter answers the default: No, stay
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, Confirm) and "Discard" in app.screen.question
            await pilot.press("n" if key == "escape" else key)
            await pilot.pause()
            assert app.screen is screen, (editor, key)
        await pilot.press("q" if editor != "merge" else "escape")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")  # discard: back, nothing saved
        await pilot.pause()
        assert app.screen is not screen


async def test_the_palette_names_each_commands_key() -> None:
    from tui.commands import DuviCommands

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        provider = DuviCommands(app.screen)
        helps = {name: text for name, text, _ in provider._commands()}
    assert helps["transfers"].startswith("t · ") and helps["refresh"].startswith("f5 · ")
    assert helps["help"].startswith("? · ") and helps["dept 2 Bergen Galleriet"].startswith("2 · ")


@pytest.mark.parametrize(
    ("language", "run_all", "other_names"),
    [
        ("en", "run all", ("run now",)),
        ("nb", "kjør alt", ("kjør nå", "run all")),
    ],
)
async def test_one_action_has_one_name_in_the_palette_and_on_its_key(
    language: str, run_all: str, other_names: tuple[str, ...]
) -> None:
    """The palette names each of the main screen's actions as its key does in the footer and
    help (en "Run all" was "run now" in the palette), in each language."""
    from tui.commands import DuviCommands
    from tui.i18n import binding_text

    app = DuviApp(load_settings(language=language))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        main = app.screen
        provider = DuviCommands(main)
        names = {getattr(run, "__name__", ""): name for name, _text, run in provider._commands()}
        labels = {f"action_{b.action}": binding_text(b) for _k, b in main._bindings}
    assert names["action_run_now"] == run_all
    assert not [n for n in other_names if n in names.values()]
    for action, name in names.items():
        if action in labels:
            assert name.lower() == labels[action].lower(), (action, name, labels[action])


async def test_the_log_keeps_the_cursor_on_the_same_event_when_it_reloads() -> None:
    from core.eventlog import Level
    from tui.screens.log import LogScreen

    with Runtime.open(load_settings()) as rt:
        for i in range(20):
            rt.log.emit(Level.INFO, f"event {i}", department_id="1", entity="zreport")
        rt.log.flush()
    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("l")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LogScreen)
        table = screen.query_one("#log", DataTable)
        table.move_cursor(row=4)
        shown = screen.rows[4].id
        with Runtime.open(load_settings()) as rt:  # newer events arrive (follow mode reloads)
            rt.log.emit(Level.INFO, "a newer event", department_id="1")
            rt.log.flush()
        screen.reload()
        await settle(app, pilot)
        assert screen.rows[0].message == "a newer event"
        assert screen.rows[table.cursor_row].id == shown


async def test_q_on_the_first_screen_asks_while_a_run_is_going() -> None:
    app = DuviApp(load_settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.running["1"] = "all"  # what `r` marks until its run ends
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, Confirm) and "running" in app.screen.question
        await pilot.press("enter")  # the default: stay
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, Confirm)
        app.screen.running.clear()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_click_on_a_footer_key_presses_it() -> None:
    from tui.screens.log import LogScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        footer = app.screen.query_one(KeysFooter)
        log = next(k for k in footer.keys if k.description == "Log")
        await pilot.click(KeysFooter, offset=(log.start + 1, 0))
        await settle(app, pilot)
        assert isinstance(app.screen, LogScreen)


async def test_the_header_opens_the_palette_from_its_icon_and_says_the_mode() -> None:
    """The one-line header looks and acts as Textual's did: the icon opens the palette (a
    click anywhere else does nothing), and the sub-title it shows follows the app's, which it
    does not watch (DuviApp.show_sub_title redraws it)."""
    from textual.command import CommandPalette

    from tui.widgets.header import ScreenHeader

    app = DuviApp(load_settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        line = app.screen.query_one(ScreenHeader).render_line(0).text
        assert line.startswith(" ⭘      ") and len(line) == 80
        # centred between the icon's 8 cells and the clock's 10, as Textual's title is
        assert line.index("duvi — SANDBOX") == 8 + (80 - 18 - len("duvi — SANDBOX")) // 2
        await pilot.click(ScreenHeader, offset=(40, 0))
        await pilot.pause()
        assert not CommandPalette.is_open(app)
        await pilot.click(ScreenHeader, offset=(1, 0))
        await pilot.pause()
        assert CommandPalette.is_open(app)
        await pilot.press("escape")
        await pilot.pause()
        app.apply_settings(load_settings(read_only=True))
        await pilot.pause()
        line = app.screen.query_one(ScreenHeader).render_line(0).text
        assert "duvi — SANDBOX · READ-ONLY" in line
