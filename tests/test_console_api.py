"""The console's one engine handle (core/api.py): a console opens the store once and starts one
event loop however many screens it opens, its worker threads share them safely, and both are
closed when the console ends."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from core.api import ConsoleApi
from core.config import load_settings
from core.readmodels import JournalPreview, LogQuery
from core.runtime import Runtime
from tui.app import DuviApp


class Opened:
    """Counts the SQLite connections made to one database file and the event loops made, by
    wrapping the standard library's constructors (the calls themselves are real)."""

    def __init__(self, database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.connections = 0
        self.loops = 0
        connect, new_loop = sqlite3.connect, asyncio.new_event_loop

        def counting_connect(path: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
            if Path(path) == database:
                self.connections += 1
            return connect(path, *args, **kwargs)

        def counting_new_loop() -> asyncio.AbstractEventLoop:
            self.loops += 1
            return new_loop()

        monkeypatch.setattr(sqlite3, "connect", counting_connect)
        # asyncio.run() makes its loop through asyncio.events; ConsoleApi through asyncio.
        monkeypatch.setattr(asyncio, "new_event_loop", counting_new_loop)
        monkeypatch.setattr(asyncio.events, "new_event_loop", counting_new_loop)


async def settle(app: DuviApp, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "duvi-console-engine"]


async def test_the_console_opens_the_store_once_and_starts_one_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tui.screens.log import LogScreen
    from tui.screens.transfers import TransfersScreen

    settings = load_settings()
    with Runtime.open(settings):  # the database exists before the count starts
        pass
    opened = Opened(settings.database, monkeypatch)
    app = DuviApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)  # the first start sets the sandbox's departments up
        await pilot.press("r")  # a run: transfers to show (an async engine call)
        await settle(app, pilot)
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TransfersScreen) and len(screen.rows) > 30
        previews: list[str] = []
        for _ in range(4):  # Enter on four rows, one after the other
            await pilot.press("enter")
            await settle(app, pilot)
            previews.append(str(app.screen.query_one("#text-body").render()))
            await pilot.press("escape", "j")
        assert all("Total" in p for p in previews) and len(set(previews)) == 4
        await pilot.press("w")  # what Visma was told
        await settle(app, pilot)
        await pilot.press("escape", "escape")
        for key in ("v", "m", "d", "c", "s"):  # VAT and accounts read Visma; doctor too
            await pilot.press(key)
            await settle(app, pilot)
            await pilot.press("escape")
            await settle(app, pilot)
        await pilot.press("l", "f")  # the log, following
        await settle(app, pilot)
        log = app.screen
        assert isinstance(log, LogScreen) and log.following
        for _ in range(3):
            log.poll()  # what the follow timer does every second
            await settle(app, pilot)
        assert engine_threads()  # the handle's loop runs while the console does
        assert opened.connections == 1
        assert opened.loops == 1
    assert opened.connections == 1 and opened.loops == 1
    assert engine_threads() == []  # closed with the app
    assert app.api is not None
    with pytest.raises(RuntimeError, match="closed"):
        app.api.transfers("1")


def test_worker_threads_share_the_handle_at_once() -> None:
    """Reads, audited writes and async engine calls (Visma on the sandbox) from several threads
    at the same moment, through one store connection and one loop."""
    api = ConsoleApi(load_settings())
    start = threading.Barrier(6)
    accounts = [f"77{i:02d}" for i in range(12)]

    def save(i: int) -> str:
        if i < 2:  # the first two start with the readers; the rest queue behind them
            start.wait()
        return api.save_accounts("1", {"rounding": accounts[i]})

    def read(kind: str) -> Any:
        start.wait()
        return {
            "status": api.status,
            "transfers": lambda: api.transfers("1"),
            "log": lambda: api.log_page(LogQuery(), limit=50),
            "accounts": lambda: api.account_editor("1"),
        }[kind]()

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            jobs = [pool.submit(save, i) for i in range(len(accounts))]
            jobs += [pool.submit(read, k) for k in ("status", "transfers", "log", "accounts")]
            results = [j.result(timeout=120) for j in jobs]
        assert results[: len(accounts)] == ["account map saved (1 change)"] * len(accounts)
        statuses, transfers, _, editor = results[len(accounts) :]
        assert [d.id for d in statuses] == ["1", "2", "3"] and transfers == []
        assert editor.error is None and editor.accounts  # Visma's chart, read on the loop
        audit = api.rt.store.query(
            "SELECT after FROM audit WHERE action = 'account_map.set' ORDER BY id"
        )
        assert len(audit) == len(accounts)
        rounding = api.account_editor("1")
        assert [r.account for r in rounding.rows if r.key == "rounding"] == [
            audit[-1]["after"].strip('"')
        ]
    finally:
        api.close()
    assert engine_threads() == []


def test_a_preview_is_a_read_model_not_a_dict() -> None:
    api = ConsoleApi(load_settings())
    try:
        api.run("1", "zreports")
        key = api.transfers("1")[0].key
        preview = api.journal_preview(key)
        assert isinstance(preview, JournalPreview)
        assert preview.debit == preview.credit and preview.state == "confirmed"
        assert sum(ln.debit for ln in preview.lines) == preview.debit
    finally:
        api.close()


def test_closing_the_handle_ends_an_engine_call_still_under_way() -> None:
    """The console quits while a call runs on the loop: the call is cancelled (its `finally`
    blocks run), and the worker waiting for it is told instead of waiting for good."""
    from concurrent.futures import CancelledError

    from core.api import ConsoleClosedError

    api = ConsoleApi(load_settings())
    started, cleaned_up = threading.Event(), threading.Event()

    async def forever(rt: Runtime) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.set()

    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(api._call, forever)
        assert started.wait(60)
        api.close()
        with pytest.raises((CancelledError, ConsoleClosedError)):
            waiting.result(timeout=60)
    assert cleaned_up.is_set() and engine_threads() == []
    with pytest.raises(ConsoleClosedError):
        api.status()
