"""The ledger at scale (issue 21): 10 years x 1,000 departments of Z-reports (3.65 M rows).

    uv run python bench/ledger_scale.py [--departments 1000] [--years 10] [--runs 7]

The ledger is generated straight into SQLite (executemany) on the schema the migrations make
(core/store.py; nothing here writes a schema), a Z-report per department and day with its
sales and payments, as the ledger keeps them (rows are never deleted); a few failed or waiting.
Kept under /tmp/duvi-ledger-scale-D-Y for the next run (delete it to generate again).

For one department (3,650 documents), median of --runs, each read on the warm store:
- the transfers list, as the console's list and `duvi transfers` read it (core.transferview);
- the settlement calendar of the latest month (core.calendar);
- the console's first page of it (core.transferview.transfer_page);
- `duvi transfers --json --dept N`: the command run in-process (typer's CliRunner: parsing,
  the store opened, the rows read, filtered, sorted and written as JSON), and, for the record,
  as a process (which adds the interpreter's own start).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAST_DAY = date(2026, 11, 27)


def build(home: Path, departments: int, years: int) -> dict[str, float]:
    from core.boot import ensure_installation
    from core.config import load_settings
    from core.ledger_facts import fact_columns
    from core.runtime import Runtime
    from core.store import Store, utcnow

    took: dict[str, float] = {}
    t0 = time.perf_counter()
    settings = load_settings(home=home, sandbox=True)
    with Runtime.open(settings) as rt:
        ensure_installation(rt)  # migrations, departments 1 and 2
    store = Store(settings.database)
    now = utcnow()
    with store.write():
        store.conn.executemany(
            "INSERT OR IGNORE INTO departments (id, name, created_at, updated_at) "
            "VALUES (?, ?, ?, ?)",
            [(str(d), f"Butikk {d}", now, now) for d in range(1, departments + 1)],
        )
    rng = random.Random(10)
    days = [LAST_DAY - timedelta(days=i) for i in range(365 * years)][::-1]
    insert = (
        "INSERT INTO ledger (key, department_id, kind, source_id, state, visma_number, "
        "attempts, payload, last_error, created_at, updated_at, day, z_number, register, "
        "amount) VALUES (?, ?, 'zreport', ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    for d in range(1, departments + 1):
        rows = []
        for z, day in enumerate(days, start=1):
            gross = rng.randint(1_000, 9_000_000)
            state = "confirmed" if rng.random() > 0.002 else rng.choice(["failed", "attention"])
            payload = json.dumps(
                {
                    "department_id": str(d),
                    "z_number": z,
                    "register_id": "1",
                    "business_date": day.isoformat(),
                    "closed_at": f"{day.isoformat()}T21:05:00",
                    "sales": [{"rate": "25", "gross": f"{gross / 100:.2f}"}],
                    "payments": [{"type": "card", "amount": f"{gross / 100:.2f}"}],
                }
            )
            stamp = f"{day.isoformat()}T21:10:00Z"
            rows.append(
                (
                    f"DUELL-Z-{d}-{z}",
                    str(d),
                    str(z),
                    state,
                    f"{z:06d}" if state == "confirmed" else None,
                    payload,
                    "VismaId: 1. Branch '9' cannot be found" if state == "failed" else None,
                    stamp,
                    stamp,
                    # the list's facts, as Ledger.register writes them (schema version 14)
                    *fact_columns("zreport", payload),
                )
            )
        with store.write():
            store.conn.executemany(insert, rows)
    took["ledger_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.conn.execute("ANALYZE")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    took["analyze_s"] = time.perf_counter() - t0
    took["rows"] = store.query("SELECT count(*) AS n FROM ledger")[0]["n"]
    store.close()
    return took


def prepared(departments: int, years: int, base: Path | None) -> tuple[Path, dict[str, float]]:
    base = base or Path(f"/tmp/duvi-ledger-scale-{departments}-{years}")
    home, done = base / "home", base / "generated.json"
    if done.exists():
        return home, upgraded(home, done)
    if base.exists():
        import shutil

        shutil.rmtree(base)
    base.mkdir(parents=True)
    took = build(home, departments, years)
    took["db_mb"] = sum(p.stat().st_size for p in home.glob("*.db*")) / 1e6
    done.write_text(json.dumps(took))
    return home, took


def upgraded(home: Path, done: Path) -> dict[str, float]:
    """A ledger kept from an older schema is migrated (timed: migration 14 fills the list's
    facts of every row) rather than generated again."""
    from core.migrations import SCHEMA_VERSION
    from core.store import Store

    took = json.loads(done.read_text())
    store = Store(home / "duvi.db", migrate=False)
    if store.version < SCHEMA_VERSION:
        t0, rows = time.perf_counter(), store.version
        store.migrate()
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        took[f"migrate_from_{rows}_s"] = time.perf_counter() - t0
        done.write_text(json.dumps(took))
    store.close()
    return took


# Each timed figure's median CPU time (ms), by the order timed() was called: this process's,
# and its children's (the command run as a process); on a machine shared with other work, CPU
# time shows what the wall time hides under the load.
CPU: list[float] = []


def _cpu_s() -> float:
    t = os.times()  # the children's in clock ticks (10 ms); this process's to the microsecond
    return time.process_time() + t.children_user + t.children_system


def timed(runs: int, fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, cpu, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), _cpu_s()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((_cpu_s() - c0) * 1000)
    CPU.append(statistics.median(cpu))
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--departments", type=int, default=1_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dept", default="500")
    parser.add_argument("--base", type=Path, help="where the ledger is kept (default /tmp/…)")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    home, took = prepared(args.departments, args.years, args.base)
    print(
        f"ledger: {took['rows']:,} rows ({args.departments:,} departments x {args.years} years "
        f"of Z-reports), {took['db_mb']:,.0f} MB; generated in {took['ledger_s']:.0f} s, "
        f"analyze {took['analyze_s']:.0f} s"
        + "".join(
            f"; migrated from schema version {k.split('_')[2]} in {v:.0f} s"
            for k, v in took.items()
            if k.startswith("migrate_from_")
        )
    )
    (home / "none.toml").touch(mode=0o600)
    os.environ["DUVI_HOME"], os.environ["DUVI_CONFIG"] = str(home), str(home / "none.toml")

    from typer.testing import CliRunner

    from core.calendar import settlement_calendar
    from core.cli import app
    from core.config import load_settings
    from core.runtime import Runtime
    from core.transferview import transfer_rows

    with Runtime.open(load_settings(home=home)) as rt:
        list_ms, rows = timed(args.runs, lambda: transfer_rows(rt.store, args.dept))
        list_cpu = CPU[-1]
        from core.transferview import transfer_page

        page_ms, _ = timed(args.runs, lambda: transfer_page(rt.store, args.dept, 100))
        page_cpu = CPU[-1]
        cal_ms, _ = timed(
            args.runs,
            lambda: settlement_calendar(rt.store, args.dept, today=LAST_DAY, month=None),
        )
        cal_cpu = CPU[-1]
        old_ms, _ = timed(
            args.runs,
            lambda: settlement_calendar(
                rt.store, args.dept, today=LAST_DAY, month=date(2019, 3, 1)
            ),
        )
        old_cpu = CPU[-1]
        from core.ledger import Ledger
        from core.transferview import _COLUMNS

        list_sql = _COLUMNS + " AND department_id = ? ORDER BY created_at, key"
        sql_ms, _ = timed(args.runs, lambda: rt.store.query(list_sql, [args.dept]))
        bad_ms, _ = timed(args.runs, lambda: Ledger(rt.store).unreadable(args.dept))
        plan = rt.store.query("EXPLAIN QUERY PLAN " + list_sql, [args.dept])
    assert isinstance(rows, list)
    runner = CliRunner()
    argv = ["transfers", "--json", "--dept", args.dept]
    cli_ms, result = timed(args.runs, lambda: runner.invoke(app, argv))
    cli_cpu = CPU[-1]
    # typer builds the click command of every duvi command on each invoke (a process once,
    # at its start): the command alone, that built once
    from unittest import mock

    from typer.main import get_command

    command = get_command(app)
    with mock.patch("typer.testing._get_command", lambda _: command):
        cmd_ms, again = timed(args.runs, lambda: runner.invoke(app, argv))
        cmd_cpu = CPU[-1]
    assert again.output == result.output  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    listed = len(json.loads(result.output))  # type: ignore[attr-defined]
    duvi = str(Path(sys.executable).with_name("duvi"))
    proc_ms, _ = timed(
        3, lambda: subprocess.run([duvi, *argv], capture_output=True, check=True, env=os.environ)
    )
    proc_cpu = CPU[-1]
    # the process's own start: the interpreter alone, then it and the command line's imports
    bare_ms, _ = timed(3, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    import_ms, _ = timed(
        3, lambda: subprocess.run([sys.executable, "-c", "import tui.cli, core.cli"], check=True)
    )
    import_cpu = CPU[-1]
    print(f"department {args.dept}: {len(rows):,} documents; its list's plan: {plan[0]['detail']}")
    print(
        f"transfers list (core.transferview): {list_ms:.0f} ms (CPU {list_cpu:.0f} ms; target "
        f"<= 50 ms), of which its "
        f"query of its columns {sql_ms:.0f} ms, the check for unreadable rows {bad_ms:.0f} ms "
        "(the rest builds a row object per document)"
    )
    print(
        f"the console's first page (transfer_page, 100 documents newest first, and the count): "
        f"{page_ms:.1f} ms (CPU {page_cpu:.1f} ms)"
    )
    print(
        f"settlement calendar, latest month: {cal_ms:.1f} ms (CPU {cal_cpu:.1f} ms); a month "
        f"seven years back {old_ms:.1f} ms (CPU {old_cpu:.1f} ms; target <= 50 ms)"
    )
    print(
        f"`duvi transfers --json --dept {args.dept}` ({listed:,} documents): in-process "
        f"{cli_ms:.0f} ms (CPU {cli_cpu:.0f} ms; target <= 50 ms), of which the command itself "
        f"(typer's command tree built once) {cmd_ms:.0f} ms (CPU {cmd_cpu:.0f} ms); as a "
        "process, interpreter start included, "
        f"{proc_ms:.0f} ms (CPU {proc_cpu:.0f} ms; the interpreter alone {bare_ms:.0f} ms; it "
        f"and the command line's imports {import_ms:.0f} ms, CPU {import_cpu:.0f} ms)"
    )


if __name__ == "__main__":
    main()
