"""The Visma client when things go wrong: paging limits, tokens, rate limits, every error
shape, and requests whose outcome is unknown."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from core.http import OutcomeUnknownError, TransientError
from core.httplog import HttpLog
from core.store import Store
from core.visma.errors import MalformedResponseError, VismaError, error_from_response
from core.visma.models import CustomerWrite
from tests.sandbox_fixtures import FAST_RETRY, SECRET, VismaWorld


def company(world: VismaWorld):
    return world.sandbox.visma.companies[world.company.tenant_id]


def seed_items(world: VismaWorld, n: int) -> None:
    c = company(world)
    for i in range(n):
        number = f"ITEM-{i:06d}"
        c.items[number] = {"inventoryId": i, "inventoryNumber": number, "description": f"Vare {i}"}
        c.touch("item", number, c.items[number])


async def test_paging_past_5000_with_clamped_page_size(world: VismaWorld) -> None:
    seed_items(world, 12_345)
    client = world.client(page_size=10_000)  # asks for more than Visma's 5,000 maximum
    try:
        numbers = [i.inventory_number async for i in client.list_items()]
    finally:
        await client.aclose()
    assert len(numbers) == 12_345 and len(set(numbers)) == 12_345
    assert client.http.stats["requests"] == 3  # 5,000 + 5,000 + 2,345


async def test_an_exact_multiple_of_the_page_size_stops_on_total_count(world: VismaWorld) -> None:
    seed_items(world, 3_000)
    client = world.client(page_size=1_000)
    try:
        assert len([i async for i in client.list_items()]) == 3_000
        assert client.http.stats["requests"] == 3  # no fourth, empty page
    finally:
        await client.aclose()


async def test_revoked_token_is_refreshed_once(visma, world: VismaWorld) -> None:
    await visma.create_customer(CustomerWrite(name="før"))
    world.sandbox.connect.revoke_all()  # the token dies mid-run
    await visma.create_customer(CustomerWrite(name="etter"))
    assert visma.tokens.fetched == 2
    visma.tokens.held.expires_at = 0  # reached its expiry: renewed before use, no 401 needed
    before = world.sandbox.visma.requests
    await visma.get_customer("10001")
    assert visma.tokens.fetched == 3 and world.sandbox.visma.requests == before + 1


async def test_customer_tenant_gets_401_with_the_remedy(world: VismaWorld) -> None:
    world.sandbox.visma.customer_tenants.add("contract-tenant")
    world.sandbox.connect.clients["isv_duvi_test"][1].add("contract-tenant")
    client = world.client(tenant="contract-tenant")
    try:
        with pytest.raises(VismaError) as exc:
            await client.list_accounts()
    finally:
        await client.aclose()
    assert exc.value.status == 401
    assert "Company tenant id, not the Customer one" in exc.value.remedy
    assert client.tokens.fetched == 2  # refreshed once, then gave up


async def test_no_licence_is_fault_12027(visma, world: VismaWorld) -> None:
    company(world).licensed = False
    with pytest.raises(VismaError) as exc:
        await visma.list_accounts()
    assert exc.value.fault_code == "12027" and "no licence" in exc.value.remedy
    assert "No license for this company" in exc.value.message


@pytest.mark.parametrize(
    ("secret", "tenant", "code"),
    [("wrong-secret", None, "invalid_client"), (SECRET, "not-my-tenant", "invalid_tenant")],
)
async def test_token_refusals_say_what_to_fix(world: VismaWorld, secret, tenant, code) -> None:
    client = world.client(secret=secret, tenant=tenant)
    try:
        with pytest.raises(VismaError) as exc:
            await client.list_vat()
    finally:
        await client.aclose()
    assert exc.value.fault_code == code
    assert "Visma Connect refused" in exc.value.message and exc.value.remedy


@pytest.mark.parametrize(
    ("status", "body", "ctype", "message", "visma_id", "fault"),
    [
        (
            400,
            b'{"message":"VismaId: f948dfa5-1111-2222-3333-444455556666. Error creating '
            b"document. Error: TaxCategoryID '0' cannot be found in the system.\"}",
            "application/json",
            "TaxCategoryID '0' cannot be found",
            "f948dfa5-1111-2222-3333-444455556666",
            None,
        ),
        (
            500,
            b'{"ExceptionType":"IPPException","ExceptionMessage":"No license for this '
            b'company.","ExceptionFaultCode":"12027","ExceptionMessageID":"12027_x",'
            b'"ExceptionDetails":""}',
            "application/json",
            "No license",
            None,
            "12027",
        ),
        (502, b"Bad Gateway", "text/plain", "Bad Gateway", None, None),
        (503, b"", "text/plain", "503 Service Unavailable with no details", None, None),
        (
            504,
            b"<html><body>Gateway Timeout</body></html>",
            "text/html",
            "an HTML page",
            None,
            None,
        ),
        (
            400,
            b'{"message":"Payment can\'t be updated because it is already released."}',
            "application/json",
            "already released",
            None,
            None,
        ),
    ],
)
def test_every_error_shape_becomes_one_visma_error(status, body, ctype, message, visma_id, fault):
    request = httpx.Request("POST", "https://api.finance.visma.net/v1/customerpayment")
    err = error_from_response(
        httpx.Response(status, content=body, headers={"content-type": ctype}, request=request)
    )
    assert message in err.message and err.status == status
    assert err.visma_id == visma_id and err.fault_code == fault
    assert err.remedy and "VismaId:" not in err.message


async def test_429_retry_after_is_honoured(world: VismaWorld) -> None:
    """Another process used the budget up: this client's first request meets a 429."""
    world.sandbox.visma.set_rate_limit(3, 1.0)
    other, client = world.client(), world.client()
    try:
        for _ in range(3):
            await other.list_vat()
        assert len(await client.list_vat()) == 6  # waited for Retry-After, then succeeded
    finally:
        await other.aclose()
        await client.aclose()
    assert client.http.stats["status_429"] == 1
    assert world.sandbox.visma.limiter.rejected == 1


