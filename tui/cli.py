"""The `duvi` entry point: core's command line with the console attached."""

from __future__ import annotations

import sys

from core import cli
from core.config import Settings


def _launch_console(settings: Settings) -> None:
    from tui.app import DuviApp

    DuviApp(settings).run(mouse=settings.mouse)


def _register_screenshots() -> None:
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
    cli.console_launcher = _launch_console
    _register_screenshots()
    sys.exit(cli.run(sys.argv[1:]))


if __name__ == "__main__":
    main()
