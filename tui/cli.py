"""The `duvi` entry point: core's command line with the console attached.

`duvi` and `duvi --readonly` open the console without building the command line: typer's
introspection of every command and the settings stack would double the time to the first
frame. Everything else goes through core's command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config import Settings

CONSOLE_FLAGS = {"--readonly"}


def _launch_console(load: Callable[[], Settings]) -> None:
    from tui.app import DuviApp

    app = DuviApp(load)
    app.run()
    if app.startup_error is not None:
        print(f"duvi: error: {app.startup_error}", file=sys.stderr)  # as the command line says it
    if app.return_code:
        raise SystemExit(app.return_code)


def _load_settings(read_only: bool) -> Settings:
    from core.config import load_settings

    return load_settings(read_only=True) if read_only else load_settings()


def _register_screenshots(cli: ModuleType) -> None:
    import typer

    @cli.app.command("screenshots")
    def screenshots(
        out: str = typer.Option("screenshots", "--out", help="Directory for the SVGs."),
    ) -> None:
        """SVG screenshots of every main screen at 120x36, from the sandbox."""
        import asyncio
        from pathlib import Path

        from tui.screenshots import take

        for path in asyncio.run(take(Path(out))):
            typer.echo(str(path))


def main() -> None:
    argv = sys.argv[1:]
    if set(argv) <= CONSOLE_FLAGS:
        _launch_console(partial(_load_settings, "--readonly" in argv))
        return
    from core import cli

    cli.console_launcher = _launch_console
    _register_screenshots(cli)
    sys.exit(cli.run(argv))


if __name__ == "__main__":
    main()
