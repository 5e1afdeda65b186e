"""One runner round of Z-reports at scale, against the served sandbox (issue 21, item 5).

    uv run python bench/scale_bench.py                       # 1,000 departments, 300 customers
    uv run python bench/scale_bench.py --departments-n 50 --customers-n 15
    uv run python bench/scale_bench.py ... --profile round.prof   # the round under cProfile

1. `duvi sandbox serve` of the scale world (one DUELL client and one Visma company per
   customer), every request delayed by --latency (50 ms), on a free loopback port;
2. every department set up in a fresh duvi home pointing at it (core.boot.set_up_scale_world:
   each customer's DUELL account and Visma client saved once, customer:<id>);
3. t_dept_min: one department alone (run_steps, the runner's path) with one new Z-report,
   the least of three runs (the first pays for imports);
   before it (--warm-up, on by default) a round of every department's first Z-report, so
   that the measured round and t_dept_min are alike: of departments that have run before
   (a department's first run also looks its company up);
4. Visma's clock moved on --hours-between (3 h, beyond the listings' margin of 2 h 5 min:
   the batches posted so far are that old, as a real round's are days old, when the round
   reads what changed since its listing), one new
   Z-report for every department (POST /sandbox/close-day), then ONE round of
   `duvi run --once` in its own process: its wall time, the round's own time (the runner's
   heartbeat), its peak RSS (VmHWM, read by the process itself as it exits: `wait4`'s
   ru_maxrss would report the bench's own, inherited through the fork), its CPU time, the
   sandbox's CPU time, and the 429s the sandbox counted during the round;
5. that every department transferred exactly its one new Z-report: one more `confirmed`
   Z-report row in the ledger and one journal POSTed (the HTTP log), each department.

The runner and the sandbox run with compiled bytecode kept (PYTHONPYCACHEPREFIX under the
bench's home) as an installed duvi has it, also where PYTHONDONTWRITEBYTECODE is set.

The bound a round cannot beat, with D departments, C departments at once
(`runner_concurrency`) and t_dept_min one department alone:

    bound = max(ceil(D / C) * t_dept_min, W)

W is what the rate budgets add. Each budget (Visma: per integration client and company,
`visma_rate_budget` an hour; DUELL: per account, `duell_rate_budget`) is one fixed window: a
request costs no waiting while the window has budget left, and the pacer spreads only the
last 10 % of a window (low water) over the time left. With used_k the requests of budget k
already counted in its window when the round starts, requests_k those of the round and B_k
the budget, a budget whose requests fit, used_k + requests_k <= 0.9 * B_k, adds nothing;
one that does not waits for its window to end, and for a new window every B_k requests
beyond:

    W = max over k of (resets_in_k + (ceil((used_k + requests_k - 0.9 * B_k) / B_k) - 1)
                       * window_k)    for those that do not fit, else 0

(a lower bound: the low-water pacing before the window's end is left out). The figure is the
ratio round / bound (the issue asks for at most 1.25).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROBES = 3  # runs of one department alone (the first pays for imports and first sign-ins)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The sandbox served, profiled between SIGUSR1 (start) and SIGUSR2 (stop, written to the file).
SANDBOX = """
import cProfile, runpy, signal, sys, time
to = sys.argv.pop(1)
profile = cProfile.Profile(time.process_time)
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
def stop(*_):
    profile.disable()
    profile.dump_stats(to)
signal.signal(signal.SIGUSR2, stop)
sys.argv[0] = "duvi"
runpy.run_module("tui.cli", run_name="__main__")
"""


def serve(args: argparse.Namespace, port: int) -> subprocess.Popen[str]:
    head = (
        [sys.executable, "-c", SANDBOX, str(Path(args.profile_sandbox).resolve())]
        if args.profile_sandbox
        else [sys.executable, "-m", "tui.cli"]
    )
    cmd = [
        *head, "sandbox", "serve", "--port", str(port),
        "--seed", str(args.seed), "--customers-n", str(args.customers_n),
        "--departments-n", str(args.departments_n), "--latency", str(args.latency),
        "--z-initial", "0",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while True:  # bounded wait on the port
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                err = proc.stderr.read() if proc.stderr else ""
                raise SystemExit(f"the sandbox did not start: {err}") from None
            time.sleep(0.1)


def call(base: str, path: str, method: str = "GET") -> dict[str, Any]:
    req = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data


def one_department_alone(dept_id: str) -> float:
    """The runner's path (run_steps, every step) for one department, nothing else running."""
    from core.boot import connections
    from core.config import load_settings
    from core.runtime import Runtime
    from core.service import run_steps
    from core.status import RUNNABLE

    with Runtime.open(load_settings()) as rt, connections(rt) as conns:
        t0 = time.perf_counter()
        result = asyncio.run(run_steps(rt, dept_id, RUNNABLE["all"], connections=conns))
        seconds = time.perf_counter() - t0
    if len(result.outcomes) != 1:
        raise SystemExit(f"department {dept_id} alone: {result.outcomes} (one Z-report expected)")
    return seconds


