"""The simulated company's financial periods, as GET /v1/financialPeriod returns them
(FinancialPeriodDto: year, period "YYYYPP", startDate, endDate, description, active and one
closedIn<Ledger> flag per ledger; Pionect SDK src/Dto/FinancialPeriodDto.php, findings S10).

A financial year need not be the calendar year: a company whose year starts in July numbers
July period 01. The year is named by the calendar year it ends in (2027 = July 2026 - June
2027: inferred, as Visma's "belongs to next year" choice; duvi reads the name, never makes it).
A period closed in a ledger refuses documents of that ledger dated in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

MONTHS = (
    "January February March April May June July August September October November December"
).split()
LEDGERS = (
    "SupplierLedger",
    "CustomerLedger",
    "InventoryManagement",
    "GeneralLedger",
    "CashManagement",
    "FixedAssets",
)


@dataclass
class FinancialYears:
    start_month: int = 1  # 7: the year runs July to June
    closed: dict[str, set[str]] = field(default_factory=dict)  # period id -> ledgers closed

    def periods(self, around: date) -> list[dict[str, Any]]:
        """Twelve monthly periods a year, for the years from four before `around` to two
        after (the years a company has set up; inferred)."""
        out = []
        for year in range(around.year - 4, around.year + 3):
            first = date(year - (self.start_month > 1), self.start_month, 1)
            for n in range(1, 13):
                month = (first.month - 1 + n - 1) % 12 + 1
                start = date(first.year + (first.month - 1 + n - 1) // 12, month, 1)
                end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                pid = f"{year:04d}{n:02d}"
                closed = self.closed.get(pid, set())
                out.append(
                    {
                        "year": year,
                        "period": pid,
                        "startDate": start.isoformat() + "T00:00:00",
                        "endDate": end.isoformat() + "T00:00:00",
                        "description": MONTHS[month - 1],
                        "active": True,
                        **{f"closedIn{ledger}": ledger in closed for ledger in LEDGERS},
                    }
                )
        return out

    def of(self, day: date) -> dict[str, Any] | None:
        """The period `day` falls in."""
        return next(
            (
                p
                for p in self.periods(day)
                if p["startDate"][:10] <= day.isoformat() <= p["endDate"][:10]
            ),
            None,
        )

    def get(self, period_id: str, around: date) -> dict[str, Any] | None:
        return next((p for p in self.periods(around) if p["period"] == period_id), None)
