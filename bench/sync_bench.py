"""Master-data sync benchmark against the in-process sandbox.

    uv run python bench/sync_bench.py

1. initial sync of 10,000 products and 5,000 customers (DUELL master): wall time, requests,
   writes per created or changed entity (target: at most 1 on the Visma side);
2. the first-time pull of the items Visma -> DUELL: DUELL writes are batches;
3. a no-change resync: 0 writes, reads no more than the number of pages;
4. duplicate detection over 100,000 customers (target: <= 2 s; keyed grouping, linear).
"""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
import time


async def bench_sync() -> None:
    os.environ["DUVI_HOME"] = tempfile.mkdtemp()
    # Measure the sync, not the rate limit: 10,000 items fill most of a 15,000/h budget,
    # and the pacer would (rightly) spread the rest over the hour.
    os.environ["DUVI_VISMA_RATE_BUDGET"] = "1000000"
    from core.boot import connections, ensure_sandbox_setup
    from core.config import load_settings
    from core.departments import Departments
    from core.runtime import Runtime
    from core.sandbox.world import build_sandbox, generate, sandbox_credentials
    from core.service import sync_master_data

    world = generate(0, products=10_000, customers=5_000, days=1, invoices=0)
    sb, _ = build_sandbox(0, world=world, rate_limit=1_000_000)
    rt = Runtime.open(load_settings())
    ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(0))
    conns = connections(rt, sandbox=sb)
    visma_requests = sb.visma.requests
    for entity in ("products", "customers"):
        reads_before, writes_before = sb.visma.requests, sb.visma.writes
        duell_before = sb.duell.requests
        t0 = time.perf_counter()
        r = await sync_master_data(rt, "1", entity, connections=conns)
        elapsed = time.perf_counter() - t0
        writes = sb.visma.writes - writes_before
        print(
            f"initial {entity}: {elapsed:.1f} s; {r.created:,} created, {r.updated:,} updated, "
            f"{r.conflicts} conflicts; Visma requests {sb.visma.requests - reads_before:,} "
            f"(writes {writes:,} = {writes / max(1, r.created + r.updated):.2f} per created or "
            f"changed), DUELL requests {sb.duell.requests - duell_before}"
        )
    for entity in ("products", "customers"):
        reads_before, writes_before = sb.visma.requests, sb.visma.writes
        duell_before = sb.duell.requests
        t0 = time.perf_counter()
        r = await sync_master_data(rt, "1", entity, connections=conns)
        print(
            f"no-change resync {entity}: {time.perf_counter() - t0:.1f} s; writes "
            f"{sb.visma.writes - writes_before}; Visma reads {sb.visma.requests - reads_before}, "
            f"DUELL reads {sb.duell.requests - duell_before} (pages)"
        )
    depts = Departments(rt.store, rt.secrets)
    dept = depts.get("2")
    assert dept is not None
    saves = sb.duell.state.product_saves
    t0 = time.perf_counter()
    r = await sync_master_data(rt, "2", "products", first_time=True, connections=conns)
    print(
        f"first-time pull of items into DUELL: {time.perf_counter() - t0:.1f} s; "
        f"{r.created + r.updated:,} products in {sb.duell.state.product_saves - saves} batch "
        f"writes"
    )
    conns.close()
    rt.close()
    del visma_requests


def bench_duplicates() -> None:
    from core.matching import duplicate_clusters
    from core.sandbox.world import generate

    world = generate(1, products=10, customers=100_000, days=1, invoices=0)
    records = [
        (c["customer_id"], c.get("org_number"), c.get("phone"), c.get("email"))
        for c in world.customers
    ]
    t0 = time.perf_counter()
    clusters = duplicate_clusters(records)
    elapsed = time.perf_counter() - t0
    print(
        f"duplicate detection over {len(records):,} customers: {elapsed:.2f} s "
        f"(target <= 2 s), {len(clusters):,} clusters"
    )


def main() -> None:
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    asyncio.run(bench_sync())
    bench_duplicates()


if __name__ == "__main__":
    main()
