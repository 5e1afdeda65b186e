"""The `duvi` entry point: core's command line with the console attached."""

from __future__ import annotations

import sys

from core import cli
from core.config import Settings


def _launch_console(settings: Settings) -> None:
    from tui.app import DuviApp

    DuviApp(settings).run(mouse=settings.mouse)


def main() -> None:
    cli.console_launcher = _launch_console
    sys.exit(cli.run(sys.argv[1:]))


if __name__ == "__main__":
    main()
