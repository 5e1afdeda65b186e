"""A product conflict's compared fields are named in the language (issue 22: the conflicts
screen showed DUELL's record keys, product_number, vat_rate …, beside a translated "Navn")."""

from __future__ import annotations

import pytest

from core.conflicts import Conflict, compare
from core.i18n import set_language

# A product conflict as DUELL's product record gives it (keys as DUELL's API writes them)
PRODUCT = Conflict(
    id=7,
    department_id="1",
    entity="product",
    source="duell",
    incoming_id="1",
    incoming={
        "product_id": 1,
        "product_number": "1001",
        "name": "Bomull aquamarine",
        "barcode": "7071234567890",
        "vat_rate": "25.00",
        "price_inc_vat": "129.00",
        "cost_price": "52.10",
        "category": "Garn",
        "colourway": "aqua",
    },
    candidates=[{"id": "1001", "product_number": "1001", "name": "Bomull"}],
    match_key="product_number",
    state="open",
    resolution=None,
    created_at="2026-12-03T00:00:00.000Z",
)


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        (
            "nb",
            [
                "Vare-id",
                "Varenummer",
                "Navn",
                "Strekkode",
                "Mva-sats",
                "Pris inkl. mva",
                "Kostpris",
                "Kategori",
                "colourway",
            ],
        ),
        (
            "en",
            [
                "Product id",
                "Product number",
                "Name",
                "Barcode",
                "VAT rate",
                "Price inc. VAT",
                "Cost price",
                "Category",
                "colourway",
            ],
        ),
    ],
)
def test_a_product_conflict_s_fields_are_named(language: str, labels: list[str]) -> None:
    set_language(language)
    rows = compare(PRODUCT)
    assert [r.label for r in rows] == labels  # a field DUELL adds later: its key, as it is
    assert [r.field for r in rows][:2] == ["product_id", "product_number"]


def test_the_match_key_is_named_too() -> None:
    from core.conflicts import field_label

    set_language("nb")
    assert (field_label("product_number"), field_label("name"), field_label("odd")) == (
        "Varenummer",
        "Navn",
        "odd",
    )
