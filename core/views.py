"""What the console's screens show and do, as plain functions of the settings: each opens its
own runtime, so a worker thread can call it (screens never touch SQLite or httpx). What
reaches DUELL or Visma goes through core.boot's Connections (the sandbox in sandbox mode),
imported where used: the first frame needs no clients."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.config import Settings
from core.runtime import Runtime

if TYPE_CHECKING:
    from core.connections import Connections


@dataclass(frozen=True)
class TransferRow:
    key: str
    kind: str
    state: str
    visma_number: str
    error: str


def transfers(settings: Settings, dept_id: str) -> list[TransferRow]:
    from core.ledger import Ledger

    with Runtime.open(settings) as rt:
        return [
            TransferRow(
                r.key,
                r.kind,
                str(r.state),
                r.visma_number or "",
                (r.last_error or "").splitlines()[0] if r.last_error else "",
            )
            for r in Ledger(rt.store).rows(dept_id)
        ]


def journal_preview(settings: Settings, key: str) -> dict[str, Any]:
    """The journal a Z-report becomes: lines, debit and credit totals, VAT ids, flags."""
    from core.accounting import JournalRefused, build_journal
    from core.departments import Departments
    from core.ledger import Ledger
    from core.models import ZReport

    with Runtime.open(settings) as rt:
        row = Ledger(rt.store).get(key)
        if row is None or row.kind != "zreport":
            return {"error": "only Z-reports have a journal preview", "lines": []}
        depts = Departments(rt.store, rt.secrets)
        dept = depts.get(row.department_id)
        assert dept is not None
        vat_ids = {
            r: m.visma_vat_id for r, m in depts.vat_mappings(dept.id).items() if m.visma_vat_id
        }
        try:
            j = build_journal(
                ZReport.model_validate(row.payload),
                depts.account_map(dept.id),
                vat_ids,
                dept.settings,
            )
        except JournalRefused as exc:
            return {"error": f"{exc.message}\n→ {exc.remedy}", "lines": []}
        return {
            "error": None,
            "description": j.description,
            "flags": j.flags,
            "lines": [
                (ln.account, ln.text, ln.debit, ln.credit, ln.vat_id or "") for ln in j.lines
            ],
            "debit": j.debit_total,
            "credit": j.credit_total,
            "raw": {
                "state": str(row.state),
                "visma_number": row.visma_number,
                "last_error": row.last_error,
            },
        }


def visma_exchanges(settings: Settings, key: str) -> str:
    """What was said to Visma about one transfer (requests and raw answers, redacted), newest
    first: the HTTP log's calls made for that ledger key."""
    from core.httplog import describe

    with Runtime.open(settings) as rt:
        calls = rt.store.query(
            "SELECT * FROM http_calls WHERE subject = ? ORDER BY id DESC LIMIT 20", [key]
        )
    if not calls:
        return f"No calls to Visma were logged for {key} (it has not been sent yet)."
    return "\n\n".join(describe(c) for c in calls)


def resend(settings: Settings, key: str) -> str:
    """Send a failed or held transfer again (its cause fixed); audited."""
    from core import boot
    from core.audit import record
    from core.ledger import Ledger
    from core.service import refuse_if_read_only, transfer

    async def go() -> str:
        with Runtime.open(settings) as rt:
            refuse_if_read_only(rt, "resending")
            ledger = Ledger(rt.store)
            row = ledger.get(key)
            if row is None:
                return f"no transfer {key}"
            record(
                rt.store,
                "transfer.resend",
                department_id=row.department_id,
                target=key,
                before=str(row.state),
            )
            ledger.retry(key)
            with boot.connections(rt) as conns:
                await transfer(
                    rt, row.department_id, kinds=(row.kind,), fetch=False, connections=conns
                )
            after = ledger.get(key)
            assert after is not None
            return f"{key}: {after.state}" + (
                f" ({after.visma_number})" if after.visma_number else f": {after.last_error}"
            )

    return asyncio.run(go())


def release(settings: Settings, key: str) -> str:
    from core import boot
    from core.service import release as release_key

    async def go() -> str:
        with Runtime.open(settings) as rt, boot.connections(rt) as conns:
            await release_key(rt, key, connections=conns)
            return f"{key} released in Visma"

    return asyncio.run(go())


