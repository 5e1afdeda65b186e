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
        "Dato", "Z", "Kasse", "Nøkkel", "Beløp", "(kr)", "Tilstand", "Visma", "Status", "Alder",
        "Årsak",
    ]  # fmt: skip
    assert transfers[4].startswith(
        "01.11.2026  4  101    DUELL-Z-1-4   16\xa0813,94  bekreftet  000004  holdt tilbake"
    )
    report = nb["report settlement -d 1 --month 2026-11"].splitlines()
    assert report[0] == "Oppgjør for avdeling 1 Oslo sentrum: november 2026 (Visma-periode 11-2026)"
    assert report[2].split() == [
        "Dato", "Z", "Salg", "(kr)", "Mva", "(kr)", "Bunt", "I", "Visma", "(kr)", "Merknader",
    ]  # fmt: skip
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
        "Å bokføre DUELL-Z-1-4 i Visma kan ikke angres. Kjør igjen med --yes."
    )
    # the customer column (none here: "-") between the number and the name
    assert (
        "3    -                            Trondheim Solsiden       ikke satt opp"
        in nb["departments list"].splitlines()
    )

    # English, the same lines
    assert en["report settlement -d 1 --month 2026-11"].splitlines()[3] == (
        "2026-11-01         4    16,813.94   2,765.22  000004      16,813.94  on hold"
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


# The command families beyond the main ones: alerts, backup, service, sandbox, usage errors
# (ours: a BadValue's "Invalid value for …"; typer's: "No such command"), the audit trail's
# times. `argv` with "{tmp}" is given the test's directory.
MORE_COMMANDS = [
    ["alerts", "list"],
    ["config"],
    ["backup", "--out", "{tmp}/copy.db"],
    ["service", "install", "--user", "--dir", "{tmp}"],
    ["sandbox", "saft", "--dept", "1", "--out", "{tmp}/dept1.xml"],
    ["conflicts", "list", "--all"],
    ["audit", "--since", "x"],
    ["conflicts", "resolve", "1"],
    ["log", "--run", "99999999999999999999"],
    ["transfers", "--since", "2026-13-01"],
    ["nosuch"],
    ["alerts", "ack", "nope"],
    ["report", "settlement"],
    ["log", "--folow"],
    ["transfers", "show"],
    ["config", "a", "b"],
    ["calendar", "-d", "1", "--month", "2026-13"],
]
# English words of these commands' messages (and typer's words around a usage error)
MORE_ENGLISH = [
    "no alerts", "nothing", "backed up", "bytes", "schema version", "ledger", "rows", "wrote",
    "enable and start", "Invalid value", "use e.g.", "give exactly one", "out of range",
    "no run", "is not a date", "Usage", "Try", "No such command", "for help", "there is no",
    "alert", "alerts", "Missing", "No such option", "Possible options", "unexpected", "extra",
    "is not a month",
]  # fmt: skip
MORE_NORWEGIAN = [
    "varsler", "sikkerhetskopiert", "byte", "skjemaversjon", "skrev", "Ugyldig verdi", "bruk",
    "nøyaktig", "utenfor", "kjøring", "dato", "Bruk", "Prøv", "hjelp", "Ingen kommando",
    "mangler", "finnes", "mulige", "Uventede", "måned",
]  # fmt: skip


def speak_more(lang: str, monkeypatch, capsys, tmp: str) -> dict[str, tuple[int, str]]:
    monkeypatch.setenv("DUVI_LANGUAGE", lang)
    said = {}
    for args in MORE_COMMANDS:
        argv = [a.replace("{tmp}", f"{tmp}/{lang}") for a in args]
        code = run(argv)
        out = capsys.readouterr()
        said[" ".join(args)] = (code, out.out + out.err)
    return said


def test_every_command_family_speaks_the_language_and_keeps_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    boot.sandbox.cache_clear()
    sandbox_installation()
    for lang in ("nb", "en"):
        (tmp_path / lang).mkdir()
    nb = speak_more("nb", monkeypatch, capsys, str(tmp_path))
    en = speak_more("en", monkeypatch, capsys, str(tmp_path))

    # The exit codes are the language's neither: 0 for the ones that ran, 2 for usage errors
    codes = [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    assert [nb[" ".join(a)][0] for a in MORE_COMMANDS] == codes
    assert [en[" ".join(a)][0] for a in MORE_COMMANDS] == codes

    # Norwegian, by hand: no alerts on a fresh installation; 0 ledger rows before any sync;
    # the sandbox world of seed 0 has 30 Z-reports of department 1
    assert nb["alerts list"][1].strip() == "ingen varsler: ingenting trenger et menneske nå"
    # where each setting came from: the config file conftest names, else the default
    config = nb["config"][1].splitlines()
    assert [ln.split("  [")[-1] for ln in config if ln.startswith("sandbox ")] == ["standard]"]
    assert [
        ln.split("  [")[-1] for ln in en["config"][1].splitlines() if ln.startswith("sandbox ")
    ] == ["default]"]
    assert re.fullmatch(
        r"sikkerhetskopiert til \S+/nb/copy\.db: \d{1,3}(\xa0\d{3})* byte, skjemaversjon \d+, "
        r"0 rader i overføringsloggen\n",
        nb["backup --out {tmp}/copy.db"][1],
    )
    assert (
        nb["service install --user --dir {tmp}"][1]
        .splitlines()[0]
        .endswith("/nb/duvi.service; slå den på og start den med:")
    )
    assert (
        nb["sandbox saft --dept 1 --out {tmp}/dept1.xml"][1]
        .strip()
        .endswith("/nb/dept1.xml: 30 dagsoppgjør for avdeling 1")
    )
    assert (
        "Ugyldig verdi for --since: 'x': bruk f.eks. 7d, 12h eller 30m" in nb["audit --since x"][1]
    )
    assert "Ingen kommando heter 'nosuch'." in nb["nosuch"][1]
    assert "Valget '--month' mangler." in nb["report settlement"][1]
    assert nb["calendar -d 1 --month 2026-13"][1] == (
        "duvi: feil: --month '2026-13' er ikke en måned: måneden er 01 til 12\n"
    )
    assert "Det finnes ikke noe valg --folow (mulige valg: --follow)" in nb["log --folow"][1]
    assert "No such option: --folow (Possible options: --follow)" in en["log --folow"][1]
    assert nb["alerts ack nope"][1] == (
        "duvi: feil: det er ikke noe varsel 'nope' nå (ingen varsler gjelder nå)\n"
    )
    # English, the same lines
    assert en["alerts list"][1].strip() == "no alerts: nothing needs a person now"
    assert (
        en["sandbox saft --dept 1 --out {tmp}/dept1.xml"][1]
        .strip()
        .endswith("/en/dept1.xml: 30 Z-reports of department 1")
    )
    assert "Invalid value for --since: 'x': use e.g. 7d, 12h or 30m" in en["audit --since x"][1]

    for command in nb:
        said_nb, said_en = nb[command][1], en[command][1]
        if command.startswith("service"):  # below the first line: the shell commands to run
            said_nb, said_en = said_nb.splitlines()[0], said_en.splitlines()[0]
        if command == "config":  # the settings' names and values: only where they came from
            said_nb, said_en = (
                "\n".join(ln.split("  [")[-1] for ln in said.splitlines())
                for said in (said_nb, said_en)
            )
        # command names are not words: "duvi report settlement" in the usage line and hint
        said_nb, said_en = (re.sub(r"duvi( [a-z][a-z-]*)*", "duvi", t) for t in (said_nb, said_en))
        assert words(said_nb, ENGLISH + MORE_ENGLISH) == [], command
        assert words(said_en, NORWEGIAN + MORE_NORWEGIAN) == [], command
    set_language("en")


def test_the_audit_trail_shows_its_times_as_the_language_writes_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sandbox's setup is audited (one line a change); each line starts with its time,
    in local time: nb 02.12.2026 14:05, en 2026-12-02 14:05 (the stored UTC ISO is --json's)."""
    sandbox_installation()
    lines = {lang: said(capsys, ["audit"]).splitlines() for lang in speak_env(monkeypatch)}
    assert lines["nb"] and len(lines["nb"]) == len(lines["en"])
    assert all(re.match(r"\d\d\.\d\d\.\d{4} \d\d:\d\d \S", ln) for ln in lines["nb"])
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d \S", ln) for ln in lines["en"])
    set_language("en")


def speak_env(monkeypatch: pytest.MonkeyPatch):
    for lang in ("nb", "en"):
        monkeypatch.setenv("DUVI_LANGUAGE", lang)
        yield lang


# --help: typer's words and ours. Case matters: the usage line's OPTIONS, COMMAND and ARGS
# are typer's placeholders, not words; option values (pending, default …) are not in here.
HELP_COMMANDS = [
    ["--help"],
    ["transfers", "--help"],
    ["transfers", "show", "--help"],
    ["report", "settlement", "--help"],
    ["departments", "setup", "--help"],
    ["log", "--help"],
    ["alerts", "-h"],
    ["backup", "--help"],
    ["doctor", "--help"],
    ["doctor", "duplicates", "--help"],
]
HELP_ENGLISH = [
    "Usage", "Options", "Commands", "Arguments", "Show this message", "required", "the", "and",
    "of", "with", "from", "is", "Print", "department", "Only", "Z-report", "Z-reports",
]  # fmt: skip
HELP_NORWEGIAN = [
    "Bruk", "Valg", "Kommandoer", "Argumenter", "Vis denne hjelpen", "påkrevd", "og", "avdeling",
    "dagsoppgjør", "ikke", "Skriv", "Bare",
]  # fmt: skip


def help_words(text: str, vocabulary: list[str]) -> list[str]:
    found = []
    for word in vocabulary:
        pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
        found += [f"{word!r} in {ln!r}" for ln in text.splitlines() if pattern.search(ln)]
    return found


def test_help_is_in_the_language_of_the_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`duvi --help` and a subcommand's in Norwegian with DUVI_LANGUAGE=nb (or `language` in
    config.toml, or the locale): typer's panel titles and usage line too; English with en."""
    texts = {}
    for lang in speak_env(monkeypatch):
        for args in HELP_COMMANDS:
            assert run(args) == 0
            out = capsys.readouterr()
            texts[lang, " ".join(args)] = out.out + out.err
    root = texts["nb", "--help"]
    assert "Bruk: duvi [VALG] KOMMANDO [ARGUMENTER]..." in root
    assert "Konsoll og motor for integrasjonen DUELL <-> Visma.net ERP." in root
    assert "─ Valg ─" in root and "─ Kommandoer ─" in root
    assert "Vis denne hjelpen og avslutt." in root
    assert "Kom hver dags dagsoppgjør fram til Visma?" in root  # calendar's line
    assert "Usage: duvi [OPTIONS] COMMAND [ARGS]..." in texts["en", "--help"]
    for args in HELP_COMMANDS:
        command = " ".join(args)
        nb = texts["nb", command]
        assert help_words(nb, HELP_ENGLISH) == [], command
        assert help_words(texts["en", command], HELP_NORWEGIAN) == [], command
    set_language("en")


def test_the_language_setting_in_the_config_file_decides_help_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    """No DUVI_LANGUAGE: config.toml's `language = "nb"` is read before the help is built."""
    config = tmp_path / "config.toml"
    config.write_text('language = "nb"\n', encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.delenv("DUVI_LANGUAGE", raising=False)
    monkeypatch.setenv("DUVI_CONFIG", str(config))
    assert run(["transfers", "show", "--help"]) == 0
    assert "Overføringsnøkkelen, f.eks. DUELL-Z-1-1100." in capsys.readouterr().out
    set_language("en")


# One-line errors of the settings, SAF-T files, backups and setup: message and remedy in the
# language, the exit code the same (README: exit codes).


def error_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> dict[str, tuple[int, str]]:
    out = {}
    for lang in speak_env(monkeypatch):
        code = run(args)
        said = capsys.readouterr()
        out[lang] = (code, said.out + said.err)
    set_language("en")
    return out


def test_a_config_file_that_is_not_toml_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("sandbox = \n", encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("DUVI_CONFIG", str(config))
    said = error_said(monkeypatch, capsys, ["config"])
    assert said["nb"] == (
        3,
        f"duvi: feil: konfigurasjonsfilen {config} er ikke gyldig TOML: Invalid value (at line "
        "1, column 11)\n  → rett linjen som er nevnt ovenfor, eller flytt filen bort for å bruke "
        "standardverdiene\n",
    )
    assert said["en"] == (
        3,
        f"duvi: error: config file {config} is not valid TOML: Invalid value (at line 1, column "
        "11)\n  → fix the line named above, or move the file away to use the defaults\n",
    )


def test_duvi_config_naming_a_missing_file_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    missing = tmp_path / "nosuch.toml"
    monkeypatch.setenv("DUVI_CONFIG", str(missing))
    said = error_said(monkeypatch, capsys, ["transfers"])
    assert said["nb"] == (
        3,
        f"duvi: feil: konfigurasjonsfilen {missing} (angitt i DUVI_CONFIG) finnes ikke\n"
        "  → rett DUVI_CONFIG, eller fjern den for å bruke standard konfigurasjonsfil; "
        "ingenting ble kjørt\n",
    )
    assert said["en"] == (
        3,
        f"duvi: error: config file {missing} (named by DUVI_CONFIG) does not exist\n"
        "  → correct DUVI_CONFIG, or unset it to use the default config file; nothing ran\n",
    )


def test_a_service_url_in_cleartext_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUVI_DUELL_BASE_URL", "http://duell.example")
    said = error_said(monkeypatch, capsys, ["config"])
    nb_code, nb = said["nb"]
    en_code, en = said["en"]
    assert (nb_code, en_code) == (3, 3)
    assert nb.splitlines()[0] == (
        "duvi: feil: ugyldige innstillinger: duell_base_url: 'http://duell.example' må begynne "
        "med https:// (vanlig http:// er bare tillatt til 127.0.0.1, ::1 eller localhost, den "
        "serverte sandkassen): ellers ville påloggingsopplysningene gå i klartekst"
    )
    assert en.splitlines()[0] == (
        "duvi: error: invalid settings: duell_base_url: 'http://duell.example' must start with "
        "https:// (plain http:// is allowed only to 127.0.0.1, ::1 or localhost, the served "
        "sandbox): credentials would otherwise travel in cleartext"
    )
    assert nb.splitlines()[1].startswith("  → sjekk ")
    assert en.splitlines()[1].startswith("  → check ")


def test_a_saft_file_that_is_not_xml_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    sandbox_installation()
    bad = tmp_path / "z.xml"
    bad.write_bytes(b"<AuditFile><company>")
    said = error_said(monkeypatch, capsys, ["import", "saft", str(bad), "-d", "1"])
    assert said["nb"] == (
        6,
        f"duvi: feil: {bad} er ikke velformet XML (linje 1): Premature end of data in tag "
        "company line 1, line 1, column 21\n"
        "  → eksporter SAF-T-filen fra DUELL på nytt; filen kan være avkortet\n",
    )
    assert said["en"] == (
        6,
        f"duvi: error: {bad} is not well-formed XML (line 1): Premature end of data in tag "
        "company line 1, line 1, column 21\n"
        "  → export the SAF-T file from DUELL again; the file may be cut short\n",
    )


def test_a_backup_into_a_missing_directory_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    sandbox_installation()
    out = tmp_path / "nosuch" / "copy.db"
    said = error_said(monkeypatch, capsys, ["backup", "--out", str(out)])
    assert said["nb"] == (
        3,
        f"duvi: feil: kan ikke skrive sikkerhetskopien til {out}: mappen {tmp_path}/nosuch "
        "finnes ikke\n  → angi en fil i en mappe som finnes\n",
    )
    assert said["en"] == (
        3,
        f"duvi: error: cannot write the backup to {out}: the directory {tmp_path}/nosuch does "
        "not exist\n  → name a file in an existing directory\n",
    )


def test_a_setup_answer_out_of_range_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_installation()
    args = ["departments", "setup", "1", "--visma-client-id", "isv_x", "--visma-tenant", "1"]
    said = error_said(monkeypatch, capsys, [*args, "--cutoff-hour", "25"])
    assert said["nb"] == (
        3,
        "duvi: feil: dagsskiftet må være 0 til 23, ikke 25\n"
        "  → oppgi timen forretningsdagen starter, f.eks. --cutoff-hour 5\n",
    )
    assert said["en"] == (
        3,
        "duvi: error: the cut-off hour must be 0 to 23, not 25\n"
        "  → give the hour the business day starts, e.g. --cutoff-hour 5\n",
    )


def test_the_screenshots_command_speaks_the_language(tmp_path) -> None:
    """`duvi screenshots` is the console's command (tui/cli.py, its words in the console's
    catalogue): its refusal and its help in the language, the exit code the same."""
    from tests.test_attacks_input import duvi

    existing = tmp_path / "shots"
    existing.write_text("keep me")
    nb = duvi("screenshots", "--out", str(existing), env={"DUVI_LANGUAGE": "nb"})
    en = duvi("screenshots", "--out", str(existing), env={"DUVI_LANGUAGE": "en"})
    assert (nb.returncode, nb.stderr) == (
        3,
        f"duvi: feil: --out '{existing}' er ikke en mappe\n"
        "  → angi en mappe (den opprettes om den mangler)\n",
    )
    assert (en.returncode, en.stderr) == (
        3,
        f"duvi: error: --out '{existing}' is not a directory\n"
        "  → name a directory (it is made if missing)\n",
    )
    helped = duvi("screenshots", "--help", env={"DUVI_LANGUAGE": "nb"}).stdout
    assert "SVG-skjermbilder av hvert hovedskjermbilde i 120x36, fra sandkassen." in helped
    assert "Mappen for SVG-filene." in helped


def test_an_empty_database_file_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    database = tmp_path / "duvi.db"
    database.touch(mode=0o600)
    monkeypatch.setenv("DUVI_DB_PATH", str(database))
    said = error_said(monkeypatch, capsys, ["transfers"])
    assert said["nb"] == (
        4,
        f"duvi: feil: databasen {database} er tom (0 byte): den ble avkortet, eller en fil ble "
        "lagt i stedet for den\n  → gjenopprett den fra en sikkerhetskopi (README: restoring); "
        "er dette en ny installasjon som aldri har kjørt, slett den tomme filen; den ble ikke "
        "rørt\n",
    )
    assert said["en"] == (
        4,
        f"duvi: error: database {database} is empty (0 bytes): it was truncated, or a file was "
        "put in its place\n  → restore it from a backup (README: restoring); if this is a new "
        "installation that never ran, delete the empty file; it was left as it is\n",
    )


def test_a_report_without_its_department_is_refused_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_installation()
    report = error_said(monkeypatch, capsys, ["report", "settlement", "--month", "2026-11"])
    assert report["nb"] == (
        3,
        "duvi: feil: flere avdelinger (kjente: 1, 2, 3)\n  → angi én med -d AVDELING\n",
    )
    assert report["en"] == (
        3,
        "duvi: error: several departments (known: 1, 2, 3)\n  → name one with -d DEPT\n",
    )


def test_click_s_rarer_errors_and_the_usage_placeholders_speak_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What typer's bundled click writes as English literals (no catalogue to hook: it calls
    no gettext) is said again in nb by core/cli/help.py: a value an option lacks or a flag
    does not take, why a value did not convert (pydantic's error type), and the usage line's
    [OPTIONS] COMMAND [ARGS]...; in en as click writes them."""
    cases = [
        (
            ["log", "--lines"],
            "Valget '--lines' trenger en verdi.",
            "Option '--lines' requires an argument.",
        ),
        (
            ["log", "--json=1"],
            "Valget '--json' tar ingen verdi.",
            "Option '--json' does not take a value.",
        ),
        (
            ["log", "-n", "x"],
            "Ugyldig verdi for '--lines' / '-n': gi et heltall",
            "Invalid value for '--lines' / '-n': Input should be a valid integer",
        ),
    ]
    for lang in ("nb", "en"):
        monkeypatch.setenv("DUVI_LANGUAGE", lang)
        for args, nb, en in cases:
            assert run(args) == 2
            text = " ".join("".join(capsys.readouterr()).replace("│", " ").split())
            assert (nb if lang == "nb" else en) in text, args
        assert run(["--help"]) == 0
        usage = capsys.readouterr().out.strip().splitlines()[0].strip()
        assert usage == (
            "Bruk: duvi [VALG] KOMMANDO [ARGUMENTER]..."
            if lang == "nb"
            else "Usage: duvi [OPTIONS] COMMAND [ARGS]..."
        )
    set_language("en")
