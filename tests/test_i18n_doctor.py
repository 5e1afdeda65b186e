"""Doctor in Norwegian (issue 22): every finding's title, text, remedy and records in nb carry
no word of the console's English vocabulary (tests/test_i18n_console.ENGLISH), sizes and days
are written as Norwegian writes them while `records` (what --json lists) keep ISO days; reasons
stored in English are read in the reader's language; an acknowledgement holds across a change
of language."""

from __future__ import annotations

import re
from datetime import date

import pytest

from core import reasons
from core.accounting import MAP_VAT, NO_ACCOUNT
from core.doctor import Check, Status, _digest, acknowledge, run_doctor
from core.i18n import set_language
from core.service import transfer
from core.transfers.foreign import REMEDY as FOREIGN_REMEDY
from core.transfers.foreign import ForeignBatch, ForeignBatchFound
from core.transfers.on_account import MISMATCH, NO_RATE, NONE_FETCHED, SEVERAL
from core.transfers.periods import CLOSED, MISSING
from core.transfers.stock import NOT_IN_VISMA
from tests.sandbox_fixtures import Installation
from tests.test_i18n_console import ENGLISH
from tests.test_i18n_findings import norwegian  # noqa: F401 - the fixture


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_][\w-]*", text))


async def test_every_finding_speaks_norwegian(
    installation: Installation,
    norwegian: None,  # noqa: F811 - after the installation, whose settings set the language
) -> None:
    rt = installation.rt
    await transfer(rt, "1", kinds=("zreport",), connections=installation.connections)
    checks = await run_doctor(rt, ["1"], connections=installation.connections)
    english = {
        c.id: said
        for c in checks
        if (said := words(" ".join([c.title, c.found, c.remedy, *c.shown_records])) & ENGLISH)
    }
    assert english == {}
    by_id = {c.id: c for c in checks}
    assert re.search(r": \d+,\d MB, WAL \d+,\d MB$", by_id["db.size"].found)
    month = by_id["zreport.month"]
    assert month.found == "1 dagsoppgjør tatt etter midnatt inn i neste måned"
    # The sandbox's Z 3 of register 1 was taken 2026-11-01 00:29 for 2026-10-31
    said = "dagsoppgjør 3 ble tatt 01.11.2026 00:29, i neste måned; det føres på 31.10.2026"
    assert month.shown_records == [f"{said} (periode 10-2026)"]
    assert month.as_dict()["records"] == [  # --json: the data, as stored
        "Z-report 3 was taken 2026-11-01 00:29, in the next month; it is booked on 2026-10-31 "
        "(period 202610)"
    ]


@pytest.mark.usefixtures("norwegian")
def test_a_reason_stored_in_english_reads_in_norwegian() -> None:
    stored = (
        "financial period 202610 (2026-10-01 - 2026-10-31) is closed in Visma's general ledger"
        "\n  → ask the accountant to reopen period 202610 in Visma, or to say where this "
        "document belongs; the next run sends it once the period is open"
    )
    assert reasons.reason_text(stored) == (
        "regnskapsperiode 10-2026 (2026-10-01 - 2026-10-31) er stengt i Vismas hovedbok"
        "\n  → be regnskapsføreren åpne periode 10-2026 i Visma igjen, eller si hvor dokumentet "
        "hører hjemme; neste kjøring sender det når perioden er åpen"
    )
    # A day in the language's format; a quoted message of Visma's verbatim; unknown as stored
    assert reasons.reason_text("Visma has no financial period for 2026-12-02") == (
        "Visma har ingen regnskapsperiode for 02.12.2026"
    )
    assert reasons.reason_text("in Visma as 000123, Batch is locked by another user") == (
        "i Visma som 000123, Batch is locked by another user"
    )
    assert reasons.reason_text(
        "Z-report 7 of department 1 cannot be booked: map VAT rate 12.5 % to a Visma VAT code"
    ) == (
        "dagsoppgjør 7 for avdeling 1 kan ikke bokføres: "
        "koble mva-sats 12,5 % til en Visma mva-kode"
    )
    assert reasons.reason_text("something else entirely") == "something else entirely"
    held = MISMATCH.format("1,250.00", 3, "2026-12-01", "1,000.00") + ": held until they agree"
    assert reasons.reason_text(held) == (  # amounts as Norwegian writes them
        "salg på faktura 1\xa0250,00\xa0kr på dagsoppgjør 3 for 01.12.2026, dagens "
        "fakturagrunnlag 1\xa0000,00\xa0kr: holdt tilbake til de stemmer"
    )
    set_language("en")
    assert reasons.reason_text("Visma has no financial period for 2026-12-02") == (
        "Visma has no financial period for 2026-12-02"
    )


