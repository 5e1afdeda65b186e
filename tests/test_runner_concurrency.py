"""The concurrent runner (core/runner.py): departments at once up to `runner_concurrency`, one
slot per department, given back while it waits for its company's budget; one pacer per
(client, tenant) shared by the company's departments; the round says how long each took and
which waited for budget."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from core.config import load_settings
from core.departments import Departments
from core.http import Pacer, RateHeaders
from core.models import DepartmentSettings
from core.runner import ROUND_COMPONENT, RoundReport, Runner
from core.runtime import Runtime
from tests.sandbox_fixtures import Installation

GUARD = 30  # seconds: a bound on a wait that the code under test ends, never a timing


def _runtime(home: Path, n: int, concurrency: int, tenants: list[str] | None = None) -> Runtime:
    rt = Runtime.open(load_settings(home=home, runner_concurrency=concurrency))
    depts = Departments(rt.store, rt.secrets)
    for i in range(1, n + 1):
        depts.add(str(i), f"shop {i}")
        if tenants:
            depts.save_settings(str(i), DepartmentSettings(visma_tenant_id=tenants[i - 1]))
    return rt


async def test_departments_run_at_once_up_to_the_limit_and_each_once(tmp_path: Path) -> None:
    rt = _runtime(tmp_path / "home", 5, concurrency=2)
    active: list[str] = []
    most = 0
    turns: list[str] = []
    two_at_once = asyncio.Event()

    async def department(
        self: Runner, depts: object, dept_id: str, report: RoundReport, *_round: object
    ) -> None:
        nonlocal most
        active.append(dept_id)
        turns.append(dept_id)
        most = max(most, len(active))
        if len(active) == 2:
            two_at_once.set()
        await asyncio.wait_for(two_at_once.wait(), GUARD)  # the first waits for a second
        for _ in range(3):
            await asyncio.sleep(0)  # others get the loop: none beyond the limit may start
        active.remove(dept_id)
        report.transferred[dept_id] = []

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(Runner, "_department", department)
            report = await Runner(rt, connections=None).run_once()  # type: ignore[arg-type]
        assert most == 2
        assert sorted(turns) == ["1", "2", "3", "4", "5"]  # each department once
        assert sorted(report.transferred) == ["1", "2", "3", "4", "5"]
        assert sorted(report.department_seconds) == ["1", "2", "3", "4", "5"]
        beat = json.loads(rt.store.db["heartbeats"].get(ROUND_COMPONENT)["info"])
        assert beat["concurrency"] == 2
        assert sorted(beat["department_seconds"]) == ["1", "2", "3", "4", "5"]
        assert beat["budget_waits"] == {}
    finally:
        rt.close()


async def test_slots_go_to_one_department_of_each_company_in_turn(tmp_path: Path) -> None:
    # Company A has departments 1-4, B has 5, C has 6: the first round of slots is 1, 5, 6.
    rt = _runtime(tmp_path / "home", 6, 1, ["A", "A", "A", "A", "B", "C"])
    try:
        assert Runner(rt, connections=None)._order() == ["1", "5", "6", "2", "3", "4"]  # type: ignore[arg-type]
    finally:
        rt.close()


async def test_a_department_waiting_for_budget_gives_its_slot_to_the_next(
    tmp_path: Path,
) -> None:
    """One slot. Department 1's company has no budget left for 0.3 s: department 2 works in
    that slot meanwhile and is done first; only department 1 is reported as waiting."""
    rt = _runtime(tmp_path / "home", 2, concurrency=1)
    pacer = Pacer(100, window=60)
    pacer.exhausted_for(0.3)
    done: list[str] = []

    async def department(
        self: Runner, depts: object, dept_id: str, report: RoundReport, *_round: object
    ) -> None:
        if dept_id == "1":
            await pacer.acquire()
            pacer.release(None, RateHeaders())
        done.append(dept_id)

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(Runner, "_department", department)
            report = await Runner(rt, connections=None).run_once()  # type: ignore[arg-type]
        assert done == ["2", "1"]
        assert list(report.budget_waits) == ["1"] and report.budget_waits["1"] >= 0.3
        beat = json.loads(rt.store.db["heartbeats"].get(ROUND_COMPONENT)["info"])
        assert list(beat["budget_waits"]) == ["1"]
    finally:
        rt.close()


async def test_one_trouble_stays_in_its_department_under_concurrency(tmp_path: Path) -> None:
    rt = _runtime(tmp_path / "home", 3, concurrency=3)

    async def department(
        self: Runner, depts: object, dept_id: str, report: RoundReport, *_round: object
    ) -> None:
        if dept_id == "2":
            raise OSError("No space left on device")
        report.transferred[dept_id] = []

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(Runner, "_department", department)
            runner = Runner(rt, connections=None)  # type: ignore[arg-type]
            report = await runner.run_once()
        assert sorted(report.transferred) == ["1", "3"]
        assert report.errors == {"2": "OSError: No space left on device"}
        assert list(runner.backoff) == ["2"]
    finally:
        rt.close()


@pytest.mark.slow
async def test_the_departments_of_one_company_share_one_pacer(installation: Installation) -> None:
    from core.boot import set_up
    from core.sandbox.world import sandbox_credentials

    creds = sandbox_credentials(7)
    depts = Departments(installation.rt.store, installation.rt.secrets)
    conns = installation.connections
    one, two = conns.visma("1"), conns.visma("2")  # two integration clients of one company
    assert one.http.pacer is not two.http.pacer
    # Department 2 set up with department 1's client: one (client, tenant), one budget.
    set_up(
        depts,
        replace(
            creds[1],
            visma_client_id=creds[0].visma_client_id,
            visma_client_secret=creds[0].visma_client_secret,
        ),
    )
    assert conns.visma("2").http.pacer is one.http.pacer
    assert conns.duell(department_id="1").http.pacer is conns.duell(department_id="2").http.pacer


def test_the_round_in_one_line_for_doctor_and_duvi_run() -> None:
    from core.cli.scheduler import round_summary
    from core.status import round_figures

    info = json.dumps(
        {
            "seconds": 12.34,
            "concurrency": 16,
            "department_seconds": {"1": 2.0, "2": 9.87, "3": 0.5},
            "budget_waits": {"2": 4.25, "3": 0.1},
        }
    )
    assert round_figures(info) == (
        "last round 3 departments in 12.3 s (16 at once); slowest department 2 (9.9 s); "
        "waited for rate budget: 2 (4.2 s), 3 (0.1 s)"
    )
    assert round_figures("not json") is None
    report = RoundReport(
        seconds=12.34,
        department_seconds={"1": 2.0, "2": 9.87, "3": 0.5},
        budget_waits={"2": 4.25, "3": 0.1},
    )
    assert round_summary(report, 16) == (
        "round: 3 departments in 12.3 s (16 at once); slowest department 2 (9.9 s); "
        "waited for rate budget: 2 (4.2 s), 3 (0.1 s)"
    )


@pytest.mark.slow
async def test_leases_are_renewed_and_lost_per_department_under_concurrency(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Departments 1 and 2 at once, each under its lease with a short time to live: 2's is
    renewed while it works (its expiry moves on), 1's is taken over meanwhile; only 1 stops
    (LeaseLost, no back-off), 2 finishes."""
    from types import SimpleNamespace

    from core.leases import Leases

    rt = installation.rt
    depts = Departments(rt.store, rt.secrets)
    two = depts.get("2")
    assert two is not None
    depts.save_settings("2", two.settings.model_copy(update={"automatic_transfer": True}))
    both_hold = asyncio.Event()
    holding: set[str] = set()

    def expiry(name: str) -> str:
        rows = rt.store.query("SELECT expires_at FROM leases WHERE name = ?", [name])
        return str(rows[0]["expires_at"])

    async def run_steps(
        rt_: Runtime, dept_id: str, entities: object, *, leases: Leases, **_: object
    ) -> SimpleNamespace:
        name = f"department:{dept_id}"
        async with leases.hold(name, ttl=0.06):  # renewed every 0.02 s
            holding.add(dept_id)
            if len(holding) == 2:
                both_hold.set()
            await asyncio.wait_for(both_hold.wait(), GUARD)
            if dept_id == "1":  # another worker takes it over: the next renewal finds out
                with rt.store.write():
                    rt.store.conn.execute(
                        "UPDATE leases SET holder = 'elsewhere:1', generation = generation + 1 "
                        "WHERE name = ?",
                        [name],
                    )
                await asyncio.wait_for(asyncio.Event().wait(), GUARD)  # cancelled by the lease
            before = expiry(name)
            for _ in range(int(GUARD / 0.01)):  # until its heartbeat has renewed it
                await asyncio.sleep(0.01)
                if expiry(name) > before:
                    break
            else:
                pytest.fail("department 2's lease was not renewed while it worked")
        return SimpleNamespace(outcomes=[])

    monkeypatch.setattr("core.runner.run_steps", run_steps)
    runner = Runner(rt, connections=installation.connections)
    report = await runner.run_once()
    assert report.transferred == {"2": []}
    assert "taken over by elsewhere:1" in report.errors["1"]
    assert runner.backoff == {}  # a lost lease is no service to back off from
