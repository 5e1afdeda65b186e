"""SAF-T Cash Register: exports validate against Skatteetaten's XSD, read back the same, and
bad files get a message naming the element and the line, never a traceback."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.duell.client import zreport_from_wire
from core.models import ZReport
from core.saft import SaftError, export_zreports, read_zreports, schema, validate

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def reports(seeded_world) -> list[ZReport]:
    return [zreport_from_wire(r, "2") for r in seeded_world.zreports["2"]]


@pytest.fixture(scope="module")
def exported(reports) -> bytes:
    return export_zreports(reports, company_ident="998877665", company_name="Garnbua AS")


def test_export_validates_against_the_xsd(exported: bytes) -> None:
    from lxml import etree

    assert schema().is_valid(etree.ElementTree(etree.fromstring(exported)))


def test_round_trip(reports, exported: bytes) -> None:
    back = read_zreports(exported, "2")
    assert len(back) == len(reports) == 30
    for original, read in zip(reports, back, strict=True):
        # cost of goods and per-item sales are not in a Z-report event: SAF-T does not carry them
        assert read == original.model_copy(
            update={"cost_of_goods": read.cost_of_goods, "items_sold": read.items_sold}
        )
        assert read.inconsistencies() == []


@pytest.mark.slow
def test_read_from_a_path_and_the_sandbox_command(tmp_path: Path) -> None:
    out = tmp_path / "dept1.xml"
    r = subprocess.run(
        [sys.executable, "-m", "tui.cli", "sandbox", "saft", "--dept", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr
    got = read_zreports(out, "1")
    assert [z.z_number for z in got] == list(range(1, 31))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d[: len(d) // 2], "not well-formed XML (line"),
        (lambda d: b"", "not well-formed XML"),
        (
            lambda d: (
                b"<?xml version='1.0'?><AuditFile xmlns='urn:StandardAuditFile-Taxation:NO'/>"
            ),
            "not a SAF-T Cash Register file",
        ),
        (
            lambda d: d.replace(b"<reportDate>", b"<reportDate>31.12.", 1),
            "element /auditfile/company/location/cashregister/event/eventReport/reportDate (line",
        ),
        (lambda d: d.replace(b"<paymentAmnt>", b"<paymentAmnt>ti kroner", 1), "paymentAmnt"),
        (lambda d: d.replace(b"<reportType>Z report", b"<reportType>Y report", 1), "reportType"),
        (lambda d: d.replace(b"<eventType>13009", b"<eventType>99999", 1), "eventType"),
    ],
)
def test_bad_files_name_the_element_and_line(exported: bytes, mutate, expected: str) -> None:
    with pytest.raises(SaftError) as exc:
        read_zreports(mutate(exported), "2")
    assert expected in exc.value.message
    assert exc.value.remedy


def test_an_unreadable_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SaftError, match="cannot read"):
        read_zreports(tmp_path / "missing.xml", "1")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_any_bytes_give_reports_or_a_saft_error(data: bytes) -> None:
    with contextlib.suppress(SaftError):
        validate(data)
