"""The command line (typer), a face over the engine: each command module parses its options,
calls the engine and formats what comes back. The console itself is attached by tui/cli.py
(`run(argv, console=...)`), so core never imports Textual.

Commands are mounted here, in the order `duvi --help` lists them. Exit codes: README's table,
from core/errors.py.
"""

from __future__ import annotations

import os
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
from core.i18n import N_, _, set_language

app = typer.Typer(
    name="duvi",
    help=N_("Console and engine for the DUELL <-> Visma.net ERP integration."),
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


@app.callback(invoke_without_command=True)  # without a command: open the console
def root(
    ctx: typer.Context,
    readonly: Annotated[
        bool, typer.Option("--readonly", help=N_("Refuse every changing action."))
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help=N_("Print the version.")
        ),
    ] = False,
) -> None:
    state = cli_context(ctx)
    state.overrides = {"read_only": True} if readonly else {}
    if ctx.invoked_subcommand is None:
        if state.console is None:
            typer.echo(ctx.get_help())
            return
        state.console(state.settings)


app.command(
    "config",
    help=N_("Print the effective settings and where each value came from (secrets masked)."),
)(config_commands.config_cmd)
app.command(
    "log", help=N_("Show the event log, newest last; --follow keeps printing as events arrive.")
)(log.log_cmd)
app.command(
    "sync",
    help=N_("Products and customers per their master; Z-reports and invoice bases to Visma, once."),
)(sync.sync_cmd)
app.command(
    "pull",
    help=N_("First-time pull of everything from Visma into DUELL (before switching the master)."),
)(sync.pull_cmd)
app.add_typer(sync.import_app, name="import")
app.add_typer(transfers.app, name="transfers")
app.command(
    "release", help=N_("Release (bokføre) a confirmed batch or invoice in Visma. Asks for --yes.")
)(transfers.release_cmd)
app.command(
    "calendar", help=N_("Did each day's Z-report reach Visma? One state per business day.")
)(calendar_commands.calendar_cmd)
app.add_typer(report.app, name="report")
app.command(
    "run", help=N_("The automatic transfer scheduler (departments with automatic transfer on).")
)(scheduler.run_cmd)
app.add_typer(conflicts.app, name="conflicts")
app.add_typer(departments.app, name="departments")
app.add_typer(doctor.app, name="doctor")
app.command("audit", help=N_("Who changed what, when, from where (with before and after)."))(
    audit.audit_cmd
)
app.command("support-bundle", help=N_("One archive for escalation; every secret masked."))(
    audit.support_bundle_cmd
)
app.command(
    "backup",
    help=N_(
        "Copy the database to a new file, mode 0600, while duvi runs (SQLite's backup API)."
        "\n\nRestore: stop duvi, move duvi.db and any duvi.db-wal and duvi.db-shm away, copy "
        "the backup in as duvi.db."
    ),
)(backup.backup_cmd)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(service.app, name="service")
app.add_typer(alerts.app, name="alerts")


def set_language_of_settings() -> None:
    """The language the settings ask for (the `language` setting, else the locale's), before
    anything is said: `--help` and click's usage errors come before any command loads them.
    Settings that cannot be read leave DUVI_LANGUAGE or the locale to decide; the command
    that needs them then says what is wrong, in that language."""
    from core.config import load_settings

    try:
        load_settings()  # sets the language
    except (DuviError, ValueError):
        try:
            set_language(os.environ.get("DUVI_LANGUAGE") or None)
        except ValueError:
            set_language(None)


def run(argv: list[str] | None = None, *, console: ConsoleLauncher | None = None) -> int:
    """Run the command line; DuviErrors become their message, remedy and exit code.

    Usage errors are click's own (message, usage line, exit code 2). `console` opens the
    console when no command is given (else the help is printed).
    """
    from core.cli.help import localized

    set_language_of_settings()
    try:
        command = localized(app)  # --help in that language
        command(args=argv, prog_name="duvi", standalone_mode=True, obj=CliContext(console=console))
    except DuviError as exc:
        from core.textsafe import visible

        # the message may quote what Visma or DUELL sent
        typer.echo(visible(_("duvi: error: {message}").format(message=exc)), err=True)
        return exit_code_of(exc)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
