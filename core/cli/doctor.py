"""`duvi doctor` (every check with its remedy), `doctor webhooks` and `doctor duplicates`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from core import boot
from core.cli.context import echo_data, run_async, runtime
from core.errors import ConfigError
from core.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from core.doctor import Check
    from core.runtime import Runtime

app = typer.Typer(help=N_("Diagnostics: what is wrong with this department?"))


def doctor_checks(
    rt: Runtime, dept: str | None, integrity: bool, stale_hours: int, customer: str | None = None
) -> list[Check]:
    """Every check, for one department (an unknown one is refused as every command refuses
    it: one line naming the departments, exit 3), one customer's departments, or all."""
    from core.departments import Departments
    from core.doctor import run_doctor
    from core.service import require_department

    depts = Departments(rt.store, rt.secrets)
    ids = [d.id for d in depts.list()] if dept is None else [dept]
    if dept is not None:
        require_department(rt, dept)
    if customer is not None:
        mine = depts.of_customer(customer)
        ids = [d for d in ids if d in mine]
        if dept is not None and not ids:
            raise ConfigError(
                _("department {dept} is not one of customer {customer}'s").format(
                    dept=dept, customer=customer
                ),
                _("customer {customer}'s departments: {departments}").format(
                    customer=customer, departments=", ".join(mine)
                ),
            )
    with boot.connections(rt) as conns:
        return run_async(
            run_doctor(rt, ids, connections=conns, integrity=integrity, stale_hours=stale_hours)
        )


RECORDS_SHOWN = 20  # records listed per finding in text, one a line; --json has them all
RECORDS_SHORT = 50  # short records (ids, rates) listed on one line


@app.callback(
    invoke_without_command=True,
    help=N_("Every check with its remedy. Exit 0 ok, 1 warnings, 2 failures."),
)
def doctor_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d", help=N_("One department."))] = None,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer", help=N_("One DUELL customer's departments (its client number).")
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Every check as JSON."))] = False,
    integrity: Annotated[
        bool, typer.Option("--integrity", help=N_("Also run PRAGMA integrity_check."))
    ] = False,
    stale_hours: Annotated[
        int,
        typer.Option(
            min=1,
            max=876_000,
            help=N_("Z-reports older than this should be confirmed (a century at most)."),
        ),
    ] = 36,
    ack: Annotated[
        str | None,
        typer.Option(
            "--ack",
            metavar="CHECK_ID",
            help=N_(
                "Acknowledge this warning as it stands (audited): it no longer raises the "
                "exit code until what it finds changes."
            ),
        ),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help=N_("Why (with --ack)."))
    ] = "",
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from core.doctor import Status, acknowledge, exit_code

    with runtime(ctx) as rt:
        checks = doctor_checks(rt, dept, integrity, stale_hours, customer)
        if ack is not None:
            typer.echo(acknowledge(rt, _the_check(checks, ack, dept), reason.strip()))
            return
    if as_json:
        typer.echo(
            json.dumps([c.as_dict() for c in checks], indent=2, default=str, ensure_ascii=False)
        )
    else:
        # TRANSLATORS: the status marks of doctor's lines, four columns each
        marks = {Status.OK: _("ok  "), Status.WARN: _("WARN"), Status.FAIL: _("FAIL")}
        for c in checks:
            where = f"[{c.department_id}] " if c.department_id else ""
            mark = _("ack ") if c.acknowledged else marks[c.status]
            # A warning's id is what --ack takes
            cid = f"  ({c.id})" if c.status == Status.WARN else ""
            found = c.found.replace("\n", "\n       - ")  # a finding's own lines, as records
            echo_data(f"{mark} {where}{c.title}: {found}{cid}")
            if c.status == Status.OK:
                continue
            # The records concerned, those the finding's sentence does not name already
            records = [r for r in c.shown_records if r not in c.found]
            if records and all(len(r) <= 16 for r in records):  # ids, rates: one line
                more = len(records) - RECORDS_SHORT
                extra = (
                    " " + _("and {n} more (--json lists them all)").format(n=more)
                    if more > 0
                    else ""
                )
                records = [", ".join(records[:RECORDS_SHORT]) + extra]
            for r in records[:RECORDS_SHOWN]:
                echo_data(f"       - {r}")
            if len(records) > RECORDS_SHOWN:
                more = len(records) - RECORDS_SHOWN
                typer.echo("       - … " + _("and {n} more (--json lists them all)").format(n=more))
            if c.remedy:
                echo_data(f"       → {c.remedy}")  # the arrow of every other remedy
            if c.acknowledged:
                a = c.acknowledged
                said = (
                    _("acknowledged by {who} at {at}: {why}")
                    if a.get("reason")
                    else _("acknowledged by {who} at {at}")
                )
                echo_data("       " + said.format(who=a["by"], at=a["at"], why=a.get("reason")))
    raise typer.Exit(exit_code(checks))


def _the_check(checks: list[Check], check_id: str, dept: str | None) -> Check:
    """The one finding --ack names: a department's check needs --dept when several have it."""
    found = [c for c in checks if c.id == check_id]
    if not found:
        ids = sorted({c.id for c in checks if c.status == "warn"})
        raise typer.BadParameter(
            _("no check {id} here; the warnings are: {ids}").format(
                id=repr(check_id), ids=", ".join(ids) or _("none")
            ),
            param_hint="--ack",
        )
    if len(found) > 1:
        depts = ", ".join(str(c.department_id) for c in found)
        raise typer.BadParameter(
            _("{id} is a check of departments {depts}: name one with --dept").format(
                id=check_id, depts=depts
            ),
            param_hint="--ack",
        )
    return found[0]


@app.command(
    "webhooks",
    help=N_(
        "Records changed in Visma that no webhook announced (their flag is probably off), and "
        "bodies the receiver kept because it could not read them."
    ),
)
def doctor_webhooks(
    ctx: typer.Context,
    dept: Annotated[str, typer.Option("--dept", "-d", help=N_("The department."))],
) -> None:
    from core.sync.webhooks import unannounced_finding, unrecognised_finding

    with runtime(ctx) as rt:
        finding = unannounced_finding(rt.store, dept)
        unread = unrecognised_finding(rt.store)
    if finding is None and unread is None:
        typer.echo(_("ok: every change found by polling was announced by a webhook"))
        return
    for said in (finding, unread):
        if said is not None:
            typer.echo(_("warn: {finding}").format(finding=said))
    raise typer.Exit(1)


@app.command(
    "duplicates",
    help=N_(
        "Duplicate customer clusters inside Visma and inside DUELL (before choosing a master)."
    ),
)
def doctor_duplicates(
    ctx: typer.Context,
    dept: Annotated[str, typer.Option("--dept", "-d", help=N_("The department."))],
    as_json: Annotated[bool, typer.Option("--json", help=N_("The clusters as JSON."))] = False,
) -> None:
    from core.service import duplicate_report

    with runtime(ctx) as rt, boot.connections(rt) as conns:
        report = run_async(duplicate_report(rt, dept, connections=conns))
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return
    for side in ("visma", "duell"):
        clusters = report[side]
        typer.echo(
            ngettext(
                "{side}: {n} duplicate cluster", "{side}: {n} duplicate clusters", len(clusters)
            ).format(side=side.upper(), n=len(clusters))
        )
        for c in clusters:
            members = "; ".join(f"{m['id']} {m['name']}" for m in c["members"])
            echo_data(
                "  "
                + _("same {key} {value}: {members}").format(
                    key=c["key"], value=c["value"], members=members
                )
            )
    if report["visma"] or report["duell"]:
        raise typer.Exit(1)
