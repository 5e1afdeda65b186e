"""A document's view (the console's Enter on a transfer, `duvi transfers KEY`) in the
language (issue 22): Visma's True/False, status words, VAT categories, ISO timestamps and
financial period as a reader of the language writes them; JSON keeps them as stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
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
                "Periode:             11-2026 (november 2026)",
                "Holdt tilbake:       Ja",
                "Mva-transaksjoner:   Nei",
                "3000     01-000   Salg 25 % mva                         100,00 kat. 1",
                "03.12.2026 02:50:43  POST /v2/journaltransaction  svar 201",
            ],
        ),
        (
            "en",
            [
                "DUELL-Z-1-30  Z-report  confirmed  as sent 2026-12-03 02:50",
                "Visma: 000030 on hold",
                "Date:                2026-11-27",
                "Period:              11-2026 (November 2026)",
                "On hold:             Yes",
                "VAT transactions:    No",
                "3000     01-000   Salg 25 % mva                         100.00 cat. 1",
                "2026-12-03 02:50:43  POST /v2/journaltransaction  answer 201",
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


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nb",
            [
                "Salg 11,11 %",
                "Utgående mva 11,11 %",
                "11,11 %",
                "25 % / 12,5 %",
                "ingen sats",
                "sats 11,11 % (ikke koblet)",
                "sats 11,11 % (ikke koblet)",
            ],
        ),
        (
            "en",
            [
                "Sales 11.11 %",
                "Output VAT 11.11 %",
                "11.11 %",
                "25 % / 12.5 %",
                "no rate",
                "rate 11.11 % (not mapped)",
                "rate 11.11 % (not mapped)",
            ],
        ),
    ],
)
def test_a_rate_has_the_language_s_decimal_sign(language: str, expected: list[str]) -> None:
    """The account map's lines (m), the VAT code picker's rates (v, Enter), the VAT per code's
    and an invoice line's unmapped rate: nb writes 11,11 % (a reviewer saw "Salg 11.11 %")."""
    from core.api import account_label
    from core.readmodels import vat_text
    from core.reasons import rates_shown
    from core.settlement import vat_code_text

    set_language(language)
    assert [
        account_label("revenue:11.11"),
        account_label("vat:11.11"),
        rates_shown("11.11 %"),
        rates_shown("25 % / 12.5 %"),
        rates_shown("no rate"),
        vat_code_text("rate 11.11 % (not mapped)"),
        vat_text("11.11 % unmapped"),  # an invoice line's rate with no VAT id
    ] == expected


@pytest.mark.parametrize(
    ("language", "paid", "held"),
    [
        (
            "nb",
            "  Betalt kort 100,00\xa0kr · kontant 5,00\xa0kr · BankAxept 6,11\xa0kr · "
            "Vipps 0,00\xa0kr",
            ["Salg 11,11 %:        111,00\xa0kr", "Betalt kort:         100,00\xa0kr"],
        ),
        (
            "en",
            "  Paid card NOK\xa0100.00 · cash NOK\xa05.00 · BankAxept NOK\xa06.11 · "
            "Vipps NOK\xa00.00",
            ["Sales 11.11 %:       NOK\xa0111.00", "Paid card:           NOK\xa0100.00"],
        ),
    ],
)
def test_payment_types_are_words_of_the_language(language: str, paid: str, held: list[str]) -> None:
    """The reconciliation's day (S) and a held journal's facts say DUELL's payment types in
    the language (nb kort, kontant; BankAxept and Vipps are names); JSON keeps the type."""
    from dataclasses import replace

    from core.settlement import SaleTotal, SettlementDay
    from tui.screens.settlement import day_text

    set_language(language)
    day = SettlementDay(
        date(2026, 11, 27),
        (),
        (SaleTotal(Decimal("11.11"), Decimal("111.11"), Decimal("100.00"), Decimal("11.11")),),
        {
            "card": Decimal(100),
            "cash": Decimal(5),
            "bankaxept": Decimal("6.11"),
            "vipps": Decimal(0),
        },
        Decimal(0),
        Decimal(0),
        Decimal(0),
    )
    assert day_text(day).splitlines()[2] == paid
    doc = replace(DOC, header=(("Sales 11.11 %", "111"), ("Paid card", "100")))
    assert [ln for ln in document_text(doc).splitlines() if ln in held] == held


