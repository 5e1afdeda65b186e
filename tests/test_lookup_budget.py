"""Issue 17, item 3: the look-ups before a POST stay within the rate budget. Journals are
listed with `module=GL` and the period, stock issues with a date filter (and the released
ones of a day on the error path), customers found by their keys with the customer list's
filters; every customer is read only when that costs fewer requests than the filters would
(a company whose customers fit a page or two)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from core.departments import Departments
from core.ledger import Ledger, State
from core.service import transfer
from core.transfers import INVOICE, STOCK, ZREPORT
from tests.sandbox_fixtures import Installation


def record_gets(inst: Installation) -> list[tuple[str, dict[str, list[str]]]]:
    """Every GET the sandbox's Visma side gets from now on: (path, query)."""
    seen: list[tuple[str, dict[str, list[str]]]] = []
    inner: Callable[..., Any] = inst.sandbox.app

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            seen.append((scope["path"], parse_qs(scope["query_string"].decode())))
        await inner(scope, receive, send)

    inst.sandbox.app = recording
    return seen


def with_stock(inst: Installation) -> None:
    departments = Departments(inst.rt.store, inst.rt.secrets)
    dept = departments.get("1")
    assert dept is not None
    departments.save_settings("1", dept.settings.model_copy(update={"stock_update": True}))


def many_pages(inst: Installation) -> None:
    """Visma grants pages of 5: the world's customers take ~80 pages, as a big company's
    thousands do at 1,000 a page."""
    inst.sandbox.visma.page_limits["/v1/customer"] = 5


async def test_every_lookup_is_filtered(installation: Installation) -> None:
    inst = installation
    with_stock(inst)
    many_pages(inst)
    gets = record_gets(inst)
    await transfer(inst.rt, "1", kinds=(ZREPORT, INVOICE, STOCK), connections=inst.connections)

    journals = [q for p, q in gets if p == "/visma/v2/journaltransaction"]
    assert journals and all(q["module"] == ["GL"] and "periodId" in q for q in journals)
    # the world's two periods (October and November), never a listing of every period
    assert {q["periodId"][0] for q in journals} == {"202610", "202611"}

    customers = [q for p, q in gets if p == "/visma/v1/customer"]
    assert customers, "the invoices' customers were looked up"
    assert customers[0] == {"pageNumber": ["1"], "pageSize": ["1"]}  # how many pages a read is
    customers = customers[1:]
    assert all(
        set(q) - {"pageNumber", "pageSize"} in ({"corporateId"}, {"phone"}, {"email"})
        for q in customers
    )  # by a key, never the whole list

    issues = [q for p, q in gets if p == "/visma/v1/inventoryissue"]
    assert issues and all(q.get("dateCondition") == [">="] and "date" in q for q in issues)
    invoices = [q for p, q in gets if p == "/visma/v1/customerinvoice"]
    assert invoices and all(q.get("documentDateCondition") == [">="] for q in invoices)


async def test_a_customer_is_found_by_its_phone_as_visma_writes_it(
    installation: Installation,
) -> None:
    """The invoice's customer is in Visma with its phone written "+47 xxx xx xxx" and no
    org. number or e-mail that match: the phone filter in that writing finds it, and the
    invoice goes to it (no customer is created)."""
    inst = installation
    many_pages(inst)
    basis = inst.sandbox.duell.state.invoices["1"][0]
    customer = basis["customer"]
    customer.update(org_number=None, phone="91234567", email="ny.kunde@example.no")
    record = {
        "number": "P-1",
        "name": "Ny Kunde",
        "status": "Active",
        "mainContact": {"phone1": "+47 912 34 567", "email": "annen@example.no"},
    }
    inst.company.customers["P-1"] = record
    inst.company.touch("customer", "P-1", record)
    before = len(inst.company.customers)
    gets = record_gets(inst)
    outcomes = await transfer(inst.rt, "1", kinds=(INVOICE,), connections=inst.connections)
    key = f"DUELL-INV-1-{basis['invoice_id']}"
    mine = next(o for o in outcomes if o.key == key)
    assert mine.state == State.CONFIRMED
    assert inst.company.invoices[mine.visma_number]["customer"]["number"] == "P-1"
    assert ("/visma/v1/customer", {"phone": ["+47 912 34 567"]}) in [
        (p, {k: v for k, v in q.items() if k not in ("pageNumber", "pageSize")}) for p, q in gets
    ]
    assert len(inst.company.customers) >= before  # others' customers may be made; P-1 is used


async def test_a_small_companys_customers_are_read_once_not_filtered(
    installation: Installation,
) -> None:
    """The world's ~400 Visma customers fit one page: a read of every customer (one request,
    after the one that counts them) costs less than the filters of the first customer, so
    the run reads them once and matches every invoice's customer from that read."""
    inst = installation
    gets = record_gets(inst)
    outcomes = await transfer(inst.rt, "1", kinds=(INVOICE,), connections=inst.connections)
    customers = [q for p, q in gets if p == "/visma/v1/customer"]
    assert customers == [
        {"pageNumber": ["1"], "pageSize": ["1"]},
        {"pageNumber": ["1"], "pageSize": ["1000"]},
    ]
    assert outcomes and {o.state for o in outcomes} <= {State.CONFIRMED, State.ATTENTION}


async def test_a_lost_release_answer_reads_only_the_days_released_issues(
    installation: Installation,
) -> None:
    """A stock issue whose release answer is lost: the next read is the released issues of
    its day on (status and date filters), once, not the whole listing again."""
    inst = installation
    # Every release answer is lost, each retried up to 6 times: at the default back-off
    # (0.5 s doubled) the test waited four minutes in timers, which judges nothing here.
    inst.rt.settings.retry_base_delay = 0.001
    with_stock(inst)
    await transfer(inst.rt, "1", kinds=(ZREPORT,), connections=inst.connections)
    faults = inst.sandbox.faults
    faults.only, faults.drop_rate, faults.cut_phase = ("/visma/v1/inventoryissue/",), 1.0, "after"
    gets = record_gets(inst)
    await transfer(inst.rt, "1", kinds=(STOCK,), connections=inst.connections)
    rereads = [q for p, q in gets if p == "/visma/v1/inventoryissue" and "status" in q]
    assert rereads and all(q["status"] == ["Released"] and "date" in q for q in rereads)
    released = Ledger(inst.rt.store).rows("1", kind=STOCK, states=(State.CONFIRMED,))
    assert len(rereads) == len(released)  # one read per release whose answer was lost
