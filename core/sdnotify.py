"""systemd's notify protocol, written out: one datagram of `KEY=VALUE` lines to the unix socket
named by NOTIFY_SOCKET (a leading `@` names an abstract socket). READY=1 once `duvi run`
serves, WATCHDOG=1 every half WatchdogSec while its event loop turns, STOPPING=1 on the way
out. Outside systemd (no NOTIFY_SOCKET) every call does nothing.

Written here rather than taken from the `sdnotify` package: the protocol is these few lines,
and the package reads neither WATCHDOG_USEC nor WATCHDOG_PID, which the pinger needs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

ENV_SOCKET = "NOTIFY_SOCKET"


def notify(state: str) -> bool:
    """Send `state` (e.g. "READY=1") to systemd; False when not under systemd or it failed."""
    address = os.environ.get(ENV_SOCKET)
    if not address or address[0] not in "/@":
        return False
    target = "\0" + address[1:] if address[0] == "@" else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), target)
    except OSError:  # systemd gone or the socket replaced: never the end of the runner
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec), or None when systemd asks for
    none, or asks another process (WATCHDOG_PID is not ours)."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1e6 / 2


async def watchdog(stop: asyncio.Event) -> None:
    """Ping WATCHDOG=1 until `stop` is set. The pings come from the event loop that serves the
    receiver and runs the rounds: a loop blocked for WatchdogSec gets the runner restarted."""
    interval = watchdog_interval()
    if interval is None:
        return
    while not stop.is_set():
        notify("WATCHDOG=1")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
