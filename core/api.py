"""The console's one handle on the engine.

A `ConsoleApi` is created once per console and held by the app (as harlequin holds its
database connection). It owns:
- one `Runtime` (the store connection, the event log, the secrets file), opened on first use
  and shared by every worker thread: `Store` serialises its calls on a lock, and no engine code
  awaits inside a write transaction, so coroutines on the loop below never interleave inside
  one either;
- one event loop on a thread of its own, on which every async engine call runs
  (`asyncio.run_coroutine_threadsafe`): no call starts a loop or opens a store of its own.

Its methods are blocking and meant for the console's worker threads. They return the frozen
read models of `core.readmodels`, never dicts or engine objects. The first start in sandbox
mode (the seeded departments) happens in one place: core.boot.open_runtime, which every
entry point (this one and each command) opens its runtime with.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import json
import threading
from collections.abc import Callable, Coroutine
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from core.i18n import N_, _, ngettext
from core.readmodels import (
    AccountEditor,
    AccountRow,
    ConflictCase,
    DepartmentEntry,
    DepartmentStatus,
    DoctorCheck,
    FieldDiff,
    HttpCallRow,
    JournalLine,
    JournalPreview,
    LogEntry,
    LogQuery,
    NoPreview,
    SandboxCredentials,
    SavedSetup,
    Settlement,
    SettlementCalendar,
    SetupChoice,
    SetupProbe,
    TransferDocument,
    TransferRow,
    VatEditor,
    VatRow,
)
from core.reasons import rate_shown

if TYPE_CHECKING:
    from pydantic import SecretStr

    from core.config import Settings
    from core.connections import Connections
    from core.models import DepartmentSettings
    from core.runtime import Runtime

T = TypeVar("T")
CLOSE_GRACE_S = 10.0  # how long close() lets cancelled engine calls run their cleanup

# The account map's lines as the editor shows them: DUELL's words in nb, English in en (what
# the journal's lines say is core.accounting's: Norwegian data, the same in either language).
ACCOUNT_LABELS = {
    "payment:cash": N_("Cash"),
    "payment:bankaxept": "BankAxept",
    "payment:card": "Visa/Mastercard",
    "payment:vipps": "Vipps",
    "payment:giftcard": N_("Gift card redeemed"),
    "payment:invoice": N_("Invoice/credit"),
    "payment:creditnote": N_("Credit note"),
    "payment:fallback": N_("Unknown payment type (fallback)"),
    "revenue:0:5": N_("Sales 0 % exempt (SAF-T 5)"),
    "revenue:0:6": N_("Sales 0 % outside VAT (SAF-T 6)"),
    "revenue:0:52": N_("Sales 0 % export (SAF-T 52)"),
    "giftcard:sold": N_("Gift card sold"),
    "rounding": N_("Rounding"),
    "tips": N_("Tips received"),
    "cash_difference": N_("Cash difference"),
    "pant:refunded": N_("Deposit refunded (machine)"),
    "payin:float": N_("Float paid in from bank"),
    "payout:bank": N_("Paid out to bank"),
    "cogs:debit": N_("Inventory change (debit)"),
    "cogs:credit": N_("Stock (credit)"),
}


def account_label(key: str) -> str:
    """An account map key's line in the editor, in the current language."""
    if key in ACCOUNT_LABELS:
        return _(ACCOUNT_LABELS[key])
    kind, _sep, rest = key.partition(":")
    if kind == "revenue":
        return _("Sales {rate} %").format(rate=rate_shown(rest))
    if kind == "payment":
        return _("Payment {name}").format(name=rest)
    if kind == "vat":
        return _("Output VAT {rate} %").format(rate=rate_shown(rest))
    if kind == "payin":
        return _("Pay-in {name}").format(name=rest)
    if kind == "payout":
        return _("Pay-out {name}").format(name=rest)
    if kind == "pant":
        return _("Deposit sold {rate} %").format(rate=rate_shown(rest.removeprefix("sold:")))
    return key


class ConsoleClosedError(RuntimeError):
    """An engine call after the console closed its handle (a worker that outlived the app)."""


