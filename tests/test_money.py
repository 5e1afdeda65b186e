"""One rounding rule for money (issue 19, item 5): half up to the øre, through core/money.py
only. The SAF-T export used banker's rounding and the journal half up (findings
2026-12-acct.md #13): the same Z-report gave two VAT figures."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from core.accounting import build_journal
from core.departments import DEFAULT_ACCOUNTS
from core.models import DepartmentSettings, Payment, VatSale, ZReport
from core.money import KRONE, round_money
from core.saft import export_zreports, read_zreports

D = Decimal
CORE = Path(__file__).parent.parent / "core"


def test_half_up_to_the_ore_and_to_the_krone() -> None:
    assert round_money(D("0.045")) == D("0.05")  # banker's rounding gives 0.04
    assert round_money(D("0.035")) == D("0.04")
    assert round_money(D("-0.045")) == D("-0.05")  # half away from zero, as a person writes it
    assert round_money(D("2535.50"), KRONE) == D("2536")  # banker's gives 2536 too ...
    assert round_money(D("2534.50"), KRONE) == D("2535")  # ... but 2534 here


def test_no_money_is_rounded_outside_the_helper() -> None:
    """Every quantize in core/ goes through core/money.py: no second rounding rule."""
    found = [
        f"{path.relative_to(CORE)}:{n}"
        for path in sorted(CORE.rglob("*.py"))
        if path.name != "money.py"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.quantize\(|ROUND_HALF|ROUND_DOWN|ROUND_UP|ROUND_CEILING|ROUND_FLOOR", line)
    ]
    assert found == []


def test_the_saft_export_and_the_journal_agree_on_a_half_ore() -> None:
    # 0.42 kr at 12 % with no stated VAT: 0.42 x 12 / 112 = 0.045 -> 0.05 half up (0.04 half
    # even), net 0.42 - 0.05 = 0.37.
    report = ZReport(
        department_id="1",
        z_number=3,
        business_date=date(2026, 11, 2),
        closed_at=datetime(2026, 11, 2, 21, 0),
        sales=[VatSale(rate=D(12), gross=D("0.42"))],
        payments=[Payment(type="cash", amount=D("0.42"))],
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, {D(12): "33"}, DepartmentSettings())
    assert [(ln.account, ln.credit) for ln in j.lines[:2]] == [
        (DEFAULT_ACCOUNTS["revenue:12"], D("0.37")),
        (DEFAULT_ACCOUNTS["vat:12"], D("0.05")),
    ]
    xml = export_zreports([report], company_ident="998877665", company_name="Garnbua AS")
    ns = {"s": etree.fromstring(xml).nsmap[None]}
    line = etree.fromstring(xml).find(".//s:reportCashSaleVat", ns)
    assert line is not None
    assert line.findtext("s:cashSaleAmnt", namespaces=ns) == "0.37"
    assert line.findtext("s:vatAmnt", namespaces=ns) == "0.05"
    back = read_zreports(xml, "1")[0]
    assert back.sales[0].vat == D("0.05")
