"""Changes made in Visma: webhook notifications, with delta polling as the safety net.

The receiver (Starlette, started by `duvi run`, loopback unless configured) authenticates a
notification by the Developer Portal's signature and/or a secret last segment of its URL,
refuses oversized bodies (counted while they are read, so a chunked body of any size costs at
most MAX_BODY of memory), slow bodies and deeply nested JSON, and only records the
notification: duplicates (the same contextId) and any order are harmless. The runner then
re-reads each resource from Visma, applies it to DUELL per the master setting, and posts
notification feedback.

Visma does not publish the current envelope (docs/visma-net-api.md §10: only the legacy
NotificationDto {contextId, eventId, action, resourceUri} [S8], plus TenantId since 9.30
[S1 release note 2023-01-17]). So a body duvi cannot read as one of its notifications is not
refused (Visma would retry it, then give up): it is kept raw (redacted) for a person to look
at, answered 202, and its resource comes with the next delta poll.

Items and customers whose webhook flag is off never notify. Delta polling finds their changes
anyway; a change that polling found and no notification announced is remembered, and doctor
says what to do about it (DUELL's own FAQ).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.eventtext import msg
from core.i18n import N_, _, ngettext
from core.store import Store, utcnow

MAX_BODY = 16 * 1024  # a Visma notification is a few hundred bytes
BODY_TIMEOUT = 10.0  # seconds to receive a whole body: a slow sender must not hold a slot
# The resources notified: /v1/customer/{number} and /v1/inventory/{number} (api §9; the
# events Customer and Inventory Item Changed/Created/Updated, api §10 [S1 event-and-entities]).
ENTITY_OF_PATH = {"customer": "customer", "inventory": "product"}
# What comes before /v1/... in a resourceUri that is not already a bare path: the legacy
# host's /API/controller/api (docs/visma-net-api.md §1 [S1 change-base-url]); a host (the
# new base URL, or the old one) is dropped with it.
LEGACY_PREFIXES = ("/api/controller/api", "/controller/api", "/api")
UNRECOGNISED = "unrecognised"  # webhook_inbox.state of a body kept raw for a person


@dataclass(frozen=True)
class ReceiverAuth:
    """How the receiver knows a notification is Visma's. The Developer Portal generates a
    signature key for a subscription and signs each message: HMAC-SHA256 of the body, base64,
    in a header (documented for Business NXT on the same portal dispatcher [findings S9];
    for ERP, and the header's name, inferred: hence the setting). A secret last segment of the
    subscription URL works whatever the portal sends. Either, both, or (on loopback) none."""

    signature_key: SecretStr | None = None
    signature_header: str = "X-Signature"
    path_secret: SecretStr | None = None

    @classmethod
    def of(cls, settings: Any) -> ReceiverAuth:
        """From the settings; both secrets are scrubbed from anything logged from now on."""
        from core.redact import redactor

        for secret in (settings.webhook_signature_key, settings.path_secret):
            redactor.add(_value(secret))
        return cls(
            settings.webhook_signature_key,
            settings.webhook_signature_header,
            settings.path_secret,
        )

    @property
    def any(self) -> bool:
        return bool(_value(self.signature_key) or _value(self.path_secret))

    def path_ok(self, given: str | None) -> bool:
        expected = _value(self.path_secret)
        if not expected:
            return given is None
        return given is not None and hmac.compare_digest(given.encode(), expected.encode())

    def signature_ok(self, raw: bytes, headers: Any) -> bool:
        key = _value(self.signature_key)
        if not key:
            return True
        given = headers.get(self.signature_header, "").strip()
        if given[:7].lower() == "sha256=":  # a common form elsewhere; Visma's is not shown
            given = given[7:]
        return hmac.compare_digest(given.encode(), sign(key, raw).encode())


def sign(key: str, raw: bytes) -> str:
    """The portal's signature of a body: base64(HMAC-SHA256(key, body)) [findings S9]."""
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def refuse_open_receiver(host: str, auth: ReceiverAuth) -> None:
    """The receiver answers only this host unless configured otherwise, and then only with a
    signature key or a secret path: notifications make duvi call Visma, so strangers must
    not send them."""
    from core.errors import ConfigError
    from core.netaddr import is_loopback

    if not is_loopback(host) and not auth.any:
        raise ConfigError(
            f"the webhook receiver would listen on {host}, beyond this host, with neither a "
            "signature key nor a secret path",
            "set webhook_signature_key (DUVI_WEBHOOK_SIGNATURE_KEY) to the signature key the "
            "Visma Developer Portal generated for the subscription, and/or webhook_path_secret "
            "(and give the portal .../webhooks/visma/<secret>), or keep webhook_host at "
            "127.0.0.1 behind a reverse proxy",
        )


def resource_path(uri: str) -> str:
    """A resourceUri as the bare path duvi compares (/v1/customer/20001): the host and any
    legacy prefix stripped, the number's percent-encoding undone. Visma's form is not
    published: absolute URLs on the new or old host are inferred."""
    try:
        path = urlsplit(uri.strip()).path
    except ValueError:
        return uri
    path = "/" + path.strip("/")
    low = path.lower()
    for prefix in LEGACY_PREFIXES:
        if low.startswith(prefix + "/v"):
            path = path[len(prefix) :]
            break
    return "/".join(unquote(p) for p in path.split("/"))


def envelope(body: Any) -> tuple[str, str, str] | None:
    """(contextId, tenant, resource path) of a notification duvi can act on, else None."""
    if not isinstance(body, dict):
        return None
    context_id, uri = body.get("contextId"), body.get("resourceUri")
    tenant = body.get("TenantId") or body.get("tenantId") or ""
    if not isinstance(context_id, str | int) or not isinstance(uri, str) or not context_id:
        return None
    path = resource_path(uri)
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[-2] not in ENTITY_OF_PATH:
        return None
    return str(context_id), str(tenant), path


def receiver_app(
    store: Store, tenants: Iterable[str], auth: ReceiverAuth | None = None
) -> Starlette:
    """The ASGI app that takes Visma's notifications."""
    allowed = set(tenants)
    auth = auth or ReceiverAuth()

    async def notify(request: Request) -> Response:
        if not auth.path_ok(request.path_params.get("secret")):
            return JSONResponse({"error": "not found"}, 404)  # says nothing of the secret
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, 413)
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                raw = await _bounded_body(request)
        except TimeoutError:
            return JSONResponse({"error": "body too slow"}, 408)
        if raw is None:
            return JSONResponse({"error": "body too large"}, 413)
        if not auth.signature_ok(raw, request.headers):
            return JSONResponse({"error": "wrong or missing signature"}, 401)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # nesting: RecursionError
            return JSONResponse({"error": "not JSON"}, 400)
        found = envelope(body)
        if found is None or not found[1]:
            return _keep_raw(store, raw, body)
        context_id, tenant, path = found
        if tenant not in allowed:
            return JSONResponse({"error": "unknown tenant"}, 403)
        with store.write():
            cur = store.conn.execute(
                "INSERT OR IGNORE INTO webhook_inbox (context_id, received_at, tenant_id, "
                "event_id, action, resource_uri, state) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                [
                    context_id,
                    utcnow(),
                    tenant,
                    str(body.get("eventId", "")),
                    str(body.get("action", "")),
                    path,
                ],
            )
        return JSONResponse({"accepted": cur.rowcount == 1, "duplicate": cur.rowcount == 0}, 202)

    routes = [
        Route("/webhooks/visma", notify, methods=["POST"]),
        Route("/webhooks/visma/{secret}", notify, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _keep_raw(store: Store, raw: bytes, body: Any) -> Response:
    """A body that is not a notification duvi can act on (another envelope, a missing field,
    no tenant): kept as it came, secrets masked, for a person (doctor names them), and answered
    202 so Visma does not retry it for ever. What it announced comes with the next delta poll.
    Its id is its contextId when it has one, else a hash of the body: a resend is one row."""
    from core.redact import redactor

    context_id = body.get("contextId") if isinstance(body, dict) else None
    if not isinstance(context_id, str | int) or not context_id:
        context_id = "raw-" + hashlib.sha256(raw).hexdigest()[:32]
    try:
        shown = redactor.dumps(body)[:MAX_BODY]
    except RecursionError:  # parsed, but too deep to walk: not shown rather than unmasked
        shown = "(nested too deeply to show)"
    with store.write():
        cur = store.conn.execute(
            "INSERT OR IGNORE INTO webhook_inbox (context_id, received_at, tenant_id, "
            "event_id, action, resource_uri, state, error) VALUES (?, ?, '', '', '', '', ?, ?)",
            [str(context_id), utcnow(), UNRECOGNISED, shown],
        )
    return JSONResponse(
        {"accepted": cur.rowcount == 1, "duplicate": cur.rowcount == 0, "recognised": False},
        202,
    )


async def _bounded_body(request: Request) -> bytes | None:
    """The body, read chunk by chunk and counted as it comes: None as soon as it passes
    MAX_BODY (the rest is never read), whatever Content-Length said or did not say."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def prune_inbox(store: Store, keep_days: int, *, batch: int = 500) -> int:
    """Handled (or unrecognised) notifications older than `keep_days` (pending ones wait,
    whatever their age): Visma does not resend a notification that old, so its duplicate
    check needs it no more."""
    from core.eventlog import days_ago

    with store.write():
        cur = store.conn.execute(
            "DELETE FROM webhook_inbox WHERE rowid IN (SELECT rowid FROM webhook_inbox "
            "WHERE state IN ('applied', 'failed', ?) AND received_at < ? LIMIT ?)",
            [UNRECOGNISED, days_ago(keep_days), batch],
        )
    return cur.rowcount


@dataclass(frozen=True)
class Notification:
    context_id: str
    entity: str
    number: str
    resource_uri: str


def pending(store: Store, tenant_id: str) -> list[Notification]:
    out = []
    for r in store.query(
        "SELECT * FROM webhook_inbox WHERE state = 'pending' AND tenant_id = ? "
        "ORDER BY received_at",
        [tenant_id],
    ):
        parts = r["resource_uri"].strip("/").split("/")
        entity = ENTITY_OF_PATH.get(parts[-2]) if len(parts) >= 2 else None
        if entity is None:
            mark(store, [r["context_id"]], "failed", "not a customer or inventory resource")
            continue
        out.append(Notification(r["context_id"], entity, parts[-1], r["resource_uri"]))
    return out


def mark(store: Store, context_ids: list[str], state: str, error: str | None = None) -> None:
    with store.write():
        store.conn.executemany(
            "UPDATE webhook_inbox SET state = ?, processed_at = ?, error = ? WHERE context_id = ?",
            [(state, utcnow(), error, c) for c in context_ids],
        )


async def process_inbox(
    store: Store, dept: Any, departments: Any, visma: Any, duell: Any, log: Any
) -> dict[str, int]:
    """Apply the pending notifications of this department's company to DUELL."""
    from core.models import Master
    from core.sync.customers import CustomerSync
    from core.sync.products import ProductSync
    from core.visma.errors import VismaError
    from core.visma.models import WebhookFeedback

    notes = pending(store, dept.settings.visma_tenant_id or "")
    done = {"applied": 0, "ignored": 0, "failed": 0}
    for entity, master, cls in (
        ("product", dept.settings.product_master, ProductSync),
        ("customer", dept.settings.customer_master, CustomerSync),
    ):
        batch = [n for n in notes if n.entity == entity]
        if not batch:
            continue
        if master != Master.VISMA:  # DUELL owns this data: Visma's change is not applied
            mark(store, [n.context_id for n in batch], "ignored", f"{entity} master is DUELL")
            done["ignored"] += len(batch)
            continue
        records, failed = [], []
        for n in batch:
            try:
                if entity == "product":
                    records.append(await visma.get_item(n.number, cost_statistics=True))
                else:
                    records.append(await visma.get_customer(n.number))
            except VismaError as exc:
                failed.append((n, exc.message))

        async def feed(items: list[Any] = records) -> AsyncIterator[Any]:
            for item in items:
                yield item

        sync = cls(store, dept, departments, visma, duell, log)
        await sync.pull_from_visma(records=feed())
        ok = [n for n in batch if n not in {f[0] for f in failed}]
        mark(store, [n.context_id for n in ok], "applied")
        for n, error in failed:
            mark(store, [n.context_id], "failed", error)
        for n in batch:
            why = next((e for f, e in failed if f == n), None)
            try:
                # POST /v1/webhooknotificationfeedback {notificationId, source, description,
                # isSuccess} (api §9 [S2, S8]); that notificationId is the envelope's contextId
                # is inferred (findings B24).
                await visma.post_feedback(
                    WebhookFeedback(
                        notification_id=n.context_id,
                        source="duvi",
                        is_success=why is None,
                        description=why or f"applied to DUELL ({entity} {n.number})",
                    )
                )
            except VismaError as exc:
                log.warning(
                    msg(
                        N_("feedback for notification {notification} not accepted: {message}"),
                        notification=n.context_id,
                        message=exc.message,
                    ),
                    department_id=dept.id,
                    entity="webhook",
                )
        done["applied"] += len(ok)
        done["failed"] += len(failed)
    return done


def record_unannounced(
    store: Store,
    department_id: str,
    entity: str,
    polled_since: str | None,
    changed: list[tuple[str, str]],
) -> int:
    """Changes polling found that no notification announced since the previous poll."""
    path = {"product": "inventory", "customer": "customer"}[entity]
    since = polled_since or (datetime.now(UTC) - timedelta(days=1)).isoformat()
    rows = []
    for number, last_modified in changed:
        heard = store.query(
            "SELECT 1 FROM webhook_inbox WHERE resource_uri = ? AND received_at >= ? LIMIT 1",
            [resource_path(f"/v1/{path}/{number}"), since],
        )
        if not heard:
            rows.append(
                {
                    "department_id": department_id,
                    "entity": entity,
                    "visma_id": number,
                    "last_modified": last_modified,
                    "found_at": utcnow(),
                }
            )
    if rows:
        with store.write() as db:
            db.table("unannounced").upsert_all(rows, pk=("department_id", "entity", "visma_id"))
    return len(rows)


def unannounced(store: Store, department_id: str) -> list[tuple[str, str]]:
    """The records Visma changed that no webhook announced: (entity, Visma id)."""
    rows = store.query(
        "SELECT entity, visma_id FROM unannounced WHERE department_id = ? "
        "ORDER BY entity, visma_id",
        [department_id],
    )
    return [(r["entity"], r["visma_id"]) for r in rows]


def unannounced_finding(store: Store, department_id: str) -> str | None:
    """Doctor's sentence about changes that came without a webhook notification."""
    rows = unannounced(store, department_id)
    if not rows:
        return None
    parts = []
    for entity in ("product", "customer"):
        ids = [visma_id for e, visma_id in rows if e == entity]
        if not ids:
            continue
        shown = ", ".join(ids[:20])
        if len(ids) > 20:
            shown = _("{ids} and {n} more").format(ids=shown, n=len(ids) - 20)
        said = (
            ngettext(
                "{n} item changed in Visma without a webhook notification: the webhook flag "
                "is probably off on this item; ask your Visma partner to turn it on for all "
                "items and as default for new ones ({ids})",
                "{n} items changed in Visma without a webhook notification: the webhook flag "
                "is probably off on these items; ask your Visma partner to turn it on for all "
                "items and as default for new ones ({ids})",
                len(ids),
            )
            if entity == "product"
            else ngettext(
                "{n} customer changed in Visma without a webhook notification: the webhook "
                "flag is probably off on this customer; ask your Visma partner to turn it on "
                "for all customers and as default for new ones ({ids})",
                "{n} customers changed in Visma without a webhook notification: the webhook "
                "flag is probably off on these customers; ask your Visma partner to turn it on "
                "for all customers and as default for new ones ({ids})",
                len(ids),
            )
        )
        parts.append(said.format(n=len(ids), ids=shown))
    return "\n".join(parts)


def unrecognised(store: Store) -> list[dict[str, str]]:
    """The bodies the receiver kept raw (not a notification it can read), newest first."""
    return store.query(
        "SELECT received_at, error FROM webhook_inbox WHERE state = ? ORDER BY received_at DESC",
        [UNRECOGNISED],
    )


def unrecognised_finding(store: Store) -> str | None:
    """Doctor's sentence about bodies the receiver kept raw (not a notification it can read)."""
    rows = unrecognised(store)
    if not rows:
        return None
    return ngettext(
        "{n} webhook body was not a notification duvi can read (Visma's envelope is not "
        "published; its records come with the delta poll meanwhile); as received {at}: {error}",
        "{n} webhook bodies were not notifications duvi can read (Visma's envelope is not "
        "published; their records come with the delta poll meanwhile); the latest, as received "
        "{at}: {error}",
        len(rows),
    ).format(n=len(rows), at=rows[0]["received_at"], error=rows[0]["error"][:300])
