"""`duvi run`: the automatic transfer scheduler and the webhook receiver (core/daemon.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from core.cli.context import echo_data, run_async, runtime, seconds_text
from core.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from core.runner import RoundReport


def run_cmd(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help=N_("One round, then exit."))] = False,
) -> None:
    from core import boot, daemon

    with runtime(ctx) as rt, boot.connections(rt) as conns:
        if not once:
            run_async(daemon.serve_forever(rt, conns, announce=echo_data))
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
        echo_data(
            said.format(
                dept=dept, n=n, took=seconds_text(took or 0), waited=seconds_text(waited or 0)
            )
        )
    for dept in report.busy:
        echo_data(_("department {dept}: busy (another runner holds it)").format(dept=dept))
    for dept, error in report.errors.items():
        echo_data(_("department {dept}: {error}").format(dept=dept, error=error), err=True)
    echo_data(round_summary(report, rt.settings.runner_concurrency))


def round_summary(report: RoundReport, concurrency: int) -> str:
    """The round in one line: how long, how many at once, who waited for budget (each clause
    a whole sentence of its own, joined by "; ")."""
    n = len(report.department_seconds)
    clauses = [
        ngettext(
            "round: {n} department in {seconds} s ({concurrency} at once)",
            "round: {n} departments in {seconds} s ({concurrency} at once)",
            n,
        ).format(n=n, seconds=seconds_text(report.seconds), concurrency=concurrency)
    ]
    if report.processes > 1:
        clauses.append(
            ngettext(
                "spread over {n} process", "spread over {n} processes", report.processes
            ).format(n=report.processes)
        )
    if report.department_seconds:
        slowest = max(report.department_seconds, key=report.department_seconds.__getitem__)
        clauses.append(
            _("slowest department {dept} ({seconds} s)").format(
                dept=slowest, seconds=seconds_text(report.department_seconds[slowest])
            )
        )
    if report.budget_waits:
        waits = sorted(report.budget_waits.items(), key=lambda kv: -kv[1])
        shown = ", ".join(
            _("{dept} ({seconds} s)").format(dept=d, seconds=seconds_text(w)) for d, w in waits[:5]
        )
        if len(waits) > 5:
            clauses.append(
                _("waited for rate budget: {departments} and {more} more").format(
                    departments=shown, more=len(waits) - 5
                )
            )
        else:
            clauses.append(_("waited for rate budget: {departments}").format(departments=shown))
    return "; ".join(clauses)
