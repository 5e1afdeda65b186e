"""Visma's webhooks, and delta polling as the safety net for records whose flag is off."""

from __future__ import annotations

import json

import httpx
from pydantic import SecretStr

from core.departments import Departments
from core.models import Master
from core.service import process_webhooks, sync_master_data
from core.store import Store
from core.sync.webhooks import (
    ReceiverAuth,
    receiver_app,
    resource_path,
    unannounced_finding,
)
from core.visma.models import CustomerWrite, InventoryWrite
from tests.sandbox_fixtures import Installation

TENANT = "5c7e1a2b-0d4f-4b8e-9a61-3f2d8c9e0a11"


def note(context: str = "n-1", tenant: str = TENANT, uri: str = "/v1/customer/20001") -> dict:
    return {
        "contextId": context,
        "TenantId": tenant,
        "eventId": "customer_changed",
        "action": "Updated",
        "resourceUri": uri,
    }


SIGNING_KEY = "portal-generated-key-7f3a9c"


def signed(body: dict | bytes, key: str = SIGNING_KEY) -> tuple[bytes, dict[str, str]]:
    """A body and its headers as the portal's dispatcher sends them: base64(HMAC-SHA256)."""
    import base64
    import hashlib
    import hmac

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sig = base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()
    return raw, {"Content-Type": "application/json", "X-Signature": sig}


async def test_the_receiver_checks_signature_tenant_size_and_drops_duplicates(tmp_path) -> None:
    store = Store(tmp_path / "duvi.db")
    app = receiver_app(store, [TENANT], ReceiverAuth(signature_key=SecretStr(SIGNING_KEY)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://duvi"
    ) as c:
        raw, good = signed(note())
        assert (await c.post("/webhooks/visma", json=note())).status_code == 401
        _, other_key = signed(note(), "not-the-portal-key")
        assert (await c.post("/webhooks/visma", content=raw, headers=other_key)).status_code == 401
        tampered = raw.replace(b"20001", b"20002")
        assert (await c.post("/webhooks/visma", content=tampered, headers=good)).status_code == 401
        assert (
            await c.post("/webhooks/visma", **_kw(signed(note(tenant="other"))))
        ).status_code == 403
        big = {**note(), "padding": "x" * 20_000}
        assert (await c.post("/webhooks/visma", **_kw(signed(big)))).status_code == 413
        assert (await c.post("/webhooks/visma", **_kw(signed(b"<html>")))).status_code == 400
        first = await c.post("/webhooks/visma", content=raw, headers=good)
        prefixed = {**good, "X-Signature": "sha256=" + good["X-Signature"]}
        again = await c.post("/webhooks/visma", content=raw, headers=prefixed)
        assert first.status_code == again.status_code == 202
        assert first.json() == {"accepted": True, "duplicate": False}
        assert again.json() == {"accepted": False, "duplicate": True}
    assert store.db["webhook_inbox"].count == 1
    store.close()


def _kw(pair: tuple[bytes, dict[str, str]]) -> dict:
    return {"content": pair[0], "headers": pair[1]}


async def test_a_secret_path_segment_is_the_only_door(tmp_path) -> None:
    store = Store(tmp_path / "duvi.db")
    app = receiver_app(store, [TENANT], ReceiverAuth(path_secret=SecretStr("p4th-s3cret-91")))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://duvi"
    ) as c:
        assert (await c.post("/webhooks/visma", json=note())).status_code == 404
        assert (await c.post("/webhooks/visma/p4th-s3cret-9", json=note())).status_code == 404
        assert (await c.post("/webhooks/visma/p4th-s3cret-91", json=note())).status_code == 202
    store.close()


async def test_the_old_webhook_secret_becomes_the_secret_path_with_a_message(
    installation: Installation, monkeypatch
) -> None:
    from core.config import load_settings
    from core.doctor import Status, webhook_receiver_check

    monkeypatch.setenv("DUVI_WEBHOOK_SECRET", "old-h3ader-secret")
    settings = load_settings()
    assert settings.path_secret is not None
    assert settings.path_secret.get_secret_value() == "old-h3ader-secret"
    [said] = settings.deprecations()
    assert said.startswith("webhook_secret is no longer a header")
    assert "webhook_path_secret" in said and "old-h3ader-secret" not in said
    installation.rt.settings = settings
    from core.redact import redactor

    auth = ReceiverAuth.of(settings)
    assert redactor.text("GET /webhooks/visma/old-h3ader-secret") == "GET /webhooks/visma/***"
    check = webhook_receiver_check(installation.rt)
    assert check.status == Status.WARN and check.found == said
    app = receiver_app(installation.rt.store, [TENANT], auth)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://duvi"
    ) as c:
        assert (
            await c.post("/webhooks/visma", json=note(), headers={"X-Duvi-Webhook-Secret": "x"})
        ).status_code == 404
        assert (await c.post("/webhooks/visma/old-h3ader-secret", json=note())).status_code == 202