async def test_injected_429s_are_retried(visma, world: VismaWorld) -> None:
    await visma.tokens.token()
    world.sandbox.faults.rate_429 = 0.4
    world.sandbox.faults.reseed(5)
    for _ in range(10):
        await visma.create_customer(CustomerWrite(name="Rolig AS"))
    assert len(company(world).customers) == 10  # a 429 means "not done": resending is safe
    assert world.sandbox.faults.injected["429"] == visma.http.stats["status_429"] > 0


async def test_pacing_keeps_a_long_run_free_of_429(world: VismaWorld) -> None:
    world.sandbox.visma.set_rate_limit(20, 1.0)
    client = world.client()
    try:
        for _ in range(45):  # more than two windows' worth
            await client.get_account("1900")
    finally:
        await client.aclose()
    assert world.sandbox.visma.limiter.rejected <= 1  # the first window, before any header
    assert client.http.pacer.waited > 0


async def test_dropped_connection_after_a_post_is_outcome_unknown_not_resent(
    visma, world: VismaWorld
) -> None:
    await visma.tokens.token()  # fetch the token before the faults bite
    faults = world.sandbox.faults
    faults.drop_rate, faults.cut_phase = 1.0, "after"
    before = visma.http.stats["requests"]
    with pytest.raises(OutcomeUnknownError) as exc:
        await visma.create_customer(CustomerWrite(name="Kanskje AS"))
    assert "may have been carried out" in exc.value.message
    assert visma.http.stats["requests"] == before + 1  # not resent
    assert [c["name"] for c in company(world).customers.values()] == ["Kanskje AS"]  # it happened


async def test_dropped_connection_before_a_post_is_resent_safely(visma, world: VismaWorld) -> None:
    await visma.tokens.token()
    faults = world.sandbox.faults
    faults.drop_rate, faults.cut_phase = 0.5, "before"
    faults.reseed(3)
    for i in range(10):
        await visma.create_customer(CustomerWrite(name=f"Sikker {i}"))
    assert len(company(world).customers) == 10  # each exactly once
    assert faults.injected.get("drop-before", 0) > 0


async def test_gateway_error_on_a_post_is_outcome_unknown(visma, world: VismaWorld) -> None:
    await visma.tokens.token()
    world.sandbox.faults.error_rate = 1.0
    with pytest.raises(OutcomeUnknownError):
        await visma.create_customer(CustomerWrite(name="X"))


async def test_timeouts_and_5xx_on_reads_are_retried(visma, world: VismaWorld) -> None:
    faults = world.sandbox.faults
    faults.timeout_rate, faults.error_rate = 0.2, 0.2
    faults.reseed(11)
    for _ in range(20):
        assert len(await visma.list_accounts()) == 37  # the seeded chart (visma_seed)
    assert visma.http.stats["retries"] > 0


async def test_a_service_that_stays_down_is_a_transient_error(visma, world: VismaWorld) -> None:
    world.sandbox.faults.error_rate = 1.0
    with pytest.raises(TransientError) as exc:
        await visma.list_vat()
    assert "kept failing" in exc.value.message and "next run" in exc.value.remedy


async def test_a_malformed_body_is_a_clear_error(visma, world: VismaWorld) -> None:
    await visma.tokens.token()
    world.sandbox.faults.malformed_rate = 1.0
    sent = visma.http.stats["requests"]
    with pytest.raises(MalformedResponseError) as exc:
        await visma.list_accounts()
    assert "cannot read" in exc.value.message and "GET /visma/v1/account" in exc.value.message
    assert visma.http.stats["requests"] - sent == FAST_RETRY.max_attempts  # cut bodies: retried


async def test_a_body_cut_short_once_is_read_again(visma, world: VismaWorld) -> None:
    await visma.tokens.token()
    world.sandbox.faults.malformed_rate = 0.5
    world.sandbox.faults.reseed(3)
    for _ in range(5):
        assert len(await visma.list_accounts()) > 10
    assert world.sandbox.faults.injected["malformed"] >= 2


async def test_every_call_is_logged_with_secrets_redacted(world: VismaWorld, tmp_path: Path):
    store = Store(tmp_path / "duvi.db")
    log = HttpLog(store)
    client = world.client(http_log=log)
    try:
        number = await client.create_customer(CustomerWrite(name="Logget AS"))
        await client.get_customer(number)
        with pytest.raises(VismaError):
            await client.get_customer("nope")
    finally:
        await client.aclose()
    log.close()
    rows = store.query("SELECT * FROM http_calls ORDER BY id")
    assert [(r["system"], r["method"], r["status"]) for r in rows] == [
        ("connect", "POST", 200),
        ("visma", "POST", 201),
        ("visma", "GET", 200),
        ("visma", "GET", 404),
    ]
    assert "client_secret=%2A%2A%2A" in rows[0]["request"] or "***" in rows[0]["request"]
    assert rows[3]["visma_id"]  # the VismaId of the error is kept for support
    assert all(r["duration_ms"] is not None for r in rows)
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("duvi.db*"))
    token = client.tokens.held.value
    assert SECRET.encode() not in raw and token is not None and token.encode() not in raw


def test_amounts_are_exact_on_the_wire() -> None:
    from core.visma import wire

    amounts = [Decimal("0.01"), Decimal("1234567.89"), Decimal("-99999.99"), Decimal("0.10")]
    sent = wire.dumps({"a": amounts})
    assert wire.loads(sent)["a"] == amounts
