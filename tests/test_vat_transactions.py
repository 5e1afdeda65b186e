"""Journals Visma turns into VAT transactions (issue 19, item 1): the VAT category on each
taxable line, the VAT id on each VAT line, `createVatTransaction` on the header and
`skipVatAmountValidation` where DUELL's VAT is off by øre; the sandbox makes the VAT
transactions (shown on GET of the batch, through the spec oracle) and refuses batches that do
not add up. Sources: findings/2026-12-acct.md #1, core/sandbox/vat_transactions.py."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.accounting import build_journal, vat_of
from core.departments import DEFAULT_ACCOUNTS
from core.models import DepartmentSettings, Payment, VatSale, ZReport
from core.sandbox.common import Clock
from core.sandbox.visma_seed import seed_company
from core.sandbox.visma_state import Refused
from core.sandbox.visma_state import build_journal as sandbox_journal
from core.transfers import ZREPORT
from core.transfers.zreports import journal_write
from core.visma import wire
from core.visma.errors import VismaError
from tests.sandbox_fixtures import DuellWorld, Installation
from tests.test_transfers import run

D = Decimal
VAT_IDS = {D(25): "3", D(15): "31", D(12): "33", D(0): "5"}
# The sandbox company's VAT category of each VAT id (core/sandbox/visma_seed.py VAT_CODES).
CATEGORIES: dict[str, str | None] = {"3": "1", "31": "2", "33": "3", "5": "4", "6": "5"}


def day(sales: list[VatSale], **kw) -> ZReport:
    total = sum((s.gross for s in sales), D(0))
    base = dict(
        department_id="1",
        z_number=7,
        business_date=date(2026, 11, 2),
        closed_at=datetime(2026, 11, 2, 21, 0),
        sales=sales,
        payments=[Payment(type="bankaxept", amount=total)],
    )
    return ZReport(**{**base, **kw})


def book(report: ZReport):
    return build_journal(
        report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings(), vat_categories=CATEGORIES
    )


def per_code(batch) -> dict[str, tuple[Decimal, Decimal]]:
    return {t.tax_id: (t.taxable_amount, t.vat_amount) for t in batch.tax_details}


# -- a day by hand ------------------------------------------------------------------------------

# Gross per rate, VAT = gross x r / (100 + r) half up, net = gross - VAT:
#   25 %: 1,000.00 x 25/125 = 200.00           net 800.00
#   15 %:   230.00 x 15/115 =  30.00           net 200.00
#   12 %:   100.00 x 12/112 =  10.714 -> 10.71 net  89.29  (89.29 x 12 % = 10.7148: 10.71)
#    0 %:    50.00 zero-rated (code 5)          net  50.00, VAT 0
# Total 1,380.00 paid by BankAxept.
HAND_DAY = [
    VatSale(rate=D(25), gross=D("1000.00")),
    VatSale(rate=D(15), gross=D("230.00")),
    VatSale(rate=D(12), gross=D("100.00")),
    VatSale(rate=D(0), gross=D("50.00")),
]


def test_the_journal_asks_for_vat_transactions_with_category_and_id() -> None:
    j = book(day(HAND_DAY))
    assert j.create_vat_transaction and not j.skip_vat_amount_validation
    fields = [(ln.account, ln.credit, ln.vat_code_id, ln.vat_id) for ln in j.lines[:7]]
    a = DEFAULT_ACCOUNTS
    assert fields == [
        (a["revenue:25"], D("800.00"), "1", None),  # the category on the base
        (a["vat:25"], D("200.00"), None, "3"),  # the VAT id on the VAT line
        (a["revenue:15"], D("200.00"), "2", None),
        (a["vat:15"], D("30.00"), None, "31"),
        (a["revenue:12"], D("89.29"), "3", None),
        (a["vat:12"], D("10.71"), None, "33"),
        (a["revenue:0:5"], D("50.00"), "4", None),  # zero-rated: its category, no VAT line
    ]
    body = wire.body(journal_write(j))
    assert body["createVatTransaction"] == {"value": True}
    assert "skipVatAmountValidation" not in body


async def test_the_sandbox_makes_the_hand_computed_vat_transactions(visma) -> None:
    number = await visma.create_journal(journal_write(book(day(HAND_DAY))))
    batch = await visma.get_journal(number)  # GET through the spec oracle
    assert batch.create_vat_transaction is True
    assert per_code(batch) == {
        "3": (D("800.00"), D("200.00")),
        "31": (D("200.00"), D("30.00")),
        "33": (D("89.29"), D("10.71")),
        "5": (D("50.00"), D("0.00")),
    }


# DUELL's VAT summed per receipt: 15 % stated 30.03 on a gross of 230.00 (the day's recomputation
# is 30.00), so the base is 199.97 and Visma's own 15 % of it is 29.9955 -> 30.00: 3 øre off.
PER_RECEIPT = [VatSale(rate=D(15), gross=D("230.00"), net=D("199.97"), vat=D("30.03"))]


async def test_per_receipt_vat_skips_the_amount_check_and_keeps_duells_figure(visma) -> None:
    j = book(day(PER_RECEIPT))
    assert j.skip_vat_amount_validation
    batch = await visma.get_journal(await visma.create_journal(journal_write(j)))
    assert per_code(batch) == {"31": (D("199.97"), D("30.03"))}
    j.skip_vat_amount_validation = False  # the same batch without the flag is refused
    with pytest.raises(VismaError, match=r"VAT amount 30.03 of VAT ID '31'") as exc:
        await visma.create_journal(journal_write(j))
    assert exc.value.status == 400 and exc.value.visma_id  # Visma's {"message": "VismaId: …"}


async def test_the_sandbox_refuses_vat_lines_that_do_not_add_up(visma) -> None:
    j = book(day(HAND_DAY[:1]))
    no_id = journal_write(j)
    no_id.journal_transaction_lines[1].vat_id = None  # 2700 without its VAT id
    with pytest.raises(VismaError, match="account 2700 is the VAT account of VAT ID '3'"):
        await visma.create_journal(no_id)
    wrong_rate = journal_write(j)
    wrong_rate.journal_transaction_lines[0].vat_code_id = "2"  # the 15 % category on a 25 % base
    with pytest.raises(VismaError, match="VAT ID '3' \\(25 %\\) has a VAT line but no taxable"):
        await visma.create_journal(wrong_rate)
    assert not [b for b in await _all(visma)]  # nothing was recorded


async def _all(visma):
    return [b async for b in visma.list_journals(period="202611", module="GL")]


def test_a_vat_id_visma_keeps_without_a_category_holds_the_day() -> None:
    from core.accounting import JournalRefused

    with pytest.raises(JournalRefused, match="VAT id 3 is in no VAT category"):
        build_journal(
            day(HAND_DAY[:1]),
            DEFAULT_ACCOUNTS,
            VAT_IDS,
            DepartmentSettings(),
            vat_categories={**CATEGORIES, "3": None},
        )


# -- any consistent day -------------------------------------------------------------------------

ore = st.integers(min_value=-2_000_000, max_value=5_000_000).filter(bool)


@st.composite
def consistent_days(draw) -> ZReport:
    """Sales per rate as øre amounts; the VAT either left to duvi, or stated as DUELL sums it
    per receipt: the day's recomputation off by up to 5 øre."""
    rates = draw(st.lists(st.sampled_from(list(VAT_IDS)), min_size=1, max_size=4, unique=True))
    sales = []
    for rate in rates:
        gross = D(draw(ore)) / 100
        if rate and draw(st.booleans()):
            vat = vat_of(gross, rate) + D(draw(st.integers(-5, 5))) / 100
            sales.append(VatSale(rate=rate, gross=gross, net=gross - vat, vat=vat))
        else:
            sales.append(VatSale(rate=rate, gross=gross))
    return day(sales)


