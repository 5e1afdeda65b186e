"""The command line's own words in the language (issue 22, the nb walk): the log's level and
entity, a yes/no setting, an audit line's missing value and Visma's period, each said as the
language says it; the English names still accepted by --level and --entity, and --json as
stored."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core import boot
from core.i18n import period_text, set_language
from tests.test_cli import sandbox_installation
from tests.test_i18n_cli import said, speak_env


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Department 1's Z-reports synced once: Z 3 of 1 November 00:27 is booked on 31 October,
    and the sync logs that as a warning of entity zreport."""
    boot.sandbox.cache_clear()
    sandbox_installation()
    said(capsys, ["sync", "-d", "1", "-e", "zreports"])
    yield
    set_language("en")


def test_the_log_says_its_level_and_entity_in_the_language_and_takes_both_names(
    synced, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    nb = said(capsys, ["log", "-l", "warning", "-e", "zreport"]).splitlines()
    assert nb and all(" ADVARSEL 1/dagsoppgjør kjøring " in ln for ln in nb), nb
    assert any(ln.endswith("(periode 10-2026)") for ln in nb), nb
    # the Norwegian names select the same events
    assert said(capsys, ["log", "-l", "advarsel", "-e", "dagsoppgjør"]).splitlines() == nb
    assert said(capsys, ["log", "-l", "ADVARSEL", "-e", "Dagsoppgjør"]).splitlines() == nb

    monkeypatch.setenv("DUVI_LANGUAGE", "en")
    en = said(capsys, ["log", "-l", "warning", "-e", "zreport"]).splitlines()
    assert len(en) == len(nb)
    assert all(" WARNING  1/Z-report run " in ln for ln in en), en
    # an English event is its stored sentence (core/eventtext.py), Visma's period as it was
    assert any(ln.endswith("(period 202610)") for ln in en), en
    # JSON keeps the stored names in either language
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    rows = [json.loads(ln) for ln in said(capsys, ["log", "-l", "warning", "--json"]).splitlines()]
    assert {r["level"] for r in rows} == {"WARNING"}
    assert "zreport" in {r["entity"] for r in rows}


def test_config_says_yes_or_no_and_audit_says_none_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_installation()
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    config = said(capsys, ["config"]).splitlines()
    assert [ln.split()[1] for ln in config if ln.startswith("sandbox ")] == ["Ja"]
    assert not [ln for ln in config if " True " in ln or " False " in ln]
    audit = said(capsys, ["audit"]).splitlines()
    added = [ln for ln in audit if " department.add " in ln]
    assert added and all(' (ingen) -> {"name": ' in ln for ln in added), added
    assert not [ln for ln in audit if "None" in ln]

    monkeypatch.setenv("DUVI_LANGUAGE", "en")
    config = said(capsys, ["config"]).splitlines()
    assert [ln.split()[1] for ln in config if ln.startswith("sandbox ")] == ["Yes"]
    audit = said(capsys, ["audit"]).splitlines()
    assert all(' (none) -> {"name": ' in ln for ln in audit if " department.add " in ln)
    assert json.loads(said(capsys, ["audit", "--json"]))[0]["before"] is None
    set_language("en")


@pytest.mark.parametrize(
    ("lang", "period", "month", "shown"),
    [
        ("nb", "202611", None, "11-2026"),
        ("en", "202611", None, "11-2026"),
        # a year from July: period 05 of 2027 is November 2026, never read as May 2027
        ("nb", "202705", date(2026, 11, 1), "05-2027 (november 2026)"),
        ("en", "202705", date(2026, 11, 1), "05-2027 (November 2026)"),
        ("nb", "202601", None, "01-2026"),
        ("nb", "2026-11", None, "2026-11"),  # not Visma's YYYYPP: as it is
        ("en", "202600", None, "202600"),
    ],
)
def test_a_visma_period_is_named_as_visma_does_with_the_month_it_covers(
    lang: str, period: str, month: date | None, shown: str
) -> None:
    set_language(lang)
    assert period_text(period, month) == shown


def test_the_settlement_report_names_visma_s_period_as_the_language_writes_a_month(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    boot.sandbox.cache_clear()
    sandbox_installation()
    args = ["report", "settlement", "-d", "1", "--month", "2026-11"]
    titles = {lang: said(capsys, args).splitlines()[0] for lang in speak_env(monkeypatch)}
    assert titles["nb"].endswith(": november 2026 (Visma-periode 11-2026)"), titles
    assert titles["en"].endswith(": November 2026 (Visma period 11-2026)"), titles
    set_language("en")