async def test_an_unknown_or_partial_envelope_is_kept_raw_and_answered_2xx(
    installation: Installation,
) -> None:
    from core.doctor import Status, webhook_receiver_check

    store = installation.rt.store
    app = receiver_app(store, [TENANT])
    portal = {  # a guess at a newer envelope: nothing duvi can act on
        "eventType": "Customer Changed",
        "tenantId": TENANT,
        "data": {"customerNumber": "20001"},
        "client_secret": "must-not-be-stored-1",
    }
    partial = {"contextId": "n-7", "TenantId": TENANT, "eventId": "customer_changed"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://duvi"
    ) as c:
        first = await c.post("/webhooks/visma", json=portal)
        assert first.status_code == 202
        assert first.json() == {"accepted": True, "duplicate": False, "recognised": False}
        assert (await c.post("/webhooks/visma", json=portal)).json()["duplicate"] is True
        assert (await c.post("/webhooks/visma", json=partial)).status_code == 202
        no_tenant = {k: v for k, v in note("n-8").items() if k != "TenantId"}
        assert (await c.post("/webhooks/visma", json=no_tenant)).status_code == 202
    rows = store.query("SELECT context_id, state, error FROM webhook_inbox ORDER BY context_id")
    assert [r["state"] for r in rows] == ["unrecognised"] * 3
    assert [r["context_id"] for r in rows][:2] == ["n-7", "n-8"]
    kept = json.loads(rows[2]["error"])
    assert kept["data"] == {"customerNumber": "20001"} and kept["client_secret"] == "***"
    assert not store.query("SELECT 1 FROM webhook_inbox WHERE state = 'pending'")
    check = webhook_receiver_check(installation.rt)
    assert check.status == Status.WARN
    assert check.found.startswith("3 webhook bodies were not notifications duvi can read")
    assert "must-not-be-stored-1" not in check.found
    from typer.testing import CliRunner

    from core.cli import app as cli_app

    out = CliRunner().invoke(cli_app, ["doctor", "webhooks", "-d", "1"])
    assert out.exit_code == 1
    assert "warn: 3 webhook bodies were not notifications duvi can read" in out.output


def test_a_resource_uri_is_compared_as_its_bare_path() -> None:
    assert resource_path("/v1/customer/20001") == "/v1/customer/20001"
    assert resource_path("https://api.finance.visma.net/v1/customer/20001") == (
        "/v1/customer/20001"
    )
    assert resource_path(
        "https://integration.visma.net/API/controller/api/v1/inventory/A%2F1/"
    ) == ("/v1/inventory/A/1")
    assert resource_path("https://api.finance.visma.net/API/controller/api/v1/inventory/7") == (
        "/v1/inventory/7"
    )


