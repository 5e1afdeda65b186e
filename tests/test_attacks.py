"""The adversarial world (issue 20, item 8; finding D4 of ../shared/docs/findings/2026-12-red.md;
issue 17's "lookup after doubt matches a substring").

Department 1 of `World.adversarial` (core/sandbox/world.py, ADVERSARIAL) has Z 3 beside Z 30
and Z 300, two registers whose Z numbers both run 1, 2, 3 …, a register whose last days come
at once after an outage and out of date order, and a Z-report corrected in DUELL after it was
first listed. The other findings of issue 20 are attacked in test_attacks_db.py (D3, D6's
database paths), test_attacks_idem.py (D5, D6), test_attacks_lease.py (D1, D2),
test_attacks_runner.py (D7, availability) and test_secrets_hardening.py (secrets).

Duplicates are Visma batches per key beyond the first; losses are Z-reports of the world
without a batch. Figures go to bench/reliability.md (`--reliability-report`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.boot import connections, ensure_sandbox_setup
from core.config import load_settings
from core.departments import Departments
from core.errors import DataError
from core.ledger import Ledger, State
from core.runtime import Runtime
from core.saft import SaftError, export_zreports
from core.sandbox.world import World, build_sandbox, sandbox_credentials
from core.service import import_saft, transfer
from core.transfers import ZREPORT
from tests.helpers import reliability
from tests.sandbox_fixtures import Installation

SECTION = "Attacks: the adversarial world (tests/test_attacks.py)"


@pytest.fixture
async def adversarial(home: Path) -> AsyncIterator[Installation]:
    world = World.adversarial(7, products=300, customers=300)
    sb, _ = build_sandbox(7, world=world)
    rt = Runtime.open(load_settings())
    ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(7))
    conns = connections(rt, sandbox=sb)
    yield Installation(rt, sb, conns)
    conns.close()
    rt.close()


def batches(inst: Installation) -> dict[str, list[dict[str, Any]]]:
    """Department 1's batches in Visma, per key (a batch's description starts with its key)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for b in inst.company.journals.values():
        key = (b.get("description") or "").split(" ", 1)[0]
        if key.startswith("DUELL-Z-1-"):
            out.setdefault(key, []).append(b)
    return out


def debit(batch: dict[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(str(ln.get("debitAmountInCurrency") or 0))
            for ln in batch["journalTransactionLines"]
        ),
        Decimal(0),
    )


def world_keys(world_reports: list[dict[str, Any]]) -> set[str]:
    """The key each of department 1's Z-reports must end under (101 is the first register)."""
    return {
        f"DUELL-Z-1-{z['z_number']}"
        + ("" if z["register_id"] == "101" else f"-K{z['register_id']}")
        for z in world_reports
    }


def all_reports(inst: Installation) -> list[dict[str, Any]]:
    state = inst.sandbox.duell.state
    listed = {(z["register_id"], z["z_number"]) for z in state.zreports["1"]}
    return state.zreports["1"] + [
        z for z in state.later["1"] if (z["register_id"], z["z_number"]) not in listed
    ]


async def sync(inst: Installation, *, retry_failed: bool = False) -> None:
    await transfer(
        inst.rt, "1", kinds=(ZREPORT,), connections=inst.connections, retry_failed=retry_failed
    )


def row(inst: Installation, key: str) -> Any:
    found = Ledger(inst.rt.store).get(key)
    assert found is not None, key
    return found


# -- Z 3 beside Z 30 and Z 300 ----------------------------------------------------------------