def test_a_held_document_s_reason_is_said_in_whole_sentences() -> None:
    """The line the transfers view puts above a held document's stored reason (what it
    lacks, what happens next) is English where stored and said (JSON keeps it), a whole
    Norwegian sentence in nb: the transfers list's reason column, the console's detail line
    and a document's "why it waits" (issue 22)."""
    from core.readmodels import reason_shown
    from core.transferview import reason_of

    mapping = (
        "Z-report 4 of department 1 cannot be booked: map VAT rate 12.5 % to a Visma VAT code; "
        "no account is mapped for payment:stripe\n  → set it in the account mapping editor"
    )
    period = "financial period 202611 (2026-11-01..2026-11-30) is closed in Visma's general ledger"
    said = [reason_of("attention", mapping), reason_of("attention", period)]
    assert said == [
        "VAT 12.5 % has no Visma VAT id; payment:stripe has no account: fixed? the next run "
        "sends it\n" + mapping,
        "period 202611 closed in Visma: opened? the next run sends it\n" + period,
    ]
    assert [reason_shown(s) for s in said] == said  # en: as stored
    set_language("nb")
    assert [reason_shown(s).splitlines()[0] for s in said] == [
        "mva-sats 12,5 % har ingen mva-kode i Visma; payment:stripe har ingen konto: rettet? "
        "neste kjøring sender den",
        "periode 11-2026 er lukket i Visma: åpnet? neste kjøring sender den",
    ]
    assert reason_shown(said[1]).splitlines()[1] == (
        "regnskapsperiode 11-2026 (2026-11-01..2026-11-30) er stengt i Vismas hovedbok"
    )
    row = TransferRow(
        "DUELL-Z-1-4", "zreport", "attention", "", period, date(2026, 11, 1), reason=said[1]
    )
    assert transfer_cells(row, datetime(2026, 12, 3, tzinfo=UTC))[-1] == (
        "periode 11-2026 er lukket i Visma: åpnet? neste kjøring sender den"
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "Periode:             05-2027 (november 2026)"),
        ("en", "Period:              05-2027 (November 2026)"),
    ],
)
def test_a_july_year_s_period_is_named_as_visma_does_with_its_month(
    language: str, expected: str
) -> None:
    """Period 05 of the financial year 2027 (a year from July) holds November 2026: the
    header said "mai 2027" (the id read as a calendar month)."""
    doc = replace(DOC, header=(("Period", "202705"),))
    set_language(language)
    try:
        lines = document_text(doc).splitlines()
    finally:
        set_language("en")
    assert expected in lines, lines


def test_a_closed_period_s_reason_names_the_month_it_covers() -> None:
    """A held document's stored reason: Visma's period id and the month it covers (nb
    november 2026), not the stored ISO days."""
    stored = (
        "financial period 202705 (2026-11-01 to 2026-11-30) is closed in Visma's general ledger"
    )
    set_language("nb")
    try:
        from core.readmodels import reason_shown

        shown = reason_shown(stored)
    finally:
        set_language("en")
    assert shown == "regnskapsperiode 05-2027 (november 2026) er stengt i Vismas hovedbok"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("nb", ["  Z 6: bunt 000006 (holdt tilbake)", "  Z 7: bunt 000007 (ikke postert)"]),
        ("en", ["  Z 6: batch 000006 (on hold)", "  Z 7: batch 000007 (unposted)"]),
    ],
)
def test_the_settlement_day_says_visma_s_batch_status_in_the_language(
    language: str, said: list[str]
) -> None:
    """The reconciliation's day (S) says Visma's batch status in the language (nb `bunt
    000006 (holdt tilbake)`, never Visma's raw "Hold"); JSON keeps Visma's value."""
    from core.settlement import SettlementDay, ZReconciliation
    from tui.screens.settlement import day_text

    set_language(language)
    zs = tuple(
        ZReconciliation(
            f"DUELL-Z-1-{n}",
            n,
            "1",
            "confirmed",
            Decimal(0),
            Decimal(0),
            f"00000{n}",
            status,
            Decimal(0),
            (),
            (),
        )
        for n, status in ((6, "Hold"), (7, "Unposted"))
    )
    day = SettlementDay(date(2026, 11, 27), zs, (), {}, Decimal(0), Decimal(0), Decimal(0))
    assert day_text(day).splitlines()[3:5] == said


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_documents_lines_fit_the_document_box_at_80_columns(language: str) -> None:
    """The console's document box holds 70 columns at 80: a line wider wrapped its VAT id
    onto the next row, where nb "3" stood beside a credit as if part of it ("3 101,13 3").
    Written by hand: a shop's largest day, Visma's VAT id and DUELL's category, a long text."""
    set_language(language)
    lines = (
        DocumentLine(
            text="Utgående mva 25 %", account="2700", subaccount="01-000",
            credit=Decimal("3101.13"), vat="3",
        ),
        DocumentLine(
            text="Betaling gavekort innløst i annen butikk", account="2960",
            subaccount="01-000", debit=Decimal("1234567.89"), vat="cat. 1",
        ),
    )  # fmt: skip
    shown = document_text(
        replace(DOC, lines=lines, debit=Decimal("1234567.89"), credit=Decimal("3101.13"))
    )
    table = shown.split("\n\n")[1].splitlines()
    assert all(len(line) <= 70 for line in table), [ln for ln in table if len(ln) > 70]
    assert table[1].endswith("3\xa0101,13 3" if language == "nb" else "3,101.13 3")
    assert "Betaling gavekort…" in table[2]
