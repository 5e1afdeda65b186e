"""What the command line, the runner and the console call: whole operations on departments.
Each works in a department session (core/session.py): the caller's, when it runs several
steps in one (run_steps), or one of its own, on the caller's Connections. Every operation that
sends or changes master data holds the department's lease in its session (here, not in its
callers, so that every caller gets it): a busy department raises DepartmentBusy (exit 7)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from core.connections import Connections
from core.departments import Departments
from core.errors import ConfigError, DataError, DuviError, exit_code_of
from core.eventlog import Level, LogFilter
from core.eventtext import msg, plural_msg
from core.http import TransientError
from core.i18n import N_, _, ngettext
from core.leases import LEASE_TTL, LeaseLost, Leases
from core.ledger import Ledger, LedgerRow
from core.runtime import Runtime
from core.session import DepartmentSession, department_session
from core.status import RUNNABLE
from core.transfers import INVOICE, STOCK, ZREPORT, Outcome, Settlements
from core.transfers.gl_batches import RoundListings


def refuse_if_read_only(rt: Runtime, action: str) -> None:
    if rt.settings.read_only:
        raise ConfigError(
            _("read-only mode: {action} is a changing action and was refused").format(
                action=action
            ),
            _("run without --readonly (and without DUVI_READ_ONLY) to do it"),
        )


def department_ids(rt: Runtime, dept: str | None) -> list[str]:
    depts = Departments(rt.store, rt.secrets)
    if dept is None:
        for bad in depts.unreadable():  # skipped, never the end of the others' work
            rt.log.warning(
                msg(N_("{message}; skipped"), message=bad.message),
                department_id=bad.department_id,
            )
        return [d.id for d in depts.list() if depts.is_set_up(d.id)]
    require_department(rt, dept)
    return [dept]


def require_department(rt: Runtime, dept: str) -> None:
    """ConfigError (one line, the known departments in it) when `dept` does not exist."""
    Departments(rt.store, rt.secrets).require(dept)


def log_filter(
    rt: Runtime,
    dept: str | None = None,
    level: Level | None = None,
    entity: str | None = None,
    run: int | None = None,
    text: str | None = None,
) -> LogFilter:
    """The event log's filter from what a person typed, each part checked: a department, an
    entity or a run that does not exist is said so (ConfigError, UsageError), never answered
    with an empty log."""
    from core.errors import UsageError
    from core.eventlog import entity_named

    if dept is not None:
        require_department(rt, dept)
    if run is not None and not rt.log.run_exists(run):
        span = rt.store.query("SELECT min(id) AS a, max(id) AS b FROM sync_runs")[0]
        runs = f"runs {span['a']} to {span['b']}" if span["b"] else "no run yet"
        raise UsageError(_("there is no run {run} (the log has {runs})").format(run=run, runs=runs))
    return LogFilter(dept, level, entity_named(entity) if entity else None, run, text)


async def transfer(
    rt: Runtime,
    dept_id: str,
    *,
    kinds: tuple[str, ...] = (ZREPORT, INVOICE, STOCK),
    fetch: bool = True,
    retry_failed: bool = False,
    connections: Connections | None = None,
    session: DepartmentSession | None = None,
) -> list[Outcome]:
    """Fetch new documents from DUELL into the ledger, then send what is pending."""
    refuse_if_read_only(rt, "transferring")
    async with department_session(
        rt, dept_id, connections, within=session, lease=True, what="transfers"
    ) as s:
        dept = s.dept
        st = Settlements(
            dept,
            s.departments,
            s.ledger,
            s.visma,
            rt.log,
            s.duell if fetch else None,
            listings=s.listings,
        )
        outcomes: list[Outcome] = []
        zs = ZREPORT in kinds and dept.settings.zreports
        if zs and fetch and dept.settings.zreport_source == "duell":  # else: the SAF-T inbox
            await st.fetch_zreports()
        # Invoice bases are fetched before the Z-reports are built: a Z-report's sales on
        # account are left to the day's invoices and must match them (on_account.py), so a
        # Z-report and the day's bases arrive in one run and go out in it. A run of Z-reports
        # alone fetches them only when a Z-report waiting to be sent has sales on account.
        if (
            fetch
            and dept.settings.invoices
            and (INVOICE in kinds or (zs and st.zreports.waiting_on_account()))
        ):
            await st.fetch_invoices()
        if zs:
            outcomes += await st.transfer_zreports(retry_failed=retry_failed)
        if INVOICE in kinds and dept.settings.invoices:
            outcomes += await st.transfer_invoices(retry_failed=retry_failed)
        if STOCK in kinds and dept.settings.stock_update:
            st.register_stock()
            outcomes += await st.transfer_stock()
        await _keep_periods(rt, s, st)
        return outcomes


async def _keep_periods(rt: Runtime, s: DepartmentSession, st: Settlements) -> None:
    """Visma's periods kept for the period-closing alert (one request a run at most; none
    when the transfers read them already); a failed read leaves the last list in place."""
    from core.period_close import read_and_keep

    try:
        await read_and_keep(
            rt.store, s.ledger, s.dept.id, st.periods, rt.settings.period_close_warn_days
        )
    except DuviError as exc:
        rt.log.warning(
            msg(
                N_("financial periods not read: {message}; the last list read stands"),
                message=exc.message,
            ),
            department_id=s.dept.id,
            entity="transfer",
            data={"remedy": exc.remedy},
        )


async def import_saft(
    rt: Runtime,
    path: Path,
    dept_id: str,
    *,
    send: bool = True,
    connections: Connections | None = None,
) -> list[Outcome]:
    """Z-reports from a SAF-T Cash Register file, registered and (unless told not) sent."""
    from core.audit import record
    from core.saft import read_zreports

    refuse_if_read_only(rt, "importing")
    path = path.absolute()  # the audit trail names the file, wherever it was typed from
    departments = Departments(rt.store, rt.secrets)
    dept = departments.get(dept_id)
    if dept is None:
        raise ConfigError(
            _("there is no department {dept_id}").format(dept_id=repr(dept_id)),
            _("see `duvi config`"),
        )
    reports = read_zreports(path, dept_id, cutoff_hour=dept.settings.saft_cutoff_hour)
    ledger = Ledger(rt.store)
    from core.transfers.zreports import register_zreports

    keys: list[str] = []

    def register() -> None:
        nonlocal keys
        done = register_zreports(ledger, rt.log, dept_id, reports, str(path))
        keys = done.keys
        # What the ledger holds of the file: one row per key (a Z-report the file states
        # twice is one), each there whether new, known or held as changed.
        held = [k for k in dict.fromkeys(keys) if ledger.get(k) is not None]
        # Audited once done (a refused import, busy or of a bad file, is not an import).
        record(
            rt.store,
            "import.saft",
            department_id=dept_id,
            target=str(path),
            after={
                "zreports": len(held),
                "new": len(done.new),
                "changed": len(done.changed),
                "send": send,
            },
        )
        registers = sorted({z.register_id for z in reports})
        rt.log.info(
            plural_msg(
                "imported {n} Z-report ({new} new) of {registers} register(s) from {path}",
                "imported {n} Z-reports ({new} new) of {registers} register(s) from {path}",
                n=len(held),
                new=len(done.new),
                registers=len(registers),
                path=str(path),
            ),
            department_id=dept_id,
            entity=ZREPORT,
            data={"registers": registers, "keys": held},
        )

    if send:  # under the lease from before the first row: beside a running sync, refused
        async with department_session(
            rt, dept_id, connections, lease=True, what="import saft"
        ) as s:
            register()
            # The day's stock issue too (Lager on), from the items the file's receipts sold,
            # as a sync does for DUELL's Z-reports.
            await transfer(rt, dept_id, kinds=(ZREPORT, STOCK), fetch=False, session=s)
    else:  # registering alone sends nothing: the worker that holds the lease sends them
        with rt.log.run(dept_id, "import saft"):
            register()
    return [
        Outcome(r.key, r.state, r.visma_number, r.last_error)
        for r in ledger.rows(dept_id, kind=ZREPORT)
        if r.key in keys
    ]


async def release(rt: Runtime, key: str, *, connections: Connections | None = None) -> str:
    from core.audit import record

    refuse_if_read_only(rt, "releasing")
    row = Ledger(rt.store).get(key)
    if row is None:
        raise DataError(
            _("no transfer {key}").format(key=repr(key)), _("list them with `duvi transfers`")
        )
    async with department_session(
        rt, row.department_id, connections, lease=True, what="release"
    ) as s:
        result = await Settlements(s.dept, s.departments, s.ledger, s.visma, rt.log).release(key)
    record(
        rt.store,
        "transfer.release",
        department_id=row.department_id,
        target=key,
        after={"visma_number": row.visma_number},
    )
    return result


async def resend(rt: Runtime, key: str, *, connections: Connections | None = None) -> LedgerRow:
    """Send one failed or held transfer again (its cause fixed): under its department's lease,
    and audited only once the lease is held (a refused resend is not audited as done)."""
    from core.audit import record

    refuse_if_read_only(rt, "resending")
    row = Ledger(rt.store).get(key)
    if row is None:
        raise DataError(
            _("no transfer {key}").format(key=repr(key)), _("list them with `duvi transfers`")
        )
    async with department_session(
        rt, row.department_id, connections, lease=True, what="resend"
    ) as s:
        record(
            rt.store,
            "transfer.resend",
            department_id=row.department_id,
            target=key,
            before=str(row.state),
        )
        s.ledger.retry(key)
        await transfer(rt, row.department_id, kinds=(row.kind,), fetch=False, session=s)
        after = s.ledger.get(key)
    assert after is not None  # rows are never deleted
    return after


async def confirm_foreign(
    rt: Runtime, key: str, *, connections: Connections | None = None
) -> LedgerRow:
    """A person's confirmation that a Z-report or invoice held by the double-posting guard
    (Visma holds another integration's batch of its day, or its invoice of the same customer,
    date and amount) is to be posted beside it: recorded per batch or invoice number (one that
    turns up later holds it again), audited with who and which, then sent as a resend is,
    under the department's lease."""
    from core.audit import record
    from core.ledger import State
    from core.transfers.foreign import CONFIRMED, confirmed, found_for, held_for_foreign

    refuse_if_read_only(rt, "confirming a transfer")
    row = Ledger(rt.store).get(key)
    if row is None:
        raise DataError(
            _("no transfer {key}").format(key=repr(key)), _("list them with `duvi transfers`")
        )
    if row.state != State.ATTENTION or not held_for_foreign(row.last_error):
        raise DataError(
            _(
                "{key} is not held for another integration's batch of its day (it is {state})"
            ).format(key=key, state=row.state),
            _(
                "only such a Z-report or invoice is confirmed; `duvi transfers show KEY` says why "
                "a transfer waits"
            ),
        )
    async with department_session(
        rt, row.department_id, connections, lease=True, what="confirm"
    ) as s:
        batches = found_for(s.ledger, row.department_id, key)
        ok = sorted(set(batches) | confirmed(s.ledger, row.department_id, key))
        s.ledger.set_cursor(row.department_id, CONFIRMED + key, ",".join(ok))
        record(
            rt.store,
            "transfer.confirm_foreign",
            department_id=row.department_id,
            target=key,
            before={"state": str(row.state), "foreign_batches": batches},
            after={"posted_beside": ok},
        )
        rt.log.warning(
            msg(
                N_("{key}: posted beside Visma invoice {numbers}, as a person confirmed")
                if row.kind == "invoice"
                else N_("{key}: posted beside Visma batch {numbers}, as a person confirmed"),
                key=key,
                numbers=", ".join(batches),
            ),
            department_id=row.department_id,
            entity=row.kind,
        )
        s.ledger.retry(key)
        await transfer(rt, row.department_id, kinds=(row.kind,), fetch=False, session=s)
        after = s.ledger.get(key)
    assert after is not None  # rows are never deleted
    return after


