"""`duvi run`: the automatic transfer scheduler (core/runner.py) and Visma's webhook receiver,
served together in one process until SIGINT or SIGTERM; or one round of the scheduler.

The receiver is a uvicorn server on the settings' webhook host and port. uvicorn's own signal
handlers are off: the first signal sets one stop event that ends the scheduler (between
departments, never in the middle of a transfer) and the server together."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator

from core.connections import Connections
from core.runner import RoundReport, Runner
from core.runtime import Runtime


async def run_round(rt: Runtime, connections: Connections) -> RoundReport:
    """One round over the departments with automatic transfer on (`duvi run --once`)."""
    from core.service import refuse_if_read_only

    refuse_if_read_only(rt, "the automatic transfer")
    return await Runner(rt, connections=connections).run_once()


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

    from core.departments import Departments
    from core.service import refuse_if_read_only
    from core.sync.webhooks import receiver_app, refuse_open_receiver

    s = rt.settings
    refuse_if_read_only(rt, "the automatic transfer")
    refuse_open_receiver(s.webhook_host, s.webhook_secret)
    loop = asyncio.get_running_loop()
    signals: tuple[signal.Signals, ...] = ()
    if stop is None:
        stop = asyncio.Event()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
    tenants = {
        d.settings.visma_tenant_id
        for d in Departments(rt.store, rt.secrets).list()
        if d.settings.visma_tenant_id
    }

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # duvi's own handlers stop the server and the scheduler together; uvicorn's would
            # replace them while serving and raise the signal again afterwards.
            yield

    server = Server(
        uvicorn.Config(
            receiver_app(rt.store, tenants, s.webhook_secret),
            host=s.webhook_host,
            port=s.webhook_port,
            log_level="warning",
            access_log=False,
        )
    )
    announce(
        f"duvi run: transfers every {s.sync_interval_minutes} min; webhooks on "
        f"http://{s.webhook_host}:{s.webhook_port}/webhooks/visma; ctrl+c stops"
    )

    async def stop_server() -> None:
        await stop.wait()
        server.should_exit = True

    try:
        await asyncio.gather(
            server.serve(), Runner(rt, connections=connections).run_forever(stop), stop_server()
        )
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
