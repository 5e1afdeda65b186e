"""`duvi service install`: a systemd unit for `duvi run` (core/service_unit.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.cli.context import settings
from core.i18n import N_, _

app = typer.Typer(help=N_("Run duvi as a service: the systemd unit for `duvi run`."))


@app.command(
    "install",
    help=N_(
        "Write duvi.service for `duvi run` (restart on failure, watchdog, hardened) and print "
        "the commands that enable it."
    ),
)
def install_cmd(
    ctx: typer.Context,
    user: Annotated[
        bool, typer.Option("--user", help=N_("A user unit (~/.config/systemd/user), no root."))
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", metavar="DIR", help=N_("Write the unit here instead of systemd's directory.")
        ),
    ] = None,
) -> None:
    from core.service_unit import install

    done = install(settings(ctx), user=user, directory=directory)
    typer.echo(_("wrote {path}; enable and start it with:").format(path=done.path))
    for command in done.commands:
        typer.echo(f"  {command}")
