"""The `duvi` entry point: core's command line with the console attached.

`duvi` and `duvi --readonly` open the console without building the command line: typer's
introspection of every command and the settings stack would double the time to the first
frame. Everything else goes through core's command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

    from core.config import Settings

CONSOLE_FLAGS = {"--readonly"}


def _launch_console(load: Callable[[], Settings]) -> None:
    import gc
    import os

    # No collector passes until the first frame is painted (the app turns it back on then):
    # start-up only makes objects that live as long as the console, and the passes over
    # Textual's import were a twentieth of the time to the first frame (bench/console_bench.py)
    gc.disable()

    from core.i18n import set_language
    from tui.app import DuviApp

    # The first frame comes before the settings are read (in a worker): it speaks the
    # environment's language; a `language` in the config file takes over once they are.
    try:
        set_language(os.environ.get("DUVI_LANGUAGE") or None)
    except ValueError:
        set_language(None)  # load_settings names the bad value with its remedy

    app = DuviApp(load)
    app.run()
    if app.startup_error is not None:
        from core.i18n import _ as core_words

        # as the command line says it, in its language
        print(
            core_words("duvi: error: {message}").format(message=app.startup_error), file=sys.stderr
        )
    if app.return_code:
        raise SystemExit(app.return_code)


def _load_settings(read_only: bool) -> Settings:
    from core.config import load_settings

    return load_settings(read_only=True) if read_only else load_settings()


def _register_screenshots(app: typer.Typer) -> None:
    """The `screenshots` command, its words in the console's catalogue: registered once the
    language is set (core's --help translates only core's own catalogue's texts)."""
    import typer

    from tui.i18n import _

    @app.command(
        "screenshots", help=_("SVG screenshots of every main screen at 120x36, from the sandbox.")
    )
    def screenshots(
        out: str = typer.Option("screenshots", "--out", help=_("Directory for the SVGs.")),
        language: str | None = typer.Option(
            None,
            "--language",
            help=_("nb or en (default: the `language` setting, else the locale's)."),
        ),
    ) -> None:
        import asyncio
        import os
        from pathlib import Path

        from core.errors import ConfigError, write_failed
        from tui.screenshots import take

        if language is not None and language not in ("nb", "en"):
            raise ConfigError(
                _("--language {language} is not nb or en").format(language=repr(language)),
                _("use nb or en"),
            )
        target = Path(out)
        if not out or (os.path.lexists(target) and not target.is_dir()):
            raise ConfigError(
                _("--out {out} is not a directory").format(out=repr(out)),
                _("name a directory (it is made if missing)"),
            )
        try:
            target.mkdir(parents=True, exist_ok=True)
            paths = asyncio.run(take(target, language))
        except OSError as exc:
            raise write_failed(
                exc,
                _("screenshots to {out}").format(out=out),
                _("name a directory this user can write"),
            ) from None
        for path in paths:
            typer.echo(str(path))


def main() -> None:
    argv = sys.argv[1:]
    if set(argv) <= CONSOLE_FLAGS:
        _launch_console(partial(_load_settings, "--readonly" in argv))
        return
    from core import cli

    cli.set_language_of_settings()  # before the screenshots command's words (run() sets it too)
    _register_screenshots(cli.app)
    sys.exit(cli.run(argv, console=_launch_console))


if __name__ == "__main__":
    main()
