"""Issue 17, items 2 and 4: a document in doubt is found by its own key only, and the keys
duvi writes fit Visma's fields.

A batch is a key's when its description starts with the key and a space (or is the key), or
a line's referenceNumber is the key's line reference; an invoice when its externalReference
equals the key; a stock issue when its externalReference does. The POSTs are lost with the
sandbox's `body_contains` fault knob (one document's POST, before or after Visma acted).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.accounting import line_reference
from core.departments import Departments
from core.ledger import Ledger, State
from core.sandbox.faults import Faults
from core.service import transfer
from core.transfers import INVOICE, STOCK, ZREPORT
from core.visma.errors import VismaError
from core.visma.models import (
    CustomerWrite,
    InvoiceLineWrite,
    InvoiceWrite,
    JournalLineWrite,
    JournalWrite,
)
from tests.sandbox_fixtures import Installation
from tests.test_attacks import adversarial  # noqa: F401  (the adversarial world's fixture)


def batches_of(inst: Installation, dept: str) -> dict[str, list[dict[str, Any]]]:
    """A department's batches in Visma per description key."""
    out: dict[str, list[dict[str, Any]]] = {}
    for b in inst.company.journals.values():
        key = (b.get("description") or "").split(" ", 1)[0]
        if key.startswith(f"DUELL-Z-{dept}-"):
            out.setdefault(key, []).append(b)
    return out


def lose(inst: Installation, marker: bytes, phase: str) -> Faults:
    """Every POST whose body holds `marker` is cut, `phase` ("before"/"after") Visma acts."""
    faults = inst.sandbox.faults
    faults.drop_rate, faults.cut_phase, faults.body_contains = 1.0, phase, marker
    faults.only = ("/visma/v2/", "/visma/v1/inventoryissue")
    return faults


def heal(faults: Faults) -> None:
    faults.drop_rate, faults.body_contains = 0.0, b""


async def run(inst: Installation, dept: str, *kinds: str) -> None:
    await transfer(inst.rt, dept, kinds=kinds, connections=inst.connections)


def row(inst: Installation, key: str) -> Any:
    found = Ledger(inst.rt.store).get(key)
    assert found is not None, key
    return found


async def test_z3_lost_before_visma_acted_beside_z30_is_posted_once(
    adversarial: Installation,  # noqa: F811  (the fixture imported above)
) -> None:
    """Z 30 posted; Z 3's POST lost before Visma acted (the knob cuts only the body that
    starts Z 3's description). The next run looks DUELL-Z-1-3 up among Z 30's, Z 300-K103's
    and Z 3-K102's batches of the same period, finds none of them, and posts Z 3 once."""
    inst = adversarial
    faults = lose(inst, b'"DUELL-Z-1-3 ', "before")
    await run(inst, "1", ZREPORT)
    assert faults.injected.get("drop-before", 0) >= 1
    held = batches_of(inst, "1")
    assert "DUELL-Z-1-3" not in held  # Visma never saw it
    assert {"DUELL-Z-1-30", "DUELL-Z-1-3-K102", "DUELL-Z-1-300-K103"} <= set(held)
    assert row(inst, "DUELL-Z-1-3").state == State.SENT  # in doubt

    heal(faults)
    await run(inst, "1", ZREPORT)
    after = batches_of(inst, "1")
    assert len(after["DUELL-Z-1-3"]) == 1
    z3 = row(inst, "DUELL-Z-1-3")
    assert z3.state == State.CONFIRMED and z3.visma_number == after["DUELL-Z-1-3"][0]["batchNumber"]
    assert {k: len(v) for k, v in after.items() if len(v) > 1} == {}  # no key twice
    # every Z-report of the department in Visma once (none lost)
    assert len(after) == len(Ledger(inst.rt.store).rows("1", kind=ZREPORT))


async def test_a_second_registers_key_is_not_the_first_registers(
    installation: Installation,
) -> None:
    """The default world's department 2: register 201's Z 5 (2 Nov, key DUELL-Z-2-5) and
    register 202's Z 5 (17 Nov, DUELL-Z-2-5-K202) in one period. 201's POST is lost before
    Visma acted, 202's posted in the same run; the next run must not take 202's batch (whose
    description starts with DUELL-Z-2-5) for 201's."""
    inst = installation
    faults = lose(inst, b'"DUELL-Z-2-5 ', "before")
    await run(inst, "2", ZREPORT)
    held = batches_of(inst, "2")
    assert "DUELL-Z-2-5" not in held and "DUELL-Z-2-5-K202" in held
    heal(faults)
    await run(inst, "2", ZREPORT)
    after = batches_of(inst, "2")
    assert len(after["DUELL-Z-2-5"]) == 1 and len(after["DUELL-Z-2-5-K202"]) == 1
    assert row(inst, "DUELL-Z-2-5").visma_number == after["DUELL-Z-2-5"][0]["batchNumber"]
    assert len(after) == 30 and all(len(v) == 1 for v in after.values())


