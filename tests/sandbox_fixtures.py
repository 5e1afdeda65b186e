"""Fixtures: a sandbox with one company, and a Visma client on it through the spec oracle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from core.config import load_settings
from core.http import RetryPolicy
from core.sandbox.app import Sandbox, SandboxCompany
from core.visma.auth import VismaCredentials
from core.visma.client import VismaClient, open_visma
from tests.visma_oracle import SpecCheckingTransport

FAST_RETRY = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.01, max_total=30)
SECRET = "sandbox-secret-7f3a9c"


@dataclass
class VismaWorld:
    sandbox: Sandbox
    company: SandboxCompany
    oracle: SpecCheckingTransport

    def client(
        self,
        *,
        tenant: str | None = None,
        secret: str = SECRET,
        page_size: int = 1000,
        http_log=None,
        retry: RetryPolicy = FAST_RETRY,
        oracle: bool = True,
        **settings,
    ) -> VismaClient:
        """`oracle=False`: straight to the sandbox, for requests the spec oracle would refuse
        before the sandbox could answer them."""
        creds = VismaCredentials(
            self.company.client_id, SecretStr(secret), tenant or self.company.tenant_id
        )
        return open_visma(
            creds,
            visma_url=self.sandbox.visma_url,
            connect_url=self.sandbox.connect_url,
            settings=load_settings(**settings),
            transport=self.oracle if oracle else self.sandbox.transport(),
            http_log=http_log,
            page_size=page_size,
            retry=retry,
        )


@pytest.fixture
def world() -> VismaWorld:
    sb = Sandbox()
    co = sb.add_company(
        "c0ffee00-0000-4000-8000-000000000001",
        "Sandbox Handel AS",
        departments=["1", "2", "3"],
        client_id="isv_duvi_test",
        client_secret=SECRET,
    )
    return VismaWorld(sb, co, SpecCheckingTransport(sb.transport()))


@pytest.fixture
async def visma(world: VismaWorld) -> AsyncIterator[VismaClient]:
    client = world.client()
    yield client
    await client.aclose()


@dataclass
class DuellWorld:
    sandbox: Sandbox
    world: Any
    creds: list[Any]

    def client(self, *, token: str | None = None, http_log=None):
        from core.duell.client import open_duell
        from core.sandbox.world import DUELL_CLIENT_NUMBER

        state = self.sandbox.duell.state
        return open_duell(
            DUELL_CLIENT_NUMBER,
            SecretStr(token or state.client_token),
            base_url=self.sandbox.duell_url,
            settings=load_settings(),
            transport=self.sandbox.transport(),
            http_log=http_log,
            retry=FAST_RETRY,
        )


@pytest.fixture(scope="session")
def seeded_world() -> Any:
    from core.sandbox.world import generate

    return generate(7)


@pytest.fixture
def duell_world(seeded_world) -> DuellWorld:
    import copy

    from core.sandbox.world import build_sandbox

    world = copy.deepcopy(seeded_world)
    sb, creds = build_sandbox(7, world=world)
    return DuellWorld(sb, world, creds)


@dataclass
class Installation:
    """A duvi installation in sandbox mode on its own in-process sandbox."""

    rt: Any
    sandbox: Sandbox
    connections: Any  # core.connections.Connections on `sandbox`

    @property
    def company(self):
        from core.sandbox.world import COMPANY_TENANT

        return self.sandbox.visma.companies[COMPANY_TENANT]


@pytest.fixture
async def installation(duell_world, home):
    from core.boot import connections, ensure_sandbox_setup
    from core.departments import Departments
    from core.runtime import Runtime
    from core.sandbox.world import sandbox_credentials

    rt = Runtime.open(load_settings())
    ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(7))
    conns = connections(rt, sandbox=duell_world.sandbox)
    yield Installation(rt, duell_world.sandbox, conns)
    conns.close()
    rt.close()
