"""Visma.net models. Read models are tolerant (unknown fields ignored, everything optional);
write models carry only what duvi sends and become bodies through wire.body()."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _null_lists(cls, data: Any) -> Any:
        """A list sent as null reads as empty: every property of the spec is nullable
        (specs/README.md), and whether Visma sends null or leaves the list out is not known
        (findings/2026-12-visma.md T12), so one null list must not fail a whole page."""
        if not isinstance(data, dict):
            return data
        lists = _list_keys(cls)  # few: look them up, not every key of every row read
        for key in lists:  # a loop, not any() over a generator: this runs for every object
            if data.get(key, ()) is None:
                return {k: [] if v is None and k in lists else v for k, v in data.items()}
        return data


@cache
def _list_keys(model: type[BaseModel]) -> frozenset[str]:
    """The names and wire names of a read model's list fields."""
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        if get_origin(info.annotation) is list:
            keys |= {name, info.alias or name}
    return frozenset(keys)


class _Write(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


# -- shared read pieces -------------------------------------------------------------------


class Metadata(_Read):
    total_count: int | None = None
    max_page_size: int | None = None


class IdDescription(_Read):
    id: str | None = None
    description: str | None = None


class NumberName(_Read):
    number: str | None = None
    name: str | None = None


class Country(_Read):
    id: str | None = None
    name: str | None = None


class Address(_Read):
    address_id: int | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: Country | None = None


class Contact(_Read):
    contact_id: int | None = None
    name: str | None = None
    attention: str | None = None
    email: str | None = None
    web: str | None = None
    phone1: str | None = None
    phone2: str | None = None


class Segment(_Read):
    segment_id: int | None = None
    segment_description: str | None = None
    segment_value: str | None = None
    segment_value_description: str | None = None


class SubaccountRef(_Read):
    subaccount_number: str | None = None
    subaccount_id: int | None = None
    description: str | None = None
    active: bool | None = None
    segments: list[Segment] = []


# -- customers ----------------------------------------------------------------------------


class Customer(_Read):
    internal_id: int | None = None
    number: str | None = None
    name: str | None = None
    status: str | None = None
    corporate_id: str | None = None
    vat_registration_id: str | None = None
    main_address: Address | None = None
    main_contact: Contact | None = None
    invoice_contact: Contact | None = None
    vat_zone: IdDescription | None = None
    currency_id: str | None = None
    last_modified_date_time: str | None = None
    created_date_time: str | None = None
    time_stamp: str | None = None
    metadata: Metadata | None = None


class AddressWrite(_Write):
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_id: str | None = None


class ContactWrite(_Write):
    name: str | None = None
    attention: str | None = None
    email: str | None = None
    web: str | None = None
    phone1: str | None = None
    phone2: str | None = None


class CustomerWrite(_Write):
    number: str | None = None
    name: str | None = None
    status: Literal["Active", "OnHold", "CreditHold", "Inactive", "OneTime"] | None = None
    corporate_id: str | None = None
    vat_registration_id: str | None = None
    customer_class_id: str | None = None
    credit_terms_id: str | None = None
    currency_id: str | None = None
    vat_zone_id: str | None = None
    override_with_class_values: bool | None = None
    main_address: AddressWrite | None = None
    main_contact: ContactWrite | None = None
    invoice_contact: ContactWrite | None = None
    note: str | None = None


# -- inventory ----------------------------------------------------------------------------


class CostPriceStatistics(_Read):
    last_cost: Decimal | None = None
    average_cost: Decimal | None = None
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None


class CrossReference(_Read):
    alternate_type: str | None = None
    alternate_id: str | None = Field(default=None, alias="alternateID")
    description: str | None = None
    uom: str | None = None
    b_account: NumberName | None = None


class InventoryItem(_Read):
    inventory_id: int | None = None
    inventory_number: str | None = None
    status: str | None = None
    type: str | None = None
    description: str | None = None
    vat_code: IdDescription | None = None
    default_price: Decimal | None = None
    current_cost: Decimal | None = None
    last_cost: Decimal | None = None
    base_unit: str | None = None
    sales_unit: str | None = None
    stock_item: bool | None = None
    cost_price_statistics: CostPriceStatistics | None = None
    cross_references: list[CrossReference] = []
    last_modified_date_time: str | None = None
    timestamp: str | None = None
    metadata: Metadata | None = None

    def barcode(self, alternate_type: str = "Barcode") -> str | None:
        return next(
            (x.alternate_id for x in self.cross_references if x.alternate_type == alternate_type),
            None,
        )


class CrossReferenceLine(_Write):
    operation: Literal["Insert", "Update", "Delete"] = "Insert"
    alternate_type: Literal["CPN", "VPN", "Global", "Barcode"]
    alternate_id: str = Field(alias="alternateID")
    description: str | None = None
    uom: str | None = None


class CrossReferenceWrite(_Write):
    alternate_type: Literal["CPN", "VPN", "Global", "Barcode"]
    alternate_id: str = Field(alias="alternateID")
    description: str | None = None
    uom: str | None = None


class InventoryWrite(_Write):
    inventory_number: str | None = None
    status: str | None = None
    type: str | None = None
    description: str | None = None
    item_class: str | None = None
    posting_class: str | None = None
    vat_code: str | None = None  # a VAT *category* id
    default_price: Decimal | None = None
    base_unit: str | None = None
    sales_unit: str | None = None
    cross_references: list[CrossReferenceLine] | None = None
    note: str | None = None


class InventorySummary(_Read):
    inventory: NumberName | None = None
    warehouse: IdDescription | None = None
    available: Decimal | None = None
    on_hand: Decimal | None = None
    base_unit: str | None = None


# -- segments (subaccount) on write lines --------------------------------------------------


class SegmentWrite(_Write):
    segment_id: int
    segment_value: str


# -- customer invoices --------------------------------------------------------------------


class InvoiceLine(_Read):
    line_number: int | None = None
    inventory_number: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_price_in_currency: Decimal | None = None
    amount_in_currency: Decimal | None = None
    vat_code: IdDescription | None = None


class CustomerInvoice(_Read):
    reference_number: str | None = None
    document_type: str | None = None
    status: str | None = None
    hold: bool | None = None
    customer: NumberName | None = None
    document_date: str | None = None
    external_reference: str | None = None
    invoice_text: str | None = None
    amount: Decimal | None = None
    vat_total: Decimal | None = None
    financial_period: str | None = None
    invoice_lines: list[InvoiceLine] = []
    last_modified_date_time: str | None = None
    time_stamp: str | None = None
    metadata: Metadata | None = None


class InvoiceLineWrite(_Write):
    operation: Literal["Insert", "Update", "Delete"] = "Insert"
    line_number: int | None = None
    inventory_number: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_price_in_currency: Decimal | None = None
    manual_amount_in_currency: Decimal | None = None
    account_number: str | None = None
    vat_code_id: str | None = None
    uom: str | None = None
    discount_percent: Decimal | None = None
    subaccount: list[SegmentWrite] | None = None
    branch_number: str | None = None
    note: str | None = None


class InvoiceWrite(_Write):
    customer_number: str
    document_date: str | None = None
    document_due_date: str | None = None
    hold: bool | None = None
    external_reference: str | None = None
    customer_ref_number: str | None = None
    invoice_text: str | None = None
    currency_id: str | None = None
    financial_period: str | None = None
    branch_number: str | None = None
    note: str | None = None
    invoice_lines: list[InvoiceLineWrite] = []


class CreditNoteWrite(InvoiceWrite):
    """POST /v2/customerCreditNote (docs: the v2 paths list customerCreditNote beside
    customerinvoice; its body taken to be the invoice's, inferred: the OpenAPI subset has no
    CustomerCreditNoteUpdateDto). Amounts are positive: the document type carries the sign."""


# -- journal transactions -----------------------------------------------------------------


class JournalLine(_Read):
    line_number: int | None = None
    account_number: str | None = None
    subaccount: SubaccountRef | None = None
    reference_number: str | None = None
    transaction_description: str | None = None
    debit_amount: Decimal | None = None
    debit_amount_in_currency: Decimal | None = None
    credit_amount: Decimal | None = None
    credit_amount_in_currency: Decimal | None = None
    vat_code: IdDescription | None = None
    vat: IdDescription | None = None
    branch: str | None = None


class TaxDetail(_Read):
    """One VAT transaction: Visma's TaxDetailDto (Pionect SDK src/Dto/TaxDetailDto.php)."""

    tax_id: str | None = None
    vat_rate: Decimal | None = None
    taxable_amount: Decimal | None = None
    vat_amount: Decimal | None = None


class JournalTransaction(_Read):
    module: str | None = None
    batch_number: str | None = None
    status: str | None = None
    hold: bool | None = None
    transaction_date: str | None = None
    financial_period: str | None = None
    description: str | None = None
    debit_total: Decimal | None = None
    credit_total: Decimal | None = None
    branch: str | None = None
    last_modified_date_time: str | None = None
    time_stamp: str | None = None
    journal_transaction_lines: list[JournalLine] = []
    create_vat_transaction: bool | None = None
    skip_vat_amount_validation: bool | None = None
    # The VAT transactions the batch made: the sandbox's (Visma's JournalTransactionDto has no
    # such list; core/sandbox/specs/README.md), empty from Visma.
    tax_details: list[TaxDetail] = []
    metadata: Metadata | None = None


class JournalLineWrite(_Write):
    operation: Literal["Insert", "Update", "Delete"] = "Insert"
    line_number: int | None = None
    account_number: str
    subaccount: list[SegmentWrite] | None = None
    reference_number: str | None = None
    transaction_description: str | None = None
    debit_amount_in_currency: Decimal | None = None
    credit_amount_in_currency: Decimal | None = None
    vat_code_id: str | None = None
    vat_id: str | None = None
    branch: str | None = None
    note: str | None = None


class JournalWrite(_Write):
    hold: bool | None = None
    transaction_date: str | None = None
    financial_period: str | None = None
    post_period: str | None = None
    ledger: str | None = None
    currency_id: str | None = None
    description: str | None = None
    control_total_in_currency: Decimal | None = None
    branch: str | None = None
    transaction_code: str | None = None
    # JournalTransactionUpdateDto (Pionect SDK src/Dto/JournalTransactionUpdateDto.php):
    # "Create VAT transactions", and the check of the VAT amounts Visma skips on request.
    create_vat_transaction: bool | None = None
    skip_vat_amount_validation: bool | None = None
    journal_transaction_lines: list[JournalLineWrite] = []


# -- reference data -----------------------------------------------------------------------


class Vat(_Read):
    vat_id: str | None = None
    vat_category_id: str | None = None
    description: str | None = None
    type: str | None = None
    not_valid_after: str | None = None
    last_modified_date_time: str | None = None


class VatRate(_Read):
    vat_rate: Decimal | None = None
    start_date: str | None = None


class VatCategoryLine(_Read):
    vat_id: str | None = None
    description: str | None = None
    # ExtractFromItemAmount (prices include VAT) | ItemAmount | ItemTaxAmount | DocumentAmount |
    # DocumenTaxAmount (sic, Visma's enum: VatCategoryLineCalculateOnEnum in the OpenAPI).
    calculate_on: str | None = None
    vat_rates: list[VatRate] = []


class VatCategory(_Read):
    vat_category_id: str | None = None
    description: str | None = None
    active: bool | None = None
    vat_category_lines: list[VatCategoryLine] = []


class VatZone(_Read):
    id: str | None = None
    description: str | None = None
    default_vat_category: str | None = None


class Account(_Read):
    account_id: int | None = Field(default=None, alias="accountID")
    account_cd: str | None = Field(default=None, alias="accountCD")
    description: str | None = None
    type: str | None = None
    active: bool | None = None
    last_modified_date_time: str | None = None


class Branch(_Read):
    branch_id: int | None = None
    number: str | None = None
    name: str | None = None
    is_main_branch: bool | None = None
    is_active: bool | None = None
    corporate_id: str | None = None


class FinancialPeriod(_Read):
    """GET /v1/financialPeriod (FinancialPeriodDto; Pionect SDK, findings S10). `period` is
    the id YYYYPP: the financial year and the period's number in it, which is the month only
    when the year is the calendar year."""

    year: int | None = None
    period: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    description: str | None = None
    active: bool | None = None
    closed_in_general_ledger: bool | None = None
    closed_in_customer_ledger: bool | None = None
    closed_in_inventory_management: bool | None = None


class Subaccount(_Read):
    subaccount_number: str | None = None
    subaccount_id: int | None = None
    description: str | None = None
    active: bool | None = None
    segments: list[Segment] = []
    last_modified_date_time: str | None = None


class ItemClass(_Read):
    """GET /v1/inventory/itemClass (S10 ItemClassDto): an item class a new item needs."""

    id: str | None = None
    description: str | None = None
    type: str | None = None


class Warehouse(_Read):
    """GET /v1/warehouse (S10 WarehouseDto; `warehouseID` is its wire spelling)."""

    warehouse_id: str | None = Field(default=None, alias="warehouseID")
    description: str | None = None
    active: bool | None = None


class SegmentValue(_Read):
    value_id: str | None = None
    description: str | None = None
    active: bool | None = None


class DimensionSegment(_Read):
    segment_id: int | None = None
    description: str | None = None
    length: int | None = None
    segment_values: list[SegmentValue] = []


class Dimension(_Read):
    id: str | None = None
    description: str | None = None
    length: int | None = None
    segments: list[DimensionSegment] = []


# -- inventory issues -----------------------------------------------------------------------


class InventoryIssue(_Read):
    reference_number: str | None = None
    status: str | None = None
    hold: bool | None = None
    date: str | None = None
    external_reference: str | None = None
    description: str | None = None
    total_quantity: Decimal | None = None
    total_amount: Decimal | None = None
    last_modified_date_time: str | None = None
    metadata: Metadata | None = None


class IssueLineWrite(_Write):
    operation: Literal["Insert", "Update", "Delete"] = "Insert"
    line_number: int | None = None
    inventory_number: str
    warehouse_id: str | None = None
    location_id: str | None = None
    quantity: Decimal
    uom: str | None = None
    unit_cost: Decimal | None = None
    unit_price: Decimal | None = None
    tran_type: Literal["Issue", "Return", "Invoice", "DebitNote", "CreditNote"] | None = None
    reason_code: str | None = None
    description: str | None = None
    branch_number: str | None = None


class IssueWrite(_Write):
    hold: bool | None = None
    date: str | None = None
    post_period: str | None = None
    external_reference: str | None = None
    description: str | None = None
    branch_number: str | None = None
    issue_lines: list[IssueLineWrite] = []


# -- actions and feedback -------------------------------------------------------------------


class ActionResult(_Read):
    action_id: str | None = None
    action_result: str | None = None  # Queued | InProcess | Failed | Done
    error_info: str | None = None


class WebhookFeedback(_Write):
    notification_id: str
    source: str | None = None
    description: str | None = None
    is_success: bool
