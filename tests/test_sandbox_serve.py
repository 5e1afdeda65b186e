"""The sandbox over real TCP: the same client, the same wire, faults that really cut."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from core.config import load_settings
from core.http import OutcomeUnknownError
from core.sandbox.world import COMPANY_TENANT
from core.visma.auth import VismaCredentials
from core.visma.client import open_visma
from core.visma.models import CustomerWrite
from tests.sandbox_fixtures import FAST_RETRY
from tests.served import served_sandbox

CREDS = VismaCredentials("isv_duvi_sandbox_dept1", SecretStr("sandbox-secret-0-1"), COMPANY_TENANT)


def client(base: str):
    return open_visma(
        CREDS,
        visma_url=f"{base}/visma",
        connect_url=f"{base}/connect",
        settings=load_settings(),
        retry=FAST_RETRY,
    )


async def test_client_over_tcp() -> None:
    with served_sandbox() as base:
        visma = client(base)
        try:
            number = await visma.create_customer(CustomerWrite(name="Over TCP AS"))
            assert (await visma.get_customer(number)).name == "Over TCP AS"
            assert len(await visma.list_accounts()) == 37  # the seeded chart (visma_seed)
        finally:
            await visma.aclose()


async def test_a_cut_connection_over_tcp_after_a_post_is_outcome_unknown() -> None:
    with served_sandbox(
        "--drop-rate", "1", "--cut-phase", "after", "--fault-paths", "/visma"
    ) as base:
        visma = client(base)
        try:
            with pytest.raises(OutcomeUnknownError):
                await visma.create_customer(CustomerWrite(name="Kanskje"))
        finally:
            await visma.aclose()


async def test_duells_firewall_and_bad_rows_as_knobs_over_tcp() -> None:
    """`--duell-waf captcha`: AWS WAF's empty 405 with its header to a JSON client (the page
    only for a browser); `--duell-bad-rows`: rows no client can read among the good ones."""
    import httpx

    with served_sandbox("--duell-waf", "captcha") as base:
        async with httpx.AsyncClient(base_url=f"{base}/duell/v1") as raw:
            json_client = await raw.get("/department/list", headers={"Accept": "application/json"})
            browser = await raw.get("/department/list", headers={"Accept": "text/html"})
    assert json_client.status_code == 405 and not json_client.content
    assert json_client.headers["x-amzn-waf-action"] == "captcha"
    assert browser.status_code == 405 and browser.text.startswith("<!DOCTYPE html>")

    with served_sandbox("--duell-bad-rows", "--products", "120", "--customers", "10") as base:
        async with httpx.AsyncClient(base_url=f"{base}/duell/v1") as raw:
            login = await raw.post(
                "/getaccesstokens",
                data={"client_number": "100234", "client_token": "duell-api-token-0-sandbox"},
            )
            page = await raw.get(
                "/product/list",
                params={"length": 100},
                headers={"Authorization": f"Bearer {login.json()['token']}"},
            )
    ids = [p["product_id"] for p in page.json()["products"]]
    assert {"990001", "990002"} <= set(ids)  # rows 8 and 58; the third is row 108 of 123
    assert page.json()["total_count"] == 123
