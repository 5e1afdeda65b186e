"""The double-posting guard against the sandbox: DUELL's own Visma module still posting
department 3's Z-reports (the seeded world's batch 000001 of 2026-11-23, Z 26). duvi holds
that day, posts the others, says so in doctor and setup, and posts the day only once a person
confirms (audited)."""

from __future__ import annotations

from typing import Any

import pytest

from core.boot import set_up
from core.doctor import Status, run_doctor
from core.errors import DataError
from core.ledger import Ledger, State
from core.sandbox.visma_state import build_journal
from core.sandbox.world import SECOND_TENANT, sandbox_credentials
from core.service import run_department
from tests.sandbox_fixtures import Installation

HELD_KEY = "DUELL-Z-3-26"  # department 3's Z-report of 2026-11-23, the world's foreign day
REMEDY = "turn off Z-rapport/Faktura in DUELL's Visma module for this department"


def company(inst: Installation) -> Any:
    return inst.sandbox.visma.companies[SECOND_TENANT]


def add_batch(inst: Installation, number: str, day: str, debit: str, credit: str) -> None:
    """A batch another program made, as a person or integration would in Visma, on
    department 3's subaccount 03-100 (cost bearer 03, project 100)."""
    co = company(inst)
    bearer = [{"segmentId": 1, "segmentValue": "03"}, {"segmentId": 2, "segmentValue": "100"}]
    fields = {
        "transactionDate": day,
        "description": f"Bilag {number}",
        "journalTransactionLines": [
            {"accountNumber": debit, "debitAmountInCurrency": "100.00", "subaccount": bearer},
            {"accountNumber": credit, "creditAmountInCurrency": "100.00", "subaccount": bearer},
        ],
    }
    co.journals[number] = build_journal(co, fields, number)


def journal_listings(inst: Installation) -> list[str]:
    inst.connections.http_log.flush()
    return [
        r["path"]
        for r in inst.rt.store.query(
            "SELECT path FROM http_calls WHERE department_id = '3' AND method = 'GET' "
            "AND path LIKE '%/v2/journaltransaction%'"
        )
    ]


async def test_a_day_visma_holds_another_batch_of_waits_for_a_person(
    installation: Installation,
) -> None:
    inst, rt = installation, installation.rt
    set_up(inst.connections.departments, sandbox_credentials(7)[2])
    # Not a day's sales: a bank fee on 2026-11-24 (7770/1920) is no Z-report of another's.
    add_batch(inst, "000002", "2026-11-24", "7770", "1920")
    result = await run_department(rt, "3", connections=inst.connections)
    assert not result.failures

    ledger = Ledger(rt.store)
    rows = {r.key: r for r in ledger.rows("3", kind="zreport")}
    assert len(rows) == 30
    held = rows[HELD_KEY]
    assert held.state == State.ATTENTION
    assert (held.last_error or "").startswith("Visma already holds batch 000001")
    assert "2026-11-23" in (held.last_error or "") and REMEDY in (held.last_error or "")
    assert all(r.state == State.CONFIRMED for k, r in rows.items() if k != HELD_KEY)
    posted = [j["description"] for j in company(inst).journals.values()]
    assert sum(d.startswith("DUELL-Z-3-") for d in posted) == 29
    assert not any(d.startswith(HELD_KEY + " ") or d == HELD_KEY for d in posted)
    # Within the rate budget: the look-up's one listing per period (October, November) read
    # the batches the guard needed; no listing of its own. Department 3's company keeps its
    # year from July: October 2026 is its period 202704, November 202705 (hand-worked).
    listed = journal_listings(inst)
    assert len(listed) == 2
    assert {u.split("periodId=")[1][:6] for u in listed} == {"202704", "202705"}

    checks = {c.id: c for c in await run_doctor(rt, ["3"], connections=inst.connections)}
    found = checks["visma.foreign_batches"]
    assert found.status == Status.FAIL and REMEDY in found.remedy
    assert found.records == ["batch 000001 of 2026-11-23 (Dagsoppgjør 2026-11-23 Z 26)"]

    # Sending again changes nothing: it is still held, nothing is posted.
    await run_department(rt, "3", connections=inst.connections, retry_failed=True)
    assert ledger.get(HELD_KEY).state == State.ATTENTION  # type: ignore[union-attr]

    from core.service import confirm_foreign

    after = await confirm_foreign(rt, HELD_KEY, connections=inst.connections)
    assert after.state == State.CONFIRMED and after.visma_number
    assert company(inst).journals[after.visma_number]["description"].startswith(HELD_KEY)
    audit = rt.store.query(
        "SELECT actor, before, after FROM audit WHERE action = 'transfer.confirm_foreign'"
    )
    assert len(audit) == 1 and "000001" in audit[0]["before"] and audit[0]["actor"]
    checks = {c.id: c for c in await run_doctor(rt, ["3"], connections=inst.connections)}
    assert checks["visma.foreign_batches"].status == Status.OK


async def test_only_a_held_day_can_be_confirmed(installation: Installation) -> None:
    from core.service import confirm_foreign

    await run_department(installation.rt, "1", connections=installation.connections)
    posted = Ledger(installation.rt.store).rows("1", kind="zreport", states=(State.CONFIRMED,))
    with pytest.raises(DataError, match="not held for another integration's batch"):
        await confirm_foreign(installation.rt, posted[0].key, connections=installation.connections)


