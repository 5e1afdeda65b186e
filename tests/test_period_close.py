"""A period about to close with documents not released in Visma (issue 23's alert, issue 19
item 8's doctor warning): Visma's periods, counted from a frozen day, within the rate budget.

The world's Z-reports run one a day from 29 October to 27 November 2026 (30 days): 3 in
October, 27 in November, per department."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr

from core.alert_states import send_due
from core.cli import run
from core.doctor import Status, run_doctor
from core.ledger import Ledger, State
from core.service import release, transfer
from core.transfers import ZREPORT
from tests.helpers.catcher import catcher
from tests.sandbox_fixtures import Installation
from tests.test_financial_periods import second

FRIDAY = date(2026, 11, 27)  # three days before November's end


async def confirmed_on_hold(inst: Installation, dept: str) -> list[str]:
    """The department's Z-reports sent and confirmed, on hold in Visma (not released)."""
    inst.rt.settings.period_close_warn_days = 5
    outcomes = await transfer(inst.rt, dept, connections=inst.connections, kinds=(ZREPORT,))
    assert len(outcomes) == 30
    return sorted(o.key for o in outcomes if o.state == State.CONFIRMED)


def closing_check(checks):
    return next(c for c in checks if c.id == "transfers.period_close")


async def test_doctor_warns_of_unreleased_zreports_in_a_period_near_its_end(
    installation: Installation,
) -> None:
    rt = installation.rt
    await confirmed_on_hold(installation, "1")
    checks = await run_doctor(rt, ["1"], connections=installation.connections, today=FRIDAY)
    check = closing_check(checks)
    assert check.status == Status.WARN
    assert check.found == (
        "period 10-2026 (October 2026) ended 2026-10-31, not closed: 3 documents "
        "not released in Visma (3 Z-reports; 3 confirmed)\n"
        "period 11-2026 (November 2026) ends 2026-11-30, not closed: 27 documents "
        "not released in Visma (27 Z-reports; 27 confirmed)"
    )
    assert "duvi release" in check.remedy
    assert "t opens Transfers on these periods' days" in check.remedy
    assert str(check.fix) == "transfers"
    assert len(check.records) == 30 and "DUELL-Z-1-30" in check.records

    # Ten days before November's end (5 days warned): only October, ended, is named.
    early = await run_doctor(
        rt, ["1"], connections=installation.connections, today=date(2026, 11, 20)
    )
    assert closing_check(early).found.splitlines() == [
        "period 10-2026 (October 2026) ended 2026-10-31, not closed: 3 documents "
        "not released in Visma (3 Z-reports; 3 confirmed)"
    ]


async def test_a_july_years_period_is_vismas(installation: Installation) -> None:
    """Department 3's year starts in July: November 2026 is its period 202705."""
    second(installation)
    await confirmed_on_hold(installation, "3")
    checks = await run_doctor(
        installation.rt, ["3"], connections=installation.connections, today=FRIDAY
    )
    found = closing_check(checks).found.splitlines()
    # November 23's Z-report waits for a person (another integration's batch of that day):
    # not released either.
    assert found == [
        "period 04-2027 (October 2026) ended 2026-10-31, not closed: 3 documents "
        "not released in Visma (3 Z-reports; 3 confirmed)",
        "period 05-2027 (November 2026) ends 2026-11-30, not closed: 27 documents "
        "not released in Visma (27 Z-reports; 1 attention, 26 confirmed)",
    ]


async def test_the_periods_are_read_once_a_run(installation: Installation) -> None:
    rt = installation.rt
    await confirmed_on_hold(installation, "1")
    installation.connections.http_log.flush()
    before = rt.store.query(
        "SELECT count(*) AS n FROM http_calls WHERE path LIKE '%financialPeriod%'"
    )[0]["n"]
    await run_doctor(rt, ["1"], connections=installation.connections, today=FRIDAY)
    rt.log.flush()
    installation.connections.http_log.flush()  # the HTTP log writes in batches
    after = rt.store.query(
        "SELECT count(*) AS n FROM http_calls WHERE path LIKE '%financialPeriod%'"
    )[0]["n"]
    assert after - before == 1


async def test_the_alert_is_sent_once_and_resolves_when_released(
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rt = installation.rt
    keys = await confirmed_on_hold(installation, "1")  # the run keeps Visma's periods
    friday = datetime(2026, 11, 27, 12, tzinfo=UTC)
    with catcher() as inbox:
        rt.settings.alert_urls = SecretStr(inbox.url)
        await send_due(rt, friday)
        got = inbox.take()
        assert [n["title"] for n in got] == [
            "duvi: department 1: Period about to close with documents not released"
        ]
        message = got[0]["message"]
        ends = "period 11-2026 (November 2026) ends 2026-11-30, not closed: 27"
        ended = "period 10-2026 (October 2026) ended 2026-10-31, not closed: 3"
        assert ends in message and ended in message
        assert "Remedy: release them in Visma (or `duvi release KEY --yes`)" in message
        assert "More: duvi transfers -d 1 --period-closing" in message
        # That command lists them all: both periods have ended by now (after 30 November).
        monkeypatch.setenv("DUVI_PERIOD_CLOSE_WARN_DAYS", "5")
        assert run(["transfers", "-d", "1", "--period-closing", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert sorted(r["key"] for r in listed) == keys

        await send_due(rt, friday)  # the same state: nothing
        assert inbox.take() == []

        for key in keys:
            await release(rt, key, connections=installation.connections)
        assert {r.state for r in Ledger(rt.store).rows("1")} == {State.RELEASED}
        await send_due(rt, friday)
        assert [(n["title"], n["type"]) for n in inbox.take()] == [
            ("duvi: department 1: resolved: transfers.period_close", "success")
        ]


async def test_the_console_opens_transfers_on_the_closing_periods_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Today (after 30 November 2026) both periods of the world's days have ended, open."""
    from textual.widgets import OptionList

    from core.config import load_settings
    from core.runtime import Runtime
    from tests.test_console import settle, transfer_now
    from tui.app import DuviApp
    from tui.screens.transfers import TransfersScreen

    monkeypatch.setenv("DUVI_PERIOD_CLOSE_WARN_DAYS", "5")
    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)

        def block() -> None:
            with Runtime.open(load_settings()) as rt:
                transfer_now(rt, "1")

        await asyncio.to_thread(block)
        await pilot.press("1", "d")
        await settle(app, pilot)
        box = app.screen.query_one("#checks", OptionList)
        found = app.screen.checks["1:transfers.period_close"]
        assert found.status == "warn" and found.fix == "transfers"
        box.highlighted = box.get_option_index("1:transfers.period_close")
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TransfersScreen) and screen.department_id == "1"
        assert (screen.since, screen.until) == (date(2026, 10, 1), date(2026, 11, 30))


async def test_a_document_held_for_a_vat_mapping_is_named_held_as_the_list_names_it(
    installation: Installation,
) -> None:
    """The warning names states as the transfers list does: a Z-report held for an unmapped
    VAT rate is "held" there (its ledger row says attention), and so here: the warning once
    said "attention" for rows the list called held."""
    from decimal import Decimal

    from core.departments import Departments

    rt = installation.rt
    Departments(rt.store, rt.secrets).set_vat_mapping("1", Decimal(15), None)
    rt.settings.period_close_warn_days = 5
    await transfer(rt, "1", connections=installation.connections, kinds=(ZREPORT,))
    checks = await run_doctor(rt, ["1"], connections=installation.connections, today=FRIDAY)
    found = closing_check(checks).found
    assert " held" in found and "attention" not in found, found