async def duplicate_report(
    rt: Runtime,
    dept_id: str,
    *,
    connections: Connections | None = None,
    session: DepartmentSession | None = None,
) -> dict[str, Any]:
    """The duplicate customer clusters inside Visma and inside DUELL, for one department."""
    from core.matching import duplicate_clusters

    async with department_session(rt, dept_id, connections, within=session) as s:
        visma_records: list[tuple[Hashable, str | None, str | None, str | None]] = []
        names: dict[tuple[str, Hashable], str | None] = {}
        async for c in s.visma.list_customers():
            contact = c.main_contact
            visma_records.append(
                (
                    c.number,
                    c.corporate_id,
                    contact.phone1 if contact else None,
                    contact.email if contact else None,
                )
            )
            names[("visma", c.number)] = c.name
        duell_records = []
        async for d in s.duell.list_customers():
            duell_records.append((d.customer_id, d.org_no, d.phone, d.email))
            names[("duell", d.customer_id)] = d.name
    out: dict[str, Any] = {}
    for side, records in (("visma", visma_records), ("duell", duell_records)):
        out[side] = [
            {
                "key": c.key,
                "value": c.value,
                "members": [{"id": m, "name": names[(side, m)]} for m in c.members],
            }
            for c in duplicate_clusters(records)
        ]
    return out


