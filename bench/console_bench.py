"""Console benchmark: start-up against an empty Textual app, and a tab switch, a log filter,
the settlement calendar, the transfers list (open, state filter, sort, date filter, a document)
and peak memory with a million events in the store and three years of one department's
documents in the ledger.

    uv run python bench/console_bench.py [--events 1000000] [--runs 5]

Start-up is process start to first frame, in a real pseudo-terminal (120x36): the time until
the screen shows the app's first words. Both apps start in the same run, interleaved, and the
median of `--runs` is taken; beside the wall time, the CPU time the process (all its threads)
had used by then, which other work on the machine disturbs far less. Both run from compiled
bytecode, as an installed app does: PYTHONDONTWRITEBYTECODE is dropped and an untimed first start
of each writes it (without it each start compiles its sources, which measures the compiler).

The rest runs the console under Pilot in a child process on a sandbox data directory with
`--events` events and department 1's ledger (three registers' Z-reports, three invoices and a
stock issue a day for three years) added, and reports that process's peak RSS.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from contextlib import suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
EMPTY_APP = (
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Empty(App):\n"
    "    def compose(self):\n"
    "        yield Static('empty app ready')\n"
    "Empty().run()\n"
)


def cpu_seconds(pid: int) -> float:
    """The CPU time a process's threads have had so far (the scheduler's own account)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with suppress(OSError):  # a thread that just ended
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
    return total / 1e9


def first_frame(
    argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 60
) -> tuple[float, float]:
    """Seconds from fork to the first output that, without escape codes, contains `marker`,
    and the CPU seconds the process had used by then."""
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the app, with the pty as its terminal
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if marker in ANSI.sub(b"", seen):
                return time.perf_counter() - t0, cpu_seconds(pid)
        raise RuntimeError(f"{argv} never showed {marker!r}: {ANSI.sub(b'', seen)[-400:]!r}")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def start_up(runs: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="duvi-bench-start-"))
    (home / "config.toml").touch(mode=0o600)  # DUVI_CONFIG must name a file
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "DUVI_HOME": str(home / "home"),
        "DUVI_CONFIG": str(home / "config.toml"),
    }
    py = sys.executable
    duvi = [str(Path(py).with_name("duvi"))]  # the entry point a person runs
    first_frame(duvi, b"Run all", env)  # sets the sandbox up, writes bytecode: not timed
    first_frame([py, "-c", EMPTY_APP], b"empty app ready", env)  # writes bytecode: not timed
    empty, ours = [], []
    for _ in range(runs):
        empty.append(first_frame([py, "-c", EMPTY_APP], b"empty app ready", env))
        ours.append(first_frame(duvi, b"Run all", env))
    e, d = (statistics.median(t for t, _ in runs_) for runs_ in (empty, ours))
    ec, dc = (statistics.median(c for _, c in runs_) for runs_ in (empty, ours))
    return {
        "empty_textual_s": e,
        "duvi_s": d,
        "ratio": d / e,
        "empty_textual_cpu_s": ec,
        "duvi_cpu_s": dc,
        "cpu_ratio": dc / ec,
    }


