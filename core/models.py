"""Domain models shared by the engine: what a department is and how it is set up, and the
records that move (products, customers, Z-reports, invoice bases). Money is Decimal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.money import vat_of


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Master(StrEnum):
    DUELL = "duell"
    VISMA = "visma"


class AccountDefaults(StrEnum):
    """Which default account map a department's unsaved keys fall back to (core.departments):
    the standard chart's, or the ones before it, kept for departments set up with them."""

    STANDARD = "standard"
    LEGACY = "legacy"


class DepartmentSettings(Model):
    """One department's choices, as DUELL's Visma setup page offers them."""

    invoices: bool = Field(True, description="Send invoice bases to Visma as draft invoices.")
    zreports: bool = Field(True, description="Send daily settlements (Z-reports) as open batches.")
    inventory_change: bool = Field(
        False, description="Add cost-of-goods lines (beholdningsendring) to each settlement."
    )
    zreport_source: Literal["duell", "saft-inbox"] = Field(
        "duell",
        description="Where Z-reports come from: DUELL's endpoint (assumed: DUELL publishes "
        "none) or a directory of SAF-T Cash Register files `duvi run` watches.",
    )
    inbox_dir: str | None = Field(
        None, description="The SAF-T inbox directory (zreport_source saft-inbox)."
    )
    saft_cutoff_hour: int = Field(
        5,
        ge=0,
        le=23,
        description="SAF-T: a sale or Z-report before this hour belongs to the day before "
        "(a Z-report taken after midnight closes the evening's business day).",
    )
    automatic_transfer: bool = Field(
        False, description="Transfer new Z-reports and invoice bases by themselves."
    )
    stock_update: bool = Field(False, description="Post each day's sales as an inventory issue.")
    customer_master: Master = Field(Master.DUELL, description="Which system owns customers.")
    allow_duplicate_customers: bool = Field(
        False, description="Create customers without matching (no duplicate check at all)."
    )
    product_master: Master = Field(Master.DUELL, description="Which system owns products.")
    cost_price_field: Literal["average", "last"] = Field(
        "average", description="Which Visma cost price becomes DUELL's cost price."
    )
    barcode_cross_reference: str = Field(
        "Barcode", description="The Visma cross-reference type that carries the barcode."
    )
    visma_tenant_id: str | None = Field(None, description="The Visma company (tenant) id.")
    visma_company_name: str | None = None
    customer_id: str | None = Field(
        None,
        description="The DUELL customer (client) the department belongs to, by its DUELL client "
        "number: a customer's departments share its DUELL account and Visma integration client "
        "(the secrets file's customer:<id>).",
    )
    customer_name: str | None = Field(None, description="The DUELL customer's name.")
    several_clients: bool = Field(False, description="The company has several branches.")
    branch_number: str | None = Field(None, description="The Visma branch the documents go to.")
    several_departments: bool = Field(
        False, description="Mark every line with a cost bearer (a subaccount segment value)."
    )
    cost_bearer_segment: int | None = Field(None, description="The SUBACCOUNT segment id.")
    cost_bearer_value: str | None = Field(None, description="The segment value.")
    subaccount_defaults: dict[int, str] = Field(
        default_factory=dict,
        description="The other SUBACCOUNT segments' values (segment id -> value), from the "
        "company's default subaccount: Visma may refuse a subaccount missing a segment.",
    )
    item_class: str | None = Field(
        None, description="The Visma item class of items duvi creates (Visma: mandatory)."
    )
    warehouse: str | None = Field(
        None,
        description="The Visma warehouse of stock issues; none: each item's default warehouse.",
    )
    account_defaults: AccountDefaults = Field(
        AccountDefaults.STANDARD,
        description="The default accounts of keys the account map has not saved: the "
        "standard chart's, or (a department set up before them) the legacy ones.",
    )


class Department(Model):
    id: str
    name: str
    settings: DepartmentSettings = Field(default_factory=DepartmentSettings)


class Product(Model):
    product_id: int
    product_number: str
    name: str
    barcode: str | None = None
    vat_rate: Decimal
    price_inc_vat: Decimal
    cost_price: Decimal | None = None
    category: str | None = None


class Customer(Model):
    customer_id: int
    name: str
    org_no: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    zip: str | None = None
    city: str | None = None


