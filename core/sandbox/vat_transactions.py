"""The VAT transactions Visma makes of a GL batch that asks for them (`createVatTransaction`),
and the batches it refuses. What Visma documents (help "About VAT entries from the general
ledger", as quoted in findings/2026-12-acct.md #1, and the spec's line DTO texts): the VAT
*category* (`vatCodeId`) goes on the taxable line, the VAT *id* (`vatId`) on the VAT line, and
a VAT transaction is made per VAT id, its taxable amount the lines whose category holds that
id. The rest is inferred, each rule says so. A batch without `createVatTransaction` makes
none, whatever its lines carry (Visma's default: the box is unticked)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.money import CENT, round_money
from core.sandbox.visma_state import Refused

if TYPE_CHECKING:
    from core.sandbox.visma_state import Company

# How far the VAT of a VAT id may be from rate x taxable amount before Visma refuses it (unless
# the batch says skipVatAmountValidation): one øre (inferred). A VAT rounded half up from the
# gross, and the base gross - VAT, recompute within 0.01 at any Norwegian rate, so a day's
# correctly rounded VAT passes; a per-receipt sum off by more does not.
VAT_TOLERANCE = CENT


def vat_account_owners(company: Company) -> dict[str, str]:
    """Each VAT payable account and the VAT id posting to it (VatInformationDto.glAccounts)."""
    out = {}
    for vat_id, vat in company.vat.items():
        acc = ((vat.get("glAccounts") or {}).get("vatPayableAccount") or {}).get("number")
        if acc:
            out[str(acc)] = vat_id
    return out


def category_vat_ids(company: Company, category: str) -> list[str]:
    cat = company.require_vat_category(category)
    return [str(ln["vatId"]) for ln in cat.get("vatCategoryLines", []) if ln.get("vatId")]


def vat_rate(company: Company, vat_id: str) -> Decimal:
    """A VAT id's rate today: the last rate of its category line (the seed keeps one)."""
    for cat in company.vat_categories.values():
        for ln in cat.get("vatCategoryLines", []):
            if str(ln.get("vatId")) == vat_id and ln.get("vatRates"):
                return Decimal(str(ln["vatRates"][-1]["vatRate"]))
    return Decimal(0)


def _signed(line: dict[str, Any]) -> Decimal:
    """A line's amount, credits positive: output VAT and its base are credits (inferred sign)."""
    return Decimal(str(line["creditAmount"])) - Decimal(str(line["debitAmount"]))


def vat_transactions(
    company: Company, lines_in: list[dict[str, Any]], lines: list[dict[str, Any]], skip: bool
) -> list[dict[str, Any]]:
    """The batch's VAT transactions in TaxDetailDto's shape, or Refused naming the first line or
    VAT id that does not add up. `lines_in`: as sent; `lines`: as recorded (amounts parsed)."""
    owners = vat_account_owners(company)
    vat_amount: dict[str, Decimal] = {}
    for i, (sent, line) in enumerate(zip(lines_in, lines, strict=True), start=1):
        vat_id = sent.get("vatId")
        if vat_id is None:
            # Visma help: the VAT id goes on the VAT line; a VAT account's line without one
            # would leave its VAT out of the VAT report (refusing it: inferred).
            if line["accountNumber"] in owners:
                raise Refused(
                    f"Line {i}: account {line['accountNumber']} is the VAT account of VAT ID "
                    f"'{owners[line['accountNumber']]}'; a VAT line needs its VAT ID."
                )
            continue
        vat_amount[str(vat_id)] = vat_amount.get(str(vat_id), Decimal(0)) + _signed(line)
    taxable: dict[str, Decimal] = {}
    for i, (sent, line) in enumerate(zip(lines_in, lines, strict=True), start=1):
        category = sent.get("vatCodeId")
        if category is None:
            continue
        ids = category_vat_ids(company, str(category))
        if not ids:
            raise Refused(f"Line {i}: VAT category '{category}' has no VAT ID.")
        # The category's VAT id the batch books VAT on; else its first, whose VAT is then 0:
        # right for a zero-rated or exempt base (code 5, 6: no VAT line needed), and for a
        # taxable base the amount check below decides (inferred).
        vat_id = next((v for v in ids if v in vat_amount), ids[0])
        taxable[vat_id] = taxable.get(vat_id, Decimal(0)) + _signed(line)
    for vat_id in vat_amount:
        if vat_id not in taxable:
            # A VAT line whose id no taxable line's category holds: the base was booked at
            # another rate (refused: inferred; Visma could not compute the VAT's base).
            raise Refused(
                f"VAT ID '{vat_id}' ({vat_rate(company, vat_id).normalize():f} %) has a VAT line "
                "but no taxable line whose VAT category holds it."
            )
    out = []
    for vat_id, base in taxable.items():
        rate = vat_rate(company, vat_id)
        vat = vat_amount.get(vat_id, Decimal(0))
        expected = round_money(base * rate / 100)
        if not skip and abs(vat - expected) > VAT_TOLERANCE:
            raise Refused(
                f"The VAT amount {vat:.2f} of VAT ID '{vat_id}' is not {rate.normalize():f} % of "
                f"the taxable amount {base:.2f} ({expected:.2f})."
            )
        out.append(
            {
                "taxId": vat_id,
                "vatId": {
                    "number": vat_id,
                    "description": company.require_vat(vat_id).get("description"),
                },
                "vatRate": rate,
                "taxableAmount": base,
                "vatAmount": vat,
            }
        )
    return out
