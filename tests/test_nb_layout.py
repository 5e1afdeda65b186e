"""The layout findings of a walk of the console in nb at 80x24 and 120x36 (issue 22): a word
cut without "…", a label cut at 120 columns, a unit under the doctor's scrollbar, an amount
split at its no-break space, amounts without their currency, two names for the invoice basis."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from decimal import Decimal

import pytest
from rich.cells import cell_len
from textual.geometry import Region

from core.config import load_settings
from core.i18n import set_language
from tests.test_console_transfers import fresh_sandbox, send, settle  # noqa: F401 (a fixture)
from tui.app import DuviApp

# An amount as nb writes it, with its currency where it stands alone
NB_AMOUNT = re.compile(r"-?\d{1,3}(?:\xa0\d{3})*,\d{2}")


def shown(widget) -> list[str]:
    """The lines a widget draws, as a person sees them."""
    size = widget.size
    return [s.text for s in widget.render_lines(Region(0, 0, size.width, size.height))]


def screen_lines(app) -> list[str]:
    """The screen's lines as the terminal shows them."""
    return [s.text for s in app.screen._compositor.render_strips()]


@pytest.fixture
def nb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Norwegian for every settings load (a run in a thread loads its own)."""
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")


def test_a_cell_too_long_for_its_column_ends_in_an_ellipsis() -> None:
    from tui.widgets.cells import fit

    assert fit("holdt tilbake", 13) == "holdt tilbake"
    assert fit("holdt tilbake", 10) == "holdt til…"
    assert fit("må sjekkes", 10) == "må sjekkes"
    assert fit("", 0) == ""


@pytest.mark.parametrize("language", ["nb", "en"])
async def test_transfers_state_and_status_words_are_whole_at_120_columns(
    language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nb "holdt tilbake" (Visma's Hold, and duvi's held) read "holdt ti" in an 8-wide
    column: the columns are as wide as their longest word, and a cell that is cut all the same
    (a narrow terminal) ends in "…"."""
    from core.readmodels import state_words, visma_status_words

    monkeypatch.setenv("DUVI_LANGUAGE", language)
    app = DuviApp(load_settings(language=language))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await asyncio.to_thread(send, "1", "zreport", "invoice")
        await pilot.press("t")
        await settle(app, pilot)
        table = app.screen.query_one("#transfers")
        heads = {str(c.label): c for c in table.ordered_columns}
        amount, state, status = {
            "nb": ("Beløp (kr)", "Tilstand", "Status"),
            "en": ("Amount (NOK)", "State", "Status"),
        }[language]
        assert amount in heads and state in heads and status in heads
        for name, words in ((state, state_words()), (status, visma_status_words())):
            assert heads[name].width >= max(map(cell_len, words)), name
        assert "Reason" in heads or "Årsak" in heads  # the reason keeps a column at 120
        said = set()
        for i in range(table.row_count):
            for column, cell in zip(table.ordered_columns, table.get_row_at(i), strict=True):
                text = str(cell)
                # what the table draws: never wider than its column (cut only by duvi, with …)
                assert cell_len(text) <= column.width, (column.label, text)
                if column is heads[status] and text.strip():
                    said.add(text.strip())
        assert said and said <= set(visma_status_words())
        if language == "nb":
            assert "holdt tilbake" in said


@pytest.mark.usefixtures("nb")
async def test_settings_labels_are_whole_at_120_and_80_columns() -> None:
    from tui.screens.settings import TOGGLES
    from tui.widgets.tick import Tick

    for size in ((120, 36), (80, 24)):
        app = DuviApp(load_settings(language="nb"))
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            await pilot.press("s")
            await settle(app, pilot)
            ticks = list(app.screen.query(Tick))
            assert len(ticks) == len(TOGGLES)
            lines = screen_lines(app)
            for tick in ticks:
                if tick.region.bottom > size[1] - 1:
                    continue  # below the screen's fold: scrolled to
                label = str(tick.label)
                assert any(label in line for line in lines), (size, label, lines)
            assert any("Tillatt duplikat kundedata" in line for line in lines) or size[1] < 36