def test_the_templates_say_what_the_writers_store() -> None:
    """The writers' positional constants are the registered templates, word for word."""

    def positional(msg: str) -> str:
        return re.sub(r"\{\w+\}", "{}", msg)

    assert positional(reasons.MAP_VAT) == MAP_VAT
    assert positional(reasons.NO_ACCOUNT) == NO_ACCOUNT
    assert positional(reasons.PERIOD_CLOSED) == CLOSED
    assert positional(reasons.PERIOD_MISSING) == MISSING
    assert FOREIGN_REMEDY in reasons.TEMPLATES
    stored = [  # as the writers put them together
        MISMATCH.format("1,250.00", 3, "2026-12-01", "1,000.00") + ": held until they agree",
        MISMATCH.format("1,250.00", 3, "2026-12-01", "0.00")
        + NONE_FETCHED
        + ": held until they agree",
        SEVERAL.format("2026-12-01")
        + " (DUELL-Z-1-3, DUELL-Z-1-4): the invoice bases do not say which register sold them",
        NO_RATE.format("12", 3),
        f"item 10046, 10056 {NOT_IN_VISMA}",
        str(
            ForeignBatchFound(
                "DUELL-Z-1-3", date(2026, 12, 1), [ForeignBatch("7", date(2026, 12, 1), "Z")]
            )
        ),
    ]
    for text in stored:
        assert all(
            reasons.parse(line.removeprefix(reasons.REMEDY_MARK)) for line in text.split("\n")
        ), text


async def test_an_acknowledgement_holds_in_the_other_language(
    installation: Installation,
) -> None:
    """Acknowledged in English, read in Norwegian: still acknowledged (the fingerprint is of
    the finding's data, not its words). Neither warning has records: their fingerprints were
    taken of their English sentences before; the webhook one says which records changed."""
    rt = installation.rt
    with rt.store.write() as db:  # as delta polling records a change with no webhook
        db["unannounced"].insert(
            {"department_id": "1", "entity": "product", "visma_id": "ITEM-1", "found_at": "x"}
        )
    ids = ("runner.alive", "masterdata.webhooks")

    async def warnings() -> dict[str, Check]:
        checks = await run_doctor(rt, ["1"], connections=installation.connections)
        return {c.id: c for c in checks if c.id in ids}

    before = await warnings()
    for c in before.values():
        assert c.status == Status.WARN and c.acknowledged is None
        acknowledge(rt, c, "seen")
    set_language("nb")
    try:
        after = await warnings()
    finally:
        set_language("en")
    for cid in ids:
        assert after[cid].found != before[cid].found  # the words changed
        assert after[cid].fingerprint == before[cid].fingerprint
        assert after[cid].acknowledged is not None
    with rt.store.write() as db:  # another record changed unannounced: the finding changed
        db["unannounced"].insert(
            {"department_id": "1", "entity": "product", "visma_id": "ITEM-2", "found_at": "x"}
        )
    assert (await warnings())["masterdata.webhooks"].acknowledged is None


async def test_an_acknowledgement_stored_before_still_holds(installation: Installation) -> None:
    """An audit row written with the fingerprint of the English sentence (as duvi took it
    before) still acknowledges the finding while it reads so; a new one is of the data."""
    from core.audit import record
    from core.doctor import ACK_ACTION

    rt = installation.rt
    check = next(
        c
        for c in await run_doctor(rt, ["1"], connections=installation.connections)
        if c.id == "runner.alive"
    )
    old = _digest([check.id, check.department_id, "warn", check.found])  # the old rule
    assert old != check.fingerprint
    record(rt.store, ACK_ACTION, target=check.id, after={"fingerprint": old, "reason": "old"})
    again = next(
        c
        for c in await run_doctor(rt, ["1"], connections=installation.connections)
        if c.id == "runner.alive"
    )
    assert again.acknowledged is not None and again.acknowledged["reason"] == "old"


@pytest.mark.usefixtures("norwegian")
def test_the_transfers_list_says_a_stored_reason_in_norwegian() -> None:
    """A row held and stored in English (a Visma refusal: its message is Visma's own, kept)
    reads in Norwegian in the list's reason column; the row itself (JSON) keeps the English."""
    from datetime import datetime

    from core.readmodels import TransferRow, transfer_cells
    from core.transferview import reason_of

    stored = (
        "Visma has no financial period for 2026-12-02\n  → ask the accountant to set up that "
        "financial year in Visma (Financial periods); the next run sends it"
    )
    refused = TransferRow(
        "DUELL-Z-1-8",
        "zreport",
        "failed",
        "",
        "",
        reason=reason_of("failed", "in Visma as 12, Locked"),
    )
    now = datetime(2026, 12, 2, 14, 5)
    held = TransferRow("DUELL-Z-1-9", "zreport", "attention", "", stored.splitlines()[0])
    assert transfer_cells(held, now)[-1] == "Visma har ingen regnskapsperiode for 02.12.2026"
    assert held.error == "Visma has no financial period for 2026-12-02"
    assert transfer_cells(refused, now)[-1] == "i Visma som 12, Locked"
