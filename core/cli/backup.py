"""`duvi backup --out FILE`: a consistent copy of the database, while others write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.cli.context import settings
from core.i18n import N_, count_text, ngettext


def backup_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help=N_("The new file (never an existing one)."))
    ],
    as_json: Annotated[bool, typer.Option("--json", help=N_("Machine-readable output."))] = False,
) -> None:
    from core.backup import backup

    done = backup(settings(ctx).database, out)
    if as_json:
        typer.echo(json.dumps({**done.__dict__, "path": str(done.path)}))
        return
    typer.echo(
        ngettext(
            "backed up to {path}: {size} bytes, schema version {version}, {rows} ledger row",
            "backed up to {path}: {size} bytes, schema version {version}, {rows} ledger rows",
            done.ledger_rows,
        ).format(
            path=done.path,
            size=count_text(done.size),
            version=done.schema_version,
            rows=count_text(done.ledger_rows),
        )
    )
