"""`duvi alerts list|ack|test`: the alerts that hold now, acknowledging one, a test notice."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from core.cli.context import echo_data, runtime, stamp_text
from core.i18n import N_, _

app = typer.Typer(help=N_("Alerts: what is sent to the channels in alert_urls, once per change."))


@app.command(
    "list",
    help=N_("The alerts that hold now: found, remedy, the command that shows more; sent, acked."),
)
def list_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Machine-readable output."))] = False,
) -> None:
    from core.alert_states import alert_statuses
    from core.alert_states import as_json as alert_json

    with runtime(ctx) as rt:
        statuses = alert_statuses(rt)
    if as_json:
        typer.echo(json.dumps([alert_json(s) for s in statuses], indent=2, ensure_ascii=False))
        return
    if not statuses:
        echo_data(_("no alerts: nothing needs a person now"))
        return
    for s in statuses:
        a = s.alert
        if s.acknowledged:
            said = _("{id}  {title} (acknowledged)")
        elif s.sent_at:
            said = _("{id}  {title} (sent {at})")
        else:
            said = _("{id}  {title} (not sent)")
        echo_data(said.format(id=a.id, title=a.title, at=stamp_text(s.sent_at)))
        for line in a.found.splitlines():
            echo_data(f"    {line}")
        echo_data(_("    remedy: {remedy}").format(remedy=a.remedy))
        echo_data(_("    more: {command}").format(command=a.command))


@app.command("ack", help=N_("Acknowledge an alert (audited): its present state is not sent again."))
def ack_cmd(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(metavar="ID", help=N_("As `duvi alerts list` shows."))],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help=N_("Why."))] = "",
) -> None:
    from core.alert_states import acknowledge

    with runtime(ctx) as rt:
        echo_data(acknowledge(rt, alert_id, reason.strip()))


@app.command(
    "test", help=N_("Send a test notice to every channel in alert_urls (exit 5 if one refuses it).")
)
def test_cmd(ctx: typer.Context) -> None:
    from core.alert_states import send_test_notice

    with runtime(ctx) as rt:
        echo_data(send_test_notice(rt))
