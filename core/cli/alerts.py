"""`duvi alerts list|ack|test`: the alerts that hold now, acknowledging one, a test notice."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from core.cli.context import runtime

app = typer.Typer(help="Alerts: what is sent to the channels in alert_urls, once per change.")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The alerts that hold now: found, remedy, the command that shows more; sent, acked."""
    from core.alert_states import alert_statuses
    from core.alert_states import as_json as alert_json

    with runtime(ctx) as rt:
        statuses = alert_statuses(rt)
    if as_json:
        typer.echo(json.dumps([alert_json(s) for s in statuses], indent=2, ensure_ascii=False))
        return
    if not statuses:
        typer.echo("no alerts: nothing needs a person now")
        return
    for s in statuses:
        a = s.alert
        done = (
            "acknowledged" if s.acknowledged else f"sent {s.sent_at}" if s.sent_at else "not sent"
        )
        typer.echo(f"{a.id}  {a.title} ({done})")
        for line in a.found.splitlines():
            typer.echo(f"    {line}")
        typer.echo(f"    remedy: {a.remedy}")
        typer.echo(f"    more: {a.command}")


@app.command("ack")
def ack_cmd(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(metavar="ID", help="As `duvi alerts list` shows.")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why.")] = "",
) -> None:
    """Acknowledge an alert (audited): its present state is not sent again."""
    from core.alert_states import acknowledge

    with runtime(ctx) as rt:
        typer.echo(acknowledge(rt, alert_id, reason.strip()))


@app.command("test")
def test_cmd(ctx: typer.Context) -> None:
    """Send a test notice to every channel in alert_urls (exit 5 if one refuses it)."""
    from core.alert_states import send_test_notice

    with runtime(ctx) as rt:
        typer.echo(send_test_notice(rt))
