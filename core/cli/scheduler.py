"""`duvi run`: the automatic transfer scheduler and the webhook receiver (core/daemon.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from core.cli.context import run_async, runtime


def run_cmd(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
) -> None:
    """The automatic transfer scheduler (departments with automatic transfer on)."""
    from core import boot, daemon

    with runtime(ctx) as rt, boot.connections(rt) as conns:
        if not once:
            run_async(daemon.serve_forever(rt, conns, announce=typer.echo))
            return
        report = run_async(daemon.run_round(rt, conns))
    for dept, outcomes in report.transferred.items():
        typer.echo(f"department {dept}: {len(outcomes)} transfers")
    for dept in report.busy:
        typer.echo(f"department {dept}: busy (another runner holds it)")
    for dept, error in report.errors.items():
        typer.echo(f"department {dept}: {error}", err=True)