async def test_setup_warns_of_another_integrations_batches(installation: Installation) -> None:
    """Setup looks in Visma (last month and this) for the department's batches duvi did not
    make and says what to do; it does not refuse, as a department moving from DUELL's own
    module to duvi has them for its past days (each such day is held until confirmed). A
    batch on another department's cost bearer is not this one's."""
    import time_machine

    from core.readmodels import SetupChoice
    from core.setup import set_up_department

    creds = sandbox_credentials(7)[2]
    set_up(installation.connections.departments, creds)

    async def setup_with(bearer: str) -> str:
        choice = SetupChoice(
            client_id=creds.visma_client_id,
            tenant_id=creds.visma_tenant_id,
            cost_bearer=(1, bearer),
        )
        with time_machine.travel("2026-11-28 12:00:00+00:00", tick=True):
            return await set_up_department(
                installation.rt, installation.connections, "3", choice, origin="test"
            )

    line = await setup_with("03")
    assert line.startswith("department 3 is set up") and REMEDY in line
    assert "newest 000001 of 2026-11-23" in line
    line = await setup_with("02")  # department 2's cost bearer
    assert line.startswith("department 3 is set up") and REMEDY not in line


async def test_the_transfers_screen_confirms_a_held_day_with_s(home) -> None:
    """The console: `s` on a day the guard holds asks first (it books the day twice unless
    the other batch goes), and only `y` posts it; audited as the command line's."""

    import asyncio

    from core.boot import connections, ensure_installation, sandbox
    from core.cli import run as cli
    from core.config import load_settings
    from core.departments import Departments
    from core.runtime import Runtime
    from core.service import transfer
    from tests.test_console_transfers import column, settle
    from tui.app import DuviApp
    from tui.screens.confirm import Confirm

    sandbox.cache_clear()
    try:
        with Runtime.open(load_settings()) as rt:
            ensure_installation(rt)
            set_up(Departments(rt.store, rt.secrets), sandbox_credentials(0)[2])
            with connections(rt) as conns:
                await transfer(rt, "3", kinds=("zreport",), connections=conns)
            held = [r.key for r in Ledger(rt.store).rows("3", states=(State.ATTENTION,))]
        assert len(held) == 1
        # The command line asks for --yes, and confirms only a day the guard holds.
        assert await asyncio.to_thread(cli, ["transfers", "confirm", held[0]]) == 1
        no_such = ["transfers", "confirm", "DUELL-Z-3-1", "--yes"]
        assert await asyncio.to_thread(cli, no_such) == 6
        app = DuviApp(load_settings())
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app, pilot)
            await pilot.press("3", "t")
            await settle(app, pilot)
            table = app.screen.query_one("#transfers")
            table.move_cursor(row=column(table, "State").index("attention"))
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, Confirm)
            await pilot.press("n")  # not confirmed: nothing happens
            await settle(app, pilot)
            with Runtime.open(load_settings()) as rt:
                assert Ledger(rt.store).get(held[0]).state == State.ATTENTION  # type: ignore[union-attr]
            await pilot.press("s")
            await pilot.pause()
            await pilot.press("y")
            await settle(app, pilot)
            await settle(app, pilot)
        with Runtime.open(load_settings()) as rt:
            assert Ledger(rt.store).get(held[0]).state == State.CONFIRMED  # type: ignore[union-attr]
            audit = rt.store.query(
                "SELECT target FROM audit WHERE action = 'transfer.confirm_foreign'"
            )
            assert [a["target"] for a in audit] == held
    finally:
        sandbox.cache_clear()


HELD_INVOICE = "DUELL-INV-3-2"  # department 3's invoice basis 2 of 2026-11-22


async def test_an_invoice_visma_holds_another_integrations_copy_of_waits_for_a_person(
    installation: Installation,
) -> None:
    """DUELL's module's "Faktura": the seeded world's invoice 900001 to customer 20053, of
    2026-11-22, for 3141.40 (by hand, as DUELL prices VAT included, each line's price to the
    øre: 7 x 249.00 (216.52 + 15 %) = 1743.00, 6 x 149.90 (119.92 + 25 %) = 899.40, 10 x 49.90
    (43.39 + 15 %) = 499.00; together 3141.40). Basis 2 is held, found in the listing the
    key look-up reads (no request of its own); the others are drafted; a person's confirmation
    posts it, audited."""
    inst, rt = installation, installation.rt
    set_up(inst.connections.departments, sandbox_credentials(7)[2])
    await run_department(rt, "3", connections=inst.connections)

    ledger = Ledger(rt.store)
    rows = {r.key: r for r in ledger.rows("3", kind="invoice")}
    assert len(rows) == 17
    held = rows[HELD_INVOICE]
    assert held.state == State.ATTENTION
    reason = held.last_error or ""
    assert reason.startswith("Visma already holds customer invoice 900001 of 2026-11-22")
    assert "customer 20053 for 3141.40" in reason and REMEDY in reason
    assert all(r.state == State.CONFIRMED for k, r in rows.items() if k != HELD_INVOICE)
    refs = [i.get("externalReference") for i in company(inst).invoices.values()]
    assert HELD_INVOICE not in refs and len(refs) == 17  # 16 of duvi's and the foreign one
    inst.connections.http_log.flush()
    listings = rt.store.query(
        "SELECT path FROM http_calls WHERE department_id = '3' AND method = 'GET' "
        "AND path LIKE '%/v1/customerinvoice%'"
    )
    assert len(listings) == 1  # the one listing from the earliest month: no extra look-up

    from core.service import confirm_foreign

    after = await confirm_foreign(rt, HELD_INVOICE, connections=inst.connections)
    assert after.state == State.CONFIRMED and after.visma_number
    assert company(inst).invoices[after.visma_number]["externalReference"] == HELD_INVOICE
    audit = rt.store.query(
        "SELECT before, after FROM audit WHERE action = 'transfer.confirm_foreign' AND target = ?",
        [HELD_INVOICE],
    )
    assert len(audit) == 1 and "900001" in audit[0]["before"]
