from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from core.eventlog import EventLog, Level, LogFilter
from core.store import Store


@pytest.fixture
def log(tmp_path: Path):
    store = Store(tmp_path / "duvi.db")
    log = EventLog(store, batch_size=500, flush_interval=3600)
    yield log
    log.close()
    store.close()


def fill(log: EventLog, n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {
            "level": rng.choice(list(Level)),
            "department_id": rng.choice(["1", "2", "3", None]),
            "entity": rng.choice(["zreport", "invoice", "product", None]),
            "run_id": rng.choice([1, 2, None]),
            "message": f"event {i} " + rng.choice(["posted batch", "VAT missing", "timeout"]),
        }
        rows.append(row)
        log.emit(
            row["level"],
            row["message"],
            department_id=row["department_id"],
            entity=row["entity"],
            run_id=row["run_id"],
        )
    log.flush()
    for i, row in enumerate(rows, start=1):
        row["id"] = i
    return rows


def test_events_are_buffered_then_committed_in_one_batch(log: EventLog) -> None:
    statements: list[str] = []
    log.store.conn.set_trace_callback(statements.append)
    for i in range(300):
        log.info(f"e{i}")
    assert log.count() == 0  # nothing written yet: buffered
    assert log.flush() == 300
    assert log.count() == 300
    assert sum(1 for s in statements if s.startswith("COMMIT")) == 1


def test_a_full_buffer_flushes_by_itself(log: EventLog) -> None:
    for i in range(501):
        log.info(f"e{i}")
    assert log.count() == 500


def test_below_min_level_is_dropped(tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        log = EventLog(store, min_level=Level.INFO)
        log.debug("noise")
        log.info("kept")
        log.close()
        assert [e.message for e in log.page()] == ["kept"]


FILTERS = [
    LogFilter(),
    LogFilter(department_id="2"),
    LogFilter(min_level=Level.ERROR),
    LogFilter(department_id="1", min_level=Level.WARNING),
    LogFilter(entity="zreport", run_id=2),
    LogFilter(text="VAT"),
    LogFilter(text="timeout", department_id="3", min_level=Level.ERROR),
]


@pytest.mark.parametrize("flt", FILTERS, ids=str)
def test_keyset_pages_walk_exactly_the_filtered_events(log: EventLog, flt: LogFilter) -> None:
    rows = fill(log, 1500)

    def keep(r: dict) -> bool:
        return (
            (flt.department_id is None or r["department_id"] == flt.department_id)
            and (flt.min_level is None or r["level"] >= flt.min_level)
            and (flt.entity is None or r["entity"] == flt.entity)
            and (flt.run_id is None or r["run_id"] == flt.run_id)
            and (flt.text is None or flt.text in r["message"])
        )

    expected = [r["id"] for r in reversed(rows) if keep(r)]
    seen: list[int] = []
    before = None
    while True:
        page = log.page(flt, before_id=before, limit=37)
        seen += [e.id for e in page]
        if len(page) < 37:
            break
        before = page[-1].id
    assert seen == expected
    assert expected  # the filter matched something, so the test means something


def test_since_returns_newer_events_oldest_first(log: EventLog) -> None:
    fill(log, 100)
    got = log.since(LogFilter(), 95)
    assert [e.id for e in got] == [96, 97, 98, 99, 100]


def test_text_filter_takes_any_input(log: EventLog) -> None:
    fill(log, 50)
    for q in ['"', "NOT", "a OR", "*", "(", "ø'æ", "NEAR(", ""]:
        log.page(LogFilter(text=q or None))  # no FTS syntax error reaches the caller


def test_a_failed_flush_keeps_the_events(log: EventLog, monkeypatch: pytest.MonkeyPatch) -> None:
    log.info("precious")

    class Broken:
        def __enter__(self):
            raise sqlite3.OperationalError("disk I/O error")

        def __exit__(self, *a):
            return False

    monkeypatch.setattr(log.store, "write", lambda: Broken())
    with pytest.raises(sqlite3.OperationalError):
        log.flush()
    monkeypatch.undo()
    assert log.flush() == 1
    assert [e.message for e in log.page()] == ["precious"]


def test_background_flush_delivers_without_explicit_flush(tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        log = EventLog(store, flush_interval=0.01)
        log.info("soon visible")
        # wait on the flusher's work, not on the clock: poll the condition with a bound
        for _ in range(500):
            if log.count():
                break
            log._writer._wake.wait(0.01)
        assert log.count() == 1
        log.close()


def test_a_closed_log_and_store_are_not_kept_alive(tmp_path: Path) -> None:
    """The console opens a runtime per run-now and the runner per round: once closed, the
    writer, its flusher thread and the store (with its SQLite connection) must be freed, or
    a long-running process grows with every run."""
    import gc
    import threading
    import weakref

    threads = threading.active_count()
    stores: list[weakref.ref[Store]] = []
    for i in range(5):
        store = Store(tmp_path / "duvi.db")
        log = EventLog(store, flush_interval=0.01)
        log.info(f"run {i}")  # starts the flusher, as any run does
        log.close()
        store.close()
        stores.append(weakref.ref(store))
        del store, log
    gc.collect()
    assert [ref for ref in stores if ref() is not None] == []
    assert threading.active_count() == threads


# -- runs: every event of a run carries its id ------------------------------------------------


async def test_each_task_s_run_marks_its_own_events(log: EventLog) -> None:
    """Two departments' runs at once on one event loop (the console's): each event carries the
    id of the run whose task emitted it, whichever code emits it; a run inside a run is that
    run; outside any run, no id."""
    import asyncio

    async def department(dept: str, gate: asyncio.Event, other: asyncio.Event) -> int:
        with log.run(dept, "all", origin="console") as run_id:
            log.info("first", department_id=dept)
            gate.set()
            await other.wait()  # the other run has started (and set its id) meanwhile
            with log.run(dept, "transfers") as inner:
                assert inner == run_id
                log.info("second", department_id=dept)
        return run_id

    a, b = asyncio.Event(), asyncio.Event()
    one, two = await asyncio.gather(department("1", a, b), department("2", b, a))
    log.info("outside")
    log.flush()
    assert one != two
    events = {(e.department_id, e.message): e.run_id for e in log.page(limit=10)}
    assert events == {
        ("1", "first"): one,
        ("1", "second"): one,
        ("2", "first"): two,
        ("2", "second"): two,
        (None, "outside"): None,
    }
    assert [e.message for e in log.page(LogFilter(run_id=one))] == ["second", "first"]
    runs = log.store.query("SELECT id, department_id, entity, trigger, state FROM sync_runs")
    assert runs == [
        {"id": one, "department_id": "1", "entity": "all", "trigger": "console", "state": "ok"},
        {"id": two, "department_id": "2", "entity": "all", "trigger": "console", "state": "ok"},
    ]


def test_a_run_that_fails_is_recorded_as_failed(log: EventLog) -> None:
    with pytest.raises(RuntimeError), log.run("1", "import saft") as run_id:
        raise RuntimeError("disk full")
    row = log.store.query("SELECT state, error FROM sync_runs WHERE id = ?", [run_id])[0]
    assert row == {"state": "failed", "error": "RuntimeError: disk full"}
    assert log.run_exists(run_id) and not log.run_exists(run_id + 1)


# -- a repeated warning is logged once per state ------------------------------------------------


def warned(log: EventLog) -> list[str]:
    log.flush()
    return [e.message for e in reversed(log.page(LogFilter(min_level=Level.WARNING)))]


def test_a_repeated_warning_is_logged_once_per_state(log: EventLog) -> None:
    def sweep(*found: tuple[str, str]) -> None:
        with log.warnings_once("1", "product", "shared number") as once:
            for key, fingerprint in found:
                once.warn(key, fingerprint, f"{key} {fingerprint}")

    sweep(("a", "x"), ("b", "y"))
    assert warned(log) == ["a x", "b y"]
    sweep(("a", "x"), ("b", "y"))  # the same state: nothing new
    assert warned(log) == ["a x", "b y"]
    sweep(("a", "x2"), ("b", "y"))  # a changed
    assert warned(log)[2:] == ["a x2"]
    sweep(("a", "x2"))  # b was resolved: forgotten
    sweep(("a", "x2"), ("b", "y"))  # and it came back: logged again
    assert warned(log)[3:] == ["b y"]
    with pytest.raises(RuntimeError), log.warnings_once("1", "product", "shared number") as once:
        once.warn("c", "z", "c z")
        raise RuntimeError("the pass stopped halfway")
    sweep(("a", "x2"), ("b", "y"), ("c", "z"))  # a cut pass forgot nothing, kept what it logged
    assert warned(log)[4:] == ["c z"]
    with log.warnings_once("2", "product", "shared number") as once:  # another department's
        once.warn("a", "x2", "dept 2 a")
    assert warned(log)[5:] == ["dept 2 a"]


@pytest.mark.slow  # three syncs of the world's 2,800 products: 19 s on a shared machine
async def test_a_second_sync_logs_no_repeated_product_warnings(installation) -> None:
    """The sandbox world's products that share a number: the first sync warns about each, the
    second about none, a changed one is warned about again."""
    from core.service import sync_master_data

    def product_warnings() -> list[str]:
        installation.rt.log.flush()
        return [
            e.message
            for e in installation.rt.log.page(LogFilter(min_level=Level.WARNING), limit=10_000)
            if e.message.startswith("product number")
        ]

    async def sync() -> None:
        await sync_master_data(
            installation.rt, "1", "products", connections=installation.connections
        )

    await sync()
    first = len(product_warnings())
    assert first > 10
    await sync()
    assert len(product_warnings()) == first  # the second sync: none repeated
    products = installation.sandbox.duell.state.products
    shared = next(
        p
        for p in products.values()
        if sum(o["product_number"] == p["product_number"] for o in products.values()) == 2
    )
    new_id = max(products) + 1
    products[new_id] = {**shared, "product_id": new_id}  # a third product with that number
    await sync()
    again = product_warnings()[: len(product_warnings()) - first]  # newest first
    assert len(again) == 3  # the group's three products, now three of them
    assert all(f"product number {shared['product_number']} is used by 3" in m for m in again)


def test_a_run_whose_steps_logged_errors_is_recorded_as_failed(log: EventLog) -> None:
    """A sync goes on with its other steps after one fails: the run is not "ok" for that."""
    with log.run("1", "all") as run_id:
        log.info("zreports: 3 sent", department_id="1")
        log.error("invoices: Visma answered 500\nthe body", department_id="1")
        log.error("stock: timed out", department_id="1")
    row = log.store.query("SELECT state, error FROM sync_runs WHERE id = ?", [run_id])[0]
    assert row == {
        "state": "failed",
        "error": "2 error(s) logged; the first: invoices: Visma answered 500",
    }
    with log.run("1", "all") as quiet:
        log.warning("product 10-1 has no price", department_id="1")
    row = log.store.query("SELECT state, error FROM sync_runs WHERE id = ?", [quiet])[0]
    assert row == {"state": "ok", "error": None}
