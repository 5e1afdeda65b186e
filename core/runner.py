"""`duvi run`: the automatic transfer scheduler. Every `sync_interval_minutes` it runs each
department with automatic transfer on (notifications, master data, transfers), holding that
department's lease (renewed while it works, see core/leases.py) so that two runners never work
on it at once.

Departments run concurrently, `runner_concurrency` at once. Each department's round is one
task that takes one slot for its steps, in their order (core/service.py's run_steps), and
gives it back at the end: a department with much work holds one slot longer, never more than
one, and never a second turn in the same round. Slots go to one department of each Visma
company in turn. The departments of a company share one request budget (one pacer per client
and tenant, kept in the store so that other processes count against it too: core/budgets.py);
a department that waits for that budget gives its slot back while it waits and queues for
one again when it goes on, so a company short of budget slows only its own departments. The
round's report and its heartbeat say how long each department took and how long it waited
for budget (README: Scale, for what bounds a round).

A department whose service is down is not hammered: its next try waits twice as long after
every failed round (up to MAX_BACKOFF rounds' worth), which the log and the heartbeat (and so
`duvi doctor`) say. The first round that gets through catches up on everything it missed,
since every step works from what is pending, not from what happened in the last interval.

Whatever goes wrong in one department (any exception, not only duvi's own: a settings row that
cannot be read, a full disk, too many open files) is logged with its traceback and that
department backs off; the round goes on with the others, and a round that fails as a whole is
logged and the next one still comes.

The runner keeps its Connections for its whole life, and with them every department's
tokens: a round logs in to DUELL (72 h tokens) and Visma Connect only when the token the
last round used has run out."""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.connections import Connections
from core.departments import Departments
from core.errors import DepartmentBusy, DuviError
from core.eventtext import msg
from core.http import RoundPools, budget_watch, round_pools
from core.i18n import N_
from core.leases import LeaseLost, Leases
from core.ledger import State
from core.round_split import share_slots, split_round
from core.round_workers import RoundWorkers
from core.runtime import Runtime
from core.service import RunError, run_steps
from core.status import RUNNABLE
from core.transfers import Outcome
from core.transfers.gl_batches import RoundListings

ROUND_COMPONENT = "runner.round"  # the heartbeat row of the last round's figures
MAX_BACKOFF = 6  # rounds: with the default 5 minutes, a down service is tried every 30 min


@dataclass(frozen=True)
class Failure:
    """A department's failed turn, for its back-off (applied once the round's parts are in)."""

    message: str
    remedy: str
    traceback: str | None = None
    run_id: int | None = None


