"""`duvi doctor` (every check with its remedy), `doctor webhooks` and `doctor duplicates`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from core import boot
from core.cli.context import run_async, runtime

if TYPE_CHECKING:
    from core.doctor import Check
    from core.runtime import Runtime

app = typer.Typer(help="Diagnostics: what is wrong with this department?")


def doctor_checks(rt: Runtime, dept: str | None, integrity: bool, stale_hours: int) -> list[Check]:
    """Every check, for one department (refused as a bad --dept if it is unknown) or all."""
    from core.departments import Departments
    from core.doctor import run_doctor

    depts = Departments(rt.store, rt.secrets)
    ids = [d.id for d in depts.list()] if dept is None else [dept]
    if dept is not None and depts.get(dept) is None:
        raise typer.BadParameter(f"there is no department {dept!r}", param_hint="--dept")
    with boot.connections(rt) as conns:
        return run_async(
            run_doctor(rt, ids, connections=conns, integrity=integrity, stale_hours=stale_hours)
        )


@app.callback(invoke_without_command=True)
def doctor_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d", help="One department.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    integrity: Annotated[
        bool, typer.Option("--integrity", help="Also run PRAGMA integrity_check.")
    ] = False,
    stale_hours: Annotated[
        int,
        typer.Option(
            min=1,
            max=876_000,
            help="Z-reports older than this should be confirmed (a century at most).",
        ),
    ] = 36,
) -> None:
    """Every check with its remedy. Exit 0 ok, 1 warnings, 2 failures."""
    if ctx.invoked_subcommand is not None:
        return
    from core.doctor import Status, exit_code

    with runtime(ctx) as rt:
        checks = doctor_checks(rt, dept, integrity, stale_hours)
    if as_json:
        typer.echo(
            json.dumps([c.as_dict() for c in checks], indent=2, default=str, ensure_ascii=False)
        )
    else:
        marks = {Status.OK: "ok  ", Status.WARN: "WARN", Status.FAIL: "FAIL"}
        for c in checks:
            where = f"[{c.department_id}] " if c.department_id else ""
            typer.echo(f"{marks[c.status]} {where}{c.title}: {c.found}")
            if c.status != Status.OK and c.remedy:
                typer.echo(f"       -> {c.remedy}")
    raise typer.Exit(exit_code(checks))


@app.command("webhooks")
def doctor_webhooks(
    ctx: typer.Context,
    dept: Annotated[str, typer.Option("--dept", "-d", help="The department.")],
) -> None:
    """Records changed in Visma that no webhook announced (their flag is probably off)."""
    from core.sync.webhooks import unannounced_finding

    with runtime(ctx) as rt:
        finding = unannounced_finding(rt.store, dept)
    if finding is None:
        typer.echo("ok: every change found by polling was announced by a webhook")
        return
    typer.echo(f"warn: {finding}")
    raise typer.Exit(1)


@app.command("duplicates")
def doctor_duplicates(
    ctx: typer.Context,
    dept: Annotated[str, typer.Option("--dept", "-d", help="The department.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Duplicate customer clusters inside Visma and inside DUELL (before choosing a master)."""
    from core.service import duplicate_report

    with runtime(ctx) as rt, boot.connections(rt) as conns:
        report = run_async(duplicate_report(rt, dept, connections=conns))
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return
    for side in ("visma", "duell"):
        clusters = report[side]
        typer.echo(f"{side.upper()}: {len(clusters)} duplicate clusters")
        for c in clusters:
            members = "; ".join(f"{m['id']} {m['name']}" for m in c["members"])
            typer.echo(f"  same {c['key']} {c['value']}: {members}")
    if report["visma"] or report["duell"]:
        raise typer.Exit(1)