def machine() -> str:
    try:
        cpu = next(
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "?"
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--departments-n", type=int, default=1000)
    parser.add_argument("--customers-n", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--warm-up",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a round before the measured one, so that both it and t_dept_min are of "
        "departments that have run before",
    )
    parser.add_argument(
        "--hours-between",
        type=float,
        default=3.0,
        help="how far Visma's clock moves on before the measured round: the batches posted "
        "before it (warm-up, t_dept_min) are that old when the round reads what changed since "
        "its listing (core/transfers/gl_batches.py; a real round's are days old)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="runner_processes: the processes a round is spread over (core/round_workers.py)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="the measured round under cProfile (CPU time), to FILE"
    )
    parser.add_argument(
        "--profile-sandbox",
        metavar="FILE",
        help="the served sandbox under cProfile (CPU time) during the measured round, to FILE",
    )
    parser.add_argument(
        "--sql-count",
        metavar="FILE",
        help="count the runner's SQL statements in the measured round (sqlite3's trace "
        "callback; the runner's own process only), by statement, as JSON to FILE",
    )
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="duvi-scale-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DUVI_HOME": home,
        "DUVI_SANDBOX": "false",
        "DUVI_VISMA_BASE_URL": f"{base}/visma",
        "DUVI_CONNECT_BASE_URL": f"{base}/connect",
        "DUVI_DUELL_BASE_URL": f"{base}/duell/v1",
        "PYTHONPYCACHEPREFIX": str(Path(home) / "pycache"),  # for the processes started
        "DUVI_RUNNER_PROCESSES": str(args.processes),
    }
    os.environ.update(env)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    from core.boot import set_up_scale_world
    from core.config import load_settings
    from core.departments import Departments
    from core.runner import ROUND_COMPONENT
    from core.runtime import Runtime
    from core.sandbox.scale_world import generate_scale

    world = generate_scale(
        args.seed, customers_n=args.customers_n, departments_n=args.departments_n
    )
    sandbox = serve(args, port)
    try:
        t0 = time.perf_counter()
        with Runtime.open(load_settings()) as rt:
            count = set_up_scale_world(Departments(rt.store, rt.secrets), world)
            settings = rt.settings
        print(f"set up {count} departments of {args.customers_n} customers in "
              f"{time.perf_counter() - t0:.1f} s ({home})")  # fmt: skip

        if args.warm_up:  # every department's first run (first sign-ins, company lookups)
            call(base, "/sandbox/close-day", "POST")
            t0 = time.perf_counter()
            runner_round()
            print(f"warm-up round: {time.perf_counter() - t0:.1f} s")
        probe = world.customers[0].departments[0].department_id
        alone = []
        for _ in range(PROBES):  # each with a new Z-report of its own; the least is t_dept_min
            call(base, f"/sandbox/close-day?department_id={probe}", "POST")
            alone.append(one_department_alone(probe))
        t_dept = min(alone)
        if args.hours_between:
            call(base, f"/sandbox/advance-clock?seconds={args.hours_between * 3600:.0f}", "POST")
        call(base, "/sandbox/close-day", "POST")  # one new Z-report for every department
        confirmed_before = confirmed_zreports()
        last_call = http_calls_max_id()
        before = call(base, "/sandbox/stats")
        sandbox_cpu = cpu_seconds(sandbox.pid)
        load_before = os.getloadavg()

        if args.profile_sandbox:
            sandbox.send_signal(signal.SIGUSR1)
        t0 = time.perf_counter()
        run = runner_round(args.profile, args.sql_count)
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()
        sandbox_cpu = cpu_seconds(sandbox.pid) - sandbox_cpu
        if args.profile_sandbox:
            stop_profile(sandbox, Path(args.profile_sandbox))
        after = call(base, "/sandbox/stats")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)

    failed = [ln for ln in run.err.splitlines() if ln.startswith("department ")]
    with Runtime.open(load_settings()) as rt:
        beat = rt.store.query("SELECT info FROM heartbeats WHERE component = ?", [ROUND_COMPONENT])
        posted = dict(
            rt.store.conn.execute(
                "SELECT department_id, count(*) FROM http_calls WHERE id > ? AND method = "
                "'POST' AND path LIKE '%/journaltransaction' AND status < 300 "
                "GROUP BY department_id",
                [last_call],
            ).fetchall()
        )
        gl = rt.store.conn.execute(
            "SELECT sum(path NOT LIKE '%lastModifiedDateTime=%'), "
            "sum(path LIKE '%lastModifiedDateTime=%') FROM http_calls WHERE id > ? AND "
            "method = 'GET' AND path LIKE '%/v2/journaltransaction?%'",
            [last_call],
        ).fetchone()
    info = json.loads(beat[0]["info"]) if beat else {}
    round_seconds = info.get("seconds", wall)
    confirmed_after = confirmed_zreports()
    depts = [d.department_id for _, d in world.departments]
    one_each = [
        d
        for d in depts
        if confirmed_after.get(d, 0) - confirmed_before.get(d, 0) == 1 and posted.get(d) == 1
    ]
    not_one = [d for d in depts if d not in set(one_each)]

    d = args.departments_n
    c = settings.runner_concurrency
    by_concurrency = math.ceil(d / c) * t_dept
    waits = [
        budget_wait(before, after, "visma", "visma_requests_per_company",
                    "visma_resets_in_per_company", settings.visma_rate_budget),
        budget_wait(before, after, "duell", "duell_requests_per_account",
                    "duell_resets_in_per_account", settings.duell_rate_budget),
    ]  # fmt: skip
    by_budget = max(w for w, _ in waits)
    bound = max(by_concurrency, by_budget)
    limited = sum(after[k] - before[k] for k in ("visma_429", "duell_429", "injected_429"))
    p = args.processes
    round_cpu = run.round_cpu + run.workers_cpu  # the runner's and its workers'
    cpu_dept = round_cpu / d
    # Each process is one thread: the round cannot beat its busiest process's CPU, nor all
    # its CPU over the machine's cores (which the sandbox shares here).
    cores = os.cpu_count() or 1
    with_cpu = max(bound, run.round_cpu, round_cpu / min(p, cores))

    print(f"machine: {machine()}")
    print(f"load average (1 min) before the round {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"departments {d}, customers {args.customers_n}, latency {args.latency * 1000:.0f} ms, "
          f"runner_concurrency {c}, runner_processes {p}")  # fmt: skip
    print(f"t_dept_min (department {probe} alone, least of {', '.join(f'{a:.2f}' for a in alone)}"
          f" s): {t_dept:.2f} s")  # fmt: skip
    print(f"round: {round_seconds:.1f} s (runner's heartbeat); process wall {wall:.1f} s; "
          f"{len(one_each)} of {d} departments transferred exactly their one new Z-report "
          "(ledger + HTTP log)")  # fmt: skip
    if not_one:
        print(f"  not exactly one: {', '.join(not_one[:10])}{' ...' if len(not_one) > 10 else ''}")
    print(f"budget waits in the round (runner's heartbeat): {len(info.get('budget_waits', {}))} "
          "departments")  # fmt: skip
    for _, said in waits:
        print(f"  {said}")
    print(f"bound: max(ceil({d}/{c}) x {t_dept:.2f} s = {by_concurrency:.1f} s, "
          f"W = {by_budget:.1f} s) = {bound:.1f} s")  # fmt: skip
    print(f"ratio round/bound: {round_seconds / bound:.2f} (target <= 1.25)")
    print(f"with the CPU term: max({bound:.1f} s, the runner's own CPU {run.round_cpu:.1f} s, "
          f"all {round_cpu:.1f} s over min({p} processes, {cores} cores)) = {with_cpu:.1f} s; "
          f"ratio {round_seconds / with_cpu:.2f}")  # fmt: skip
    print(f"runner peak RSS (VmHWM): {run.hwm_kib / 1024:.0f} MB"
          + (f", the largest worker's {run.workers_hwm_kib / 1024:.0f} MB, "
             f"{p} processes together at most "
             f"{(run.hwm_kib + (p - 1) * run.workers_hwm_kib) / 1024:.0f} MB" if p > 1 else "")
          + " (target <= 300 MB)")  # fmt: skip
    print(f"runner CPU: {run.cpu:.1f} s in all (workers included), {round_cpu:.1f} s in the "
          f"round ({cpu_dept * 1000:.0f} ms a department; the runner's own "
          f"{run.round_cpu:.1f} s, its workers' {run.workers_cpu:.1f} s); "
          f"sandbox CPU in the round: {sandbox_cpu:.1f} s")  # fmt: skip
    print(f"429s during the round: {limited} (target 0)")
    print(f"Visma requests in the round: {after['visma_requests'] - before['visma_requests']}, "
          f"DUELL: {after['duell_requests'] - before['duell_requests']}")  # fmt: skip
    print(f"GL listing requests in the round: {gl[0] or 0} of whole periods, {gl[1] or 0} of "
          "what changed since (core/transfers/gl_batches.py)")  # fmt: skip
    if failed or run.code:
        print(f"runner exit {run.code}; {len(failed)} departments failed:", *failed[:5],
              sep="\n  ")  # fmt: skip
    if args.profile:
        print(f"profile of the round (CPU time): {args.profile}")
    if args.profile_sandbox:
        print(f"profile of the sandbox in the round (CPU time): {args.profile_sandbox}")
    if args.sql_count:
        statements = sum(json.loads(Path(args.sql_count).read_text()).values())
        print(f"SQL statements of the runner in the round: {statements} "
              f"({statements / d:.1f} a department; by statement: {args.sql_count})")  # fmt: skip


