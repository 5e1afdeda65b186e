"""The department picker in nb (issue 22): "! må sjekkes" has a space before the number,
a name too long for its column ends in "…", and a filter with no match says so."""

from __future__ import annotations

from core.config import load_settings
from tests.test_picker import build_world, settle
from tui.app import DuviApp
from tui.screens.departments import DepartmentList, DepartmentPicker, cells


def test_a_value_too_long_for_its_column_ends_in_an_ellipsis() -> None:
    assert cells([("Bergen Galleriet skotøy", 10), ("AS", 6)]) == "Bergen G… AS    "
    assert cells([("Bergen", 10)]) == "Bergen    "


def lines(app: DuviApp) -> list[str]:
    listing = app.screen.query_one(DepartmentList)
    return [listing.render_line(y).text for y in range(3)]


async def test_the_picker_in_norwegian() -> None:
    build_world()
    app = DuviApp(load_settings(animations="none", language="nb"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, DepartmentPicker)
        attention = [line for line in lines(app) if "! må sjekkes" in line]
        assert attention, lines(app)
        assert all("! må sjekkes " in line for line in attention)
        await pilot.press(*"zzzz")
        await settle(app, pilot)
        assert lines(app)[0].strip() == "Ingen treff"


async def test_the_palette_s_department_line_has_one_dot_before_an_idle_state() -> None:
    from textual.command import CommandList

    app = DuviApp(load_settings(animations="none", language="nb"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("colon")
        await pilot.press(*"avd 2")
        await settle(app, pilot)
        found = app.screen.query_one(CommandList)
        texts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
        text = " ".join(texts)
        assert "2 · i ro" in text, texts
        assert "· ·" not in text
