"""What the DUELL and Visma clients share: one httpx client per service with

- retries with jittered exponential backoff on 429 (honouring Retry-After), any 5xx, 408, 499,
  timeouts and dropped connections, bounded in attempts and in total time;
- pacing from the service's rate-limit headers, so a long sync slows down before a 429;
- a concurrency limit;
- the never-twice rule: a request that is not safe to repeat (a POST that creates something)
  and may have reached the server is never resent; it fails with OutcomeUnknownError and the
  transfer ledger finds out what happened by looking the document up;
- a 2xx answer to a repeatable request whose JSON body cannot be decoded (cut off on the way)
  is retried like a dropped connection; the decoded body is kept for the client (`json_body`);
- a redacted record of every attempt in the HTTP log.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import importlib.util
import json
import os
import random
import re
import socket
import ssl
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import httpx

# TransientError and OutcomeUnknownError live with the rest of the hierarchy; they are named
# here too because the clients and their callers have always imported them from here.
from core.errors import CertificateRefused, ConfigError, OutcomeUnknownError, TransientError
from core.httplog import HttpCall, HttpLog
from core.redact import redactor

if TYPE_CHECKING:
    from core.config import Settings

if importlib.util.find_spec("sniffio") is None:
    # httpcore tries `import sniffio` for every request (setting up its locks) and, while it
    # is not installed, each try searches every sys.path entry again. None in sys.modules
    # makes the failed import immediate; httpcore then takes asyncio, as it did.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


def outcome_unknown(status: int) -> bool:
    """An answer that does not say whether the request was carried out: any 5xx (also a
    gateway's 520/522/524, sent after the origin may have acted), 408 and 499 (a proxy that
    gave up on the origin). A repeatable request is retried; a POST is in doubt."""
    return status >= 500 or status in (408, 499)


_VISMA_ID = re.compile(r"VismaId:\s*([0-9a-fA-F-]{8,})")
_TRACE_HEADERS = ("x-trace-id", "x-request-id", "x-correlation-id", "request-id")


_JSON = "duvi.json"  # where a response keeps its decoded body
_T0 = "duvi.t0"  # where a request keeps when it went out
_CONTEXT = "duvi.context"  # and whom it was made for
UNREADABLE = "a cut-off or unreadable body"


def json_body(resp: httpx.Response) -> Any:
    """The response's JSON, fractions as Decimal (never float), decoded once per response.
    Raises ValueError for a body that is not JSON (or nests deeper than Python can follow)."""
    if _JSON not in resp.extensions:
        try:
            resp.extensions[_JSON] = json.loads(resp.content, parse_float=Decimal)
        except RecursionError:
            raise ValueError("JSON nested too deeply to read") from None
    return resp.extensions[_JSON]


def _unreadable(resp: httpx.Response) -> bool:
    """A 2xx JSON answer whose body does not decode: it was cut off (or garbled) on the way."""
    if not (200 <= resp.status_code < 300) or not resp.content.strip():
        return False
    if "json" not in resp.headers.get("content-type", ""):
        return False
    try:
        json_body(resp)
    except ValueError:
        return True
    return False


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5  # seconds; doubled per attempt, with full jitter
    max_delay: float = 30.0
    max_total: float = 300.0  # no call keeps retrying longer than this

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class RateHeaders:
    """How a service states its rate limit."""

    limit: str | None = "X-RateLimit-Limit"
    remaining: str = "X-RateLimit-Remaining"
    reset: str = "X-RateLimit-Reset"
    # Visma: seconds until reset (docs/visma-net-api.md §8 [S1 rate-limits]); DUELL: epoch seconds
    reset_is_epoch: bool = False


@dataclass
class WindowState:
    """A pacer's view of one fixed window: what the server allows (`limit`), what it has left
    as last seen (`remaining`), when the window ends (`reset_at`, on the pacer's clock), when
    the last request went out, and the requests in flight against it (every process's, when
    the view is shared)."""

    limit: int
    remaining: int
    reset_at: float
    last_send: float = 0.0
    in_flight: int = 0


class SharedWindows(Protocol):
    """Where pacers keep their window when several processes share it (core/budgets.py keeps
    it in the store). `change` yields the window of `key` with `in_flight` counting every
    holder's requests (this holder's own as `mine`); what the caller leaves in it is saved,
    this holder's in-flight count as `in_flight` less the others'. A key seen for the first
    time starts as `fresh`. The clock is the wall clock (time.time), the same in every
    process."""

    def change(
        self, key: str, holder: str, mine: int, fresh: WindowState
    ) -> AbstractContextManager[WindowState]: ...


class BudgetWatch(Protocol):
    """Told by a pacer when the work it paces waits for budget (core/runner.py: a department
    gives back its concurrency slot while it waits, and the round reports the wait)."""

    def waited(self, seconds: float) -> None: ...

    def paused(self) -> AbstractAsyncContextManager[None]: ...


budget_watch: ContextVar[BudgetWatch | None] = ContextVar("duvi_budget_watch", default=None)


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


class Pacer:
    """Keeps a client inside a fixed-window request budget without hitting 429.

    It knows the budget from the server's headers (or, until it has seen them, from the
    configured budget), counts requests in flight against it, spreads the last `low_water`
    share of the window evenly over the time left, and waits for the next window when
    nothing is left.

    One pacer serves every client of one budget (core/connections.py: per Visma client and
    tenant, per DUELL account). Given `shared` (and a `key`), its view of the window lives
    there, so that pacers of the same budget in other processes (the runner, a console's
    "run now") count each other's requests; a request that went out and was not answered
    holds its place for `in_flight_ttl` seconds at most should its process die.
    """

    def __init__(
        self,
        budget: int,
        window: float = 3600.0,
        low_water: float = 0.1,
        *,
        shared: SharedWindows | None = None,
        key: str = "",
    ) -> None:
        self.window = window
        self.low_water = low_water
        self.shared = shared
        self.key = key
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._clock = time.time if shared is not None else time.monotonic
        self._state = WindowState(budget, budget, self._clock() + window)
        self.in_flight = 0  # this pacer's own requests in flight
        self.waited = 0.0  # seconds spent waiting for budget, for diagnostics
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    # The last view of the window (shared: as of this pacer's last look at it).
    @property
    def limit(self) -> int:
        return self._state.limit

    @property
    def remaining(self) -> int:
        return self._state.remaining

    @property
    def reset_at(self) -> float:
        return self._state.reset_at

    @contextmanager
    def _window(self) -> Iterator[WindowState]:
        if self.shared is None:
            yield self._state
            return
        with self.shared.change(self.key, self.holder, self.in_flight, self._state) as state:
            yield state
            self._state = replace(state)

    def _loop_lock(self) -> asyncio.Lock:
        """The lock of this event loop (a console may call the engine from more than one)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def acquire(self) -> None:
        watch = budget_watch.get()
        lock = self._loop_lock()
        waited = 0.0  # by this call: queued behind a wait for budget, or waiting itself
        if lock.locked():
            # The lock is only ever held across a wait for budget: queue without a slot.
            t0 = time.monotonic()
            async with watch.paused() if watch is not None else _nothing():
                await lock.acquire()
            waited += time.monotonic() - t0
        else:
            await lock.acquire()
        try:
            while True:
                with self._window() as w:
                    now = self._clock()
                    if now >= w.reset_at:
                        w.remaining = w.limit
                        w.reset_at = now + self.window
                    available = w.remaining - w.in_flight
                    wait = 0.0
                    if available <= 0:
                        wait = w.reset_at - now + 0.05
                    elif available < w.limit * self.low_water:
                        wait = w.last_send + (w.reset_at - now) / available - now
                    if wait <= 0:
                        w.in_flight += 1
                        self.in_flight += 1
                        w.last_send = now
                        break
                self.waited += wait
                t0 = time.monotonic()
                async with watch.paused() if watch is not None else _nothing():
                    await asyncio.sleep(wait)
                waited += time.monotonic() - t0
        finally:
            lock.release()
            if watch is not None and waited:
                watch.waited(waited)

    def release(self, headers: Mapping[str, str] | None, names: RateHeaders) -> None:
        with self._window() as w:
            w.in_flight = max(0, w.in_flight - 1)
            self.in_flight = max(0, self.in_flight - 1)
            if headers is None:
                return
            remaining = _int(headers.get(names.remaining))
            reset = _float(headers.get(names.reset))
            if remaining is None or reset is None:
                w.remaining -= 1  # no headers: count locally against the configured budget
                return
            now = self._clock()
            # An epoch reset has whole-second resolution: the window may end up to 1 s later.
            reset_at = now + (reset - time.time() + 1.0 if names.reset_is_epoch else reset)
            limit = _int(headers.get(names.limit)) if names.limit else None
            if limit:
                w.limit = limit
            if reset_at > w.reset_at + 1.0:  # a new window began
                w.remaining, w.reset_at = remaining, reset_at
            else:  # same window: responses can arrive out of order; trust the lowest count
                w.remaining = min(w.remaining, remaining)
                w.reset_at = reset_at

    def exhausted_for(self, seconds: float) -> None:
        """A 429 told us to wait: nothing more goes out until then. The server's word beats
        our idea of the window; its next rate-limit headers set the window again."""
        with self._window() as w:
            w.remaining = 0
            w.reset_at = self._clock() + seconds


