"""Visma.net client benchmark against the in-process sandbox.

    uv run python bench/visma_bench.py [--quick]

1. list 20,000 items (4 pages of 5,000);
2. create 2,000 items with concurrency 8 and 20 ms injected latency, compared with the bound
   N x latency / concurrency (target: within 1.25x);
3. with the rate limit at 600 requests per 60 s, a run of 1,500 requests: no 429, and the
   share of each full window's budget it used (target: >= 90 %).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time

from pydantic import SecretStr

from core.config import load_settings
from core.sandbox.faults import Faults
from core.sandbox.world import COMPANY_TENANT, build_sandbox
from core.visma.auth import VismaCredentials
from core.visma.client import open_visma
from core.visma.models import InventoryWrite

CREDS = VismaCredentials("isv_duvi_sandbox_dept1", SecretStr("sandbox-secret-0-1"), COMPANY_TENANT)


def client_for(sandbox, **settings):
    return open_visma(
        CREDS,
        visma_url=sandbox.visma_url,
        connect_url=sandbox.connect_url,
        settings=load_settings(**settings),
        transport=sandbox.transport(),
        page_size=5000,
    )


async def bench_list(n: int) -> None:
    sandbox, _ = build_sandbox()
    company = sandbox.visma.companies[COMPANY_TENANT]
    for i in range(n):
        nr = f"ITEM-{i:06d}"
        company.items[nr] = {
            "inventoryId": i,
            "inventoryNumber": nr,
            "description": f"Vare {i}",
            "status": "Active",
            "defaultPrice": 99.9,
        }
        company.touch("item", nr, company.items[nr])
    client = client_for(sandbox)
    t0 = time.perf_counter()
    count = sum([1 async for _ in client.list_items()])
    elapsed = time.perf_counter() - t0
    reqs = client.http.stats["requests"]
    await client.aclose()
    print(f"list {count:,} items: {elapsed:.2f} s, {reqs} requests, {count / elapsed:,.0f} items/s")


async def bench_create(n: int, latency: float, concurrency: int) -> None:
    sandbox, _ = build_sandbox(faults=Faults(latency=latency))
    client = client_for(sandbox, concurrency=concurrency)
    await client.tokens.token()
    sem = asyncio.Semaphore(concurrency * 2)  # keep the client's own limit the binding one

    async def one(i: int) -> None:
        async with sem:
            await client.create_item(
                InventoryWrite(
                    inventory_number=f"NEW-{i:05d}",
                    item_class="VARER",
                    vat_code="1",
                    description=f"Ny vare {i}",
                )
            )

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - t0
    bound = n * latency / concurrency
    await client.aclose()
    print(
        f"create {n:,} items, concurrency {concurrency}, latency {latency * 1000:.0f} ms: "
        f"{elapsed:.2f} s, {n / elapsed:,.0f} requests/s; bound {bound:.2f} s; "
        f"ratio {elapsed / bound:.2f}x (target <= 1.25x)"
    )


async def bench_rate(requests: int, limit: int, window: float) -> None:
    sandbox, _ = build_sandbox(rate_limit=limit, rate_window=window)
    client = client_for(sandbox, concurrency=4)
    await client.tokens.token()
    sent_at: list[float] = []

    async def one() -> None:
        await client.get_account("1900")
        sent_at.append(time.monotonic())

    t0 = time.monotonic()
    sem = asyncio.Semaphore(16)

    async def limited() -> None:
        async with sem:
            await one()

    await asyncio.gather(*(limited() for _ in range(requests)))
    elapsed = time.monotonic() - t0
    await client.aclose()
    full = int(elapsed // window)
    per_window = [
        sum(1 for t in sent_at if w * window <= t - t0 < (w + 1) * window) for w in range(full)
    ]
    usage = [n / limit for n in per_window]
    print(
        f"rate limit {limit}/{window:.0f} s, {requests:,} requests: {elapsed:.1f} s, "
        f"429s seen {client.http.stats['status_429']}, rejected by server "
        f"{sandbox.visma.limiter.rejected}, pacer waited {client.http.pacer.waited:.1f} s"
    )
    for i, u in enumerate(usage, start=1):
        print(f"  window {i}: {per_window[i - 1]} requests = {u:.0%} of the budget (target >= 90%)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes, 6 s rate window")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    asyncio.run(bench_list(5_000 if args.quick else 20_000))
    asyncio.run(bench_create(500 if args.quick else 2_000, 0.02, 8))
    if args.quick:
        asyncio.run(bench_rate(150, 60, 6.0))
    else:
        asyncio.run(bench_rate(1_500, 600, 60.0))


if __name__ == "__main__":
    main()
