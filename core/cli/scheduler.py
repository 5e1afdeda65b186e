"""`duvi run`: the automatic transfer scheduler and the webhook receiver (core/daemon.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from core.cli.context import run_async, runtime
from core.i18n import ngettext

if TYPE_CHECKING:
    from core.runner import RoundReport


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
        took = report.department_seconds.get(dept)
        waited = report.budget_waits.get(dept)
        n = len(outcomes)
        if took is None:
            said = ngettext(
                "department {dept}: {n} transfer", "department {dept}: {n} transfers", n
            )
        elif waited:
            said = ngettext(
                "department {dept}: {n} transfer in {took} s ({waited} s of it waiting for the "
                "company's rate budget)",
                "department {dept}: {n} transfers in {took} s ({waited} s of it waiting for the "
                "company's rate budget)",
                n,
            )
        else:
            said = ngettext(
                "department {dept}: {n} transfer in {took} s",
                "department {dept}: {n} transfers in {took} s",
                n,
            )
        typer.echo(
            said.format(dept=dept, n=n, took=f"{took or 0:.1f}", waited=f"{waited or 0:.1f}")
        )
    for dept in report.busy:
        typer.echo(f"department {dept}: busy (another runner holds it)")
    for dept, error in report.errors.items():
        typer.echo(f"department {dept}: {error}", err=True)
    typer.echo(round_summary(report, rt.settings.runner_concurrency))


def round_summary(report: RoundReport, concurrency: int) -> str:
    """The round in one line: how long, how many at once, who waited for budget."""
    line = (
        f"round: {len(report.department_seconds)} departments in {report.seconds:.1f} s "
        f"({concurrency} at once)"
    )
    if report.department_seconds:
        slowest = max(report.department_seconds, key=report.department_seconds.__getitem__)
        line += f"; slowest department {slowest} ({report.department_seconds[slowest]:.1f} s)"
    if report.budget_waits:
        waits = sorted(report.budget_waits.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{d} ({w:.1f} s)" for d, w in waits[:5])
        more = f" and {len(waits) - 5} more" if len(waits) > 5 else ""
        line += f"; waited for rate budget: {shown}{more}"
    return line