def add_events(home: Path, n: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from store_bench import make_rows

    from core.boot import ensure_installation
    from core.config import load_settings
    from core.eventlog import _INSERT
    from core.runtime import Runtime
    from core.store import Store

    settings = load_settings(home=home, sandbox=True)
    with Runtime.open(settings) as rt:
        ensure_installation(rt)  # the sandbox's first start: departments 1 and 2 set up
    store = Store(settings.database)
    add_ledger(store)
    rows = make_rows(n)
    for i in range(0, n, 50_000):
        with store.write():
            store.conn.executemany(_INSERT, rows[i : i + 50_000])
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as a long-running store would be
    store.close()


LEDGER_YEARS = 3  # department 1: three registers' Z-reports, invoices and stock issues a day


def add_ledger(store: Any) -> int:
    """Three years of department 1's documents, as the ledger keeps them (rows are never
    deleted): a Z-report per register a day (with the items sold, as a real payload holds
    them), three invoices and a stock issue a day; a few held, waiting or refused."""
    import random
    from datetime import date, timedelta

    from core.store import utcnow

    rng = random.Random(7)
    now = utcnow()
    rows = []
    start = date(2026, 11, 27) - timedelta(days=365 * LEDGER_YEARS)
    z = 10_000
    for d in range(365 * LEDGER_YEARS):
        day = start + timedelta(days=d)
        for register in ("101", "102", "103"):
            z += 1
            gross = [Decimal(rng.randint(1000, 2_000_000)) / 100 for _ in range(4)]
            payload = {
                "department_id": "1",
                "z_number": z,
                "register_id": register,
                "business_date": day.isoformat(),
                "closed_at": f"{day.isoformat()}T21:05:00",
                "sales": [
                    {"rate": r, "gross": str(g)}
                    for r, g in zip(("25", "15", "12", "0"), gross, strict=True)
                ],
                "payments": [{"type": "card", "amount": str(sum(gross))}],
                "items_sold": [
                    {"product_number": f"10-{rng.randint(10000, 19999)}", "quantity": "1"}
                    for _ in range(60)
                ],
            }
            state = rng.choice(["confirmed"] * 97 + ["attention", "failed", "pending"])
            error = {
                "attention": "Z-report cannot be booked: map VAT rate 12 % to a Visma VAT code",
                "failed": "VismaId: 1. Branch '9' cannot be found in the system.",
            }.get(state)
            rows.append((f"DUELL-Z-1-{z}", "zreport", str(z), state, error, json.dumps(payload), z))
        for i in range(3):
            inv = d * 3 + i + 100_000
            payload = {
                "department_id": "1",
                "invoice_id": inv,
                "date": day.isoformat(),
                "customer": {"customer_id": inv % 900, "name": "Kunde AS"},
                "lines": [
                    {
                        "product_number": "10-10001",
                        "description": "Merino",
                        "quantity": str(rng.randint(1, 9)),
                        "unit_price_ex_vat": "120.00",
                        "vat_rate": "25",
                    }
                ],
            }
            rows.append(
                (
                    f"DUELL-INV-1-{inv}",
                    "invoice",
                    str(inv),
                    "confirmed",
                    None,
                    json.dumps(payload),
                    inv,
                )
            )
        key = f"DUELL-STOCK-1-{day.isoformat()}"
        payload = {"date": day.isoformat(), "zreports": [], "items": {"10-10001": "3"}}
        rows.append((key, "stock", day.isoformat(), "confirmed", None, json.dumps(payload), d))
    with store.write():
        store.conn.executemany(
            "INSERT INTO ledger (key, department_id, kind, source_id, state, visma_number, "
            "attempts, payload, last_error, created_at, updated_at) "
            "VALUES (?, '1', ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            [
                (k, kind, src, st, None if st != "confirmed" else f"{n:06d}", p, err, now, now)
                for k, kind, src, st, err, p, n in rows
            ],
        )
    return len(rows)


