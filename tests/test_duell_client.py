"""The DUELL client against the DUELL sandbox, warts included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.duell.errors import DuellBlockedError, DuellError
from core.models import Customer
from tests.sandbox_fixtures import DuellWorld


async def test_departments_with_their_tokens(duell_world: DuellWorld) -> None:
    duell = duell_world.client()
    try:
        depts = await duell.departments()
    finally:
        await duell.aclose()
    assert [d.department_name for d in depts] == [
        "Oslo sentrum",
        "Bergen Galleriet",
        "Trondheim Solsiden",
    ]
    assert all(d.api_token and len(d.api_token) > 30 for d in depts)


async def test_3345_products_all_arrive_through_the_100_row_cap(duell_world: DuellWorld) -> None:
    state = duell_world.sandbox.duell.state
    base = dict(next(iter(state.products.values())))
    for pid in range(3001, 3346):
        state.products[pid] = {**base, "product_id": pid, "product_number": f"X-{pid}"}
    duell = duell_world.client()
    try:
        products = [p async for p in duell.list_products()]
    finally:
        await duell.aclose()
    assert len(products) == 3345
    assert len({p.product_id for p in products}) == 3345  # keyed on product_id...
    assert len({p.product_number for p in products}) < 3345  # ...as product_number repeats
    assert duell.http.stats["requests"] == 34  # ceil(3345 / 100) pages
    assert duell.login.service.stats["requests"] == duell.logins == 1
    assert all(isinstance(p.price_inc_vat, Decimal) for p in products[:10])


async def test_products_saved_in_batches(duell_world: DuellWorld) -> None:
    duell = duell_world.client()
    try:
        new = [
            {
                "product_name": f"Ny vare {i}",
                "product_number": f"NY-{i}",
                "price_inc_vat": 99.0,
                "vatrate_percent": 25,
            }
            for i in range(250)
        ]
        ids = await duell.save_products(new)
        assert len(ids) == 250 and len(set(ids)) == 250
        assert duell_world.sandbox.duell.state.product_saves == 3  # 100 + 100 + 50
        await duell.save_products([{"product_id": ids[0], "product_name": "Omdøpt"}])
        assert duell_world.sandbox.duell.state.products[ids[0]]["product_name"] == "Omdøpt"
        with pytest.raises(DuellError) as exc:
            await duell.save_products([{"product_name": "Feil mva", "vatrate_percent": 17}])
        assert exc.value.status == 200  # DUELL says no with HTTP 200
        assert "vatrate_percent 17 is not allowed" in (exc.value.validation or "")
        assert "correct the data" in exc.value.remedy
    finally:
        await duell.aclose()


async def test_customers_search_and_save(duell_world: DuellWorld) -> None:
    duell = duell_world.client()
    try:
        everyone = [c async for c in duell.list_customers()]
        assert len(everyone) == 1000
        placeholder = [c async for c in duell.list_customers(phone="99999999")]
        assert len(placeholder) >= 50
        target = everyone[10]
        assert target.email
        by_email = [c async for c in duell.list_customers(email=target.email)]
        assert target.customer_id in [c.customer_id for c in by_email]
        new_id = await duell.save_customer(
            Customer(customer_id=0, name="Ny Kunde AS", phone="91234567", email="ny@kunde.no")
        )
        assert duell_world.sandbox.duell.state.customers[new_id]["customer_name"] == "Ny Kunde AS"
        await duell.save_customer({"customer_id": new_id, "city": "Tromsø"})
        assert duell_world.sandbox.duell.state.customers[new_id]["city"] == "Tromsø"
    finally:
        await duell.aclose()


async def test_stock_list_and_adjust(duell_world: DuellWorld) -> None:
    duell = duell_world.client()
    try:
        token = (await duell.departments())[0].api_token
        assert token
        rows = [r async for r in duell.list_stock(token)]
        assert len(rows) == 3000
        first = rows[0]
        await duell.adjust_stock(token, [(first.product_number, Decimal(-2))])
        after = [r async for r in duell.list_stock(token) if r.product_id == first.product_id]
        assert after[0].stock == first.stock - 2
        with pytest.raises(DuellError, match="unknown department token"):
            await duell.adjust_stock("nope", [(first.product_number, Decimal(1))])
    finally:
        await duell.aclose()


async def test_zreports_and_invoice_bases_since_a_cursor(duell_world: DuellWorld) -> None:
    duell = duell_world.client()
    try:
        zs = [z async for z in duell.list_zreports("1")]
        assert len(zs) == 30 and [z.z_number for z in zs] == list(range(1, 31))
        assert all(not z.inconsistencies() for z in zs)
        later = [z.z_number async for z in duell.list_zreports("1", after_z=26)]
        assert later == [27, 28, 29, 30]
        z = await duell.get_zreport("2", 5)
        assert z.department_id == "2" and z.sales and z.payments
        invoices = [i async for i in duell.list_invoice_bases("1")]
        assert invoices and all(i.lines for i in invoices)
        one = await duell.get_invoice_basis("1", invoices[1].invoice_id)
        assert one == invoices[1]
        with pytest.raises(DuellError, match="no Z-report 99"):
            await duell.get_zreport("1", 99)
    finally:
        await duell.aclose()


async def test_the_firewall_page_is_named(duell_world: DuellWorld) -> None:
    duell_world.sandbox.duell.state.waf_blocked = True
    duell = duell_world.client()
    try:
        with pytest.raises(DuellBlockedError) as exc:
            await duell.departments()
    finally:
        await duell.aclose()
    assert "ask DUELL to whitelist this host's IP" in exc.value.remedy


async def test_expired_token_means_one_new_login(duell_world: DuellWorld) -> None:
    duell = duell_world.client()
    try:
        await duell.departments()
        duell_world.sandbox.duell.revoke_tokens()  # expired or revoked on DUELL's side
        await duell.departments()
        assert duell.logins == 2
    finally:
        await duell.aclose()


async def test_wrong_credentials_are_status_false(duell_world: DuellWorld) -> None:
    duell = duell_world.client(token="not-the-token")
    try:
        with pytest.raises(DuellError) as exc:
            await duell.departments()
    finally:
        await duell.aclose()
    assert "Invalid client number or token" in exc.value.message


@pytest.mark.slow
async def test_duell_rate_limit_headers_pace_the_client(duell_world: DuellWorld) -> None:
    from core.sandbox.common import FixedWindow

    duell_world.sandbox.duell.limiter = FixedWindow(4, 1.0)
    duell = duell_world.client()
    try:
        customers = [c async for c in duell.list_customers()]
    finally:
        await duell.aclose()
    assert len(customers) == 1000  # 10 pages over three windows of 4 requests
    assert duell_world.sandbox.duell.limiter.rejected <= 1  # at most the first, unpaced burst
    assert duell.http.pacer.waited > 0


async def test_the_sandbox_forgets_expired_tokens(duell_world) -> None:
    """`duvi sandbox serve` runs for days; every token it ever issued must not stay."""

    async def sign_in_and_read() -> None:
        client = duell_world.client()
        try:
            await client.departments()
        finally:
            await client.aclose()

    tokens = duell_world.sandbox.duell.state
    for _ in range(3):
        await sign_in_and_read()
    assert len(tokens.tokens) == 3
    tokens.tokens = dict.fromkeys(tokens.tokens, 0.0)  # their 72 hours have passed
    await sign_in_and_read()
    assert len(tokens.tokens) == 1
