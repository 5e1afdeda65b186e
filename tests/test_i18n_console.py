"""The console in both languages (issue 22): every screen, opened by its key from the main
screen on the sandbox world, shows no word of the other language's vocabulary; the palette's
"Språk: norsk" / "Language: English" redraws every screen on the stack in the new language.

The vocabularies are written out here (from the console's catalogue, tui/locale), not read
from it: a string that escapes `_()` still shows its English words. Words that are the same in
both languages (ok, Visma, DUELL, Status, System …) and proper names are not in them.

CORE_PENDING: English words that core still shows on these screens (read models, doctor
findings, status rows: core/readmodels.py, core/status.py, core/doctor.py), which core marks
for translation on its own branch. Empty it once that has landed: the walk then checks every
word on the screen."""

from __future__ import annotations

import html
import re
from collections import defaultdict

import pytest

from core.config import load_settings
from tests.test_snapshots import SCREENS, keys, ran_world, world  # noqa: F401 - fixtures
from tui.app import DuviApp

# English words of the console's own strings (tui/locale/nb/LC_MESSAGES/duvi_tui.po msgids)
ENGLISH = {
    "Account",
    "Accounts",
    "Acknowledge",
    "Acknowledged",
    "Action",
    "Age",
    "Amount",
    "Automatic",
    "Average",
    "Back",
    "Batch",
    "Bottom",
    "Calendar",
    "Cancel",
    "Candidate",
    "Candidates",
    "Checking",
    "Client",
    "Close",
    "Commands",
    "Conflicts",
    "Cost",
    "Create",
    "Customer",
    "Date",
    "Dates",
    "Day",
    "Department",
    "Dept",
    "Doctor",
    "Document",
    "Documents",
    "Done",
    "Down",
    "Entity",
    "Error",
    "Events",
    "Field",
    "Filter",
    "Follow",
    "Help",
    "Ignore",
    "Incoming",
    "Invoice",
    "Keep",
    "Key",
    "Last",
    "Level",
    "Line",
    "Link",
    "Log",
    "Marks",
    "Merge",
    "Message",
    "Method",
    "Month",
    "Name",
    "Next",
    "Older",
    "Open",
    "Path",
    "Pending",
    "Products",
    "Quit",
    "Reading",
    "Reason",
    "Reconciliation",
    "Refresh",
    "Refused",
    "Release",
    "Resend",
    "Retry",
    "Run",
    "Sales",
    "Same",
    "Save",
    "Saved",
    "Search",
    "Settings",
    "Setup",
    "Several",
    "Sort",
    "State",
    "Time",
    "Top",
    "Transfers",
    "Undo",
    "Up",
    "Week",
    "Yes",
    "all",
    "attention",
    "before",
    "after",
    "choose",
    "company",
    "confirmed",
    "department",
    "documents",
    "every",
    "failed",
    "failing",
    "held",
    "idle",
    "keys",
    "missing",
    "newest",
    "pending",
    "refused",
    "released",
    "running",
    "sent",
    "today",
    "warnings",
    "Z-report",
    "Z-reports",
    "invoice",
    "secret",
    "saved",
    "branch",
}
# Norwegian words of the console's translations (the msgstrs): none may show in English
NORWEGIAN = {
    "Dagsoppgjør",
    "dagsoppgjør",
    "Fakturagrunnlag",
    "fakturagrunnlag",
    "Avdeling",
    "avdeling",
    "Avd",
    "Klient",
    "klienter",
    "Kostnadsbærer",
    "kostnadsbærer",
    "Varer",
    "Kunder",
    "Mva-koder",
    "Mva-kode",
    "Bunt",
    "Bokfør",
    "Beholdningsendring",
    "Lager",
    "Innstillinger",
    "Overføringer",
    "Kalender",
    "Avstemming",
    "Konflikter",
    "Kontroll",
    "Oppsett",
    "Logg",
    "Kontoer",
    "Oppdater",
    "Avslutt",
    "Hjelp",
    "Tilbake",
    "Lagre",
    "Angre",
    "Tilstand",
    "Dato",
    "Datoer",
    "Beløp",
    "Nøkkel",
    "Sorter",
    "Sortert",
    "alle",
    "Kjør",
    "kjører",
    "Venter",
    "venter",
    "bokført",
    "bekreftet",
    "avvist",
    "holdt",
    "feilet",
    "advarsler",
    "Sjekker",
    "Filtrer",
    "Koble",
    "Ignorer",
    "Opprett",
    "Innkommende",
    "Kandidat",
    "Felt",
    "Linje",
    "Konto",
    "Søk",
    "Nivå",
    "Følg",
    "Eldre",
    "Hendelser",
    "Melding",
    "Tid",
    "Salg",
    "Merknader",
    "dokumenter",
    "Dokument",
    "Måneden",
    "Uken",
    "Dagen",
    "hviler",
    "Område",
    "Neste",
    "Siste",
    "SANDKASSE",
    "taster",
    "Lukk",
    "Ja",
    "Nei",
    "firma",
    "filial",
    "Kontooppsett",
    "Kvitter",
    "Ks",
}
# English that core still shows in Norwegian (see the module's docstring), per screen, with
# where it comes from. The lead empties this after merging i18n-core.
CORE_PENDING: dict[str, set[str]] = {
    "main": {"Products", "Z-reports"},  # core/status.py: the status rows' labels
    "not_set_up": {"Products", "Z-reports"},  # the same
    "transfers": {"confirmed"},  # core/readmodels.transfer_cells: the State column
    "transfer_document": {"Account", "Date", "confirmed", "sent"},  # readmodels.document_text
    "visma_raw": {"newest"},  # core/api.visma_exchanges: "N call(s) made for …, newest first"
    "calendar": {"attention", "missing", "pending"},  # readmodels.CALENDAR_STATES, legend
    "settlement": {"Z-reports", "missing"},  # readmodels.summary_text, MARKS
    "settlement_vat": {"Z-reports", "missing"},  # the same
    "conflicts": {"Name"},  # core/customer_record.py: the compared fields' labels
    "merge": {"Name"},  # the same
}
# What is data, not words, and stays in its one language (the module docstring of core.i18n:
# the event log and what is sent keep one language)
DATA = {
    # the document as sent to Visma: DUELL's Norwegian journal texts
    "en:transfer_document": {"Dagsoppgjør", "Salg"},
    "en:visma_raw": {"Dagsoppgjør"},
    "nb:log": {"invoice"},  # the event log's messages, as logged
}
# Norwegian that core shows in English (its account lines' labels are DUELL's journal words;
# core/readmodels.AccountEditor): core's to decide
CORE_PENDING_EN: dict[str, set[str]] = {"accounts": {"Beholdningsendring", "Salg"}}