async def _measure(home: str) -> dict[str, float]:
    """Runs in the child: the console under Pilot on the prepared data directory. A timing
    runs from posting the key (as the terminal driver does) until the change is painted: the
    frame after the screen shows it. Pilot's own waits are not in it."""
    import asyncio
    from collections.abc import Callable
    from datetime import timedelta

    from textual import events

    from core.config import load_settings
    from tui.app import DuviApp

    app = DuviApp(load_settings(home=Path(home), animations="none"))
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 36)) as pilot:

        async def settle() -> None:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

        async def timed(key: str, shown: Callable[[], bool]) -> float:
            t0 = time.perf_counter()
            app.post_message(events.Key(key, key if len(key) == 1 else None))
            while not shown():
                if time.perf_counter() - t0 > 60:
                    raise RuntimeError(f"{key!r}: what it should show never came")
                await asyncio.sleep(0.0005)
            painted = asyncio.Event()
            app.screen.call_after_refresh(painted.set)
            await painted.wait()
            return (time.perf_counter() - t0) * 1000

        t0 = time.perf_counter()
        await settle()
        out["status_load_s"] = time.perf_counter() - t0
        tabs = app.screen.query_one("#departments")
        switches = [
            await timed(dept, lambda d=dept: tabs.active == f"dept-{d}")
            for dept in ("2", "1", "2", "1", "2", "1", "2")
        ]
        out["tab_switch_ms"] = statistics.median(switches)
        await pilot.press("l")
        await settle()
        screen = app.screen
        table = screen.query_one("#log")

        def page_of(level: int, count: int) -> Callable[[], bool]:
            return lambda: table.row_count == count and all(r.level >= level for r in screen.rows)

        out["log_level_filter_ms"] = await timed("e", page_of(30, 50))  # warnings and worse
        out["log_older_page_ms"] = await timed("n", page_of(30, 100))
        await settle()
        await pilot.press("e", "e")  # back to every level
        await settle()
        await pilot.press("slash", *"Vipps")
        out["log_text_filter_ms"] = await timed(
            "enter", lambda: table.row_count == 50 and screen.text == "Vipps"
        )
        await settle()
        # The worst case: a common word among the rare warnings of one department of ten.
        out["log_text_and_level_ms"] = await timed("e", page_of(30, 50))
        await settle()
        out["rows_shown"] = table.row_count
        await pilot.press("escape")
        await settle()

        # The settlement calendar of department 1 (its Z-reports in the ledger by the year),
        # beside the push of the simplest screen (help) as the host's yardstick.
        from tui.screens.calendar import CalendarScreen
        from tui.screens.help import HelpScreen

        await pilot.press("1")
        await settle()
        helps = []
        for _ in range(3):
            helps.append(await timed("question_mark", lambda: isinstance(app.screen, HelpScreen)))
            await settle()
            await pilot.press("escape")
            await settle()
        out["help_open_ms"] = statistics.median(helps)

        def calendar_shown() -> bool:
            s = app.screen
            return isinstance(s, CalendarScreen) and s.calendar is not None

        opens = []
        for _ in range(3):
            opens.append(await timed("C", calendar_shown))
            await settle()
            await pilot.press("escape")
            await settle()
        out["calendar_open_ms"] = statistics.median(opens)
        await pilot.press("C")
        await settle()
        cal = app.screen
        assert isinstance(cal, CalendarScreen) and cal.calendar is not None
        out["calendar_days_with_reports"] = sum(1 for d in cal.calendar.days if d.zreports)
        moves = []
        for key, days in (("left", -1), ("up", -7), ("right", 1), ("down", 7)) * 3:
            target = cal.cursor + timedelta(days=days) if cal.cursor else None
            moves.append(await timed(key, lambda t=target: cal.cursor == t))
        out["calendar_move_ms"] = statistics.median(moves)
        out["calendar_move_max_ms"] = max(moves)
        first = cal.calendar.first
        out["calendar_month_ms"] = await timed(
            "pageup", lambda: cal.calendar is not None and cal.calendar.first != first
        )
        await settle()
        from tui.screens.main import MainScreen

        while not isinstance(app.screen, MainScreen):  # back (the search box first)
            await pilot.press("escape")
            await settle()
        await pilot.press("1")
        await settle()
        # Transfers: department 1's three years of documents.
        from tui.screens.text import TextScreen
        from tui.screens.transfers import TransfersScreen

        out["transfers_open_ms"] = await timed(
            "t",
            lambda: (
                isinstance(app.screen, TransfersScreen)
                and any(t.row_count > 0 for t in app.screen.query("#transfers"))  # composed
            ),
        )
        await settle()
        screen = app.screen
        assert isinstance(screen, TransfersScreen)
        out["transfers_documents"] = len(screen.all_rows)
        xfers = screen.query_one("#transfers")
        out["transfers_state_filter_ms"] = await timed(
            "f", lambda: screen.state is not None and xfers.row_count > 0
        )
        while screen.state is not None:  # round to every state again
            await pilot.press("f")
        await settle()
        out["transfers_sort_ms"] = await timed("o", lambda: screen.sort == "amount")
        await pilot.press("o", "o")
        await settle()
        await pilot.press("slash", *"2026-02-01..2026-02-28")  # 7 documents a day
        out["transfers_date_filter_ms"] = await timed(
            "enter", lambda: screen.until is not None and len(screen.chosen) == 28 * 7
        )
        await settle()
        out["transfers_document_ms"] = await timed(
            "enter", lambda: isinstance(app.screen, TextScreen)
        )
        await settle()
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report the
    # peak of the (forked) parent that built a million rows in memory.
    hwm = next(
        line
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    out["peak_rss_mb"] = int(hwm.split()[1]) / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--start-up-only", action="store_true", help="only the start-up part")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import asyncio

        print(json.dumps(asyncio.run(_measure(args.child))))
        return
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    s = start_up(args.runs)
    print(
        f"start to first frame: duvi {s['duvi_s'] * 1000:.0f} ms, empty Textual app "
        f"{s['empty_textual_s'] * 1000:.0f} ms: {s['ratio']:.2f}x (target <= 1.3x); CPU time "
        f"by then: duvi {s['duvi_cpu_s'] * 1000:.0f} ms, empty app "
        f"{s['empty_textual_cpu_s'] * 1000:.0f} ms: {s['cpu_ratio']:.2f}x"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.start_up_only:
        return
    home = Path(tempfile.mkdtemp(prefix="duvi-bench-1m-")) / "home"
    t0 = time.perf_counter()
    add_events(home, args.events)
    print(
        f"store with {args.events:,} events and three years of department 1's documents built in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    (home / "none.toml").touch(mode=0o600)  # an empty config: DUVI_CONFIG must name a file
    env = {**os.environ, "DUVI_HOME": str(home), "DUVI_CONFIG": str(home / "none.toml")}
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(home)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    m = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"status of all departments read in {m['status_load_s'] * 1000:.0f} ms")
    print(f"tab switch: {m['tab_switch_ms']:.1f} ms (target <= 100 ms)")
    print(
        f"log at {args.events:,} events: level filter {m['log_level_filter_ms']:.0f} ms, "
        f"full-text filter {m['log_text_filter_ms']:.0f} ms, older page "
        f"{m['log_older_page_ms']:.0f} ms (target <= 100 ms each); full text and level "
        f"together {m['log_text_and_level_ms']:.0f} ms"
    )
    print(
        f"calendar ({m['calendar_days_with_reports']} days "
        f"with reports shown): open {m['calendar_open_ms']:.0f} ms, move "
        f"{m['calendar_move_ms']:.1f} ms (slowest {m['calendar_move_max_ms']:.1f}), a month "
        f"{m['calendar_month_ms']:.0f} ms (target <= 100 ms each); the help screen opens in "
        f"{m['help_open_ms']:.0f} ms on this host"
    )
    print(
        f"transfers with {m['transfers_documents']:,} documents in department 1: open "
        f"{m['transfers_open_ms']:.0f} ms, state filter {m['transfers_state_filter_ms']:.0f} ms, "
        f"sort {m['transfers_sort_ms']:.0f} ms, date filter "
        f"{m['transfers_date_filter_ms']:.0f} ms, a document {m['transfers_document_ms']:.0f} ms "
        "(target <= 100 ms each)"
    )
    print(f"peak memory of the console: {m['peak_rss_mb']:.0f} MB (target <= 200 MB)")


if __name__ == "__main__":
    main()
