"""Webhook notifications from the simulated Visma.net: thin {contextId, TenantId, eventId,
action, resourceUri} bodies POSTed to the subscription URL when a customer or an item changes,
except for records whose webhook flag is off. The exact current envelope is not published
(docs/visma-net-api.md §10): this one is the legacy NotificationDto [S8] plus TenantId [S1
release note 2023-01-17]. Tests vary what is not known: `resource_base` puts a host (and a
legacy prefix) before the path, `reshape` turns the body into another envelope.

With a `signature_key` each body is signed as the Developer Portal's dispatcher does:
base64(HMAC-SHA256(key, body)) in `signature_header` (findings 2026-12-visma S9, documented
for Business NXT on the same dispatcher; the ERP header's name is inferred)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class WebhookDispatcher:
    url: str | None = None
    transport: httpx.AsyncBaseTransport | None = None  # in-process receiver, for tests
    headers: dict[str, str] = field(default_factory=dict)
    signature_key: str | None = None
    signature_header: str = "X-Signature"
    resource_base: str = ""  # e.g. "https://api.finance.visma.net": an absolute resourceUri
    reshape: Callable[[dict[str, Any]], Any] | None = None  # another envelope than the legacy
    delivered: list[dict[str, Any]] = field(default_factory=list)
    failed: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    suppressed: list[dict[str, Any]] = field(default_factory=list)  # flag off: never sent
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def notify(self, tenant_id: str, kind: str, number: str, action: str, *, enabled: bool) -> None:
        # The legacy event names (api §9-10 [S7, S8, S9]); the portal's are "Customer
        # Changed" and the like, whose names in a body are not published.
        event = {"customer": "customer_changed", "item": "inventoryitem_changed"}[kind]
        path = {"customer": "customer", "item": "inventory"}[kind]
        body = {
            "contextId": str(uuid.uuid4()),
            "TenantId": tenant_id,
            "eventId": event,
            "action": action,
            "resourceUri": f"{self.resource_base}/v1/{path}/{number}",
        }
        if not enabled:
            self.suppressed.append(body)
            return
        if self.url is None:
            return
        task = asyncio.get_running_loop().create_task(self._send(body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, body: dict[str, Any]) -> None:
        raw = json.dumps(self.reshape(body) if self.reshape else body).encode()
        headers = {"Content-Type": "application/json", **self.headers}
        if self.signature_key is not None:
            digest = hmac.new(self.signature_key.encode(), raw, hashlib.sha256).digest()
            headers[self.signature_header] = base64.b64encode(digest).decode()
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=10) as client:
                resp = await client.post(self.url or "", content=raw, headers=headers)
            if resp.status_code >= 400:
                self.failed.append((body, f"HTTP {resp.status_code}"))
            else:
                self.delivered.append(body)
        except httpx.HTTPError as exc:
            self.failed.append((body, type(exc).__name__))

    async def drain(self) -> None:
        """Wait until every notification sent so far has been delivered or has failed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
