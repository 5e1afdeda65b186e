"""The command line in Norwegian and in English (issue 22): the same commands on the same
sandbox data, their text in the chosen language (DUELL's words: dagsoppgjør, bunt, bokført,
avdeling), amounts and dates in its conventions, and JSON the same in both.

The figures are department 1's Z 4 of 1 November 2026 in the command line's own sandbox
(`sandbox_credentials()`), read by hand from its journal (`duvi transfers show DUELL-Z-1-4`):
credits 9 671.74 + 2 417.94 + 2 019.47 + 302.92 + 369.62 + 44.36 + 1 987.89 = 16 813.94
(sales incl. VAT), of which VAT 2 417.94 + 302.92 + 44.36 = 2 765.22."""

from __future__ import annotations

import json
import re

import pytest

from core import boot
from core.cli import run
from core.i18n import set_language
from tests.test_cli import sandbox_installation

# nb groups thousands with a no-break space (core/i18n.py): 16\xa0813,94 is "16 813,94".

# Commands whose text output a person reads; `release` without --yes only says what it would do.
TEXT_COMMANDS = [
    ["transfers", "-d", "1", "--to", "2026-11-03"],
    ["transfers", "show", "DUELL-Z-1-4"],
    ["report", "settlement", "-d", "1", "--month", "2026-11"],
    ["calendar", "-d", "1", "--month", "2026-11"],
    ["doctor", "-d", "1"],
    ["departments", "list"],
    ["release", "DUELL-Z-1-4"],
]
JSON_COMMANDS = [
    ["transfers", "-d", "1", "--json"],
    ["transfers", "show", "DUELL-Z-1-4", "--json"],
    ["report", "settlement", "-d", "1", "--month", "2026-11", "--json"],
    ["calendar", "-d", "1", "--month", "2026-11", "--json"],
    ["departments", "list", "--json"],
]
# English words of the command line's vocabulary: none may be left in Norwegian output.
ENGLISH = [
    "failed", "pending", "released", "confirmed", "department", "Z-report", "Z-reports",
    "invoice", "refused", "held", "attention", "batch", "settlement", "amount", "date",
    "missing", "differs", "warehouse", "customer", "error", "none", "not set up", "ok:",
]  # fmt: skip
# Norwegian words duvi writes: none may appear in English output.
NORWEGIAN = [
    "avdeling", "bunt", "bokført", "bokføre", "venter", "avvist", "holdt tilbake",
    "fakturagrunnlag", "kostnadsbærer", "ingen", "ikke", "feil", "bekreftet", "dager", "Dato",
    "Beløp", "Tilstand", "Kasse", "Oppgjør",
]  # fmt: skip


def stored_or_data(line: str) -> bool:
    """Lines that show stored or remote data, not duvi's words: doctor's records (a finding's
    list, as the engine stored them), a journal's own texts and description (Norwegian in
    Visma whatever the language)."""
    return line.startswith("       - ") or "Dagsoppgjør 20" in line or " mva " in line