class VatSale(Model):
    """Sales at one VAT rate, returns netted out. `vat` is what the report states, if it does."""

    rate: Decimal
    gross: Decimal
    net: Decimal | None = None
    vat: Decimal | None = None


class Payment(Model):
    """One payment type's total. Types: cash, bankaxept, card, vipps, giftcard, invoice;
    anything else DUELL sends is kept as it came (and lands on the fallback account).
    `label`: a SAF-T file's own name (basicDesc) for a type duvi has no name for; such a type
    is never booked on the fallback account: it waits until the account map has it."""

    type: str
    amount: Decimal
    label: str | None = None


class ArticleGroup(Model):
    group_id: str
    name: str
    gross: Decimal


class ItemSold(Model):
    product_number: str
    quantity: Decimal  # net of returns


class CashMovement(Model):
    """A till pay-in (innskudd: float from the bank into the till) or pay-out (uttak: cash
    taken out for a purchase or to the bank), totalled per type. It moves cash and the
    account of its type (account map key "payin:<type>" / "payout:<type>"); a type the map
    lacks holds the day until a person maps it. `label`: the register's own name for the
    type, when it has one (a SAF-T file's basicDesc)."""

    type: str
    amount: Decimal
    label: str | None = None


# Cash is paid in whole kroner (the 50-øre coin went in 2012) and rounded half up per
# receipt, so one cash receipt rounds by at most 0.50 kr (the sandbox's Z 1326: -0.50;
# findings 2026-12-acct.md #11 suggests 0.49, which would make that honest day a cash
# difference). Rounding beyond 0.50 kr x the cash receipts is no rounding: it is booked as a
# cash difference and flagged. Where the report does not count its cash receipts, the bound is
# fixed at 5.00 kr, ten cash receipts' worth (inferred: a small shop's cash receipts of a day).
ROUNDING_PER_CASH_RECEIPT = Decimal("0.50")
ROUNDING_BOUND_UNCOUNTED = Decimal("5.00")
# The VAT a report states per rate is summed per receipt, each rounded to the øre: at most
# half an øre off per receipt, so a stated VAT within 0.01 kr x the receipts of
# gross x r / (100 + r) is plausible. Where the report does not count its receipts: 1.00 kr,
# a hundred receipts' worth (inferred). Beyond it the Z-report is refused with the figures:
# a wrong VAT rate in DUELL would otherwise be posted as it is (findings #11).
VAT_TOLERANCE_PER_RECEIPT = Decimal("0.01")
VAT_TOLERANCE_UNCOUNTED = Decimal("1.00")


