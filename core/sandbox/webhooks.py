"""Webhook notifications from the simulated Visma.net: thin {contextId, TenantId, eventId,
action, resourceUri} bodies POSTed to the subscription URL when a customer or an item changes,
except for records whose webhook flag is off. The exact current envelope is not published
(docs/visma-net-api.md §10): this one is the legacy NotificationDto plus TenantId."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class WebhookDispatcher:
    url: str | None = None
    transport: httpx.AsyncBaseTransport | None = None  # in-process receiver, for tests
    headers: dict[str, str] = field(default_factory=dict)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    failed: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    suppressed: list[dict[str, Any]] = field(default_factory=list)  # flag off: never sent
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def notify(self, tenant_id: str, kind: str, number: str, action: str, *, enabled: bool) -> None:
        event = {"customer": "customer_changed", "item": "inventoryitem_changed"}[kind]
        path = {"customer": "customer", "item": "inventory"}[kind]
        body = {
            "contextId": str(uuid.uuid4()),
            "TenantId": tenant_id,
            "eventId": event,
            "action": action,
            "resourceUri": f"/v1/{path}/{number}",
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
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=10) as client:
                resp = await client.post(self.url or "", json=body, headers=self.headers)
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
