"""Periods about to close with documents not released in Visma (issue 23's alert, issue 19
item 8's doctor warning): one engine function for both.

A document counts while it is not released (bokført) in Visma: pending, held, needing
attention, failed, sent (in doubt) or confirmed (in Visma, on hold). Its period is Visma's
(GET /v1/financialPeriod, core/transfers/periods.py: a year from July numbers July 01), never
the calendar month. A period counts when it ends within `period_close_warn_days` of today or has
ended and is not closed yet in the document's ledger; a closed one is the held documents'
finding (doctor's transfers.period). Visma has no planned closing date, so "about to close" is
read as "near or past its end, still open" (inferred).

The period list is read once per run (the run's Periods: no request when the transfers read it
already) and kept in the store, so that alerts, evaluated every round by whichever process,
cost no request at all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.i18n import N_, date_text, ngettext, period_span_text
from core.ledger import Ledger, LedgerRow, State
from core.runtime import Runtime
from core.store import Store
from core.transfers.periods import Periods
from core.transferview import shown_state
from core.visma.models import FinancialPeriod

UNRELEASED = (State.PENDING, State.ATTENTION, State.FAILED, State.SENT, State.CONFIRMED)
INVOICE = "invoice"


@dataclass(frozen=True)
class Closing:
    """One open period near or past its end, with the department's unreleased documents."""

    period: str  # Visma's id, YYYYPP
    start: date
    end: date
    ended: bool
    kinds: dict[str, int]  # zreport / invoice / stock -> count
    states: dict[str, int]  # state as the transfers list names it (held, attention, ...) -> count
    keys: list[str]

    @property
    def count(self) -> int:
        return len(self.keys)

    def summary(self) -> str:
        from core.readmodels import state_text

        said = (
            ngettext(
                "period {period} ended {end}, not closed: {n} document "
                "not released in Visma ({kinds}; {states})",
                "period {period} ended {end}, not closed: {n} documents "
                "not released in Visma ({kinds}; {states})",
                self.count,
            )
            if self.ended
            else ngettext(
                "period {period} ends {end}, not closed: {n} document "
                "not released in Visma ({kinds}; {states})",
                "period {period} ends {end}, not closed: {n} documents "
                "not released in Visma ({kinds}; {states})",
                self.count,
            )
        )
        return said.format(
            period=period_span_text(self.period, self.start, self.end),
            end=date_text(self.end),
            n=self.count,
            kinds=", ".join(kind_count(k, n) for k, n in sorted(self.kinds.items())),
            states=", ".join(f"{n} {state_text(s)}" for s, n in sorted(self.states.items())),
        )


def kind_count(kind: str, n: int) -> str:
    """A count of documents of one kind in the language: "2 invoice bases", "1 Z-report";
    a kind duvi has no word for as JSON names it ("2 other")."""
    if kind == "zreport":
        return ngettext("{n} Z-report", "{n} Z-reports", n).format(n=n)
    if kind == INVOICE:
        return ngettext("{n} invoice basis", "{n} invoice bases", n).format(n=n)
    if kind == "stock":
        return ngettext("{n} stock issue", "{n} stock issues", n).format(n=n)
    return f"{n} {kind}"


def document_day(row: LedgerRow) -> date | None:
    """The date a document is posted by (its period's), from its payload."""
    p = row.payload if isinstance(row.payload, dict) else {}
    raw = p.get("business_date") or p.get("date")
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _closed(p: FinancialPeriod, kind: str) -> bool:
    book = p.closed_in_customer_ledger if kind == INVOICE else p.closed_in_general_ledger
    return bool(book) or p.active is False


def closings(
    ledger: Ledger,
    dept_id: str,
    periods: list[FinancialPeriod],
    today: date,
    warn_days: int,
) -> list[Closing]:
    """The department's open periods ending within `warn_days` of `today` or ended, each with
    its unreleased documents (oldest period first). `warn_days` 0: none (turned off)."""
    if warn_days <= 0 or not periods:
        return []
    horizon = today + timedelta(days=warn_days)
    spans = [
        (p, s, e)
        for p in periods
        if p.period and (s := _day(p.start_date)) and (e := _day(p.end_date))
    ]
    found: dict[str, tuple[FinancialPeriod, date, date, list[LedgerRow]]] = {}
    for row in ledger.rows(dept_id, states=UNRELEASED):
        day = document_day(row)
        if day is None:
            continue
        hit = next(((p, s, e) for p, s, e in spans if s <= day <= e), None)
        if hit is None or hit[2] > horizon or _closed(hit[0], row.kind):
            continue
        found.setdefault(str(hit[0].period), (*hit, []))[3].append(row)
    return [
        Closing(
            pid,
            start,
            end,
            end < today,
            dict(Counter(r.kind for r in rows)),
            dict(Counter(shown_state(str(r.state), r.last_error) for r in rows)),
            sorted(r.key for r in rows),
        )
        for pid, (_p, start, end, rows) in sorted(found.items(), key=lambda kv: kv[1][2])
    ]


REMEDY = N_(  # English here; translated where shown
    N_(
        "release them in Visma (or `duvi release KEY --yes`) before the accountant closes the "
        "period; held or failed ones: fix the cause named in `duvi transfers`, then `duvi sync "
        "--retry-failed`"
    )
)


def closing_keys(rt: Runtime, dept_ids: list[str], today: date) -> set[str]:
    """The keys of the documents in every closing period of these departments, from the
    period lists kept (`duvi transfers --period-closing`)."""
    days = rt.settings.period_close_warn_days
    ledger = Ledger(rt.store)
    return {
        key
        for dept in dept_ids
        for c in closings(ledger, dept, stored_periods(rt.store, dept), today, days)
        for key in c.keys
    }


# -- the period list, kept for the alerts ---------------------------------------------------


def save_periods(store: Store, dept_id: str, periods: list[FinancialPeriod]) -> None:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [
        {
            "department_id": dept_id,
            "period": p.period,
            "data": p.model_dump_json(by_alias=False),
            "read_at": at,
        }
        for p in periods
        if p.period
    ]
    with store.write():
        store.conn.execute("DELETE FROM financial_periods WHERE department_id = ?", [dept_id])
        store.conn.executemany(
            "INSERT INTO financial_periods (department_id, period, data, read_at) "
            "VALUES (:department_id, :period, :data, :read_at)",
            rows,
        )


def stored_periods(store: Store, dept_id: str) -> list[FinancialPeriod]:
    """The period list last read for the department (none read yet: empty)."""
    rows: list[dict[str, Any]] = store.query(
        "SELECT data FROM financial_periods WHERE department_id = ? ORDER BY period", [dept_id]
    )
    return [FinancialPeriod.model_validate_json(r["data"]) for r in rows]


async def read_and_keep(
    store: Store, ledger: Ledger, dept_id: str, periods: Periods, warn_days: int
) -> list[FinancialPeriod]:
    """Visma's periods for this run, kept in the store: read only when the warning is on and
    the department has a document not released (the run's Periods reads at most once)."""
    if warn_days <= 0 or not ledger.rows(dept_id, states=UNRELEASED):
        return []
    found = await periods.all()
    save_periods(store, dept_id, found)
    return found
