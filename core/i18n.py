"""The console's and the command line's language: words through gettext, numbers and dates
through Babel.

Source strings are English; `core/locale/nb/LC_MESSAGES/duvi.po` holds the Norwegian (bokmål)
words, DUELL's own where DUELL has one (README, Glossary). The compiled `.mo` sits beside it in
the package (`python -m core.i18n compile` writes it; a test fails when it is older than the
`.po`), so a fresh checkout needs no build step.

Mark a string with `_()` where it is shown, never where it is only stored or logged: the event
log, the ledger and JSON keep one language. A logged sentence is `core.eventtext.msg(N_(…),
…)`: stored in English with its template, said in the reader's language when read. A
sentence with figures is one msgid with named
placeholders (`_("{n} documents held").format(n=…)`), never pieced from fragments, and plurals
go through `ngettext`. `N_()` marks a string for extraction that is translated later (a table's
column titles defined at import time).

The language is `nb` or `en`: the `language` setting, else the environment's locale
(`LC_ALL`, `LC_MESSAGES`, `LANG`: nb, nn or no → nb), else English. JSON output keeps ISO
dates and decimal strings whatever the language.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from core.money import round_money

Language = Literal["nb", "en"]
LANGUAGES: tuple[Language, ...] = ("nb", "en")
DOMAIN = "duvi"
LOCALE_DIR = Path(__file__).parent / "locale"
# Babel's locale per language: English keeps ISO dates (2026-12-02), which no reader of
# English misreads; Norwegian writes 02.12.2026 as DUELL and Visma's Norwegian screens do.
_BABEL_LOCALE = {"nb": "nb_NO", "en": "en_GB"}
_NORWEGIAN = ("nb", "nn", "no")

_current: Language = "en"


def language_from_env(environ: Mapping[str, str] | None = None) -> Language:
    """The language the environment's locale asks for: the first of LC_ALL, LC_MESSAGES and
    LANG that is set (POSIX order); nb, nn and no (any territory or encoding) are Norwegian."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return "nb" if code in _NORWEGIAN else "en"
    return "en"


@cache
def _translations(lang: Language, domain: str, localedir: Path) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(domain, localedir, languages=[lang], fallback=True)


class Translator:
    """One package's catalogue (core's `duvi`, the console's `duvi_tui`), in whichever language
    is current when a string is looked up. Two catalogues, so that core never holds the
    console's words and two people can add strings to each without touching the other's."""

    def __init__(self, domain: str, localedir: Path) -> None:
        self.domain = domain
        self.localedir = localedir

    def gettext(self, message: str) -> str:
        return _translations(_current, self.domain, self.localedir).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _translations(_current, self.domain, self.localedir).ngettext(singular, plural, n)


CORE = Translator(DOMAIN, LOCALE_DIR)
# Packages whose catalogues `python -m core.i18n` extracts and compiles: (source, domain, dir).
PACKAGES = (("core", DOMAIN, LOCALE_DIR),)


def set_language(lang: str | None) -> Language:
    """Switch every later `_()` to `lang` (None: the environment's); returns the one chosen."""
    global _current
    chosen: Language = language_from_env() if lang is None else _checked(lang)
    _current = chosen
    return chosen


def current_language() -> Language:
    return _current


def _checked(lang: str) -> Language:
    code = lang.strip().lower()
    if code in _NORWEGIAN:
        return "nb"
    if code == "en":
        return "en"
    raise ValueError(f"unknown language {lang!r}: use nb or en")


def _(message: str) -> str:
    """`message` in the current language (itself when no translation exists)."""
    return CORE.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return CORE.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for extraction only; translate it with `_()` where it is shown."""
    return message


class Said(str):
    """A sentence in the current language that keeps its English: an error a person reads in
    their language whose message the event log (one language: English) keeps too."""

    english: str
    msgid: str  # the template and its values: an event that logs it says it again (eventtext)
    params: dict[str, object]


def said(msgid: str, **params: object) -> str:
    """`msgid` (marked with `N_()`) translated and filled in; `english()` gives it back in
    English. For errors both shown and logged: `said(N_("{path} is not XML"), path=p)`."""
    text = Said(_(msgid).format(**params))
    text.english = msgid.format(**params)
    text.msgid, text.params = msgid, params
    return text


def english(text: str) -> str:
    """The English of a `said()` sentence; any other text as it is."""
    return getattr(text, "english", text)


# Numbers, dates and times: Babel's data, the current language's conventions.


def babel_locale() -> str:
    """Babel's locale of the current language (numbers, dates, month names)."""
    return _BABEL_LOCALE[_current]


