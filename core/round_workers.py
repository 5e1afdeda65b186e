"""A runner round spread over several processes (`runner_processes`, core/round_split.py):
the runner works on one group of departments itself and hands each other group to a worker
process, which does exactly what the runner does with its own (core/runner.py's
`Runner.run_group`) and answers with its part of the round's report.

Why processes: the runner is one Python thread, and at hundreds of departments a round needs
more than one core's worth of CPU (README: A runner round at scale). Nothing else changes:
every department still works under its lease (core/leases.py), every request of a company
still paces against one shared window in the store (core/budgets.py), and the ledger's
write-before-send holds in whichever process posts.

A worker lives as long as the runner, so it keeps its tokens across rounds as the runner does
(core/connections.py). It gets the runner's settings once, on its stdin (secrets included: a
pipe between the two processes, never an argument or the environment), then one line a round
(its departments and its slots) and answers with one line (its part of the report). A worker
that dies leaves its departments' turns reported as errors; their leases are free as soon as
the lease table sees its process gone (core/leases.py), and the next round starts a new one.

SIGTERM or SIGINT to a worker (systemd signals the whole service, a terminal its process
group) ends its part of the round between departments, as the runner's own; the runner
passes its stop on to its workers too."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from core.config import Settings
    from core.runner import RoundReport

WORKER_MODULE = "core.round_worker"  # the worker's entry (it builds the Connections)
LINE_LIMIT = 64 * 1024 * 1024  # bytes of one answer: a part of a round, outcomes included
STOP_GRACE = 120.0  # seconds a worker may take to finish its departments once stopped


def settings_wire(settings: Settings) -> dict[str, Any]:
    """The settings as a worker rebuilds them: every field given (so nothing is read again
    from a `.env` or config file that may have changed since), secrets in the clear."""
    wire = settings.model_dump(mode="json")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            wire[name] = value.get_secret_value()
    return wire


class Worker:
    """One worker process, started on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.proc: asyncio.subprocess.Process | None = None

    async def _started(self) -> asyncio.subprocess.Process:
        if self.proc is None or self.proc.returncode is not None:
            root = str(Path(__file__).resolve().parent.parent)  # where `core` is importable
            path = os.environ.get("PYTHONPATH")
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, path) if p)}
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                WORKER_MODULE,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
                limit=LINE_LIMIT,
            )
            assert self.proc.stdin is not None
            self.proc.stdin.write(line_of(settings_wire(self.settings)))
        return self.proc

    async def run(
        self, departments: list[str], slots: int, stop: asyncio.Event | None
    ) -> RoundReport:
        from core.runner import RoundReport

        proc = await self._started()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(line_of({"departments": departments, "slots": slots}))
            await proc.stdin.drain()
            answer = asyncio.ensure_future(proc.stdout.readline())
            if stop is not None:
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({answer, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not answer.done():  # pass the stop on: it begins no further department
                    with contextlib.suppress(ProcessLookupError):
                        proc.send_signal(signal.SIGTERM)
                stopping.cancel()
            line = await answer
        except (ConnectionError, OSError):  # it died before it read: as below
            line = b""
        if not line.endswith(b"\n"):  # nothing, or cut off: it died while answering
            code = await proc.wait()
            return _lost(departments, code)
        return RoundReport.from_wire(json.loads(line))

    async def aclose(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()  # its end of input: it returns once its round is done
        try:
            await asyncio.wait_for(proc.wait(), STOP_GRACE)
        except TimeoutError:
            proc.kill()
            await proc.wait()


class RoundWorkers:
    """The runner's worker processes, one per group of a round beyond its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers: list[Worker] = []

    async def run(
        self, k: int, departments: list[str], slots: int, stop: asyncio.Event | None = None
    ) -> RoundReport:
        while len(self.workers) <= k:
            self.workers.append(Worker(self.settings))
        return await self.workers[k].run(departments, slots, stop)

    async def aclose(self) -> None:
        await asyncio.gather(*(w.aclose() for w in self.workers))
        self.workers = []


def line_of(obj: Any) -> bytes:
    """One line of the runner's and its workers' protocol."""
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


def _lost(departments: list[str], code: int | None) -> RoundReport:
    """A worker that ended without answering: its departments' turns are errors this round
    (not failures to back off from: the services were not the trouble)."""
    from core.runner import RoundReport

    error = (
        f"the round's worker process ended (exit code {code}) before it reported; "
        "the department is tried again next round"
    )
    return RoundReport(errors=dict.fromkeys(departments, error))
