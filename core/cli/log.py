"""`duvi log`: the event log, newest last; --follow keeps printing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli.context import SQLITE_INT_MAX, runtime, stored_int

if TYPE_CHECKING:
    from core.eventlog import Event, Level


def _level(value: str | None) -> Level | None:
    from core.eventlog import Level

    if value is None:
        return None
    try:
        return Level.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _format(ev: Event) -> str:
    where = "/".join(x for x in (ev.department_id, ev.entity) if x)
    run = f" run {ev.run_id}" if ev.run_id is not None else ""
    return f"{ev.ts} {ev.level.name:<8} {where or '-'}{run}  {ev.message}"


def log_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d", help="Department id.")] = None,
    level: Annotated[
        str | None, typer.Option("--level", "-l", help="Lowest level: debug..critical.")
    ] = None,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", help="zreport, invoice, product...")
    ] = None,
    run: Annotated[
        int | None,
        typer.Option(
            "--run",
            help="One run's events (the id `run N` shows).",
            callback=stored_int("no run has an id that large; `duvi log` shows the run ids"),
        ),
    ] = None,
    grep: Annotated[str | None, typer.Option("--grep", "-g", help="Full-text search.")] = None,
    lines: Annotated[
        int,
        typer.Option(
            "--lines",
            "-n",
            min=1,
            help="How many events.",
            callback=stored_int(f"give at most {SQLITE_INT_MAX}"),
        ),
    ] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show the event log, newest last; --follow keeps printing as events arrive."""
    from core.service import log_filter

    min_level = _level(level)

    def emit(ev: Event) -> None:  # typer.echo flushes: a follower sees each line at once
        typer.echo(json.dumps(ev.as_dict(), ensure_ascii=False) if as_json else _format(ev))

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
