"""`/healthz` and `/metrics` as `duvi run` serves them beside the webhook receiver: health
goes 503 with the reason while the services are down and back to 200 when a round gets
through; the metrics, parsed by Prometheus' own text parser, say what the store holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from core.health import monitoring_routes
from core.runner import Runner
from tests.sandbox_fixtures import Installation


@pytest.fixture
async def served(installation: Installation) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=monitoring_routes(installation.rt))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://duvi") as client:
        yield client


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def one(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def test_metrics_say_what_the_store_holds(
    installation: Installation, served: httpx.AsyncClient
) -> None:
    rt, store = installation.rt, installation.rt.store
    rt.settings.retry_base_delay = 0.001
    installation.sandbox.faults.down = True  # a round that fails fast, and leaves its calls
    await Runner(rt, connections=installation.connections).run_once()
    installation.connections.http_log.flush()
    with store.write() as db:  # two documents of department 2, as a transfer leaves them
        for key, kind, state in (("K-1", "zreport", "confirmed"), ("K-2", "invoice", "failed")):
            db["ledger"].insert(
                {"key": key, "department_id": "2", "kind": kind, "state": state, "source_id": key}
            )
    m = await scrape(served)
    assert one(m, "duvi_documents", department="2", kind="zreport", state="confirmed") == 1
    assert one(m, "duvi_documents", department="2", kind="invoice", state="failed") == 1
    assert one(m, "duvi_department_failed_rounds", department="1") == 1
    assert one(m, "duvi_department_failed_rounds", department="2") == 0
    calls = store.query(
        "SELECT count(*) AS n, sum(duration_ms) AS ms FROM http_calls WHERE system = 'connect'"
    )[0]
    assert calls["n"] > 0  # the sign-in's refused connections, logged with no status
    assert one(m, "duvi_http_requests_last_hour", service="connect", status="0") == calls["n"]
    assert one(m, "duvi_http_request_seconds_last_hour_count", service="connect") == calls["n"]
    assert one(m, "duvi_http_request_seconds_last_hour_sum", service="connect") == pytest.approx(
        calls["ms"] / 1000
    )
    assert one(m, "duvi_http_429_last_hour", service="visma") == 0
    assert one(m, "duvi_rate_budget_left", service="duell", department="") == 6000
    assert one(m, "duvi_rate_budget_left", service="visma", department="2") == 15000
    assert one(m, "duvi_runner_lease_waits_total") == 0
    assert one(m, "duvi_runner_round_seconds") > 0
    size = rt.settings.database.stat().st_size
    assert one(m, "duvi_database_bytes", file="db") == size


@pytest.mark.slow
async def test_healthz_is_503_while_the_services_are_down_and_200_when_back(
    installation: Installation, served: httpx.AsyncClient
) -> None:
    rt = installation.rt
    rt.settings.retry_base_delay = 0.001
    now = [1000.0]
    runner = Runner(rt, connections=installation.connections, clock=lambda: now[0])
    r = await served.get("/healthz")
    assert r.status_code == 503
    assert r.json()["reasons"] == ["the runner has not started a round on this database yet"]

    installation.sandbox.faults.down = True  # every connection refused: the services stopped
    await runner.run_once()
    r = await served.get("/healthz")
    assert r.status_code == 503
    found = r.json()
    assert found["status"] == "unhealthy" and found["store"]["ok"] is True
    assert len(found["reasons"]) == 1 and found["reasons"][0].startswith("department 1 backs off")
    assert "could not connect" in found["reasons"][0]
    assert found["departments"]["1"]["backing_off"] is True
    assert found["departments"]["2"] == {"backing_off": False}

    installation.sandbox.faults.down = False  # back: the next round gets through
    now[0] += 5 * 60
    await runner.run_once()
    r = await served.get("/healthz")
    assert r.status_code == 200, r.json()
    found = r.json()
    assert found["status"] == "ok" and found["reasons"] == []
    assert found["runner"]["last_round"]["departments"] == ["1"]
    m = await scrape(served)
    assert one(m, "duvi_documents", department="1", kind="zreport", state="confirmed") == 30
    assert one(m, "duvi_department_failed_rounds", department="1") == 0