def visma_master(inst: Installation) -> None:
    depts = Departments(inst.rt.store, inst.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings(
        "1",
        dept.settings.model_copy(
            update={"customer_master": Master.VISMA, "product_master": Master.VISMA}
        ),
    )


def wire_webhooks(inst: Installation, *, signed_by: str | None = None) -> None:
    """The sandbox's dispatcher posts to a receiver on this store (signing with `signed_by`,
    the receiver checking it)."""
    hooks = inst.sandbox.visma.webhooks
    hooks.url = "http://duvi/webhooks/visma"
    hooks.signature_key = signed_by
    auth = ReceiverAuth(signature_key=SecretStr(signed_by)) if signed_by else None
    hooks.transport = httpx.ASGITransport(app=receiver_app(inst.rt.store, [TENANT], auth))


async def test_a_customer_change_in_visma_reaches_duell_through_the_webhook(
    installation: Installation,
) -> None:
    visma_master(installation)
    await sync_master_data(
        installation.rt, "1", "customers", first_time=True, connections=installation.connections
    )
    wire_webhooks(installation)
    number = next(
        n
        for n in installation.company.customers
        if ("customer", n) not in installation.company.webhook_off
    )
    visma = installation.connections.visma("1")
    try:
        await visma.update_customer(number, CustomerWrite(name="Endret i Visma AS"))
    finally:
        await visma.aclose()
    await installation.sandbox.visma.webhooks.drain()
    done = await process_webhooks(installation.rt, "1", connections=installation.connections)
    assert done == {"applied": 1, "ignored": 0, "failed": 0}
    link = installation.rt.store.query(
        "SELECT duell_id FROM entity_links WHERE entity = 'customer' AND visma_id = ?", [number]
    )
    duell = installation.sandbox.duell.state.customers[int(link[0]["duell_id"])]
    assert duell["customer_name"] == "Endret i Visma AS"
    feedback = installation.company.feedback
    assert len(feedback) == 1 and feedback[0]["isSuccess"] is True
    assert installation.rt.store.query("SELECT state FROM webhook_inbox") == [{"state": "applied"}]
    assert await process_webhooks(installation.rt, "1", connections=installation.connections) == {
        "applied": 0,
        "ignored": 0,
        "failed": 0,
    }  # a duplicate or a rerun changes nothing


async def test_an_item_change_with_the_flag_off_is_found_by_polling_and_named(
    installation: Installation,
) -> None:
    visma_master(installation)
    await sync_master_data(
        installation.rt, "1", "products", first_time=True, connections=installation.connections
    )
    await sync_master_data(installation.rt, "1", "products", connections=installation.connections)
    wire_webhooks(installation)
    from collections import Counter

    # Items whose number one DUELL product carries (a shared number is a conflict instead).
    counts = Counter(
        p["product_number"] for p in installation.sandbox.duell.state.products.values()
    )
    silent = next(
        n for k, n in sorted(installation.company.webhook_off) if k == "item" and counts[n] == 1
    )
    loud = next(
        n
        for n, i in installation.company.items.items()
        if ("item", n) not in installation.company.webhook_off
        and "description" in i
        and counts[n] == 1
    )
    visma = installation.connections.visma("1")
    try:
        await visma.update_item(silent, InventoryWrite(description="Stille endring"))
        await visma.update_item(loud, InventoryWrite(description="Varslet endring"))
    finally:
        await visma.aclose()
    await installation.sandbox.visma.webhooks.drain()
    assert [n["resourceUri"] for n in installation.sandbox.visma.webhooks.delivered] == [
        f"/v1/inventory/{loud}"
    ]
    await process_webhooks(installation.rt, "1", connections=installation.connections)
    report = await sync_master_data(
        installation.rt, "1", "products", connections=installation.connections
    )
    assert report.updated == 1  # polling caught the silent one; the loud one was applied
    names = {
        p["product_number"]: p["product_name"]
        for p in installation.sandbox.duell.state.products.values()
    }
    assert names[silent] == "Stille endring" and names[loud] == "Varslet endring"
    finding = unannounced_finding(installation.rt.store, "1")
    assert finding is not None
    assert finding.startswith("1 item changed in Visma without a webhook notification")
    assert (
        "ask your Visma partner to turn it on for all items and as default for new ones" in finding
    )
    assert silent in finding and loud not in finding
    assert json.dumps(finding)


async def test_an_absolute_signed_resource_uri_is_applied_and_counts_as_announced(
    installation: Installation,
) -> None:
    """The dispatcher signs with the portal's key and names the resource by its full legacy
    URL: the change is applied, and polling does not call it unannounced."""
    visma_master(installation)
    await sync_master_data(
        installation.rt, "1", "products", first_time=True, connections=installation.connections
    )
    await sync_master_data(installation.rt, "1", "products", connections=installation.connections)
    wire_webhooks(installation, signed_by=SIGNING_KEY)
    hooks = installation.sandbox.visma.webhooks
    hooks.resource_base = "https://integration.visma.net/API/controller/api"
    from collections import Counter

    counts = Counter(
        p["product_number"] for p in installation.sandbox.duell.state.products.values()
    )
    loud = next(
        n
        for n, i in sorted(installation.company.items.items())
        if ("item", n) not in installation.company.webhook_off
        and "description" in i
        and counts[n] == 1
    )
    visma = installation.connections.visma("1")
    try:
        await visma.update_item(loud, InventoryWrite(description="Varslet med full adresse"))
    finally:
        await visma.aclose()
    await hooks.drain()
    assert hooks.failed == []
    assert [n["resourceUri"] for n in hooks.delivered] == [
        f"https://integration.visma.net/API/controller/api/v1/inventory/{loud}"
    ]
    done = await process_webhooks(installation.rt, "1", connections=installation.connections)
    assert done == {"applied": 1, "ignored": 0, "failed": 0}
    await sync_master_data(installation.rt, "1", "products", connections=installation.connections)
    assert not installation.rt.store.query(
        "SELECT 1 FROM unannounced WHERE entity = 'product' AND visma_id = ?", [loud]
    )