def said(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    run(args)
    out = capsys.readouterr()
    return out.out + out.err


def speak(lang: str, monkeypatch: pytest.MonkeyPatch, capsys, commands) -> dict[str, str]:
    monkeypatch.setenv("DUVI_LANGUAGE", lang)
    return {" ".join(args): said(capsys, args) for args in commands}


def words(text: str, vocabulary: list[str]) -> list[str]:
    lines = [ln for ln in text.splitlines() if not stored_or_data(ln)]
    found = []
    for word in vocabulary:
        pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
        found += [f"{word!r} in {ln!r}" for ln in lines if pattern.search(ln)]
    return found


def without_age(value):
    """JSON with each row's age left out: it counts the seconds between the two runs."""
    if isinstance(value, list):
        return [without_age(v) for v in value]
    if isinstance(value, dict):
        return {k: without_age(v) for k, v in value.items() if k != "age"}
    return value


def test_the_command_line_speaks_norwegian_or_english_and_json_stays_the_same(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    boot.sandbox.cache_clear()  # batch numbers from the seed, as a fresh process has them
    sandbox_installation()
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    synced = said(capsys, ["sync", "-d", "1", "-e", "zreports"])
    assert "DUELL-Z-1-4                  bekreftet  -> 000004" in synced.splitlines()

    nb = speak("nb", monkeypatch, capsys, TEXT_COMMANDS)
    en = speak("en", monkeypatch, capsys, TEXT_COMMANDS)

    # Norwegian, written by hand: DUELL's words, 16 813,94 and 01.11.2026
    transfers = nb["transfers -d 1 --to 2026-11-03"].splitlines()
    assert transfers[0].split() == [
        "Dato", "Z", "Kasse", "Nøkkel", "Beløp", "Tilstand", "Visma", "Status", "Alder", "Årsak",
    ]  # fmt: skip
    assert transfers[4].startswith(
        "01.11.2026  4  101    DUELL-Z-1-4  16\xa0813,94  bekreftet  000004  Hold"
    )
    report = nb["report settlement -d 1 --month 2026-11"].splitlines()
    assert report[0] == "Oppgjør for avdeling 1 Oslo sentrum: november 2026 (Visma-periode 202611)"
    assert report[2].split() == ["Dato", "Z", "Salg", "Mva", "Bunt", "I", "Visma", "Merknader"]
    assert report[3] == (
        "01.11.2026         4    16\xa0813,94   2\xa0765,22  000004    16\xa0813,94  holdt tilbake"
    )
    assert report[-1] == (
        "27 dager med dagsoppgjør: 0 dager avviker, 27 med bunter som ikke er bokført ennå"
    )
    calendar = nb["calendar -d 1 --month 2026-11"].splitlines()
    assert calendar[0] == "Oppgjørskalender for avdeling 1 Oslo sentrum: november 2026"
    assert calendar[2].split() == ["man", "tir", "ons", "tor", "fre", "lør", "søn"]
    show = nb["transfers show DUELL-Z-1-4"].splitlines()
    assert show[0].startswith("DUELL-Z-1-4  dagsoppgjør  bekreftet  slik det ble sendt ")
    total = next(ln for ln in show if ln.strip().startswith("Sum "))
    assert [w for w in total.split(" ") if w][-2:] == ["16\xa0813,94"] * 2  # never wrapped
    doctor = nb["doctor -d 1"].splitlines()
    assert "ok   [1] Nummerrekke for dagsoppgjør: 30 dagsoppgjør, ingen hull" in doctor
    assert "ok   [1] Overføringer som må sjekkes: ingen" in doctor
    assert nb["release DUELL-Z-1-4"].strip() == (
        "Å bokføre DUELL-Z-1-4 fører det i Visma for godt. Kjør igjen med --yes."
    )
    assert (
        f"3    {'-':<28} Trondheim Solsiden       ikke satt opp"
        in nb["departments list"].splitlines()
    )  # no customer (DUELL client) set: "-"

    # English, the same lines
    assert en["report settlement -d 1 --month 2026-11"].splitlines()[3] == (
        "2026-11-01         4    16,813.94   2,765.22  000004    16,813.94  on hold"
    )
    assert en["release DUELL-Z-1-4"].strip() == (
        "Releasing DUELL-Z-1-4 posts it in Visma for good. Run again with --yes."
    )

    # No word of the other language escaped
    for command in nb:
        assert words(nb[command], ENGLISH) == [], command
        assert words(en[command], NORWEGIAN) == [], command

    # JSON: the same in both languages (ISO dates, decimal strings, the ledger's words)
    nb_json = speak("nb", monkeypatch, capsys, JSON_COMMANDS)
    en_json = speak("en", monkeypatch, capsys, JSON_COMMANDS)
    for command in nb_json:
        assert without_age(json.loads(nb_json[command])) == without_age(
            json.loads(en_json[command])
        ), command
    row = next(r for r in json.loads(nb_json["transfers -d 1 --json"]) if r["key"] == "DUELL-Z-1-4")
    assert (row["business_date"], row["amount"], row["state"]) == (
        "2026-11-01",
        "16813.94",
        "confirmed",
    )
    set_language("en")