def _int(v: str | None) -> int | None:
    try:
        return int(float(v)) if v is not None else None
    except ValueError:
        return None


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


_subject: ContextVar[str | None] = ContextVar("duvi_http_subject", default=None)


@contextmanager
def about(subject: str | None) -> Iterator[None]:
    """Calls made inside carry `subject` (a transfer's ledger key) into the HTTP log, so the
    raw Visma answer to a transfer is one indexed query away. None: calls that serve many
    documents (a listing read once per run), made while one of them is being prepared."""
    token = _subject.set(subject)
    try:
        yield
    finally:
        _subject.reset(token)


@dataclass
class CallContext:
    """Who a call is made for, so the HTTP log can be filtered by department and run."""

    department_id: str | None = None
    run_id: int | None = None


@dataclass
class ServiceConfig:
    system: str  # "visma", "connect", "duell": the name in the HTTP log
    base_url: str
    connect_timeout: float = 10.0
    request_timeout: float = 60.0
    concurrency: int = 4
    budget_per_hour: int = 15000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_headers: RateHeaders = field(default_factory=RateHeaders)
    ca_bundle: str | None = None  # extra CAs (PEM) trusted beside the system's; never "off"


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Certificates and host names are always checked: there is no setting that turns it off.
    A CA bundle (a company proxy's CA, say) is trusted in addition to the system's.

    One context per bundle (and per version of its file) for the process: loading the
    system's certificates takes tens of milliseconds of CPU, and every department's run opens
    clients of its own (a round of 1,000 departments, 4,000 of them)."""
    stamp: tuple[int, int] | None = None
    if ca_bundle:
        try:
            st = os.stat(ca_bundle)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None  # _tls_context says what is wrong with it
    return _tls_context(ca_bundle or None, stamp)


@functools.lru_cache(maxsize=8)
def _tls_context(ca_bundle: str | None, _stamp: tuple[int, int] | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"cannot use the CA bundle {ca_bundle}: {exc}",
                "point ca_bundle at a readable PEM file, or remove the setting",
            ) from None
    return context


class SharedTransport(httpx.AsyncBaseTransport):
    """A connection pool that many clients send through, one after another. A client's
    `aclose` leaves it open (the next department's client sends through it); the round that
    made it closes it (`round_pools`)."""

    def __init__(self, pool: httpx.AsyncHTTPTransport) -> None:
        self.pool = pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.pool.handle_async_request(request)

    async def aclose(self) -> None:
        """Not the client's to close: `RoundPools.aclose` does, once the round is over."""


class Lane:
    """One connection pool per service (and CA bundle), used by one department at a time:
    its clients' connections are the next department's. Each pool keeps idle as many
    connections as a client sends requests at once (`concurrency`), and sets no cap: a
    request never waits for a connection, as with a pool of the client's own."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pools: dict[tuple[str, str | None], SharedTransport] = {}

    def transport(self, config: ServiceConfig) -> SharedTransport | None:
        """This service's pool, or None (another event loop's client): the client opens its
        own."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if loop is not self.loop:
            return None
        key = (config.system, config.ca_bundle)
        shared = self.pools.get(key)
        if shared is None:
            limits = httpx.Limits(
                max_connections=None, max_keepalive_connections=max(1, config.concurrency)
            )
            pool = httpx.AsyncHTTPTransport(verify=tls_context(config.ca_bundle), limits=limits)
            shared = self.pools[key] = SharedTransport(pool)
        return shared

    async def aclose(self) -> None:
        pools, self.pools = list(self.pools.values()), {}
        for shared in pools:
            await shared.pool.aclose()


_lane: ContextVar[Lane | None] = ContextVar("duvi_lane", default=None)


class RoundPools:
    """The connections of a runner round (core/runner.py's `run_group`): a department at work
    takes a lane (`Lane`: a pool per service) for its turn and gives it back at its end, and
    the next department's clients reuse its connections. So a round opens a lane's
    connections per department at work at once, not a department's clients' own (four a
    department, on the real services each with a TLS handshake). Each client keeps its own
    auth flow, pacer, headers, event hooks and HTTP log: only the sockets are shared.

    Lanes rather than one pool per service for all: httpcore's pool looks at every one of its
    connections (a socket poll for each idle one) on every request and every answer, so a
    pool of a round's 50 connections cost more CPU than the connections it saved (measured:
    README, A runner round at scale). A lane's pool holds a client's few.

    A lane belongs to the event loop that made it: a client made in any other loop (a thread
    of the round's, the console's own loop) gets none and opens its own connections, as every
    client outside a round does. Nor are lanes used while a proxy is set in the environment:
    httpx reads proxies only for a client that has no transport given."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.free: list[Lane] = []
        self.lanes: list[Lane] = []
        self.closed = False
        # Read once a round, not per client (urllib's reading is httpx's).
        self.proxied = any(scheme != "no" for scheme in urllib.request.getproxies())

    @contextmanager
    def lane(self) -> Iterator[Lane | None]:
        """A lane for the department's turn (the caller's task and the tasks it starts):
        the last one given back, its connections the most likely still open."""
        if self.closed or self.proxied:
            yield None
            return
        lane = self.free.pop() if self.free else None
        if lane is None:
            lane = Lane(self.loop)
            self.lanes.append(lane)
        token = _lane.set(lane)
        try:
            yield lane
        finally:
            _lane.reset(token)
            if not self.closed:
                self.free.append(lane)

    async def aclose(self) -> None:
        self.closed = True
        lanes, self.lanes, self.free = self.lanes, [], []
        for lane in lanes:
            await lane.aclose()


@asynccontextmanager
async def round_pools() -> AsyncIterator[RoundPools]:
    """A round's lanes, closed (every connection of theirs) when the round ends."""
    pools = RoundPools()
    try:
        yield pools
    finally:
        await pools.aclose()


