"""Sales on account booked once (issue 19 item 3; findings 2026-12-acct.md #6).

A sale on account is paid on the Z-report with the payment type "invoice", and DUELL makes an
invoice basis of it, which duvi sends to Visma as a customer invoice: the invoice books the
revenue, the output VAT and the customer's receivable (1500, through the customer). Booked by
the Z-report's journal as well, the sale would be revenue and VAT twice.

So, when the department transfers invoice bases (DepartmentSettings.invoices), the Z-report's
journal leaves the sale on account out: no debit for the "invoice" payment, and each rate's
sales less the day's invoice bases at that rate, gross as DUELL totals them
(invoice_amounts.line_gross: the figure the invoice is checked against before it is sent) and
VAT as the invoice's (vat_of on the invoice's gross at the rate, rounded once per invoice and
rate: Visma takes an invoice's VAT per VAT category on its summed amounts, inferred, see
invoice_amounts); the Z-report's stated VAT less that. Credit notes (negative bases) add back
alike.

The Z-report's "invoice" payments must equal the day's invoice bases (DUELL's totals) to the
øre. When they do not, also when the bases have not been fetched yet, the Z-report is held
(nothing sent) with both figures, and every run checks it again (ZReports.transfer): the run
after the bases arrive sends it. A Z-report without sales on account leaves the day's bases
alone: an invoice made outside the till is booked by its invoice only (inferred: DUELL makes
invoice bases from orders too). Several Z-reports of one day (registers) with sales on account
are held: the bases do not say which register sold them.

With invoice transfer off, nothing is left out: the "invoice" payment is debited to its account
(1530 by default, a clearing account the accountant clears against the invoices made by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.accounting import JournalRefused, rate_text
from core.ledger import Ledger, LedgerRow, UnreadableRow
from core.models import DepartmentSettings, InvoiceBasis, VatSale, ZReport
from core.money import vat_of
from core.transfers.invoice_amounts import line_gross

ON_ACCOUNT = "invoice"  # the payment type of a sale on account
ZERO = Decimal(0)

# The words of a held Z-report's ledger error (held_for_on_account reads them back).
MISMATCH = "sales on account {} on Z-report {} of {}, the day's invoice bases {}"
NONE_FETCHED = " (none fetched yet)"
SEVERAL = "several Z-reports of {} have sales on account"
NO_RATE = "the day's invoice bases have sales at {} %, which Z-report {} has none of"


def held_for_on_account(error: str | None) -> bool:
    """Whether a held Z-report waits for its sales on account to match the invoice bases."""
    words = (MISMATCH.split("{}")[3], SEVERAL.split("{}")[1], NO_RATE.split("{}")[0])
    return error is not None and any(w in error for w in words)


def kr(amount: Decimal) -> str:
    return f"{amount:,.2f}"


@dataclass(frozen=True)
class OnAccount:
    """What a Z-report's journal leaves to the invoices: the sales on account it was paid
    with, the invoice bases of its day, and their gross and VAT per rate."""

    paid: Decimal
    keys: tuple[str, ...]
    per_rate: dict[Decimal, tuple[Decimal, Decimal]]

    @property
    def total(self) -> Decimal:
        return sum((g for g, _ in self.per_rate.values()), ZERO)


def on_account_paid(z: ZReport) -> Decimal:
    return sum((p.amount for p in z.payments if p.type == ON_ACCOUNT), ZERO)


def _rows(ledger: Ledger, dept_id: str, kind: str, field: str, day: date) -> list[LedgerRow]:
    """The department's rows of `kind` whose payload's `field` is `day` (SQLite reads the
    payloads; a damaged row is left out: doctor names it)."""
    found = ledger.store.query(
        "SELECT * FROM ledger WHERE department_id = ? AND kind = ? AND json_valid(payload) "
        "AND json_extract(payload, ?) = ? ORDER BY key",
        [dept_id, kind, f"$.{field}", day.isoformat()],
    )
    out = []
    for r in found:
        try:
            out.append(LedgerRow.from_row(r))
        except UnreadableRow:
            continue
    return out


def day_bases(ledger: Ledger, dept_id: str, day: date) -> list[tuple[str, InvoiceBasis]]:
    """The department's invoice bases dated `day`, in whatever state (DUELL's figures)."""
    out = []
    for row in _rows(ledger, dept_id, "invoice", "date", day):
        try:
            out.append((row.key, InvoiceBasis.model_validate(row.payload)))
        except ValueError:
            continue
    return out


def per_rate(bases: list[InvoiceBasis]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Gross (DUELL's, line by line) and VAT (per invoice and rate) of the bases, per rate."""
    out: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for inv in bases:
        gross: dict[Decimal, Decimal] = {}
        for ln in inv.lines:
            gross[ln.vat_rate] = gross.get(ln.vat_rate, ZERO) + line_gross(ln)
        for rate, g in gross.items():
            old = out.get(rate, (ZERO, ZERO))
            out[rate] = (old[0] + g, old[1] + vat_of(g, rate))
    return out


