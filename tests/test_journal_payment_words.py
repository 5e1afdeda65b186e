"""DUELL's payment codes in the journal's texts (issue 22): an accountant reads "Betaling
kort", not "Betaling card", whatever the console's language; a code duvi does not know as
DUELL sent it. The text is no part of a journal's identity: a Z-report posted with the old
text is found in Visma and never posted again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.accounting import build_journal
from core.departments import DEFAULT_ACCOUNTS
from core.i18n import set_language
from core.ledger import Ledger, State
from core.models import DepartmentSettings, Payment, VatSale
from core.service import transfer
from core.transfers import ZREPORT
from tests.sandbox_fixtures import Installation
from tests.test_books_once import z

D = Decimal


@pytest.mark.parametrize("language", ["nb", "en"])
def test_payment_lines_name_the_means_in_norwegian(language: str) -> None:
    report = z(
        sales=[VatSale(rate=D(25), gross=D("700.00"), vat=D("140.00"))],
        payments=[
            Payment(type=t, amount=D("100.00"))
            for t in ("cash", "card", "bankaxept", "vipps", "giftcard", "invoice", "klarna")
        ],
    )
    set_language(language)
    try:
        j = build_journal(report, DEFAULT_ACCOUNTS, {D(25): "3"}, DepartmentSettings())
    finally:
        set_language("en")
    texts = [ln.text for ln in j.lines if ln.text.startswith("Betaling")]
    assert texts == [
        "Betaling kontant",
        "Betaling kort",
        "Betaling BankAxept",
        "Betaling Vipps",
        "Betaling gavekort",
        "Betaling faktura",
        "Betaling klarna",  # a code duvi does not know: as DUELL sent it
    ]


async def test_a_z_report_posted_with_the_old_text_is_not_posted_again(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Department 1's Z-reports posted by a duvi that wrote "Betaling card"; then every row in
    doubt (a kill between `sent` and the answer, or a restored backup): the next run, with
    the new texts, finds each batch by its key and posts none again."""
    import core.accounting

    inst = installation
    monkeypatch.setattr(core.accounting, "payment_journal_text", lambda t: f"Betaling {t}")
    await transfer(inst.rt, "1", kinds=(ZREPORT,), connections=inst.connections)
    monkeypatch.undo()

    def batches() -> dict[str, int]:
        out: dict[str, int] = {}
        for b in inst.company.journals.values():
            key = (b.get("description") or "").split(" ", 1)[0]
            if key.startswith("DUELL-Z-1-"):
                out[key] = out.get(key, 0) + 1
        return out

    before = batches()
    texts = {
        ln.get("transactionDescription")
        for b in inst.company.journals.values()
        for ln in b["journalTransactionLines"]
    }
    assert "Betaling card" in texts and "Betaling kort" not in texts  # the old duvi's
    assert before and set(before.values()) == {1}
    with inst.rt.store.write() as db:
        db.execute(
            "UPDATE ledger SET state = 'sent', visma_number = NULL "
            "WHERE department_id = '1' AND kind = 'zreport'"
        )
    await transfer(inst.rt, "1", kinds=(ZREPORT,), connections=inst.connections)
    assert batches() == before  # none posted twice
    rows = Ledger(inst.rt.store).rows("1", kind="zreport")
    assert rows and {r.state for r in rows} == {State.CONFIRMED}