class HttpService:
    """One client per external system: every request of that system goes through here."""

    def __init__(
        self,
        config: ServiceConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_log: HttpLog | None = None,
        pacer: Pacer | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.config = config
        self.http_log = http_log
        self.pacer = pacer or Pacer(config.budget_per_hour)
        self._sem = asyncio.Semaphore(config.concurrency)
        if transport is None:  # a department's turn in a runner round: its lane's pool
            lane = _lane.get()
            transport = lane.transport(config) if lane is not None else None
        self.transport = transport  # None: the client's own connections
        self.client = httpx.AsyncClient(
            base_url=config.base_url,
            transport=transport,
            timeout=httpx.Timeout(config.request_timeout, connect=config.connect_timeout),
            verify=tls_context(config.ca_bundle),
            headers={"Accept": "application/json", "User-Agent": "duvi"},
            follow_redirects=False,
            auth=auth,
            # Every request on the wire is counted and logged, also the one an auth flow sends
            # again after a 401 (inside a single `send`).
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        self.stats = {"requests": 0, "retries": 0, "status_429": 0}
        self.last_date: str | None = None  # the service's Date header, for doctor's clock check

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        repeatable: bool | None = None,
        context: CallContext | None = None,
    ) -> httpx.Response:
        """Send with retries; returns the final response, whatever its status.

        `repeatable` says whether sending twice is harmless (default: every method but POST).
        Raises TransientError when retries run out, OutcomeUnknownError when a non-repeatable
        request may have been carried out.
        """
        repeatable = method.upper() != "POST" if repeatable is None else repeatable
        policy = self.config.retry
        started = time.monotonic()
        attempt = 0
        last_problem = ""
        while True:
            attempt += 1
            response: httpx.Response | None = None
            await self.pacer.acquire()
            try:
                async with self._sem:
                    response = await self._send_once(
                        method, path, params, content, form, headers, context
                    )
            except httpx.TransportError as exc:
                self.pacer.release(None, self.config.rate_headers)
                refused = _certificate_problem(exc)
                if refused:  # not transient: trying again cannot make the certificate valid
                    raise CertificateRefused(
                        f"{self.config.system}: the TLS certificate of "
                        f"{self.client.base_url.host} was not accepted ({refused})",
                        "if a proxy or a company CA signs it, set ca_bundle to that CA's PEM "
                        "file; certificate checks cannot be turned off",
                    ) from None
                reached = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                last_problem = _describe(exc)
                if reached and not repeatable:
                    raise OutcomeUnknownError(
                        f"{method} {path}: {last_problem}; the request may have been carried "
                        f"out by {self.config.system}",
                        "duvi looks the document up before sending it again",
                    ) from None
            except BaseException:  # e.g. an auth flow that could not get a token
                self.pacer.release(None, self.config.rate_headers)
                raise
            else:
                self.pacer.release(response.headers, self.config.rate_headers)
                status = response.status_code
                if status == 429:
                    self.stats["status_429"] += 1
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    self.pacer.exhausted_for(wait if wait is not None else policy.backoff(attempt))
                    last_problem = "429 Too Many Requests"
                elif repeatable and _unreadable(response):
                    last_problem = UNREADABLE
                elif outcome_unknown(status):
                    last_problem = f"HTTP {status}"
                    if not repeatable:
                        raise OutcomeUnknownError(
                            f"{method} {path}: {self.config.system} answered {status}; the "
                            "request may have been carried out",
                            "duvi looks the document up before sending it again",
                            response,
                        )
                else:
                    return response
            elapsed = time.monotonic() - started
            delay = policy.backoff(attempt)
            if response is not None and response.status_code in (429, 503):
                ra = retry_after_seconds(response.headers.get("Retry-After"))
                if ra is not None:
                    delay = ra
            if attempt >= policy.max_attempts or elapsed + delay > policy.max_total:
                if response is not None and last_problem == UNREADABLE:
                    return response  # the client's parser says what it could not read
                raise TransientError(
                    f"{method} {path}: {self.config.system} kept failing ({last_problem}) "
                    f"after {attempt} attempts in {elapsed:.0f} s",
                    f"{self.config.system} may be down or overloaded; duvi will try again "
                    "on the next run. `duvi doctor` checks the connection",
                )
            self.stats["retries"] += 1
            # 429 waits are kept by the pacer (it holds every request until the window
            # reopens); other failures back off here.
            if response is None or response.status_code != 429:
                await asyncio.sleep(delay)

    async def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        context: CallContext | None,
    ) -> httpx.Response:
        request = self.client.build_request(
            method, path, params=params, content=content, data=form, headers=headers
        )
        request.extensions[_CONTEXT] = context
        try:
            response = await self.client.send(request)
            await response.aread()
        except httpx.TransportError as exc:
            t0 = request.extensions.get(_T0, time.perf_counter())
            self._record(request, None, t0, context, error=_describe(exc))
            raise
        return response

    async def _on_request(self, request: httpx.Request) -> None:
        self.stats["requests"] += 1
        request.extensions[_T0] = time.perf_counter()

    async def _on_response(self, response: httpx.Response) -> None:
        await response.aread()
        request = response.request
        t0 = request.extensions.get(_T0, time.perf_counter())
        self._record(request, response, t0, request.extensions.get(_CONTEXT))
        self.last_date = response.headers.get("date") or self.last_date

    def _record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        t0: float,
        context: CallContext | None,
        error: str | None = None,
    ) -> None:
        if self.http_log is None:
            return
        body_in = response.content if response is not None else b""
        text_in = body_in.decode("utf-8", "replace")
        visma_id = None
        m = _VISMA_ID.search(text_in[:4000])
        if m:
            visma_id = m.group(1)
        trace = None
        if response is not None:
            found = (response.headers[h] for h in _TRACE_HEADERS if h in response.headers)
            trace = next(found, None)
        self.http_log.record(
            HttpCall(
                system=self.config.system,
                method=request.method,
                # The URL's path as it is (a copy without the query, as before, parsed the
                # whole URL again for every call logged: the same path).
                path=redactor.text(request.url.path)
                + (f"?{redactor.form(request.url.query.decode())}" if request.url.query else ""),
                status=response.status_code if response is not None else None,
                duration_ms=(time.perf_counter() - t0) * 1000,
                bytes_out=len(request.content or b""),
                bytes_in=len(body_in),
                department_id=context.department_id if context else None,
                run_id=context.run_id if context else None,
                visma_id=visma_id,
                trace_id=trace,
                subject=_subject.get(),
                error=error,
                request=_redact_body(request.content, request.headers.get("content-type", "")),
                response=_redact_body(body_in, response.headers.get("content-type", ""))
                if response is not None
                else None,
                location=redactor.text(response.headers["location"])
                if response is not None and "location" in response.headers
                else None,
            )
        )


