"""What the console's screens show and do, as plain functions of the settings: each opens its
own runtime, so a worker thread can call it (screens never touch SQLite or httpx)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.config import Settings
from core.runtime import Runtime


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


def resend(settings: Settings, key: str) -> str:
    """Send a failed or held transfer again (its cause fixed); audited."""
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
            await transfer(rt, row.department_id, kinds=(row.kind,), fetch=False)
            after = ledger.get(key)
            assert after is not None
            return f"{key}: {after.state}" + (
                f" ({after.visma_number})" if after.visma_number else f": {after.last_error}"
            )

    return asyncio.run(go())


def release(settings: Settings, key: str) -> str:
    from core.service import release as release_key

    async def go() -> str:
        with Runtime.open(settings) as rt:
            await release_key(rt, key)
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
