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
