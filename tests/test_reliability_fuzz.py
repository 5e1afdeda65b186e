"""Every response parser of both clients, and the SAF-T reader, under hypothesis: whatever
body a server sends (random JSON, the right shape with wrong types or missing fields, huge
strings, bytes that are not UTF-8, an HTML page), a call ends in a parsed model or in one of
duvi's typed errors with a message and a remedy; never another exception. And a bad document
never leaves half of itself in the store.

The server here is a fuzzing one (an httpx transport that answers with what hypothesis
draws), not a stand-in for duvi's own code: the clients, their HTTP layer and parsers are
the real ones."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, SecretStr

from core.config import load_settings
from core.duell import client as duell_module
from core.duell.client import open_duell
from core.errors import DuviError
from core.visma import models as vm
from core.visma.auth import VismaCredentials
from core.visma.client import open_visma
from tests.helpers import reliability
from tests.sandbox_fixtures import FAST_RETRY

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

EXAMPLES = 10  # per endpoint; `--hypothesis-seed` or more examples for a deeper search
SETTINGS = load_settings()

# -- what a server might send --------------------------------------------------------------

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "2026-13-45", "NaN", "1e999", "0x10", "-0", "\u202e\u0000"])
    | st.just("\U0001f600" * 3000)
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


def shaped(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """A record with the model's own field names (as the wire spells them), any values."""
    names = [f.alias or n for n, f in model.model_fields.items()]
    return st.fixed_dictionaries({}, optional={n: json_values for n in names})


def encoded(value: Any) -> bytes:
    return json.dumps(value, default=str).encode()


def bodies(
    record: st.SearchStrategy[Any], envelope: Callable[[Any], Any]
) -> st.SearchStrategy[bytes]:
    return st.one_of(
        json_values.map(encoded),
        st.lists(record, max_size=3).map(envelope).map(encoded),
        record.map(envelope).map(encoded),
        st.binary(max_size=300),  # not UTF-8, not JSON
        st.just(b"<!DOCTYPE html><html><body>Request blocked</body></html>"),
        st.just(b'{"status": true, "data": "' + b"x" * 2_000_000 + b'"}'),
        st.just(b'{"a": ' * 5000 + b"1" + b"}" * 5000),  # deeper than any parser's recursion
    )


answers = st.tuples(
    st.sampled_from([200, 200, 200, 201, 204, 400, 404, 500]),
    st.sampled_from(["application/json", "application/json; charset=utf-8", "text/html", ""]),
)

# -- the fuzzing server ------------------------------------------------------------------------


