"""What the transfers list shows of a document, read out of its payload: business date, Z number,
register and amount (incl. VAT, to the øre). Worked out once, when the ledger records the payload
(Ledger.register, Ledger.changed; migration 14 for the rows written before), and kept in the
ledger's own columns (`day`, `z_number`, `register`, `amount`), so that a list of thousands of
documents reads columns instead of parsing payloads. One definition: `document_facts`."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core.models import InvoiceLine, stored_total
from core.money import round_money

Facts = tuple[date | None, int | None, str, Decimal | None]
# The payload's fields the facts are made of (the migration reads only these, by json_extract).
FACT_FIELDS = (
    "business_date",
    "date",
    "z_number",
    "register_id",
    "gift_cards_sold",
    "tips",
    "pant_refunded",
)
FACT_LISTS = ("sales", "pant_sold", "lines")


def document_facts(kind: str, payload: dict[str, Any]) -> Facts:
    """Business date, Z number, register and amount of a document's payload; what cannot be
    read stays unknown (None), never a guess."""
    try:
        if kind == "zreport":
            amount = stored_total(
                payload.get("sales"),
                payload.get("gift_cards_sold"),
                payload.get("tips"),
                payload.get("pant_sold"),
                payload.get("pant_refunded"),
            )
            day = payload.get("business_date")
            z = payload.get("z_number")
            return (
                date.fromisoformat(day) if day else None,
                int(z) if z is not None else None,
                str(payload.get("register_id") or "1"),
                round_money(amount),
            )
        day = payload.get("date")
        when = date.fromisoformat(day) if day else None
        if kind == "invoice":
            return when, None, "", invoice_total(payload.get("lines") or [])
        return when, None, "", None
    except (ValueError, TypeError, AttributeError, InvalidOperation):
        return None, None, "", None


def invoice_total(lines: list[dict[str, Any]]) -> Decimal:
    """An invoice basis's total as DUELL charges it (VAT included, each line rounded to the
    øre): the figure duvi checks Visma's total against before sending."""
    # here, not at the top: core.transfers imports the ledger, which imports this module
    from core.transfers.invoice_amounts import duell_total

    return duell_total([InvoiceLine.model_validate(ln) for ln in lines])


def fact_columns(kind: str, payload_text: str) -> tuple[str | None, int | None, str, str | None]:
    """The ledger's fact columns (day, z_number, register, amount) of a payload as stored
    (its JSON text: the facts are read from what is kept, not from the objects it was made
    of). `register` is never NULL once worked out: NULL marks a row whose facts are to be
    read from its payload (written by something other than duvi's ledger)."""
    try:
        payload = json.loads(payload_text)
    except ValueError:
        payload = None
    return _columns(document_facts(kind, payload if isinstance(payload, dict) else {}))


def _columns(facts: Facts) -> tuple[str | None, int | None, str, str | None]:
    day, z, register, amount = facts
    return (
        day.isoformat() if day else None,
        z,
        register,
        None if amount is None else str(amount),
    )


def extracted_facts(kind: str, *fields: Any) -> str:
    """`fact_columns` for a payload read by json_extract (FACT_FIELDS then FACT_LISTS, the
    lists as JSON text), as one JSON array: what migration 14 writes into each row."""
    return json.dumps(_columns(document_facts(kind, extracted_payload(fields))))


def extracted_payload(fields: Any) -> dict[str, Any]:
    """The part of a payload the facts are made of, from FACT_FIELDS then FACT_LISTS as
    json_extract reads them (the lists as JSON text)."""
    payload = {k: v for k, v in zip(FACT_FIELDS, fields, strict=False) if v is not None}
    for k, v in zip(FACT_LISTS, fields[len(FACT_FIELDS) :], strict=True):
        if v:
            payload[k] = json.loads(v) if isinstance(v, str) else v
    return payload