def stop_profile(sandbox: subprocess.Popen[str], to: Path) -> None:
    """Stop the sandbox's profile and wait (bounded) for it to be written."""
    to.unlink(missing_ok=True)
    sandbox.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + 60
    while not to.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def budget_wait(
    before: dict[str, Any], after: dict[str, Any], name: str, used: str, resets: str, budget: int
) -> tuple[float, str]:
    """W of one service's budgets (the module's docstring), and what it came to. A key the
    round started a new window of had counted nothing before it (0 used)."""
    window = after[f"{name}_rate_window"]
    worst, worst_key, fill = 0.0, "", 0.0
    for key, n_after in after[used].items():
        n_before = before[used].get(key, 0)
        fresh = after[resets].get(key, 0) > before[resets].get(key, window)  # a new window
        requests = n_after if fresh else n_after - n_before
        counted = 0 if fresh else n_before
        fill = max(fill, (counted + requests) / budget)
        over = counted + requests - 0.9 * budget
        if over > 0:
            wait = before[resets].get(key, 0) + (math.ceil(over / budget) - 1) * window
            if wait > worst:
                worst, worst_key = wait, key
    said = f"{name}: the fullest window {fill:.1%} of its budget {budget}/h after the round " + (
        f"(all below 90 %: W {name} = 0)" if not worst_key else f"({worst_key}: {worst:.0f} s)"
    )
    return worst, said


