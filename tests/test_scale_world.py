"""Issue 21, item 5: the sandbox world at scale. N DUELL customers, each its own DUELL client
and Visma company, M departments spread over them, deterministic by seed; Z-reports made when
listed (one more per `z_every` seconds or per POST /sandbox/close-day); a runner round over
it transfers each department's new Z-report with its customer's credentials."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import httpx
import pytest

from core.boot import set_up_scale_world
from core.cli import run
from core.config import load_settings
from core.connections import Connections, Endpoints
from core.departments import Departments
from core.duell.client import zreport_from_wire
from core.runner import Runner
from core.runtime import Runtime
from core.sandbox.scale_world import (
    ZClock,
    build_scale_sandbox,
    generate_scale,
    scale_zreport,
)
from tests.served import served_sandbox


def test_the_world_is_the_seeds_and_spreads_every_department() -> None:
    a = generate_scale(7, customers_n=4, departments_n=11)
    assert a == generate_scale(7, customers_n=4, departments_n=11)
    assert a != generate_scale(8, customers_n=4, departments_n=11)
    assert len(a.customers) == 4 and all(c.departments for c in a.customers)
    assert [d.department_id for _, d in a.departments] == [str(i) for i in range(1, 12)]
    assert sum(len(c.departments) for c in a.customers) == 11
    assert len({c.tenant_id for c in a.customers}) == 4
    assert [c.client_number for c in a.customers] == ["200001", "200002", "200003", "200004"]
    for c in a.customers:  # cost bearers 01, 02 … within each company
        assert [d.local for d in c.departments] == list(range(1, len(c.departments) + 1))
        assert c.name.endswith(("AS", "ANS")) and len(c.org_number) == 9


@pytest.mark.parametrize(("customers", "departments"), [(0, 0), (3, 2), (1, 100)])
def test_impossible_sizes_are_refused(customers: int, departments: int) -> None:
    with pytest.raises(ValueError, match="a department for each"):
        generate_scale(0, customers_n=customers, departments_n=departments)


def test_a_z_report_is_its_seeds_department_and_number_and_adds_up() -> None:
    world = generate_scale(0, customers_n=2, departments_n=3)
    customer, dept = world.departments[2]
    z = scale_zreport(0, customer, dept.department_id, 4)
    assert z == scale_zreport(0, customer, dept.department_id, 4)
    assert z != scale_zreport(0, customer, dept.department_id, 5)
    assert (z["z_number"], z["business_date"]) == (4, "2026-11-04")  # 1 November + 3 days
    assert z["company"] == {"org_number": customer.org_number, "name": customer.name}
    assert zreport_from_wire(z, dept.department_id).inconsistencies() == []


def test_z_reports_come_with_time_and_with_each_day_closed() -> None:
    now = [100.0]
    clock = ZClock(z_initial=1, z_every=10, clock=lambda: now[0])
    assert clock.count("1") == 1
    now[0] = 125.0  # two periods of 10 s
    assert clock.count("1") == 3
    clock.close_day("2")
    assert (clock.count("1"), clock.count("2")) == (3, 4)
    clock.close_day()
    assert (clock.count("1"), clock.count("2")) == (4, 5)


async def _duell(sb: Any, number: str, token: str, path: str) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=sb.duell_url) as c:
        login = await c.post(
            "/getaccesstokens", data={"client_number": number, "client_token": token}
        )
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        body: dict[str, Any] = (await c.get(path, headers=bearer)).json()
        return body


async def test_each_duell_client_sees_its_own_departments_only() -> None:
    world = generate_scale(0, customers_n=2, departments_n=3)
    sb = build_scale_sandbox(world)
    a, b = world.customers
    mine = await _duell(sb, a.client_number, a.client_token, "/department/list")
    assert [str(d["department_id"]) for d in mine["departments"]] == [
        d.department_id for d in a.departments
    ]
    theirs = b.departments[0].department_id
    listed = await _duell(
        sb, a.client_number, a.client_token, f"/settlement/zreport/list?department_id={theirs}"
    )
    assert (
        listed["status"] is False and f"unknown department {theirs}" in listed["validation_message"]
    )
    own = await _duell(
        sb, b.client_number, b.client_token, f"/settlement/zreport/list?department_id={theirs}"
    )
    assert [z["z_number"] for z in own["zreports"]] == [1]  # z_initial
    wrong = await _duell_login(sb, a.client_number, b.client_token)
    assert wrong["status"] is False


async def _duell_login(sb: Any, number: str, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=sb.duell_url) as c:
        r = await c.post("/getaccesstokens", data={"client_number": number, "client_token": token})
        body: dict[str, Any] = r.json()
        return body


def test_a_round_transfers_each_departments_z_with_its_customers_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUVI_SANDBOX", "false")
    world = generate_scale(0, customers_n=3, departments_n=5)
    sb = build_scale_sandbox(world, zclock=ZClock(z_initial=1))
    with Runtime.open(load_settings()) as rt:
        assert set_up_scale_world(Departments(rt.store, rt.secrets), world) == 5
        where = Endpoints(sb.visma_url, sb.connect_url, sb.duell_url, sb.transport())
        with Connections(rt, where) as conns:
            report = asyncio.run(Runner(rt, connections=conns).run_once())
    assert report.errors == {}
    assert {d: [o.key for o in out] for d, out in report.transferred.items()} == {
        str(i): [f"DUELL-Z-{i}-1"] for i in range(1, 6)
    }
    assert sb.duell.logins == 3  # one per customer: each its own DUELL account
    for c in world.customers:  # each company got its own departments' batches
        assert len(sb.visma.companies[c.tenant_id].journals) == len(c.departments)
    assert sb.visma.limiter.rejected == 0


def test_served_at_scale_with_stats_and_a_day_closed_by_hand() -> None:
    with served_sandbox("--customers-n", "3", "--departments-n", "5", "--z-initial", "0") as base:

        def call(path: str, method: str = "GET") -> dict[str, Any]:
            data = b"" if method == "POST" else None
            req = urllib.request.Request(base + path, method=method, data=data)
            with urllib.request.urlopen(req, timeout=10) as r:
                body: dict[str, Any] = json.loads(r.read())
                return body

        stats = call("/sandbox/stats")
        assert (stats["visma_429"], stats["duell_429"], stats["visma_requests"]) == (0, 0, 0)
        assert call("/sandbox/close-day?department_id=2", "POST") == {"closed": "2"}
        assert call("/sandbox/close-day", "POST") == {"closed": "all"}


def test_the_command_line_refuses_a_scale_world_it_cannot_make(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["sandbox", "serve", "--customers-n", "3", "--departments-n", "2"]) == 2
    assert "a department for each" in capsys.readouterr().err