async def sync_master_data(
    rt: Runtime,
    dept_id: str,
    entity: str,
    *,
    first_time: bool = False,
    connections: Connections | None = None,
    session: DepartmentSession | None = None,
) -> Any:
    """Products or customers of one department, per its master setting; `first_time` is the
    explicit first pull from Visma into DUELL, whatever the master."""
    from core.audit import record
    from core.models import Master
    from core.store import utcnow
    from core.sync.customers import CustomerSync
    from core.sync.products import ProductSync
    from core.sync.webhooks import record_unannounced

    refuse_if_read_only(rt, f"syncing {entity}")
    what = f"pull {entity}" if first_time else entity
    async with department_session(
        rt, dept_id, connections, within=session, lease=True, what=what
    ) as s:
        if first_time:  # once the lease is held: a refused pull is not audited as done
            record(rt.store, "pull.first_time", department_id=dept_id, target=entity)
        dept = s.dept
        cls = ProductSync if entity == "products" else CustomerSync
        sync = cls(rt.store, dept, s.departments, s.visma, s.duell, rt.log)
        master = (
            dept.settings.product_master
            if entity == "products"
            else (dept.settings.customer_master)
        )
        polled_key = f"{entity.rstrip('s')}:polled_at"
        polled_since = s.ledger.cursor(dept_id, polled_key)
        started = utcnow()
        report = await (sync.pull_from_visma(first_time=True) if first_time else sync.sync())
        if master == Master.VISMA and not first_time:
            # Delta polling is the safety net: what it found that no webhook announced is
            # remembered for doctor.
            record_unannounced(rt.store, dept_id, entity.rstrip("s"), polled_since, report.changed)
        s.ledger.set_cursor(dept_id, polled_key, started)
        rt.log.info(
            msg(
                N_(
                    "{entity}: {created} created, {updated} updated, {unchanged} unchanged, "
                    "{conflicts} conflicts"
                ),
                entity=entity,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                conflicts=report.conflicts,
            ),
            department_id=dept_id,
            entity=entity.rstrip("s"),
            data=report.as_dict(),
        )
        return report


