"""`duvi calendar`: a department's settlement calendar, as the console's calendar screen shows
it: one state per business day, and the days that need a person named below the grid."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.cli.context import echo_data, settings
from core.i18n import N_, _, day_month_text, month_text
from core.readmodels import CALENDAR_STATES, calendar_legend

if TYPE_CHECKING:
    from core.readmodels import CalendarDay, SettlementCalendar

CELL = 6  # "  17 ✓": the day's number and its mark; 7 cells fit any terminal
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def calendar_cmd(
    ctx: typer.Context,
    dept: Annotated[str, typer.Option("--dept", "-d", help=N_("The department."))],
    month: Annotated[
        str | None,
        typer.Option(
            "--month", help=N_("A month, 2026-11 or 11.2026 (default: the last five weeks).")
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from datetime import date

    from core.calendar import settlement_calendar
    from core.i18n import parse_month
    from core.runtime import Runtime

    first = None
    if month is not None:
        try:
            first = parse_month(month)
        except ValueError as exc:
            echo_data(_("duvi: error: --month {why}").format(why=exc), err=True)
            raise typer.Exit(2) from None
    with Runtime.open(settings(ctx)) as rt:
        cal = settlement_calendar(rt.store, dept, today=date.today(), month=first)
    typer.echo(json.dumps(as_dict(cal), indent=2) if as_json else "\n".join(grid(cal)))


def as_dict(cal: SettlementCalendar) -> dict[str, Any]:
    return {
        "department": {"id": cal.department_id, "name": cal.department_name},
        "first": cal.first.isoformat(),
        "last": cal.last.isoformat(),
        "today": cal.today.isoformat(),
        "days": [
            {
                "date": d.day.isoformat(),
                "state": d.state,
                "amount": str(d.amount),
                "zreports": [
                    {
                        "key": z.key,
                        "register": z.register,
                        "z_number": z.z_number,
                        "state": z.state,
                        "visma_number": z.visma_number,
                        "amount": str(z.amount),
                        "error": z.error,
                    }
                    for z in d.zreports
                ],
                "missing": [{"register": r, "z_number": z} for r, z in d.missing],
            }
            for d in cal.days
            if d.in_period
        ],
    }


def title(cal: SettlementCalendar) -> str:
    if cal.first.day == 1 and (cal.last - cal.first).days >= 27:
        span = month_text(cal.first)
    else:
        span = f"{day_month_text(cal.first)} – {day_month_text(cal.last)} {cal.last.year}"
    return _("Settlement calendar of department {dept} {name}: {span}").format(
        dept=cal.department_id, name=cal.department_name, span=span
    )


def problems(d: CalendarDay) -> str:
    """What a person must look at on this day, in words ("" for nothing). A Z-report's error
    is the ledger's stored text (English)."""
    parts = [_("missing Z {z} (register {register})").format(z=z, register=r) for r, z in d.missing]
    for z in d.zreports:
        if z.state in ("attention", "held"):
            said = _("on hold Z {z} (register {register}): {why}")
        elif z.state in ("failed", "refused"):
            said = _("refused Z {z} (register {register}): {why}")
        else:
            continue
        parts.append(said.format(z=z.z_number, register=z.register, why=z.error))
    return "; ".join(parts)


def grid(cal: SettlementCalendar) -> list[str]:
    weekdays = "".join(f"{_(w):>{CELL - 1}} " for w in WEEKDAYS).rstrip()
    lines = [title(cal), "", weekdays]
    for week in cal.weeks:
        cells = [
            f"{d.day.day:>{CELL - 3}} {CALENDAR_STATES[d.state][0]} " if d.in_period else " " * CELL
            for d in week
        ]
        lines.append("".join(cells).rstrip())
    lines.append("")
    lines += calendar_legend(80).splitlines()
    for d in cal.days:
        said = problems(d) if d.in_period else ""
        if said:
            lines.append(f"{day_month_text(d.day)}: {said}"[:200])
    return lines
