"""Month-end reconciliation (core/reconcile.py, `duvi report settlement`) against the sandbox:
department 1's 30 days (29 Oct to 27 Nov 2026) transferred, then Visma's batches changed."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

from core.cli.report import as_csv, text
from core.ledger import Ledger
from core.reconcile import settlement
from core.service import release, transfer
from core.transfers import ZREPORT
from tests.sandbox_fixtures import Installation

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
D = Decimal


async def transferred(inst: Installation) -> None:
    await transfer(inst.rt, "1", connections=inst.connections, kinds=(ZREPORT,))


async def report(inst: Installation, month: date = NOV):
    return await settlement(inst.rt, "1", month, connections=inst.connections)


def batch_of(inst: Installation, key: str) -> str:
    row = Ledger(inst.rt.store).get(key)
    assert row is not None and row.visma_number
    return row.visma_number


def visma_calls(inst: Installation) -> list[tuple[str, str]]:
    inst.connections.http_log.flush()
    return [
        (r["method"], r["path"])
        for r in inst.rt.store.query(
            "SELECT method, path FROM http_calls WHERE department_id = '1' AND path LIKE "
            "'%/visma/%' ORDER BY id"
        )
    ]


async def test_after_a_transfer_every_day_agrees_and_release_closes_them(
    installation: Installation,
) -> None:
    await transferred(installation)
    before = len(visma_calls(installation))
    await report(installation)
    # Within the budget: the financial periods and one journal listing of the period.
    made = [(m, p.split("?")[0].rsplit("/", 1)[-1]) for m, p in visma_calls(installation)[before:]]
    assert made == [("GET", "financialPeriod"), ("GET", "journaltransaction")], made
    for month, days in ((OCT, 3), (NOV, 27)):
        r = await report(installation, month)
        assert len(r.days) == days and r.differences == 0
        assert r.open == days  # duvi sends every batch on hold
        assert {d.marks for d in r.days} == {("on hold",)}
        assert all(d.visma_sales == d.gross for d in r.days)
    for row in Ledger(installation.rt.store).rows("1", kind=ZREPORT):
        await release(installation.rt, row.key, connections=installation.connections)
    r = await report(installation)
    assert (r.differences, r.open) == (0, 0)
    assert {d.marks for d in r.days} == {()}
    assert {z.status for d in r.days for z in d.zreports} == {"Posted"}


async def test_one_day_by_hand(installation: Installation) -> None:
    """Z 4 of 1 November 2026, read by hand from the sandbox world (seed 7): sales 25 %
    2,574.81 (net 2,059.85, VAT 514.96), 15 % 2,554.83 (2,221.59 + 333.24), 0 % 482.06;
    bankaxept 2,156.96, card 1,302.75, Vipps 937.95, cash 1,464; gift cards sold 250.00,
    rounding 0.04. Sales 2,574.81 + 2,554.83 + 482.06 = 5,611.70; VAT 514.96 + 333.24 =
    848.20; payments 5,861.66 + rounding 0.04 = 5,861.70 = sales + gift cards sold."""
    await transferred(installation)
    r = await report(installation)
    day = r.days[0]
    assert day.day == date(2026, 11, 1)
    assert [(s.rate, s.gross, s.net, s.vat) for s in day.sales] == [
        (D(25), D("2574.81"), D("2059.85"), D("514.96")),
        (D(15), D("2554.83"), D("2221.59"), D("333.24")),
        (D(0), D("482.06"), D("482.06"), D("0.00")),
    ]
    assert day.gross == D("5611.70") and day.vat == D("848.20")
    assert dict(day.payments) == {
        "bankaxept": D("2156.96"),
        "card": D("1302.75"),
        "cash": D("1464"),
        "vipps": D("937.95"),
    }
    assert (day.gift_cards_sold, day.rounding) == (D("250.00"), D("0.04"))
    # --json: amounts are decimal strings with two decimals, rates as written ("1464", "0.4"
    # and "25.0" side by side were what a reader of the JSON met before)
    from core.cli.report import as_dict

    first = as_dict(r)["days"][0]
    assert first["date"] == "2026-11-01" and first["payments"]["cash"] == "1464.00"
    assert first["gift_cards_sold"] == "250.00" and first["rounding"] == "0.04"
    assert [s["rate"] for s in first["sales"]] == ["25", "15", "0"]
    (z,) = day.zreports
    assert (z.key, z.batch, z.status, z.visma_sales) == (
        "DUELL-Z-1-4",
        batch_of(installation, "DUELL-Z-1-4"),
        "Hold",
        D("5611.70"),
    )
    assert text(r)[3].split() == [
        "2026-11-01",
        "4",
        "5,611.70",
        "848.20",
        z.batch,
        "5,611.70",
        "on",
        "hold",
    ]


async def test_a_batch_deleted_in_visma_shows_exactly_that_day_missing(
    installation: Installation,
) -> None:
    await transferred(installation)
    del installation.company.journals[batch_of(installation, "DUELL-Z-1-12")]
    r = await report(installation)
    assert r.differences == 1
    marked = [(d.day, d.marks) for d in r.days if d.marks != ("on hold",)]
    assert marked == [(date(2026, 11, 9), ("missing",))]
    out = "\n".join(text(r))
    assert "Z 12 (DUELL-Z-1-12): no batch in Visma, duvi's ledger: confirmed" in out
    assert out.endswith("27 days with Z-reports: 1 day differs, 26 with batches not yet released")


async def test_a_batch_whose_amount_differs_shows_that_day_with_the_figures(
    installation: Installation,
) -> None:
    """Z 4's batch changed in Visma: 10.00 more revenue at 25 % on 3000 (2,059.85 by hand
    above → 2,069.85), and card 1579 10.00 more (1,302.75 → 1,312.75, a debit: -1,312.75)."""
    await transferred(installation)
    batch = installation.company.journals[batch_of(installation, "DUELL-Z-1-4")]
    for ln in batch["journalTransactionLines"]:
        if ln["accountNumber"] == "3000":
            ln["creditAmountInCurrency"] = ln["creditAmount"] = D("2069.85")
        if ln["accountNumber"] == "1579":
            ln["debitAmountInCurrency"] = ln["debitAmount"] = D("1312.75")
    r = await report(installation)
    assert r.differences == 1
    day = r.days[0]
    assert day.marks == ("differs", "on hold") and day.visma_sales == D("5621.70")
    assert [(a.account, a.duell, a.visma, a.difference) for a in day.zreports[0].differences] == [
        ("1579", D("-1302.75"), D("-1312.75"), D("-10.00")),
        ("3000", D("2059.85"), D("2069.85"), D("10.00")),
    ]
    assert [d.marks for d in r.days[1:]] == [("on hold",)] * 26
    out = "\n".join(text(r))
    assert (
        "    account 3000: DUELL NOK\xa02,059.85, Visma NOK\xa02,069.85, difference NOK\xa010.00"
        in out
    )


async def test_the_csv_is_semicolons_and_decimal_commas_for_norwegian_excel(
    installation: Installation,
) -> None:
    await transferred(installation)
    r = await report(installation)
    rows = list(csv.reader(io.StringIO(as_csv(r)), delimiter=";"))
    head, first = rows[0], rows[1]
    assert len(rows) == 28
    got = dict(zip(head, first, strict=True))
    assert got["Dato"] == "2026-11-01" and got["Salg inkl. mva DUELL"] == "5611,70"
    assert got["MVA 25 %"] == "514,96" and got["Betaling kontant"] == "1464,00"
    assert got["Merknad"] == "on hold"
    plain = list(csv.reader(io.StringIO(as_csv(r, "plain"))))
    assert dict(zip(plain[0], plain[1], strict=True))["MVA DUELL"] == "848.20"


def test_the_command_json_csv_and_bad_month(tmp_path, isolated_env, capsys) -> None:
    from core import boot
    from core.cli import run

    # The process's in-process sandbox may hold batches an earlier test posted (extra ones
    # to this empty ledger): the command starts from the seed, as a fresh process would.
    boot.sandbox.cache_clear()

    assert run(["report", "settlement", "--month", "2026-13"]) == 2
    assert "--month" in capsys.readouterr().err
    assert run(["report", "settlement", "-d", "9", "--month", "2026-11"]) == 3
    assert "no department '9'" in capsys.readouterr().err
    out = tmp_path / "nov.csv"
    assert (
        run(["report", "settlement", "-d", "1", "--month", "2026-11", "--json", "--csv", str(out)])
        == 0
    )
    got = json.loads(capsys.readouterr().out)
    assert got["month"] == "2026-11" and got["differences"] == 0
    assert out.read_bytes().startswith("\ufeffDato;".encode())


# -- the console ---------------------------------------------------------------------------


async def test_the_console_screen_opens_on_the_latest_month_moves_and_goes_back(home) -> None:
    from textual.widgets import DataTable, Static

    from core.config import load_settings
    from tui.app import DuviApp
    from tui.screens.main import MainScreen
    from tui.screens.settlement import ReconciliationScreen

    async def settle(pilot) -> None:
        for _ in range(4):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = DuviApp(load_settings(home=home, sandbox=True, animations="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")  # a first run: department 1's days go to Visma
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReconciliationScreen)

        def said(widget: str) -> str:
            return str(screen.query_one(widget, Static).render())

        assert said("#settlement-title").endswith(": November 2026 · period 11-2026")
        assert said("#settlement-summary") == (
            "27 days with Z-reports: 0 days differ, 27 with batches not yet released"
        )
        assert screen.query_one(DataTable).row_count == 27
        assert said("#settlement-detail").startswith("Sunday 2026-11-01: on hold")
        await pilot.press("v")
        assert "VAT per code, November 2026" in said("#settlement-detail")
        await pilot.press("less_than_sign")
        await settle(pilot)
        assert said("#settlement-title").endswith(": October 2026 · period 10-2026")
        assert screen.query_one(DataTable).row_count == 3
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_a_balanced_batch_is_unreleased_and_a_batch_without_a_zreport_is_extra(
    installation: Installation,
) -> None:
    """Z 5's batch taken off hold but not released (Visma's "Balanced"); a copy of Z 6's batch
    under a key of department 1 that the ledger does not have (Z 999) on 3 November."""
    import copy

    await transferred(installation)
    journals = installation.company.journals
    journals[batch_of(installation, "DUELL-Z-1-5")].update(status="Balanced", hold=False)
    stray = copy.deepcopy(journals[batch_of(installation, "DUELL-Z-1-6")])
    stray.update(batchNumber="009999", description="DUELL-Z-1-999 Dagsoppgjør 2026-11-03")
    for ln in stray["journalTransactionLines"]:
        ln["referenceNumber"] = "Z1-999"
    journals["009999"] = stray
    r = await report(installation)
    marks = {d.day: d.marks for d in r.days if d.marks != ("on hold",)}
    assert marks == {
        date(2026, 11, 2): ("unreleased",),
        date(2026, 11, 3): ("extra", "on hold"),
    }
    assert (r.differences, r.open) == (1, 27)
    extra = [z for z in r.days[2].zreports if z.batch == "009999"]
    assert [(z.key, z.marks) for z in extra] == [("DUELL-Z-1-999", ("extra", "on hold"))]


async def test_a_day_with_a_sale_on_account_compares_like_with_like(
    installation: Installation,
) -> None:
    """Department 2's 26 November (seed 7): Z 14 of register 202 sold 2,184.30 on account,
    invoice basis 43 (7 x 199.90 + 10 x 49.00 = 1,889.30 at 15 %, VAT 1,889.30 x 15/115 =
    246.43; 5 x 59.00 = 295.00 at 25 %, VAT 59.00). The batch leaves it to the invoice: it
    credits the sales accounts 24,942.96 + 3,288.65 + 1,209.86 = 29,441.47 less 2,184.30 =
    27,257.17, and that is no difference."""
    await transfer(installation.rt, "2", connections=installation.connections, kinds=(ZREPORT,))
    r = await settlement(installation.rt, "2", NOV, connections=installation.connections)
    assert r.differences == 0 and len(r.days) == 27
    assert {d.day: d.on_account for d in r.days if d.on_account} == {
        date(2026, 11, 26): D("2184.30")
    }
    (day,) = [d for d in r.days if d.on_account]
    assert (day.gross, day.visma_sales, day.marks) == (D("29441.47"), D("27257.17"), ("on hold",))
    assert all(d.visma_sales == d.gross - d.on_account for d in r.days)
    out = text(r)
    at = out.index(next(line for line in out if line.startswith("2026-11-26")))
    assert out[at + 1] == (
        "  Z 14 (DUELL-Z-2-14-K202): sales on account NOK\xa02,184.30 booked by the day's "
        "invoices, not by the batch"
    )