async def process_webhooks(
    rt: Runtime,
    dept_id: str,
    *,
    connections: Connections | None = None,
    session: DepartmentSession | None = None,
) -> dict[str, int]:
    """Apply the Visma notifications received for this department's company."""
    from core.sync.webhooks import process_inbox

    async with department_session(
        rt, dept_id, connections, within=session, lease=True, what="webhooks"
    ) as s:
        if not s.departments.is_set_up(dept_id):
            return {}
        return await process_inbox(rt.store, s.dept, s.departments, s.visma, s.duell, rt.log)


async def resolve_conflict(
    rt: Runtime,
    conflict_id: int,
    action: str,
    *,
    candidate: str | None = None,
    fields: dict[str, Any] | None = None,
    apply_now: bool = False,
    connections: Connections | None = None,
) -> Any:
    """A person's decision on a conflict; audited; applied on the next sync, or at once."""
    from core.conflicts import Conflicts

    refuse_if_read_only(rt, "resolving a conflict")

    def decide() -> Any:
        return Conflicts(rt.store).resolve(
            conflict_id,
            action,  # type: ignore[arg-type]
            candidate=candidate,
            fields=fields,
        )

    if not apply_now:
        return decide()
    rows = rt.store.query("SELECT department_id FROM conflicts WHERE id = ?", [conflict_id])
    if not rows:
        raise KeyError(conflict_id)
    dept_id = rows[0]["department_id"]
    # Decided and applied under the lease: when busy, neither is done.
    async with department_session(
        rt, dept_id, connections, lease=True, what=f"resolve conflict {conflict_id}"
    ) as s:
        resolved = decide()
        entity = "customers" if resolved.entity == "customer" else "products"
        await sync_master_data(rt, dept_id, entity, session=s)
    return resolved


