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
            assert len(await visma.list_accounts()) == 28
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
