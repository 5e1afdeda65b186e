"""One department session per run: one Visma Connect token per department and one DUELL login
(the account's, shared by its departments) for a "run all", the runner's tokens kept across
rounds while they are valid, and the sandbox wired only by core.boot."""

from __future__ import annotations

import pytest

from core.boot import set_up
from core.config import load_settings
from core.connections import Connections
from core.departments import Departments
from core.errors import ConfigError
from core.runner import Runner
from core.runtime import Runtime
from core.sandbox.world import sandbox_credentials
from core.service import run_department
from core.session import department_session
from tests.sandbox_fixtures import Installation


def counts(inst: Installation) -> tuple[int, int]:
    """(Visma Connect tokens, DUELL logins) the sandbox has handed out so far."""
    return inst.sandbox.connect.issued, inst.sandbox.duell.logins


def since(inst: Installation, before: tuple[int, int]) -> tuple[int, ...]:
    return tuple(now - was for now, was in zip(counts(inst), before, strict=True))


async def test_run_all_logs_in_to_visma_per_department_and_to_duell_once(
    installation: Installation,
):
    rt = installation.rt
    set_up(installation.connections.departments, sandbox_credentials(7)[2])
    before = counts(installation)
    for dept in ("1", "2", "3"):  # as `duvi sync` runs them: one Connections for all
        result = await run_department(rt, dept, connections=installation.connections)
        assert result.reports and not result.failures  # every step ran, in one session
    assert since(installation, before) == (3, 1)  # DUELL's token is the account's
    calls = rt.store.query(
        "SELECT department_id, system, count(*) AS n FROM http_calls "
        "WHERE path LIKE '%/connect/token%' OR path LIKE '%/getaccesstokens%' "
        "GROUP BY department_id, system ORDER BY department_id, system"
    )
    assert [(c["department_id"], c["system"], c["n"]) for c in calls] == [
        ("1", "connect", 1),
        ("1", "duell", 1),
        ("2", "connect", 1),
        ("3", "connect", 1),
    ]


async def test_the_runner_reuses_tokens_across_rounds_while_they_are_valid(
    installation: Installation,
) -> None:
    runner = Runner(installation.rt, connections=installation.connections)
    before = counts(installation)
    for _ in range(2):
        report = await runner.run_once()
        assert list(report.transferred) == ["1"] and not report.errors
    assert since(installation, before) == (1, 1)

    for held in installation.connections.tokens.values():
        held.expires_at = 0  # both tokens ran out between rounds
    await runner.run_once()
    assert since(installation, before) == (2, 2)


async def test_a_session_opens_its_clients_when_first_needed_and_closes_them(
    installation: Installation,
) -> None:
    async with department_session(installation.rt, "2", installation.connections) as session:
        assert session._visma is None and session._duell is None
        assert await session.duell.departments()
        duell = session.duell
        assert session._visma is None  # never needed, never opened
        assert session.http_log is installation.connections.http_log  # one writer
    assert duell.http.client.is_closed and duell.login.service.client.is_closed
    with pytest.raises(ConfigError, match="no department"):
        async with department_session(installation.rt, "9", installation.connections):
            pass


async def test_clients_are_async_context_managers(installation: Installation) -> None:
    async with installation.connections.visma("1") as visma:
        assert await visma.list_branches()
    assert visma.http.client.is_closed and visma.tokens.connect.client.is_closed


def test_the_engine_never_builds_the_sandbox(home) -> None:
    """Sandbox mode without the composition root's endpoints is refused, not simulated."""
    with (
        Runtime.open(load_settings(sandbox=True)) as rt,
        Connections(rt) as conns,
        pytest.raises(ConfigError, match=r"core\.boot"),
    ):
        conns.duell(department_id="1")


def test_first_start_sets_the_sandbox_departments_up_once(home) -> None:
    from core.boot import ensure_installation

    with Runtime.open(load_settings(sandbox=False)) as rt:
        assert ensure_installation(rt) is False  # real services: nothing to invent
    with Runtime.open(load_settings(sandbox=True)) as rt:
        assert ensure_installation(rt) is True
        assert ensure_installation(rt) is False
        depts = Departments(rt.store, rt.secrets)
        assert [d.id for d in depts.list()] == ["1", "2", "3"]
        assert [depts.is_set_up(d) for d in ("1", "2", "3")] == [True, True, False]
