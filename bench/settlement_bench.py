"""Settlement benchmark.

    uv run python bench/settlement_bench.py

1. journals for 10 departments x 365 days (time per report, pure accounting);
2. 300 Z-report transfers against the in-process sandbox: requests per report (target: one
   POST each) and look-ups (journal listing pages: every key is looked up in Visma before any
   POST, from one listing per department, period and run, so they grow with the pages, not
   the reports), with and without 10 % of the POSTs' answers lost after Visma carried them
   out;
3. requests per document on the look-up path (every document kind, an invoice's customer
   included), without and with 10 % of the POSTs' answers lost.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import tempfile
import time
from collections import Counter
from datetime import date

from core.accounting import build_journal
from core.departments import DEFAULT_ACCOUNTS
from core.duell.client import zreport_from_wire
from core.models import DepartmentSettings
from core.sandbox.bootstrap import SANDBOX_VAT_IDS
from core.sandbox.world import COMPANY_TENANT, _zreports, build_sandbox, generate


def bench_journals() -> None:
    rng = random.Random(1)
    reports = [
        zreport_from_wire(raw, str(d))
        for d in range(1, 11)
        for raw in _zreports(rng, str(d), 365, date(2026, 11, 27))
    ]
    settings = DepartmentSettings(
        inventory_change=True,
        several_departments=True,
        cost_bearer_segment=1,
        cost_bearer_value="01",
    )
    t0 = time.perf_counter()
    lines = 0
    for z in reports:
        lines += len(build_journal(z, DEFAULT_ACCOUNTS, SANDBOX_VAT_IDS, settings).lines)
    elapsed = time.perf_counter() - t0
    print(
        f"journals: {len(reports):,} Z-reports (10 departments x 365 days), {lines:,} lines, "
        f"{elapsed:.2f} s, {elapsed / len(reports) * 1e6:.0f} µs per report"
    )


async def bench_transfers(drop_rate: float) -> None:
    os.environ["DUVI_HOME"] = tempfile.mkdtemp()
    from core.boot import connections, ensure_sandbox_setup
    from core.config import load_settings
    from core.departments import Departments
    from core.ledger import Ledger, State
    from core.runtime import Runtime
    from core.sandbox.world import sandbox_credentials
    from core.service import transfer

    world = generate(0, products=200, customers=100, days=150, invoices=0)
    sb, _ = build_sandbox(0, world=world)
    if drop_rate:
        sb.faults.only, sb.faults.drop_rate, sb.faults.cut_phase = (
            "/visma/v2/journaltransaction",
            drop_rate,
            "after",
        )
    rt = Runtime.open(load_settings())
    ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(0))
    conns = connections(rt, sandbox=sb)
    calls: Counter[tuple[str, str]] = Counter()
    inner = sb.app

    async def counting(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/visma/v2/journaltransaction"):
            calls[(scope["method"], "journal")] += 1
        await inner(scope, receive, send)

    sb.app = counting
    t0 = time.perf_counter()
    rounds = 0
    while True:
        rounds += 1
        for dept in ("1", "2"):
            await transfer(rt, dept, kinds=("zreport",), connections=conns)
        if not Ledger(rt.store).rows(states=(State.PENDING, State.SENT)):
            break
    elapsed = time.perf_counter() - t0
    rows = Ledger(rt.store).rows(kind="zreport")
    batches = sum(len(c.journals) for c in sb.visma.companies.values())
    posts, lookups = calls[("POST", "journal")], calls[("GET", "journal")]
    print(
        f"transfers ({drop_rate:.0%} of answers lost): {len(rows)} Z-reports in {elapsed:.2f} s "
        f"over {rounds} round(s); POSTs {posts} ({posts / len(rows):.2f} per report), look-ups "
        f"{lookups} (listing pages); batches in Visma {batches}"
    )
    conns.close()
    rt.close()


LOOKUP_PATHS = {  # what each document kind reads before its POSTs, by path
    "zreport": ("/visma/v2/journaltransaction",),
    "invoice": ("/visma/v1/customerinvoice", "/visma/v1/customer"),
    "stock": ("/visma/v1/inventoryissue",),
}


async def bench_lookups(drop_rate: float, *, invoices: int = 300, more_customers: int = 0) -> None:
    """Requests per document on the look-up path, per kind: the GETs each kind makes to find
    its documents (and an invoice its customer) in Visma, over every run until nothing is
    pending, with `drop_rate` of all POSTs' answers lost after Visma acted; `more_customers`
    in Visma beside the world's (a big company, whose customers take many pages)."""
    os.environ["DUVI_HOME"] = tempfile.mkdtemp()
    from core.boot import connections, ensure_sandbox_setup
    from core.config import load_settings
    from core.departments import Departments
    from core.ledger import Ledger, State
    from core.runtime import Runtime
    from core.sandbox.world import sandbox_credentials
    from core.service import transfer

    world = generate(0, products=300, customers=1000, days=60, invoices=invoices)
    sb, _ = build_sandbox(0, world=world)
    company = sb.visma.companies[COMPANY_TENANT]
    for i in range(more_customers):
        number = str(900000 + i)
        company.customers[number] = {"number": number, "name": f"Kunde {i}", "status": "Active"}
        company.touch("customer", number, company.customers[number])
    if drop_rate:
        sb.faults.only, sb.faults.drop_rate, sb.faults.cut_phase = (
            ("/visma/v2/", "/visma/v1/inventoryissue"),
            drop_rate,
            "after",
        )
    rt = Runtime.open(load_settings())
    departments = Departments(rt.store, rt.secrets)
    ensure_sandbox_setup(departments, sandbox_credentials(0))
    for dept_id in ("1", "2"):
        dept = departments.get(dept_id)
        assert dept is not None
        departments.save_settings(dept_id, dept.settings.model_copy(update={"stock_update": True}))
    conns = connections(rt, sandbox=sb)
    gets: Counter[str] = Counter()
    inner = sb.app

    async def counting(scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET":
            for kind, paths in LOOKUP_PATHS.items():
                if scope["path"] in paths:
                    gets[kind] += 1
        await inner(scope, receive, send)

    sb.app = counting
    rounds = 0
    while True:
        rounds += 1
        for dept in ("1", "2"):
            await transfer(rt, dept, connections=conns)
        if not Ledger(rt.store).rows(states=(State.PENDING, State.SENT)) or rounds == 5:
            break
    ledger = Ledger(rt.store)
    parts = []
    for kind in LOOKUP_PATHS:
        docs = len([r for d in ("1", "2") for r in ledger.rows(d, kind=kind)])
        parts.append(
            f"{kind} {gets[kind]} GETs / {docs} documents = {gets[kind] / max(docs, 1):.2f}"
        )
    print(
        f"look-ups ({drop_rate:.0%} of answers lost, {rounds} rounds, "
        f"{len(company.customers):,} Visma customers): " + "; ".join(parts)
    )
    conns.close()
    rt.close()


def main() -> None:
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    bench_journals()
    asyncio.run(bench_transfers(0.0))
    asyncio.run(bench_transfers(0.1))
    asyncio.run(bench_lookups(0.0))
    asyncio.run(bench_lookups(0.1))
    asyncio.run(bench_lookups(0.0, invoices=9, more_customers=50_000))


if __name__ == "__main__":
    main()
