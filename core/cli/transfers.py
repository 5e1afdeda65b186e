"""`duvi transfers` and `duvi release`: the ledger, and releasing (bokføre) in Visma."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from core import boot
from core.cli.context import run_async, runtime


def transfers_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="pending, sent, confirmed, failed, attention.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The transfer ledger: every Z-report and invoice with its state and Visma number."""
    from core.ledger import Ledger, State

    states = None
    if state is not None:
        try:
            states = (State(state),)
        except ValueError:
            raise typer.BadParameter(f"unknown state {state!r}", param_hint="--state") from None
    with runtime(ctx) as rt:
        ledger = Ledger(rt.store)
        rows = ledger.rows(dept, states=states)
        bad = ledger.unreadable(dept) if states is None else []  # listed, never hidden
    if as_json:
        listed = [
            {k: (str(v) if k == "state" else v) for k, v in r.__dict__.items() if k != "payload"}
            for r in rows
        ]
        listed += [
            {
                "key": b.key,
                "department_id": b.department_id,
                "state": "unreadable",
                "last_error": b.message,
            }
            for b in bad
        ]
        typer.echo(json.dumps(listed, indent=2))
    else:
        for r in rows:
            typer.echo(f"{r.key:<28} {r.state:<10} {r.visma_number or '':<8} {r.last_error or ''}")
        for b in bad:
            typer.echo(f"{b.key:<28} {'unreadable':<10} {'':<8} {b.problem}")
    if bad:
        typer.echo(f"{len(bad)} ledger row(s) cannot be read → {bad[0].remedy}", err=True)
        raise typer.Exit(1)


def release_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The transfer key, e.g. DUELL-Z-1-1100.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: post it in Visma for good.")] = False,
) -> None:
    """Release (bokføre) a confirmed batch or invoice in Visma. Asks for --yes."""
    from core.service import release

    if not yes:
        typer.echo(f"Releasing {key} posts it in Visma for good. Run again with --yes.", err=True)
        raise typer.Exit(1)
    with runtime(ctx) as rt, boot.connections(rt) as conns:
        typer.echo(run_async(release(rt, key, connections=conns)))