async def test_z3_in_doubt_beside_z30_is_found_exactly_and_posted_once(
    adversarial: Installation,
) -> None:
    """Z 30 and Z 300 posted, Z 3's POST lost before Visma acted (what a kill between `sent`
    and the POST leaves: the row in doubt, no batch): the next run looks DUELL-Z-1-3 up, must
    not take Z 30's or Z 300's batch for it, and posts Z 3 once with Z 3's own figures."""
    inst = adversarial
    await sync(inst)
    held = batches(inst)
    assert {"DUELL-Z-1-3", "DUELL-Z-1-30", "DUELL-Z-1-300-K103"} <= set(held)
    z3 = held.pop("DUELL-Z-1-3")[0]
    # The POST never reached Visma: its batch becomes someone's manual entry (not removed:
    # the sandbox numbers batches by their count).
    manual = inst.company.journals[z3["batchNumber"]]
    manual["description"] = "Manuell postering"
    for line in manual["journalTransactionLines"]:
        line.pop("referenceNumber", None)
        # no day's sales (a bank fee): a batch on the revenue accounts of Z 3's day is what
        # the double-posting guard holds the day for (tests/test_foreign_batches.py)
        line["accountNumber"] = "7770"
    with inst.rt.store.write() as db:  # … and the ledger was left in doubt
        db.execute(
            "UPDATE ledger SET state = 'sent', attempts = 1, visma_number = NULL "
            "WHERE key = 'DUELL-Z-1-3'"
        )
    await sync(inst)

    after = batches(inst)
    again = row(inst, "DUELL-Z-1-3")
    assert len(after["DUELL-Z-1-3"]) == 1  # posted, once
    assert again.state == State.CONFIRMED
    assert again.visma_number == after["DUELL-Z-1-3"][0]["batchNumber"]
    assert again.visma_number not in {
        after["DUELL-Z-1-30"][0]["batchNumber"],
        after["DUELL-Z-1-300-K103"][0]["batchNumber"],
    }
    assert debit(after["DUELL-Z-1-3"][0]) == debit(manual)  # Z 3's figures, not Z 30's
    dup = {k: len(v) - 1 for k, v in after.items() if len(v) > 1}
    assert dup == {}
    reliability.record(
        f"{SECTION}: Z 3 in doubt beside Z 30",
        "Department 1 of the adversarial world (register 101: Z 1 … Z 30; register 103 ends "
        "at Z 300) transferred in-process; then Z 3's batch made someone else's entry in "
        "Visma and its row set to `sent` (a kill between `sent` and the POST), and a second "
        "run: the exact look-up of DUELL-Z-1-3 must not take Z 30's or Z 300's batch.",
        z_reports=len(after),
        z3_batches=len(after["DUELL-Z-1-3"]),
        duplicates=sum(dup.values()),
        losses=len(world_keys(all_reports(inst)) - set(after)),
    )


# -- two registers, equal Z numbers -----------------------------------------------------------


def wire_z(
    register: str, z: int, day: str, sales: list[tuple[int, str, str]], pay: tuple[str, str]
) -> dict[str, Any]:
    """A DUELL Z-report by hand: sales as (rate, net, VAT), one payment (type, amount)."""
    return {
        "department_id": "1",
        "z_number": z,
        "register_id": register,
        "business_date": day,
        "closed_at": f"{day}T21:30:00",
        "sales": [
            {
                "vatrate_percent": rate,
                "amount_inc_vat": str(Decimal(net) + Decimal(vat)),
                "amount_ex_vat": net,
                "vat_amount": vat,
                "returns": "0",
            }
            for rate, net, vat in sales
        ],
        "returns_inc_vat": "0",
        "payments": [{"payment_type": pay[0], "amount": pay[1]}],
        "giftcards_sold": "0",
        "round_off_amount": "0",
        "cost_of_goods": "0",
        "article_groups": [],
        "company": {"org_number": "998877665", "name": "Garnbua AS"},
    }


FOUR = [
    wire_z("101", 1, "2026-11-02", [(25, "1000.00", "250.00")], ("card", "1250.00")),
    wire_z(
        "101",
        2,
        "2026-11-03",
        [(25, "400.00", "100.00"), (15, "100.00", "15.00")],
        ("cash", "615.00"),
    ),
    wire_z("102", 1, "2026-11-02", [(25, "300.00", "75.00")], ("vipps", "375.00")),
    wire_z("102", 2, "2026-11-03", [(25, "2000.00", "500.00")], ("bankaxept", "2500.00")),
]
# By hand: each batch's debits are its payment (no rounding, no cost of goods), its credits
# the nets and VAT; register 101 is the first (the earliest Z-report: 2026-11-02, Z 1, "101"
# before "102"), so its keys keep the old form.
EXPECTED = {
    "DUELL-Z-1-1": Decimal("1250.00"),
    "DUELL-Z-1-2": Decimal("615.00"),
    "DUELL-Z-1-1-K102": Decimal("375.00"),
    "DUELL-Z-1-2-K102": Decimal("2500.00"),
}


