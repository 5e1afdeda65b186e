"""The sandbox as one ASGI app: Visma.net under /visma, Visma Connect under /connect (DUELL
joins under /duell), wrapped in the fault injector. In-process through httpx.ASGITransport
for `uv run duvi` and the tests; on loopback with uvicorn for `duvi sandbox serve`."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.sandbox.common import Clock
from core.sandbox.connect import ConnectSandbox
from core.sandbox.duell_api import DuellSandbox, DuellState
from core.sandbox.faults import FaultMiddleware, Faults
from core.sandbox.visma_api import VismaSandbox
from core.sandbox.visma_seed import seed_company
from core.sandbox.visma_state import Company

IN_PROCESS_BASE = "http://sandbox"


@dataclass(frozen=True)
class SandboxCompany:
    tenant_id: str
    client_id: str
    client_secret: str
    company: Company


class Sandbox:
    def __init__(
        self,
        *,
        faults: Faults | None = None,
        rate_limit: int = 15000,
        rate_window: float = 3600,
        duell: DuellSandbox | None = None,
    ) -> None:
        self.clock = Clock()
        self.faults = faults or Faults()
        self.connect = ConnectSandbox()
        self.visma = VismaSandbox(
            self.connect, rate_limit=rate_limit, window=rate_window, faults=self.faults
        )
        self.duell = duell or DuellSandbox(DuellState("0", "-"))
        inner = Starlette(
            routes=[
                Mount("/visma", routes=self.visma.routes()),
                Mount("/connect", routes=self.connect.routes()),
                Mount("/duell", routes=self.duell.routes()),
            ]
        )
        self.date_skew = 0.0  # seconds the sandbox's Date header is off (doctor's clock check)
        self.revoke_every = 0  # every Nth request first revokes all tokens (0: never)
        self.revoked = 0
        self._seen = 0
        self.app = FaultMiddleware(self._dated(self._revoking(inner)), self.faults)

    def _revoking(self, app: ASGIApp) -> ASGIApp:
        """Tokens that die in the middle of a run: Visma Connect's and DUELL's, all at once."""

        async def revoking(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and self.revoke_every:
                self._seen += 1
                if self._seen % self.revoke_every == 0:
                    self.connect.revoke_all()
                    self.duell.revoke_tokens()
                    self.revoked += 1
            await app(scope, receive, send)

        return revoking

    def _dated(self, app: ASGIApp) -> ASGIApp:
        """Every response carries a Date header, as the real services' do."""

        async def dated(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_dated(message: Message) -> None:
                if message["type"] == "http.response.start":
                    stamp = email.utils.formatdate(time.time() + self.date_skew, usegmt=True)
                    message = {
                        **message,
                        "headers": [*message.get("headers", []), (b"date", stamp.encode())],
                    }
                await send(message)

            await app(scope, receive, send_dated)

        return dated

    def add_company(
        self,
        tenant_id: str,
        name: str,
        *,
        departments: list[str],
        client_id: str,
        client_secret: str,
    ) -> SandboxCompany:
        company = seed_company(tenant_id, name, self.clock, departments)
        self.visma.companies[tenant_id] = company
        known = self.connect.clients.get(client_id, (client_secret, set()))[1]
        self.connect.register(client_id, client_secret, known | {tenant_id})
        return SandboxCompany(tenant_id, client_id, client_secret, company)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    @property
    def visma_url(self) -> str:
        return f"{IN_PROCESS_BASE}/visma"

    @property
    def connect_url(self) -> str:
        return f"{IN_PROCESS_BASE}/connect"

    @property
    def duell_url(self) -> str:
        return f"{IN_PROCESS_BASE}/duell/v1"