@dataclass
class Round:
    code: int
    out: str
    err: str
    hwm_kib: int  # the runner's own peak resident set (VmHWM)
    cpu: float  # user + system seconds
    round_cpu: float  # CPU seconds of the round itself (Runner.run_once), the runner's own
    workers_cpu: float  # CPU seconds of its worker processes (runner_processes > 1)
    workers_hwm_kib: int  # the largest worker's peak resident set


# `duvi run --once` as the command line runs it, telling its VmHWM as it exits (and, given a
# file name, profiled: CPU time, every function).
RUNNER = """
import atexit, os, runpy, sys
profile_to = sys.argv[1] if len(sys.argv) > 1 else None
def hwm():
    with open("/proc/self/status") as f:
        kib = next(ln.split()[1] for ln in f if ln.startswith("VmHWM:"))
    sys.stderr.write(f"bench: VmHWM {kib}\\n")
atexit.register(hwm)
sys.argv = ["duvi", "run", "--once"]
import time
import core.runner
run_once = core.runner.Runner.run_once
def worker_figures(runner):  # the round's worker processes (runner_processes > 1), alive
    cpu, hwm_kib = 0.0, 0
    for w in (runner.workers.workers if runner.workers else []):
        if w.proc is None or w.proc.returncode is not None:
            continue
        fields = open(f"/proc/{w.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{w.proc.pid}/status") as f:
            hwm_kib = max(hwm_kib, int(next(ln.split()[1] for ln in f if ln.startswith("VmHWM:"))))
    return cpu, hwm_kib
async def timed(self, *args):  # the round's own CPU time, start-up left out
    t0 = time.process_time()
    try:
        return await run_once(self, *args)
    finally:
        cpu, hwm_kib = worker_figures(self)  # workers start in the round: all theirs is in it
        sys.stderr.write(f"bench: round CPU {time.process_time() - t0:.3f}\\n")
        sys.stderr.write(f"bench: workers CPU {cpu:.3f}\\nbench: workers VmHWM {hwm_kib}\\n")
core.runner.Runner.run_once = timed
sql_to = os.environ.get("BENCH_SQL_COUNT")
if sql_to:  # every statement of the round, counted by its text
    import collections, json, sqlite3
    counts = collections.Counter()
    tracing = [False]
    def trace(sql):
        if tracing[0]:
            counts[" ".join(sql.split())[:200]] += 1
    connect = sqlite3.connect
    def traced(*a, **k):
        conn = connect(*a, **k)
        conn.set_trace_callback(trace)
        return conn
    sqlite3.connect = traced
    def dump():
        with open(sql_to, "w") as f:
            json.dump(dict(counts.most_common()), f, indent=1)
    atexit.register(dump)
    counted = core.runner.Runner.run_once
    async def counting(self, *args):
        tracing[0] = True
        try:
            return await counted(self, *args)
        finally:
            tracing[0] = False
    core.runner.Runner.run_once = counting
if profile_to:
    import cProfile, time
    profile = cProfile.Profile(time.process_time)
    atexit.register(lambda: profile.dump_stats(profile_to))
    atexit.register(profile.disable)
    profile.enable()
runpy.run_module("tui.cli", run_name="__main__")
"""


