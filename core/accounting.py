"""Z-report -> journal: the daily settlement as balanced journal lines. Pure functions on
Decimal; nothing here talks to a service.

Per DUELL's guide and accounting-no.md C.4:
- sales per VAT rate, net, credited to the revenue account of the rate with the Visma VAT id;
  the output VAT per rate credited to its VAT account (the VAT the report states; computed
  as gross x r / (100 + r) only where it states none);
- payments debited per type to their accounts; a type nobody mapped goes to the fallback
  account and is flagged, but a SAF-T file's type duvi has no name for (it carries the file's
  basicDesc) waits, held, until the account map has it: a fallback booking of a type a
  person never saw is a guess;
- tips (drikkepenger) credited to the "tips" account, a liability (2930 unpaid wages: tips are
  paid through payroll); a legacy department's map has none, and holds the day until mapped;
- pant sold per rate like a sale (its own key pant:sold:<rate>, else the rate's revenue
  account, VAT at the rate); pant paid back debited to "pant:refunded" (3900) without VAT;
- the cash difference (counted - expected) between cash and "cash_difference" (1909), flagged;
- till pay-ins and pay-outs between cash and "payin:<type>" / "payout:<type>"; a type the map
  lacks holds the day until a person maps it;
- gift cards sold credited as a liability, without VAT;
- cash rounding (øreavrunding) on its account, 7798 by default; a rounding beyond 0.50 kr per
  cash receipt (ZReport.rounding_bound) is no rounding: booked as a cash difference, flagged;
- a rate's stated VAT off gross x r / (100 + r) beyond the tolerance refuses the day with
  the figures (ZReport.implausible_vat);
- with inventory change on: cost of goods debited to 4390 and credited to 1460 by default,
  unless the department also sends stock issues ("Lager"): Visma's issue moves 1460 then, and
  the journal leaves its lines out (flagged), so cost of goods is booked once (COGS_ONCE);
- 0 % sales on the revenue account of their SAF-T code (revenue:0:5 zero-rated, :6 exempt,
  :52 export), the department's VAT mapping giving the code;
- "invoice" payments (sales on account) debited to the clearing account 1530 by default, when
  invoice transfer is off; on, the transfer leaves them out first (transfers/on_account.py);
- the cost bearer as a subaccount segment on every line, when the department uses one, with
  every other SUBACCOUNT segment filled from the company's default subaccount (setup reads it).
A journal that does not balance to the øre is refused with the reason.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.errors import DataError
from core.models import ROUNDING_PER_CASH_RECEIPT, DepartmentSettings, VatSale, ZReport
from core.money import round_money, vat_of
from core.reasons import (
    CASH_DIFFERENCE,
    COGS_ONCE,
    MONTH_BOUNDARY,
    PAYMENT_FALLBACK,
    ROUNDING_BEYOND,
    ROUNDING_BEYOND_UNCOUNTED,
    Reason,
)

__all__ = ["vat_of"]  # re-exported: the journal's name for it

ZERO = Decimal(0)


class JournalRefused(DataError):
    """The settlement cannot become a journal; the message says why, the remedy what to do."""


@dataclass(frozen=True)
class JournalLine:
    account: str
    debit: Decimal
    credit: Decimal
    text: str
    # Visma's two VAT fields of a GL line (JournalTransactionLineUpdateDto, the Pionect SDK
    # src/Dto/JournalTransactionLineUpdateDto.php; core/sandbox/specs/): `vatCodeId` is the VAT
    # *category* "based on which the taxable amount is calculated" (on the taxable, revenue
    # line), `vatId` the VAT id "used to calculate the VAT amount" (on the 27xx VAT line).
    vat_id: str | None = None
    vat_code_id: str | None = None


@dataclass
class Journal:
    key: str  # DUELL-Z-<dept>-<z>: the description's first word; lines carry line_reference
    department_id: str
    business_date: date
    description: str
    lines: list[JournalLine]
    flags: list[str] = field(default_factory=list)  # things doctor should show
    subaccount: list[tuple[int, str]] = field(default_factory=list)
    branch: str | None = None
    # The header's `createVatTransaction` (JournalTransactionUpdateDto, Pionect SDK
    # src/Dto/JournalTransactionUpdateDto.php: "Create VAT transactions"): without it Visma
    # makes no VAT transaction of the lines, and the POS sales miss the mva-melding
    # (findings 2026-12-acct.md #1). `skipVatAmountValidation` (same DTO): DUELL's VAT is
    # summed per receipt and may differ by an øre from Visma's recomputation of the base.
    create_vat_transaction: bool = False
    skip_vat_amount_validation: bool = False
    # The Visma VAT ids of the day's rates, a 0 % one too (on no line: its base carries only the
    # category), for preflight to check that Visma has each.
    vat_ids: list[str] = field(default_factory=list)

    @property
    def debit_total(self) -> Decimal:
        return sum((ln.debit for ln in self.lines), ZERO)

    @property
    def credit_total(self) -> Decimal:
        return sum((ln.credit for ln in self.lines), ZERO)

    @property
    def financial_period(self) -> str:
        """The calendar month (YYYYMM): Visma's period id only in a calendar financial year.
        A journal is sent with Visma's own period for its date (transfers/periods.py)."""
        return f"{self.business_date.year:04d}{self.business_date.month:02d}"


