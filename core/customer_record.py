"""One vocabulary for a customer on either side: what the sync writes, what a conflict shows
beside its candidates, and what a merge chooses field by field."""

from __future__ import annotations

from typing import Any

from core.i18n import N_
from core.matching import Keys
from core.models import Customer
from core.visma.models import Customer as VismaCustomer

FIELDS = ("name", "orgnr", "phone", "email", "address", "zip", "city")
# The fields' names as a person reads them (translated where shown: core.conflicts.compare).
LABELS = {
    "name": N_("Name"),
    "orgnr": N_("Org. number"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "address": N_("Address"),
    "zip": N_("Postcode"),
    "city": N_("City"),
}
# The names DUELL's customer API uses for them.
DUELL_NAMES = {
    "name": "customer_name",
    "orgnr": "org_number",
    "phone": "phone",
    "email": "email",
    "address": "primary_address",
    "zip": "primary_zip",
    "city": "city",
}


def from_duell(d: Customer) -> dict[str, Any]:
    return {
        "name": d.name,
        "orgnr": Keys.of(d.org_no, None, None).orgnr,
        "phone": d.phone,
        "email": d.email,
        "address": d.address,
        "zip": d.zip,
        "city": d.city,
    }


def from_visma(c: VismaCustomer) -> dict[str, Any]:
    contact, address = c.main_contact, c.main_address
    return {
        "name": c.name,
        "orgnr": c.corporate_id,
        "phone": contact.phone1 if contact else None,
        "email": contact.email if contact else None,
        "address": address.address_line1 if address else None,
        "zip": address.postal_code if address else None,
        "city": address.city if address else None,
    }


def visma_keys(c: VismaCustomer) -> Keys:
    contact = c.main_contact
    return Keys.of(
        c.corporate_id, contact.phone1 if contact else None, contact.email if contact else None
    )


def to_duell(fields: dict[str, Any]) -> dict[str, Any]:
    return {DUELL_NAMES[k]: v for k, v in fields.items() if k in DUELL_NAMES}
