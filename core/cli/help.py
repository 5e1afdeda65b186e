"""`--help` in the command line's language.

Typer reads every help text when the module is imported, before any setting is known, so the
texts are written `help=N_("…")` (marked for the catalogue, kept in English) and translated
here, on the command tree typer builds for one run, once the language is set (`run()` sets
it from the settings first, as every command does). typer's own words are translated too:
its panel titles ("Options", "Commands", "Arguments", "Error", "[default: …]", "[required]"),
the usage line's "Usage:" and the help option's "Show this message and exit.". typer's bundled
click writes its usage errors as literals, with no catalogue to hook: the common ones (no such
option, a missing option or argument, an invalid value, extra arguments) are said again here
in the language, just before typer prints them; the rest, and the reason a value did not
convert ("Input should be a valid integer …"), stay English.
"""

from __future__ import annotations

import gettext
import re
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer
from typer._click.formatting import HelpFormatter
from typer.main import get_command

from core.i18n import N_, _, ngettext
from core.importhook import when_imported

if TYPE_CHECKING:
    from typer._click.core import Command, Context

# typer's strings (typer/rich_utils.py, read at import: set again for every run).
PANEL_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "DEFAULT_STRING": N_("[default: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
# typer/core.py looks its words up when it says them, through gettext's `gettext`: the same
# words through duvi's catalogue instead.
TYPER_WORDS = (
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("default: {default}"),
    N_("required"),
    N_("Aborted!"),
)
USAGE = N_("Usage: ")
MISSING = {
    "option": N_("Missing option {hint}."),
    "argument": N_("Missing argument {hint}."),
}
HELP_OPTION = N_("Show this message and exit.")
# The usage line's placeholders (click's defaults, which typer keeps)
OPTIONS_METAVAR = {"[OPTIONS]": N_("[OPTIONS]")}
SUBCOMMAND_METAVAR = {
    "COMMAND [ARGS]...": N_("COMMAND [ARGS]..."),
    "[COMMAND] [ARGS]...": N_("[COMMAND] [ARGS]..."),
}
# click's rarer usage errors, which its bundled copy in typer writes as literals (a pattern
# of click's English, the same words as a msgid): a missing value, a value a flag takes not.
RARER = (
    (
        re.compile(r"Option '(?P<name>.+)' requires an argument\."),
        N_("Option '{name}' requires an argument."),
    ),
    (
        re.compile(r"Option '(?P<name>.+)' requires (?P<n>\d+) arguments\."),
        N_("Option '{name}' requires {n} arguments."),
    ),
    (
        re.compile(r"Option '(?P<name>.+)' does not take a value\."),
        N_("Option '{name}' does not take a value."),
    ),
    (
        re.compile(r"Argument '(?P<name>.+)' takes (?P<n>\d+) values\."),
        N_("Argument '{name}' takes {n} values."),
    ),
)
# Why a value did not convert: pydantic's error type (its stable API; typer keeps only the
# English message, the cause holds the type), said in the language. Another type: as pydantic
# wrote it.
CONVERSION = {
    "int_parsing": N_("give a whole number"),
    "int_from_float": N_("give a whole number"),
    "float_parsing": N_("give a number"),
    "decimal_parsing": N_("give a number"),
    "bool_parsing": N_("give true or false"),
    "date_from_datetime_parsing": N_("give a date (YYYY-MM-DD)"),
    "date_parsing": N_("give a date (YYYY-MM-DD)"),
    "greater_than_equal": N_("give at least {ge}"),
    "less_than_equal": N_("give at most {le}"),
}


def localized(app: typer.Typer) -> Command:
    """The click command tree of `app`, its help texts in the current language."""
    import typer.core

    if getattr(typer.core, "_", None) is gettext.gettext:
        typer.core._ = _
    # typer imports its rich_utils (rich's markdown, syntax and tables: about a third of a
    # command's start) only to print help or an error: its words are set when it does (the
    # words of the language current then: each run sets its language before its command runs).
    when_imported("typer.rich_utils", _speak_typer_words)
    command = get_command(app)
    _translate(command)
    return command


def _speak_typer_words(rich_utils: types.ModuleType) -> None:
    for name, message in PANEL_WORDS.items():
        if hasattr(rich_utils, name):  # a typer without it: its English word stays
            setattr(rich_utils, name, _(message))
    shown = getattr(rich_utils, "rich_format_error", None)
    if shown is not None and not getattr(shown, "duvi", False):
        setattr(rich_utils, "rich_format_error", _said_in_language(shown))  # noqa: B010


def _said_in_language(show: Callable[[Any], None]) -> Callable[[Any], None]:
    def show_in_language(error: Any) -> None:
        said = _usage_error(error)
        if said is not None:
            error.format_message = lambda: said  # this one error's text, then typer's panel
        show(error)

    show_in_language.duvi = True  # type: ignore[attr-defined]
    return show_in_language


def _usage_error(error: Any) -> str | None:
    """A usage error of typer's click in the current language; None: leave it as it is."""
    from typer._click.exceptions import (
        BadParameter,
        MissingParameter,
        NoSuchOption,
        UsageError,
        _join_param_hints,
    )

    from core.cli.context import BadValue

    def hint() -> str:
        given = error.param_hint
        if given is None and error.param is not None:
            given = error.param.get_error_hint()
        return (_join_param_hints(given) or "") if given is not None else ""

    if isinstance(error, BadValue):
        return None  # ours: said in the language already
    if isinstance(error, MissingParameter):
        kind = error.param_type or (error.param.param_type_name if error.param else None)
        extra = error.param.get_missing_message(ctx=error.ctx) if error.param else None
        if error.message or extra or kind not in MISSING:
            return None
        return _(MISSING[kind]).format(hint=hint())
    if isinstance(error, BadParameter):
        message = _conversion(error) or error.message
        if error.param_hint is None and error.param is None:
            return _("Invalid value: {message}").format(message=message)
        return _("Invalid value for {hint}: {message}").format(hint=hint(), message=message)
    if isinstance(error, NoSuchOption):
        if error.message != f"No such option: {error.option_name}":
            return None
        said = _("No such option: {name}").format(name=error.option_name)
        if error.possibilities:
            said = _("{message} (Possible options: {options})").format(
                message=said, options=", ".join(sorted(error.possibilities))
            )
        return said
    for pattern, said in RARER:
        if isinstance(error, UsageError) and (m := pattern.fullmatch(error.message or "")):
            return _(said).format(**m.groupdict())
    found = re.fullmatch(r"Got unexpected extra argument\(s\) \((.*)\)", error.message or "")
    if type(error) is UsageError and found:
        n = len(found[1].split())
        return ngettext(
            "Got unexpected extra argument ({arguments})",
            "Got unexpected extra arguments ({arguments})",
            n,
        ).format(arguments=found[1])
    return None


def _conversion(error: Any) -> str | None:
    """Why a value did not convert, in nb, from the pydantic error that caused it (None: in
    English, another cause, or a type not in CONVERSION)."""
    from pydantic import ValidationError

    from core.i18n import current_language

    if current_language() == "en":
        return None  # pydantic's own English
    cause = error.__cause__
    if not isinstance(cause, ValidationError) or not cause.errors():
        return None
    first = cause.errors()[0]
    said = CONVERSION.get(first["type"])
    return _(said).format(**(first.get("ctx") or {})) if said else None


class _Formatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _(USAGE) if prefix is None else prefix)


class _Context(typer.Context):
    formatter_class = _Formatter


def _help_option(self: Command, ctx: Context) -> Any:
    option = type(self).get_help_option(self, ctx)
    if option is not None:
        option.help = _(HELP_OPTION)
    return option


def _translate(command: Command) -> None:
    if command.help:
        command.help = _(command.help)
    if command.short_help:
        command.short_help = _(command.short_help)
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            param.help = _(text)  # type: ignore[attr-defined]
    metavar = getattr(command, "options_metavar", None)
    if metavar in OPTIONS_METAVAR:
        command.options_metavar = _(OPTIONS_METAVAR[metavar])
    metavar = getattr(command, "subcommand_metavar", None)
    if metavar in SUBCOMMAND_METAVAR:
        command.subcommand_metavar = _(SUBCOMMAND_METAVAR[metavar])  # type: ignore[attr-defined]
    command.context_class = _Context
    command.get_help_option = types.MethodType(_help_option, command)  # type: ignore[method-assign]
    for sub in getattr(command, "commands", {}).values():
        _translate(sub)
