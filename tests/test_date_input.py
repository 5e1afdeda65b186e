"""A date or a month a person types (issue 22): `2026-11-27`, `27.11.2026` or `27.11.26`, and
`2026-11` or `11.2026`, in either language, read by one helper (core.i18n parse_date,
parse_month) in every input: the console's transfers filter, `duvi transfers --since/--to`,
`--month` of `calendar` and `report settlement`. A bad one is refused in the language, with
the forms it takes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from core.cli import run
from core.i18n import parse_date, parse_month, set_language
from core.store import Store
from tests.test_calendar import write_ledger
from tui.screens.transfers import parse_dates

NOV27 = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-27", NOV27),
        ("27.11.2026", NOV27),
        ("27.11.26", NOV27),
        (" 7.1.2026 ", date(2026, 1, 7)),
        ("01.02.99", date(2099, 2, 1)),
    ],
)
def test_a_date_in_either_form(text: str, day: date) -> None:
    assert parse_date(text) == day
    set_language("nb")
    assert parse_date(text) == day


@pytest.mark.parametrize(
    "text", ["31.02.2026", "27.11.2026.", "27-11-2026", "2026-11-27x", "27.11", "27.11.202", ""]
)
def test_a_bad_date_says_the_forms_in_the_language(text: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_date(text)
    assert str(exc.value) == f"{text!r} is not a date: write 2026-11-27, 27.11.2026 or 27.11.26"
    set_language("nb")
    with pytest.raises(ValueError) as exc:
        parse_date(text)
    assert (
        str(exc.value) == f"{text!r} er ikke en dato: skriv 27.11.2026, 27.11.26 eller 2026-11-27"
    )


@pytest.mark.parametrize(
    ("text", "first"),
    [("2026-11", date(2026, 11, 1)), ("11.2026", date(2026, 11, 1)), ("2.2027", date(2027, 2, 1))],
)
def test_a_month_in_either_form(text: str, first: date) -> None:
    assert parse_month(text) == first


@pytest.mark.parametrize("text", ["11.26", "2026.11", "11-2026", "nov"])
def test_a_bad_month_says_the_forms_in_the_language(text: str) -> None:
    set_language("nb")
    with pytest.raises(ValueError) as exc:
        parse_month(text)
    assert str(exc.value) == f"{text!r} er ikke en måned: skriv 11.2026 eller 2026-11"


def test_the_console_filter_reads_norwegian_dates_and_ranges() -> None:
    assert parse_dates("27.11.2026") == (NOV27, NOV27)
    assert parse_dates("1.11.26..27.11.2026") == (date(2026, 11, 1), NOV27)
    assert parse_dates("..27.11.26") == (None, NOV27)
    with pytest.raises(ValueError):
        parse_dates("27.13.2026..")


def test_the_command_line_takes_norwegian_dates_and_months(
    home: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.config import load_settings

    with Store(load_settings(home=home, sandbox=True).database) as s:
        write_ledger(s)
    assert run(["calendar", "-d", "1", "--month", "11.2026", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["first"], out["last"]) == ("2026-11-01", "2026-11-30")
    assert run(["transfers", "-d", "1", "--from", "05.11.2026", "--to", "5.11.26", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {r["business_date"] for r in listed} == {"2026-11-05"}
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    assert run(["transfers", "--to", "31.11.2026"]) == 2
    err = " ".join(capsys.readouterr().err.replace("│", " ").split())  # typer's box unwrapped
    assert "'31.11.2026' er ikke en dato: skriv 27.11.2026, 27.11.26 eller 2026-11-27" in err
    assert run(["report", "settlement", "-d", "1", "--month", "13.2026"]) == 2
    assert "'13.2026' er ikke en måned: måneden er 01 til 12" in capsys.readouterr().err
