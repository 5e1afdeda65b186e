"""Issue 19, items 2-4: cost of goods booked once, a sale on account counted once, and the
default accounts taken from Skatteetaten's standard chart (the CSV copied into the repo, read
here). Figures are computed by hand and written as literals."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from core.accounting import COGS_ONCE, build_journal
from core.config import load_settings
from core.departments import DEFAULT_ACCOUNTS, Departments
from core.errors import ConfigError
from core.models import DepartmentSettings, Payment, VatSale, ZReport
from core.runtime import Runtime

D = Decimal
ROOT = Path(__file__).parent.parent
CHART = ROOT / "core" / "standard_chart" / "General_Ledger_Standard_Accounts_4_character.csv"
VAT_IDS = {D(25): "3", D(15): "31", D(12): "33", D(0): "5", D("11.11"): "32"}


def standard_chart() -> dict[str, str]:
    with CHART.open(encoding="utf-8", newline="") as f:
        return {r["AccountID"]: r["DescriptionNOR"] for r in csv.DictReader(f, delimiter=";")}


def z(**kw) -> ZReport:
    base = dict(
        department_id="1",
        z_number=1112,
        business_date=date(2026, 11, 10),
        closed_at=datetime(2026, 11, 10, 21, 5),
        sales=[],
        payments=[],
    )
    return ZReport(**{**base, **kw})


def moves(journal, account: str) -> list[tuple[str, str]]:
    return [(str(ln.debit), str(ln.credit)) for ln in journal.lines if ln.account == account]


# -- item 4: the default accounts --------------------------------------------------------


def test_every_default_account_is_in_skatteetatens_standard_chart() -> None:
    chart = standard_chart()
    assert len(chart) == 746  # the whole file, not a selection
    missing = {key: acc for key, acc in DEFAULT_ACCOUNTS.items() if acc not in chart}
    assert missing == {}
    # The defaults the accountant's review named, and what they are in the standard.
    assert chart["1580"] == "Avsetning tap på kundefordringer"  # never a card clearing
    assert "1581" not in chart and "7740" not in chart and "2901" not in chart
    assert (DEFAULT_ACCOUNTS["payment:card"], DEFAULT_ACCOUNTS["payment:vipps"]) == (
        "1579",
        "1590",
    )
    assert (DEFAULT_ACCOUNTS["revenue:15"], DEFAULT_ACCOUNTS["revenue:12"]) == ("3030", "3050")
    assert DEFAULT_ACCOUNTS["payment:creditnote"] == "2900"  # a tilgodelapp: not the fallback


@pytest.mark.parametrize(
    ("code", "account"), [("5", "3100"), ("6", "3200"), ("52", "3105"), (None, "3100")]
)
def test_zero_rate_sales_go_to_the_account_of_their_saft_code(code, account) -> None:
    # 1,000.00 kr of courses at 0 %: no VAT line, the whole gross is revenue.
    report = z(
        sales=[VatSale(rate=D(0), gross=D("1000.00"))],
        payments=[Payment(type="cash", amount=D("1000.00"))],
    )
    codes = {D(0): code} if code else None
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings(), saft_codes=codes)
    assert moves(j, account) == [("0", "1000.00")]
    assert moves(j, "1900") == [("1000.00", "0")]


def test_a_zero_rate_mapped_to_vismas_exempt_id_books_as_exempt(home: Path) -> None:
    """0 % mapped to Visma VAT id 6 (outside the VAT Act) is SAF-T code 6, also for a mapping
    stored earlier with code 5 (the code used to follow the rate alone)."""
    report = z(
        sales=[VatSale(rate=D(0), gross=D("450.00"))],
        payments=[Payment(type="card", amount=D("450.00"))],
    )
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        depts.add("7", "Tromsø")
        depts.save_settings("7", DepartmentSettings())
        depts.set_vat_mapping("7", D(0), "6")
        assert depts.vat_mappings("7")[D(0)].saft_code == "6"
        with rt.store.write() as db:  # as stored before
            db.execute("UPDATE vat_mappings SET saft_code = '5' WHERE department_id = '7'")
        codes = depts.saft_codes("7")
        amap = depts.account_map("7")
    assert codes == {D(0): "6"}
    j = build_journal(report, amap, {D(0): "6"}, DepartmentSettings(), saft_codes=codes)
    assert moves(j, "3200") == [("0", "450.00")] and moves(j, "1579") == [("450.00", "0")]


def test_a_tilgodelapp_is_a_liability_not_the_fallback() -> None:
    # 300 kr sold, 100 kr of it paid with a tilgodelapp: Dr 2900 100.00, no fallback flag.
    report = z(
        sales=[VatSale(rate=D(25), gross=D("300.00"))],
        payments=[
            Payment(type="cash", amount=D("200.00")),
            Payment(type="creditnote", amount=D("100.00")),
        ],
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings())
    assert moves(j, "2900") == [("100.00", "0")]
    assert moves(j, "3000") == [("0", "240.00")] and moves(j, "2700") == [("0", "60.00")]
    assert j.flags == []


def test_a_department_set_up_before_keeps_its_accounts_a_new_one_gets_the_standard(
    home: Path,
) -> None:
    """No account changes under an accountant: settings saved before the standard defaults
    (no `account_defaults` in the stored row) keep the legacy defaults, including 3100 for
    every 0 % sale; a department set up now gets the standard chart's."""
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        depts.add("8", "Bodø")
        old = DepartmentSettings().model_dump(mode="json")
        del old["account_defaults"]  # as a row saved by an earlier duvi reads
        with rt.store.write() as db:
            db.table("department_settings").insert(
                {"department_id": "8", "settings": json.dumps(old), "updated_at": "2026-11-01"}
            )
        depts.add("9", "Mo i Rana")
        depts.save_settings("9", DepartmentSettings())
        old_map, new_map = depts.account_map("8"), depts.account_map("9")
        assert (old_map["payment:card"], old_map["payment:vipps"], old_map["rounding"]) == (
            "1580",
            "1581",
            "7740",
        )
        assert (new_map["payment:card"], new_map["payment:vipps"], new_map["rounding"]) == (
            "1579",
            "1590",
            "7798",
        )
        # A save of other settings keeps the department on its defaults.
        legacy = depts.get("8").settings  # type: ignore[union-attr]
        depts.save_settings("8", legacy.model_copy(update={"automatic_transfer": True}))
        assert depts.account_map("8")["payment:card"] == "1580"
        # An exempt (code 6) sale still books where it always did: the legacy "revenue:0".
        report = z(
            sales=[VatSale(rate=D(0), gross=D("500.00"))],
            payments=[Payment(type="cash", amount=D("500.00"))],
        )
        j = build_journal(report, old_map, VAT_IDS, legacy, saft_codes={D(0): "6"})
        assert moves(j, "3100") == [("0", "500.00")]


