"""The console's words: its own gettext catalogue (`tui/locale/<lang>/LC_MESSAGES/duvi_tui.po`)
in the language core.i18n holds. Numbers and dates: core.i18n's amount_text, date_text …

A binding's description is class-level (it is read when the class is made), so it is marked
with `N_()` there and translated where it is shown: the footer and help call
`binding_text()`.

A document's state and kind are core's words (core.readmodels.state_text, kind_text): one map,
so the console and the command line say the same (README, Glossary)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from core.i18n import N_, Translator, babel_locale, date_text, month_text, period_text

if TYPE_CHECKING:
    from textual.binding import Binding

__all__ = [
    "N_",
    "TUI",
    "_",
    "binding_text",
    "month_text",
    "ngettext",
    "period_text",
    "word_of",
]

TUI = Translator("duvi_tui", Path(__file__).parent / "locale")


def _(message: str) -> str:
    return TUI.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return TUI.ngettext(singular, plural, n)


def word_of(words: Mapping[str, str], key: str) -> str:
    """`key`'s word from a map of N_() msgids, in the current language; a key the map does
    not name is shown as it is (a value a newer engine writes)."""
    return _(words[key]) if key in words else key


def binding_text(binding: Binding) -> str:
    """A binding's description in the current language (the department keys 1-9 share one
    msgid with the number as a placeholder)."""
    if binding.id and binding.id.startswith("dept-") and binding.id[5:].isdigit():
        return _("Dept {n}").format(n=binding.id[5:])
    return _(binding.description) if binding.description else ""


# Names of months and weekdays: Babel's (CLDR), in the current language.


def _babel_date(value: date, pattern: str) -> str:
    from babel.dates import format_date

    return format_date(value, pattern, locale=babel_locale())


def month_short(value: date) -> str:
    """A month's short name: nb "nov.", en "Nov"."""
    return _babel_date(value, "LLL")


def weekday_text(value: date) -> str:
    """nb "onsdag", en "Wednesday"."""
    return _babel_date(value, "EEEE")


def weekday_short(value: date) -> str:
    """nb "ons.", en "Wed"."""
    return _babel_date(value, "EEE")


def day_text(value: date) -> str:
    """A day with its weekday: nb "onsdag 02.12.2026", en "Wednesday 2026-12-02"."""
    return f"{weekday_text(value)} {date_text(value)}"