# The words a document held for a missing mapping carries in its ledger error: a run checks
# such a document again (it is sent once the mapping is complete), and the console calls it
# "held" rather than "attention". One source for the messages and the check.
MAP_VAT = "map VAT rate {} % to a Visma VAT code"
NO_ACCOUNT = "no account is mapped for {}"


def held_for_mapping(error: str | None) -> bool:
    """Whether a held document's reason is a missing VAT or account mapping."""
    return error is not None and any(p.split("{}")[0] in error for p in (MAP_VAT, NO_ACCOUNT))


def zreport_key(department_id: str, z_number: int, register: str | None = None) -> str:
    """A Z-report's key. Z numbers run per cash register, so two registers of a department
    both have a Z 3; the register must be in the key. But every key already posted has the old
    form DUELL-Z-<dept>-<z> (no register), and a changed key is a second posting of a posted
    Z-report (the look-up in Visma searches the new key and finds nothing). So the
    department's first register (`register=None`: see zreports.first_register) keeps the old
    form, and only the others carry theirs: DUELL-Z-<dept>-<z>-K<register> ("K" for kasse, so
    no register id reads as a Z number; the key stays one word, which the exact look-up
    needs)."""
    if register is None:
        return f"DUELL-Z-{department_id}-{z_number}"
    return f"DUELL-Z-{department_id}-{z_number}-K{register}"


# Visma's GL line referenceNumber ("Ref. no.") is assumed to hold 15 characters: its length
# is not published; Visma.net descends from Acumatica, whose RefNbr is 15 (assumed until
# shown otherwise, findings/2026-12-visma.md "Field length limits"). A Z-report's full key
# can be longer (DUELL-Z-<dept>-<z>-K<register>), so the lines carry a short form of it and
# the batch description the full key.
LINE_REFERENCE_LENGTH = 15
_KEY_PREFIX = "DUELL-Z-"


def line_reference(key: str) -> str:
    """A Z-report key's short form for its journal lines, at most 15 characters: the key
    without "DUELL-" and the dash after Z ("Z1-3", "Z1-3-K102"), or, where that is still too
    long (a long register id), "Z" and 14 base32 characters of the key's SHA-256 (70 bits).
    Stripping a fixed prefix keeps keys apart, and a readable form always has a "-" that the
    hashed one never has, so two keys never share a line reference (up to a hash collision
    at 2**-70)."""
    short = "Z" + key.removeprefix(_KEY_PREFIX) if key.startswith(_KEY_PREFIX) else key
    if len(short) <= LINE_REFERENCE_LENGTH:
        return short
    digest = base64.b32encode(hashlib.sha256(key.encode()).digest()).decode()
    return "Z" + digest[: LINE_REFERENCE_LENGTH - 1]


# DUELL's payment codes (Payment.type, the account map's "payment:<type>") in the journal's
# texts, which an accountant reads in Visma: Norwegian whatever the console's language, as
# every journal text ("Dagsoppgjør", "Salg 25 % mva"); a code duvi does not know as DUELL sent
# it. A text is no part of a journal's identity (its key is in the description and the lines'
# references: posting.py), so a batch sent with the old "Betaling card" is found as before.
JOURNAL_PAYMENT_WORDS = {
    "cash": "kontant",
    "card": "kort",
    "bankaxept": "BankAxept",
    "vipps": "Vipps",
    "giftcard": "gavekort",
    "invoice": "faktura",
    "creditnote": "kreditnota",
}