@dataclass
class RunResult:
    reports: dict[str, Any] = field(default_factory=dict)  # "dept/entity" -> sync report
    outcomes: list[Outcome] = field(default_factory=list)
    webhooks: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, DuviError]] = field(default_factory=list)  # (step, why)
    run_id: int | None = None  # the run's (`duvi log --run`)

    @property
    def troubled(self) -> bool:
        return (
            bool(self.failures)
            or any(str(o.state) in ("failed", "attention") for o in self.outcomes)
            or any(r.failed or r.conflicts for r in self.reports.values())
        )

    def summary(self) -> str:
        """What the run did, in the language (the console's "run now" notice): each part a
        clause of its own, nb "varer: 1140 opprettet, 1685 oppdatert, 175 konflikter"."""
        from core.readmodels import entity_text

        parts = [
            (
                _("{entity}: {created} created, {updated} updated, {conflicts} conflicts")
                if r.conflicts
                else _("{entity}: {created} created, {updated} updated")
            ).format(
                entity=entity_text(name.split("/")[-1]),
                created=r.created,
                updated=r.updated,
                conflicts=r.conflicts,
            )
            for name, r in self.reports.items()
        ]
        if self.webhooks:
            n = sum(self.webhooks.values())
            parts.append(
                ngettext("{n} notification applied", "{n} notifications applied", n).format(n=n)
            )
        if self.outcomes:
            done = sum(1 for o in self.outcomes if str(o.state) == "confirmed")
            held = sum(1 for o in self.outcomes if str(o.state) in ("failed", "attention"))
            parts.append(
                _("documents: {done} transferred, {held} need attention").format(
                    done=done, held=held
                )
            )
        return "; ".join(parts) or _("nothing to do")


class RunError(DuviError):
    """Steps of a department's run failed; the steps after them still ran."""

    def __init__(self, dept_id: str, result: RunResult) -> None:
        step, first = result.failures[0]
        more = len(result.failures) - 1
        super().__init__(
            f"department {dept_id}: {step} failed: {first.message}"
            + (f" (and {more} more: see `duvi log`)" if more else ""),
            first.remedy,
        )
        self.result = result
        self.unavailable = any(isinstance(e, TransientError) for _, e in result.failures)

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        """The first failure's: it is the one the message and the remedy are about."""
        return exit_code_of(self.result.failures[0][1])


