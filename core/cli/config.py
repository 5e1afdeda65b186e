"""`duvi config`: the effective settings and where each value came from."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from core.cli.context import cli_context
from core.i18n import N_, _, yes_no_text


def config_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Machine-readable output."))] = False,
) -> None:
    state = cli_context(ctx)
    settings = state.settings()
    from core.config import explain

    rows = explain(settings, state.overrides)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    width = max(len(r.name) for r in rows)
    for r in rows:
        value = _value_text(r.value, getattr(settings, r.name, None))
        typer.echo(f"{r.name:<{width}}  {value}  [{source_text(r.source)}]")


def source_text(source: str) -> str:
    """Where a value came from, in the language (--json keeps core.config's English label)."""
    for prefix, said in ((".env ", _(".env {path}")), ("config file ", _("config file {path}"))):
        if source.startswith(prefix):
            return said.format(path=source.removeprefix(prefix))
    words = {
        "argument": _("argument"),
        "environment": _("environment"),
        "default": _("default"),
        "default (under home)": _("default (under home)"),
    }
    return words.get(source, source)


def _value_text(shown: str, value: object) -> str:
    """A value as `explain` shows it, in the language: "(not set)", and a yes/no setting as
    Yes/No (nb Ja/Nei) rather than Python's True/False (--json keeps the English)."""
    if shown == "(not set)":
        return _("(not set)")
    if isinstance(value, bool):
        return yes_no_text(value)
    return shown
