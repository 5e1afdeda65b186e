"""`python -m core.round_worker`: a worker process of a runner round spread over several
processes (core/round_workers.py says why and how). Started by the runner, never by hand. It is
an entry point of its own, like the command line: it builds its Connections the one way every
entry point does (core.boot), which the engine itself never imports; and it takes SIGINT and
SIGTERM over before it imports anything heavy."""

from __future__ import annotations

import signal

STOPPED: list[int] = []  # the signals that came before the worker's loop took them over
# First of all, before the imports (they take a while): a stop that comes while the worker is
# still starting ends its part of the round between departments too, instead of killing it.
for _sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_sig, lambda signum, _frame: STOPPED.append(signum))

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import BinaryIO, TextIO  # noqa: E402

from core import boot  # noqa: E402
from core.config import load_settings  # noqa: E402
from core.connections import Connections  # noqa: E402
from core.round_workers import line_of  # noqa: E402
from core.runner import Runner  # noqa: E402
from core.runtime import Runtime  # noqa: E402


def main() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not break a line
    settings = load_settings(**json.loads(sys.stdin.readline()))
    with boot.open_runtime(settings) as rt, boot.connections(rt) as connections:
        asyncio.run(serve(rt, connections, sys.stdin, answers))


async def serve(rt: Runtime, connections: Connections, requests: TextIO, answers: BinaryIO) -> None:
    """One part of a round per line read, its report one line back, until the input ends.
    SIGINT or SIGTERM: the departments at work finish, no other begins."""
    runner = Runner(rt, connections=connections)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if STOPPED:
        stop.set()
    while True:
        line = await asyncio.to_thread(requests.readline)
        if not line:  # the runner closed its end (or died): done
            return
        request = json.loads(line)
        part = await runner.run_group(request["departments"], request["slots"], stop)
        rt.log.flush()
        answers.write(line_of(part.to_wire()))


if __name__ == "__main__":
    main()
