"""Domain models shared by the engine: what a department is and how it is set up, and the
records that move (products, customers, Z-reports, invoice bases). Money is Decimal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


def stored_total(
    sales: list[dict[str, Any]] | None, gift_cards_sold: Any, tips: Any = None
) -> Decimal:
    """`ZReport.total` read straight from a stored payload's `sales`, `gift_cards_sold` and
    `tips`, without validating the model (the calendar and the transfers list read thousands)."""

    def money(value: Any) -> Decimal:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)

    return sum((money(s.get("gross")) for s in sales or ()), money(gift_cards_sold) + money(tips))


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
    # Counted cash minus expected (kassedifferanse), as a SAF-T file states it: informative,
    # not booked yet (the journal flags it).
    cash_difference: Decimal = Decimal(0)
    cost_of_goods: Decimal = Decimal(0)
    article_groups: list[ArticleGroup] = []
    items_sold: list[ItemSold] = []  # per product, for the stock update
    company_ident: str | None = None
    company_name: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((s.gross for s in self.sales), Decimal(0)) + self.gift_cards_sold + self.tips

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    def inconsistencies(self) -> list[str]:
        """What does not add up, in words; [] for a consistent report."""
        problems = []
        for s in self.sales:
            if s.net is not None and s.vat is not None and s.net + s.vat != s.gross:
                problems.append(f"{s.rate} %: net {s.net} + VAT {s.vat} is not the gross {s.gross}")
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