def conflicts(settings: Settings, dept_id: str | None) -> list[Any]:
    from core.conflicts import Conflicts

    with Runtime.open(settings) as rt:
        return Conflicts(rt.store).list(dept_id)


def resolve(
    settings: Settings,
    conflict_id: int,
    action: str,
    candidate: str | None = None,
    fields: dict[str, Any] | None = None,
) -> str:
    from core.service import resolve_conflict

    async def go() -> str:
        with Runtime.open(settings) as rt:
            c = await resolve_conflict(rt, conflict_id, action, candidate=candidate, fields=fields)
            return f"conflict #{c.id}: {action}" + (f" {candidate}" if candidate else "")

    return asyncio.run(go())


def money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ") if value else ""


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    products: int
    sales: int
    visma_vat_id: str | None
    saft_code: str | None
    status: str  # ok / missing / invalid


def vat_editor(settings: Settings, dept_id: str) -> dict[str, Any]:
    """The DUELL VAT rates in use (how many products and Z-report sales use each), their
    mapping, and Visma's VAT ids to choose from (read from the company)."""
    from core import boot
    from core.departments import SAFT_CODES
    from core.models import ZReport
    from core.session import department_session

    async def go() -> dict[str, Any]:
        with Runtime.open(settings) as rt, boot.connections(rt) as conns:
            async with department_session(rt, dept_id, conns) as s:
                products: dict[Decimal, int] = {}
                async for p in s.duell.list_products():
                    products[p.vat_rate] = products.get(p.vat_rate, 0) + 1
                sales: dict[Decimal, int] = {}
                for row in s.ledger.rows(dept_id, kind="zreport"):
                    for sale in ZReport.model_validate(row.payload).sales:
                        sales[sale.rate] = sales.get(sale.rate, 0) + 1
                visma_vat: dict[str, str] = {}
                error = None
                try:
                    visma_vat = {
                        v.vat_id or "": v.description or "" for v in await s.visma.list_vat()
                    }
                except Exception as exc:
                    error = str(exc)
                mappings = s.departments.vat_mappings(dept_id)
            rows = []
            for rate in sorted(set(products) | set(sales) | set(mappings), reverse=True):
                m = mappings.get(rate)
                vat_id = m.visma_vat_id if m else None
                status = (
                    "missing"
                    if not vat_id
                    else ("invalid" if visma_vat and vat_id not in visma_vat else "ok")
                )
                rows.append(
                    VatRow(
                        rate,
                        products.get(rate, 0),
                        sales.get(rate, 0),
                        vat_id,
                        (m.saft_code if m else None) or SAFT_CODES.get(rate),
                        status,
                    )
                )
            return {"rows": rows, "visma": visma_vat, "error": error}

    return asyncio.run(go())


def save_vat_mapping(settings: Settings, dept_id: str, mapping: dict[Decimal, str | None]) -> str:
    """Save the mapping (each change audited); held transfers it blocked go back in the queue."""
    from core.departments import Departments
    from core.ledger import Ledger, State
    from core.service import refuse_if_read_only

    with Runtime.open(settings) as rt:
        refuse_if_read_only(rt, "saving the VAT mapping")
        depts = Departments(rt.store, rt.secrets)
        current = depts.vat_mappings(dept_id)
        for rate, vat_id in mapping.items():
            if (current[rate].visma_vat_id if rate in current else None) != vat_id:
                depts.set_vat_mapping(dept_id, rate, vat_id)
        ledger = Ledger(rt.store)
        unblocked = 0
        for row in ledger.rows(dept_id, states=(State.ATTENTION,)):
            if "map VAT rate" in (row.last_error or ""):
                unblocked += ledger.retry(row.key)
        missing = [r for r, v in mapping.items() if not v]
        state = (
            "still blocked: " + ", ".join(f"{format(r.normalize(), 'f')} %" for r in missing)
            if missing
            else "complete"
        )
        return f"VAT mapping saved ({state}); {unblocked} held transfer(s) queued again"


def log_page(
    settings: Settings, filters: dict[str, Any], *, before_id: int | None = None, limit: int = 100
) -> list[Any]:
    """One page of events, newest first (keyset: fast at any depth)."""
    from core.eventlog import EventLog, LogFilter

    with Runtime.open(settings) as rt:
        return EventLog(rt.store).page(LogFilter(**filters), before_id=before_id, limit=limit)


