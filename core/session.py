"""One department's session: what every step of a run (notifications, products, customers,
transfers) works with. One Visma client and one DUELL client, each opened when a step first
needs it, so a run makes one Visma Connect token request and one DUELL login (none when the
connections still hold a valid token), and every call goes to one HTTP-log writer.

A session that sends or changes anything holds the department's lease for its whole life
(renewed while it works), and its ledger carries the lease as its fence (core/leases.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from core.connections import Connections, connections_for
from core.departments import Departments
from core.duell.client import SET_ASIDE, SET_ASIDE_ENTITY, SET_ASIDE_REMEDY, DuellClient, SetAside
from core.errors import ConfigError
from core.eventlog import EventLog, current_run
from core.eventtext import msg
from core.httplog import HttpLog
from core.i18n import N_, _
from core.leases import LEASE_TTL, Lease, Leases
from core.ledger import Ledger
from core.models import Department
from core.runtime import Runtime
from core.transfers.gl_batches import RoundListings
from core.visma.client import VismaClient


@dataclass
class DepartmentSession:
    rt: Runtime
    dept: Department
    connections: Connections
    ledger: Ledger
    run_id: int | None = None
    lease: Lease | None = None  # held for the session's life when it changes anything
    listings: RoundListings | None = None  # the runner round's GL listings (gl_batches.py)
    _visma: VismaClient | None = None
    _duell: DuellClient | None = None

    @property
    def departments(self) -> Departments:
        return self.connections.departments

    @property
    def log(self) -> EventLog:
        return self.rt.log

    @property
    def http_log(self) -> HttpLog:
        return self.connections.http_log

    @property
    def visma(self) -> VismaClient:
        """Raises ConfigError when the department is not set up for Visma."""
        if self._visma is None:
            self._visma = self.connections.visma(self.dept.id, run_id=self.run_id)
        return self._visma

    @property
    def duell(self) -> DuellClient:
        if self._duell is None:
            self._duell = self.connections.duell(department_id=self.dept.id, run_id=self.run_id)
            self._duell.on_set_aside = self._set_aside
        return self._duell

    def _set_aside(self, path: str, rows: list[SetAside]) -> None:
        """The rows a whole DUELL listing set aside: each logged once while it stays
        unreadable (doctor's `duell.rows` reads what stands), forgotten once it reads again."""
        entity = SET_ASIDE_ENTITY.get(path, path.strip("/"))
        with self.log.warnings_once(self.dept.id, entity, SET_ASIDE) as once:
            for r in rows:
                once.warn(
                    r.row,
                    r.problem,
                    msg(
                        N_("DUELL {entity} row {row} set aside, the rest read on: {problem}"),
                        entity=entity,
                        row=r.row,
                        problem=r.problem,
                    ),
                    data={"path": r.path, "remedy": SET_ASIDE_REMEDY},
                )

    async def aclose(self) -> None:
        visma, duell, self._visma, self._duell = self._visma, self._duell, None, None
        try:
            if visma is not None:
                await visma.aclose()
        finally:
            if duell is not None:
                await duell.aclose()


@asynccontextmanager
async def department_session(
    rt: Runtime,
    dept_id: str,
    connections: Connections | None = None,
    *,
    within: DepartmentSession | None = None,
    lease: Leases | bool = False,
    ttl: float = LEASE_TTL,
    what: str = "run",
    origin: str | None = None,
    listings: RoundListings | None = None,
) -> AsyncIterator[DepartmentSession]:
    """The session `within` when a caller already holds one (left open for it); else a new one
    on `connections` (the caller's, or the real services' of the settings), closed on exit.
    `lease` (True, or the Leases of a named holder such as a runner): hold the department's
    lease, with time to live `ttl`, renewed while the session lasts; DepartmentBusy when
    another worker holds it. Raises ConfigError for a department that does not exist.

    A session that holds the lease is a run (`what`, started by `origin`: cli, console,
    schedule): every event and HTTP call made in it carries the run's id. `listings`: the
    runner round's GL listings, which the session's transfers share with the company's other
    departments in the round (core/transfers/gl_batches.py)."""
    if within is not None:
        if within.dept.id != dept_id:
            raise ValueError(f"a session of department {within.dept.id} used for {dept_id}")
        if lease and within.lease is None:
            raise ValueError(f"a changing step in a session of {dept_id} without its lease")
        yield within
        return
    with connections_for(rt, connections) as conns:
        dept = conns.departments.get(dept_id)
        if dept is None:
            raise ConfigError(
                _("there is no department {dept_id}").format(dept_id=repr(dept_id)),
                _("see `duvi config`"),
            )
        async with AsyncExitStack() as stack:
            held = None
            run_id: int | None
            if lease:
                leases = lease if isinstance(lease, Leases) else Leases(rt.store)
                held = await stack.enter_async_context(leases.hold(f"department:{dept_id}", ttl))
                # Once the lease is held: a refused run is no run, and a run still "running"
                # of this department lost its process (it held this lease), unless it is the
                # one this task works for.
                if current_run() is None:
                    rt.log.interrupt_runs(dept_id)
                run_id = stack.enter_context(rt.log.run(dept_id, what, origin=origin))
            else:
                run_id = current_run()
            session = DepartmentSession(
                rt, dept, conns, Ledger(rt.store, held), run_id, held, listings
            )
            try:
                yield session
            finally:
                await session.aclose()
                rt.log.flush()
