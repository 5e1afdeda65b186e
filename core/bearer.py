"""Bearer tokens as an httpx auth flow, shared by the Visma and DUELL clients: the token goes on
every request; a request the service refuses as unauthorised (expired, revoked) gets one fresh
token and is sent once more. The token itself is held apart from the client (HeldToken), so a
long-lived process (the runner) logs in again only when it is about to expire."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass

import httpx


@dataclass
class HeldToken:
    """A token and the moment (monotonic clock) to stop using it."""

    value: str | None = None
    expires_at: float = 0.0

    def current(self) -> str | None:
        return self.value if self.value and time.monotonic() < self.expires_at else None

    def keep(self, value: str, seconds: float) -> None:
        self.value, self.expires_at = value, time.monotonic() + seconds

    def forget(self, value: str) -> None:
        """Forget `value` (the service refused it); a newer one fetched meanwhile is kept."""
        if self.value == value:
            self.value = None


class BearerAuth(httpx.Auth):
    """`fetch()` obtains a token and how many seconds to use it; `refused()` says whether a
    response means the token is no good. Async clients only."""

    requires_response_body = True  # DUELL's refusal is told apart from its firewall by the body

    def __init__(self, held: HeldToken | None = None) -> None:
        self.held = held or HeldToken()
        self._lock = asyncio.Lock()  # concurrent requests share one fetch

    async def fetch(self) -> tuple[str, float]:
        raise NotImplementedError

    def refused(self, response: httpx.Response) -> bool:
        return response.status_code == 401

    async def token(self) -> str:
        async with self._lock:
            token = self.held.current()
            if token is None:
                token, seconds = await self.fetch()
                self.held.keep(token, seconds)
            return token

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("duvi's clients are async")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        await response.aread()
        if self.refused(response):
            # Refused before it was carried out, so sending it again is safe, even a POST.
            self.held.forget(token)
            request.headers["Authorization"] = f"Bearer {await self.token()}"
            yield request