def transport(body: bytes, status: int, ctype: str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/connect/token"):
            return httpx.Response(200, json={"access_token": "t" * 40, "expires_in": 3600})
        if path.endswith("/getaccesstokens"):
            return httpx.Response(200, json={"status": True, "token": "d" * 40})
        headers = {"content-type": ctype} if ctype else {}
        if request.method == "POST" and status in (200, 201):
            headers["location"] = f"{request.url}/1001"
        return httpx.Response(status, content=body, headers=headers)

    return httpx.MockTransport(handle)


def visma_client(t: httpx.MockTransport):
    creds = VismaCredentials("isv_fuzz", SecretStr("fuzz-secret-123"), "tenant-fuzz")
    return open_visma(
        creds,
        visma_url="http://fuzz/visma",
        connect_url="http://fuzz/connect",
        settings=SETTINGS,
        transport=t,
        retry=FAST_RETRY,
    )


def duell_client(t: httpx.MockTransport):
    return open_duell(
        "12345",
        SecretStr("duell-fuzz-token"),
        base_url="http://fuzz/duell/v1",
        settings=SETTINGS,
        transport=t,
        retry=FAST_RETRY,
    )


async def collect(it: Any) -> list[Any]:
    return [x async for x in it]


OUTCOMES: dict[str, int] = {"parsed": 0, "typed error": 0}


@pytest.fixture(scope="module", autouse=True)
def figures() -> Iterator[None]:
    yield
    reliability.record(
        "Bad input: fuzzed answers to every parser",
        f"hypothesis drew bodies for {len(VISMA)} Visma and {len(DUELL)} DUELL calls (random "
        "JSON, the right fields with wrong types, missing fields, 2 MB strings, 5,000-deep "
        "nesting, bytes that are not UTF-8, HTML), a second page of Z-reports and damaged "
        "SAF-T files (tests/test_reliability_fuzz.py). Every one ended parsed or in a typed "
        "error with a message and a remedy; no store held half a document.",
        answers_parsed=OUTCOMES["parsed"],
        typed_errors=OUTCOMES["typed error"],
        unhandled_exceptions=0,
    )


def check(
    make: Callable[[httpx.MockTransport], Any],
    call: Callable[[Any], Awaitable[Any]],
    body: bytes,
    answer: tuple[int, str],
) -> None:
    async def go() -> None:
        client = make(transport(body, *answer))
        try:
            await call(client)
            OUTCOMES["parsed"] += 1
        except DuviError as exc:
            OUTCOMES["typed error"] += 1
            assert exc.message.strip() and exc.remedy.strip(), exc
            assert "Traceback" not in exc.message
        finally:
            await client.aclose()

    asyncio.run(go())


# -- Visma ---------------------------------------------------------------------------------

VISMA: dict[str, tuple[type[BaseModel], Callable[[Any], Awaitable[Any]]]] = {
    "list_customers": (vm.Customer, lambda c: collect(c.list_customers())),
    "get_customer": (vm.Customer, lambda c: c.get_customer("10001")),
    "create_customer": (vm.Customer, lambda c: c.create_customer(vm.CustomerWrite(name="A"))),
    "list_items": (vm.InventoryItem, lambda c: collect(c.list_items(cross_references=True))),
    "get_item": (vm.InventoryItem, lambda c: c.get_item("10-1", cost_statistics=True)),
    "list_invoices": (vm.CustomerInvoice, lambda c: collect(c.list_invoices())),
    "find_invoices": (vm.CustomerInvoice, lambda c: c.find_invoices_by_external_reference("X")),
    "release_invoice": (vm.ActionResult, lambda c: c.release_invoice("100001")),
    "list_journals": (vm.JournalTransaction, lambda c: collect(c.list_journals(period="202611"))),
    "find_journals": (
        vm.JournalTransaction,
        lambda c: c.find_journals_by_reference("DUELL-Z-1-1", period="202611"),
    ),
    "list_vat": (vm.Vat, lambda c: c.list_vat()),
    "list_accounts": (vm.Account, lambda c: c.list_accounts()),
    "list_branches": (vm.Branch, lambda c: c.list_branches()),
    "list_dimensions": (vm.Dimension, lambda c: c.list_dimensions()),
    "get_dimension": (vm.Dimension, lambda c: c.get_dimension()),
    "list_issues": (vm.InventoryIssue, lambda c: collect(c.list_issues())),
    "inventory_summary": (vm.InventorySummary, lambda c: c.inventory_summary("10-1")),
}


def _visma_strategy(name: str) -> st.SearchStrategy[tuple[str, bytes, tuple[int, str]]]:
    model, _ = VISMA[name]
    return st.tuples(st.just(name), bodies(shaped(model), lambda x: x), answers)


@settings(max_examples=EXAMPLES * len(VISMA))
@given(st.one_of([_visma_strategy(n) for n in VISMA]))
def test_any_visma_answer_is_parsed_or_a_typed_error(
    case: tuple[str, bytes, tuple[int, str]],
) -> None:
    name, body, answer = case
    check(visma_client, VISMA[name][1], body, answer)


# -- DUELL ---------------------------------------------------------------------------------

DUELL: dict[str, tuple[str, type[BaseModel] | None, Callable[[Any], Awaitable[Any]]]] = {
    "departments": ("departments", duell_module.DuellDepartment, lambda c: c.departments()),
    "list_products": ("products", duell_module.DuellProduct, lambda c: collect(c.list_products())),
    "list_customers": (
        "customers",
        duell_module.DuellCustomer,
        lambda c: collect(c.list_customers()),
    ),
    "list_stock": ("stock", duell_module.StockRow, lambda c: collect(c.list_stock("tok"))),
    "list_zreports": ("zreports", None, lambda c: collect(c.list_zreports("1"))),
    "list_invoice_bases": ("invoices", None, lambda c: collect(c.list_invoice_bases("1"))),
    "save_products": (
        "data",
        None,
        lambda c: c.save_products([{"product_number": "1", "product_name": "A"}]),
    ),
    "save_customer": ("data", None, lambda c: c.save_customer({"customer_name": "A"})),
}
ZREPORT_FIELDS = [
    "z_number",
    "department_id",
    "business_date",
    "opened_at",
    "closed_at",
    "sales",
    "payments",
    "items_sold",
    "rounding",
    "total",
]
INVOICE_FIELDS = ["invoice_id", "customer", "invoice_date", "lines", "total", "order_number"]


def _duell_strategy(name: str) -> st.SearchStrategy[tuple[str, bytes, tuple[int, str]]]:
    key, model, _ = DUELL[name]
    if model is not None:
        record = shaped(model)
    else:
        fields = ZREPORT_FIELDS if key == "zreports" else INVOICE_FIELDS
        record = st.fixed_dictionaries({}, optional={f: json_values for f in fields})
    envelope = st.fixed_dictionaries(
        {"status": st.sampled_from([True, True, False, "true", None])},
        optional={
            "total_count": st.integers(-5, 10**6) | st.none() | st.just("100"),
            "message": st.text(max_size=20),
            "code": st.sampled_from([200, 401, "403", "x", None, True]),
            "validation_message": st.text(max_size=20) | st.none(),
            "dateTimeBeforeQryExec": st.text(max_size=20),
        },
    )
    return st.tuples(
        st.just(name),
        st.one_of(
            bodies(record, lambda x: x),
            st.tuples(envelope, st.lists(record, max_size=3)).map(
                lambda t: encoded({**t[0], key: t[1]})
            ),
        ),
        answers,
    )


@settings(max_examples=EXAMPLES * len(DUELL))
@given(st.one_of([_duell_strategy(n) for n in DUELL]))
def test_any_duell_answer_is_parsed_or_a_typed_error(
    case: tuple[str, bytes, tuple[int, str]],
) -> None:
    name, body, answer = case
    check(duell_client, DUELL[name][2], body, answer)


# -- DUELL's real rows: numbers as strings, and bad rows among good ones ----------------------

GOOD_VAT = ["25.00", "15.00", "12.00", "0.00", "25", 25, 0]
price_texts = st.decimals(min_value=0, max_value=10**6, places=2).map(lambda d: f"{d:.2f}")
product_rows = st.fixed_dictionaries(
    {
        "product_id": st.integers(1, 10**9).map(str)
        | st.integers(1, 10**9)
        | st.sampled_from(["", None, "x17", "1.5"]),
        "product_number": st.text(max_size=8) | st.integers(0, 10**12),
        "vatrate_percent": st.sampled_from([*GOOD_VAT, "", None, "abc"]),
        "price_inc_vat": price_texts | st.sampled_from(["", None, "ikke"]),
        "cost_price": price_texts | st.sampled_from(["", None]),
        "barcode": st.sampled_from(["07040123456789", "7040123456785", "", None]),
        "is_deleted": st.just(False),
    }
)


def _readable(row: dict[str, Any]) -> bool:
    """Written from the wire format, not from duvi's models: an id of digits, any product
    number, a VAT rate and a price that are numbers (strings of one), a cost price that is a
    number or nothing."""
    pid, vat, price = row["product_id"], row["vatrate_percent"], row["price_inc_vat"]
    return (
        (isinstance(pid, int) or (isinstance(pid, str) and pid.isdigit()))
        and vat in GOOD_VAT
        and isinstance(price, str)
        and re.fullmatch(r"\d+\.\d\d", price) is not None
    )


@settings(max_examples=EXAMPLES * 5)
@given(st.lists(product_rows, min_size=1, max_size=12))
def test_string_numbers_parse_and_bad_rows_are_set_aside(rows: list[dict[str, Any]]) -> None:
    """A page as the real DUELL sends it: every readable row arrives with Decimal money and
    its barcode as sent (a GTIN-14's leading 0 kept); every other row is set aside by name,
    and the page goes on."""
    # total_count as a string too (whether DUELL always sends an int is unverified): the
    # listing still ends with this page, as the fuzzing server answers every page with it.
    page = encoded({"status": True, "code": "200", "total_count": str(len(rows)), "products": rows})
    aside: list[Any] = []

    async def go() -> list[Any]:
        client = duell_client(transport(page, 200, "application/json"))
        client.on_set_aside = lambda _path, found: aside.extend(found)
        try:
            return [p async for p in client.list_products()]
        finally:
            await client.aclose()

    products = asyncio.run(go())
    readable = [r for r in rows if _readable(r)]
    assert len(products) == len(readable) and len(aside) == len(rows) - len(readable)
    for p, r in zip(products, readable, strict=True):
        assert p.price_inc_vat == Decimal(r["price_inc_vat"])
        assert p.product_number == str(r["product_number"])
        assert p.barcode == (r["barcode"] or None)
    OUTCOMES["parsed"] += len(products)
    OUTCOMES["typed error"] += len(aside)


# -- nothing half-written --------------------------------------------------------------------


def _sample() -> list[dict[str, Any]]:
    from core.sandbox.world import generate

    return generate(5, products=40, customers=5, days=4, invoices=0).zreports["1"]


ZREPORTS = json.loads(encoded(_sample()))  # four days of department 1, as DUELL sends them
SAFT_REPORTS = [duell_module.zreport_from_wire(z, "1").model_dump(mode="json") for z in ZREPORTS]


def zreport_pages(second_page: bytes) -> httpx.MockTransport:
    """Page one is good (two Z-reports of four); page two is whatever hypothesis drew."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/getaccesstokens"):
            return httpx.Response(200, json={"status": True, "token": "d" * 40})
        if request.url.params.get("start") == "0":
            page = {"status": True, "total_count": 4, "zreports": ZREPORTS[:2]}
            return httpx.Response(
                200, content=encoded(page), headers={"content-type": "application/json"}
            )
        return httpx.Response(
            200, content=second_page, headers={"content-type": "application/json"}
        )

    return httpx.MockTransport(handle)


@settings(max_examples=EXAMPLES * 3)
@given(
    st.one_of(
        bodies(
            st.fixed_dictionaries({}, optional={f: json_values for f in ZREPORT_FIELDS}),
            lambda x: x,
        ),
        st.lists(
            st.sampled_from(ZREPORTS[2:]).flatmap(
                lambda z: st.fixed_dictionaries(
                    {k: st.just(v) for k, v in z.items() if k != "total"},
                    optional={"total": json_values},
                )
            ),
            max_size=2,
        ).map(lambda rows: encoded({"status": True, "total_count": 4, "zreports": rows})),
    )
)
def test_a_bad_page_of_zreports_leaves_no_half_document_in_the_store(second_page: bytes) -> None:
    import tempfile

    from core.departments import Departments
    from core.ledger import Ledger
    from core.models import ZReport
    from core.runtime import Runtime
    from core.transfers import Settlements

    with tempfile.TemporaryDirectory() as home:
        rt = Runtime.open(load_settings(home=Path(home)))
        depts = Departments(rt.store, rt.secrets)
        depts.add("1", "Avdeling 1")
        dept = depts.get("1")
        assert dept is not None
        ledger = Ledger(rt.store)

        async def go() -> None:
            duell = duell_client(zreport_pages(second_page))
            try:
                await Settlements(dept, depts, ledger, None, rt.log, duell).fetch_zreports()  # type: ignore[arg-type]
            except DuviError as exc:
                assert exc.message and exc.remedy
                assert ledger.cursor("1", "zreport") is None  # fetched again from the start
            finally:
                await duell.aclose()

        asyncio.run(go())
        rows = ledger.rows("1", kind="zreport")
        assert len(rows) >= 2  # the good page is kept
        for row in rows:  # and whatever is in the store is a whole Z-report
            ZReport.model_validate(row.payload)
        rt.close()


@settings(max_examples=EXAMPLES * 3)
@given(st.data())
def test_a_damaged_saft_file_is_imported_whole_or_not_at_all(data: st.DataObject) -> None:
    """Any element's text replaced by anything: the reader gives whole reports or a SafTError,
    and the import registers all of the file or none of it."""
    import tempfile

    from core.departments import Departments
    from core.ledger import Ledger
    from core.models import ZReport
    from core.runtime import Runtime
    from core.saft import export_zreports
    from core.service import import_saft

    xml = export_zreports(
        [ZReport.model_validate(z) for z in SAFT_REPORTS],
        company_ident="998877665",
        company_name="Garnbua AS",
    ).decode()
    texts = list(re.finditer(r">([^<>]+)<", xml))
    for _ in range(data.draw(st.integers(1, 3))):
        m = data.draw(st.sampled_from(texts))
        junk = data.draw(
            st.text(max_size=30) | st.sampled_from(["-1", "1e309", "", "2026-02-30", "NaN"])
        )
        junk = junk.replace("&", "&amp;").replace("<", "&lt;")
        xml = xml[: m.start(1)] + junk + xml[m.end(1) :]
        texts = list(re.finditer(r">([^<>]+)<", xml))
    with tempfile.TemporaryDirectory() as home:
        rt = Runtime.open(load_settings(home=Path(home)))
        Departments(rt.store, rt.secrets).add("1", "Avdeling 1")
        path = Path(home) / "saft.xml"
        path.write_text(xml)
        try:
            asyncio.run(import_saft(rt, path, "1", send=False))
            assert len(Ledger(rt.store).rows("1")) == len(SAFT_REPORTS)
        except DuviError as exc:
            assert exc.message and exc.remedy
            assert Ledger(rt.store).rows("1") == []
        rt.close()
