"""Fault injection for the sandbox: errors, 429s, latency, timeouts, dropped connections,
malformed bodies and DUELL's HTTP 200 `status: false`, at configurable rates, from a seeded
random source.

A gateway fault (`gateway_rate`) lets the service act, then answers 520, 522 or 524 in its
place, as a CDN in front of an origin does when the origin's answer is late or garbled: the
request happened, the status says nothing about it.

Timeouts and dropped connections come in two kinds: before the request reaches the service
(safe to resend) and after the service carried it out (the "did it happen?" case that the
transfer ledger must resolve). In-process (httpx.ASGITransport) they surface as the httpx
exceptions a real network would raise; served over TCP the connection is really cut.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")  # what a seeded pick returns


@dataclass
class Faults:
    error_rate: float = 0.0  # 500 / 502 / 503
    rate_429: float = 0.0  # spurious 429 with Retry-After
    latency: float = 0.0  # seconds added to every request
    timeout_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0  # a 2xx whose JSON body is cut short
    refusal_rate: float = 0.0  # DUELL only: HTTP 200 {"status": false} before the service
    gateway_rate: float = 0.0  # a gateway's 520/522/524 in place of the service's answer
    retry_after: float = 0.05  # seconds in injected 429s
    cut_phase: str = "random"  # timeouts/drops: "before" the service, "after" it, or "random"
    down: bool = False  # the services are stopped: every connection is refused
    only: tuple[str, ...] = ()  # path prefixes the faults apply to; () = everywhere
    # and only to requests whose body holds these bytes (b"" = every request): one document's
    # POST, say `b'"DUELL-Z-1-3 '` for Z 3's batch and not Z 30's
    body_contains: bytes = b""
    # Visma's own answers (core/sandbox/visma_api.py reads these, not the middleware):
    # actionResult of every release: "Done"; "Queued"/"InProcess" (the release happens at the
    # company's next request, as a background worker would); "Failed" (nothing happens, and
    # errorInfo says why). Spec enum ReleaseCashTransactionActionResultActionResultEnum.
    action_result: str = "Done"
    # How many of the company's requests a Queued/InProcess release stays queued for after
    # its answer: 0 = done at the next request; None = until the test says
    # (Company.finish_queued, or Company.fail_queued: Visma's worker could not release it).
    queued_for: int | None = 0
    omit_metadata_rate: float = 0.0  # a list page without `metadata` (release notes S4)
    null_lists_rate: float = 0.0  # a response whose empty lists come as null (inferred)
    seed: int = 0
    in_process: bool = True
    injected: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def mixed(cls, rate: float, *, seed: int = 0, retry_after: float = 0.05) -> Faults:
        """At least `rate` of all requests fail, spread evenly over every kind of fault. Four
        kinds can hit any request (429, 5xx, timeout, drop), each rolled in turn with
        1 - (1 - rate) ** (1/4); a gateway's 52x after the service acted, a cut body (answers
        with one) and DUELL's `status: false` come on top, at the same odds, where they
        apply."""
        each = 1 - (1 - rate) ** (1 / 4)
        return cls(
            error_rate=each,
            rate_429=each,
            timeout_rate=each,
            drop_rate=each,
            malformed_rate=each,
            refusal_rate=each,
            gateway_rate=each,
            retry_after=retry_after,
            seed=seed,
        )

    def reseed(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def pick(self, options: list[T]) -> T:
        return self._rng.choice(options)

    def count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    @property
    def active(self) -> bool:
        return any(
            (
                self.error_rate,
                self.rate_429,
                self.latency,
                self.timeout_rate,
                self.drop_rate,
                self.malformed_rate,
                self.refusal_rate,
                self.gateway_rate,
                self.down,
            )
        )


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.faults = faults
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        f = self.faults
        path = scope["path"]
        if (
            scope["type"] != "http"
            or not f.active
            or path.startswith(self.exempt)
            or (f.only and not path.startswith(f.only))
        ):
            await self.app(scope, receive, send)
            return
        if f.body_contains:
            receive, body = await _read_body(receive)
            if f.body_contains not in body:
                await self.app(scope, receive, send)
                return
        if f.down:
            f.count("refused")
            if f.in_process:
                raise httpx.ConnectError("sandbox: [Errno 111] Connection refused")
            await _abort(send)
            return
        if f.latency:
            await asyncio.sleep(f.latency)
        if f.roll(f.rate_429):
            f.count("429")
            await _plain(
                send,
                429,
                b'{"message":"Rate limit is exceeded."}',
                [(b"retry-after", str(f.retry_after).encode())],
            )
            return
        if f.roll(f.error_rate):
            status = f.pick([500, 502, 503])
            f.count(str(status))
            body = b"<html><body>Bad gateway</body></html>" if status == 502 else b""
            await _plain(send, status, body, [])
            return
        if path.startswith("/duell/") and f.roll(f.refusal_rate):
            f.count("duell-status-false")
            await _plain(
                send,
                200,
                b'{"status":false,"message":"Midlertidig feil, pr\xc3\xb8v igjen senere"}',
                [(b"content-type", b"application/json")],
            )
            return
        cut = None
        if f.roll(f.timeout_rate):
            cut = "timeout"
        elif f.roll(f.drop_rate):
            cut = "drop"
        before = f.cut_phase == "before" or (f.cut_phase == "random" and f.pick([True, False]))
        if cut and before:  # the service never sees the request
            f.count(f"{cut}-before")
            if f.in_process:
                raise (
                    httpx.ConnectTimeout("sandbox: injected")
                    if cut == "timeout"
                    else (httpx.ConnectError("sandbox: injected"))
                )
            await _abort(send)
            return
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        if cut:  # the service carried the request out; the answer is lost
            f.count(f"{cut}-after")
            if f.in_process:
                raise (
                    httpx.ReadTimeout("sandbox: injected")
                    if cut == "timeout"
                    else (httpx.RemoteProtocolError("sandbox: injected"))
                )
            await _abort(send)
            return
        if f.roll(f.gateway_rate):  # the service acted; its answer is replaced on the way
            status = f.pick([520, 522, 524])
            f.count(f"gateway-{status}")
            await _plain(send, status, _GATEWAY_PAGE % status, [(b"content-type", b"text/html")])
            return
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        if start and 200 <= start["status"] < 300 and f.roll(f.malformed_rate):
            body = b"".join(
                m.get("body", b"") for m in messages if m["type"] == "http.response.body"
            )
            if body:
                f.count("malformed")
                cut_body = body[: max(1, len(body) // 2)]
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(cut_body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": cut_body})
                return
        for m in messages:
            await send(m)


async def _read_body(receive: Receive) -> tuple[Receive, bytes]:
    """The whole request body, and a `receive` that hands it to the app again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay, body


_GATEWAY_PAGE = (
    b"<!DOCTYPE html><html><head><title>Error %d</title></head>"
    b"<body>Web server is returning an unknown error</body></html>"
)


async def _plain(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Abort(Exception):
    """Raised after the response started: the server closes the connection mid-response."""


async def _abort(send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
    )
    raise _Abort("sandbox: connection dropped on purpose")
