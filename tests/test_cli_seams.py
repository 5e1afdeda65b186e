"""What the command line calls in the engine, tested without it: the log follower, the audit
query and the `duvi run` daemon."""

from __future__ import annotations

import asyncio
import signal
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core import boot, daemon
from core.audit import entries_since, record
from core.config import load_settings
from core.errors import ConfigError
from core.eventlog import EventLog, Level, LogFilter
from core.runtime import Runtime
from core.store import Store


def test_follow_yields_what_is_there_then_what_arrives(tmp_path: Path) -> None:
    store = Store(tmp_path / "duvi.db")
    log = EventLog(store, flush_interval=3600)
    log.info("before", department_id="1")
    log.info("other department", department_id="2")
    log.flush()
    waits: list[float] = []

    def wait(seconds: float) -> None:  # instead of sleeping: something new is written
        waits.append(seconds)
        log.warning(f"arrived {len(waits)}", department_id="1")
        log.flush()

    try:
        follower = log.follow(LogFilter(department_id="1"), after_id=0, wait=wait)
        got = [next(follower) for _ in range(3)]
        assert [(e.message, e.level) for e in got] == [
            ("before", Level.INFO),
            ("arrived 1", Level.WARNING),
            ("arrived 2", Level.WARNING),
        ]
        assert waits == [0.5, 0.5]  # it polls only when nothing new was there
    finally:
        log.close()
        store.close()


def test_audit_entries_of_a_window_and_a_department(home: Path) -> None:
    with Runtime.open(load_settings()) as rt:
        record(rt.store, "department.add", department_id="1", target="1")
        record(rt.store, "vat.map", department_id="2", target="15")
        old = (datetime.now(UTC) - timedelta(days=40)).isoformat(timespec="milliseconds")
        with rt.store.write() as db:
            db["audit"].insert(
                {"ts": old.replace("+00:00", "Z"), "actor": "ola", "action": "old.change"}
            )
        recent = entries_since(rt.store, timedelta(days=30))
        assert [r["action"] for r in recent] == ["department.add", "vat.map"]
        assert [r["action"] for r in entries_since(rt.store, timedelta(days=30), "2")] == [
            "vat.map"
        ]
        assert len(entries_since(rt.store, timedelta(days=41))) == 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_serve_forever_stops_on_sigterm_and_gives_the_signal_back(home: Path) -> None:
    port = free_port()
    said: list[str] = []

    def announce(line: str) -> None:
        said.append(line)
        signal.raise_signal(signal.SIGTERM)  # as `kill` would; duvi's handler must take it

    before = signal.getsignal(signal.SIGTERM)
    with Runtime.open(load_settings(webhook_port=port)) as rt, boot.connections(rt) as conns:
        await asyncio.wait_for(daemon.serve_forever(rt, conns, announce=announce), timeout=60)
    assert said == [
        f"duvi run: transfers every 5 min; webhooks on http://127.0.0.1:{port}/webhooks/visma;"
        " ctrl+c stops"
    ]
    assert signal.getsignal(signal.SIGTERM) == before


async def test_serve_forever_says_the_old_webhook_secret_is_now_the_secret_path(
    home: Path,
) -> None:
    port = free_port()
    said: list[str] = []

    def announce(line: str) -> None:
        said.append(line)
        signal.raise_signal(signal.SIGTERM)

    settings = load_settings(webhook_port=port, webhook_secret="old-h3ader-secret")
    with Runtime.open(settings) as rt, boot.connections(rt) as conns:
        await asyncio.wait_for(daemon.serve_forever(rt, conns, announce=announce), timeout=60)
    assert said[0] == (
        f"duvi run: transfers every 5 min; webhooks on http://127.0.0.1:{port}"
        "/webhooks/visma/<webhook_path_secret>; ctrl+c stops"
    )
    assert said[1].startswith("duvi run: webhook_secret is no longer a header")
    assert "old-h3ader-secret" not in " ".join(said)


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"read_only": True}, "read-only mode"),
        ({"webhook_host": "0.0.0.0"}, "with neither a signature key nor a secret path"),
    ],
)
async def test_serve_forever_refuses_before_serving(home: Path, settings, refusal: str) -> None:
    said: list[str] = []
    with (
        Runtime.open(load_settings(**settings)) as rt,
        boot.connections(rt) as conns,
        pytest.raises(ConfigError, match=refusal),
    ):
        await daemon.serve_forever(rt, conns, announce=said.append, stop=asyncio.Event())
    assert said == []


async def test_a_stop_event_ends_it_without_touching_signals(home: Path) -> None:
    stop = asyncio.Event()
    before = signal.getsignal(signal.SIGINT)
    with Runtime.open(load_settings(webhook_port=free_port())) as rt, boot.connections(rt) as conns:
        await asyncio.wait_for(
            daemon.serve_forever(rt, conns, announce=lambda _: stop.set(), stop=stop), timeout=60
        )
    assert signal.getsignal(signal.SIGINT) == before