def log_since(settings: Settings, filters: dict[str, Any], after_id: int) -> list[Any]:
    from core.eventlog import EventLog, LogFilter

    with Runtime.open(settings) as rt:
        return EventLog(rt.store).since(LogFilter(**filters), after_id)


def http_page(
    settings: Settings, department_id: str | None, *, before_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    with Runtime.open(settings) as rt:
        sql, params = "SELECT * FROM http_calls WHERE 1", []
        if department_id:
            sql += " AND department_id = ?"
            params.append(department_id)
        if before_id is not None:
            sql += " AND id < ?"
            params.append(before_id)
        return rt.store.query(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])


def department_settings(settings: Settings, dept_id: str) -> Any:
    from core.departments import Departments

    with Runtime.open(settings) as rt:
        dept = Departments(rt.store, rt.secrets).get(dept_id)
        assert dept is not None
        return dept.settings


def save_settings(settings: Settings, dept_id: str, new: Any) -> str:
    """Save a department's settings in one transaction; audited with before and after."""
    from core.departments import Departments
    from core.service import refuse_if_read_only

    with Runtime.open(settings) as rt:
        refuse_if_read_only(rt, "saving settings")
        Departments(rt.store, rt.secrets).save_settings(dept_id, new)
    return f"settings of department {dept_id} saved"


ACCOUNT_LABELS = {
    "payment:cash": "Kontant",
    "payment:bankaxept": "BankAxept",
    "payment:card": "Visa/Mastercard",
    "payment:vipps": "Vipps",
    "payment:giftcard": "Gavekort innløst",
    "payment:invoice": "Faktura/kreditt",
    "payment:fallback": "Ukjent betalingstype (reserve)",
    "giftcard:sold": "Gavekort solgt",
    "rounding": "Øreavrunding",
    "cogs:debit": "Beholdningsendring (debet)",
    "cogs:credit": "Varelager (kredit)",
}


def account_editor(settings: Settings, dept_id: str) -> dict[str, Any]:
    """The department's account map beside Visma's chart of accounts."""
    from core import boot

    async def go() -> dict[str, Any]:
        with Runtime.open(settings) as rt, boot.connections(rt) as conns:
            amap = conns.departments.account_map(dept_id)
            accounts: dict[str, tuple[str, bool]] = {}
            error = None
            try:
                async with conns.visma(dept_id) as visma:
                    accounts = {
                        a.account_cd or "": (a.description or "", a.active is not False)
                        for a in await visma.list_accounts()
                    }
            except Exception as exc:
                error = str(exc)
            rows = []
            for key, acc in amap.items():
                kind, _, rate = key.partition(":")
                label = ACCOUNT_LABELS.get(key) or (
                    f"Salg {rate} %" if kind == "revenue" else f"Utgående mva {rate} %"
                )
                desc, active = accounts.get(acc, ("", False))
                status = (
                    "ok"
                    if acc in accounts and active
                    else ("inactive" if acc in accounts else "missing" if accounts else "?")
                )
                rows.append(
                    {
                        "key": key,
                        "label": label,
                        "account": acc,
                        "description": desc,
                        "status": status,
                    }
                )
            return {
                "rows": rows,
                "accounts": {k: v[0] for k, v in accounts.items()},
                "error": error,
            }

    return asyncio.run(go())


def save_accounts(settings: Settings, dept_id: str, changes: dict[str, str]) -> str:
    from core.departments import Departments
    from core.service import refuse_if_read_only

    with Runtime.open(settings) as rt:
        refuse_if_read_only(rt, "saving the account map")
        depts = Departments(rt.store, rt.secrets)
        for key, account in changes.items():
            depts.set_account(dept_id, key, account)
    return f"account map saved ({len(changes)} change(s))"


