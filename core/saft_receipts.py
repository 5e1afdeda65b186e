"""The receipts (<cashtransaction>) of one cash register between two Z-report events: what a
Z event does not say, or says only as a count (rounding per receipt, gift cards sold, tips,
credit sales, items sold, the business day), read from the receipts it closed.

A receipt belongs to the first Z event of its register taken at or after its time
(transDate/transTime), the register's receipts after the last Z to no Z yet (the day is
still open). Voided receipts (voidTransaction) and training receipts (trainingID) count for
nothing."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from lxml import etree

from core.models import ItemSold
from core.saft_codes import (
    ARTICLE_GROUP,
    CASH_AND_CREDIT_SALE,
    CASH_DIFFERENCE,
    CREDIT_SALES,
    LINE_TYPE,
    NO_SALE,
    NS,
    RAISE,
    TIP,
    TRANSACTION,
    Basics,
)

Q = f"{{{NS}}}"
ZERO = Decimal(0)
Number = Callable[[etree._Element, str], Decimal]
When = Callable[[etree._Element, str, str], datetime]


@dataclass
class Line:
    article: str | None
    quantity: Decimal
    gross: Decimal  # lineAmntIn
    rate: Decimal | None  # None: the line carries no VAT
    vat: Decimal
    tip: bool


@dataclass
class Receipt:
    at: datetime
    kind: str | None  # the predefined transaction code (PredefinedBasicID-11)
    gross: Decimal  # transAmntIn
    rounding: Decimal  # the file's sign: what was paid minus the receipt's total
    paid: Decimal
    tips: Decimal  # <raise> of the tip code, outside the lines
    lines: list[Line] = field(default_factory=list)
    line_no: object = None  # in the file, for messages

    @property
    def sale(self) -> bool:
        return self.kind not in NO_SALE


def read_receipts(
    register: etree._Element, basics: Basics, num: Number, when: When
) -> list[Receipt]:
    out = []
    for ct in register.iterfind(f"{Q}cashtransaction"):
        if _flag(ct, "voidTransaction") or _flag(ct, "trainingID"):
            continue

        def is_tip(el: etree._Element, name: str, kind: str) -> bool:
            value = el.findtext(f"{Q}{name}")
            return value is not None and basics.code(value.strip(), kind) == TIP

        raises = ct.iterfind(f"{Q}raise")
        tips = sum((num(r, "raiseAmnt") for r in raises if is_tip(r, "raiseType", RAISE)), ZERO)
        receipt = Receipt(
            at=when(ct, "transDate", "transTime"),
            kind=basics.code(_text(ct, "transType"), TRANSACTION),
            gross=num(ct, "transAmntIn"),
            rounding=sum((num(r, "roundingAmnt") for r in ct.iterfind(f"{Q}rounding")), ZERO),
            paid=sum((num(p, "paidAmnt") for p in ct.iterfind(f"{Q}payment")), ZERO),
            tips=tips,
            line_no=ct.sourceline,
        )
        for ln in ct.iterfind(f"{Q}ctLine"):
            vat = ln.find(f"{Q}vat")
            line_tips = sum(
                (
                    num(r, "raiseAmnt")
                    for r in ln.iterfind(f"{Q}raise")
                    if is_tip(r, "raiseType", RAISE)
                ),
                ZERO,
            )
            receipt.tips += line_tips
            receipt.lines.append(
                Line(
                    article=_text(ln, "artID"),
                    quantity=num(ln, "qnt") if ln.find(f"{Q}qnt") is not None else Decimal(1),
                    gross=num(ln, "lineAmntIn"),
                    rate=num(vat, "vatPerc").normalize() + 0
                    if vat is not None and vat.find(f"{Q}vatPerc") is not None
                    else (Decimal(0) if vat is not None else None),
                    vat=num(vat, "vatAmnt") if vat is not None else ZERO,
                    tip=is_tip(ln, "lineType", LINE_TYPE)
                    or is_tip(ln, "lineType", RAISE)
                    or is_tip(ln, "artGroupID", ARTICLE_GROUP)
                    or is_tip(ln, "artGroupID", RAISE),
                )
            )
        out.append(receipt)
    return out


def _text(el: etree._Element, name: str) -> str | None:
    value = el.findtext(f"{Q}{name}")
    return value.strip() if value else None


def _flag(el: etree._Element, name: str) -> bool:
    return (_text(el, name) or "").lower() in ("true", "1")


def spans(receipts: list[Receipt], z_times: list[datetime]) -> list[list[Receipt]]:
    """The receipts each Z event closed, by the events' times (sorted ascending)."""
    out: list[list[Receipt]] = [[] for _ in z_times]
    for r in receipts:
        i = bisect_left(z_times, r.at)  # the first Z taken at or after the receipt
        if i < len(z_times):
            out[i].append(r)
    return out


def business_day(at: datetime, cutoff_hour: int) -> date:
    """The day a moment belongs to: before the cut-off hour, the day before (a bar open past
    midnight, a Z-report taken at 00:30 still closes the evening's day)."""
    return (at - timedelta(hours=cutoff_hour)).date()


@dataclass(frozen=True)
class Figures:
    """What the receipts of one Z say, in duvi's terms."""

    receipts: int
    rounding: Decimal  # duvi's sign: total minus paid
    gift_cards_sold: Decimal
    tips: Decimal
    credit_sales: Decimal
    credit_by_rate: dict[Decimal, tuple[Decimal, Decimal]]  # rate -> (gross, VAT)
    cash_difference: Decimal
    items: list[ItemSold]
    last_sale: datetime | None


class MixedCredit(ValueError):
    def __init__(self, receipt: Receipt) -> None:
        self.receipt = receipt


def figures(receipts: list[Receipt]) -> Figures:
    """Gift cards sold are the lines of a sale without VAT (a sale line always states its
    VAT, 0 % too; a gift card is no sale: inferred, the code lists have no gift card code);
    tips are lines or <raise>s of the tip code (10001); a credit sale is a receipt of a credit
    sale type, its lines the sales it adds per rate and its total the customer's debt."""
    rounding = gift = tips = credit = difference = ZERO
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    items: dict[str, Decimal] = {}
    last: datetime | None = None
    for r in receipts:
        rounding -= r.rounding
        if r.kind == CASH_DIFFERENCE:
            difference += r.gross
        if not r.sale:
            continue
        if r.kind == CASH_AND_CREDIT_SALE and r.gross + r.rounding != r.paid:
            raise MixedCredit(r)
        last = r.at if last is None or r.at > last else last
        tips += r.tips
        for ln in r.lines:
            if ln.tip:
                tips += ln.gross
                continue
            if ln.rate is None:
                gift += ln.gross
                continue
            if r.kind in CREDIT_SALES:
                gross, vat = by_rate.get(ln.rate, (ZERO, ZERO))
                by_rate[ln.rate] = (gross + ln.gross, vat + ln.vat)
            if ln.article:
                items[ln.article] = items.get(ln.article, ZERO) + ln.quantity
        if r.kind in CREDIT_SALES:
            credit += r.gross + r.rounding - r.paid
    return Figures(
        receipts=len(receipts),
        rounding=rounding,
        gift_cards_sold=gift,
        tips=tips,
        credit_sales=credit,
        credit_by_rate=by_rate,
        cash_difference=difference,
        items=[
            ItemSold(product_number=a, quantity=q.normalize() + 0) for a, q in items.items() if q
        ],
        last_sale=last,
    )