def amount_text(value: Decimal | None, *, currency: bool = False) -> str:
    """An amount as a reader of the language writes it: nb 17 572,25, en 17,572.25; with
    `currency` (an amount that stands alone: README, Language) nb 17 572,25 kr, en NOK
    17,572.25. Always two decimals; blank for None. The grouping and the space before or after
    the currency are no-break spaces: the console wraps its panes at ordinary spaces only
    (tui/widgets/cells.py), so an amount is never split over two lines."""
    if value is None:
        return ""
    from babel.numbers import format_decimal

    # Rounded by duvi's one rule first (half up): Babel's own rounding is half even.
    text = format_decimal(round_money(value), format="#,##0.00", locale=babel_locale())
    if not currency:
        return text
    return f"{text}\xa0kr" if _current == "nb" else f"NOK\xa0{text}"


def number_text(value: Decimal | None, *, decimals: int = 3) -> str:
    """A quantity, a percentage or a rate as the language writes a number, its decimals only
    as many as it has (up to `decimals`): nb 1 234,5 and 12,5, en 1,234.5 and 12.5; blank for
    None."""
    if value is None:
        return ""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0." + "#" * decimals, locale=babel_locale())


def count_text(n: int) -> str:
    """A whole number grouped as the language writes it: nb 5 000, en 5,000."""
    from babel.numbers import format_decimal

    return format_decimal(n, format="#,##0", locale=babel_locale())


