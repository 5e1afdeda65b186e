"""SAF-T Cash Register code lists (Skatteetaten/saf-t, "Cash Register Code Lists") and a
file's <basics>: a vendor names its payment types, events, transaction types and article
groups with its own basicIDs (CASH, DEBCARD, ZREP …); <basics> maps each to a predefined code
(predefinedBasicID) of its basicType. duvi reads every such id through this map."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

NS = "urn:StandardAuditFile-Taxation-CashRegister:NO"

# basicType (Code list "BasicType")
ARTICLE_GROUP, LINE_TYPE, RAISE, TRANSACTION, PAYMENT, EVENT = "04", "05", "10", "11", "12", "13"

Z_REPORT_EVENT = "13009"  # PredefinedBasicID-13
TIP = "10001"  # PredefinedBasicID-10: amount from gratuity/tip
# PredefinedBasicID-11
CASH_SALE, CREDIT_SALE = "11001", "11002"
CASH_DIFFERENCE = "11008"
CASH_AND_CREDIT_SALE, CREDIT_SALE_AND_RETURN = "11015", "11017"
CREDIT_SALES = frozenset({CREDIT_SALE, CREDIT_SALE_AND_RETURN})
# What is no sale: purchases, payments on account, the change float, pay-ins and pay-outs,
# stock. Their receipts date no business day and sell no items.
NO_SALE = frozenset({"11003", "11004", "11005", "11007", "11008", "11010", "11011", "11014"})

# PredefinedBasicID-12 <-> duvi's payment types (the account map's "payment:<type>").
PAYMENT_CODES = {
    "cash": "12001",
    "bankaxept": "12002",
    "card": "12003",
    "giftcard": "12005",
    "invoice": "12006",
    "creditnote": "12010",
    "vipps": "12011",
}
PAYMENT_TYPES = {code: name for name, code in PAYMENT_CODES.items()}
# 12008 "Bottle deposit" (Pant): a panteautomat voucher taken at the till is pant paid back
# (ZReport.pant_refunded), not a payment: it has no account of its own as a means of payment.
PANT_VOUCHER = "12008"


@dataclass(frozen=True)
class Basic:
    basic_type: str
    basic_id: str
    predefined: str | None
    desc: str


class Basics:
    """A file's <basics>, by basicID (the schema's key locBasicIDKey: unique in the file)."""

    def __init__(self, company: etree._Element) -> None:
        q = f"{{{NS}}}"
        self.by_id: dict[str, Basic] = {}
        for b in company.iterfind(f"{q}basics/{q}basic"):

            def text(name: str, b: etree._Element = b) -> str | None:
                el = b.find(f"{q}{name}")
                return el.text.strip() if el is not None and el.text else None

            basic_id = text("basicID") or ""
            self.by_id[basic_id] = Basic(
                text("basicType") or "",
                basic_id,
                text("predefinedBasicID"),
                text("basicDesc") or basic_id,
            )

    def code(self, value: str | None, basic_type: str) -> str | None:
        """The predefined code a vendor id stands for; a value that is itself a predefined
        code of the type (a file that writes the codes directly, as duvi's export does)
        stands for itself. None: the file does not say."""
        if value is None:
            return None
        basic = self.by_id.get(value)
        if basic is not None and basic.basic_type.lstrip("0") == basic_type.lstrip("0"):
            return basic.predefined
        if basic is None and value.startswith(basic_type) and len(value) == 5:
            return value
        return None

    def desc(self, value: str) -> str:
        basic = self.by_id.get(value)
        return basic.desc if basic is not None else value

    def payment(self, value: str) -> tuple[str, str | None]:
        """duvi's payment type for a file's paymentType, and the file's own name for it when
        duvi has none (the account map must then be told; never the fallback account)."""
        code = self.code(value, PAYMENT)
        name = PAYMENT_TYPES.get(code or "")
        if name is not None:
            return name, None
        return value, self.desc(value)
