"""Reasons stored in English and read in the reader's language (issue 22).

A ledger row's `last_error` (why a document is held, refused or in doubt) and a Z-report's
month-boundary flag are written once, by whichever process ran, and read later by a person in
`nb` or `en`. They are stored in English, as before: the event log keeps the same words, the
held-document tests (`held_for_mapping`, `held_for_period` …) read them back, and rows written
before this module are the same text. What turns them into the reader's language is one
function, `reason_text(stored)`, at read time:

- each line of the stored text (a message, and "  → remedy") is matched against the English
  templates registered here (`TEMPLATES`: msgids with named placeholders, N_-marked, so the
  catalogue holds their translations), and said again through `_()` with the same values;
- values are data: a Visma or DUELL message quoted in a reason is put back verbatim; a day
  (placeholder `day`) or a moment (`taken_at`) is written as the language writes it; a list
  of problems (`problems`, "; "-joined) has each one said again the same way;
- a line no template matches is shown as stored (an older wording, a service's own message).

`Reason` writes a registered sentence: `english()` is what is stored, `text()` what is shown.
Positional constants elsewhere (`MAP_VAT = "map VAT rate {} % …"`) must say what their
template here says: tests/test_i18n_doctor.py compares them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any

from core.i18n import (
    N_,
    _,
    amount_text,
    current_language,
    date_text,
    datetime_text,
    number_text,
    period_text,
    span_text,
)

# The held documents' reasons (core/accounting.py, core/transfers/periods.py,
# core/transfers/on_account.py, core/transfers/foreign.py) and their remedies.
MAP_VAT = N_("map VAT rate {rate} % to a Visma VAT code")
NO_ACCOUNT = N_("no account is mapped for {name}")
PERIOD_CLOSED = N_("financial period {period} ({span}) is closed in Visma's {book}")
PERIOD_MISSING = N_("Visma has no financial period for {day}")
CANNOT_BOOK = N_("Z-report {z} of department {dept} cannot be booked: {problems}")
MONTH_BOUNDARY = N_(
    "Z-report {z} was taken {taken_at}, in the next month; it is booked on {day} (period {period})"
)
IN_DOUBT = N_("in Visma as {number}, {message}")
# core/transfers/foreign.py: another integration's batch or invoice of the day
FOREIGN_BATCH = N_(
    "Visma already holds batch {batches} of {day} for this department that duvi did not make "
    "(inferred: DUELL's own Visma module posts its Z-reports); posting {key} would book the "
    "day twice"
)
FOREIGN_INVOICE = N_(
    "Visma already holds customer invoice {numbers} of {day} to customer {customer} for "
    "{amount} that duvi did not make (inferred: DUELL's own Visma module posts its invoices); "
    "posting {key} would invoice the sale twice"
)
# core/transfers/on_account.py: sales on account that wait for the day's invoice bases
ON_ACCOUNT_MISMATCH = N_(
    "sales on account {paid} on Z-report {z} of {day}, the day's invoice bases {bases}: held "
    "until they agree"
)
ON_ACCOUNT_NONE = N_(
    "sales on account {paid} on Z-report {z} of {day}, the day's invoice bases {bases} (none "
    "fetched yet): held until they agree"
)
ON_ACCOUNT_SEVERAL = N_(
    "several Z-reports of {day} have sales on account ({keys}): the invoice bases do not say "
    "which register sold them"
)
ON_ACCOUNT_NO_RATE = N_(
    "the day's invoice bases have sales at {rate} %, which Z-report {z} has none of"
)
# core/transfers/stock.py: a stock issue's items Visma does not have yet
ITEMS_NOT_IN_VISMA = N_("item {items} not in Visma yet")
# core/vat.mismatch: a rate mapped to a VAT id of another rate
VAT_ID_MISSING = N_("VAT rate {rate} %: Visma has no VAT id {vat_id}")
VAT_ID_OTHER_RATE = N_("VAT rate {rate} % cannot map to Visma VAT id {vat_id}: its rate is {rates}")

# core/transferview.reason_of: the line above a held document's stored reason that says what
# it lacks and what happens next ("problems": "; "-joined, each one of the two below)
HELD_LACKS = N_("{problems}: fixed? the next run sends it")
LACKS_VAT_ID = N_("VAT {rate} % has no Visma VAT id")
LACKS_ACCOUNT = N_("{name} has no account")
HELD_PERIOD_CLOSED = N_("period {period} closed in Visma: opened? the next run sends it")
HELD_NO_PERIOD = N_("no financial period in Visma: opened? the next run sends it")
HELD_ON_ACCOUNT = N_(
    "sales on account and invoice bases differ: the next run sends it once they agree"
)
# A posted document's flags (core/accounting.py, core/transfers/stock.py): what the log warns
# about once it is sent, and its view lists
PAYMENT_FALLBACK = N_(
    "payment type '{type}' has no account: booked on the fallback account {account}"
)
CASH_DIFFERENCE = N_(
    "Z-report {z} states a cash difference of {amount} (counted less expected cash): booked "
    "on {account}"
)
ROUNDING_BEYOND = N_(
    "Z-report {z}: rounding {amount} is beyond the bound {bound} ({receipts} cash receipt(s) x "
    "{per}): booked as a cash difference on {account}"
)
ROUNDING_BEYOND_UNCOUNTED = N_(
    "Z-report {z}: rounding {amount} is beyond the bound {bound} (cash receipts not counted): "
    "booked as a cash difference on {account}"
)
COGS_ONCE = N_(
    "inventory change and stock issues are both on: cost of goods is booked once, by the "
    "stock issue; the journal's inventory-change lines are left out"
)
ITEMS_PARKED = N_(
    "item {items} not in Visma yet: its line waits in {key}, sent once the item exists"
)
# core/transfers/zreports.changed: a Z-report DUELL changed after duvi recorded or posted it
CHANGED_POSTED_AS = N_(
    "Z-report {z} (register {register}, {day}) changed in DUELL after it was posted to Visma "
    "as batch {batch}: total {total_was} → {total}, paid {paid_was} → {paid} ({source}); it is "
    "not posted again"
)
CHANGED_POSTED = N_(
    "Z-report {z} (register {register}, {day}) changed in DUELL after it was posted to "
    "Visma: total {total_was} → {total}, paid {paid_was} → {paid} ({source}); it is not posted "
    "again"
)
CHANGED_RECORDED = N_(
    "Z-report {z} (register {register}, {day}) changed in DUELL after duvi recorded it: total "
    "{total_was} → {total}, paid {paid_was} → {paid} ({source}); it waits for a person"
)
CHANGED_POSTED_REMEDY = N_(
    "a person books the difference in Visma (correct batch {batch} or add a correction "
    "entry); then `duvi sync --retry-failed` marks it done: Visma's batch is found by its key, "
    "nothing is sent twice"
)
CHANGED_UNNUMBERED_REMEDY = N_(
    "a person books the difference in Visma (correct batch of this key or add a correction "
    "entry); then `duvi sync --retry-failed` marks it done: Visma's batch is found by its key, "
    "nothing is sent twice"
)
CHANGED_RECORDED_REMEDY = N_(
    "check the Z-report in DUELL; `duvi sync --retry-failed` sends the new figures"
)
# core/transferview.py: a document's view that cannot be built
STOCK_UNREADABLE = N_("the stock issue cannot be read: {error}")
ZREPORT_UNREADABLE = N_("the Z-report cannot be read: {error}")
DEPARTMENT_GONE = N_("department {dept} is no longer known")

TEMPLATES: tuple[str, ...] = (
    CHANGED_POSTED_AS,
    CHANGED_POSTED,
    CHANGED_RECORDED,
    CHANGED_POSTED_REMEDY,
    CHANGED_UNNUMBERED_REMEDY,
    CHANGED_RECORDED_REMEDY,
    PAYMENT_FALLBACK,
    CASH_DIFFERENCE,
    ROUNDING_BEYOND,
    ROUNDING_BEYOND_UNCOUNTED,
    COGS_ONCE,
    ITEMS_PARKED,
    STOCK_UNREADABLE,
    ZREPORT_UNREADABLE,
    DEPARTMENT_GONE,
    HELD_LACKS,
    LACKS_VAT_ID,
    LACKS_ACCOUNT,
    HELD_PERIOD_CLOSED,
    HELD_NO_PERIOD,
    HELD_ON_ACCOUNT,
    MAP_VAT,
    NO_ACCOUNT,
    PERIOD_CLOSED,
    PERIOD_MISSING,
    CANNOT_BOOK,
    MONTH_BOUNDARY,
    IN_DOUBT,
    VAT_ID_MISSING,
    VAT_ID_OTHER_RATE,
    FOREIGN_BATCH,
    FOREIGN_INVOICE,
    ON_ACCOUNT_MISMATCH,
    ON_ACCOUNT_NONE,
    ON_ACCOUNT_SEVERAL,
    ON_ACCOUNT_NO_RATE,
    ITEMS_NOT_IN_VISMA,
    # remedies
    N_("set it in the account mapping editor"),
    N_("map the VAT rates in the VAT mapping editor"),
    N_("check the Z-report in DUELL; duvi never sends a journal that does not add up"),
    N_(
        "ask the accountant to set up that financial year in Visma (Financial periods); "
        "the next run sends it"
    ),
    N_(
        "ask the accountant to reopen period {period} in Visma, or to say where this "
        "document belongs; the next run sends it once the period is open"
    ),
    N_(
        "turn invoice transfer off for the department (sales on account then go to their "
        "clearing account) or book the day by hand"
    ),
    N_(
        "the next run fetches DUELL's invoice bases and sends it once they agree; if DUELL's "
        "figures differ, correct the invoice bases or the Z-report in DUELL"
    ),
    N_("check the Z-report and the invoice bases of the day in DUELL"),
    N_("sync the products to Visma (or create the items); it is sent once they exist"),
    # core/transfers/foreign.REMEDY, N_-marked there
    "turn off Z-rapport/Faktura in DUELL's Visma module for this department (DUELL Admin -> "
    "Regnskap -> Visma Financial); then, for a day DUELL already booked, delete that batch in "
    "Visma and resend, or leave it held; to post beside it all the same, a person confirms "
    "(`duvi transfers confirm KEY --yes`, or `s` on the transfers screen; audited)",
)
# Values that are words of duvi's own (Visma's books, in a closed period's reason)
WORDS: tuple[str, ...] = (
    N_("general ledger"),
    N_("customer ledger"),
    N_("inventory management"),
)
# placeholders that hold an amount (1,234.50 stored)
AMOUNTS = ("amount", "paid", "bases", "bound", "per", "total", "total_was", "paid_was")
REMEDY_MARK = "  → "  # DuviError's str(): the message, then the remedy on its own line


@dataclass(frozen=True)
class Reason:
    """A registered sentence and its values: stored in English, shown in the language."""

    msg: str
    args: dict[str, Any] = field(default_factory=dict)

    def english(self) -> str:
        return self.msg.format(**{k: _english_value(v) for k, v in self.args.items()})

    def text(self) -> str:
        shown = {k: _shown_value(k, v) for k, v in self.args.items()}
        if isinstance(span := self.args.get("span"), str):
            shown["span"] = _span_text(span)
        return _(self.msg).format(**shown)


def _span_text(span: str) -> str:
    """A period's span as stored ("2026-11-01 to 2026-11-30", core/transfers/periods.py): the
    calendar month where it is one whole month (nb november 2026: beside Visma's period id
    05-2027, which alone reads as May), else its first and last day; as stored if unreadable."""
    first, _to, last = span.partition(" to ")
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        return span
    return span_text(start, end)


def _english_value(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _shown_value(name: str, value: Any) -> str:
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, str):
        return _shown_string(name, value)
    return str(value)


def value_text(name: str, value: str) -> str:
    """A value read back from stored English, by its placeholder's name (below)."""
    return _shown_string(name, value)