class OnAccountHeld(JournalRefused):
    """The Z-report's sales on account do not match its day's invoice bases (yet)."""


def on_account(ledger: Ledger, key: str, z: ZReport) -> OnAccount | None:
    """What the Z-report leaves to the invoices (None: it has no sales on account), or
    OnAccountHeld when its sales on account and the day's invoice bases disagree."""
    paid = on_account_paid(z)
    if not paid:
        return None
    day = z.business_date
    others = [
        row.key
        for row in _rows(ledger, z.department_id, "zreport", "business_date", day)
        if row.key != key and _paid_of(row)
    ]
    if others:
        raise OnAccountHeld(
            SEVERAL.format(day.isoformat()) + f" ({key}, {', '.join(others)}): the invoice "
            "bases do not say which register sold them",
            "turn invoice transfer off for the department (sales on account then go to their "
            "clearing account) or book the day by hand",
        )
    bases = day_bases(ledger, z.department_id, day)
    found = OnAccount(paid, tuple(k for k, _ in bases), per_rate([b for _, b in bases]))
    if found.total != paid:
        said = MISMATCH.format(kr(paid), z.z_number, day.isoformat(), kr(found.total))
        raise OnAccountHeld(
            said + (NONE_FETCHED if not bases else "") + ": held until they agree",
            "the next run fetches DUELL's invoice bases and sends it once they agree; if "
            "DUELL's figures differ, correct the invoice bases or the Z-report in DUELL",
        )
    rates = {s.rate for s in z.sales if s.gross or s.vat}
    lacking = sorted(r for r, (g, _) in found.per_rate.items() if g and r not in rates)
    if lacking:
        raise OnAccountHeld(
            NO_RATE.format(", ".join(rate_text(r) for r in lacking), z.z_number),
            "check the Z-report and the invoice bases of the day in DUELL",
        )
    return found


def _paid_of(row: LedgerRow) -> Decimal:
    try:
        return on_account_paid(ZReport.model_validate(row.payload))
    except ValueError:
        return ZERO


def left_out(z: ZReport, found: OnAccount) -> ZReport:
    """The Z-report as its journal books it: without the "invoice" payment, each rate's
    sales (gross, stated VAT) less the invoice bases' at that rate."""
    rest = dict(found.per_rate)
    sales = []
    for s in z.sales:
        gross, vat = rest.pop(s.rate, (ZERO, ZERO))
        if not gross and not vat:
            sales.append(s)
            continue
        stated = s.vat if s.vat is not None else vat_of(s.gross, s.rate)
        g, v = s.gross - gross, stated - vat
        sales.append(VatSale(rate=s.rate, gross=g, net=g - v, vat=v))
    payments = [p for p in z.payments if p.type != ON_ACCOUNT]
    return z.model_copy(update={"sales": sales, "payments": payments})


def booked_zreport(
    ledger: Ledger, settings: DepartmentSettings, key: str, z: ZReport
) -> tuple[ZReport, OnAccount | None]:
    """The Z-report its journal is built from, and what it left to the invoices: with
    invoice transfer on, its sales on account left out (OnAccountHeld when they do not match
    the day's invoice bases); with it off, the Z-report as it is."""
    if not settings.invoices:
        return z, None
    found = on_account(ledger, key, z)
    return (z, None) if found is None else (left_out(z, found), found)
