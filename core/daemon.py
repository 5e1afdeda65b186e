"""`duvi run`: the automatic transfer scheduler (core/runner.py) and Visma's webhook receiver,
served together in one process until SIGINT or SIGTERM; or one round of the scheduler.

The receiver is a uvicorn server on the settings' webhook host and port. uvicorn's own signal
handlers are off: the first signal sets one stop event that ends the scheduler (between
departments, never in the middle of a transfer) and the server together.

The receiver is bounded, so that a flood or slow senders cannot take the runner down: at most
RECEIVER_CONNECTIONS connections at once (beyond, 503), small headers, a short keep-alive, and
no connection lives longer than CONNECTION_DEADLINE (uvicorn has no header or body timeout of
its own). A flood's warnings (uvicorn's "Exceeded concurrency limit", asyncio's "out of system
resource" when descriptors run out) are logged once per minute with a count, not per
connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
import traceback
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from core.connections import Connections
from core.eventtext import msg
from core.i18n import N_, _
from core.runner import RoundReport, Runner
from core.runtime import Runtime

if TYPE_CHECKING:
    import uvicorn

RECEIVER_CONNECTIONS = 64  # a Visma webhook sends one small notification at a time
KEEP_ALIVE = 5  # seconds an idle connection stays open
MAX_HEADERS = 16 * 1024  # bytes of a request's head (h11's incomplete event)
CONNECTION_DEADLINE = 30.0  # seconds: headers and body have long arrived by then
FLOOD_LOGGERS = ("uvicorn.error", "asyncio")


class OncePerMinute(logging.Filter):
    """Lets a warning through once per minute per message; says how many it held back."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window, self.clock = window, clock
        self.seen: dict[str, tuple[float, int]] = {}  # message -> (window start, held back)

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        now = self.clock()
        start, held = self.seen.get(key, (-self.window, 0))
        if now - start < self.window:
            self.seen[key] = (start, held + 1)
            return False
        self.seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last minute)"
        record.exc_info = None  # one line: a flood's tracebacks are all the same
        return True


def receiver_config(app: Any, host: str, port: int) -> uvicorn.Config:
    """The webhook receiver's uvicorn settings, with its bounds."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        limit_concurrency=RECEIVER_CONNECTIONS,
        timeout_keep_alive=KEEP_ALIVE,
        h11_max_incomplete_event_size=MAX_HEADERS,
        backlog=RECEIVER_CONNECTIONS * 2,
    )


@contextlib.contextmanager
def quiet_floods() -> Iterator[OncePerMinute]:
    """A flood's warnings once per minute while the receiver serves."""
    flt = OncePerMinute()
    loggers = [logging.getLogger(n) for n in FLOOD_LOGGERS]
    for lg in loggers:
        lg.addFilter(flt)
    try:
        yield flt
    finally:
        for lg in loggers:
            lg.removeFilter(flt)


async def reap_slow_connections(
    server: uvicorn.Server, stop: asyncio.Event, deadline: float = CONNECTION_DEADLINE
) -> None:
    """Closes connections older than `deadline`: a sender that trickles its headers or body
    must not hold a descriptor or a slot for ever."""
    born: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
    while not stop.is_set():
        now = time.monotonic()
        for conn in list(server.server_state.connections):
            first = born.setdefault(conn, now)
            transport = getattr(conn, "transport", None)
            if now - first > deadline and transport is not None and not transport.is_closing():
                transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=min(deadline / 3, 5.0))


async def run_round(rt: Runtime, connections: Connections) -> RoundReport:
    """One round over the departments with automatic transfer on (`duvi run --once`)."""
    from core.service import refuse_if_read_only

    refuse_if_read_only(rt, "the automatic transfer")
    runner = Runner(rt, connections=connections)
    try:
        return await runner.run_once()
    finally:
        await runner.aclose()