def runner_round(profile: str | None = None, sql_count: str | None = None) -> Round:
    """`duvi run --once` in its own process (its output in files: no pipe fills up)."""
    counting = {"BENCH_SQL_COUNT": str(Path(sql_count).resolve())} if sql_count else {}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUNNER, *([str(Path(profile).resolve())] if profile else [])],
            env={**os.environ, "PYTHONPATH": str(ROOT), **counting},
            stdout=out,
            stderr=err,
            text=True,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # its own CPU time (Popen.wait keeps none)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        said, errors = out.read(), err.read()
    hwm = next(
        (int(ln.split()[-1]) for ln in errors.splitlines() if ln.startswith("bench: VmHWM")), 0
    )

    def figure(prefix: str) -> float:
        return next(
            (float(ln.split()[-1]) for ln in errors.splitlines() if ln.startswith(prefix)),
            float("nan"),
        )

    return Round(
        proc.returncode,
        said,
        errors,
        hwm,
        usage.ru_utime + usage.ru_stime,  # the runner and the workers it waited for
        figure("bench: round CPU"),
        figure("bench: workers CPU"),
        int(figure("bench: workers VmHWM")),
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def confirmed_zreports() -> dict[str, int]:
    """Each department's Z-report rows in the ledger that Visma has confirmed."""
    from core.config import load_settings
    from core.runtime import Runtime

    with Runtime.open(load_settings()) as rt:
        rows = rt.store.conn.execute(
            "SELECT department_id, count(*) FROM ledger WHERE kind = 'zreport' "
            "AND state = 'confirmed' GROUP BY department_id"
        ).fetchall()
    return {str(dept): int(n) for dept, n in rows}


def http_calls_max_id() -> int:
    from core.config import load_settings
    from core.runtime import Runtime

    with Runtime.open(load_settings()) as rt:
        return int(
            rt.store.conn.execute("SELECT coalesce(max(id), 0) FROM http_calls").fetchone()[0]
        )


if __name__ == "__main__":
    main()