def payment_journal_text(payment_type: str) -> str:
    """A payment line's text as sent: "Betaling kort"; an unknown code as it is."""
    return f"Betaling {JOURNAL_PAYMENT_WORDS.get(payment_type, payment_type)}"


def rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _line(
    account: str,
    amount: Decimal,
    text: str,
    vat_id: str | None = None,
    *,
    credit: bool,
    vat_code_id: str | None = None,
) -> JournalLine:
    """A credit (or debit) of `amount`; a negative amount flips to the other side."""
    amount = round_money(amount)
    if (amount >= 0) == credit:
        return JournalLine(account, ZERO, abs(amount), text, vat_id, vat_code_id)
    return JournalLine(account, abs(amount), ZERO, text, vat_id, vat_code_id)


def both_cost_of_goods(settings: DepartmentSettings) -> bool:
    """Whether "Beholdningsendring" and "Lager" are both on: each would move 1460."""
    return settings.inventory_change and settings.stock_update


def revenue_key(rate: Decimal, saft_code: str | None) -> str:
    """The account map's key of a rate's revenue: 0 % by its SAF-T code (5 zero-rated, 6
    exempt, 52 export), which share the rate but not the account; a 0 % rate without a
    code is zero-rated (5), as a mapping saved without one is (departments.SAFT_CODES)."""
    rt = rate_text(rate)
    return f"revenue:{rt}:{saft_code or '5'}" if rate == 0 else f"revenue:{rt}"


def revenue_account_key(accounts: dict[str, str], rate: Decimal, saft_code: str | None) -> str:
    """The account map's key a sale of `rate` is booked by (revenue_key); a map saved before
    0 % was split by code has "revenue:0" only, and it still books."""
    key = revenue_key(rate, saft_code)
    plain = f"revenue:{rate_text(rate)}"
    return plain if key not in accounts and plain in accounts else key