async def test_two_registers_with_equal_z_numbers_are_four_batches(
    installation: Installation,
) -> None:
    inst = installation
    inst.sandbox.duell.state.zreports["1"] = FOUR
    await sync(inst)
    held = batches(inst)
    assert {k: len(v) for k, v in held.items()} == dict.fromkeys(EXPECTED, 1)
    assert {k: debit(v[0]) for k, v in held.items()} == EXPECTED
    for key, batch in held.items():  # and every line carries the key
        credit = sum(
            (
                Decimal(str(ln.get("creditAmountInCurrency") or 0))
                for ln in batch[0]["journalTransactionLines"]
            ),
            Decimal(0),
        )
        assert credit == EXPECTED[key]
    # The cursor runs per register: each at its own highest Z.
    ledger = Ledger(inst.rt.store)
    assert ledger.cursor("1", "zreport") == "2" and ledger.cursor("1", "zreport:102") == "2"
    assert ledger.cursor("1", "zreport:first-register") == "101"
    reliability.record(
        f"{SECTION}: two registers, equal Z numbers",
        "Four Z-reports by hand in DUELL: registers 101 and 102, each Z 1 and Z 2 (NOK 1,250.00, "
        "615.00, 375.00, 2,500.00), transferred in-process: four batches with those debits.",
        z_reports=4,
        batches=len(held),
        duplicates=0,
        losses=len(set(EXPECTED) - set(held)),
    )


async def test_saft_keys_z_reports_per_register_and_refuses_foreign_digits(
    installation: Installation, tmp_path: Path
) -> None:
    """D4: a SAF-T file of two registers each with Z 1 and Z 2 is four rows, not two; a
    reportID in Arabic-Indic or fullwidth digits is a one-line error."""
    from core.duell.client import zreport_from_wire

    inst = installation
    reports = [zreport_from_wire(z, "1") for z in FOUR]
    path = tmp_path / "tworegs.xml"
    path.write_bytes(export_zreports(reports, company_ident="998877665", company_name="Garnbua AS"))
    out = await import_saft(inst.rt, path, "1", send=False)
    assert {o.key for o in out} == set(EXPECTED) and {o.state for o in out} == {State.PENDING}
    for digits in ("١", "１"):
        bad = tmp_path / "bad.xml"
        bad.write_bytes(
            path.read_bytes().replace(
                b"<reportID>2</reportID>", f"<reportID>{digits}</reportID>".encode(), 1
            )
        )
        with pytest.raises(SaftError, match="not a number in digits 0-9") as exc:
            await import_saft(inst.rt, bad, "1", send=False)
        assert "\n" not in exc.value.message and isinstance(exc.value, DataError)


# -- an outage caught up; a late correction -----------------------------------------------------


