"""What every command gets through typer's context object (`ctx.obj`): the options given before
the subcommand, as init overrides of Settings, and how to open the console."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from core.i18n import _, babel_locale, datetime_text
from core.textsafe import visible

if TYPE_CHECKING:  # the settings stack (pydantic) is imported when first needed
    from core.config import Settings
    from core.runtime import Runtime

T = TypeVar("T")

# SQLite's INTEGER is 64-bit: a run id, a conflict number or a count beyond it names nothing
# duvi stores, and SQLite itself would refuse it (OverflowError, not a message).
SQLITE_INT_MAX = 2**63 - 1

# The console gets how to load the settings, not the settings: it paints its first frame
# first, then loads them (pydantic is a third of the start-up time).
ConsoleLauncher = Callable[[Callable[[], "Settings"]], None]


@dataclass
class CliContext:
    console: ConsoleLauncher | None = None  # given by tui/cli.py; core cannot import it
    overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        from core.config import load_settings

        return load_settings(**self.overrides)


def cli_context(ctx: typer.Context) -> CliContext:
    return ctx.ensure_object(CliContext)


def settings(ctx: typer.Context) -> Settings:
    """The settings, with the root command's options applied."""
    return cli_context(ctx).settings()


def runtime(ctx: typer.Context) -> Runtime:
    """The runtime a command works with (close it: a context manager), opened the one way
    every entry point opens it (core.boot.open_runtime)."""
    from core.boot import open_runtime

    return open_runtime(settings(ctx))


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class BadValue(typer.BadParameter):
    """typer's BadParameter (a usage error, exit 2), its "Invalid value for --x: …" in the
    command line's language (typer's bundled click writes it in English)."""

    def format_message(self) -> str:
        from typer._click.exceptions import _join_param_hints

        hint = self.param_hint
        if hint is None and self.param is not None:
            hint = self.param.get_error_hint()
        if hint is None:
            return _("Invalid value: {message}").format(message=self.message)
        return _("Invalid value for {hint}: {message}").format(
            hint=_join_param_hints(hint), message=self.message
        )


def stored_int(nothing: str) -> Callable[[int | None], int | None]:
    """A typer callback for an integer option that goes to the store: one beyond SQLite's
    INTEGER is a usage error (exit 2) saying `nothing` (what such a number means and what
    to do: an `N_()` msgid, translated when said; `{max}` in it is that limit), not an
    OverflowError."""

    def check(value: int | None) -> int | None:
        if value is not None and not -SQLITE_INT_MAX - 1 <= value <= SQLITE_INT_MAX:
            raise BadValue(
                _("{value} is out of range: {nothing}").format(
                    value=value, nothing=_(nothing).format(max=SQLITE_INT_MAX)
                )
            )
        return value

    return check


def echo_data(text: str, err: bool = False) -> None:
    """A line that holds data (a name, a message, an error Visma or DUELL sent) for a terminal:
    each control character in it shown as its picture, never sent raw (core/textsafe.py)."""
    typer.echo(visible(text), err=err)


def stamp_text(value: str | None) -> str:
    """A stored ISO 8601 time (UTC in the store) as the language writes it, in local time:
    nb 02.12.2026 14:05, en 2026-12-02 14:05. As stored if it is not one; blank for None."""
    from datetime import datetime

    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return datetime_text(moment.astimezone() if moment.tzinfo else moment)


def seconds_text(seconds: float) -> str:
    """Seconds with one decimal, in the language's decimal sign: nb 12,3, en 12.3."""
    from babel.numbers import format_decimal

    return format_decimal(round(seconds, 1), format="0.0", locale=babel_locale())