def _shown_string(name: str, value: str) -> str:
    """A value read back from stored English: days and moments in the language's format,
    duvi's own words translated, nested problems said again; anything else verbatim."""
    try:
        if name == "day":
            return date_text(date.fromisoformat(value))
        if name.endswith("_at"):
            return datetime_text(datetime.fromisoformat(value))
    except ValueError:
        return value
    if name in AMOUNTS:
        try:
            # a sentence's amount stands alone: with its currency (nb 1 234,50 kr)
            return amount_text(Decimal(value.replace(",", "")), currency=True)
        except InvalidOperation:
            return value
    if name == "period":
        return period_text(value)
    if name == "rate":
        return ", ".join(rate_shown(r) for r in value.split(", "))
    if name == "problems":
        return "; ".join(_line(p) for p in value.split("; "))
    if value in WORDS:
        return _(value)
    return value


def rate_shown(rate: str | Decimal) -> str:
    """A VAT rate as the language writes a number: nb 12,5 and 0, en 12.5 and 0 (as stored
    when it is not a number)."""
    try:
        value = Decimal(str(rate)).normalize()
    except InvalidOperation:
        return str(rate)
    return number_text(value, decimals=2)


def rates_shown(text: str) -> str:
    """Rates as core/vat.py writes them ("25 % / 15 %", "no rate") with each number as the
    language writes it (nb 11,11 %); the text stays as it is for comparing."""
    if text == "no rate":
        return _("no rate")
    return re.sub(r"\d+(?:\.\d+)?(?= %)", lambda m: rate_shown(m[0]), text)


@cache
def _pattern(msg: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", msg)
    out = []
    for i, part in enumerate(parts):
        out.append(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)")
    return re.compile("".join(out), re.DOTALL)


def parse(line: str) -> Reason | None:
    """The registered sentence `line` is (its values as stored), or None."""
    for msg in TEMPLATES:
        if m := _pattern(msg).fullmatch(line):
            return Reason(msg, m.groupdict())
    return None


def _line(line: str) -> str:
    found = parse(line)
    return found.text() if found is not None else line


def reason_text(stored: str | None) -> str:
    """A stored reason in the current language (module docstring); "" for None. In English
    the stored text itself."""
    if not stored:
        return ""
    if current_language() == "en":
        return stored
    return _said(stored, current_language())


@lru_cache(maxsize=4096)
def _said(stored: str, language: str) -> str:
    """`reason_text` in `language` (the current one): a list of held rows repeats a few
    reasons many times, each matched once."""
    lines = []
    for line in stored.split("\n"):
        if line.startswith(REMEDY_MARK):
            lines.append(REMEDY_MARK + _line(line.removeprefix(REMEDY_MARK)))
        else:
            lines.append(_line(line))
    return "\n".join(lines)
