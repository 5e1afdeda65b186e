"""The settlement calendar (core/calendar.py, `duvi calendar`): a ledger written by hand, its
days' states and gaps as a person would read them off a paper list of Z-reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from textual.widgets import Static

from core.calendar import RANGE_SQL, settlement_calendar
from core.cli import run
from core.errors import ConfigError
from core.i18n import parse_month
from core.ledger import ZREPORTS_FETCHED, Ledger
from core.models import Payment, VatSale, ZReport
from core.store import Store

NOV = date(2026, 11, 1)
TODAY = date(2026, 12, 2)

# (business day, register, Z number, what happened to it); November 2026 of department 1.
LEDGER = [
    ("2026-10-30", "101", 98, "confirm"),  # before the month: Z 99 is missing after it
    ("2026-11-02", "101", 100, "release"),  # Monday: released (bokført)
    ("2026-11-03", "101", 101, "confirm"),
    ("2026-11-04", "101", 102, "hold"),  # a VAT rate not mapped: on hold
    ("2026-11-05", "101", 104, "confirm"),  # Z 103 missing: taken Wednesday or Thursday
    ("2026-11-06", "101", 105, "fail"),  # Visma refused it
    ("2026-11-07", "101", 106, "pending"),
    # Sunday the 8th: closed, and no Z number missing around it
    ("2026-11-09", "101", 107, "confirm"),
    ("2026-11-10", "101", 108, "sent"),  # in doubt: being looked up
    # Wednesday the 11th: no report, and Z 109 is missing
    ("2026-11-12", "101", 110, "release"),
    ("2026-11-12", "102", 5, "release"),  # a second register
    ("2026-11-12", "102", 6, "confirm"),  # in Visma, not released: the day too
    ("2026-11-13", "101", 111, "confirm"),
    ("2026-11-13", "102", 8, "confirm"),  # register 102's Z 7 is missing
    ("2026-11-27", "101", 112, "release"),
    ("2026-12-01", "101", 114, "confirm"),  # after the month: Z 113 belongs to 28-30 Nov
]


def zreport(day: str, register: str, z: int) -> ZReport:
    return ZReport(
        department_id="1",
        z_number=z,
        register_id=register,
        business_date=date.fromisoformat(day),
        closed_at=datetime.fromisoformat(f"{day}T21:30:00"),
        sales=[
            VatSale(rate=Decimal(25), gross=Decimal("1250.00")),
            VatSale(rate=Decimal(15), gross=Decimal("230.50")),
        ],
        payments=[Payment(type="card", amount=Decimal("1980.50"))],
        gift_cards_sold=Decimal(500),
    )


def write_ledger(store: Store, *, department: bool = True) -> None:
    if department:
        store.conn.execute(
            "INSERT INTO departments (id, name, created_at, updated_at) "
            "VALUES ('1', 'Oslo', '', '')"
        )
    ledger = Ledger(store)
    for day, register, z, what in LEDGER:
        key = f"DUELL-Z-1-{register}-{z}"
        ledger.register(
            key, "1", "zreport", str(z), zreport(day, register, z).model_dump(mode="json")
        )
        if what in ("confirm", "release"):
            ledger.confirm(key, f"{z:06d}")
        if what == "release":
            ledger.release(key)
        elif what == "hold":
            ledger.attention(key, "VAT rate 25 % is not mapped")
        elif what == "fail":
            ledger.fail(key, "VismaId: abc: account 3000 is closed")
        elif what == "sent":
            store.conn.execute("UPDATE ledger SET state = 'sent' WHERE key = ?", [key])
    # Other departments and kinds beside it: never in department 1's calendar.
    ledger.register(
        "DUELL-Z-2-7", "2", "zreport", "7", zreport("2026-11-02", "201", 7).model_dump(mode="json")
    )
    ledger.register("DUELL-STOCK-1-2026-11-02", "1", "stock", "2026-11-02", {"date": "2026-11-02"})
    # DUELL was asked after the month: a day without a Z-report had none ("no sales").
    ledger.set_cursor("1", ZREPORTS_FETCHED, "2026-12-01T06:00:00.000Z")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "duvi.db")
    write_ledger(s)
    return s


def states(cal) -> dict[int, str]:
    return {d.day.day: d.state for d in cal.days if d.in_period}


def test_a_month_of_days_each_with_its_state(store: Store) -> None:
    cal = settlement_calendar(store, "1", today=TODAY, month=NOV)
    assert (cal.first, cal.last, cal.department_name) == (NOV, date(2026, 11, 30), "Oslo")
    # Whole weeks from Monday 26 October to Sunday 6 December; the neighbours are not asked for.
    assert cal.days[0].day == date(2026, 10, 26) and cal.days[-1].day == date(2026, 12, 6)
    assert len(cal.weeks) == 6 and all(len(w) == 7 for w in cal.weeks)
    assert [d.day for d in cal.days if d.in_period] == [date(2026, 11, n) for n in range(1, 31)]
    assert states(cal) == {
        1: "missing",  # Z 99: between Friday 30 October and Monday the 2nd, both days closed
        2: "posted",  # released (bokført)
        3: "unreleased",  # in Visma, not released
        4: "held",
        5: "missing",  # Z 103
        6: "attention",
        7: "pending",
        8: "closed",
        9: "unreleased",
        10: "pending",
        11: "missing",  # Z 109
        12: "unreleased",  # two of three released: not every one
        13: "missing",  # register 102's Z 7
        **{n: "closed" for n in range(14, 27)},
        27: "posted",
        28: "missing",  # Z 113: one of the three days before Tuesday 1 December
        29: "missing",
        30: "missing",
    }
    by_day = {d.day.day: d for d in cal.days if d.in_period}
    assert by_day[1].missing == (("101", 99),)
    assert by_day[5].missing == (("101", 103),)
    assert by_day[13].missing == (("102", 7),)
    assert by_day[11].zreports == ()
    assert [(z.register, z.z_number, z.state) for z in by_day[12].zreports] == [
        ("101", 110, "released"),
        ("102", 5, "released"),
        ("102", 6, "confirmed"),
    ]
    assert by_day[2].zreports[0].visma_number == "000100"
    assert by_day[2].amount == Decimal("1980.50")  # 1250.00 + 230.50 + 500 gift cards sold
    assert by_day[12].amount == Decimal("5941.50")
    outside = [d for d in cal.days if not d.in_period]
    assert all(d.zreports == () for d in outside)  # 30 Oct and 1 Dec are not November's


def test_the_last_five_weeks_up_to_today(store: Store) -> None:
    cal = settlement_calendar(store, "1", today=date(2026, 11, 12))
    assert (cal.first, cal.last) == (date(2026, 10, 12), date(2026, 11, 15))
    assert len(cal.days) == 35 and all(d.in_period for d in cal.days)
    got = {d.day: d.state for d in cal.days}
    assert got[date(2026, 11, 12)] == "unreleased"  # today, in Visma already
    assert got[date(2026, 11, 14)] == "future" and got[date(2026, 11, 15)] == "future"
    assert got[date(2026, 10, 29)] == "closed"  # before the first Z-report duvi has


def test_one_indexed_range_read_never_a_scan(store: Store) -> None:
    plan = [
        r["detail"]
        for r in store.query(
            "EXPLAIN QUERY PLAN " + RANGE_SQL, {"dept": "1", "first": "x", "last": "y"}
        )
    ]
    reads = [p for p in plan if "ledger" in p]
    assert len(reads) == 3, plan
    assert all(p.startswith("SEARCH ledger USING INDEX idx_ledger_zreport_day") for p in reads)
    assert not any("TEMP B-TREE" in p for p in plan)  # the index gives the order too


def test_an_unknown_department_is_one_line(store: Store) -> None:
    with pytest.raises(ConfigError) as exc:
        settlement_calendar(store, "9", today=TODAY)
    assert str(exc.value) == "there is no department '9' (known: 1)"


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "11-2026", "nov", "2026-00", ""])
def test_a_month_is_yyyy_mm(text: str) -> None:
    with pytest.raises(ValueError, match="is not a month"):
        parse_month(text)
    assert parse_month("2026-02") == date(2026, 2, 1)


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli_store(home: Path) -> None:
    from core.config import load_settings

    settings = load_settings(home=home, sandbox=True)
    with Store(settings.database) as s:
        write_ledger(s)


def test_cli_json_has_iso_dates_and_states(cli_store, capsys) -> None:
    assert run(["calendar", "-d", "1", "--month", "2026-11", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["department"] == {"id": "1", "name": "Oslo"}
    assert (out["first"], out["last"]) == ("2026-11-01", "2026-11-30")
    assert len(out["days"]) == 30  # the month's days only
    day5 = out["days"][4]
    assert day5 == {
        "date": "2026-11-05",
        "state": "missing",
        "amount": "1980.50",
        "zreports": [
            {
                "key": "DUELL-Z-1-101-104",
                "register": "101",
                "z_number": 104,
                "state": "confirmed",
                "visma_number": "000104",
                "amount": "1980.50",
                "error": "",
            }
        ],
        "missing": [{"register": "101", "z_number": 103}],
    }
    assert [d["state"] for d in out["days"][5:8]] == ["attention", "pending", "closed"]


def test_cli_text_is_a_grid_a_terminal_reads(cli_store, capsys) -> None:
    assert run(["calendar", "-d", "1", "--month", "2026-11"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0] == "Settlement calendar of department 1 Oslo: November 2026"
    assert lines[2].split() == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    # The week of 2 November: one cell per day, its number and its mark.
    week = next(ln for ln in lines if ln.lstrip().startswith("2 ✓"))
    assert week.split() == ["2", "✓", "3", "+", "4", "H", "5", "?", "6", "!", "7", "~", "8", "-"]
    assert all(len(ln) <= 80 for ln in lines)
    assert "✓ released" in text and "+ in Visma" in text and "? missing Z" in text  # legend
    assert "5 Nov: missing Z 103 (register 101)" in text  # what to look for, named


def test_cli_refuses_a_bad_month_and_an_unknown_department(cli_store, capsys) -> None:
    assert run(["calendar", "-d", "1", "--month", "2026-13"]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "'2026-13' is not a month" in err
    assert run(["calendar", "-d", "9"]) == 3
    err = capsys.readouterr().err
    assert err == "duvi: error: there is no department '9' (known: 1)\n"


# -- the console ---------------------------------------------------------------------------


@pytest.fixture
def console_world(home: Path) -> Iterator[None]:
    """The sandbox's departments (as the console's first start makes them) with the ledger
    above in department 1, on Friday 13 November 2026 at noon (the calendar's today)."""
    from core.boot import ensure_installation
    from core.config import load_settings
    from core.runtime import Runtime

    with Runtime.open(load_settings(home=home, sandbox=True)) as rt:
        ensure_installation(rt)
        write_ledger(rt.store, department=False)
    with time_machine.travel(datetime(2026, 11, 13, 12, 0), tick=False):
        yield


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def cell(screen, day: date) -> str:
    """A day's cell as the grid draws it: its two lines, each without the padding."""
    lines = str(screen.query_one("#calendar").render()).splitlines()
    n = next(i for i, d in enumerate(screen.calendar.days) if d.day == day)
    row, col = divmod(n, 7)
    width = (len(lines[0]) + 1) // 7
    part = [
        ln[col * width : (col + 1) * width - 1].strip() for ln in lines[1 + 2 * row : 3 + 2 * row]
    ]
    return "\n".join(part).strip()


async def test_the_calendar_opens_moves_and_enter_opens_the_days_documents(
    console_world,
) -> None:
    from core.config import load_settings
    from tui.app import DuviApp
    from tui.screens.calendar import CalendarScreen
    from tui.screens.transfers import TransfersScreen

    app = DuviApp(load_settings(animations="none"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CalendarScreen)
        title = str(screen.query_one("#calendar-title", Static).render())
        assert title == "Calendar of department 1 Oslo sentrum: 2026-10-12 – 2026-11-15"
        assert screen.cursor == date(2026, 11, 13)  # today
        grid = screen.query_one("#calendar")
        assert grid.cursor == date(2026, 11, 13)
        assert cell(screen, date(2026, 11, 13)) == "13 ?\nmissing Z"
        assert cell(screen, date(2026, 11, 4)) == "4 H\non hold"
        assert cell(screen, date(2026, 11, 6)) == "6 !\nattention"
        assert cell(screen, date(2026, 11, 7)) == "7 ~\npending"
        assert cell(screen, date(2026, 11, 8)) == "8 -\nno sales"
        assert cell(screen, date(2026, 11, 12)) == "12 +\nin Visma"
        assert cell(screen, date(2026, 11, 14)) == "14"  # not yet
        assert cell(screen, date(2026, 10, 12)) == "12 Oct -\nno sales"
        detail = str(screen.query_one("#calendar-day", Static).render())
        assert "Friday 2026-11-13: missing Z" in detail and "Z 7 (register 102)" in detail

        await pilot.press("left", "up", "down", "right", "left")  # to Thursday the 12th
        assert screen.cursor == date(2026, 11, 12)
        assert grid.cursor == date(2026, 11, 12)
        detail = str(screen.query_one("#calendar-day", Static).render())
        assert "3 Z-reports, NOK\xa05,941.50" in detail
        assert "Z 110 (register 101) released 000110, NOK\xa01,980.50" in detail

        await pilot.press("enter")
        await settle(pilot)
        documents = app.screen
        assert isinstance(documents, TransfersScreen)
        assert documents.since == documents.until == date(2026, 11, 12)
        assert sorted(r.key for r in documents.rows) == [
            "DUELL-Z-1-101-110",
            "DUELL-Z-1-102-5",
            "DUELL-Z-1-102-6",
        ]
        assert "Dates: 2026-11-12" in str(
            documents.query_one("#transfers-filters", Static).render()
        )
        await pilot.press("escape")
        assert app.screen is screen

        await pilot.press("pageup")  # the month before: October, from its first day
        await settle(pilot)
        assert screen.calendar is not None and screen.calendar.first == date(2026, 10, 1)
        assert screen.cursor == date(2026, 10, 1)


async def test_the_palette_opens_the_calendar(console_world) -> None:
    from core.config import load_settings
    from tui.app import DuviApp
    from tui.screens.calendar import CalendarScreen

    app = DuviApp(load_settings(animations="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"calendar", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)


@pytest.mark.parametrize("mode", ["ansi-dark", "NO_COLOR"])
async def test_every_state_is_readable_in_16_colours_and_without_colour(
    console_world, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.config import load_settings
    from tests.helpers.screen_contrast import check_svg
    from tui.app import DuviApp

    if mode == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    app = DuviApp(load_settings(animations="none", theme="ansi-dark"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("left")  # the cursor on a posted day: coloured text under it
        await pilot.pause()
        svg = Path(app.save_screenshot("calendar.svg", str(tmp_path)))
    assert check_svg(svg, 3.0) == []


def test_a_day_duvi_has_not_asked_duell_about_is_not_no_sales(store: Store) -> None:
    """A support agent's question "did Tuesday's Z-report arrive?" must not be answered "no
    sales" when DUELL was never asked about Tuesday: on a new directory, or after the last
    fetch, an empty day is "not fetched yet"."""
    ledger = Ledger(store)
    ledger.set_cursor("1", ZREPORTS_FETCHED, "2026-11-20T10:00:00.000Z")  # asked on the 20th
    got = states(settlement_calendar(store, "1", today=date(2026, 11, 30), month=date(2026, 11, 1)))
    assert got[8] == "closed"  # a Sunday before the fetch: no sales
    cal = settlement_calendar(store, "1", today=date(2026, 11, 30), month=date(2026, 11, 1))
    empty = [d for d in cal.days if d.in_period and not d.zreports and not d.missing]
    late = [d.state for d in empty if d.day.day >= 20]  # the fetch day and after
    assert late and set(late) == {"unfetched"}
    assert {d.state for d in empty if d.day.day < 20} == {"closed"}
    store.conn.execute("DELETE FROM sync_cursors")  # never asked (a copy of the ledger, say)
    got = states(settlement_calendar(store, "1", today=date(2026, 11, 30), month=date(2026, 11, 1)))
    assert got[8] == "unfetched"


@pytest.mark.parametrize(
    ("language", "cells", "status"),
    [
        (
            "nb",
            [
                ("2. nov. ✓", "bokført"),
                ("3 +", "i Visma"),
                ("8 -", "intet salg"),
                ("9 !", "må sjekkes"),
                ("3", ""),
            ],
            "torsdag 03.12.2026: ikke ennå",
        ),
        (
            "en",
            [
                ("2 Nov ✓", "released"),
                ("3 +", "in Visma"),
                ("8 -", "no sales"),
                ("9 !", "attention"),
                ("3", ""),
            ],
            "Thursday 2026-12-03: not yet",
        ),
    ],
)
def test_a_day_s_cell_and_status_line_are_in_the_language(
    language: str, cells: list[tuple[str, str]], status: str
) -> None:
    """The cells and the line under the grid say the state in the language, as the legend
    does (a reviewer saw "posted", "no sales" and "not yet" in nb), and the month's day as
    the language writes it: nb "2. nov.", en "2 Nov"."""
    from core.i18n import set_language
    from core.readmodels import CalendarDay
    from tui.screens.calendar import CalendarScreen, cell_text

    set_language(language)
    today = date(2026, 12, 3)
    days = [
        (CalendarDay(date(2026, 11, 2), "posted", (), (), True), True),
        (CalendarDay(date(2026, 11, 3), "unreleased", (), (), True), False),
        (CalendarDay(date(2026, 11, 8), "closed", (), (), True), False),
        (CalendarDay(date(2026, 11, 9), "attention", (), (), True), False),
        (CalendarDay(date(2026, 12, 3), "future", (), (), False), False),
    ]
    assert [cell_text(d, first=first, today=today) for d, first in days] == cells
    future = CalendarDay(today, "future", (), (), True)
    assert CalendarScreen.day_text(future) == status
