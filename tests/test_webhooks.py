"""Visma's webhooks, and delta polling as the safety net for records whose flag is off."""

from __future__ import annotations

import json

import httpx
from pydantic import SecretStr

from core.departments import Departments
from core.models import Master
from core.service import process_webhooks, sync_master_data
from core.store import Store
from core.sync.webhooks import SECRET_HEADER, receiver_app, unannounced_finding
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


async def test_the_receiver_checks_secret_tenant_size_and_drops_duplicates(tmp_path) -> None:
    store = Store(tmp_path / "duvi.db")
    app = receiver_app(store, [TENANT], SecretStr("s3cret-hook"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://duvi"
    ) as c:
        good = {SECRET_HEADER: "s3cret-hook"}
        assert (await c.post("/webhooks/visma", json=note())).status_code == 401
        assert (
            await c.post("/webhooks/visma", json=note(), headers={SECRET_HEADER: "nope"})
        ).status_code == 401
        assert (
            await c.post("/webhooks/visma", json=note(tenant="other"), headers=good)
        ).status_code == 403
        big = {**note(), "padding": "x" * 20_000}
        assert (await c.post("/webhooks/visma", json=big, headers=good)).status_code == 413
        assert (await c.post("/webhooks/visma", content=b"<html>", headers=good)).status_code == 400
        first = await c.post("/webhooks/visma", json=note(), headers=good)
        again = await c.post("/webhooks/visma", json=note(), headers=good)
        assert first.status_code == again.status_code == 202
        assert first.json() == {"accepted": True, "duplicate": False}
        assert again.json() == {"accepted": False, "duplicate": True}
    assert store.db["webhook_inbox"].count == 1
    store.close()


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


def wire_webhooks(inst: Installation) -> None:
    hooks = inst.sandbox.visma.webhooks
    hooks.url = "http://duvi/webhooks/visma"
    hooks.transport = httpx.ASGITransport(app=receiver_app(inst.rt.store, [TENANT]))


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
    assert finding.startswith("1 items changed in Visma without a webhook notification")
    assert (
        "ask your Visma partner to turn it on for all items and as default for new ones" in finding
    )
    assert silent in finding and loud not in finding
    assert json.dumps(finding)
