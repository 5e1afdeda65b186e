"""`duvi backup --out FILE`: a consistent copy of the database, while others write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.cli.context import settings


def backup_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="The new file (never an existing one).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Copy the database to a new file, mode 0600, while duvi runs (SQLite's backup API).

    Restore: stop duvi, move duvi.db and any duvi.db-wal and duvi.db-shm away, copy the backup
    in as duvi.db."""
    from core.backup import backup

    done = backup(settings(ctx).database, out)
    if as_json:
        typer.echo(json.dumps({**done.__dict__, "path": str(done.path)}))
        return
    typer.echo(
        f"backed up to {done.path}: {done.size:,} bytes, schema version "
        f"{done.schema_version}, {done.ledger_rows} ledger rows"
    )
