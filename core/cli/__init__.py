"""The command line (typer), a face over the engine: each command module parses its options,
calls the engine and formats what comes back. The console itself is attached by tui/cli.py
(`run(argv, console=...)`), so core never imports Textual.

Commands are mounted here, in the order `duvi --help` lists them. Exit codes: README's table,
from core/errors.py.
"""

from __future__ import annotations

from typing import Annotated

import typer

from core.cli import (
    alerts,
    audit,
    backup,
    conflicts,
    departments,
    doctor,
    log,
    report,
    sandbox,
    scheduler,
    service,
    sync,
    transfers,
)
from core.cli import calendar as calendar_commands
from core.cli import config as config_commands
from core.cli.context import CliContext, ConsoleLauncher, cli_context
from core.errors import DuviError, exit_code_of

app = typer.Typer(
    name="duvi",
    help="Console and engine for the DUELL <-> Visma.net ERP integration.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def version() -> str:
    from importlib.metadata import version as package_version

    return package_version("duvi")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"duvi {version()}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    readonly: Annotated[
        bool, typer.Option("--readonly", help="Refuse every changing action.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Without a command: open the console."""
    state = cli_context(ctx)
    state.overrides = {"read_only": True} if readonly else {}
    if ctx.invoked_subcommand is None:
        if state.console is None:
            typer.echo(ctx.get_help())
            return
        state.console(state.settings)


app.command("config")(config_commands.config_cmd)
app.command("log")(log.log_cmd)
app.command("sync")(sync.sync_cmd)
app.command("pull")(sync.pull_cmd)
app.add_typer(sync.import_app, name="import")
app.add_typer(transfers.app, name="transfers")
app.command("release")(transfers.release_cmd)
app.command("calendar")(calendar_commands.calendar_cmd)
app.add_typer(report.app, name="report")
app.command("run")(scheduler.run_cmd)
app.add_typer(conflicts.app, name="conflicts")
app.add_typer(departments.app, name="departments")
app.add_typer(doctor.app, name="doctor")
app.command("audit")(audit.audit_cmd)
app.command("support-bundle")(audit.support_bundle_cmd)
app.command("backup")(backup.backup_cmd)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(service.app, name="service")
app.add_typer(alerts.app, name="alerts")


def run(argv: list[str] | None = None, *, console: ConsoleLauncher | None = None) -> int:
    """Run the command line; DuviErrors become their message, remedy and exit code.

    Usage errors are click's own (message, usage line, exit code 2). `console` opens the
    console when no command is given (else the help is printed).
    """
    try:
        app(args=argv, prog_name="duvi", standalone_mode=True, obj=CliContext(console=console))
    except DuviError as exc:
        from core.i18n import _

        typer.echo(_("duvi: error: {message}").format(message=exc), err=True)
        return exit_code_of(exc)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
