"""`duvi log`: the event log, newest last; --follow keeps printing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli.context import BadValue, echo_data, runtime, stored_int
from core.i18n import N_, _

if TYPE_CHECKING:
    from core.eventlog import Event, Level


def _level(value: str | None) -> Level | None:
    from core.eventlog import Level

    if value is None:
        return None
    try:
        return Level.parse(value)
    except ValueError as exc:
        raise BadValue(str(exc)) from None


MAX_LINES = N_("give at most {max}")


def _format(ev: Event) -> str:
    """One event: its time as stored (UTC, to the millisecond: the log is read beside other
    logs), level, department/entity, run; the message in the language (stored in English; one
    logged without a template, as stored: core/eventtext.py)."""
    from core.eventlog import level_text
    from core.eventtext import event_text
    from core.readmodels import entity_text

    entity = entity_text(ev.entity) if ev.entity else None
    where = "/".join(x for x in (ev.department_id, entity) if x) or "-"
    if ev.run_id is None:
        said = _("{ts} {level} {where}  {message}")
    else:
        said = _("{ts} {level} {where} run {run}  {message}")
    return said.format(
        ts=ev.ts,
        level=f"{level_text(ev.level):<8}",
        where=where,
        run=ev.run_id,
        message=event_text(ev.message, ev.data),
    )


def log_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d", help=N_("Department id."))] = None,
    level: Annotated[
        str | None, typer.Option("--level", "-l", help=N_("Lowest level: debug..critical."))
    ] = None,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", help=N_("zreport, invoice, product..."))
    ] = None,
    run: Annotated[
        int | None,
        typer.Option(
            "--run",
            help=N_("One run's events (the id `run N` shows)."),
            callback=stored_int(N_("no run has an id that large; `duvi log` shows the run ids")),
        ),
    ] = None,
    grep: Annotated[str | None, typer.Option("--grep", "-g", help=N_("Full-text search."))] = None,
    lines: Annotated[
        int,
        typer.Option(
            "--lines",
            "-n",
            min=1,
            help=N_("How many events."),
            callback=stored_int(MAX_LINES),
        ),
    ] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help=N_("Keep printing new events."))
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=N_("One JSON object per line."))] = False,
) -> None:
    from core.service import log_filter

    min_level = _level(level)

    def emit(ev: Event) -> None:  # typer.echo flushes: a follower sees each line at once
        if as_json:
            typer.echo(json.dumps(ev.as_dict(), ensure_ascii=False))
        else:
            echo_data(_format(ev))

    with runtime(ctx) as rt:
        flt = log_filter(rt, dept, min_level, entity, run, grep)
        events = rt.log.page(flt, limit=lines)
        for ev in reversed(events):
            emit(ev)
        if not follow:
            return
        try:
            for ev in rt.log.follow(flt, events[0].id if events else rt.log.last_id()):
                emit(ev)
        except KeyboardInterrupt:
            pass
