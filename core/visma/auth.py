"""Visma Connect client-credentials tokens: fetched once, cached until shortly before they
expire, shared by concurrent requests, dropped and fetched again when the API says 401."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pydantic import SecretStr

from core.http import HttpService, json_body
from core.redact import redactor
from core.visma.errors import MalformedResponseError, VismaError, error_from_response

SCOPES = (
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:update",
    "vismanet_erp_service_api:delete",
)


@dataclass(frozen=True)
class VismaCredentials:
    client_id: str
    client_secret: SecretStr
    tenant_id: str  # the *Company* tenant id
    scopes: tuple[str, ...] = SCOPES


class TokenProvider:
    def __init__(self, connect: HttpService, creds: VismaCredentials, *, skew: float = 60) -> None:
        self.connect = connect
        self.creds = creds
        self.skew = skew
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetched = 0  # how many tokens this provider obtained (tests and doctor read it)
        redactor.add(creds.client_secret.get_secret_value())

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                await self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` (the API refused it); a newer one fetched meanwhile is kept."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.creds.client_id,
            "client_secret": self.creds.client_secret.get_secret_value(),
            "scope": " ".join(self.creds.scopes),
            "tenant_id": self.creds.tenant_id,
        }
        # Asking for a token twice is harmless, so it may be retried like a GET.
        resp = await self.connect.request("POST", "/connect/token", form=form, repeatable=True)
        if resp.status_code >= 400:
            err = error_from_response(resp)
            raise VismaError(
                f"Visma Connect refused the token request: {err.message.split(': ', 1)[-1]}",
                err.remedy,
                status=resp.status_code,
                fault_code=err.fault_code,
            )
        try:
            data = json_body(resp)
            token = data["access_token"]
            lifetime = float(data.get("expires_in", 3600))
            if not isinstance(token, str) or not token:
                raise ValueError("empty access_token")
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponseError(
                f"Visma Connect sent a token response duvi cannot read ({exc})",
                "check connect_base_url: it must point at Visma Connect",
                status=resp.status_code,
            ) from None
        redactor.add_token(token)
        self._token = token
        self._expires_at = time.monotonic() + max(lifetime - self.skew, lifetime / 2)
        self.fetched += 1