@pytest.mark.parametrize("phase", ["before", "after"])
async def test_invoice_3_lost_beside_invoice_30_is_created_once(
    installation: Installation, phase: str
) -> None:
    """Invoices DUELL-INV-1-3 and DUELL-INV-1-30 in one listing; invoice 3's POST lost before
    or after Visma acted, invoice 30 created in the same run: the next run looks invoice 3 up
    by its exact external reference (never invoice 30's) and has it in Visma once."""
    inst = installation
    faults = lose(inst, b'"DUELL-INV-1-3"', phase)
    await run(inst, "1", INVOICE)
    assert row(inst, "DUELL-INV-1-3").state == State.SENT
    assert row(inst, "DUELL-INV-1-30").state == State.CONFIRMED
    heal(faults)
    await run(inst, "1", INVOICE)
    refs = [i.get("externalReference") for i in inst.company.invoices.values()]
    assert refs.count("DUELL-INV-1-3") == 1 and refs.count("DUELL-INV-1-30") == 1
    assert len(refs) == len(set(refs))
    three = row(inst, "DUELL-INV-1-3")
    assert three.state == State.CONFIRMED
    assert inst.company.invoices[three.visma_number]["externalReference"] == "DUELL-INV-1-3"


async def test_a_days_stock_issue_lost_beside_its_supplement_is_posted_once(
    installation: Installation,
) -> None:
    """A day's issue DUELL-STOCK-1-<day> and its supplement DUELL-STOCK-1-<day>-2 (the day's
    key is a prefix of it): the day's POST lost before Visma acted, twice, while the
    supplement is posted; the next run must not take the supplement for the day's issue."""
    inst = installation
    departments = Departments(inst.rt.store, inst.rt.secrets)
    dept = departments.get("1")
    assert dept is not None
    departments.save_settings("1", dept.settings.model_copy(update={"stock_update": True}))
    ledger = Ledger(inst.rt.store)
    await run(inst, "1", ZREPORT, STOCK)
    # a day whose issue Visma takes (an issue of items Visma lacks is refused), made undone
    day_issue = ledger.rows("1", kind=STOCK, states=(State.CONFIRMED,))[-1]
    key, day = day_issue.key, day_issue.payload["date"]
    number = day_issue.visma_number
    assert number is not None
    # As if its POST never reached Visma: the issue becomes someone's manual one (not
    # removed: the sandbox numbers issues by their count) …
    inst.company.issues[number]["externalReference"] = "Manuelt uttak"
    with inst.rt.store.write() as db:  # … and the ledger was left in doubt
        db.execute(
            "UPDATE ledger SET state = 'sent', attempts = 1, visma_number = NULL WHERE key = ?",
            [key],
        )
    faults = lose(inst, f'"{key}"'.encode(), "before")
    # a second Z-report of that day (the same items) comes late: the supplementary issue
    reports = inst.sandbox.duell.state.zreports["1"]
    late = dict(next(z for z in reports if z["business_date"] == day))
    late.update(register_id="103", z_number=31)  # above every cursor: listed next run
    reports.append(late)
    await run(inst, "1", ZREPORT, STOCK)
    supplement = f"{key}-2"
    assert row(inst, supplement).state == State.CONFIRMED
    assert row(inst, key).state == State.SENT
    heal(faults)
    await run(inst, "1", ZREPORT, STOCK)
    refs = [i.get("externalReference") for i in inst.company.issues.values()]
    assert refs.count(key) == 1 and refs.count(supplement) == 1
    assert len(refs) == len(set(refs))
    assert row(inst, key).state == State.CONFIRMED
    assert inst.company.issues[row(inst, key).visma_number]["externalReference"] == key


# -- item 4: field lengths --------------------------------------------------------------------


