"""Visma Connect client-credentials tokens: fetched once, kept until shortly before they
expire, shared by concurrent requests, dropped and fetched again when the API says 401
(an httpx auth flow, core/bearer.py).

docs/visma-net-api.md §2: POST https://connect.visma.com/connect/token, form-encoded
client_credentials with client_id, client_secret, scope and tenant_id [S1 authentication,
service-integrations]; the tenant is the *Company* tenant (a Customer tenant id gets a token,
then 401 [S1 fix401error]); honour expires_in (the lifetime is set per app: inferred)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import SecretStr

from core.bearer import BearerAuth, HeldToken
from core.http import CallContext, HttpService, json_body
from core.redact import redactor
from core.visma.errors import MalformedResponseError, VismaError, error_from_response

# Service API scopes are vismanet_erp_service_api:read|create|update|delete (Pionect
# VismaConnector, docs.vismasoftware.no authentication; findings S1, S10, A3). Connect refuses a
# token to an application asking for a scope it was not granted (invalid_scope), so duvi asks
# only for what it uses: it reads, creates and updates, and deletes nothing. The setting
# `visma_scopes` changes the set.
SCOPE_PREFIX = "vismanet_erp_service_api:"
DEFAULT_SCOPES = ("read", "create", "update")


def service_scopes(names: Iterable[str]) -> tuple[str, ...]:
    """Scope names (read, create ...) as Visma Connect's scopes."""
    return tuple(f"{SCOPE_PREFIX}{n}" for n in names)


SCOPES = service_scopes(DEFAULT_SCOPES)


@dataclass(frozen=True)
class VismaCredentials:
    client_id: str
    client_secret: SecretStr
    tenant_id: str  # the *Company* tenant id
    scopes: tuple[str, ...] = SCOPES


class TokenProvider(BearerAuth):
    """The Visma API's auth flow: a client-credentials token from Visma Connect on every
    request, fetched once per lifetime (shared by concurrent requests), renewed once on a
    401."""

    def __init__(
        self,
        connect: HttpService,
        creds: VismaCredentials,
        *,
        skew: float = 60,
        held: HeldToken | None = None,
        context: CallContext | None = None,
    ) -> None:
        super().__init__(held)
        self.connect = connect
        self.creds = creds
        self.skew = skew
        self.context = context
        self.fetched = 0  # how many tokens this provider obtained (tests and doctor read it)
        # The scopes Connect says the last token it issued carries ("scope" in the answer;
        # RFC 6749 5.1: given when they differ from those asked for). None: not seen.
        self.granted: frozenset[str] | None = None
        redactor.add(creds.client_secret.get_secret_value())

    async def fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.creds.client_id,
            "client_secret": self.creds.client_secret.get_secret_value(),
            "scope": " ".join(self.creds.scopes),
            "tenant_id": self.creds.tenant_id,
        }
        # Asking for a token twice is harmless, so it may be retried like a GET.
        resp = await self.connect.request(
            "POST", "/connect/token", form=form, repeatable=True, context=self.context
        )
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
        self.fetched += 1
        if isinstance(data.get("scope"), str):
            self.granted = frozenset(data["scope"].split())
        return token, max(lifetime - self.skew, lifetime / 2)


async def missing_scopes(tokens: TokenProvider) -> list[str] | None:
    """The scopes duvi asks for that Connect refuses this application, found by asking for a
    token with each one alone (one token request per scope: doctor only). None when a
    request fails for another reason (the token check says why)."""
    from dataclasses import replace

    missing = []
    for scope in tokens.creds.scopes:
        probe = TokenProvider(tokens.connect, replace(tokens.creds, scopes=(scope,)))
        try:
            await probe.fetch()
        except VismaError as exc:
            if exc.fault_code != "invalid_scope":
                return None
            missing.append(scope)
    return missing
