"""The simulated Visma.net company: its records as the API's read DTOs, and the business rules
the API enforces (unknown accounts, VAT ids and subaccounts refused; journals must balance)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.money import round_money
from core.sandbox.common import Clock
from core.sandbox.periods import FinancialYears


class Refused(Exception):
    """A business rule said no; becomes a 400 {"message": "VismaId: ... <text>"}."""

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.text = text
        self.status = status


@dataclass
class Company:
    tenant_id: str
    name: str
    clock: Clock
    licensed: bool = True
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    journals: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    vat: dict[str, dict[str, Any]] = field(default_factory=dict)
    vat_categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    vat_zones: dict[str, dict[str, Any]] = field(default_factory=dict)
    branches: dict[str, dict[str, Any]] = field(default_factory=dict)
    subaccounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    dimensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_classes: dict[str, dict[str, Any]] = field(default_factory=dict)
    warehouses: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Visma's "validate combinations" (inferred: the company's GL setup decides whether a
    # subaccount must exist as a combination or may be made up of any segment values).
    validate_subaccounts: bool = False
    stock: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    webhook_off: set[tuple[str, str]] = field(default_factory=set)  # (kind, number)
    years: FinancialYears = field(default_factory=FinancialYears)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    # Actions answered Queued, each with the requests it waits for (None: until told).
    queued: list[tuple[int | None, Callable[[], None]]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def next_id(self) -> int:
        return next(self._ids)

    def run_queued(self) -> None:
        """Carry out the actions answered Queued/InProcess whose wait is over: at the
        company's next request by default (Faults.queued_for), as Visma's background worker
        would some time after the answer (inferred). Called once per request."""
        waiting = []
        for wait, act in self.queued:
            if wait == 0:
                act()
            else:
                waiting.append((None if wait is None else wait - 1, act))
        self.queued = waiting

    def finish_queued(self) -> None:
        """Visma's worker gets to every queued action now."""
        for _, act in self.queued:
            act()
        self.queued = []

    def fail_queued(self) -> None:
        """Visma's worker could not carry out the queued actions: nothing changes (the
        document stays as it was; inferred)."""
        self.queued = []

    # -- versions (ETag / timeStamp) ---------------------------------------------------------

    def touch(self, kind: str, number: str, record: dict[str, Any]) -> None:
        version = self.versions.get((kind, number), 0) + 1
        self.versions[(kind, number)] = version
        stamp = self.clock.stamp()
        record["lastModifiedDateTime"] = stamp
        if kind in ("customer", "invoice"):  # the only read DTOs with createdDateTime
            record.setdefault("createdDateTime", stamp)
        elif kind == "item":  # filterable by createdDateTime, but not in the DTO
            record.setdefault("_created", stamp)
        key = "timestamp" if kind in ("item", "issue") else "timeStamp"
        record[key] = f"0x{version:016X}"

    def etag(self, kind: str, number: str) -> str:
        return f'"{self.versions.get((kind, number), 0)}"'

    # -- validation helpers ------------------------------------------------------------------

    def open_period(self, when: Any, given: Any, ledger: str) -> str:
        """The financial period a document dated `when` is posted to (`given`, else the one
        its date falls in), refused when the company has no such period or it is closed in
        `ledger` ("GeneralLedger", "CustomerLedger", "InventoryManagement"). Visma refuses
        posting to a closed period (FinancialPeriodDto.closedIn*: "indicates ... that the
        financial period is closed"; the message's wording is inferred)."""
        from datetime import date as _date

        day = _date.fromisoformat(str(when)[:10])
        found = self.years.get(str(given), self.clock.now().date()) if given else self.years.of(day)
        if found is None:
            what = f"'{given}'" if given else f"for {day.isoformat()}"
            raise Refused(f"Financial period {what} cannot be found in the system.")
        pid = found["period"]
        if found[f"closedIn{ledger}"]:
            words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", ledger)  # "Inventory Management"
            raise Refused(f"Financial period {pid[4:]}-{pid[:4]} is closed in {words}.")
        return str(pid)

    def require_account(self, number: Any) -> dict[str, Any]:
        acc = self.accounts.get(str(number))
        if acc is None:
            raise Refused(f"Account '{number}' cannot be found in the system.")
        if not acc.get("active", True):
            raise Refused(f"Account '{number}' is inactive.")
        return acc

    def require_vat(self, vat_id: Any) -> dict[str, Any]:
        vat = self.vat.get(str(vat_id))
        if vat is None:
            raise Refused(f"VAT ID '{vat_id}' cannot be found in the system.")
        return vat

    def require_vat_category(self, category: Any) -> dict[str, Any]:
        cat = self.vat_categories.get(str(category))
        if cat is None:
            raise Refused(f"TaxCategoryID '{category}' cannot be found in the system.")
        return cat

    def require_branch(self, number: Any) -> dict[str, Any]:
        branch = self.branches.get(str(number))
        if branch is None:
            raise Refused(f"Branch '{number}' cannot be found in the system.")
        return branch

    def require_item_class(self, class_id: Any) -> dict[str, Any]:
        """S11 InventoryUpdateDto.itemClass: "Mandatory, the item class to which the item is
        assigned"; the wording of the refusals is inferred."""
        if class_id is None or class_id == "":
            raise Refused("ItemClass is required: the item class to which the item is assigned.")
        found = self.item_classes.get(str(class_id))
        if found is None:
            raise Refused(f"Item class '{class_id}' cannot be found in the system.")
        return found

    def warehouse_of(self, line: dict[str, Any], item: dict[str, Any]) -> str:
        """The warehouse a stock line names, which must exist and be active; without one the
        item's default warehouse, else the company's first (inferred)."""
        wid = line.get("warehouseId")
        if wid is None:
            default = (item.get("defaultWarehouse") or {}).get("id")
            return str(default or next(iter(self.warehouses), ""))
        found = self.warehouses.get(str(wid))
        if found is None or found.get("active") is False:
            raise Refused(f"Warehouse '{wid}' cannot be found in the system.")
        return str(wid)

    def subaccount_ref(self, segments: list[dict[str, Any]]) -> dict[str, Any]:
        """Check segment values against the SUBACCOUNT dimension; the read-side reference.
        Every segment must be given (findings B12: Visma's answer to a partial list is not
        published; refusing it is inferred), and a company that validates combinations takes
        only an existing active subaccount."""
        dim = self.dimensions.get("SUBACCOUNT", {"segments": []})
        given = {seg.get("segmentId") for seg in segments}
        for s in dim["segments"]:
            if s["segmentId"] not in given:
                raise Refused(
                    f"Subaccount is missing segment {s['segmentId']} ({s.get('description')})."
                )
        known = {
            s["segmentId"]: {v["valueId"]: v for v in s.get("segmentValues", [])}
            for s in dim["segments"]
        }
        out = []
        for seg in segments:
            sid, value = seg.get("segmentId"), seg.get("segmentValue")
            values = known.get(sid)
            if values is None or value not in values or not values[value].get("active", True):
                raise Refused(
                    f"Segment value '{value}' of segment {sid} of Subaccount does not exist."
                )
            out.append(
                {
                    "segmentId": sid,
                    "segmentDescription": next(
                        (s.get("description") for s in dim["segments"] if s["segmentId"] == sid),
                        None,
                    ),
                    "segmentValue": value,
                    "segmentValueDescription": values[value].get("description"),
                }
            )
        out.sort(key=lambda s: s["segmentId"])
        number = "-".join(s["segmentValue"] for s in out)
        if self.validate_subaccounts and not any(
            sub["subaccountNumber"] == number and sub.get("active", True)
            for sub in self.subaccounts.values()
        ):
            raise Refused(f"Subaccount '{number}' is not a valid combination of segment values.")
        return {"subaccountNumber": number, "active": True, "segments": out}

    def extracts_vat(self, category: str) -> bool:
        """Whether the category's prices include VAT (calculateOn ExtractFromItemAmount)."""
        lines = self.require_vat_category(category).get("vatCategoryLines", [])
        return bool(lines) and lines[0].get("calculateOn") == "ExtractFromItemAmount"

    def category_rate(self, category: str) -> Decimal:
        cat = self.require_vat_category(category)
        for line in cat.get("vatCategoryLines", []):
            rates = line.get("vatRates") or []
            if rates:
                return Decimal(str(rates[-1]["vatRate"]))
        return Decimal(0)