def date_text(value: date | None) -> str:
    """nb 02.12.2026; en 2026-12-02. Blank for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%d.%m.%Y") if _current == "nb" else value.isoformat()


def time_text(value: time | datetime | None, *, seconds: bool = False) -> str:
    """14:05 (24-hour clock in both languages); blank for None."""
    if value is None:
        return ""
    return value.strftime("%H:%M:%S" if seconds else "%H:%M")


def datetime_text(value: datetime | None, *, seconds: bool = False) -> str:
    """nb 02.12.2026 14:05; en 2026-12-02 14:05 (with `seconds`, 14:05:09)."""
    if value is None:
        return ""
    return f"{date_text(value)} {time_text(value, seconds=seconds)}"


def iso_text(value: str, *, seconds: bool = False) -> str:
    """An ISO date or timestamp as stored or sent (2026-11-27, 2026-11-27T00:00:00,
    2026-12-03T01:50:43.088Z) as the language writes it: a date alone (or at midnight, no
    zone) with date_text, a time with datetime_text (`seconds`: to the second), local time
    when it has a zone. Any other text as it is."""
    if not _ISO.fullmatch(value):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) == 10 or (parsed.tzinfo is None and parsed.time() == time()):
        return date_text(parsed)
    return datetime_text(parsed.astimezone() if parsed.tzinfo else parsed, seconds=seconds)


def value_text(value: str) -> str:
    """A record's field value as stored (a conflict's 25.00, 12.21) as the language writes it:
    a decimal number with the language's decimal sign and grouping, as many decimals as it
    has (nb 1 234,50, en 1,234.50). Whole numbers (ids, barcodes, article numbers) and any
    other text as they are."""
    if not _DECIMAL.fullmatch(value):
        return value
    from babel.numbers import format_decimal

    decimals = len(value.partition(".")[2])
    return format_decimal(Decimal(value), format="#,##0." + "0" * decimals, locale=babel_locale())


_DECIMAL = re.compile(r"-?\d+\.\d+")


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")


def period_text(period: str, month: date | None = None) -> str:
    """Visma's financial period id (YYYYPP: the financial year and the period's number) as
    Visma's screens name it, the number first: 202705 is 05-2027, in both languages. With
    `month`, the calendar month the period covers beside it, in the language: nb 05-2027
    (november 2026), en 05-2027 (November 2026), since a year from July numbers November
    2026 period 05 of 2027, which alone reads as May 2027. Other text as it is."""
    if not re.fullmatch(r"\d{6}", period) or not 1 <= int(period[4:]) <= 13:
        return period
    name = f"{period[4:]}-{period[:4]}"
    return f"{name} ({month_text(month)})" if month is not None else name


def period_span_text(period: str, start: date, end: date) -> str:
    """A period whose dates are known, as Visma names it with what it covers beside it
    (span_text): nb 05-2027 (november 2026), or 05-2027 (01.11.2026 to 15.11.2026)."""
    return f"{period_text(period)} ({span_text(start, end)})"


def span_text(start: date, end: date) -> str:
    """What a financial period covers: its calendar month where it is one whole month (nb
    november 2026), else its first and last day (nb 01.11.2026 til 15.11.2026)."""
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if start.day == 1 and end == next_month - timedelta(days=1):
        return month_text(start)
    return _("{start} to {end}").format(start=date_text(start), end=date_text(end))


def yes_no_text(value: bool) -> str:
    """nb Ja / Nei, en Yes / No."""
    return _("Yes") if value else _("No")


def month_text(value: date) -> str:
    """A month and its year: nb desember 2026, en December 2026."""
    from babel.dates import format_date

    return format_date(value, "LLLL y", locale=babel_locale())


def day_month_text(value: date) -> str:
    """A day and its month, short: nb 2. des., en 2 Dec."""
    from babel.dates import format_date

    return format_date(value, "d. MMM" if _current == "nb" else "d MMM", locale=babel_locale())


# Dates and months as a person types them, one reading for every input (the transfers'
# date filter, `duvi transfers --since/--to`, `--month`): ISO in both languages, and the
# Norwegian way in both too (27.11.2026 is never anything but a date, whatever the language).
# A two-digit year is this century's (27.11.26 is 2026-11-27), as DUELL's receipts write it;
# a month takes its year whole (11.2026), since 11.26 reads as a day and a month.
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_NB_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})", re.ASCII)
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_NB_MONTH = re.compile(r"(\d{1,2})\.(\d{4})", re.ASCII)


def parse_date(text: str) -> date:
    """2026-11-27, 27.11.2026 or 27.11.26 (also 7.1.2026) as a date; ValueError, saying the
    forms it takes in the current language, for anything else (31.02.2026 too)."""
    value = text.strip()
    iso, nb = _ISO_DAY.fullmatch(value), _NB_DAY.fullmatch(value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if nb:
            year = int(nb[3]) + (2000 if len(nb[3]) == 2 else 0)
            return date(year, int(nb[2]), int(nb[1]))
    except ValueError:
        pass
    raise ValueError(
        _("{text} is not a date: write 2026-11-27, 27.11.2026 or 27.11.26").format(text=repr(text))
    )


def parse_month(text: str) -> date:
    """2026-11 or 11.2026 as the month's first day; ValueError, saying the forms it takes in
    the current language, for anything else."""
    value = text.strip()
    iso, nb = _ISO_MONTH.fullmatch(value), _NB_MONTH.fullmatch(value)
    year, month = (int(iso[1]), int(iso[2])) if iso else (int(nb[2]), int(nb[1])) if nb else (0, 0)
    if not (iso or nb) or year < 1:
        raise ValueError(
            _("{text} is not a month: write 2026-11 or 11.2026").format(text=repr(text))
        )
    if not 1 <= month <= 12:
        raise ValueError(_("{text} is not a month: the month is 01 to 12").format(text=repr(text)))
    return date(year, month, 1)


def compile_catalogues(locale_dirs: list[Path] | None = None) -> list[Path]:
    """Write each language's `.mo` from its `.po` (Babel); returns the files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for localedir in locale_dirs or [LOCALE_DIR]:
        for po in sorted(localedir.glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as f:
                catalog = read_po(f)
            mo = po.with_suffix(".mo")
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            written.append(mo)
    _translations.cache_clear()
    return written
