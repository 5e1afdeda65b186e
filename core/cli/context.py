"""What every command gets through typer's context object (`ctx.obj`): the options given before
the subcommand, as init overrides of Settings, and how to open the console."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import typer

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


def stored_int(nothing: str) -> Callable[[int | None], int | None]:
    """A typer callback for an integer option that goes to the store: one beyond SQLite's
    INTEGER is a usage error (exit 2) saying `nothing` (what such a number means and what
    to do), not an OverflowError."""

    def check(value: int | None) -> int | None:
        if value is not None and not -SQLITE_INT_MAX - 1 <= value <= SQLITE_INT_MAX:
            raise typer.BadParameter(f"{value} is out of range: {nothing}")
        return value

    return check
