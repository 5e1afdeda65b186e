"""The automatic transfer runner and its per-department leases."""

from __future__ import annotations

import json

import pytest

from core.leases import Leases
from core.ledger import Ledger, State
from core.runner import Runner
from tests.sandbox_fixtures import Installation


@pytest.mark.slow
async def test_a_round_transfers_departments_with_automatic_transfer(
    installation: Installation,
) -> None:
    runner = Runner(installation.rt, holder="runner-a", connections=installation.connections)
    report = await runner.run_once()
    assert list(report.transferred) == ["1"]  # the sandbox turns it on for department 1 only
    assert Ledger(installation.rt.store).rows("2") == []
    beat = json.loads(installation.rt.store.db["heartbeats"].get("runner")["info"])
    assert beat == {"holder": "runner-a", "waiting": {}}
    assert Leases(installation.rt.store).holder_of("department:1") is None  # released


@pytest.mark.slow
async def test_two_runners_never_work_on_one_department_at_once(
    installation: Installation,
) -> None:
    a = Runner(installation.rt, holder="runner-a", connections=installation.connections)
    b = Runner(installation.rt, holder="runner-b", connections=installation.connections)
    assert a.leases.acquire("department:1", ttl=600)  # runner A is mid-transfer
    report = await b.run_once()
    assert report.busy == ["1"] and report.transferred == {}
    assert installation.company.journals == {}
    a.leases.release("department:1")
    report = await b.run_once()
    assert len(report.transferred["1"]) > 0


@pytest.mark.slow
async def test_an_expired_lease_blocks_nobody(installation: Installation) -> None:
    stale = Leases(installation.rt.store, "killed-runner")
    assert stale.acquire("department:1", ttl=-1)  # a runner that died holding it
    report = await Runner(installation.rt, connections=installation.connections).run_once()
    assert "1" in report.transferred


@pytest.mark.slow
async def test_services_down_then_back_the_runner_backs_off_says_so_and_catches_up(
    installation: Installation,
) -> None:
    from core.doctor import Status, local_checks
    from core.status import department_status

    installation.rt.settings.retry_base_delay = 0.001
    now = [1000.0]
    runner = Runner(installation.rt, connections=installation.connections, clock=lambda: now[0])
    store = installation.rt.store

    def doctor() -> dict[str, object]:
        return {c.id: c for c in local_checks(installation.rt)}["runner.backoff"]

    def calls() -> int:
        installation.connections.http_log.flush()  # its writer batches: count what was made
        return store.query("SELECT count(*) AS n FROM http_calls")[0]["n"]

    installation.sandbox.faults.down = True  # every connection refused, as a stopped service
    report = await runner.run_once()
    assert "1" in report.errors and "could not connect" in report.errors["1"]
    logged = [
        r["message"] for r in store.query("SELECT message FROM events WHERE entity = 'runner'")
    ]
    assert any("failed (1 in a row)" in m and "next try in 5 min" in m for m in logged)
    check = doctor()
    assert check.status == Status.WARN and "department 1" in check.found
    assert "1 round in a row" in check.found
    shown = department_status(installation.rt, "1")  # what the console's panel shows
    assert shown.backoff and "automatic transfer fails" in shown.backoff
    assert "could not connect" in shown.backoff
    assert {r.next_run for r in shown.rows if r.state != "off"} == {
        f"retry {shown.backoff.split('again at ')[1][:5]}"
    }

    before = calls()
    report = await runner.run_once()  # too soon: it waits instead of hammering
    assert report.waiting == ["1"] and calls() == before

    now[0] += 5 * 60
    report = await runner.run_once()  # still down: the wait doubles
    assert "1" in report.errors
    logged = [
        r["message"] for r in store.query("SELECT message FROM events WHERE entity = 'runner'")
    ]
    assert any("failed (2 in a row)" in m and "next try in 10 min" in m for m in logged)
    now[0] += 5 * 60
    assert (await runner.run_once()).waiting == ["1"]

    installation.sandbox.faults.down = False  # the services are back
    now[0] += 5 * 60
    report = await runner.run_once()  # catches up by itself
    assert report.errors == {} and report.waiting == []
    rows = Ledger(store).rows("1", kind="zreport")
    assert len(rows) == 30 and {r.state for r in rows} == {State.CONFIRMED}
    logged = [
        r["message"] for r in store.query("SELECT message FROM events WHERE entity = 'runner'")
    ]
    assert any("answers again after 2 failed rounds" in m for m in logged)
    assert doctor().status == Status.OK
    assert department_status(installation.rt, "1").backoff is None


async def test_a_persons_run_waits_for_the_runner_and_says_who_holds_it(
    installation: Installation,
) -> None:
    import pytest

    from core.errors import DuviError
    from core.service import run_department

    runner = Leases(installation.rt.store, "somehost:1")
    assert runner.acquire("department:1", ttl=600)
    with pytest.raises(DuviError, match="being worked on by somehost:1") as refused:
        await run_department(installation.rt, "1", connections=installation.connections)
    assert "wait for that run to finish" in refused.value.remedy
    assert installation.company.journals == {}
    runner.release("department:1")
    result = await run_department(
        installation.rt, "1", "zreports", connections=installation.connections
    )
    assert result.outcomes and result.reports == {}  # only what was asked for
    assert Leases(installation.rt.store).holder_of("department:1") is None


async def test_a_killed_holder_on_this_host_blocks_nobody(installation: Installation) -> None:
    import socket
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    killed = Leases(installation.rt.store, f"{socket.gethostname()}:{gone}")
    assert killed.acquire("department:1", ttl=600)  # a `duvi sync` that was SIGKILLed
    assert Leases(installation.rt.store).acquire("department:1", ttl=600)
