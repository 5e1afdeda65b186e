"""The language machinery (core/i18n.py): which language the environment asks for, Norwegian
and English numbers and dates, and catalogues that are compiled from their current .po."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from core import i18n
from core.config import load_settings
from core.errors import ConfigError
from core.i18n import amount_text, date_text, datetime_text, language_from_env, set_language


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "nb_NO.UTF-8"}, "nb"),
        ({"LANG": "nn_NO.UTF-8"}, "nb"),
        ({"LANG": "no_NO"}, "nb"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        # POSIX order: LC_ALL beats LC_MESSAGES beats LANG
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "nb_NO.UTF-8"}, "en"),
        ({"LC_MESSAGES": "nb_NO.UTF-8", "LANG": "en_GB.UTF-8"}, "nb"),
        ({"LC_ALL": "", "LANG": "nb_NO.UTF-8"}, "nb"),  # set but empty: the next one
    ],
)
def test_the_language_follows_the_locale(env: dict[str, str], expected: str) -> None:
    assert language_from_env(env) == expected


def test_norwegian_amounts_dates_and_times() -> None:
    set_language("nb")
    assert amount_text(Decimal("17572.25")) == "17\u00a0572,25"
    assert amount_text(Decimal("17572.25"), currency=True) == "17\u00a0572,25\u00a0kr"
    assert amount_text(Decimal("-0.5")) == "-0,50"
    assert amount_text(Decimal("1234567.005")) == "1\u00a0234\u00a0567,01"  # half up
    assert date_text(date(2026, 12, 2)) == "02.12.2026"
    assert datetime_text(datetime(2026, 12, 2, 14, 5, 9)) == "02.12.2026 14:05"


def test_english_amounts_and_iso_dates() -> None:
    set_language("en")
    assert amount_text(Decimal("17572.25")) == "17,572.25"
    assert amount_text(Decimal("17572.25"), currency=True) == "NOK\u00a017,572.25"
    assert amount_text(None) == ""
    assert date_text(date(2026, 12, 2)) == "2026-12-02"
    assert datetime_text(datetime(2026, 12, 2, 14, 5)) == "2026-12-02 14:05"


def test_the_language_setting_beats_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    load_settings()
    assert i18n.current_language() == "nb"
    monkeypatch.delenv("DUVI_LANGUAGE")
    monkeypatch.setenv("LANG", "nb_NO.UTF-8")
    load_settings()
    assert i18n.current_language() == "nb"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    load_settings()
    assert i18n.current_language() == "en"


def test_an_unknown_language_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUVI_LANGUAGE", "de")
    with pytest.raises(ConfigError, match="language"):
        load_settings()


def test_every_compiled_catalogue_matches_its_po() -> None:
    """A .po edited without `python -m tui.catalogues compile` would ship old words."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from tui.catalogues import CATALOGUES

    pos = [po for _, _, d in CATALOGUES for po in d.glob("*/LC_MESSAGES/*.po")]
    assert len(pos) == 2
    for po in pos:
        with po.open("rb") as f:
            catalog = read_po(f)
        fresh = BytesIO()
        write_mo(fresh, catalog, use_fuzzy=False)
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: uv run python -m tui.catalogues compile"
        assert mo.read_bytes() == fresh.getvalue(), (
            f"{mo} is older than {po.name}: uv run python -m tui.catalogues compile"
        )


def test_nb_says_the_runner_automatikken_and_the_setting_automatisk_overføring() -> None:
    """README's glossary: the runner (`duvi run`) is "automatikken", a department's setting
    "automatisk overføring"; a Norwegian sentence about the runner never calls it the
    automatic transfer (nb read "Avdelinger den automatiske overføringen kommer gjennom"
    beside the status panel's "automatikken står")."""
    import re

    from babel.messages.pofile import read_po

    from tui.catalogues import CATALOGUES

    wrong = []
    for po in (po for _, _, d in CATALOGUES for po in d.glob("nb/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        for m in catalog:
            msgid = m.id[0] if isinstance(m.id, tuple) else m.id
            said = m.string[0] if isinstance(m.string, tuple) else m.string
            if not re.search(r"\brunner|scheduler|backs off", msgid or ""):
                continue
            if "automatikk" not in said.lower() or "automatiske overføringen" in said:
                wrong.append((msgid, said))
    assert not wrong


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "nb",
            "avdeling 1: varer: 1140 opprettet, 1685 oppdatert, 175 konflikter; "
            "kunder: 4 opprettet, 3 oppdatert; 2 meldinger tatt inn; "
            "dokumenter: 1 overført, 1 må sjekkes",
        ),
        (
            "en",
            "department 1: products: 1140 created, 1685 updated, 175 conflicts; "
            "customers: 4 created, 3 updated; 2 notifications applied; "
            "documents: 1 transferred, 1 need attention",
        ),
    ],
)
def test_a_run_s_summary_is_said_in_the_language(language: str, said: str) -> None:
    """The console's "run now" notice (nb read "department 1: products 1140 created, …")."""
    from types import SimpleNamespace

    from core.service import RunResult

    set_language(language)
    r = RunResult(
        reports={
            "1/products": SimpleNamespace(created=1140, updated=1685, conflicts=175),
            "1/customers": SimpleNamespace(created=4, updated=3, conflicts=0),
        },
        outcomes=[SimpleNamespace(state="confirmed"), SimpleNamespace(state="attention")],  # type: ignore[list-item]
        webhooks={"1": 2},
    )
    assert i18n._("department {dept}: {summary}").format(dept="1", summary=r.summary()) == said
