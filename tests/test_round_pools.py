"""A runner round's connections (core/http.py's RoundPools): a department's clients send through
its lane's pools, which the next department's turn reuses, so the round opens a lane's
connections for each department at work at once, not four clients' worth a department; and
they are all closed when the round ends. Counted by the server's side: a TCP relay in front
of the served scale world sees every connection the round opens and when each is closed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import warnings
from pathlib import Path

import pytest

from core import boot
from core.config import load_settings
from core.departments import Departments
from core.http import HttpService, service_config
from core.runner import Runner
from core.runtime import Runtime
from core.sandbox.scale_world import generate_scale
from tests.served import served_sandbox

pytestmark = pytest.mark.slow

CUSTOMERS, DEPARTMENTS, SLOTS = 3, 12, 2
WORLD = ("--customers-n", str(CUSTOMERS), "--departments-n", str(DEPARTMENTS), "--z-initial", "1")
GUARD = 30.0  # seconds: a bound on a wait that the code under test ends, never a timing


class Relay:
    """Forwards every connection to the sandbox's port and counts them: opened, open now."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.opened = 0
        self.open = 0
        self.all_closed = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        self.open += 1
        self.all_closed.clear()
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(ConnectionError, OSError):
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self.open -= 1
            if not self.open:
                self.all_closed.set()

    async def aclose(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


def _set_up(monkeypatch: pytest.MonkeyPatch, base: str) -> Runtime:
    for name, path in (("VISMA", "/visma"), ("CONNECT", "/connect"), ("DUELL", "/duell/v1")):
        monkeypatch.setenv(f"DUVI_{name}_BASE_URL", base + path)
    monkeypatch.setenv("DUVI_RUNNER_CONCURRENCY", str(SLOTS))
    rt = boot.open_runtime(load_settings(sandbox=False))
    world = generate_scale(0, customers_n=CUSTOMERS, departments_n=DEPARTMENTS)
    assert boot.set_up_scale_world(Departments(rt.store, rt.secrets), world) == DEPARTMENTS
    return rt


async def test_a_round_shares_one_pool_per_service_and_closes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with served_sandbox(*WORLD) as served:
        relay = Relay(int(served.rsplit(":", 1)[1]))
        base = f"http://127.0.0.1:{await relay.start()}"
        rt = _set_up(monkeypatch, base)
        try:
            with boot.connections(rt) as connections, warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always", ResourceWarning)
                runner = Runner(rt, connections=connections)
                try:
                    report = await runner.run_once()
                finally:
                    await runner.aclose()
                # Every connection the round opened is closed once it returns (the relay
                # sees the end of each; bounded wait, not a timing).
                await asyncio.wait_for(relay.all_closed.wait(), GUARD)
                gc.collect()
            assert report.errors == {}
            assert sorted(report.transferred, key=int) == [
                str(d) for d in range(1, DEPARTMENTS + 1)
            ]
            # A department's first round: a Visma Connect token, Visma, DUELL (and a login
            # for each DUELL account): four clients a department, each opening connections
            # of its own before (39 here). Now a lane for each department at work at once
            # (SLOTS: none waits for budget here), a pool per service in each (Connect,
            # Visma, DUELL) keeping idle what one client sends at once (concurrency): 24 at
            # most, 6 seen.
            lanes_at_most = SLOTS * 3 * rt.settings.concurrency
            assert relay.opened <= lanes_at_most < 39
            assert relay.open == 0
            assert not [w for w in seen if issubclass(w.category, ResourceWarning)]
        finally:
            rt.close()
            await relay.aclose()


async def test_a_lane_serves_one_department_after_another_and_only_in_its_loop() -> None:
    """A department's clients send through its lane's pools; the next department's turn gets
    the same lane and its connections. A thread of the department's (it inherits the turn's
    context) runs its own loop: the lane belongs to the round's loop, so that client gets
    none (the console runs its work in loops of its own the same way)."""
    from core.http import round_pools

    settings = load_settings()
    config = service_config("visma", "http://127.0.0.1:9", settings)
    async with round_pools() as pools:
        with pools.lane() as lane:
            assert lane is not None
            first = HttpService(config)
            assert first.transport is lane.transport(config) is not None
            found: list[object] = []

            def elsewhere() -> None:
                async def make() -> None:
                    service = HttpService(config)
                    found.append(service.transport)
                    await service.aclose()

                asyncio.run(make())

            await asyncio.to_thread(elsewhere)
            thread = threading.Thread(target=elsewhere)  # no context of the round's at all
            thread.start()
            thread.join(GUARD)
            assert found == [None, None]
            await first.aclose()  # a client's close leaves the lane's pool open
        with pools.lane() as again:  # the next department: the same lane, its connections
            assert again is lane
            second = HttpService(config)
            assert second.transport is first.transport
            await second.aclose()
            with pools.lane() as another:  # one more at work meanwhile: a lane of its own
                assert another is not None and another is not lane
    assert pools.closed and not pools.lanes and not lane.pools
    outside = HttpService(config)  # after the round: a client of its own again
    assert outside.transport is None
    await outside.aclose()