def _certificate_problem(exc: BaseException) -> str | None:
    """Why the peer's certificate was refused, if that is what went wrong."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return str(seen).split("certificate verify failed:")[-1].strip(" )") or str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def _describe(exc: httpx.TransportError) -> str:
    kind = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ConnectError: "could not connect",
        httpx.ReadTimeout: "no response in time",
        httpx.WriteTimeout: "timed out sending",
        httpx.PoolTimeout: "no free connection",
        httpx.RemoteProtocolError: "connection dropped",
        httpx.ReadError: "connection dropped while reading",
    }
    for cls, text in kind.items():
        if isinstance(exc, cls):
            return text
    return type(exc).__name__


def _redact_body(body: bytes | None, content_type: str) -> str | None:
    if not body:
        return None
    text = body.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in content_type:
        return redactor.form(text)
    if "json" in content_type:
        try:
            return redactor.dumps(json.loads(text))
        except ValueError:
            pass
    return redactor.text(text)


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(base_delay=settings.retry_base_delay)


def service_config(
    system: str, base_url: str, settings: Settings, **overrides: Any
) -> ServiceConfig:
    """A ServiceConfig from the Settings' timeouts, concurrency and CA bundle."""
    cfg: dict[str, Any] = {
        "system": system,
        "base_url": base_url,
        "connect_timeout": settings.connect_timeout,
        "request_timeout": settings.request_timeout,
        "concurrency": settings.concurrency,
        "ca_bundle": str(settings.ca_bundle) if settings.ca_bundle else None,
    }
    cfg.update(overrides)
    return ServiceConfig(**cfg)
