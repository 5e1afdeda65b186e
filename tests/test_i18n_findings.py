"""Findings and report rows a person reads in Norwegian (a second pair of eyes, 2026-12-02):
doctor's VAT mapping and foreign-batch findings, and the settlement report's VAT per code rows
for a rate without a VAT id, were English in `DUVI_LANGUAGE=nb` output; the VAT table's columns
slid right of their headings when a code was wider than ten characters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from core.boot import set_up
from core.cli.report import text
from core.departments import Departments
from core.doctor import Status, run_doctor
from core.i18n import set_language
from core.sandbox.world import sandbox_credentials
from core.service import run_department, transfer
from core.settlement import Settlement, VatCodeTotal
from tests.sandbox_fixtures import Installation


@pytest.fixture
def norwegian() -> Iterator[None]:
    set_language("nb")
    try:
        yield
    finally:
        set_language("en")


def test_the_vat_table_says_an_unmapped_rate_in_norwegian_under_its_headings(
    norwegian: None,
) -> None:
    r = Settlement(
        "3",
        "Trondheim Solsiden",
        date(2026, 11, 1),
        ("202705",),
        (),
        (
            VatCodeTotal(
                "rate 25 % (not mapped)",
                Decimal(0),
                Decimal(0),
                Decimal("267058.18"),
                Decimal("66764.54"),
            ),
            VatCodeTotal("3", Decimal(100), Decimal(25), Decimal(100), Decimal(25)),
        ),
    )
    lines = text(r)
    head = next(ln for ln in lines if ln.startswith("Kode"))
    unmapped = next(ln for ln in lines if "25 %" in ln)
    mapped = next(ln for ln in lines if ln.startswith("3 "))
    assert unmapped.startswith("sats 25 % (ikke koblet) ")
    assert "not mapped" not in "\n".join(lines)
    # Each figure ends under its heading ("DUELL mva" last); nb groups with a no-break space.
    assert unmapped.index("66\xa0764,54") + len("66\xa0764,54") == len(head)
    assert mapped.index("25,00", len(head) - 11) + len("25,00") == len(head)
    figure = "267\xa0058,18"
    assert unmapped.index(figure) + len(figure) == head.index("DUELL grunnlag") + 14


async def test_doctor_says_an_unmapped_rate_in_norwegian(
    installation: Installation, norwegian: None
) -> None:
    await transfer(installation.rt, "1", kinds=("zreport",), connections=installation.connections)
    Departments(installation.rt.store, installation.rt.secrets).set_vat_mapping(
        "1", Decimal(15), None
    )
    checks = await run_doctor(installation.rt, ["1"], connections=installation.connections)
    found = {c.id: c for c in checks}["mapping.vat"]
    assert found.status == Status.FAIL
    assert "koble mva-sats 15 % til en Visma mva-kode" in found.found
    assert "map VAT rate" not in found.found


async def test_doctor_says_the_foreign_batch_and_its_remedy_in_norwegian(
    installation: Installation, norwegian: None
) -> None:
    # Department 3's world holds DUELL's own module's batch 000001 of 2026-11-23 (Z 26).
    set_up(installation.connections.departments, sandbox_credentials(7)[2])
    await run_department(installation.rt, "3", connections=installation.connections)
    checks = await run_doctor(installation.rt, ["3"], connections=installation.connections)
    found = {c.id: c for c in checks}["visma.foreign_batches"]
    assert found.status == Status.FAIL
    assert "bunt 000001 fra 23.11.2026" in found.found
    assert found.remedy.startswith("slå av Z-rapport/Faktura i DUELLs Visma-modul")
    assert "turn off" not in found.remedy
    # What a program reads stays as it was (JSON, the same in both languages).
    assert found.records == ["batch 000001 of 2026-11-23 (Dagsoppgjør 2026-11-23 Z 26)"]


def test_departments_customer_and_doctor_customer_speak_norwegian(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.cli import run
    from tests.test_cli import sandbox_installation

    sandbox_installation()
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    run(["departments", "customer", "1", "2", "--id", "4711"])
    assert capsys.readouterr().out.strip() == "kunde 4711: avdelinger 1, 2"
    run(["doctor", "-d", "3", "--customer", "4711"])
    err = capsys.readouterr().err
    assert "avdeling 3 hører ikke til kunde 4711" in err
    assert "kunde 4711 har avdelingene 1, 2" in err
