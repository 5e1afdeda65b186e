"""One runner round of Z-reports at scale, against the served sandbox (issue 21, item 5).

    uv run python bench/scale_bench.py                       # 1,000 departments, 300 customers
    uv run python bench/scale_bench.py --departments-n 50 --customers-n 15

1. `duvi sandbox serve` of the scale world (one DUELL client and one Visma company per
   customer), every request delayed by --latency (50 ms), on a free loopback port;
2. every department set up in a fresh duvi home pointing at it (core.boot.set_up_scale_world:
   each customer's DUELL account and Visma client saved once, customer:<id>);
3. t_dept_min: one department alone (run_steps, the runner's path) with one new Z-report,
   the least of three runs (the first pays for imports);
   before it (--warm-up, on by default) a round of every department's first Z-report, so
   that the measured round and t_dept_min are alike: of departments that have run before
   (a department's first run also looks its company up);
4. one new Z-report for every department (POST /sandbox/close-day), then ONE round of
   `duvi run --once` in its own process: its wall time, the round's own time (the runner's
   heartbeat), its peak RSS, and the 429s the sandbox counted during the round.

The bound a round cannot beat, with D departments, C departments at once
(`runner_concurrency`; 1 while the runner is sequential), t_dept_min one department alone,
requests_c the Visma requests of company c in the round and budget_c its hourly budget
(`visma_rate_budget`, per client and company):

    bound = max(ceil(D / C) * t_dept_min, max_c requests_c / (budget_c / 3600))

and the figure is the ratio round / bound (the issue asks for at most 1.25).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROBES = 3  # runs of one department alone (the first pays for imports and first sign-ins)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(args: argparse.Namespace, port: int) -> subprocess.Popen[str]:
    cmd = [
        sys.executable, "-m", "tui.cli", "sandbox", "serve", "--port", str(port),
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
    }
    os.environ.update(env)
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
        call(base, "/sandbox/close-day", "POST")  # one new Z-report for every department
        before = call(base, "/sandbox/stats")

        t0 = time.perf_counter()
        code, out, err, usage = runner_round()
        wall = time.perf_counter() - t0
        after = call(base, "/sandbox/stats")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)

    transferred = sum(1 for ln in out.splitlines() if ln.endswith(": 1 transfers"))
    failed = [ln for ln in err.splitlines() if ln.startswith("department ")]
    with Runtime.open(load_settings()) as rt:
        beat = rt.store.query("SELECT info FROM heartbeats WHERE component = ?", [ROUND_COMPONENT])
    round_seconds = json.loads(beat[0]["info"])["seconds"] if beat else wall

    d = args.departments_n
    c = int(getattr(settings, "runner_concurrency", 1))
    budget = settings.visma_rate_budget
    per_company = {
        t: n - before["visma_requests_per_company"].get(t, 0)
        for t, n in after["visma_requests_per_company"].items()
    }
    busiest = max(per_company.values(), default=0)
    by_concurrency = math.ceil(d / c) * t_dept
    by_budget = busiest / (budget / 3600)
    bound = max(by_concurrency, by_budget)
    limited = sum(after[k] - before[k] for k in ("visma_429", "duell_429", "injected_429"))

    print(f"machine: {machine()}")
    how = "" if hasattr(settings, "runner_concurrency") else " (no such setting yet: sequential)"
    print(f"departments {d}, customers {args.customers_n}, latency {args.latency * 1000:.0f} ms, "
          f"runner_concurrency {c}{how}")  # fmt: skip
    print(f"t_dept_min (department {probe} alone, least of {', '.join(f'{a:.2f}' for a in alone)}"
          f" s): {t_dept:.2f} s")  # fmt: skip
    print(f"round: {round_seconds:.1f} s (runner's heartbeat); process wall {wall:.1f} s; "
          f"{transferred} of {d} departments transferred one Z-report")  # fmt: skip
    print(f"bound: max(ceil({d}/{c}) x {t_dept:.2f} s = {by_concurrency:.1f} s, "
          f"{busiest} requests of the busiest company / ({budget}/3600 per s) = {by_budget:.1f} s)"
          f" = {bound:.1f} s")  # fmt: skip
    print(f"ratio round/bound: {round_seconds / bound:.2f} (target <= 1.25)")
    print(f"runner peak RSS: {usage / 1024:.0f} MB (target <= 300 MB)")
    print(f"429s during the round: {limited} (target 0)")
    print(f"Visma requests in the round: {after['visma_requests'] - before['visma_requests']}, "
          f"DUELL: {after['duell_requests'] - before['duell_requests']}")  # fmt: skip
    if failed or code:
        print(f"runner exit {code}; {len(failed)} departments failed:", *failed[:5],
              sep="\n  ")  # fmt: skip


def runner_round() -> tuple[int, str, str, int]:
    """`duvi run --once` in its own process: exit code, output, errors, peak RSS (KiB)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "run", "--once"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out, err, int(usage.ru_maxrss)


if __name__ == "__main__":
    main()
