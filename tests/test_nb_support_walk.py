"""What a Norwegian support agent tripped over walking the console in nb (issue 22): numbers
with a decimal point, two names for one thing, a cut word, a row out of line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.i18n import set_language
from core.readmodels import DocumentLine, TransferDocument, TransferRow, document_text


def a_document(kind: str, lines: tuple[DocumentLine, ...]) -> TransferDocument:
    row = TransferRow(
        key=f"DUELL-{kind}-1-7",
        kind=kind,
        state="confirmed",
        visma_number="",
        error="",
        business_date=date(2026, 11, 27),
        amount=Decimal("1234.50") if kind == "invoice" else None,
    )
    return TransferDocument(
        row=row,
        source="as sent 2026-12-03T01:50:43.088Z",
        header=(),
        lines=lines,
        debit=Decimal(0),
        credit=Decimal(0),
        flags=(),
        problem=None,
        answers=(),
    )


INVOICE = a_document(
    "invoice",
    (
        DocumentLine(
            item="100",
            text="Kaffe 1 kg",
            quantity=Decimal("2.500"),
            unit_price=Decimal("450.00"),
            discount_percent=Decimal("12.50"),
            vat="3",
        ),
        DocumentLine(item="101", text="Kopp", quantity=Decimal("1250"), unit_price=Decimal(1)),
    ),
)
STOCK = a_document("stock", (DocumentLine(item="100", quantity=Decimal("-1.250"), warehouse="1"),))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nb",
            [
                "100        Kaffe 1 kg                        2,5       450,00   12,5 3",
                "101        Kopp                            1\xa0250         1,00        ",
                "100                   -1,25 1          ",
            ],
        ),
        (
            "en",
            [
                "100        Kaffe 1 kg                        2.5       450.00   12.5 3",
                "101        Kopp                            1,250         1.00        ",
                "100                   -1.25 1          ",
            ],
        ),
    ],
)
def test_quantities_and_discounts_are_numbers_of_the_language(
    language: str, expected: list[str]
) -> None:
    set_language(language)
    lines = document_text(INVOICE).splitlines() + document_text(STOCK).splitlines()
    assert [ln for ln in lines if ln.startswith(("100 ", "101 "))] == expected


JOURNAL = TransferDocument(
    row=TransferRow("DUELL-Z-1-30", "zreport", "confirmed", "000030", ""),
    source="as sent 2026-12-03T01:50:43.088Z",
    header=(),
    lines=(
        DocumentLine(text="Salg 25 % mva", account="3000", credit=Decimal("12404.50")),
        DocumentLine(text="Betaling kort", account="1920", debit=Decimal("12404.50")),
    ),
    debit=Decimal("12404.50"),
    credit=Decimal("12404.50"),
    flags=(),
    problem=None,
    answers=(),
)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_sum_row_starts_with_its_word_and_sits_under_its_columns(language: str) -> None:
    """A row that starts with spaces lost them in the popup's picture (the SVG screenshots), so
    its figures sat left of their columns: the sum's word starts the row, and each figure ends
    where its column's heading ends."""
    set_language(language)
    sums = {"nb": ("Sum", "Sum inkl. mva"), "en": ("Total", "Total incl. VAT")}[language]
    lines = document_text(JOURNAL).splitlines()
    heads = lines[lines.index("") + 1]
    total = next(ln for ln in lines if ln.lstrip().startswith(sums[0] + " "))
    assert total.startswith(sums[0])
    figure = {"nb": "12\xa0404,50", "en": "12,404.50"}[language]
    debit, credit = total.index(figure), total.rindex(figure)
    debit_head = {"nb": "Debet", "en": "Debit"}[language]
    credit_head = {"nb": "Kredit", "en": "Credit"}[language]
    assert debit + len(figure) == heads.index(debit_head) + len(debit_head)
    assert credit + len(figure) == heads.index(credit_head) + len(credit_head)

    lines = document_text(INVOICE).splitlines()
    heads = lines[lines.index("") + 1]
    total = next(ln for ln in lines if ln.lstrip().startswith(sums[1]))
    assert total.startswith(sums[1])
    price = {"nb": "Pris", "en": "Price"}[language]
    figure = {"nb": "1\xa0234,50", "en": "1,234.50"}[language]
    assert total.index(figure) + len(figure) == heads.index(price) + len(price)