COMPANY = seed_company("t", "Sandbox Handel AS", Clock(), ["1"])


@settings(max_examples=300, deadline=None)
@given(consistent_days())
def test_any_consistent_day_makes_vat_transactions_that_sum_to_its_vat(report: ZReport) -> None:
    j = book(report)
    assert j.debit_total == j.credit_total
    fields = wire.unwrap(wire.body(journal_write(j)))  # the batch as it goes on the wire
    batch = sandbox_journal(COMPANY, fields, "000001")  # Refused would fail the test
    made = {t["taxId"]: (t["taxableAmount"], t["vatAmount"]) for t in batch["taxDetails"]}
    expected: dict[str, tuple[Decimal, Decimal]] = defaultdict(lambda: (D(0), D(0)))
    for s in report.sales:
        vat = s.vat if s.vat is not None else vat_of(s.gross, s.rate)
        expected[VAT_IDS[s.rate]] = (s.gross - vat, vat)
    assert made == dict(expected)


def test_a_batch_off_beyond_the_tolerance_is_refused_without_the_flag() -> None:
    fields = wire.unwrap(wire.body(journal_write(book(day(PER_RECEIPT)))))
    fields.pop("skipVatAmountValidation")
    with pytest.raises(Refused, match=r"is not 15 % of the taxable amount 199.97 \(30.00\)"):
        sandbox_journal(COMPANY, fields, "000001")


# -- department 1's 30 days ---------------------------------------------------------------------


async def test_department_ones_output_vat_reaches_the_vat_transactions(
    installation: Installation, duell_world: DuellWorld
) -> None:
    # The figure from the world's own data (DUELL's Z-reports as served), not duvi's journal.
    stated: dict[str, Decimal] = defaultdict(Decimal)
    for raw in duell_world.world.zreports["1"]:
        for s in raw["sales"]:
            stated[VAT_IDS[D(str(s["vatrate_percent"]))]] += D(str(s["vat_amount"]))
    total = sum(stated.values(), D(0))
    assert len(duell_world.world.zreports["1"]) == 30 and total > 0
    outcomes = await run(installation, kinds=(ZREPORT,))
    assert len(outcomes) == 30
    made: dict[str, Decimal] = defaultdict(Decimal)
    for batch in installation.company.journals.values():
        if batch["description"].startswith("DUELL-Z-1-"):
            assert batch["createVatTransaction"] is True
            for t in batch["taxDetails"]:
                made[t["taxId"]] += t["vatAmount"]
    assert {k: v for k, v in made.items() if v} == {k: v for k, v in stated.items() if v}
    assert sum(made.values(), D(0)) == total


async def test_preflight_names_a_zero_rate_vat_id_visma_lacks(installation: Installation) -> None:
    """The 0 % id is on no line (its base carries the category): preflight still checks it."""
    from core.transfers import PreflightError

    del installation.company.vat["5"]
    with pytest.raises(PreflightError) as exc:
        await run(installation, kinds=(ZREPORT,))
    assert "VAT id 5 does not exist in Visma" in str(exc.value)