@pytest.mark.usefixtures("nb")
async def test_doctor_findings_keep_clear_of_the_scrollbar_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A finding drawn before the list had a scrollbar kept its lines as wide as the list
    without one: their last two columns ("MB") sat under the scrollbar."""
    from dataclasses import replace

    from textual.widgets import OptionList

    from core import doctor

    local_checks = doctor.local_checks

    def checks(rt, **kw):  # the database's size as a long data directory says it
        found = [local_checks(rt, **kw)[0]] * 12
        return [
            replace(c, id=f"db.size.{n}", found=f"~/.local/share/duvi/duvi.db: {'x' * n} 6,7 MB")
            for n, c in enumerate(found)
        ]

    monkeypatch.setattr(doctor, "local_checks", checks)
    app = DuviApp(load_settings(language="nb"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        box = app.screen.query_one("#checks", OptionList)
        assert box.show_vertical_scrollbar  # more findings than the screen holds
        width = box.scrollable_content_region.width
        for y in range(box.scrollable_content_region.height):
            assert box.render_line(y).cell_length <= width
        await pilot.press("home")  # the findings of the database's size, first
        await settle(app, pilot)
        lines = screen_lines(app)
        sizes = [ln for ln in lines if "duvi.db" in ln]
        assert sizes and all("MB" in ln or ln.rstrip(" ▎").endswith("6,7") for ln in sizes)
        assert not [ln for ln in lines if ln.rstrip(" ▎").endswith("6,7")] or any(
            ln.strip(" ▊▎").startswith("MB") for ln in lines
        )  # a unit that wraps is on the next line, never under the scrollbar


def test_unbroken_text_wraps_at_ordinary_spaces_only() -> None:
    from rich.console import Console

    from tui.widgets.cells import Unbroken

    text = "Salg 25 % 15\xa0607,00\xa0kr (mva 3\xa0121,40\xa0kr) · 12 % 720,21\xa0kr"
    for width in range(14, 60):
        console = Console(width=width, record=True, color_system=None)
        console.print(Unbroken(text))
        lines = console.export_text().splitlines()
        for amount in ("15\xa0607,00\xa0kr", "3\xa0121,40\xa0kr", "720,21\xa0kr"):
            assert any(amount in line for line in lines), (width, lines)


@pytest.mark.usefixtures("nb")
async def test_the_settlement_day_s_amounts_are_whole_with_kr_at_80_columns() -> None:
    """nb "17 572,25" split over two lines at its no-break space; and an amount that stands
    alone (a pane's, a sentence's) says its currency: nb 17 572,25 kr."""
    from textual.widgets import Static

    app = DuviApp(load_settings(language="nb", animations="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        await pilot.press("down", "down")
        await settle(app, pilot)
        pane = app.screen.query_one("#settlement-detail", Static)
        plain = str(pane.render())
        amounts = NB_AMOUNT.findall(plain)
        assert len(amounts) >= 4, plain
        lines = shown(pane)
        for amount in amounts:
            assert any(f"{amount}\xa0kr" in line for line in lines), (amount, lines)
        head = [str(c.label) for c in app.screen.query_one("#settlement-days").ordered_columns]
        assert head[2:4] == ["Salg (kr)", "Mva (kr)"]


def test_amounts_alone_carry_the_currency_and_columns_name_it() -> None:
    from core.readmodels import (
        money_said,
        money_text,
        transfer_column_titles,
    )
    from core.settlement import on_account_text

    set_language("nb")
    assert money_said(Decimal("17572.25")) == "17\xa0572,25\xa0kr"
    assert money_text(Decimal("17572.25")) == "17\xa0572,25"
    assert "Beløp (kr)" in transfer_column_titles()
    assert "1\xa0234,50\xa0kr" in on_account_text(Decimal("1234.50"))
    set_language("en")
    assert money_said(Decimal("17572.25")) == "NOK\xa017,572.25"
    assert "Amount (NOK)" in transfer_column_titles()


def test_a_stored_reason_s_amount_is_said_with_its_currency() -> None:
    from core.reasons import value_text

    set_language("nb")
    assert value_text("amount", "1234.5") == "1\xa0234,50\xa0kr"
    set_language("en")
    assert value_text("amount", "1234.5") == "NOK\xa01,234.50"


def test_the_log_names_the_invoice_basis_as_everywhere_else() -> None:
    from core.readmodels import entity_text, kind_text

    set_language("nb")
    assert entity_text("invoice") == kind_text("invoice") == "fakturagrunnlag"
    set_language("en")
    assert entity_text("invoice") == "invoice basis"


@pytest.mark.usefixtures("nb")
async def test_the_log_s_area_column_holds_fakturagrunnlag_whole() -> None:
    from textual.widgets import DataTable

    app = DuviApp(load_settings(language="nb"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await asyncio.to_thread(send, "1", "invoice")
        await pilot.press("l")
        await settle(app, pilot)
        table = app.screen.query_one("#log", DataTable)
        area = next(c for c in table.ordered_columns if str(c.label) == "Område")
        index = table.ordered_columns.index(area)
        cells = {str(table.get_row_at(i)[index]) for i in range(table.row_count)}
        assert "fakturagrunnlag" in cells
        assert area.width >= cell_len("fakturagrunnlag")
        assert "faktura" not in cells


def test_the_calendar_day_says_its_amounts_with_kr() -> None:
    from core.readmodels import CalendarDay, CalendarZReport
    from tui.screens.calendar import CalendarScreen

    set_language("nb")
    z = CalendarZReport("DUELL-Z-1-30", "101", 30, "confirmed", "000030", Decimal("19738.04"), "")
    text = CalendarScreen.day_text(CalendarDay(date(2026, 11, 27), "posted", (z,), (), True))
    assert text.count("19\xa0738,04\xa0kr") == 2, text  # the day's sum, and its Z-report's


@pytest.mark.usefixtures("nb")
async def test_setup_s_placeholders_are_whole_at_80_columns() -> None:
    """A support agent at 80x24 reads each field's hint whole (nb read "integrasjons-
    hemmelighet: lagret (la stå tom for å", its end cut off)."""
    from textual.widgets import Input

    app = DuviApp(load_settings(language="nb", animations="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        cut = [
            (box.id, box.placeholder)
            for box in app.screen.query(Input)
            if box.placeholder and cell_len(box.placeholder) > box.content_region.width - 1
        ]
        assert not cut
