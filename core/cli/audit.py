"""`duvi audit` (who changed what) and `duvi support-bundle` (one archive for escalation)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from core.cli.context import BadValue, echo_data, runtime, stamp_text
from core.cli.doctor import doctor_checks
from core.errors import ConfigError
from core.i18n import N_, _

# How far back --since can reach: a century covers any installation's history; further is
# beyond what a date can hold (year 1) and would be an OverflowError, not a message.
MAX_SINCE = timedelta(days=36500)


def parse_since(value: str) -> timedelta:
    """7d, 12h, 30m -> a timedelta, positive and at most MAX_SINCE."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    usage = _("{value}: use e.g. 7d, 12h or 30m").format(value=repr(value))
    try:
        amount = float(value[:-1])
        unit = units[value[-1]]
    except (KeyError, ValueError, IndexError):
        raise BadValue(usage, param_hint="--since") from None
    if not 0 <= amount < float("inf") or amount * _SECONDS[unit] > MAX_SINCE.total_seconds():
        raise BadValue(
            _(
                "{value}: use e.g. 7d, 12h or 30m, from 0 up to {days}d (a century: everything "
                "duvi has)"
            ).format(value=repr(value), days=MAX_SINCE.days),
            param_hint="--since",
        )
    return timedelta(**{unit: amount})


_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60}


def audit_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    since: Annotated[str, typer.Option(help=N_("How far back: 7d, 12h, 30m."))] = "30d",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from core.audit import entries_since

    window = parse_since(since)
    with runtime(ctx) as rt:
        rows = entries_since(rt.store, window, dept)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        # The action, target and values as stored (the audit trail keeps one language).
        # A value there was not (before an add, after a removal) is said "(none)", not None.
        before, after = (_("(none)") if v is None else v for v in (r["before"], r["after"]))
        change = f" {before} -> {after}" if r["before"] or r["after"] else ""
        said = (
            _("{ts} {actor} from {origin} [{dept}] {action} {target}{change}")
            if r["ssh_client"]
            else _("{ts} {actor} [{dept}] {action} {target}{change}")
        )
        echo_data(
            said.format(
                ts=stamp_text(r["ts"]),
                actor=r["actor"],
                origin=r["ssh_client"],
                dept=r["department_id"] or "-",
                action=r["action"],
                target=r["target"] or "",
                change=change,
            )
        )


def support_bundle_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer", help=N_("One DUELL customer's departments (its client number).")
        ),
    ] = None,
    since: Annotated[str, typer.Option(help=N_("How much log: 7d, 12h, 30m."))] = "7d",
    out: Annotated[
        str | None,
        typer.Option("--out", help=N_("The new archive, or a directory to write a new one in.")),
    ] = None,
) -> None:
    from pathlib import Path

    from core.bundle import build_bundle, bundle_target

    window = parse_since(since)
    if out is not None and not out.strip():  # Path("") is the working directory
        raise ConfigError(
            _("--out is empty"), _("name a new file or a directory, or leave out --out")
        )
    with runtime(ctx) as rt:
        target = None if out is None else bundle_target(rt.settings, Path(out))  # before doctor
        checks = [c.as_dict() for c in doctor_checks(rt, dept, False, 36, customer)]
        path = build_bundle(
            rt, target, department_id=dept, since=window, doctor=checks, customer=customer
        )
    echo_data(str(path))
