"""`duvi sync`, `duvi pull` and `duvi import saft`: documents and master data moved now.

Each ends with exit 1 when it leaves something for a person (a failed or held document, a
conflict, a failed step): a script or cron sees it without reading the output."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli.context import BadValue, echo_data, run_async, runtime
from core.i18n import N_, _

if TYPE_CHECKING:
    from core.transfers import Outcome


def print_outcomes(outcomes: list[Outcome], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([o.as_dict() for o in outcomes], indent=2, default=str))
        return
    from core.readmodels import state_text
    from core.transferview import shown_state

    for o in outcomes:
        number = f" -> {o.visma_number}" if o.visma_number else ""
        error = f"  ({o.error})" if o.error else ""  # the ledger's stored text (English)
        # The words `duvi transfers`, doctor's remedy and the console use ("held", "refused"),
        # in the current language, not the ledger's; --json keeps the ledger's state.
        shown = state_text(shown_state(o.state, o.error))
        echo_data(f"{o.key:<28} {shown:<10}{number}{error}")


def sync_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d", help=N_("One department."))] = None,
    entity: Annotated[
        str,
        typer.Option(
            "--entity",
            "-e",
            help=N_("zreports, invoices, stock, products, customers, webhooks, transfers, or all."),
        ),
    ] = "all",
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help=N_("Send failed transfers again."))
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from core import boot
    from core.service import (
        RUNNABLE,
        RunError,
        RunResult,
        department_ids,
        refuse_if_read_only,
        run_department,
    )

    if entity not in RUNNABLE:
        raise BadValue(
            _("use one of {items}").format(items=", ".join(RUNNABLE)), param_hint="--entity"
        )
    total = RunResult()
    with runtime(ctx) as rt, boot.connections(rt) as conns:
        refuse_if_read_only(rt, _("syncing"))
        for d in department_ids(rt, dept):
            try:
                r = run_async(
                    run_department(rt, d, entity, retry_failed=retry_failed, connections=conns)
                )
            except RunError as exc:  # the other steps ran; say what failed, go on
                r = exc.result
                echo_data(
                    _("error: {message}\n  → {remedy}").format(
                        message=exc.message, remedy=exc.remedy
                    ),
                    err=True,
                )
            total.reports.update(r.reports)
            total.outcomes += r.outcomes
            total.failures += r.failures
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "master_data": {k: r.as_dict() for k, r in total.reports.items()},
                    "transfers": [o.as_dict() for o in total.outcomes],
                    "failed_steps": [
                        {"step": step, "error": e.message, "remedy": e.remedy}
                        for step, e in total.failures
                    ],
                },
                indent=2,
                default=str,
            )
        )
    else:
        for name, r in total.reports.items():
            echo_data(
                _(
                    "{name}: {created} created, {updated} updated, {unchanged} unchanged, "
                    "{conflicts} conflicts, {failed} failed"
                ).format(
                    name=name,  # "1/products": the --entity word
                    created=r.created,
                    updated=r.updated,
                    unchanged=r.unchanged,
                    conflicts=r.conflicts,
                    failed=len(r.failed),
                )
            )
        print_outcomes(total.outcomes, False)
    if total.troubled:
        raise typer.Exit(1)


def pull_cmd(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help=N_("products or customers"))],
    dept: Annotated[str, typer.Option("--dept", "-d", help=N_("The department."))],
) -> None:
    from core import boot
    from core.service import refuse_if_read_only, sync_master_data

    if entity not in ("products", "customers"):
        raise BadValue(_("use products or customers"), param_hint="ENTITY")
    with runtime(ctx) as rt, boot.connections(rt) as conns:
        refuse_if_read_only(rt, _("pulling"))
        r = run_async(sync_master_data(rt, dept, entity, first_time=True, connections=conns))
    echo_data(
        _(
            "{name}: {created} created, {updated} updated, {unchanged} unchanged, "
            "{conflicts} conflicts"
        ).format(
            name=entity,  # the --entity word
            created=r.created,
            updated=r.updated,
            unchanged=r.unchanged,
            conflicts=r.conflicts,
        )
    )


import_app = typer.Typer(help=N_("Bring documents in from files."))


@import_app.command(
    "saft", help=N_("Z-reports from a SAF-T Cash Register file, through the same never-twice path.")
)
def import_saft_cmd(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help=N_("A SAF-T Cash Register file."))],
    dept: Annotated[str, typer.Option("--dept", "-d", help=N_("The department it belongs to."))],
    no_transfer: Annotated[
        bool, typer.Option("--no-transfer", help=N_("Only register them."))
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=N_("The ledger rows as JSON."))] = False,
) -> None:
    from pathlib import Path

    from core import boot
    from core.service import RunResult, import_saft, refuse_if_read_only

    with runtime(ctx) as rt, boot.connections(rt) as conns:
        refuse_if_read_only(rt, _("importing"))
        outcomes = run_async(
            import_saft(rt, Path(file), dept, send=not no_transfer, connections=conns)
        )
    print_outcomes(outcomes, as_json)
    if RunResult(outcomes=outcomes).troubled:
        raise typer.Exit(1)
