"""The console's words: its own gettext catalogue (`tui/locale/<lang>/LC_MESSAGES/duvi_tui.po`)
in the language core.i18n holds. Numbers and dates: core.i18n's amount_text, date_text …"""

from __future__ import annotations

from pathlib import Path

from core.i18n import N_, Translator

__all__ = ["N_", "TUI", "_", "ngettext"]

TUI = Translator("duvi_tui", Path(__file__).parent / "locale")


def _(message: str) -> str:
    return TUI.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return TUI.ngettext(singular, plural, n)