def build_journal(
    z: ZReport,
    accounts: dict[str, str],
    vat_ids: dict[Decimal, str],
    settings: DepartmentSettings,
    *,
    key: str | None = None,
    vat_categories: Mapping[str, str | None] | None = None,
    saft_codes: dict[Decimal, str] | None = None,
) -> Journal:
    """The journal of a Z-report, or JournalRefused with every reason at once. `key`: its
    ledger key (a second register's carries the register); by default the first register's.
    `vat_categories`: Visma's VAT category of each of its VAT ids (VatInformationDto
    .vatCategoryId; None: the id has none).
    Given, the journal asks Visma for VAT transactions (the category on each base, the VAT id
    on each VAT line); a preview, which reads nothing from Visma, passes none and shows the
    lines without categories."""
    problems = z.inconsistencies()
    taxed = [*z.sales, *z.pant_sold]
    missing = sorted({s.rate for s in taxed if s.gross and s.rate not in vat_ids})
    problems += [MAP_VAT.format(rate_text(r)) for r in missing]
    if problems:
        raise JournalRefused(
            f"Z-report {z.z_number} of department {z.department_id} cannot be booked: "
            + "; ".join(problems),
            "map the VAT rates in the VAT mapping editor"
            if missing and len(missing) == len(problems)
            else "check the Z-report in DUELL; duvi never sends a journal that does not add up",
        )
    key = key or zreport_key(z.department_id, z.z_number)
    lines: list[JournalLine] = []
    flags: list[str] = []

    def account(name: str) -> str:
        acc = accounts.get(name)
        if not acc:
            raise JournalRefused(NO_ACCOUNT.format(name), "set it in the account mapping editor")
        return acc

    categories = vat_categories or {}
    # An id Visma has without a category is refused here; one Visma lacks altogether is
    # preflight's to name (it lists every missing account and VAT id at once).
    uncategorised = sorted(
        {
            vat_ids[s.rate]
            for s in taxed
            if s.gross and vat_ids[s.rate] in categories and not categories[vat_ids[s.rate]]
        }
    )
    if uncategorised:
        raise JournalRefused(
            f"Z-report {z.z_number} of department {z.department_id} cannot be booked: Visma "
            f"VAT id {', '.join(uncategorised)} is in no VAT category, so Visma cannot make "
            "its VAT transactions",
            "give the VAT id a VAT category in Visma (or map the rate to another VAT id)",
        )
    skip_vat_check = False
    codes = saft_codes or {}
    to_book = [
        (sale, revenue_account_key(accounts, sale.rate, codes.get(sale.rate)), "Salg")
        for sale in z.sales
    ] + [
        (sale, pant_account_key(accounts, sale.rate, codes.get(sale.rate)), "Pant")
        for sale in z.pant_sold
    ]
    for sale, revenue, text in to_book:
        if not sale.gross and not sale.vat:
            continue
        booked, off = _sale_lines(
            sale, account(revenue), account, vat_ids[sale.rate], categories, text
        )
        lines += booked
        skip_vat_check |= off
    unnamed = sorted(
        {
            f'payment:{p.type} ("{p.label}")'
            for p in z.payments
            if p.amount and p.label is not None and not accounts.get(f"payment:{p.type}")
        }
    )
    if unnamed:
        raise JournalRefused(
            NO_ACCOUNT.format(", ".join(unnamed)),
            "add the payment type in the account map editor (m); the next run sends it",
        )
    for pay in z.payments:
        if not pay.amount:
            continue
        name = f"payment:{pay.type}"
        if name not in accounts:
            flags.append(
                PAYMENT_FALLBACK.format(type=pay.type, account=account("payment:fallback"))
            )
            name = "payment:fallback"
        lines.append(_line(account(name), pay.amount, payment_journal_text(pay.type), credit=False))
    if z.gift_cards_sold:
        lines.append(
            _line(account("giftcard:sold"), z.gift_cards_sold, "Gavekort solgt", credit=True)
        )
    if z.tips:
        lines.append(_line(account("tips"), z.tips, "Drikkepenger", credit=True))
    lines += _till_lines(z, accounts, account, flags)
    if both_cost_of_goods(settings) and z.cost_of_goods:
        flags.append(COGS_ONCE)
    elif settings.inventory_change and z.cost_of_goods:
        lines.append(
            _line(account("cogs:debit"), z.cost_of_goods, "Beholdningsendring", credit=False)
        )
        lines.append(_line(account("cogs:credit"), z.cost_of_goods, "Varelager", credit=True))
    journal = Journal(
        key=key,
        department_id=z.department_id,
        business_date=z.business_date,
        description=f"{key} Dagsoppgjør {z.business_date.isoformat()}",
        lines=lines,
        flags=flags,
        create_vat_transaction=vat_categories is not None,
        vat_ids=sorted(
            {vat_ids[s.rate] for s in taxed if (s.gross or s.vat) and s.rate in vat_ids}
        ),
        skip_vat_amount_validation=vat_categories is not None and skip_vat_check,
    )
    if settings.several_departments and settings.cost_bearer_segment and settings.cost_bearer_value:
        journal.subaccount = subaccount_segments(settings)
    if settings.several_clients and settings.branch_number:
        journal.branch = settings.branch_number
    if journal.debit_total != journal.credit_total:
        raise JournalRefused(
            f"the journal of Z-report {z.z_number} does not balance: debit "
            f"{journal.debit_total}, credit {journal.credit_total}",
            "check the account mapping and the Z-report; nothing was sent",
        )
    if boundary := month_boundary(z):
        journal.flags.append(boundary)
    return journal


def pant_account_key(accounts: dict[str, str], rate: Decimal, saft_code: str | None) -> str:
    """The account map's key pant sold at `rate` is booked by: its own (pant:sold:<rate>),
    else the rate's revenue account's (the pant is part of the drink's price)."""
    key = f"pant:sold:{rate_text(rate)}"
    return key if accounts.get(key) else revenue_account_key(accounts, rate, saft_code)


def _sale_lines(
    sale: VatSale,
    revenue: str,
    account: Callable[[str], str],
    vat_id: str,
    categories: Mapping[str, str | None],
    text: str,
) -> tuple[list[JournalLine], bool]:
    """The lines of the sales (or pant) at one rate: the net on `revenue` with the VAT
    category, the VAT on the rate's VAT account with the VAT id; and whether the VAT is the
    report's, off the day's recomputation (then Visma must skip its own check)."""
    vat = sale.vat if sale.vat is not None else vat_of(sale.gross, sale.rate)
    rt = rate_text(sale.rate)
    # The base carries the VAT category; a zero-rated (code 5) or exempt (6) base is recorded
    # by its category alone, with no 0.00 VAT line: Visma makes the VAT transaction of an
    # exempt VAT id with VAT 0 from the taxable line (inferred: Visma documents no journal with
    # a 0 % id; a 0.00 line is a line Visma may refuse).
    out = [
        _line(
            revenue,
            sale.gross - vat,
            f"{text} {rt} % mva",
            credit=True,
            vat_code_id=categories.get(vat_id),
        )
    ]
    if vat:
        out.append(_line(account(f"vat:{rt}"), vat, f"Utgående mva {rt} %", vat_id, credit=True))
    # DUELL's VAT is summed per receipt: off by an øre from the day's recomputation, Visma's
    # own check of the batch would refuse it (finding #1).
    return out, vat != vat_of(sale.gross, sale.rate)