async def _probe(
    conns: Connections, dept_id: str, client_id: str, secret: Any, tenant_id: str
) -> dict[str, Any]:
    """Sign in to one company (tenant) with an integration client and read what setup offers."""
    from core.errors import DuviError
    from core.visma.auth import VismaCredentials

    creds = VismaCredentials(client_id, secret, tenant_id)
    try:
        async with conns.visma_for(creds, department_id=dept_id) as client:
            branches = await client.list_branches()
            dim = await client.get_dimension("SUBACCOUNT")
    except DuviError as exc:
        return {"tenant": tenant_id, "error": exc.message, "remedy": exc.remedy}
    main = next((b for b in branches if b.is_main_branch), branches[0] if branches else None)
    return {
        "tenant": tenant_id,
        "error": None,
        "company": main.name if main else tenant_id,
        "branches": [(b.number or "", b.name or "") for b in branches],
        "cost_bearers": [
            (s.segment_id, v.value_id or "", v.description or "")
            for s in dim.segments
            for v in s.segment_values
            if v.active is not False
        ],
    }


def setup_check(
    settings: Settings, dept_id: str, client_id: str, secret: Any, tenant_id: str
) -> dict[str, Any]:
    """Sign in with a Visma integration client and read what setup offers: the company's
    branches and the SUBACCOUNT segment values (cost bearers). Errors come back with their
    remedy (wrong tenant, bad secret, no licence) instead of being raised."""
    from core import boot

    async def go() -> dict[str, Any]:
        with Runtime.open(settings) as rt, boot.connections(rt) as conns:
            return await _probe(conns, dept_id, client_id, secret, tenant_id)

    return asyncio.run(go())


def setup_companies(
    settings: Settings, dept_id: str, client_id: str, secret: Any, typed: str = ""
) -> list[dict[str, Any]]:
    """The companies this integration client can sign in to. A Visma Connect token is bound to
    one tenant and the API has no list of them, so the candidates are the companies this
    installation already knows (the other departments') and the tenant id typed; each is
    tried, and the ones that answer are listed with their name, the others with why not."""
    from core import boot
    from core.departments import Departments

    async def go() -> list[dict[str, Any]]:
        with Runtime.open(settings) as rt:
            known = [
                d.settings.visma_tenant_id
                for d in Departments(rt.store, rt.secrets).list()
                if d.settings.visma_tenant_id
            ]
            tenants = list(dict.fromkeys([t for t in (typed.strip(), *known) if t]))
            with boot.connections(rt) as conns:
                probes = [_probe(conns, dept_id, client_id, secret, t) for t in tenants]
                return list(await asyncio.gather(*probes))

    return asyncio.run(go())


def setup_save(
    settings: Settings,
    dept_id: str,
    client_id: str,
    secret: Any,
    tenant_id: str,
    company: str,
    branch: str | None,
    cost_bearer: tuple[int, str] | None,
) -> str:
    """Save what setup chose: credentials to the secrets file, the rest to the settings."""
    from core.departments import Departments
    from core.service import refuse_if_read_only

    with Runtime.open(settings) as rt:
        refuse_if_read_only(rt, "saving the setup")
        depts = Departments(rt.store, rt.secrets)
        dept = depts.get(dept_id)
        assert dept is not None
        depts.set_credentials(dept_id, client_id, secret)
        depts.save_settings(
            dept_id,
            dept.settings.model_copy(
                update={
                    "visma_tenant_id": tenant_id,
                    "visma_company_name": company,
                    "several_clients": branch is not None,
                    "branch_number": branch,
                    "several_departments": cost_bearer is not None,
                    "cost_bearer_segment": cost_bearer[0] if cost_bearer else None,
                    "cost_bearer_value": cost_bearer[1] if cost_bearer else None,
                }
            ),
        )
    return f"department {dept_id} is set up with {company}"


def run_now(
    settings: Settings, dept_id: str, entity: str = "all", *, retry_failed: bool = False
) -> str:
    """The console's run keys, in a fresh runtime (called from a worker thread). Returns a
    one-line summary."""
    from core import boot
    from core.service import run_department

    async def go() -> str:
        with Runtime.open(settings) as rt, boot.connections(rt) as conns:
            r = await run_department(
                rt, dept_id, entity, retry_failed=retry_failed, origin="console", connections=conns
            )
            return f"department {dept_id}: {r.summary()}"

    return asyncio.run(go())


def doctor(settings: Settings, dept_id: str | None) -> list[Any]:
    """The doctor's checks, for one department or none (the local ones only)."""
    from core import boot
    from core.doctor import run_doctor

    async def go() -> list[Any]:
        with Runtime.open(settings) as rt, boot.connections(rt) as conns:
            return await run_doctor(rt, [dept_id] if dept_id else [], connections=conns)

    return asyncio.run(go())
