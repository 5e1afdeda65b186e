"""SVG snapshots of the console at 80x24 and 120x36, on a fresh sandbox installation (nothing
has run yet, so nothing on screen depends on the clock). Regenerate with
`uv run pytest tests/test_snapshots.py --snapshot-update` and look at the report first."""

from __future__ import annotations

import pytest

from core.config import load_settings
from tui.app import DuviApp


async def settled(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def app() -> DuviApp:
    return DuviApp(load_settings(theme="textual-dark", animations="none"))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_main_screen(snap_compare, size) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_help(snap_compare, size) -> None:
    async def open_help(pilot) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=size, run_before=open_help)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_department_not_set_up(snap_compare, size) -> None:
    async def third(pilot) -> None:
        await settled(pilot)
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=size, run_before=third)