@dataclass
class RoundReport:
    transferred: dict[str, list[Outcome]] = field(default_factory=dict)
    busy: list[str] = field(default_factory=list)  # held by another runner
    waiting: list[str] = field(default_factory=list)  # backing off after failed rounds
    stopped: list[str] = field(default_factory=list)  # not begun: the runner was told to stop
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0  # the round, start to end
    department_seconds: dict[str, float] = field(default_factory=dict)  # each one's turn
    budget_waits: dict[str, float] = field(default_factory=dict)  # seconds, those that waited
    processes: int = 1  # the processes the round was spread over (core/round_workers.py)
    failures: dict[str, Failure] = field(default_factory=dict)  # to back off from
    recovered: list[str] = field(default_factory=list)  # answered: any back-off ends

    def add(self, part: RoundReport) -> None:
        """Another part of the same round (another process's departments) into this one."""
        self.transferred.update(part.transferred)
        self.busy += part.busy
        self.stopped += part.stopped
        self.errors.update(part.errors)
        self.department_seconds.update(part.department_seconds)
        self.budget_waits.update(part.budget_waits)
        self.failures.update(part.failures)
        self.recovered += part.recovered

    def to_wire(self) -> dict[str, Any]:
        """A part of a round as a worker process sends it (JSON)."""
        return {
            "transferred": {d: [o.as_dict() for o in out] for d, out in self.transferred.items()},
            "busy": self.busy,
            "stopped": self.stopped,
            "errors": self.errors,
            "department_seconds": self.department_seconds,
            "budget_waits": self.budget_waits,
            "failures": {d: asdict(f) for d, f in self.failures.items()},
            "recovered": self.recovered,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> RoundReport:
        return cls(
            transferred={
                d: [Outcome(**{**o, "state": State(o["state"])}) for o in out]
                for d, out in wire["transferred"].items()
            },
            busy=wire["busy"],
            stopped=wire["stopped"],
            errors=wire["errors"],
            department_seconds=wire["department_seconds"],
            budget_waits=wire["budget_waits"],
            failures={d: Failure(**f) for d, f in wire["failures"].items()},
            recovered=wire["recovered"],
        )


class Turn:
    """One department's slot of the round's concurrency (core/http.py's BudgetWatch): held
    while it works, given back while it waits for budget (it has nothing to send meanwhile)
    and taken again, behind whoever queued since, when it goes on."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.held = False
        self.budget_wait = 0.0

    async def __aenter__(self) -> Turn:
        await self.slots.acquire()
        self.held = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.held:
            self.held = False
            self.slots.release()

    def waited(self, seconds: float) -> None:
        self.budget_wait += seconds

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        if not self.held:  # another of the department's requests gave the slot back already
            yield
            return
        self.held = False
        self.slots.release()
        try:
            yield
        finally:
            await self.slots.acquire()
            self.held = True


@dataclass
class Backoff:
    failures: int
    since: str  # first failure, ISO UTC
    next_try: float  # on the runner's clock (monotonic)
    next_try_at: str  # the same, ISO UTC, for people
    error: str


class Runner:
    def __init__(
        self,
        rt: Runtime,
        *,
        holder: str | None = None,
        connections: Connections,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rt = rt
        self.clock = clock
        self.leases = Leases(rt.store, holder)
        self.connections = connections
        self.interval = rt.settings.sync_interval_minutes * 60
        self.backoff: dict[str, Backoff] = {}
        self.lease_waits = 0  # departments skipped since start: another worker held them
        self.workers: RoundWorkers | None = None  # started on the first round that needs them

    def _beat(self) -> None:
        waiting = {
            d: {
                "failures": b.failures,
                "since": b.since,
                "next_try": b.next_try_at,
                "error": b.error,
            }
            for d, b in self.backoff.items()
        }
        self.rt.store.heartbeat("runner", {"holder": self.leases.holder, "waiting": waiting})

    async def run_once(self, stop: asyncio.Event | None = None) -> RoundReport:
        """One round over every due department. `stop` (SIGTERM) lets the departments at work
        finish and begins no other: the round ends between departments."""
        started, started_at = time.monotonic(), datetime.now(UTC)
        self._beat()
        companies = self._companies()
        waiting: list[str] = []
        due: list[str] = []
        for dept_id in _in_turn(companies):
            backoff = self.backoff.get(dept_id)
            if backoff is not None and self.clock() < backoff.next_try:
                waiting.append(dept_id)
            else:
                due.append(dept_id)
        concurrency = self.rt.settings.runner_concurrency
        company_of = {d: c for c, ds in companies.items() for d in ds}
        groups = split_round(due, company_of, min(self._processes(), concurrency))
        slots = share_slots([len(g) for g in groups], concurrency)
        parts: list[Awaitable[RoundReport]] = []
        if groups:  # this process takes the first group; worker processes the others
            parts.append(self.run_group(groups[0], slots[0], stop))
        if len(groups) > 1:
            if self.workers is None:
                self.workers = RoundWorkers(self.rt.settings)
            parts += [
                self.workers.run(k, g, n, stop)
                for k, (g, n) in enumerate(zip(groups[1:], slots[1:], strict=True))
            ]
        report = RoundReport(waiting=waiting, processes=max(1, len(groups)))
        for part in await asyncio.gather(*parts):
            report.add(part)
        for dept_id, failure in report.failures.items():
            self._back_off(dept_id, failure)
        for dept_id in report.recovered:
            self._recovered(dept_id)
        report.seconds = time.monotonic() - started
        self._beat()
        self._round_beat(report, started_at, report.seconds)
        self.rt.log.flush()
        self._prune()
        await self._alert()
        return report

    async def run_group(
        self, due: list[str], concurrency: int, stop: asyncio.Event | None = None
    ) -> RoundReport:
        """`due` (in their order) on `concurrency` slots in this process: one task a
        department, its lease's heartbeat cancelling that task alone when lost."""
        report = RoundReport()
        slots = asyncio.Semaphore(concurrency)
        # The round's GL listings: a company's period listed once, each later look-up reads
        # what changed since (core/transfers/gl_batches.py). This round's only: never kept.
        listings = RoundListings()
        # The round's connections (core/http.py's RoundPools): a department's clients reuse
        # those of the departments before it; all closed when the round is done.
        async with round_pools() as pools:
            turns = [
                asyncio.create_task(self._turn(depts, d, slots, report, listings, stop, pools))
                for depts in [Departments(self.rt.store, self.rt.secrets)]
                for d in due
            ]
            outcomes = await asyncio.gather(*turns, return_exceptions=True)
        for dept_id, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, BaseException):  # cancelled from inside, say: not the round
                report.errors.setdefault(dept_id, f"{type(outcome).__name__}: {outcome}")
        return report

    def _processes(self) -> int:
        """The processes a round may use: `runner_processes`, but one in sandbox mode (the
        built-in sandbox lives inside each process: another process would post elsewhere)."""
        s = self.rt.settings
        return 1 if s.sandbox else s.runner_processes

    async def aclose(self) -> None:
        """Ends the round's worker processes, if any were started."""
        if self.workers is not None:
            await self.workers.aclose()
            self.workers = None

    def _order(self) -> list[str]:
        """The departments in the order they get a slot (see `_in_turn`)."""
        return _in_turn(self._companies())

    def _companies(self) -> dict[str, list[str]]:
        """Every department by its Visma company (by department id within a company). A
        department whose settings cannot be read counts as a company of its own (its turn
        reports the error)."""
        rows = self.rt.store.query(
            "SELECT d.id, CASE WHEN json_valid(s.settings) THEN "
            "json_extract(s.settings, '$.visma_tenant_id') END AS tenant FROM departments d "
            "LEFT JOIN department_settings s ON s.department_id = d.id ORDER BY d.id"
        )
        companies: dict[str, list[str]] = {}
        for r in rows:
            tenant = r["tenant"]
            companies.setdefault(f"t:{tenant}" if tenant else f"d:{r['id']}", []).append(r["id"])
        return companies

    async def _turn(
        self,
        depts: Departments,
        dept_id: str,
        slots: asyncio.Semaphore,
        report: RoundReport,
        listings: RoundListings | None = None,
        stop: asyncio.Event | None = None,
        pools: RoundPools | None = None,
    ) -> None:
        """A department's turn: one slot of the round's concurrency for its steps (in order),
        given back while it waits for its company's budget (core/http.py's Pacer), and a
        lane of the round's connections (`pools`) for its clients."""
        turn = Turn(slots)
        budget_watch.set(turn)  # this task's own context: the department's pacing reports here
        async with turn:
            if stop is not None and stop.is_set():  # told to stop: begin nothing new
                report.stopped.append(dept_id)
                return
            t0 = time.monotonic()
            try:
                with pools.lane() if pools is not None else contextlib.nullcontext():
                    await self._department(depts, dept_id, report, listings)
            except Exception as exc:  # one department's trouble never stops the others
                report.errors[dept_id] = f"{type(exc).__name__}: {exc}"
                report.failures[dept_id] = Failure(
                    f"{type(exc).__name__}: {exc}",
                    "the traceback is in the event's data (`duvi log --json`); fix the "
                    "cause, the department is tried again after its back-off",
                    traceback.format_exc(),
                )
            finally:  # a department with automatic transfer off (or busy) did no work
                if dept_id in report.transferred or dept_id in report.errors:
                    report.department_seconds[dept_id] = round(time.monotonic() - t0, 3)
                if turn.budget_wait:
                    report.budget_waits[dept_id] = round(turn.budget_wait, 3)

    def _round_beat(self, report: RoundReport, started_at: datetime, seconds: float) -> None:
        """The last round, in the store for /healthz and /metrics (core/health.py,
        core/metrics.py), `duvi doctor` and `duvi status`, whichever process serves them:
        how long it and each department took, and which departments waited for budget."""
        self.lease_waits += len(report.busy)
        self.rt.store.heartbeat(
            ROUND_COMPONENT,
            {
                "started": started_at.isoformat(timespec="seconds"),
                "seconds": round(seconds, 3),
                "concurrency": self.rt.settings.runner_concurrency,
                "processes": report.processes,
                "departments": sorted(report.transferred),
                "department_seconds": report.department_seconds,
                "budget_waits": report.budget_waits,
                "errors": report.errors,
                "stopped": report.stopped,
                "lease_waits": self.lease_waits,
            },
        )

    async def _alert(self) -> None:
        """Alerts on what changed this round (core/alert_states.py); a channel that fails is tried
        again next round and never holds up the transfers."""
        from core.alert_states import send_due

        try:
            await send_due(self.rt)
        except Exception as exc:
            self.rt.log.error(
                msg(
                    N_("sending alerts failed: {error}; tried again next round"),
                    error=f"{type(exc).__name__}: {exc}",
                ),
                entity="runner",
                data={"traceback": traceback.format_exc()},
            )

    def _prune(self) -> dict[str, int]:
        """Retention, a little every round: events, runs and handled notifications older than
        `retention_event_days`, HTTP calls older than `retention_http_days`, in small batches
        (no VACUUM: freed pages are reused; given auto_vacuum=incremental, a few are returned
        to the file system). The ledger and the audit trail are never pruned; heartbeats are
        one row per component."""
        from core.eventlog import days_ago, prune_events, prune_oldest
        from core.httplog import prune_http_calls
        from core.sync.webhooks import prune_inbox

        s, store = self.rt.settings, self.rt.store
        removed: dict[str, int] = {}
        try:
            removed = {
                "events": prune_events(store, s.retention_event_days),
                # A run's row goes with its events (`duvi log --run` needs both).
                "sync_runs": prune_oldest(
                    store, "sync_runs", "started_at", days_ago(s.retention_event_days)
                ),
                "http_calls": prune_http_calls(store, s.retention_http_days),
                "webhook_inbox": prune_inbox(store, s.retention_event_days),
            }
            if sum(removed.values()) and store.query("PRAGMA auto_vacuum")[0]["auto_vacuum"] == 2:
                with store.write():
                    store.conn.execute("PRAGMA incremental_vacuum(256)")
        except Exception as exc:  # retention can wait a round; transfers cannot
            self.rt.log.error(
                msg(
                    N_("pruning old log rows failed: {error}; tried again next round"),
                    error=f"{type(exc).__name__}: {exc}",
                ),
                entity="runner",
                data={"traceback": traceback.format_exc()},
            )
        return removed

    async def _department(
        self,
        depts: Departments,
        dept_id: str,
        report: RoundReport,
        listings: RoundListings | None = None,
    ) -> None:
        """One department's turn in a round, under its lease."""
        dept = depts.get(dept_id)  # settings are read here, inside the department's guard
        if dept is None or not dept.settings.automatic_transfer or not depts.is_set_up(dept.id):
            return
        try:  # run_steps holds the department's lease (renewed while it works)
            result = await run_steps(
                self.rt,
                dept.id,
                RUNNABLE["all"],
                connections=self.connections,
                leases=self.leases,
                ttl=max(self.interval * 2, 600),
                listings=listings,
            )
            report.transferred[dept.id] = result.outcomes
            report.recovered.append(dept.id)
        except RunError as exc:
            report.transferred[dept.id] = exc.result.outcomes
            report.errors[dept.id] = str(exc)
            if exc.unavailable:
                report.failures[dept.id] = Failure(
                    exc.message, exc.remedy, run_id=exc.result.run_id
                )
            else:  # the service answered: the failed records wait, the rest went on
                report.recovered.append(dept.id)
        except LeaseLost as exc:  # another worker has it now: not a service to back off from
            report.errors[dept.id] = str(exc)
        except DepartmentBusy as exc:
            report.busy.append(dept.id)
            self.rt.log.info(
                msg(N_("{message}; skipped this round"), message=exc.message),
                department_id=dept.id,
                entity="runner",
            )
        except DuviError as exc:
            report.errors[dept.id] = str(exc)
            report.failures[dept.id] = Failure(exc.message, exc.remedy)

    def _back_off(self, dept_id: str, failure: Failure) -> None:
        now = datetime.now(UTC)
        before = self.backoff.get(dept_id)
        failures = (before.failures if before else 0) + 1
        delay = self.interval * min(2 ** (failures - 1), MAX_BACKOFF)
        at = now + timedelta(seconds=delay)
        self.backoff[dept_id] = Backoff(
            failures,
            before.since if before else now.isoformat(timespec="seconds"),
            self.clock() + delay,
            at.isoformat(timespec="seconds"),
            failure.message,
        )
        data: dict[str, object] = {
            "remedy": failure.remedy,
            "failures": failures,
            "next_try": at.isoformat(),
        }
        if failure.traceback is not None:
            data["traceback"] = failure.traceback
        self.rt.log.error(
            msg(
                N_(
                    "automatic transfer of department {dept} failed ({failures} in a row): "
                    "{message}; next try in {minutes} min, at {at} UTC"
                ),
                dept=dept_id,
                failures=failures,
                message=failure.message,
                minutes=f"{delay // 60:.0f}",
                at=f"{at:%H:%M}",
            ),
            department_id=dept_id,
            entity="runner",
            run_id=failure.run_id,
            data=data,
        )

    def _recovered(self, dept_id: str) -> None:
        before = self.backoff.pop(dept_id, None)
        if before is not None:
            self.rt.log.info(
                msg(
                    N_(
                        "department {dept} answers again after {failures} failed rounds "
                        "(since {since}); caught up"
                    ),
                    dept=dept_id,
                    failures=before.failures,
                    since=before.since,
                ),
                department_id=dept_id,
                entity="runner",
            )

    async def run_forever(self, stop: asyncio.Event) -> None:
        try:
            await self._rounds(stop)
        finally:
            await self.aclose()

    async def _rounds(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once(stop)
            except Exception as exc:  # the runner stays up: the next round may get through
                with contextlib.suppress(Exception):
                    self.rt.log.error(
                        msg(
                            N_("the round failed: {error}; next round in {minutes} min"),
                            error=f"{type(exc).__name__}: {exc}",
                            minutes=f"{self.interval // 60:.0f}",
                        ),
                        entity="runner",
                        data={"traceback": traceback.format_exc()},
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)


def _in_turn(companies: dict[str, list[str]]) -> list[str]:
    """The order departments get a slot: one of each Visma company in turn, so that a company
    with many departments does not fill the first slots of every round."""
    queues = list(companies.values())
    order: list[str] = []
    for i in range(max((len(q) for q in queues), default=0)):
        order += [q[i] for q in queues if i < len(q)]
    return order
