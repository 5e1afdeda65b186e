"""The served sandbox forgets expired tokens without copying the live ones on every token it
issues (core/sandbox/common.py's forget_expired): at 1,000 departments the copy made each
sign-in cost more the more departments had signed in (README: A runner round at scale)."""

from __future__ import annotations

import time

import httpx
from starlette.applications import Starlette

from core.sandbox.connect import ConnectSandbox, Grant
from core.sandbox.duell_api import DuellSandbox, DuellState


async def post(routes: list, path: str, data: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        return await client.post(path, data=data)


async def test_connect_drops_the_expired_grants_and_keeps_the_live_ones_in_place() -> None:
    connect = ConnectSandbox()
    connect.register("client", "secret", {"tenant"})
    now = time.monotonic()
    held = connect.tokens
    held.update(
        {
            "gone-1": Grant("client", "tenant", now - 20),
            "gone-2": Grant("client", "tenant", now - 10),
            "live": Grant("client", "tenant", now + 600),
        }
    )
    answer = await post(
        connect.routes(),
        "/connect/token",
        {
            "grant_type": "client_credentials",
            "client_id": "client",
            "client_secret": "secret",
            "scope": "vismanet_erp_service_api:read",
            "tenant_id": "tenant",
        },
    )
    assert answer.status_code == 200, answer.text
    assert connect.tokens is held  # not a copy of every grant per token issued
    assert list(held) == ["live", answer.json()["access_token"]]
    assert connect.grant("live") is not None


async def test_duell_drops_the_expired_tokens_and_their_clients() -> None:
    state = DuellState("1001", "token-1001", accounts={"2002": "token-2002"})
    duell = DuellSandbox(state)
    now = time.time()
    tokens, clients = state.tokens, state.token_clients
    tokens.update({"gone": now - 10, "live": now + 600})
    clients.update({"gone": "2002", "live": "2002"})
    answer = await post(
        duell.routes(),
        "/v1/getaccesstokens",
        {"client_number": "2002", "client_token": "token-2002"},
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    assert state.tokens is tokens and state.token_clients is clients
    assert list(tokens) == ["live", token]
    assert clients == {"live": "2002", token: "2002"}