def screen_text(app: DuviApp) -> str:
    """The screen as a person sees it (the SVG screenshot's text, line by line: a word split
    over two styles is one word again)."""
    svg = app.export_screenshot()
    lines: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for x, y, text in re.findall(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        lines[y].append((float(x), html.unescape(text)))
    return "\n".join(
        "".join(t for _, t in sorted(spans)).replace("\u00a0", " ")
        for _, spans in sorted(lines.items(), key=lambda kv: float(kv[0]))
    )


def screen_words(app: DuviApp) -> set[str]:
    return set(re.findall(r"[^\W\d_][\w-]*", screen_text(app)))


def app(language: str) -> DuviApp:
    return DuviApp(load_settings(theme="textual-dark", animations="none", language=language))


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize(("language", "foreign"), [("nb", ENGLISH), ("en", NORWEGIAN)])
@pytest.mark.usefixtures("world")
async def test_every_screen_speaks_one_language(
    screen: str, language: str, foreign: set[str]
) -> None:
    duvi = app(language)
    async with duvi.run_test(size=(120, 36)) as pilot:
        await keys(*SCREENS[screen])(pilot)
        found = screen_words(duvi) & foreign
    pending = (CORE_PENDING if language == "nb" else CORE_PENDING_EN).get(screen, set())
    assert found - pending - DATA.get(f"{language}:{screen}", set()) == set()


@pytest.mark.usefixtures("world")
async def test_the_palette_switches_every_screen_on_the_stack() -> None:
    """In English with Transfers open over the main screen, "Språk: norsk" from the palette:
    both screens are drawn again in Norwegian (the one on top at once, the one below when
    it is back), the filters of Transfers kept, and a notification says how to keep it;
    "Language: English" switches back."""
    from tui.screens.main import MainScreen
    from tui.screens.transfers import TransfersScreen

    duvi = app("en")
    async with duvi.run_test(size=(120, 36)) as pilot:
        await keys("t", "f")(pilot)  # Transfers, filtered on its first state
        transfers = duvi.screen
        assert isinstance(transfers, TransfersScreen)
        state = transfers.state
        assert "Transfers of department 1" in screen_text(duvi)
        await keys("colon", *"Språk", "enter")(pilot)
        await duvi.workers.wait_for_complete()
        await keys()(pilot)
        assert duvi.screen is transfers and transfers.state == state  # the same screen, kept
        text = screen_text(duvi)
        assert "Overføringer for avdeling 1" in text
        assert "Tilbake" in text and "Back" not in text  # the footer too
        assert any('language = "nb"' in n.message for n in duvi._notifications)
        await keys("escape")(pilot)
        assert isinstance(duvi.screen, MainScreen)
        text = screen_text(duvi)
        assert "Tilstand" in text and "Overføringer" in text and "Transfers" not in text
        await keys("colon", *"Language", "enter")(pilot)
        await duvi.workers.wait_for_complete()
        await keys()(pilot)
        text = screen_text(duvi)
        assert "Transfers" in text and "Overføringer" not in text