async def test_an_outage_caught_up_is_every_day_once_in_order_and_a_late_correction_waits(
    adversarial: Installation,
) -> None:
    """Run 1: register 102's last 8 days are offline. Run 2: they arrive at once, out of date
    order (DUELL's second listing), and register 101's Z 20 comes back with a forgotten
    125.00 cash sale. Every Z-report of every register is one batch, each register's batches
    in Z order; Z 20 is held for a person, not posted again; run 3 with --retry-failed
    confirms it from Visma's batch and posts nothing."""
    inst = adversarial
    state = inst.sandbox.duell.state
    late = [z["z_number"] for z in state.later["1"] if z["register_id"] == "102"]
    assert late != sorted(late)  # the world really delivers them out of order
    await sync(inst)
    first = batches(inst)
    z20 = first["DUELL-Z-1-20"][0]
    await sync(inst)
    after = batches(inst)
    expected = world_keys(all_reports(inst))

    dup = {k: len(v) - 1 for k, v in after.items() if len(v) > 1}
    assert dup == {}
    assert set(after) == expected  # none lost: the late days too
    assert len(expected) == 30 + 15 + 10
    for register in ("101", "102", "103"):  # posted in Z order per register
        mine = [
            (int(v[0]["batchNumber"]), z["z_number"])
            for z in all_reports(inst)
            if z["register_id"] == register
            for k, v in after.items()
            if k == world_keys([z]).pop()
        ]
        assert [z for _b, z in sorted(mine)] == sorted(z for _b, z in mine), register

    held = row(inst, "DUELL-Z-1-20")
    assert held.state == State.ATTENTION
    assert held.visma_number == z20["batchNumber"]
    assert "changed in DUELL after it was posted to Visma as batch" in (held.last_error or "")
    assert "total " in (held.last_error or "") and "correct" in (held.last_error or "")
    assert after["DUELL-Z-1-20"] == [z20]  # Visma keeps what was posted, once
    audit = inst.rt.store.query("SELECT action FROM audit WHERE target = 'DUELL-Z-1-20'")
    assert [a["action"] for a in audit] == ["zreport.changed"]
    events = inst.rt.store.query(
        "SELECT level, message FROM events WHERE message LIKE 'DUELL-Z-1-20:%changed%'"
    )
    assert len(events) == 1
    writes = inst.sandbox.visma.writes

    await sync(inst, retry_failed=True)  # a person booked the difference, then retried
    again = row(inst, "DUELL-Z-1-20")
    assert again.state == State.CONFIRMED and again.visma_number == z20["batchNumber"]
    assert batches(inst) == after and inst.sandbox.visma.writes == writes
    reliability.record(
        f"{SECTION}: outage caught up, late correction",
        "Department 1 of the adversarial world, three in-process runs: register 102's last 8 "
        "days offline in the first, then delivered at once and out of date order together "
        "with register 101's Z 20 corrected (+125.00 cash sale); a third run with "
        "--retry-failed.",
        z_reports=len(expected),
        late_days=len(late),
        corrections_held=1,
        reposted_after_correction=0,
        duplicates=sum(dup.values()),
        losses=len(expected - set(after)),
    )


async def test_a_saft_file_with_other_figures_for_a_posted_z_waits_for_a_person(
    installation: Installation, tmp_path: Path
) -> None:
    """D4's changed file: the same Z-report imported again with other amounts is held, with
    the figures in the message, and not sent again; the same file again changes nothing."""
    from core.duell.client import zreport_from_wire

    inst = installation
    inst.sandbox.duell.state.zreports["1"] = FOUR
    await sync(inst)
    writes = inst.sandbox.visma.writes
    reports = [zreport_from_wire(z, "1") for z in FOUR]
    same = tmp_path / "same.xml"
    same.write_bytes(export_zreports(reports, company_ident="998877665", company_name="Garnbua AS"))
    out = await import_saft(inst.rt, same, "1", connections=inst.connections)
    assert {o.state for o in out} == {State.CONFIRMED}  # a SAF-T copy of what DUELL listed
    changed = FOUR[3] | {
        "payments": [
            {"payment_type": "bankaxept", "amount": "2400.00"},
            {"payment_type": "cash", "amount": "100.00"},
        ]
    }
    other = tmp_path / "other.xml"
    other.write_bytes(
        export_zreports(
            [*reports[:3], zreport_from_wire(changed, "1")],
            company_ident="998877665",
            company_name="Garnbua AS",
        )
    )
    out = await import_saft(inst.rt, other, "1", connections=inst.connections)
    states = {o.key: o.state for o in out}
    assert states.pop("DUELL-Z-1-2-K102") == State.ATTENTION
    assert set(states.values()) == {State.CONFIRMED}
    message = row(inst, "DUELL-Z-1-2-K102").last_error or ""
    assert "changed in DUELL after it was posted" in message and "paid 2500.00 → 2500.00" in message
    assert inst.sandbox.visma.writes == writes  # nothing posted again


# -- a gateway's 52x after Visma acted --------------------------------------------------------