class ConsoleApi:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._runtime: Runtime | None = None
        self._connections: Connections | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._closed = False
        self._calls: set[concurrent.futures.Future[Any]] = set()  # engine calls under way

    # -- what it holds ----------------------------------------------------------------------

    @property
    def rt(self) -> Runtime:
        """The console's runtime, opened once (by whichever worker needs it first)."""
        with self._lock:
            if self._closed:
                raise ConsoleClosedError("the console has closed its engine handle")
            if self._runtime is None:
                from core import boot

                rt = boot.open_runtime(self.settings)  # sandbox: its departments on first use
                try:
                    self._connections = boot.connections(rt)
                except BaseException:
                    rt.close()
                    raise
                self._runtime = rt
            return self._runtime

    @property
    def conns(self) -> Connections:
        """The console's clients: one HTTP-log writer, and every token obtained kept for the
        next call while it is valid (a department's DUELL login lives 72 h)."""
        self.rt  # noqa: B018 - opens the runtime and the connections together
        assert self._connections is not None
        return self._connections

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise ConsoleClosedError("the console has closed its engine handle")
            if self._loop is None:
                # Made in an empty context: the loop keeps a handle (its self-pipe reader)
                # with the context it was made in, which would otherwise be this worker's.
                loop = contextvars.Context().run(asyncio.new_event_loop)
                thread = threading.Thread(
                    target=_serve, args=(loop,), name="duvi-console-engine", daemon=True
                )
                thread.start()
                self._loop, self._loop_thread = loop, thread
            return self._loop

    def _call(self, work: Callable[[Runtime], Coroutine[Any, Any, T]]) -> T:
        """Run an async engine call on the console's loop and wait for its result here.

        The call is scheduled from an empty context: the loop outlives every screen, and a
        task (or a timer it leaves behind) would otherwise keep the calling worker's context
        alive, and with it the screen that started the worker."""
        rt = self.rt
        loop = self._event_loop()
        with self._lock:
            if self._closed:  # closed between the two: the loop would never run it
                raise ConsoleClosedError("the console has closed its engine handle")
            future = contextvars.Context().run(asyncio.run_coroutine_threadsafe, work(rt), loop)
            self._calls.add(future)
        try:
            return future.result()
        finally:
            with self._lock:
                self._calls.discard(future)
            # What the call said to the services is readable at once (`w` on a transfer),
            # not half a second later when the writer's timer would write it.
            if self._connections is not None:
                self._connections.http_log.flush()

    def close(self) -> None:
        """Cancel what still runs on the loop (the ledger makes an interrupted transfer safe:
        a row left `sent` is looked up before anything is sent again), stop the loop, then
        close the runtime (the event log's buffered events are written)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread, rt, conns = (
                self._loop,
                self._loop_thread,
                self._runtime,
                self._connections,
            )
            calls = list(self._calls)
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(CLOSE_GRACE_S)
        for call in calls:  # a worker still waiting is told, never left waiting for good
            with contextlib.suppress(concurrent.futures.InvalidStateError):  # it finished
                call.set_exception(ConsoleClosedError("the console closed during this call"))
        if conns is not None:
            conns.close()
        if rt is not None:
            rt.close()

    # -- the main screen ----------------------------------------------------------------------

    def status(self, dept_ids: list[str] | None = None) -> list[DepartmentStatus]:
        """The status panel of every department, or of `dept_ids` only (the departments a
        console opened: with thousands, all of them would take seconds)."""
        from core.status import all_status, department_status

        if dept_ids is None:
            return all_status(self.rt)
        return [department_status(self.rt, d) for d in dept_ids]

    def department_index(self) -> list[DepartmentEntry]:
        """Every department with its worst state, worst first (the department picker)."""
        from core.status import department_index

        return department_index(self.rt)

    def run(self, dept_id: str, entity: str = "all", *, retry_failed: bool = False) -> str:
        """A person's "run now" of one department (audited, under its lease): a summary line."""
        from core.service import run_department

        async def go(rt: Runtime) -> str:
            r = await run_department(
                rt,
                dept_id,
                entity,
                retry_failed=retry_failed,
                origin="console",
                connections=self.conns,
            )
            return _("department {dept}: {summary}").format(dept=dept_id, summary=r.summary())

        return self._call(go)

    # -- transfers ----------------------------------------------------------------------------

    def transfers(self, dept_id: str, *, day: date | None = None) -> list[TransferRow]:
        """Every document of the department with its date, Z number, amount, state, Visma's
        number and status (core/transferview.py); `day`: only that business day's (the
        calendar's Enter)."""
        from core.transferview import transfer_rows

        return transfer_rows(self.rt.store, dept_id, day=day)

    def transfer_page(self, dept_id: str, limit: int) -> tuple[list[TransferRow], int] | None:
        """The department's first `limit` documents, newest first, and how many it has (None:
        a row the ledger did not write; read them all with `transfers`)."""
        from core.transferview import transfer_page

        return transfer_page(self.rt.store, dept_id, limit)

    def transfer_document(self, key: str) -> TransferDocument:
        """One document as it was (or will be) sent, and Visma's answers; any kind, any
        state. An unknown key raises DataError."""
        from core.departments import Departments
        from core.transferview import transfer_document

        rt = self.rt
        return transfer_document(rt.store, Departments(rt.store, rt.secrets), key)

    def calendar(
        self, dept_id: str, month: date | None = None, *, today: date | None = None
    ) -> SettlementCalendar:
        """The department's business days, one state each: the last five weeks, or `month`."""
        from core.calendar import settlement_calendar

        return settlement_calendar(self.rt.store, dept_id, today=today or date.today(), month=month)

    def settlement(self, dept_id: str, month: date | None = None) -> Settlement:
        """The month's business days, DUELL's Z-reports beside Visma's batches (one journal
        listing per financial period), and its VAT per code (core/reconcile.py). Without
        `month`: the month of the department's latest Z-report (the one being closed)."""
        from core.reconcile import latest_month, settlement

        async def go(rt: Runtime) -> Settlement:
            first = month or latest_month(rt.store, dept_id, date.today())
            return await settlement(rt, dept_id, first, connections=self.conns)

        return self._call(go)

    def journal_preview(self, key: str) -> JournalPreview | NoPreview:
        """The journal a Z-report becomes: lines, debit and credit totals, VAT ids, flags."""
        from core.accounting import JournalRefused, build_journal
        from core.departments import Departments
        from core.ledger import Ledger
        from core.models import ZReport

        rt = self.rt
        row = Ledger(rt.store).get(key)
        if row is None or row.kind != "zreport":
            return NoPreview("only Z-reports have a journal preview")
        depts = Departments(rt.store, rt.secrets)
        dept = depts.get(row.department_id)
        if dept is None:
            return NoPreview(f"department {row.department_id} is no longer known")
        vat_ids = {
            r: m.visma_vat_id for r, m in depts.vat_mappings(dept.id).items() if m.visma_vat_id
        }
        try:
            j = build_journal(
                ZReport.model_validate(row.payload),
                depts.account_map(dept.id),
                vat_ids,
                dept.settings,
                key=key,
                saft_codes=depts.saft_codes(dept.id),
            )
        except JournalRefused as exc:
            return NoPreview(f"{exc.message}\n→ {exc.remedy}")
        return JournalPreview(
            key=key,
            description=j.description,
            lines=tuple(
                JournalLine(ln.account, ln.text, ln.debit, ln.credit, ln.vat_id or "")
                for ln in j.lines
            ),
            debit=j.debit_total,
            credit=j.credit_total,
            flags=tuple(j.flags),
            state=str(row.state),
            visma_number=row.visma_number,
            last_error=row.last_error,
        )

    def visma_exchanges(self, key: str) -> str:
        """What was said to Visma about one transfer (requests and raw answers, redacted),
        newest first: the HTTP log's calls made for that ledger key."""
        from core.httplog import describe

        calls = self.rt.store.query(
            "SELECT * FROM http_calls WHERE subject = ? ORDER BY id DESC LIMIT 20", [key]
        )
        if not calls:
            return _("No calls to Visma were logged for {key} (it has not been sent yet).").format(
                key=key
            )
        head = ngettext(
            "{n} call made for {key}", "{n} calls made for {key}, newest first", len(calls)
        ).format(n=len(calls), key=key)
        return head + "\n\n" + "\n\n".join(describe(c) for c in calls)

    def resend(self, key: str) -> str:
        """Send a failed or held transfer again (its cause fixed); audited."""
        from core.service import resend

        async def go(rt: Runtime) -> str:
            after = await resend(rt, key, connections=self.conns)
            return f"{key}: {after.state}" + (
                f" ({after.visma_number})" if after.visma_number else f": {after.last_error}"
            )

        return self._call(go)

    def confirm_foreign(self, key: str) -> str:
        """Post a Z-report held by the double-posting guard beside the other batch of its
        day, as a person confirmed; audited."""
        from core.service import confirm_foreign

        async def go(rt: Runtime) -> str:
            after = await confirm_foreign(rt, key, connections=self.conns)
            return f"{key}: {after.state}" + (
                f" ({after.visma_number})" if after.visma_number else f": {after.last_error}"
            )

        return self._call(go)

    def release(self, key: str) -> str:
        """Release (bokføre) a confirmed transfer in Visma; audited."""
        from core.service import release

        async def go(rt: Runtime) -> str:
            answer = json.loads(await release(rt, key, connections=self.conns))
            if answer.get("result") != "Done":  # Queued/InProcess: not released yet
                return (
                    f"{key}: Visma answered the release with {answer.get('result')}; "
                    "release it again later to see it done"
                )
            if answer.get("was"):  # an earlier release Visma answered Queued is done
                return f"{key} {answer['state']} in Visma"
            return f"{key} released in Visma"

        return self._call(go)

    # -- conflicts ----------------------------------------------------------------------------

    def conflicts(self, dept_id: str | None) -> list[ConflictCase]:
        """The open conflicts, each with its field-by-field comparison."""
        from core.conflicts import Conflicts, compare, field_label

        return [
            ConflictCase(
                id=c.id,
                entity=c.entity,
                source=c.source,
                incoming_id=c.incoming_id,
                incoming=c.incoming,
                candidates=tuple(c.candidates),
                match_key=c.match_key,
                match_label=field_label(c.match_key),
                fields=tuple(
                    FieldDiff(r.field, r.label, r.incoming, tuple(r.candidates), tuple(r.differs))
                    for r in compare(c)
                ),
            )
            for c in Conflicts(self.rt.store).list(dept_id)
        ]

    def resolve(
        self,
        conflict_id: int,
        action: str,
        candidate: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> str:
        """A person's decision on a conflict (audited; applied on the next sync)."""
        from core.service import resolve_conflict

        async def go(rt: Runtime) -> str:
            c = await resolve_conflict(
                rt,
                conflict_id,
                action,
                candidate=candidate,
                fields=fields,
                connections=self.conns,
            )
            return f"conflict #{c.id}: {action}" + (f" {candidate}" if candidate else "")

        return self._call(go)

    # -- VAT and accounts ---------------------------------------------------------------------

    def vat_editor(self, dept_id: str) -> VatEditor:
        """The DUELL VAT rates in use (how many products and Z-report sales use each), their
        mapping, and Visma's VAT ids to choose from (read from the company)."""
        from core.departments import SAFT_CODES, Departments
        from core.models import ZReport
        from core.session import department_session
        from core.vat import VismaVat, read_visma_vat, suggested, vat_status

        async def go(rt: Runtime) -> VatEditor:
            async with department_session(rt, dept_id, self.conns) as session:
                products: dict[Decimal, int] = {}
                async for p in session.duell.list_products():
                    products[p.vat_rate] = products.get(p.vat_rate, 0) + 1
                sales: dict[Decimal, int] = {}
                for row in session.ledger.rows(dept_id, kind="zreport"):
                    for sale in ZReport.model_validate(row.payload).sales:
                        sales[sale.rate] = sales.get(sale.rate, 0) + 1
                codes: dict[str, VismaVat] = {}
                error = None
                try:
                    codes = await read_visma_vat(session.visma)
                except Exception as exc:  # shown beside the editor: the mapping still edits
                    error = str(exc)
            mappings = Departments(rt.store, rt.secrets).vat_mappings(dept_id)
            rows = []
            for rate in sorted(set(products) | set(sales) | set(mappings), reverse=True):
                m = mappings.get(rate)
                vat_id = m.visma_vat_id if m else None
                status = (
                    "missing" if not vat_id else vat_status(rate, vat_id, codes) if codes else "ok"
                )
                rows.append(
                    VatRow(
                        rate,
                        products.get(rate, 0),
                        sales.get(rate, 0),
                        vat_id,
                        (m.saft_code if m else None) or SAFT_CODES.get(rate),
                        status,
                        suggested(rate, codes),
                    )
                )
            return VatEditor(
                tuple(rows),
                {c.vat_id: c.description for c in codes.values()},
                error,
                {c.vat_id: c.rate_text() for c in codes.values()},
            )

        return self._call(go)

    def save_vat_mapping(self, dept_id: str, mapping: dict[Decimal, str | None]) -> str:
        """Save the mapping once Visma's VAT ids confirm each rate (a rate mapped to an id of
        another rate is refused); each change audited; held transfers it blocked go back in
        the queue."""
        from core.service import refuse_if_read_only
        from core.session import department_session
        from core.vat import VismaVat, read_visma_vat, save_mapping

        async def go(rt: Runtime) -> str:
            refuse_if_read_only(rt, "saving the VAT mapping")
            codes: dict[str, VismaVat] = {}
            if any(mapping.values()):
                async with department_session(rt, dept_id, self.conns) as session:
                    codes = await read_visma_vat(session.visma)
            return save_mapping(rt, dept_id, mapping, codes)

        return self._call(go)

    def account_editor(self, dept_id: str) -> AccountEditor:
        """The department's account map beside Visma's chart of accounts."""
        from core.departments import Departments
        from core.session import department_session

        async def go(rt: Runtime) -> AccountEditor:
            from core.ledger import Ledger
            from core.transfers.zreports import unmapped

            amap = Departments(rt.store, rt.secrets).account_map(dept_id)
            accounts: dict[str, tuple[str, bool]] = {}
            error = None
            try:
                async with department_session(rt, dept_id, self.conns) as session:
                    accounts = {
                        a.account_cd or "": (a.description or "", a.active is not False)
                        for a in await session.visma.list_accounts()
                    }
            except Exception as exc:  # shown beside the editor: the map still edits
                error = str(exc)
            # What a Z-report waiting to be posted needs and the map lacks: addable here.
            needed = unmapped(Ledger(rt.store), dept_id, amap)
            rows = [AccountRow(key, label, "", "", "not mapped") for key, label in needed.items()]
            for key, acc in amap.items():
                label = account_label(key)
                desc, active = accounts.get(acc, ("", False))
                status = (
                    "ok"
                    if acc in accounts and active
                    else ("inactive" if acc in accounts else "missing" if accounts else "?")
                )
                rows.append(AccountRow(key, label, acc, desc, status))
            return AccountEditor(tuple(rows), {k: v[0] for k, v in accounts.items()}, error)

        return self._call(go)

    def save_accounts(self, dept_id: str, changes: dict[str, str]) -> str:
        from core.departments import Departments
        from core.service import refuse_if_read_only

        rt = self.rt
        refuse_if_read_only(rt, "saving the account map")
        depts = Departments(rt.store, rt.secrets)
        for key, account in changes.items():
            depts.set_account(dept_id, key, account)
        n = len(changes)
        return ngettext(
            "account map saved ({n} change)", "account map saved ({n} changes)", n
        ).format(n=n)

    # -- a department's settings and setup ----------------------------------------------------

    def department_settings(self, dept_id: str) -> DepartmentSettings:
        from core.departments import Departments
        from core.errors import ConfigError

        dept = Departments(self.rt.store, self.rt.secrets).get(dept_id)
        if dept is None:
            raise ConfigError(
                _("there is no department {dept_id}").format(dept_id=repr(dept_id)),
                _("press f5 to refresh"),
            )
        return dept.settings

    def save_settings(self, dept_id: str, new: DepartmentSettings) -> str:
        """Save a department's settings in one transaction; audited with before and after."""
        from core.departments import Departments
        from core.service import refuse_if_read_only

        rt = self.rt
        refuse_if_read_only(rt, "saving settings")
        Departments(rt.store, rt.secrets).save_settings(dept_id, new)
        return f"settings of department {dept_id} saved"

    def saved_setup(self, dept_id: str) -> SavedSetup:
        """What setup saved for the department (secrets only as "saved")."""
        from core.setup import saved_setup

        return saved_setup(self.rt, dept_id)

    def sandbox_credentials(self, dept_id: str) -> SandboxCredentials:
        """Sandbox mode: the department's own integration client in the sandbox, for setup."""
        from pydantic import SecretStr

        from core import boot

        c = boot.sandbox_department_credentials(self.settings, dept_id)
        return SandboxCredentials(
            c.visma_client_id, SecretStr(c.visma_client_secret), c.visma_tenant_id
        )

    def setup_check(
        self, dept_id: str, client_id: str, secret: SecretStr | None, tenant_id: str
    ) -> SetupProbe:
        """Sign in with a Visma integration client (None: the saved secret) and read what
        setup offers: the company's branches and the SUBACCOUNT segment values (cost
        bearers). Errors come back with their remedy (wrong tenant, bad secret, no licence)
        instead of being raised."""
        from core.setup import probe

        async def go(rt: Runtime) -> SetupProbe:
            return await probe(self.conns, dept_id, client_id, secret, tenant_id)

        return self._call(go)

    def setup_companies(
        self, dept_id: str, client_id: str, secret: SecretStr | None, typed: str = ""
    ) -> list[SetupProbe]:
        """The companies this integration client can sign in to. A Visma Connect token is
        bound to one tenant and the API has no list of them, so the candidates are the
        companies this installation already knows (the other departments') and the tenant id
        typed; each is tried, and the ones that answer are listed with their name, the others
        with why not."""
        from core.departments import Departments
        from core.setup import probe

        async def go(rt: Runtime) -> list[SetupProbe]:
            known = [
                d.settings.visma_tenant_id
                for d in Departments(rt.store, rt.secrets).list()
                if d.settings.visma_tenant_id
            ]
            tenants = list(dict.fromkeys([t for t in (typed.strip(), *known) if t]))
            probes = [probe(self.conns, dept_id, client_id, secret, t) for t in tenants]
            return list(await asyncio.gather(*probes))

        return self._call(go)

    def setup_save(self, dept_id: str, choice: SetupChoice) -> str:
        """Check what setup chose against Visma and save it (core.setup, as `duvi departments
        setup` does): credentials to the secrets file, the rest to the settings; audited."""
        from core.setup import set_up_department

        async def go(rt: Runtime) -> str:
            return await set_up_department(rt, self.conns, dept_id, choice, origin="console")

        return self._call(go)

    # -- doctor and the log -------------------------------------------------------------------

    def doctor(self, dept_id: str | None) -> list[DoctorCheck]:
        """Every check with its remedy: of one department, or the local ones only."""
        from core.doctor import run_doctor

        async def go(rt: Runtime) -> list[DoctorCheck]:
            checks = await run_doctor(rt, [dept_id] if dept_id else [], connections=self.conns)
            return [
                DoctorCheck(
                    c.id,
                    c.title,
                    str(c.status),
                    c.found,
                    c.remedy,
                    c.department_id,
                    tuple(c.shown_records),  # in the language; --json keeps `records`
                    str(c.fix) if c.fix else None,
                    c.fingerprint,
                    _acknowledged(c.acknowledged),
                    c.days,
                )
                for c in checks
            ]

        return self._call(go)

    def doctor_ack(self, check: DoctorCheck, reason: str) -> str:
        """Acknowledge a warning as shown (audited): it stops raising doctor's exit code
        until what it finds changes."""
        from core.doctor import acknowledge

        return acknowledge(self.rt, check, reason)

    def log_page(
        self, query: LogQuery, *, before_id: int | None = None, limit: int = 100
    ) -> list[LogEntry]:
        """One page of events, newest first (keyset: fast at any depth), each message also in
        the current language."""
        from core.eventtext import event_text, own_data

        rt = self.rt
        return [
            LogEntry(
                e.id,
                e.ts,
                int(e.level),
                e.level.name,
                e.department_id,
                e.entity,
                e.run_id,
                e.message,
                own_data(e.data),
                event_text(e.message, e.data),
            )
            for e in rt.log.page(_log_filter(query), before_id=before_id, limit=limit)
        ]

    def log_has_newer(self, query: LogQuery, after_id: int) -> bool:
        """Whether events matching the query came after `after_id` (follow mode's poll)."""
        return bool(self.rt.log.since(_log_filter(query), after_id))

    def http_page(
        self, department_id: str | None, *, before_id: int | None = None, limit: int = 100
    ) -> list[HttpCallRow]:
        """One page of logged HTTP calls, newest first, each with its redacted bodies."""
        from core.httplog import describe

        sql, params = "SELECT * FROM http_calls WHERE 1", list[str | int]()
        if department_id:
            sql += " AND department_id = ?"
            params.append(department_id)
        if before_id is not None:
            sql += " AND id < ?"
            params.append(before_id)
        rows = self.rt.store.query(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [
            HttpCallRow(
                r["id"],
                r["ts"],
                r["system"],
                r["method"],
                str(r["status"] or r["error"] or ""),
                float(r["duration_ms"] or 0),
                r["path"],
                describe(r, body_limit=600),
            )
            for r in rows
        ]


def _acknowledged(ack: dict[str, Any] | None) -> str | None:
    if ack is None:
        return None
    reason = f": {ack['reason']}" if ack.get("reason") else ""
    return f"acknowledged by {ack['by']} {str(ack['at'])[:16].replace('T', ' ')}{reason}"


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """The loop thread: runs until close() stops it, then lets cancelled calls clean up (their
    `finally` blocks close HTTP clients and release leases) before the loop closes."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _log_filter(query: LogQuery) -> Any:
    from core.eventlog import Level, LogFilter

    return LogFilter(
        department_id=query.department_id,
        min_level=Level.parse(query.min_level) if query.min_level else None,
        run_id=query.run_id,
        text=query.text,
    )
