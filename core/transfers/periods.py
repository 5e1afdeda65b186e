"""Visma's financial periods: the period a document is posted to, and whether it is open.

A company's financial year need not be the calendar year (one starting in July numbers July
period 01), so the period id (YYYYPP: year and period number) is Visma's, read from
GET /v1/financialPeriod (FinancialPeriodDto; Pionect SDK, findings 2026-12-visma S10), never
computed from the calendar. The list is read once per run, and only when a document is to be
sent or one waits for its period: one request.

A period closed in the document's ledger (closedInGeneralLedger for a journal,
closedInCustomerLedger for an invoice, closedInInventoryManagement for a stock issue: the
spec's "closed in the Inventory workspace") would be refused by Visma; the document is held before
anything is sent, with the reason and the remedy, and every run checks it again: once the
accountant reopens the period, the next run sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from core.errors import DataError
from core.eventlog import EventLog
from core.eventtext import msg
from core.http import about
from core.i18n import N_
from core.ledger import Ledger, LedgerRow, State
from core.visma.client import VismaClient
from core.visma.models import FinancialPeriod

Book = Literal["GL", "AR", "IN"]
BOOK_NAMES = {"GL": "general ledger", "AR": "customer ledger", "IN": "inventory management"}
# The words of a held document's ledger error (held_for_period reads them back).
CLOSED = "financial period {} ({}) is closed in Visma's {}"
MISSING = "Visma has no financial period for {}"


class PeriodClosed(DataError):
    """The document's financial period does not take documents of its ledger."""


def held_for_period(error: str | None) -> bool:
    """Whether a held document's reason is its financial period (closed or missing)."""
    return error is not None and any(p.split("{}")[0] in error for p in (CLOSED, MISSING))


def calendar_id(day: date) -> str:
    """The period id a calendar financial year gives `day` (YYYYMM): only where Visma has no
    period for the day (the document is then held; inferred)."""
    return f"{day:%Y%m}"


def _covers(p: FinancialPeriod, day: date) -> bool:
    start, end = (p.start_date or "")[:10], (p.end_date or "")[:10]
    return bool(start and end) and start <= day.isoformat() <= end


class Periods:
    """One company's financial periods, read on first use (one request per run)."""

    def __init__(self, visma: VismaClient) -> None:
        self.visma = visma
        self._read: list[FinancialPeriod] | None = None

    async def _all(self) -> list[FinancialPeriod]:
        if self._read is None:
            with about(None):  # read for every document of the run, not the one that asked
                self._read = await self.visma.list_financial_periods()
        return self._read

    async def all(self) -> list[FinancialPeriod]:
        """Every period (read once per run; core/period_close.py keeps them)."""
        return await self._all()

    async def of(self, day: date) -> FinancialPeriod | None:
        return next((p for p in await self._all() if _covers(p, day)), None)

    async def span(self, day: date) -> str:
        """The period id `day` is posted to (and its journals are listed by)."""
        found = await self.of(day)
        return found.period if found is not None and found.period else calendar_id(day)

    async def problem(self, day: date, book: Book) -> PeriodClosed | None:
        """Why a document of `book` dated `day` cannot be posted now, if it cannot."""
        found = await self.of(day)
        if found is None or not found.period:
            return PeriodClosed(
                MISSING.format(day.isoformat()),
                "ask the accountant to set up that financial year in Visma (Financial periods); "
                "the next run sends it",
            )
        closed = {
            "GL": found.closed_in_general_ledger,
            "AR": found.closed_in_customer_ledger,
            "IN": found.closed_in_inventory_management,
        }[book]
        if closed or found.active is False:
            return PeriodClosed(
                CLOSED.format(found.period, _span(found), BOOK_NAMES[book]),
                f"ask the accountant to reopen period {found.period} in Visma, or to say "
                "where this document belongs; the next run sends it once the period is open",
            )
        return None

    async def check_open(self, day: date, book: Book) -> None:
        why = await self.problem(day, book)
        if why is not None:
            raise why


def _span(p: FinancialPeriod) -> str:
    return f"{(p.start_date or '')[:10]} to {(p.end_date or '')[:10]}"


async def requeue_open(
    ledger: Ledger,
    log: EventLog,
    department_id: str,
    kind: str,
    periods: Periods,
    day_of: Callable[[LedgerRow], date],
    book: Book,
) -> int:
    """Documents held for their period go back to pending once Visma says it is open (the
    rest stays held, and is not logged again)."""
    requeued = 0
    for row in ledger.rows(department_id, kind=kind, states=(State.ATTENTION,)):
        if not held_for_period(row.last_error):
            continue
        try:
            day = day_of(row)
        except ValueError:
            continue
        if await periods.problem(day, book) is None and ledger.retry(row.key):
            log.info(
                msg(N_("{key}: its financial period is open now; sent again"), key=row.key),
                department_id=department_id,
                entity=kind,
            )
            requeued += 1
    return requeued