async def test_a_gateway_52x_after_acting_never_makes_a_second_batch(
    adversarial: Installation,
) -> None:
    """A quarter of the batch POSTs answered 520/522/524 after Visma made the batch; runs
    with --retry-failed until nothing is open: one batch per Z-report of the world."""
    inst = adversarial
    faults = inst.sandbox.faults
    faults.gateway_rate, faults.only = 0.25, ("/visma/v2/journaltransaction",)
    runs = 0
    for runs in range(1, 9):
        await sync(inst, retry_failed=True)
        rows = Ledger(inst.rt.store).rows("1", kind=ZREPORT)
        if runs >= 2 and {r.state for r in rows} == {State.CONFIRMED}:
            break
    after = batches(inst)
    gateway = sum(n for k, n in faults.injected.items() if k.startswith("gateway-"))
    dup = {k: len(v) - 1 for k, v in after.items() if len(v) > 1}
    expected = world_keys(all_reports(inst))
    assert gateway > 0, "no POST was answered by the gateway: nothing was tested"
    assert {r.state for r in rows} == {State.CONFIRMED}
    assert dup == {}
    assert set(after) == expected
    reliability.record(
        f"{SECTION}: gateway 52x after acting",
        "Department 1 of the adversarial world in-process, 25 % of the journal POSTs (and "
        "listings) answered 520/522/524 after Visma acted; `sync --retry-failed` until every "
        "row is confirmed.",
        runs=runs,
        gateway_answers=gateway,
        z_reports=len(expected),
        duplicates=sum(dup.values()),
        losses=len(expected - set(after)),
    )


async def test_the_gap_check_runs_per_register(adversarial: Installation) -> None:
    """Z numbers run per register: register 103's Z 291 after register 101's Z 30 is no gap;
    a missing Z of register 102 is named with its register."""
    from core.doctor import Status, ledger_checks

    inst = adversarial
    await sync(inst)
    await sync(inst)  # the late days too
    gaps = {c.id: c for c in ledger_checks(inst.rt, "1")}["zreport.gaps"]
    assert gaps.status == Status.OK and "55 Z-reports" in gaps.found
    with inst.rt.store.write() as db:
        db.execute("DELETE FROM ledger WHERE key = 'DUELL-Z-1-5-K102'")
    gaps = {c.id: c for c in ledger_checks(inst.rt, "1")}["zreport.gaps"]
    assert gaps.status == Status.FAIL and gaps.records == ["register 102 Z 5"]


def test_the_adversarial_world_is_the_default_world_but_for_department_1() -> None:
    from core.sandbox.world import generate

    plain, a, b = (
        generate(7, products=300, customers=300),
        World.adversarial(7, products=300, customers=300),
        World.adversarial(7, products=300, customers=300),
    )
    assert a == b and a.variant == "adversarial" and plain.later == {}
    assert {d: z for d, z in a.zreports.items() if d != "1"} == {
        d: z for d, z in plain.zreports.items() if d != "1"
    }
    assert (a.products, a.customers, a.invoices) == (
        plain.products,
        plain.customers,
        plain.invoices,
    )
    numbers = {(z["register_id"], z["z_number"]) for z in a.zreports["1"] + a.later["1"]}
    assert {("101", 3), ("101", 30), ("102", 3), ("103", 300)} <= numbers
    assert len({z["business_date"][:7] for z in a.zreports["1"] + a.later["1"]}) == 1


# -- the old keys stay ------------------------------------------------------------------------


async def test_keys_already_posted_keep_their_form_when_a_second_register_comes(
    installation: Installation, tmp_path: Path
) -> None:
    """A database from before registers were in the key (no first register recorded) holds
    department 1's month as DUELL-Z-1-<z>; then DUELL lists a second register's Z 1 and Z 2.
    Only those two are posted, under keys with their register; the month's keys are the
    same. A new, empty database against the same services posts nothing: the first register
    is told by the earliest Z-report, so it finds every batch by the old keys."""
    inst = installation
    await sync(inst)
    month = {k: v[0]["batchNumber"] for k, v in batches(inst).items()}
    assert len(month) == 30 and all(k.count("-") == 3 for k in month)
    with inst.rt.store.write() as db:  # as the database was before this change
        db.execute(
            "DELETE FROM sync_cursors WHERE entity IN "
            "('zreport:first-register', 'zreport:whole-listing')"
        )
    state = inst.sandbox.duell.state
    state.zreports["1"] = state.zreports["1"] + [
        wire_z("102", 1, "2026-11-20", [(25, "300.00", "75.00")], ("vipps", "375.00")),
        wire_z("102", 2, "2026-11-21", [(25, "2000.00", "500.00")], ("bankaxept", "2500.00")),
    ]
    writes = inst.sandbox.visma.writes
    await sync(inst)
    after = batches(inst)
    assert {k: v[0]["batchNumber"] for k, v in after.items() if k in month} == month
    assert set(after) - set(month) == {"DUELL-Z-1-1-K102", "DUELL-Z-1-2-K102"}
    assert all(len(v) == 1 for v in after.values())
    assert inst.sandbox.visma.writes == writes + 2

    with Runtime.open(load_settings(home=tmp_path / "new")) as rt:
        ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(7))
        conns = connections(rt, sandbox=inst.sandbox)
        again = await transfer(rt, "1", kinds=(ZREPORT,), connections=conns)
        conns.close()
    assert inst.sandbox.visma.writes == writes + 2  # not one POST
    assert {o.key for o in again} == set(after)
    assert {o.state for o in again} == {State.CONFIRMED} and all(o.looked_up for o in again)