def _money_of(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def stored_total(
    sales: list[dict[str, Any]] | None,
    gift_cards_sold: Any,
    tips: Any = None,
    pant_sold: list[dict[str, Any]] | None = None,
    pant_refunded: Any = None,
) -> Decimal:
    """`ZReport.total` read straight from a stored payload's `sales`, `gift_cards_sold`,
    `tips`, `pant_sold` and `pant_refunded`, without validating the model (the calendar and
    the transfers list read thousands)."""
    gross = sum(
        (_money_of(s.get("gross")) for s in [*(sales or ()), *(pant_sold or ())]), Decimal(0)
    )
    return gross + _money_of(gift_cards_sold) + _money_of(tips) - _money_of(pant_refunded)


def _vat_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


class ZReport(Model):
    department_id: str
    z_number: int
    register_id: str = "1"
    business_date: date  # "Oppgjøret gjelder"
    closed_at: datetime  # when the Z-report was taken (may be after midnight)
    sales: list[VatSale]
    returns_gross: Decimal = Decimal(0)  # informative: already netted out of `sales`
    payments: list[Payment]
    gift_cards_sold: Decimal = Decimal(0)
    rounding: Decimal = Decimal(0)  # øreavrunding: total - payments
    # Tips (drikkepenger) paid with the payments, no VAT: owed to the staff, not revenue.
    tips: Decimal = Decimal(0)
    # Counted cash minus expected (kassedifferanse): positive, more cash than expected. Booked
    # against cash on its own account, and flagged.
    cash_difference: Decimal = Decimal(0)
    # Pant (deposits on bottles and cans) charged with the drinks, per VAT rate, VAT included:
    # part of what the customer pays for the drink, so at its VAT rate (inferred, README
    # "Pant"). Not in `sales`.
    pant_sold: list[VatSale] = []
    # Pant paid back: panteautomat vouchers redeemed at the till (in cash or against a
    # purchase). No VAT: paying back pant is no turnover (kontohjelp.no, "Returemballasje/
    # panteordning ved retur av emballasje": 39xx, code 7).
    pant_refunded: Decimal = Decimal(0)
    pay_ins: list[CashMovement] = []
    pay_outs: list[CashMovement] = []
    # How many receipts the Z-report closed, and how many were paid in cash (SAF-T
    # reportReceiptNum, the cash paymentNum); None: the report does not say.
    receipts: int | None = None
    cash_receipts: int | None = None
    cost_of_goods: Decimal = Decimal(0)
    article_groups: list[ArticleGroup] = []
    items_sold: list[ItemSold] = []  # per product, for the stock update
    company_ident: str | None = None
    company_name: str | None = None

    @property
    def total(self) -> Decimal:
        """What the customers owe for the day: sales, gift cards sold, tips and pant sold,
        less the pant paid back."""
        gross = sum((s.gross for s in [*self.sales, *self.pant_sold]), Decimal(0))
        return gross + self.gift_cards_sold + self.tips - self.pant_refunded

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    @property
    def rounding_bound(self) -> Decimal:
        """The largest rounding the day's cash receipts can make (ROUNDING_PER_CASH_RECEIPT)."""
        if self.cash_receipts is None:
            return ROUNDING_BOUND_UNCOUNTED
        return ROUNDING_PER_CASH_RECEIPT * self.cash_receipts

    @property
    def rounding_beyond_bound(self) -> bool:
        return abs(self.rounding) > self.rounding_bound

    @property
    def vat_tolerance(self) -> Decimal:
        """How far a rate's stated VAT may be from gross x r / (100 + r)."""
        if self.receipts is None:
            return VAT_TOLERANCE_UNCOUNTED
        return VAT_TOLERANCE_PER_RECEIPT * self.receipts

    def implausible_vat(self) -> list[str]:
        """Each rate whose stated VAT is off gross x r / (100 + r) beyond the tolerance, with
        the figures; [] when every stated VAT is plausible."""
        counted = (
            f"{self.receipts} receipt(s)" if self.receipts is not None else "receipts not counted"
        )
        out = []
        for what, sale in [("", s) for s in self.sales] + [("pant ", s) for s in self.pant_sold]:
            if sale.vat is None:
                continue
            computed = vat_of(sale.gross, sale.rate)
            if abs(sale.vat - computed) > self.vat_tolerance:
                rt = _vat_text(sale.rate)
                out.append(
                    f"{what}{rt} %: stated VAT {sale.vat} is not {sale.gross} x {rt}/"
                    f"{_vat_text(100 + sale.rate)} = {computed} within {self.vat_tolerance} "
                    f"({counted})"
                )
        return out

    def inconsistencies(self) -> list[str]:
        """What does not add up, in words; [] for a consistent report."""
        problems = []
        for what, s in [("", s) for s in self.sales] + [("pant ", s) for s in self.pant_sold]:
            if s.net is not None and s.vat is not None and s.net + s.vat != s.gross:
                problems.append(
                    f"{what}{s.rate} %: net {s.net} + VAT {s.vat} is not the gross {s.gross}"
                )
        problems += self.implausible_vat()
        if self.paid + self.rounding != self.total:
            problems.append(
                f"payments {self.paid} + rounding {self.rounding} is not the total {self.total}"
            )
        return problems


class InvoiceLine(Model):
    product_number: str
    description: str
    quantity: Decimal
    unit_price_ex_vat: Decimal
    vat_rate: Decimal
    discount_percent: Decimal = Decimal(0)
    # The price the customer pays, VAT included, when DUELL sends it (`price_inc_vat` on the
    # line, inferred: named as on DUELL's products). DUELL's total is built from it.
    unit_price_inc_vat: Decimal | None = None


class InvoiceBasis(Model):
    department_id: str
    invoice_id: int
    date: date
    customer: Customer
    lines: list[InvoiceLine]
    reference: str | None = None