# -- item 2: cost of goods once ----------------------------------------------------------

DAY = dict(
    sales=[VatSale(rate=D(25), gross=D("20000.00"))],
    payments=[Payment(type="bankaxept", amount=D("20000.00"))],
    cost_of_goods=D("9561.09"),
)


def test_inventory_change_alone_moves_1460_once_by_the_days_cost() -> None:
    j = build_journal(
        z(**DAY), DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings(inventory_change=True)
    )
    assert moves(j, "1460") == [("0", "9561.09")]
    assert moves(j, "4390") == [("9561.09", "0")]
    assert j.debit_total == j.credit_total == D("29561.09")  # 20,000 + 9,561.09


def test_with_stock_issues_on_too_the_journal_leaves_1460_to_the_issue() -> None:
    """A department saved with both on (before the refusal): Visma's stock issue credits 1460
    for the day's items; the journal no longer does, so 1460 moves once, not 9,561.09 +
    614.58 = 10,175.67 as in the review's 2026-11-10."""
    both = DepartmentSettings.model_construct(
        **{**DepartmentSettings().__dict__, "inventory_change": True, "stock_update": True}
    )
    j = build_journal(z(**DAY), DEFAULT_ACCOUNTS, VAT_IDS, both)
    assert moves(j, "1460") == [] and moves(j, "4390") == []
    assert j.debit_total == j.credit_total == D("20000.00")
    assert COGS_ONCE in j.flags


def test_settings_refuse_both_and_say_what_to_do(home: Path) -> None:
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        depts.add("7", "Tromsø")
        with pytest.raises(ConfigError) as refused:
            depts.save_settings("7", DepartmentSettings(inventory_change=True, stock_update=True))
        assert refused.value.exit_code == 3
        assert "cannot both be on" in refused.value.message
        assert "turn one off" in refused.value.remedy
        assert depts.get("7").settings.stock_update is False  # type: ignore[union-attr]


# -- item 3: a sale on account once ------------------------------------------------------


def test_a_sale_on_account_goes_to_the_clearing_account_not_to_the_receivables() -> None:
    """A day of 3,750.00 kr at 25 %: 2,500.00 paid in cash and one 1,250.00 kr sale on
    account. Revenue 3,750 x 100/125 = 3,000.00 and VAT 750.00, once, on the Z; the sale on
    account is debited to 1530 (accrued, not invoiced), which the invoice made from its
    invoice basis clears (Dr 1500 customer / Cr 1530): the receivable is the invoice's,
    in the customer ledger, once. 1500 is never touched by the Z journal."""
    report = z(
        sales=[VatSale(rate=D(25), gross=D("3750.00"))],
        payments=[
            Payment(type="cash", amount=D("2500.00")),
            Payment(type="invoice", amount=D("1250.00")),
        ],
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings())
    assert moves(j, "3000") == [("0", "3000.00")]
    assert moves(j, "2700") == [("0", "750.00")]
    assert moves(j, "1530") == [("1250.00", "0")]
    assert moves(j, "1500") == []
    assert moves(j, "1900") == [("2500.00", "0")]
    assert j.debit_total == j.credit_total == D("3750.00")


def test_the_account_editor_offers_every_key_a_waiting_z_report_meets(home: Path) -> None:
    """A payment type DUELL sends that the map lacks ("pant": booked on the fallback) and a
    rate the map has no account for are offered as rows to add, not only SAF-T types."""
    from core.ledger import Ledger
    from core.transfers.zreports import register_zreports, unmapped

    report = z(
        sales=[VatSale(rate=D(25), gross=D("125.00")), VatSale(rate=D(6), gross=D("106.00"))],
        payments=[
            Payment(type="cash", amount=D("200.00")),
            Payment(type="pant", amount=D("31.00")),
        ],
    )
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        depts.add("7", "Tromsø")
        ledger = Ledger(rt.store)
        register_zreports(ledger, rt.log, "7", [report], "test")
        needed = unmapped(ledger, "7", depts.account_map("7"))
    assert needed == {
        "payment:pant": "Payment pant",
        "revenue:6": "Sales 6 %",
        "vat:6": "Output VAT 6 %",
    }
