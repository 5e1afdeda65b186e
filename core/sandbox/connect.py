"""The simulated Visma Connect token endpoint (client credentials, form-encoded)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.sandbox.common import forget_expired, json_response

SERVICE_SCOPES = {
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:update",
    "vismanet_erp_service_api:delete",
}
# What a registered application is granted unless told otherwise: an integration that deletes
# nothing, as duvi's is set up (inferred). Connect answers a request for a scope the application
# lacks with invalid_scope (OAuth 2.0, RFC 6749 5.2; findings/2026-12-visma.md A3).
APP_SCOPES = frozenset(SERVICE_SCOPES - {"vismanet_erp_service_api:delete"})


@dataclass
class Grant:
    client_id: str
    tenant_id: str
    expires_at: float


@dataclass
class ConnectSandbox:
    token_lifetime: int = 3600
    clients: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # id -> secret, tenants
    granted: dict[str, frozenset[str]] = field(default_factory=dict)  # id -> its scopes
    tokens: dict[str, Grant] = field(default_factory=dict)
    issued: int = 0  # tokens handed out (tests count a run's token requests)

    def register(
        self,
        client_id: str,
        secret: str,
        tenants: set[str],
        scopes: frozenset[str] | None = None,
    ) -> None:
        self.clients[client_id] = (secret, set(tenants))
        if scopes is not None or client_id not in self.granted:
            self.granted[client_id] = APP_SCOPES if scopes is None else frozenset(scopes)

    def revoke_all(self) -> None:
        self.tokens.clear()

    def grant(self, token: str) -> Grant | None:
        g = self.tokens.get(token)
        if g is None or time.monotonic() >= g.expires_at:
            return None
        return g

    def routes(self) -> list[Route]:
        return [Route("/connect/token", self.token, methods=["POST"])]

    async def token(self, request: Request) -> Response:
        # Connect takes application/x-www-form-urlencoded; no multipart parser needed.
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "only client_credentials is supported")
        client_id = str(form.get("client_id", ""))
        reg = self.clients.get(client_id)
        if reg is None or not secrets.compare_digest(reg[0], str(form.get("client_secret", ""))):
            return _oauth_error("invalid_client", "invalid client credentials", 400)
        scopes = set(str(form.get("scope", "")).split())
        allowed = self.granted.get(client_id, APP_SCOPES)
        if not scopes or not scopes <= allowed:
            return _oauth_error("invalid_scope", f"scope not allowed: {sorted(scopes - allowed)}")
        tenant = str(form.get("tenant_id", ""))
        if tenant not in reg[1]:
            return _oauth_error("invalid_tenant", "the client has no access to this tenant")
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        # A served sandbox runs for days: forget the grants that have expired.
        forget_expired(self.tokens, now, lambda g: g.expires_at)
        self.tokens[token] = Grant(client_id, tenant, now + self.token_lifetime)
        self.issued += 1
        return json_response(
            {
                "access_token": token,
                "expires_in": self.token_lifetime,
                "token_type": "Bearer",
                "scope": " ".join(sorted(scopes)),
            }
        )


def _oauth_error(code: str, description: str, status: int = 400) -> Response:
    return json_response({"error": code, "error_description": description}, status)
