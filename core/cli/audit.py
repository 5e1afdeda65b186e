"""`duvi audit` (who changed what) and `duvi support-bundle` (one archive for escalation)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from core.cli.context import runtime
from core.cli.doctor import doctor_checks
from core.errors import ConfigError

# How far back --since can reach: a century covers any installation's history; further is
# beyond what a date can hold (year 1) and would be an OverflowError, not a message.
MAX_SINCE = timedelta(days=36500)


def parse_since(value: str) -> timedelta:
    """7d, 12h, 30m -> a timedelta, positive and at most MAX_SINCE."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    usage = f"{value!r}: use e.g. 7d, 12h or 30m"
    try:
        amount = float(value[:-1])
        unit = units[value[-1]]
    except (KeyError, ValueError, IndexError):
        raise typer.BadParameter(usage, param_hint="--since") from None
    if not 0 <= amount < float("inf") or amount * _SECONDS[unit] > MAX_SINCE.total_seconds():
        raise typer.BadParameter(
            f"{usage}, from 0 up to {MAX_SINCE.days}d (a century: everything duvi has)",
            param_hint="--since",
        )
    return timedelta(**{unit: amount})


_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60}


def audit_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    since: Annotated[str, typer.Option(help="How far back: 7d, 12h, 30m.")] = "30d",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Who changed what, when, from where (with before and after)."""
    from core.audit import entries_since

    window = parse_since(since)
    with runtime(ctx) as rt:
        rows = entries_since(rt.store, window, dept)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        origin = f" from {r['ssh_client']}" if r["ssh_client"] else ""
        change = f" {r['before']} -> {r['after']}" if r["before"] or r["after"] else ""
        typer.echo(
            f"{r['ts']} {r['actor']}{origin} [{r['department_id'] or '-'}] "
            f"{r['action']} {r['target'] or ''}{change}"
        )


def support_bundle_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="One DUELL customer's departments (its client number)."),
    ] = None,
    since: Annotated[str, typer.Option(help="How much log: 7d, 12h, 30m.")] = "7d",
    out: Annotated[
        str | None,
        typer.Option("--out", help="The new archive, or a directory to write a new one in."),
    ] = None,
) -> None:
    """One archive for escalation; every secret masked."""
    from pathlib import Path

    from core.bundle import build_bundle, bundle_target

    window = parse_since(since)
    if out is not None and not out.strip():  # Path("") is the working directory
        raise ConfigError("--out is empty", "name a new file or a directory, or leave out --out")
    with runtime(ctx) as rt:
        target = None if out is None else bundle_target(rt.settings, Path(out))  # before doctor
        checks = [c.as_dict() for c in doctor_checks(rt, dept, False, 36, customer)]
        path = build_bundle(
            rt, target, department_id=dept, since=window, doctor=checks, customer=customer
        )
    typer.echo(str(path))
