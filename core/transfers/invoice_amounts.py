"""An invoice's lines priced the way its VAT category reads them, and the total Visma will
compute from them, so that a draft equals what DUELL charged the customer to the øre.

DUELL's figure: each line's VAT-inclusive unit price × quantity, less its discount, rounded
to øre; the basis total is their sum. Visma's (VatCategoryLineDto.calculateOn, the OpenAPI in
core/sandbox/specs/): "ExtractFromItemAmount" reads a line amount as VAT included, the other
methods as VAT excluded with VAT added on top. Visma's VAT per VAT category is taken on the
category's summed line amounts, rounded once (inferred: Visma computes VAT per VAT id on the
document's taxable total, as its tax details show one line per VAT id).

An inclusive category gets the inclusive unit price, so Visma's line amount is DUELL's. An
exclusive category gets each line's net as its manual amount, the category's net split so
that net + VAT rounds back to DUELL's gross (one rounding of the summed net cannot move the
sum by an øre at rates up to 25 %)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.models import InvoiceLine
from core.money import round_money

INCLUSIVE = "ExtractFromItemAmount"
EXCLUSIVE = ("ItemAmount",)


def cents(value: Decimal) -> Decimal:
    return round_money(value)  # the one rounding rule (core/money.py)


@dataclass(frozen=True)
class Category:
    """What an invoice line needs of its Visma VAT category."""

    id: str
    calculate_on: str | None
    rate: Decimal


@dataclass(frozen=True)
class Priced:
    """One line as sent: the unit price as the category reads it, and the manual amount
    when the line's amount is not quantity × price (an exclusive category)."""

    unit_price: Decimal
    discount_percent: Decimal | None
    manual_amount: Decimal | None
    category: Category


def unit_gross(ln: InvoiceLine) -> Decimal:
    """DUELL's VAT-inclusive unit price; without one, rebuilt from the net price DUELL sends
    (inferred: DUELL's net is its gross price × 100/(100+rate) rounded to øre)."""
    if ln.unit_price_inc_vat is not None:
        return ln.unit_price_inc_vat
    return cents(ln.unit_price_ex_vat * (100 + ln.vat_rate) / 100)


def line_gross(ln: InvoiceLine, sign: int = 1) -> Decimal:
    return cents(sign * ln.quantity * unit_gross(ln) * (100 - ln.discount_percent) / 100)


def duell_total(lines: list[InvoiceLine]) -> Decimal:
    return sum((line_gross(ln) for ln in lines), Decimal(0))


def price(lines: list[InvoiceLine], categories: list[Category], sign: int = 1) -> list[Priced]:
    """Each line priced for its category. `sign` -1 turns a negative basis into a credit
    note's positive lines. Raises ValueError for a calculation method duvi cannot price."""
    out: list[Priced | None] = [None] * len(lines)
    exclusive: dict[str, list[int]] = {}
    for i, (ln, cat) in enumerate(zip(lines, categories, strict=True)):
        if cat.calculate_on == INCLUSIVE:
            out[i] = Priced(unit_gross(ln), ln.discount_percent or None, None, cat)
        elif cat.calculate_on in EXCLUSIVE or cat.calculate_on is None:
            # None: a category without VAT lines (no VAT): amounts are taken as they are.
            exclusive.setdefault(cat.id, []).append(i)
        else:
            raise ValueError(
                f"VAT category {cat.id} calculates VAT on {cat.calculate_on}, which duvi "
                "cannot price"
            )
    for idxs in exclusive.values():
        rate = categories[idxs[0]].rate
        nets = [cents(line_gross(lines[i], sign) * 100 / (100 + rate)) for i in idxs]
        gross = sum((line_gross(lines[i], sign) for i in idxs), Decimal(0))
        nets[-1] += cents(gross * 100 / (100 + rate)) - sum(nets, Decimal(0))
        for i, net in zip(idxs, nets, strict=True):
            ln = lines[i]
            out[i] = Priced(ln.unit_price_ex_vat, None, net, categories[i])
    return [p for p in out if p is not None]


def visma_total(lines: list[InvoiceLine], priced: list[Priced], sign: int = 1) -> Decimal:
    """The document total Visma computes from the priced lines (see the module's note)."""
    sums: dict[str, Decimal] = {}
    cats: dict[str, Category] = {}
    for ln, p in zip(lines, priced, strict=True):
        amount = (
            p.manual_amount
            if p.manual_amount is not None
            else cents(sign * ln.quantity * p.unit_price * (100 - (p.discount_percent or 0)) / 100)
        )
        sums[p.category.id] = sums.get(p.category.id, Decimal(0)) + amount
        cats[p.category.id] = p.category
    total = Decimal(0)
    for cid, amount in sums.items():
        cat = cats[cid]
        total += amount
        if cat.calculate_on != INCLUSIVE:
            total += cents(amount * cat.rate / 100)
    return total