async def run_steps(
    rt: Runtime,
    dept_id: str,
    wanted: tuple[str, ...],
    *,
    retry_failed: bool = False,
    connections: Connections | None = None,
    leases: Leases | None = None,
    ttl: float = LEASE_TTL,
    origin: str = "schedule",
    listings: RoundListings | None = None,
) -> RunResult:
    """One department's run: notifications, master data, then transfers, all in one session
    (one Visma token, one DUELL login, one HTTP-log writer) under the department's lease
    (`leases`: a named holder's, such as a runner's). A step that fails is logged and
    the next one still runs (a product DUELL cannot read must not hold back the day's
    Z-report), unless the department is not set up, a service is down or the lease was lost,
    which no later step would get past either. Raises RunError when any step failed, and
    DepartmentBusy when another worker holds the department. `listings`: the runner round's
    GL listings, shared by the company's departments (core/transfers/gl_batches.py)."""
    async with department_session(
        rt,
        dept_id,
        connections,
        lease=leases or True,
        ttl=ttl,
        what="all",
        origin=origin,
        listings=listings,
    ) as s:
        result = await _run_in(s, wanted, retry_failed)
    if result.failures:
        raise RunError(dept_id, result)
    return result


async def _run_in(s: DepartmentSession, wanted: tuple[str, ...], retry_failed: bool) -> RunResult:
    rt, dept_id = s.rt, s.dept.id
    result = RunResult(run_id=s.run_id)
    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
    if "webhooks" in wanted:
        steps.append(("notifications", lambda: process_webhooks(rt, dept_id, session=s)))
    for master in ("products", "customers"):
        if master in wanted:
            steps.append((master, partial(sync_master_data, rt, dept_id, master, session=s)))
    kinds = tuple(k for k in wanted if k in (ZREPORT, INVOICE, STOCK))
    if kinds:
        steps.append(
            (
                "transfers",
                lambda: transfer(rt, dept_id, kinds=kinds, retry_failed=retry_failed, session=s),
            )
        )
    for name, run in steps:
        try:
            done = await run()
        except (ConfigError, LeaseLost):
            raise
        except DuviError as exc:
            result.failures.append((name, exc))
            rt.log.error(
                msg(
                    N_("department {dept}: {entity} failed: {message}"),
                    dept=dept_id,
                    entity=name,
                    message=exc.message,
                ),
                department_id=dept_id,
                entity=name.rstrip("s"),
                data={"remedy": exc.remedy},
            )
            if isinstance(exc, TransientError):
                break
            continue
        if name == "notifications":
            result.webhooks = done
        elif name == "transfers":
            result.outcomes = done
        else:
            result.reports[f"{dept_id}/{name}"] = done
    rt.log.flush()
    return result


async def run_department(
    rt: Runtime,
    dept_id: str,
    entity: str = "all",
    *,
    retry_failed: bool = False,
    origin: str = "cli",
    connections: Connections | None = None,
) -> RunResult:
    """A person's "run now" (the command line's `duvi sync`, the console's run keys): audited,
    and under the department's lease, so that it never works beside the runner or another
    console on the same department."""
    from core.audit import record

    wanted = RUNNABLE.get(entity)
    if wanted is None:
        raise ConfigError(
            _("there is nothing called {entity} to run").format(entity=repr(entity)),
            _("use one of {items}").format(items=", ".join(RUNNABLE)),
        )
    refuse_if_read_only(rt, "running a sync")
    async with department_session(
        rt, dept_id, connections, lease=True, what=entity, origin=origin
    ) as s:
        record(  # once the lease is held: a refused run is not audited as run
            rt.store,
            "sync.run",
            department_id=dept_id,
            after={"entity": entity, "retry_failed": retry_failed, "from": origin},
        )
        result = await _run_in(s, wanted, retry_failed)
    if result.failures:
        raise RunError(dept_id, result)
    return result