def _till_lines(
    z: ZReport, accounts: dict[str, str], account: Callable[[str], str], flags: list[str]
) -> list[JournalLine]:
    """What moves the till beside the sales: rounding (beyond its bound a cash difference),
    pant paid back, the counted cash difference, pay-ins and pay-outs. A pay-in or pay-out
    type the account map lacks holds the day (every one named at once)."""
    unmapped = sorted(
        {
            f"{kind}:{m.type}" + (f' ("{m.label}")' if m.label else "")
            for kind, moves in (("payin", z.pay_ins), ("payout", z.pay_outs))
            for m in moves
            if m.amount and not accounts.get(f"{kind}:{m.type}")
        }
    )
    if unmapped:
        raise JournalRefused(
            NO_ACCOUNT.format(", ".join(unmapped)),
            "add the pay-in or pay-out type in the account map editor (m); the next run sends it",
        )
    out = []
    if z.rounding and z.rounding_beyond_bound:
        # rounding = total - payments: beyond what cash receipts can round, it is money
        # missing (or over) at the till, not a rounding.
        flags.append(
            (ROUNDING_BEYOND if z.cash_receipts is not None else ROUNDING_BEYOND_UNCOUNTED).format(
                z=z.z_number,
                amount=z.rounding,
                bound=z.rounding_bound,
                receipts=z.cash_receipts,
                per=ROUNDING_PER_CASH_RECEIPT,
                account=account("cash_difference"),
            )
        )
        out.append(_line(account("cash_difference"), z.rounding, "Kassedifferanse", credit=False))
    elif z.rounding:
        # rounding = total - payments: positive means less was paid than sold (a cost).
        out.append(_line(account("rounding"), z.rounding, "Øreavrunding", credit=False))
    if z.pant_refunded:
        out.append(_line(account("pant:refunded"), z.pant_refunded, "Pant utbetalt", credit=False))
    cash = "payment:cash"
    if z.cash_difference:
        # Counted - expected: more cash than expected is a debit to cash.
        flags.append(
            CASH_DIFFERENCE.format(
                z=z.z_number, amount=z.cash_difference, account=account("cash_difference")
            )
        )
        out.append(_line(account(cash), z.cash_difference, "Kassedifferanse", credit=False))
        out.append(
            _line(account("cash_difference"), z.cash_difference, "Kassedifferanse", credit=True)
        )
    for m in z.pay_ins:
        if m.amount:
            text = f"Innskudd {m.label or m.type}"
            out.append(_line(account(cash), m.amount, text, credit=False))
            out.append(_line(account(f"payin:{m.type}"), m.amount, text, credit=True))
    for m in z.pay_outs:
        if m.amount:
            text = f"Uttak {m.label or m.type}"
            out.append(_line(account(f"payout:{m.type}"), m.amount, text, credit=False))
            out.append(_line(account(cash), m.amount, text, credit=True))
    return out


def subaccount_segments(settings: DepartmentSettings) -> list[tuple[int, str]]:
    """Every SUBACCOUNT segment of the department's lines, in segment order: the cost bearer as
    chosen, the others as setup read them from the company's default subaccount. Visma may
    refuse a list missing a segment (findings B12); none without a cost bearer."""
    if settings.cost_bearer_segment is None or not settings.cost_bearer_value:
        return []
    chosen = {
        **settings.subaccount_defaults,
        settings.cost_bearer_segment: settings.cost_bearer_value,
    }
    return sorted(chosen.items())


def month_boundary(z: ZReport) -> str | None:
    """A Z-report taken after midnight in the next month belongs to its business date's period."""
    taken = z.closed_at.date()
    if taken > z.business_date and (taken.year, taken.month) != (
        z.business_date.year,
        z.business_date.month,
    ):
        # Stored and logged in English (core/reasons.py says it in the reader's language)
        return Reason(
            MONTH_BOUNDARY,
            {
                "z": z.z_number,
                "taken_at": z.closed_at,
                "day": z.business_date,
                "period": f"{z.business_date:%Y%m}",
            },
        ).english()
    return None