async def test_a_till_added_later_is_found_by_the_next_days_whole_listing(
    installation: Installation,
) -> None:
    """A second register starts at Z 1, below the first's cursor (Z 1129), which a listing
    from the lowest cursor never reaches; the first listing of a day lists from Z 1."""
    inst = installation
    await sync(inst)
    state = inst.sandbox.duell.state
    state.zreports["1"] = state.zreports["1"] + [
        wire_z("102", 1, "2026-11-26", [(25, "300.00", "75.00")], ("vipps", "375.00")),
    ]
    await sync(inst)  # the same day: from the lowest cursor
    assert "DUELL-Z-1-1-K102" not in batches(inst)
    with inst.rt.store.write() as db:  # the next day
        db.execute(
            "UPDATE sync_cursors SET cursor = '2000-01-01' WHERE entity = 'zreport:whole-listing'"
        )
    await sync(inst)
    after = batches(inst)
    assert len(after["DUELL-Z-1-1-K102"]) == 1 and len(after) == 31
    assert all(len(v) == 1 for v in after.values())


async def test_a_saft_file_naming_the_register_otherwise_posts_nothing_twice(
    installation: Installation, tmp_path: Path
) -> None:
    """DUELL's API calls the till 101, the SAF-T file KASSE1: the month imported from the
    file is the month already posted (same Z numbers, dates and figures), not 30 new
    Z-reports of a second register."""
    from core.models import ZReport

    inst = installation
    await sync(inst)
    writes = inst.sandbox.visma.writes
    rows = Ledger(inst.rt.store).rows("1", kind=ZREPORT)
    reports = [ZReport.model_validate(r.payload | {"register_id": "KASSE1"}) for r in rows]
    path = tmp_path / "kasse1.xml"
    path.write_bytes(export_zreports(reports, company_ident="998877665", company_name="Garnbua AS"))
    out = await import_saft(inst.rt, path, "1", connections=inst.connections)
    assert {o.key for o in out} == {r.key for r in rows}
    assert {o.state for o in out} == {State.CONFIRMED}
    assert inst.sandbox.visma.writes == writes


@pytest.mark.slow  # 6-14 s: the served sandbox builds its world
async def test_sandbox_serve_world_adversarial_serves_it_over_tcp() -> None:
    """`duvi sandbox serve --world adversarial`: DUELL's first listing of department 1 lacks
    register 102's last 8 days; the second has them (after the rest) and Z 20 corrected."""
    from pydantic import SecretStr

    from core.duell.client import open_duell
    from core.sandbox.world import DUELL_CLIENT_NUMBER
    from tests.sandbox_fixtures import FAST_RETRY
    from tests.served import served_sandbox

    with served_sandbox(
        "--world", "adversarial", "--products", "300", "--customers", "300"
    ) as base:
        duell = open_duell(
            DUELL_CLIENT_NUMBER,
            SecretStr("duell-api-token-0-sandbox"),
            base_url=f"{base}/duell/v1",
            settings=load_settings(),
            retry=FAST_RETRY,
        )
        try:
            first = [z async for z in duell.list_zreports("1")]
            second = [z async for z in duell.list_zreports("1")]
        finally:
            await duell.aclose()
    ids = [(z.register_id, z.z_number) for z in first]
    assert len(first) == 47 and ("101", 3) in ids and ("103", 300) in ids
    late = [(z.register_id, z.z_number) for z in second[47:]]
    assert sorted(late) == [("102", n) for n in range(8, 16)] and late != sorted(late)
    z20 = {(z.register_id, z.z_number): z for z in second}[("101", 20)]
    assert z20.total - {(z.register_id, z.z_number): z for z in first}[("101", 20)].total == 125