async def serve_forever(
    rt: Runtime,
    connections: Connections,
    *,
    announce: Callable[[str], None] = lambda _: None,
    stop: asyncio.Event | None = None,
) -> None:
    """Transfers every `sync_interval_minutes` and the webhook receiver, until `stop` is set
    (given none: until SIGINT or SIGTERM). `announce` is told once what is being served."""
    import uvicorn

    from core import sdnotify
    from core.health import monitoring_routes
    from core.service import refuse_if_read_only
    from core.sync.webhooks import ReceiverAuth, receiver_app, refuse_open_receiver

    s = rt.settings
    refuse_if_read_only(rt, "the automatic transfer")
    auth = ReceiverAuth.of(s)
    refuse_open_receiver(s.webhook_host, auth)
    loop = asyncio.get_running_loop()
    signals: tuple[signal.Signals, ...] = ()
    if stop is None:
        stop = asyncio.Event()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
    tenants = _tenants(rt)
    sock = _listen(s.webhook_host, s.webhook_port, RECEIVER_CONNECTIONS * 2)

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # duvi's own handlers stop the server and the scheduler together; uvicorn's would
            # replace them while serving and raise the signal again afterwards.
            yield

    app = receiver_app(rt.store, tenants, auth)
    app.router.routes.extend(monitoring_routes(rt))  # /healthz and /metrics (core/health.py)
    server = Server(receiver_config(app, s.webhook_host, s.webhook_port))
    path = "/webhooks/visma" + ("/<webhook_path_secret>" if s.path_secret else "")
    announce(
        f"duvi run: transfers every {s.sync_interval_minutes} min; webhooks on "
        f"http://{s.webhook_host}:{s.webhook_port}{path}; ctrl+c stops"
    )
    for note in s.deprecations():
        announce(f"duvi run: {note}")
    # The socket listens already (connections wait in its backlog): systemd may go on.
    sdnotify.notify(f"READY=1\nSTATUS=transfers every {s.sync_interval_minutes} min")

    async def stop_server() -> None:
        await stop.wait()
        server.should_exit = True

    try:
        with quiet_floods():
            await asyncio.gather(
                server.serve(sockets=[sock]),
                Runner(rt, connections=connections).run_forever(stop),
                watch_inboxes(rt, stop),
                stop_server(),
                reap_slow_connections(server, stop),
                sdnotify.watchdog(stop),
            )
    finally:
        sdnotify.notify("STOPPING=1")
        sock.close()
        for sig in signals:
            loop.remove_signal_handler(sig)


async def watch_inboxes(rt: Runtime, stop: asyncio.Event) -> None:
    """The SAF-T inboxes (core/saft_inbox.py), every `inbox_poll_seconds`, until `stop`."""
    from core.saft_inbox import Inbox

    inbox = Inbox(rt)
    while not stop.is_set():
        try:
            await inbox.look_all()
        except Exception as exc:  # the runner stays up: the next look may get through
            with contextlib.suppress(Exception):
                rt.log.error(
                    msg(
                        N_("looking at the SAF-T inboxes failed: {error}"),
                        error=f"{type(exc).__name__}: {exc}",
                    ),
                    entity="runner",
                    data={"traceback": traceback.format_exc()},
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=rt.settings.inbox_poll_seconds)


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    """The receiver's socket, bound before anything starts: a port in use (a second `duvi
    run`) is one line, exit 3; uvicorn's own bind ends in SystemExit(3) inside a task, a
    60-line traceback (finding C5)."""
    from core.errors import ConfigError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=backlog)
    except OSError as exc:
        raise ConfigError(
            _("the webhook receiver cannot listen on {host}:{port}: {error}").format(
                host=host, port=port, error=exc.strerror or exc
            ),
            _(
                "another `duvi run` may be running (see `duvi doctor`); stop it, or set "
                "webhook_port (DUVI_WEBHOOK_PORT) to a free port"
            ),
        ) from None


def _tenants(rt: Runtime) -> set[str]:
    """The Visma tenants notifications are taken for; a department whose settings cannot be
    read is left out (the runner reports it), never the end of `duvi run`."""
    from core.departments import Departments

    depts = Departments(rt.store, rt.secrets)
    tenants = set()
    for row in rt.store.query("SELECT id FROM departments ORDER BY id"):
        try:
            dept = depts.get(row["id"])
        except Exception:  # the runner reports it, with its traceback
            continue
        if dept is not None and dept.settings.visma_tenant_id:
            tenants.add(dept.settings.visma_tenant_id)
    return tenants
