"""A document's view (the console's Enter on a transfer, `duvi transfers KEY`) in the
language (issue 22): Visma's True/False, status words, VAT categories, ISO timestamps and
financial period as a reader of the language writes them; JSON keeps them as stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from core.i18n import set_language
from core.readmodels import (
    DocumentLine,
    TransferDocument,
    TransferRow,
    VismaAnswer,
    document_text,
    transfer_cells,
)


@pytest.fixture
def oslo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shop's clock: Oslo, an hour ahead of UTC in December."""
    monkeypatch.setenv("TZ", "Europe/Oslo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


ROW = TransferRow(
    key="DUELL-Z-1-30",
    kind="zreport",
    state="confirmed",
    visma_number="000030",
    error="",
    business_date=date(2026, 11, 27),
    z_number=30,
    register="101",
    amount=Decimal("17572.25"),
    visma_status="Hold",
)
DOC = TransferDocument(
    row=ROW,
    source="as sent 2026-12-03T01:50:43.088Z",
    header=(
        ("Date", "2026-11-27T00:00:00"),
        ("Period", "202611"),
        ("On hold", "True"),
        ("VAT transactions", "False"),
    ),
    lines=(
        DocumentLine(
            text="Salg 25 % mva",
            account="3000",
            subaccount="01-000",
            credit=Decimal("100.00"),
            vat="cat. 1",
        ),
    ),
    debit=Decimal("0"),
    credit=Decimal("100.00"),
    flags=(),
    problem=None,
    answers=(
        VismaAnswer(
            "2026-12-03T01:50:43.088Z", "POST", "/v2/journaltransaction", "201", None, None
        ),
    ),
)


@pytest.mark.usefixtures("oslo")
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nb",
            [
                "DUELL-Z-1-30  dagsoppgjør  bekreftet  slik det ble sendt 03.12.2026 02:50",
                "Visma: 000030 holdt tilbake",
                "Dato:                27.11.2026",
                "Periode:             november 2026",
                "Holdt tilbake:       Ja",
                "Mva-transaksjoner:   Nei",
                "3000     01-000   Salg 25 % mva                               100,00 kat. 1",
                "03.12.2026 02:50  POST /v2/journaltransaction -> 201",
            ],
        ),
        (
            "en",
            [
                "DUELL-Z-1-30  Z-report  confirmed  as sent 2026-12-03 02:50",
                "Visma: 000030 on hold",
                "Date:                2026-11-27",
                "Period:              November 2026",
                "On hold:             Yes",
                "VAT transactions:    No",
                "3000     01-000   Salg 25 % mva                               100.00 cat. 1",
                "2026-12-03 02:50  POST /v2/journaltransaction -> 201",
            ],
        ),
    ],
)
def test_a_document_reads_in_the_language(language: str, expected: list[str]) -> None:
    set_language(language)
    lines = document_text(DOC).splitlines()
    assert [ln for ln in lines if ln in expected] == expected, lines


@pytest.mark.parametrize(
    ("language", "status"),
    [
        ("nb", ["holdt tilbake", "balansert", "bokført", "bokført", "åpen", "?"]),
        ("en", ["on hold", "balanced", "released", "released", "open", "?"]),
    ],
)
def test_visma_s_status_column_is_in_the_language(language: str, status: list[str]) -> None:
    """The list's Status column (console and `duvi transfers`): Visma's word in the language;
    one duvi has no word for (in doubt: "?") as it is."""
    set_language(language)
    from datetime import UTC, datetime

    now = datetime(2026, 12, 3, tzinfo=UTC)
    got = [
        transfer_cells(TransferRow("K", "zreport", "sent", "1", "", visma_status=s), now)[7]
        for s in ("Hold", "Balanced", "Released", "Posted", "Open", "?")
    ]
    assert got == status