def money(value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise Refused(f"'{value}' is not an amount.")
    return Decimal(str(value))


# -- record builders: write fields (unwrapped) -> read DTOs ------------------------------------


def _contact(company: Company, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    out = dict(old or {"contactId": company.next_id()})
    out.update({k: v for k, v in new.items()})
    return out


def _address(company: Company, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    out = dict(old or {"addressId": company.next_id()})
    for k, v in new.items():
        if k == "countryId":
            out["country"] = {"id": v, "name": {"NO": "Norway", "SE": "Sweden"}.get(v, v)}
        else:
            out[k] = v
    return out


def apply_customer(company: Company, record: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key in ("mainAddress", "invoiceAddress", "deliveryAddress"):
            record[key] = _address(company, record.get(key), value)
        elif key in ("mainContact", "invoiceContact", "deliveryContact"):
            record[key] = _contact(company, record.get(key), value)
        elif key == "customerClassId":
            record["customerClass"] = {"id": value, "description": value}
        elif key == "creditTermsId":
            record["creditTerms"] = {"id": value, "description": value}
        elif key == "vatZoneId":
            zone = company.vat_zones.get(value)
            if zone is None:
                raise Refused(f"VAT zone '{value}' cannot be found in the system.")
            record["vatZone"] = {"id": value, "description": zone.get("description")}
        elif key in ("overrideWithClassValues", "overrideNumberSeries", "attributeLines"):
            continue
        else:
            record[key] = value


def apply_item(company: Company, record: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "vatCode":
            cat = company.require_vat_category(value)
            record["vatCode"] = {"id": value, "description": cat.get("description")}
        elif key == "crossReferences":
            apply_cross_references(record, value)
        elif key == "itemClass":
            found = company.require_item_class(value)
            record[key] = {"id": value, "description": found.get("description")}
        elif key in ("postingClass", "defaultWarehouse"):
            record[key] = {"id": value, "description": value}
        elif key == "attributeLines":
            continue
        else:
            record[key] = value


def apply_cross_references(record: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    refs = record.setdefault("crossReferences", [])
    for line in lines:
        op = line.get("operation", "Insert")
        key = (line.get("alternateType"), line.get("alternateID"))
        refs[:] = [r for r in refs if (r["alternateType"], r["alternateID"]) != key]
        if op != "Delete":
            ref = {k: v for k, v in line.items() if k != "operation"}
            if "bAccount" in ref:
                ref["bAccount"] = {"number": ref["bAccount"], "name": ref["bAccount"]}
            refs.append(ref)


# Field lengths the sandbox refuses beyond, as Visma refuses a value too long for its column.
# A GL line's referenceNumber: 15 (assumed: not published; Visma.net descends from Acumatica,
# whose RefNbr is 15). An invoice line's description: 30 (CustomerInvoiceLineDto.description,
# "may contain up to 30 characters", specs/ from Visma's OpenAPI). The message's wording is
# inferred; its shape is Visma's 400 {"message": "VismaId: ..."}.
GL_LINE_REFERENCE_LENGTH = 15
INVOICE_LINE_DESCRIPTION_LENGTH = 30


def check_length(what: str, value: Any, limit: int) -> None:
    if value is not None and len(str(value)) > limit:
        raise Refused(
            f"{what} '{value}' is too long: at most {limit} characters ({len(str(value))} given)."
        )


def build_journal(company: Company, fields: dict[str, Any], number: str) -> dict[str, Any]:
    lines_in = fields.get("journalTransactionLines") or []
    if not lines_in:
        raise Refused("A journal transaction needs at least one line.")
    debit = credit = Decimal(0)
    lines = []
    for i, line in enumerate(lines_in, start=1):
        company.require_account(line.get("accountNumber"))
        check_length(f"Line {i}: Ref. no.", line.get("referenceNumber"), GL_LINE_REFERENCE_LENGTH)
        d, c = money(line.get("debitAmountInCurrency")), money(line.get("creditAmountInCurrency"))
        if d != round_money(d) or c != round_money(c):
            raise Refused(f"Line {i}: amounts have at most two decimals.")
        debit += d
        credit += c
        out: dict[str, Any] = {
            "lineNumber": line.get("lineNumber", i),
            "accountNumber": str(line["accountNumber"]),
            "referenceNumber": line.get("referenceNumber"),
            "transactionDescription": line.get("transactionDescription"),
            "debitAmount": d,
            "debitAmountInCurrency": d,
            "creditAmount": c,
            "creditAmountInCurrency": c,
            "branch": line.get("branch") or fields.get("branch"),
        }
        if line.get("subaccount"):
            out["subaccount"] = company.subaccount_ref(line["subaccount"])
        if line.get("vatCodeId") is not None:
            cat = company.require_vat_category(line["vatCodeId"])
            out["vatCode"] = {"id": str(line["vatCodeId"]), "description": cat.get("description")}
        if line.get("vatId") is not None:
            vat = company.require_vat(line["vatId"])
            out["vat"] = {"id": str(line["vatId"]), "description": vat.get("description")}
        if out["branch"] is not None:
            company.require_branch(out["branch"])
        lines.append({k: v for k, v in out.items() if v is not None})
    if debit != credit:
        raise Refused(
            f"The batch is out of balance: debit total {debit:.2f}, credit total {credit:.2f}."
        )
    create_vat = bool(fields.get("createVatTransaction", False))
    skip_vat = bool(fields.get("skipVatAmountValidation", False))
    taxes: list[dict[str, Any]] = []
    if create_vat:
        from core.sandbox.vat_transactions import vat_transactions  # it imports Refused

        taxes = vat_transactions(company, lines_in, lines, skip_vat)
    hold = bool(fields.get("hold", False))
    date = fields.get("transactionDate") or company.clock.now().date().isoformat()
    period = company.open_period(date, fields.get("financialPeriod"), "GeneralLedger")
    if fields.get("branch") is not None:
        company.require_branch(fields["branch"])
    return {
        "module": "ModuleGL",
        "batchNumber": number,
        "status": "Hold" if hold else "Balanced",
        "hold": hold,
        "transactionDate": date,
        "postPeriod": period[4:] + period[:4],
        "financialPeriod": period,
        "ledger": fields.get("ledger", "L"),
        "currencyId": fields.get("currencyId", "NOK"),
        "description": fields.get("description"),
        "debitTotal": debit,
        "debitTotalInCurrency": debit,
        "creditTotal": credit,
        "creditTotalInCurrency": credit,
        "controlTotal": money(fields.get("controlTotalInCurrency")) or debit,
        "branch": fields.get("branch"),
        "transactionCode": fields.get("transactionCode"),
        "createVatTransaction": create_vat,
        "skipVatAmountValidation": skip_vat,
        "journalTransactionLines": lines,
        # The VAT transactions made (vat_transactions.py); Visma's DTO has no such list
        # (specs/README.md: added, inferred).
        "taxDetails": taxes,
    }


def build_invoice(
    company: Company, fields: dict[str, Any], number: str, document_type: str = "Invoice"
) -> dict[str, Any]:
    """A customer invoice or credit note as Visma computes it: each line's amount is VAT
    included when its category extracts VAT (calculateOn ExtractFromItemAmount), excluded
    otherwise; VAT is taken per VAT category on its summed amounts, rounded once (inferred)."""
    cust_no = fields.get("customerNumber")
    customer = company.customers.get(str(cust_no)) if cust_no is not None else None
    if customer is None:
        raise Refused(f"Customer '{cust_no}' cannot be found in the system.")
    lines: list[dict[str, Any]] = []
    per_category: dict[str, Decimal] = {}
    for i, line in enumerate(fields.get("invoiceLines") or [], start=1):
        check_length(
            f"Line {i}: Transaction descr.",
            line.get("description"),
            INVOICE_LINE_DESCRIPTION_LENGTH,
        )
        item_no = line.get("inventoryNumber")
        if item_no is not None and str(item_no) not in company.items:
            raise Refused(f"Inventory item '{item_no}' cannot be found in the system.")
        qty = money(line.get("quantity", 1))
        price = money(line.get("unitPriceInCurrency"))
        amount = (
            money(line["manualAmountInCurrency"])
            if line.get("manualAmountInCurrency") is not None
            else qty * price * (1 - money(line.get("discountPercent")) / 100)
        )
        amount = round_money(amount)
        out: dict[str, Any] = {
            "lineNumber": line.get("lineNumber", i),
            "inventoryNumber": item_no,
            "description": line.get("description"),
            "quantity": qty,
            "unitPrice": price,
            "unitPriceInCurrency": price,
            "amount": amount,
            "amountInCurrency": amount,
            "uom": line.get("uom"),
        }
        category = str(line["vatCodeId"]) if line.get("vatCodeId") is not None else ""
        if category:
            company.require_vat_category(category)
            out["vatCode"] = {"id": category}
        if line.get("accountNumber") is not None:
            acc = company.require_account(line["accountNumber"])
            out["account"] = {"type": acc.get("type"), "number": acc["accountCD"]}
        if line.get("subaccount") is not None:
            out["subaccount"] = company.subaccount_ref(line["subaccount"])
        per_category[category] = per_category.get(category, Decimal(0)) + amount
        lines.append({k: v for k, v in out.items() if v is not None})
    net, vat_total = Decimal(0), Decimal(0)
    for category, amount in per_category.items():
        rate = company.category_rate(category) if category else Decimal(0)
        if category and company.extracts_vat(category):
            vat = round_money(amount * rate / (100 + rate))
            net, vat_total = net + amount - vat, vat_total + vat
        else:
            vat = round_money(amount * rate / 100)
            net, vat_total = net + amount, vat_total + vat
    if net + vat_total < 0:
        # Inferred: Visma's documents carry their sign in the type; a negative invoice is
        # refused (the UI asks for a credit note), as is a negative credit note.
        raise Refused(
            f"The document total {net + vat_total:.2f} is negative: "
            f"{'use a credit note' if document_type == 'Invoice' else 'use an invoice'}."
        )
    hold = bool(fields.get("hold", False))
    date = fields.get("documentDate") or company.clock.now().isoformat(timespec="seconds")
    period = company.open_period(date, fields.get("financialPeriod"), "CustomerLedger")
    return {
        "documentType": document_type,
        "referenceNumber": number,
        "status": "Hold" if hold else "Balanced",
        "hold": hold,
        "customer": {"number": customer["number"], "name": customer.get("name")},
        "documentDate": date,
        "documentDueDate": fields.get("documentDueDate"),
        "externalReference": fields.get("externalReference"),
        "customerRefNumber": fields.get("customerRefNumber"),
        "invoiceText": fields.get("invoiceText"),
        "currencyId": fields.get("currencyId", "NOK"),
        "financialPeriod": period,
        "postPeriod": period[4:] + period[:4],
        "detailTotal": net,
        "vatTotal": vat_total,
        "amount": net + vat_total,
        "amountInCurrency": net + vat_total,
        "balance": net + vat_total,
        "note": fields.get("note"),
        "invoiceLines": lines,
    }


def build_issue(company: Company, fields: dict[str, Any], number: str) -> dict[str, Any]:
    # An issue dated in a period closed in Inventory management is refused, as a journal in
    # one closed in the General ledger (FinancialPeriodDto.closedInInventoryManagement; the
    # wording is inferred). The issue's DTO carries no period: the date decides.
    if fields.get("date"):
        company.open_period(fields["date"], None, "InventoryManagement")
    lines, qty_total, amount_total = [], Decimal(0), Decimal(0)
    for i, line in enumerate(fields.get("issueLines") or [], start=1):
        item_no = str(line.get("inventoryNumber"))
        item = company.items.get(item_no)
        if item is None:
            raise Refused(f"Inventory item '{item_no}' cannot be found in the system.")
        qty = money(line.get("quantity"))
        tran_type = line.get("tranType", "Issue")
        if tran_type in ("Issue", "Return") and qty <= 0:
            # Inferred: the sign is the transaction type's (a return is a Return line of the
            # quantity returned); Visma's issue screen takes no negative or zero quantity.
            raise Refused(f"Line {i}: the quantity of an {tran_type} line must be positive.")
        if line.get("branchNumber") is not None:
            company.require_branch(line["branchNumber"])
        price = money(line.get("unitPrice"))
        qty_total += qty
        amount_total += round_money(qty * price)
        out = {
            "lineNumber": line.get("lineNumber", i),
            "inventoryItem": {"number": item_no, "description": item.get("description")},
            "warehouse": {"id": company.warehouse_of(line, item)},
            "quantity": qty,
            "unitPrice": price,
            "extPrice": round_money(qty * price),
            "unitCost": money(line.get("unitCost")),
            "transactionType": tran_type,
            "branchNumber": line.get("branchNumber"),
            "uom": line.get("uom"),
            "description": line.get("description"),
        }
        lines.append({k: v for k, v in out.items() if v is not None})
    if not lines:
        raise Refused("An inventory issue needs at least one line.")
    if fields.get("branchNumber") is not None:
        company.require_branch(fields["branchNumber"])
    hold = bool(fields.get("hold", False))
    return {
        "branchNumber": fields.get("branchNumber"),
        "referenceNumber": number,
        "status": "Hold" if hold else "Balanced",
        "hold": hold,
        "date": fields.get("date") or company.clock.now().isoformat(timespec="seconds"),
        "postPeriod": fields.get("postPeriod"),
        "externalReference": fields.get("externalReference"),
        "description": fields.get("description"),
        "totalQuantity": qty_total,
        "totalAmount": amount_total,
        "controlQuantity": qty_total,
        "issueLines": lines,
    }
