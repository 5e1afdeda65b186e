"""The month's settlement reconciliation as read models (frozen dataclasses, standard library
only: the console imports them through core.readmodels), and the words and marks both faces
(`duvi report settlement`, the console's reconciliation screen) print them with.

Built by core/reconcile.py: per business day, DUELL's totals from the Z-reports kept in the
ledger beside the batches Visma holds for them; per month, the VAT per code on those batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.i18n import N_, _, amount_text, ngettext
from core.reasons import rate_shown

# A Z-report's marks, in the order they are shown. "missing", "differs" and "extra" are
# differences (the books disagree with DUELL); "on hold" and "unreleased" are open work (the
# batch is right but the accountant has not released it yet).
# The keys are JSON's and the CSV's; the words are in English here (N_), in the current
# language through mark_text().
MARKS: dict[str, str] = {
    "missing": N_("no batch in Visma"),
    "differs": N_("amounts differ"),
    "extra": N_("batch in Visma that duvi has no Z-report for"),
    "on hold": N_("batch on hold"),
    "unreleased": N_("batch balanced, not released"),
}
# A mark's own short word, as a day's column shows it.
_MARK_WORDS = {
    "missing": N_("missing"),
    "differs": N_("differs"),
    "extra": N_("extra"),
    "on hold": N_("on hold"),
    "unreleased": N_("unreleased"),
}
DIFFERENCES = ("missing", "differs", "extra")
# Visma's batch statuses (JournalTransactionDto.status) as the marks read them; inferred from
# Visma's screens: "Hold" is on hold, "Balanced" is ready but not released; "Posted",
# "Released" (and "Unposted" after release, not yet posted) are in the books.
OPEN_STATUSES = {"Hold": "on hold", "Balanced": "unreleased"}


@dataclass(frozen=True)
class SaleTotal:
    rate: Decimal
    gross: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class AccountDifference:
    account: str
    duell: Decimal  # what the Z-report books on it (credit positive), as duvi builds it now
    visma: Decimal  # what the batch holds on it (credit positive)

    @property
    def difference(self) -> Decimal:
        return self.visma - self.duell


@dataclass(frozen=True)
class ZReconciliation:
    key: str
    z_number: int
    register: str
    ledger_state: str
    sales: Decimal  # sales incl. VAT, all rates (gift cards sold and tips are not sales)
    vat: Decimal
    batch: str  # Visma's batch number ("" when there is none)
    status: str  # Visma's batch status ("" when there is none)
    # What the batch credits the revenue and VAT accounts: DUELL's sales when they agree.
    # None: no batch.
    visma_sales: Decimal | None
    differences: tuple[AccountDifference, ...]  # only the accounts that differ
    marks: tuple[str, ...]
    note: str = ""  # why the expected amounts could not be built, if they could not
    # The sales on account (incl. VAT) the batch leaves to the day's invoices (invoice
    # transfer on: transfers/on_account.py); the batch is compared without them.
    on_account: Decimal = Decimal(0)


@dataclass(frozen=True)
class SettlementDay:
    day: date
    zreports: tuple[ZReconciliation, ...]
    sales: tuple[SaleTotal, ...]  # per VAT rate, highest first
    payments: Mapping[str, Decimal]  # per means of payment (DUELL's type)
    gift_cards_sold: Decimal
    tips: Decimal
    rounding: Decimal
    # The till's other elements: pant sold (also in `sales`, at its rate), pant paid back, the
    # counted cash difference, and pay-ins and pay-outs of cash.
    pant_sold: Decimal = Decimal(0)
    pant_refunded: Decimal = Decimal(0)
    cash_difference: Decimal = Decimal(0)
    pay_ins: Decimal = Decimal(0)
    pay_outs: Decimal = Decimal(0)

    @property
    def gross(self) -> Decimal:
        """Sales incl. VAT, all rates."""
        return sum((s.gross for s in self.sales), Decimal(0))

    @property
    def vat(self) -> Decimal:
        return sum((s.vat for s in self.sales), Decimal(0))

    @property
    def on_account(self) -> Decimal:
        """Sales on account (incl. VAT) booked by the day's invoices, not by its batches."""
        return sum((z.on_account for z in self.zreports), Decimal(0))

    @property
    def marks(self) -> tuple[str, ...]:
        seen = {m for z in self.zreports for m in z.marks}
        return tuple(m for m in MARKS if m in seen)

    @property
    def batches(self) -> str:
        return ", ".join(z.batch for z in self.zreports if z.batch)

    @property
    def visma_sales(self) -> Decimal | None:
        found = [z.visma_sales for z in self.zreports if z.visma_sales is not None]
        return sum(found, Decimal(0)) if found else None


@dataclass(frozen=True)
class VatCodeTotal:
    """One VAT code's month: the base and VAT on Visma's batches (lines carrying the code:
    on a VAT account they are VAT, on any other the taxable base; credit positive), beside
    what DUELL's Z-reports state for the rates mapped to it."""

    code: str
    visma_base: Decimal
    visma_vat: Decimal
    duell_base: Decimal
    duell_vat: Decimal

    @property
    def differs(self) -> bool:
        return (self.visma_base, self.visma_vat) != (self.duell_base, self.duell_vat)


@dataclass(frozen=True)
class Settlement:
    department_id: str
    department_name: str
    month: date  # its first day
    periods: tuple[str, ...]  # Visma's financial periods read (one listing each)
    days: tuple[SettlementDay, ...]
    vat: tuple[VatCodeTotal, ...]

    @property
    def differences(self) -> int:
        return sum(1 for d in self.days if set(d.marks) & set(DIFFERENCES))

    @property
    def open(self) -> int:
        return sum(1 for d in self.days if {"on hold", "unreleased"} & set(d.marks))


def on_account_text(amount: Decimal) -> str:
    """A Z-report's sales on account, said under it: why its batch holds less than its sales."""
    return _("sales on account {amount} booked by the day's invoices, not by the batch").format(
        amount=amount_text(amount, currency=True)
    )


def mark_text(mark: str) -> str:
    """What a mark means, in the current language ("no batch in Visma")."""
    return _(MARKS[mark])


def marks_text(marks: tuple[str, ...]) -> str:
    """A day's marks in the current language, short words ("missing, on hold"), or ok."""
    return ", ".join(_(_MARK_WORDS.get(m, m)) for m in marks) if marks else _("ok")


def vat_code_text(code: str) -> str:
    """A VAT per code row's code as a person reads it: a Visma VAT id as it is; the forms
    core/reconcile.py keys a rate without a VAT id ("rate 25 % (not mapped)") or a line's VAT
    category ("category 3") by, in the current language (JSON keeps the English key)."""
    if code.startswith("rate ") and code.endswith(" % (not mapped)"):
        rate = code.removeprefix("rate ").removesuffix(" % (not mapped)")
        return _("rate {rate} % (not mapped)").format(rate=rate_shown(rate))
    if code.startswith("category "):
        return _("category {id}").format(id=code.removeprefix("category "))
    return code


def summary_text(r: Settlement) -> str:
    """The month in one line: how many days differ, how many wait for a release."""
    days = len(r.days)
    if r.open:
        return ngettext(
            "{days} days with Z-reports: {n} day differs, {open} with batches not yet released",
            "{days} days with Z-reports: {n} days differ, {open} with batches not yet released",
            r.differences,
        ).format(days=days, n=r.differences, open=r.open)
    return ngettext(
        "{days} days with Z-reports: {n} day differs",
        "{days} days with Z-reports: {n} days differ",
        r.differences,
    ).format(days=days, n=r.differences)
