"""A department's settlement calendar: did each business day's Z-report reach Visma?

Read from the ledger alone (what duvi fetched and where each document stands), by business
date, with one indexed range read (migration 10: the Z-reports by department and business
date), however many years the ledger holds. Each day gets one state, the most urgent that
applies (`CALENDAR_STATES`, core/readmodels.py):

- attention: Visma refused one of its Z-reports (`failed`);
- held: one cannot be sent as it is (`attention` in the ledger: a mapping to fix);
- missing: a register's Z numbers have a gap that belongs to this day;
- pending: fetched, not in Visma yet (`pending`, or `sent` and being looked up);
- unreleased: every Z-report of the day is in Visma, one or more not released (`confirmed`:
  Visma holds the batch, on hold or balanced, not posted);
- posted: every Z-report of the day is released (bokført) in Visma;
- closed: no Z-report that day, though DUELL was asked after it; unfetched: no Z-report and
  DUELL not asked since (a new directory, a runner that stopped); future: today or later.

Where a missing Z number belongs is inferred: DUELL numbers each register's Z-reports in the
order they are taken, so a number missing between two reports was taken between their
days. It is put on the days in between that have no Z-report at all (the shop looked closed),
or, when there are none, on the day of the report after the gap.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from core.errors import ConfigError
from core.i18n import _
from core.ledger import Ledger
from core.models import stored_total
from core.readmodels import CalendarDay, CalendarZReport, SettlementCalendar

if TYPE_CHECKING:
    from core.store import Store

WEEKS = 5  # the default view: the last five weeks, this one included
# The gap check needs each register's report just outside the period; this many of the
# department's nearest on each side are read (inferred enough: every register of a shop
# reports at least once in that many).
NEIGHBOURS = 64

# The expression of the index made by migration 10: a read must name it exactly to use it.
# A payload that is not JSON (a damaged row, which doctor names) has no day: json_extract
# alone would raise "malformed JSON" for the whole read, and would refuse the index.
_DAY = "(CASE WHEN json_valid(payload) THEN json_extract(payload, '$.business_date') END)"
# One parse of each payload: json_extract with several paths returns them as one JSON array.
_COLUMNS = (
    "key, state, visma_number, last_error, json_extract(payload, '$.business_date', "
    "'$.z_number', '$.register_id', '$.sales', '$.gift_cards_sold', '$.tips', '$.pant_sold', "
    "'$.pant_refunded') AS fields"
)
_OF_DEPT = "FROM ledger WHERE department_id = :dept AND kind = 'zreport'"
RANGE_SQL = (
    f"SELECT * FROM (SELECT {_COLUMNS} {_OF_DEPT} AND {_DAY} < :first "
    f"ORDER BY {_DAY} DESC LIMIT {NEIGHBOURS}) "
    f"UNION ALL SELECT {_COLUMNS} {_OF_DEPT} AND {_DAY} BETWEEN :first AND :last "
    f"UNION ALL SELECT * FROM (SELECT {_COLUMNS} {_OF_DEPT} AND {_DAY} > :last "
    f"ORDER BY {_DAY} LIMIT {NEIGHBOURS})"
)

# The ledger's states as the calendar counts them; a state it does not know is shown as
# needing attention, never as posted.
_STATE_OF_ROW = {
    "confirmed": "unreleased",
    "released": "posted",
    "pending": "pending",
    "sent": "pending",
    "attention": "held",
    "held": "held",
    "failed": "attention",
    "refused": "attention",
}
_URGENCY = ("attention", "held", "missing", "pending", "unreleased", "posted")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period(today: date, month: date | None = None) -> tuple[date, date]:
    """The days asked for: the month of `month`, or the last five weeks up to this Sunday."""
    if month is None:
        first = monday(today) - timedelta(weeks=WEEKS - 1)
        return first, first + timedelta(weeks=WEEKS, days=-1)
    first = month.replace(day=1)
    following = (first + timedelta(days=31)).replace(day=1)
    return first, following - timedelta(days=1)


def settlement_calendar(
    store: Store, department_id: str, *, today: date, month: date | None = None
) -> SettlementCalendar:
    """The department's days of the last five weeks (or of `month`), whole weeks."""
    found = store.query("SELECT name FROM departments WHERE id = ?", [department_id])
    if not found:
        known = ", ".join(r["id"] for r in store.query("SELECT id FROM departments ORDER BY id"))
        raise ConfigError(
            _("there is no department {dept} (known: {known})").format(
                dept=repr(department_id), known=known or _("none")
            )
        )
    first, last = period(today, month)
    rows = store.query(
        RANGE_SQL, {"dept": department_id, "first": first.isoformat(), "last": last.isoformat()}
    )
    shown_first, shown_last = monday(first), monday(last) + timedelta(days=6)
    reports: dict[date, list[CalendarZReport]] = {}
    sequence: dict[str, list[tuple[int, date]]] = {}  # register -> (Z number, day)
    for r in rows:
        day_text, z, register, sales, gift, tips, pant, refunded = json.loads(r["fields"])
        day, register = date.fromisoformat(day_text), str(register or "1")
        sequence.setdefault(register, []).append((int(z), day))
        if first <= day <= last:
            reports.setdefault(day, []).append(
                CalendarZReport(
                    r["key"],
                    register,
                    int(z),
                    r["state"],
                    r["visma_number"] or "",
                    stored_total(sales, gift, tips, pant, refunded),
                    (r["last_error"] or "").partition("\n")[0],
                )
            )
    missing = _gaps(sequence, {day for seen in sequence.values() for _, day in seen})
    fetched = Ledger(store).fetched_at(department_id)
    asked = fetched.astimezone().date() if fetched else None  # the shop's calendar day

    days = []
    for n in range((shown_last - shown_first).days + 1):
        day = shown_first + timedelta(days=n)
        zs = tuple(sorted(reports.get(day, ()), key=lambda z: (z.register, z.z_number)))
        gaps = tuple(sorted(missing.get(day, ())))
        state = _state(day, zs, gaps, today, asked)
        days.append(CalendarDay(day, state, zs, gaps, first <= day <= last))
    return SettlementCalendar(department_id, found[0]["name"], first, last, today, tuple(days))


def _gaps(
    sequence: dict[str, list[tuple[int, date]]], busy: set[date]
) -> dict[date, list[tuple[str, int]]]:
    """Per day, the (register, Z number) missing from the ledger that belong to it."""
    out: dict[date, list[tuple[str, int]]] = {}
    for register, seen in sequence.items():
        seen.sort()
        for (za, da), (zb, db) in pairwise(seen):
            if zb <= za + 1:
                continue
            lo, hi = min(da, db), max(da, db)
            between = [
                lo + timedelta(days=n)
                for n in range(1, (hi - lo).days)
                if lo + timedelta(days=n) not in busy
            ]
            for day in between or [db]:
                out.setdefault(day, []).extend((register, z) for z in range(za + 1, zb))
    return out


def _state(
    day: date,
    zs: tuple[CalendarZReport, ...],
    gaps: tuple[tuple[str, int], ...],
    today: date,
    asked: date | None,
) -> str:
    states = {_STATE_OF_ROW.get(z.state, "attention") for z in zs}
    if gaps:
        states.add("missing")
    for state in _URGENCY:
        if state in states:
            return state
    if day >= today:
        return "future"
    # "No sales" only once DUELL was asked after the day ended; before that nothing is known.
    return "closed" if asked is not None and asked > day else "unfetched"
