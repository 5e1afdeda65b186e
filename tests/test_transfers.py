"""Z-reports and invoice bases to Visma, exactly once, against the sandbox."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from core.departments import Departments
from core.errors import ConfigError, DuviError
from core.ledger import Ledger, State
from core.service import import_saft, release, transfer
from core.transfers import INVOICE, STOCK, ZREPORT, PreflightError
from tests.sandbox_fixtures import Installation


def keys_in_visma(inst: Installation) -> Counter:
    return Counter(j["description"].split()[0] for j in inst.company.journals.values())


async def run(inst: Installation, dept: str = "1", **kw):
    return await transfer(inst.rt, dept, connections=inst.connections, **kw)


async def test_every_zreport_becomes_one_batch_on_hold(installation: Installation) -> None:
    outcomes = await run(installation, kinds=(ZREPORT,))
    assert len(outcomes) == 30 and all(o.state == State.CONFIRMED for o in outcomes)
    in_visma = keys_in_visma(installation)
    assert len(in_visma) == 30 and set(in_visma.values()) == {1}
    batch = installation.company.journals[outcomes[0].visma_number]
    assert batch["status"] == "Hold"
    assert outcomes[0].key == "DUELL-Z-1-1" and batch["description"].startswith("DUELL-Z-1-1 ")
    # the lines carry the key's short form (15 characters at most: line_reference)
    assert all(ln["referenceNumber"] == "Z1-1" for ln in batch["journalTransactionLines"])
    assert all(
        ln["subaccount"]["segments"][0]["segmentValue"] == "01"
        for ln in batch["journalTransactionLines"]
    )  # the cost bearer on every line
    posts = installation.sandbox.visma.writes
    again = await run(installation, kinds=(ZREPORT,))
    assert again == [] and installation.sandbox.visma.writes == posts  # nothing twice


async def test_doubt_is_resolved_by_looking_up_never_by_resending(
    installation: Installation,
) -> None:
    faults = installation.sandbox.faults
    faults.only, faults.drop_rate, faults.cut_phase = (
        ("/visma/v2/journaltransaction",),
        0.5,
        "after",
    )
    faults.reseed(2)
    looked_up = 0
    for _ in range(10):
        outcomes = await run(installation, kinds=(ZREPORT,))
        looked_up += sum(o.looked_up for o in outcomes)
        if not Ledger(installation.rt.store).rows("1", states=(State.PENDING, State.SENT)):
            break
    assert faults.injected["drop-after"] > 0 and looked_up > 0
    rows = Ledger(installation.rt.store).rows("1", kind=ZREPORT)
    assert {r.state for r in rows} == {State.CONFIRMED}
    in_visma = keys_in_visma(installation)
    assert len(in_visma) == 30 and set(in_visma.values()) == {1}  # each exactly once
    assert {r.visma_number for r in rows} == {
        n
        for n, j in installation.company.journals.items()
        if j["description"].startswith("DUELL-Z-1-")
    }


async def test_missing_vat_mapping_blocks_until_fixed(installation: Installation) -> None:
    depts = Departments(installation.rt.store, installation.rt.secrets)
    depts.set_vat_mapping("1", Decimal(15), None)
    outcomes = await run(installation, kinds=(ZREPORT,))
    held = [o for o in outcomes if o.state == State.ATTENTION]
    assert held and all("map VAT rate 15 % to a Visma VAT code" in (o.error or "") for o in held)
    assert len(keys_in_visma(installation)) == 30 - len(held)  # the rest went through
    depts.set_vat_mapping("1", Decimal(15), "31")
    retried = await run(installation, kinds=(ZREPORT,), retry_failed=True)
    assert {o.state for o in retried} == {State.CONFIRMED} and len(retried) == len(held)
    assert len(keys_in_visma(installation)) == 30


async def test_preflight_lists_every_problem_and_sends_nothing(installation: Installation) -> None:
    installation.company.accounts["1920"]["active"] = False
    del installation.company.vat["31"]
    with pytest.raises(PreflightError) as exc:
        await run(installation, kinds=(ZREPORT,))
    assert exc.value.problems == [
        "account 1920 is inactive in Visma",
        "VAT id 31 does not exist in Visma",
    ]
    assert installation.company.journals == {}


async def test_a_refused_journal_fails_and_is_retried_after_the_fix(
    installation: Installation,
) -> None:
    depts = Departments(installation.rt.store, installation.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings(
        "1", dept.settings.model_copy(update={"several_clients": True, "branch_number": "9"})
    )
    outcomes = await run(installation, kinds=(ZREPORT,))
    assert {o.state for o in outcomes} == {State.FAILED}
    assert "Branch '9' cannot be found" in (outcomes[0].error or "")
    depts.save_settings(
        "1", dept.settings.model_copy(update={"several_clients": True, "branch_number": "2"})
    )
    assert await run(installation, kinds=(ZREPORT,)) == []  # failed ones wait for a retry
    retried = await run(installation, kinds=(ZREPORT,), retry_failed=True)
    assert {o.state for o in retried} == {State.CONFIRMED}
    assert {j["branch"] for j in installation.company.journals.values()} == {"2"}


def vat_rates(payload: dict) -> set[Decimal]:
    """The VAT rates a Z-report's or an invoice basis's payload uses."""
    return {Decimal(str(x["rate"])) for x in payload.get("sales", [])} | {
        Decimal(str(x["vat_rate"])) for x in payload.get("lines", [])
    }


@pytest.mark.parametrize("kind", [ZREPORT, INVOICE])
async def test_a_document_in_doubt_is_looked_up_before_it_is_held(
    installation: Installation, kind: str
) -> None:
    """A kill between the POST and the ledger's commit leaves a row `sent`. If its document
    can no longer be built (its VAT rate unmapped since), it is still looked up first: held
    instead, a retry would put it back to pending and post it a second time."""
    posted = next(o for o in await run(installation, kinds=(kind,)) if o.visma_number)
    store, ledger = installation.rt.store, Ledger(installation.rt.store)
    with store.write():  # what the kill leaves
        store.conn.execute(
            "UPDATE ledger SET state = 'sent', visma_number = NULL WHERE key = ?", [posted.key]
        )
    depts = Departments(installation.rt.store, installation.rt.secrets)
    mapped = depts.vat_mappings("1")
    row = ledger.get(posted.key)
    assert row is not None
    for rate in vat_rates(row.payload):
        depts.set_vat_mapping("1", rate, None)
    again = await run(installation, kinds=(kind,))
    assert [(o.key, o.state, o.visma_number, o.looked_up) for o in again] == [
        (posted.key, State.CONFIRMED, posted.visma_number, True)
    ]
    for rate in vat_rates(row.payload):
        depts.set_vat_mapping("1", rate, mapped[rate].visma_vat_id)
    await run(installation, kinds=(kind,), retry_failed=True)
    company = installation.company
    refs = (
        [j["description"].split()[0] for j in company.journals.values()]
        if kind == ZREPORT
        else [i["externalReference"] for i in company.invoices.values()]
    )
    assert refs.count(posted.key) == 1


async def test_a_stock_issue_is_never_released_as_an_invoice(installation: Installation) -> None:
    """Stock issues are released when they are transferred; `release` refuses them rather
    than release whatever invoice happens to carry the same number."""
    draft = next(o for o in await run(installation, kinds=(INVOICE,)) if o.visma_number)
    assert draft.visma_number is not None
    ledger, key = Ledger(installation.rt.store), "DUELL-STOCK-1-2026-10-01"
    ledger.register(key, "1", STOCK, "2026-10-01", {"date": "2026-10-01", "items": {}})
    ledger.confirm(key, draft.visma_number)  # Visma numbers issues and invoices apart
    with pytest.raises(DuviError, match="is a stock issue: it was released when"):
        await release(installation.rt, key, connections=installation.connections)
    assert installation.company.invoices[draft.visma_number]["status"] == "Hold"


async def test_invoice_bases_become_drafts_once(installation: Installation) -> None:
    outcomes = await run(installation, kinds=(INVOICE,))
    expected = len(installation.sandbox.duell.state.invoices["1"])
    assert len(outcomes) == expected
    # The seeded world plants customers sharing an org. number in Visma: those invoices
    # wait for a person instead of guessing the customer.
    held = [o for o in outcomes if o.state == State.ATTENTION]
    assert all("candidates in Visma with the same org. number" in (o.error or "") for o in held)
    confirmed = [o for o in outcomes if o.state == State.CONFIRMED]
    assert len(confirmed) + len(held) == expected and confirmed
    invoices = installation.company.invoices.values()
    refs = Counter(i["externalReference"] for i in invoices)
    assert set(refs) == {o.key for o in confirmed} and set(refs.values()) == {1}
    assert {i["status"] for i in invoices} == {"Hold"}
    assert await run(installation, kinds=(INVOICE,)) == []
    assert len(installation.company.invoices) == len(confirmed)


async def test_saft_import_goes_the_same_way(installation: Installation, tmp_path: Path) -> None:
    from core.duell.client import zreport_from_wire
    from core.saft import export_zreports

    reports = [zreport_from_wire(r, "2") for r in installation.sandbox.duell.state.zreports["2"]]
    path = tmp_path / "dept2.xml"
    path.write_bytes(
        export_zreports(reports[:5], company_ident="998877665", company_name="Garnbua AS")
    )
    outcomes = await import_saft(installation.rt, path, "2", connections=installation.connections)
    assert [o.state for o in outcomes] == [State.CONFIRMED] * 5
    assert all(o.visma_number for o in outcomes)
    again = await import_saft(installation.rt, path, "2", connections=installation.connections)
    assert [o.visma_number for o in again] == [o.visma_number for o in outcomes]
    assert len(installation.company.journals) == 5


async def test_release_is_separate_and_audited(installation: Installation) -> None:
    outcomes = await run(installation, kinds=(ZREPORT,))
    key = outcomes[0].key
    await release(installation.rt, key, connections=installation.connections)
    assert installation.company.journals[outcomes[0].visma_number]["status"] == "Posted"
    audit = installation.rt.store.query(
        "SELECT action, target FROM audit WHERE action = 'transfer.release'"
    )
    assert audit == [{"action": "transfer.release", "target": key}]


async def test_read_only_refuses_changes(installation: Installation) -> None:
    installation.rt.settings.read_only = True
    with pytest.raises(ConfigError, match="read-only mode"):
        await run(installation)
    assert installation.company.journals == {}


async def test_an_ambiguous_customer_becomes_a_conflict_that_a_person_resolves(
    installation: Installation,
) -> None:
    from core.conflicts import Conflicts

    # Plant the case: the first invoice's customer has two namesakes in Visma by org. number.
    first = installation.sandbox.duell.state.invoices["1"][0]
    first["customer"]["org_number"] = "123456785"
    for number in ("X-1", "X-2"):
        record = {
            "number": number,
            "name": f"Ola Nordmann AS ({number})",
            "corporateId": "123456785",
            "status": "Active",
        }
        installation.company.customers[number] = record
        installation.company.touch("customer", number, record)
    outcomes = await run(installation, kinds=(INVOICE,))
    held = [o for o in outcomes if o.state == State.ATTENTION]
    assert f"DUELL-INV-1-{first['invoice_id']}" in {o.key for o in held}
    conflicts = Conflicts(installation.rt.store)
    open_ = conflicts.list("1")
    assert len(open_) == len({o.key for o in held})
    c = next(x for x in open_ if x.incoming_id == str(first["customer"]["customer_id"]))
    assert c.match_key == "orgnr" and [x["id"] for x in c.candidates] == ["X-1", "X-2"]
    conflicts.resolve(c.id, "link", candidate=c.candidates[1]["id"])
    others = [x for x in open_ if x.id != c.id]
    for other in others:
        conflicts.resolve(other.id, "create")
    before = len(installation.company.customers)
    retried = await run(installation, kinds=(INVOICE,), retry_failed=True)
    assert {o.state for o in retried} == {State.CONFIRMED}
    linked = [
        i
        for i in installation.company.invoices.values()
        if i["customer"]["number"] == c.candidates[1]["id"]
    ]
    assert linked  # the invoice went to the customer the person chose
    assert len(installation.company.customers) == before + len({o.incoming_id for o in others})
    audit = installation.rt.store.query("SELECT action FROM audit WHERE action LIKE 'conflict.%'")
    assert [a["action"] for a in audit] == ["conflict.link"] + ["conflict.create"] * len(others)
    assert conflicts.list("1") == []


async def test_allow_duplicates_creates_without_matching(installation: Installation) -> None:
    depts = Departments(installation.rt.store, installation.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings("1", dept.settings.model_copy(update={"allow_duplicate_customers": True}))
    before = len(installation.company.customers)
    outcomes = await run(installation, kinds=(INVOICE,))
    assert {o.state for o in outcomes} == {State.CONFIRMED}  # no conflicts: no matching at all
    distinct = {
        i["customer"]["customer_id"] for i in installation.sandbox.duell.state.invoices["1"]
    }
    assert len(installation.company.customers) == before + len(distinct)


async def test_doctor_duplicates_lists_clusters_on_both_sides(installation: Installation) -> None:
    from core.service import duplicate_report

    report = await duplicate_report(installation.rt, "1", connections=installation.connections)
    world_planted = installation.sandbox.duell.state.customers
    assert report["duell"] and report["visma"]
    kinds = {c["key"] for c in report["duell"]}
    assert kinds == {"orgnr", "phone", "email"}
    for cluster in report["duell"]:
        assert len(cluster["members"]) >= 2
        assert all(m["id"] in world_planted for m in cluster["members"])
    assert not any(c["value"] == "+4799999999" for c in report["duell"])
