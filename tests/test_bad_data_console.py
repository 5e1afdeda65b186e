"""The console under bad data: names with emoji, right-to-left text and 10,000 characters,
negative and huge amounts, a department with no products. Nothing crashes, and the screens
stay whole (snapshots, clock frozen)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from core.boot import ensure_installation
from core.config import load_settings
from core.conflicts import Conflicts
from core.eventlog import EventLog
from core.ledger import Ledger
from core.runtime import Runtime
from tests.test_snapshots import app, keys

FROZEN = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
EMOJI = "Kaffe ☕️ og 🍰 Ola 👩‍👩‍👧 Nordmann AS"
RTL = "شركة أولا نوردمان المحدودة"
LONG = "Garn " * 2000  # 10,000 characters
# Read as markup it crashed the console ("[/]"), dropped the field and made a red word
MARKUP = "Field [CustomerID] is required [/] [bold red]RED[/]"


def zreport(z: int, gross: str) -> dict:
    amount = Decimal(gross)
    return {
        "department_id": "1",
        "z_number": z,
        "business_date": "2026-11-20",
        "closed_at": "2026-11-20T21:00:00",
        "sales": [{"rate": "25", "gross": str(amount)}],
        "payments": [{"type": "card", "amount": str(amount)}],
    }


def plant_text(rt: Runtime, text: str) -> None:
    """`text` as data of three kinds in department 1: an event's message, a customer
    conflict's fields and candidate, a failed Z-report's error."""
    log = EventLog(rt.store)
    log.error(text, department_id="1", entity="customer")
    log.flush()
    Conflicts(rt.store).raise_conflict(
        "1", "customer", "duell", "77", {"name": text, "city": text},
        [{"id": "20001", "name": text}], "email",
    )  # fmt: skip
    ledger = Ledger(rt.store)
    ledger.register("DUELL-Z-1-9001", "1", "zreport", "9001", zreport(9001, "100.00"))
    ledger.fail("DUELL-Z-1-9001", text)


@pytest.fixture
def bad_world(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from core.boot import sandbox

    sandbox.cache_clear()
    monkeypatch.setenv("HOME", str(home.parent))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    with time_machine.travel(FROZEN, tick=False):
        settings = load_settings()
        with Runtime.open(settings) as rt:
            ensure_installation(rt)
        sandbox().duell.state.products.clear()  # a department (client) with no products
        with Runtime.open(settings) as rt:
            log = EventLog(rt.store)
            for text in (
                EMOJI,
                RTL,
                LONG,
                "tab\there\r\nand a new line \x1b[31mred\x1b[0m",
                MARKUP,
            ):
                log.error(text, department_id="1", entity="customer")
            log.flush()
            Conflicts(rt.store).raise_conflict(
                "1",
                "customer",
                "duell",
                "77",
                {"name": EMOJI, "city": RTL},
                [{"id": "20001", "name": RTL}, {"id": "20002", "name": LONG}],
                "email",
            )
            ledger = Ledger(rt.store)
            ledger.register("DUELL-Z-1-9001", "1", "zreport", "9001", zreport(9001, "-1234.50"))
            ledger.register(
                "DUELL-Z-1-9002", "1", "zreport", "9002", zreport(9002, "987654321098.75")
            )
            ledger.fail("DUELL-Z-1-9002", LONG)
        yield
    sandbox.cache_clear()  # the emptied sandbox must not reach the tests after this one
    monkeypatch.delenv("TZ")
    time.tzset()


SCREENS = {
    "main": (),  # the status panel: the latest error (MARKUP)
    "log": ("l",),
    "conflicts": ("c",),
    "transfers_negative": ("t", "j", "enter"),  # newest first: Z 9002, then Z 9001
    "transfers_huge": ("t", "enter"),
    "vat_no_products": ("v",),
}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_bad_data_stays_whole(snap_compare, bad_world, screen: str) -> None:
    assert snap_compare(app(), terminal_size=(80, 24), run_before=keys(*SCREENS[screen]))