def test_line_references_are_short_readable_and_apart() -> None:
    assert line_reference("DUELL-Z-1-3") == "Z1-3"
    assert line_reference("DUELL-Z-1-30") == "Z1-30"
    assert line_reference("DUELL-Z-1-3-K102") == "Z1-3-K102"
    assert line_reference("DUELL-Z-12-99999-K1234") == "Z12-99999-K1234"  # 15: still readable
    long = line_reference("DUELL-Z-12-99999-K12345")  # 16 readable: hashed
    assert len(long) == 15 and long.startswith("Z") and "-" not in long
    keys = [
        f"DUELL-Z-{d}-{z}" + (f"-K{r}" if r else "")
        for d in ("1", "2", "13")
        for z in (1, 3, 10, 30, 300, 123456)
        for r in ("", "102", "KAFE-BAR-TILL-0042", "KAFE-BAR-TILL-0043")
    ]
    refs = [line_reference(k) for k in keys]
    assert all(len(r) <= 15 for r in refs) and len(set(refs)) == len(keys)


async def test_a_long_register_key_posts_and_is_found_by_its_line_reference(
    installation: Installation,
) -> None:
    """A till with a long id (DUELL-Z-1-31-KKAFE-BAR-TILL-0042, 32 characters): its lines
    carry a 15-character reference, which the sandbox accepts. Its POST's answer is lost
    after Visma acted and someone rewrites the batch's description in Visma: the next run
    finds the batch by its lines' reference and posts nothing."""
    inst = installation
    state = inst.sandbox.duell.state
    z = dict(state.zreports["1"][-1])
    z.update(register_id="KAFE-BAR-TILL-0042", z_number=31)
    state.zreports["1"].append(z)
    key = "DUELL-Z-1-31-KKAFE-BAR-TILL-0042"
    faults = lose(inst, f'"{key} '.encode(), "after")
    await run(inst, "1", ZREPORT)
    assert row(inst, key).state == State.SENT
    (batch,) = batches_of(inst, "1")[key]
    assert {ln["referenceNumber"] for ln in batch["journalTransactionLines"]} == {
        line_reference(key)
    }
    assert len(line_reference(key)) == 15
    batch["description"] = "Dagsoppgjør kafé (rettet)"
    heal(faults)
    writes = inst.sandbox.visma.writes
    await run(inst, "1", ZREPORT)
    assert inst.sandbox.visma.writes == writes  # nothing posted again
    assert row(inst, key).state == State.CONFIRMED
    assert row(inst, key).visma_number == batch["batchNumber"]


def journal(reference: str) -> JournalWrite:
    return JournalWrite(
        hold=True,
        transaction_date="2026-11-02T00:00:00",
        financial_period="202611",
        description="DUELL-Z-1-41 Dagsoppgjør",
        journal_transaction_lines=[
            JournalLineWrite(
                account_number="1900",
                debit_amount_in_currency=Decimal("100"),
                reference_number=reference,
            ),
            JournalLineWrite(
                account_number="3000",
                credit_amount_in_currency=Decimal("100"),
                reference_number=reference,
            ),
        ],
    )


async def test_the_sandbox_refuses_over_long_fields(visma) -> None:
    """A GL line's referenceNumber beyond 15 characters (assumed) and an invoice line's
    description beyond 30 (Visma's OpenAPI): 400 with Visma's {"message": "VismaId: …"}."""
    assert await visma.create_journal(journal("Z1-41-K12345678"))  # 15: accepted
    with pytest.raises(VismaError) as exc:
        await visma.create_journal(journal("DUELL-Z-1-41-K12"))  # 16
    assert exc.value.status == 400 and exc.value.visma_id
    assert "Ref. no." in exc.value.message and "at most 15 characters" in exc.value.message

    customer = await visma.create_customer(CustomerWrite(name="Kunde AS"))
    invoice = InvoiceWrite(
        customer_number=customer,
        hold=True,
        external_reference="DUELL-INV-1-3",
        document_date="2026-11-02T00:00:00",
        invoice_lines=[
            InvoiceLineWrite(
                description="x" * 31, quantity=Decimal(1), unit_price_in_currency=Decimal(10)
            )
        ],
    )
    with pytest.raises(VismaError) as exc:
        await visma.create_invoice(invoice)
    assert exc.value.status == 400 and "at most 30 characters" in exc.value.message
    invoice.invoice_lines[0].description = "x" * 30
    assert await visma.create_invoice(invoice)
