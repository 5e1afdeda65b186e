"""Store benchmark: the log API against raw sqlite3.executemany, and reads at 1M events.

    uv run python bench/store_bench.py [--events 1000000]

Both writers insert the same rows into identical fresh databases (same schema, indexes and
full-text triggers), so the ratio measures what the log API itself costs.
"""

from __future__ import annotations

import argparse
import platform
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from core.eventlog import _INSERT, EventLog, Level, LogFilter
from core.store import Store, utcnow

WORDS = (
    "Z-report posted batch VAT missing customer timeout retry invoice product stock "
    "webhook Visma DUELL department conflict rounding BankAxept Vipps gift card"
).split()


def make_rows(n: int) -> list[tuple]:
    rng = random.Random(42)
    levels = [Level.DEBUG] * 20 + [Level.INFO] * 70 + [Level.WARNING] * 8 + [Level.ERROR] * 2
    ts = utcnow()
    return [
        (
            ts,
            int(rng.choice(levels)),
            str(rng.randint(1, 10)),
            rng.choice(("zreport", "invoice", "product", "customer", "stock")),
            i // 1000,
            " ".join(rng.choices(WORDS, k=8)) + f" #{i}",
            None,
            None,
        )
        for i in range(n)
    ]


def bench_api(path: Path, rows: list[tuple]) -> float:
    store = Store(path)
    log = EventLog(store, batch_size=5000, flush_interval=3600)
    t0 = time.perf_counter()
    for _ts, level, dept, entity, run, msg, *_ in rows:  # the public, per-event API
        log.emit(Level(level), msg, department_id=dept, entity=entity, run_id=run)
    log.flush()
    elapsed = time.perf_counter() - t0
    log.close()
    store.close()
    return elapsed


def bench_raw(path: Path, rows: list[tuple]) -> float:
    Store(path).close()  # same schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    t0 = time.perf_counter()
    for i in range(0, len(rows), 5000):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_INSERT, rows[i : i + 5000])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def timed(fn, repeat: int = 20) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    rows = make_rows(args.events)
    print(
        f"machine: {platform.machine()}, {platform.processor() or '?'}, "
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        raw_s = bench_raw(Path(tmp) / "raw.db", rows)
        api_path = Path(tmp) / "api.db"
        api_s = bench_api(api_path, rows)
        n = len(rows)
        print(f"raw executemany : {n / raw_s:>10,.0f} events/s ({raw_s:.1f} s)")
        print(f"log API         : {n / api_s:>10,.0f} events/s ({api_s:.1f} s)")
        print(f"ratio API/raw   : {raw_s / api_s:.0%}  (target >= 50%)")
        store = Store(api_path)
        log = EventLog(store)
        flt = LogFilter(department_id="3", min_level=Level.ERROR)
        page = log.page(flt, limit=100)
        assert len(page) == 100
        print(
            f"last 100 errors of department 3 : {timed(lambda: log.page(flt, limit=100)):.2f} ms"
            "  (target <= 5 ms)"
        )
        nxt = page[-1].id
        print(
            f"  next page (keyset)            : "
            f"{timed(lambda: log.page(flt, before_id=nxt, limit=100)):.2f} ms"
        )
        for q in ("Vipps", "webhook conflict", "#999999"):
            ms = timed(lambda q=q: log.page(LogFilter(text=q), limit=100), repeat=10)
            print(f"full-text {q!r:<20}: {ms:.2f} ms  (target <= 50 ms)")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = api_path.stat().st_size
        print(f"database file   : {size / 1e6:.0f} MB ({size / n:.0f} bytes/event)")
        log.close()
        store.close()


if __name__ == "__main__":
    main()
