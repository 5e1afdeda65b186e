"""What a Norwegian support agent tripped over walking the console in nb (issue 22): numbers
with a decimal point, two names for one thing, a cut word, a row out of line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.i18n import set_language
from core.readmodels import DocumentLine, TransferDocument, TransferRow, document_text
from tests.test_calendar import console_world  # noqa: F401 (a fixture)


def a_document(kind: str, lines: tuple[DocumentLine, ...]) -> TransferDocument:
    row = TransferRow(
        key=f"DUELL-{kind}-1-7",
        kind=kind,
        state="confirmed",
        visma_number="",
        error="",
        business_date=date(2026, 11, 27),
        amount=Decimal("1234.50") if kind == "invoice" else None,
    )
    return TransferDocument(
        row=row,
        source="as sent 2026-12-03T01:50:43.088Z",
        header=(),
        lines=lines,
        debit=Decimal(0),
        credit=Decimal(0),
        flags=(),
        problem=None,
        answers=(),
    )


INVOICE = a_document(
    "invoice",
    (
        DocumentLine(
            item="100",
            text="Kaffe 1 kg",
            quantity=Decimal("2.500"),
            unit_price=Decimal("450.00"),
            discount_percent=Decimal("12.50"),
            vat="3",
        ),
        DocumentLine(item="101", text="Kopp", quantity=Decimal("1250"), unit_price=Decimal(1)),
    ),
)
STOCK = a_document("stock", (DocumentLine(item="100", quantity=Decimal("-1.250"), warehouse="1"),))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nb",
            [
                "100        Kaffe 1 kg                        2,5       450,00   12,5 3",
                "101        Kopp                            1\xa0250         1,00        ",
                "100                   -1,25 1          ",
            ],
        ),
        (
            "en",
            [
                "100        Kaffe 1 kg                        2.5       450.00   12.5 3",
                "101        Kopp                            1,250         1.00        ",
                "100                   -1.25 1          ",
            ],
        ),
    ],
)
def test_quantities_and_discounts_are_numbers_of_the_language(
    language: str, expected: list[str]
) -> None:
    set_language(language)
    lines = document_text(INVOICE).splitlines() + document_text(STOCK).splitlines()
    assert [ln for ln in lines if ln.startswith(("100 ", "101 "))] == expected


JOURNAL = TransferDocument(
    row=TransferRow("DUELL-Z-1-30", "zreport", "confirmed", "000030", ""),
    source="as sent 2026-12-03T01:50:43.088Z",
    header=(),
    lines=(
        DocumentLine(text="Salg 25 % mva", account="3000", credit=Decimal("12404.50")),
        DocumentLine(text="Betaling kort", account="1920", debit=Decimal("12404.50")),
    ),
    debit=Decimal("12404.50"),
    credit=Decimal("12404.50"),
    flags=(),
    problem=None,
    answers=(),
)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_sum_row_starts_with_its_word_and_sits_under_its_columns(language: str) -> None:
    """A row that starts with spaces lost them in the popup's picture (the SVG screenshots), so
    its figures sat left of their columns: the sum's word starts the row, and each figure ends
    where its column's heading ends."""
    set_language(language)
    sums = {"nb": ("Sum", "Sum inkl. mva"), "en": ("Total", "Total incl. VAT")}[language]
    lines = document_text(JOURNAL).splitlines()
    heads = lines[lines.index("") + 1]
    total = next(ln for ln in lines if ln.lstrip().startswith(sums[0] + " "))
    assert total.startswith(sums[0])
    figure = {"nb": "12\xa0404,50", "en": "12,404.50"}[language]
    debit, credit = total.index(figure), total.rindex(figure)
    debit_head = {"nb": "Debet (kr)", "en": "Debit (NOK)"}[language]
    credit_head = {"nb": "Kredit (kr)", "en": "Credit (NOK)"}[language]
    assert debit + len(figure) == heads.index(debit_head) + len(debit_head)
    assert credit + len(figure) == heads.index(credit_head) + len(credit_head)

    lines = document_text(INVOICE).splitlines()
    heads = lines[lines.index("") + 1]
    total = next(ln for ln in lines if ln.lstrip().startswith(sums[1]))
    assert total.startswith(sums[1])
    price = {"nb": "Pris (kr)", "en": "Price (NOK)"}[language]
    figure = {"nb": "1\xa0234,50", "en": "1,234.50"}[language]
    assert total.index(figure) + len(figure) == heads.index(price) + len(price)


def nb_words() -> list[str]:
    """Every Norwegian msgstr of both catalogues (core's and the console's)."""
    from babel.messages.pofile import read_po

    from core.i18n import LOCALE_DIR
    from tui.i18n import TUI

    words = []
    for po in (LOCALE_DIR / "nb/LC_MESSAGES/duvi.po", TUI.localedir / "nb/LC_MESSAGES/duvi_tui.po"):
        with po.open("rb") as f:
            for m in read_po(f):
                words += [m.string] if isinstance(m.string, str) else list(m.string)
    return words


@pytest.mark.parametrize(
    ("other", "word"),
    [
        ("Visma filial", "Visma-filial"),  # a Norwegian compound, with a hyphen after a name
        ("Selskap", "Firma"),  # Visma's company: doctor, setup and the picker
        ("hovedkilde", "Produktbase"),  # where products are kept: the settings' word
        ("OBS", "ADV"),  # a doctor warning, in the console as in `duvi doctor`
    ],
)
def test_one_name_for_one_thing_in_nb(other: str, word: str) -> None:
    words = nb_words()
    assert not [w for w in words if other.lower() in w.lower()]
    assert any(word in w for w in words)


def test_the_same_thing_has_the_same_word_on_screens_help_and_the_command_line() -> None:
    from core.i18n import _ as core_text
    from tui.i18n import _ as tui_text

    set_language("nb")
    assert tui_text("WARN") == core_text("WARN") == "ADV "  # doctor: console, CLI
    assert tui_text("Accounts") == tui_text("Account map") == "Kontooppsett"  # help, title
    assert tui_text("Invoice bases") == "Fakturagrunnlag"  # settings, as the glossary
    assert tui_text("Company") == "Firma"  # the picker, as doctor's "Firma, Visma-filial …"
    assert core_text("Company, branch and cost bearer").startswith("Firma, Visma-filial")
    assert tui_text("! attention") == "! må sjekkes"  # the status panel, as the documents
    assert core_text("attention") == "må sjekkes"
    # The tab's summary names the branch as one word: "Avdeling 3 → Visma-filial 2"
    assert core_text("branch {number}").format(number=2) == "Visma-filial 2"
    assert core_text("(one branch)") == "Visma (én filial)"


async def test_help_says_tast_and_keeps_binding_ids_out_of_its_table() -> None:
    from textual.widgets import DataTable, Static

    from core.config import load_settings
    from tui.app import DuviApp
    from tui.screens.help import HelpScreen

    app = DuviApp(load_settings(theme="textual-dark", animations="none", language="nb"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        heads = [str(c.label) for c in table.columns.values()]
        assert heads == ["Tast", "Handling"]
        cells = {str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)}
        assert "account-mapping" not in cells and "Kontooppsett" in cells
        keys = [r[0] for r in app.screen.rows]
        await pilot.press(*["down"] * keys.index("m"))
        await pilot.pause()
        line = str(app.screen.query_one("#help-keymap", Static).render())
        assert line == "Navnet i innstillingen keymap: account-mapping"


@pytest.mark.usefixtures("console_world")
async def test_a_calendar_cell_holds_its_word_whole_at_80_columns() -> None:
    """At 80 columns a cell is 10 wide: nb "intet salg" and "må sjekkes" fill it whole (no
    space before them), a longer word ends in "…" rather than being cut silently."""
    from core.config import load_settings
    from tests.test_calendar import cell, settle
    from tui.app import DuviApp

    app = DuviApp(load_settings(animations="none", language="nb"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        screen = app.screen
        assert cell(screen, date(2026, 11, 8)) == "8 -\nintet salg"
        assert cell(screen, date(2026, 11, 6)) == "6 !\nmå sjekkes"
        assert cell(screen, date(2026, 11, 4)) == "4 H\nholdt til…"
        assert cell(screen, date(2026, 11, 12)) == "12 +\ni Visma"  # not every one released
        assert cell(screen, date(2026, 11, 2)) == "2 ✓\nbokført"  # every one released
        # back once in the footer (esc; q does the same, as on every screen)
        from tui.widgets.footer import KeysFooter

        labels = [k.label for k in screen.query_one(KeysFooter).keys]
        assert labels[0] == "esc" and "q" not in labels, labels


@pytest.mark.parametrize(
    ("language", "keys"),
    [("nb", ["t", "r", "c", "d", "^q", "?"]), ("en", ["t", "r", "c", "d", "C", "^q", "?"])],
)
async def test_the_main_footer_at_80_columns_shows_what_a_person_does_first(
    language: str, keys: list[str]
) -> None:
    """Transfers, run, conflicts and doctor before the calendar and the VAT map (the footer
    shows the keys that fit in their order; it showed t, C, r and v)."""
    from core.config import load_settings
    from tests.test_calendar import settle
    from tui.app import DuviApp
    from tui.widgets.footer import KeysFooter

    app = DuviApp(load_settings(animations="none", language=language))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = app.screen.query_one(KeysFooter).keys
        assert [k.label for k in shown] == keys
        assert shown[-1].end <= 80
        # The status panel's columns fit too, with its longest words ("! må sjekkes", as the
        # snapshot world's products and customers are): no sideways scrolling
        from core.i18n import _ as core_text
        from tui.i18n import _ as tui_text
        from tui.widgets.status_panel import STATE_MARK, StatusPanel

        panel = app.screen.query_one("#dept-status", StatusPanel)
        words = [tui_text(STATE_MARK["attention"]), "28.11 07:30", "175", core_text("no runner")]
        panel.add_row(core_text("Invoices"), *words, "")
        await pilot.pause()
        assert panel.virtual_size.width <= panel.size.width


async def test_a_log_filter_that_matches_nothing_clears_the_detail() -> None:
    """FEIL with no error logged: the list is empty, and so is the detail of the event that
    was under the cursor before; it says nothing matches."""
    from textual.widgets import DataTable, Static

    from core.config import load_settings
    from core.eventlog import Level
    from core.runtime import Runtime
    from tests.test_calendar import settle
    from tui.app import DuviApp
    from tui.screens.log import LogScreen

    with Runtime.open(load_settings()) as rt:
        rt.log.emit(Level.WARNING, "kasse 101 mangler Z 7", department_id="1", entity="zreport")
        rt.log.flush()
    app = DuviApp(load_settings(animations="none", language="nb"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LogScreen)
        detail = app.screen.query_one("#log-detail", Static)
        await pilot.press("e")  # ADVARSEL and worse: the warning
        await settle(pilot)
        assert "kasse 101 mangler Z 7" in str(detail.render())
        await pilot.press("e")  # FEIL: none
        await settle(pilot)
        assert app.screen.query_one("#log", DataTable).row_count == 0
        assert str(detail.render()) == "Ingen hendelser passer til filteret."


async def test_every_setup_field_has_a_label_above_it() -> None:
    """A placeholder goes once a field holds a value (a reopened setup's do): each input and
    choice has a line above it that names it, whatever it holds."""
    from textual.containers import Horizontal
    from textual.widgets import Input, Select, Static

    from core.config import load_settings
    from tests.test_calendar import settle
    from tui.app import DuviApp

    app = DuviApp(load_settings(animations="none", language="nb"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert type(app.screen).__name__ == "SetupScreen"
        named: dict[str, str] = {}
        above = ""
        for widget in app.screen.query_one("#body").children:
            fields = (
                list(widget.query("Input, Select")) if isinstance(widget, Horizontal) else [widget]
            )
            for field in fields:
                if isinstance(field, Input | Select):
                    named[str(field.id)] = above
            above = str(widget.render()) if type(widget) is Static else ""
    assert named == {
        "client-id": "Integrasjons-ID",
        "client-secret": "Integrasjonshemmelighet",
        "company": "Firma",
        "tenant": "Firma-ID (tenant)",
        "branch": "Klient (Visma-filial)",
        "cost-bearer": "Kostnadsbærer",
        "item-class": "Vareklasse for varene duvi oppretter (Visma krever en)",
        "warehouse": named["warehouse"],
        "inbox": named["inbox"],
        "duell-number": "DUELL-kundenummer",
        "duell-token": "DUELL API-token",
    }
    assert named["warehouse"] and named["inbox"]  # the lines that explain them
    # "Klient" is DUELL's word for Visma's branch only, never Visma Connect's login client
    assert [f for f, said in named.items() if "lient" in said] == ["branch"]


def test_the_console_s_doctor_and_duvi_doctor_count_nameless_items_alike(
    home: Path, capsys
) -> None:
    """The console ran department 1 (its product push names the Visma items linked to DUELL
    products) and its doctor said none; `duvi doctor`, a new process with the in-process
    sandbox fresh from the seed, said 41. With DUELL as product master a linked item carries
    DUELL's name, so neither counts it: both say none."""
    import json

    from core.api import ConsoleApi
    from core.boot import sandbox
    from core.cli import run
    from core.config import load_settings

    sandbox.cache_clear()  # the seeded world, whatever ran before in this process
    api = ConsoleApi(load_settings(home=home, sandbox=True))
    try:
        before = {c.id: c for c in api.doctor("1")}["masterdata.nameless"]
        assert (before.status, before.found[:3]) == ("warn", "41 ")  # nothing linked yet
        api.run("1")
        console = {c.id: c for c in api.doctor("1")}["masterdata.nameless"]
    finally:
        api.close()
    sandbox.cache_clear()  # `duvi doctor` in a new process: a fresh sandbox
    try:
        run(["doctor", "-d", "1", "--json"])
        cli = {c["id"]: c for c in json.loads(capsys.readouterr().out)}["masterdata.nameless"]
    finally:
        sandbox.cache_clear()
    assert (console.status, console.found) == ("ok", "none")
    assert (cli["status"], cli["found"]) == ("ok", "none")


async def test_the_transfers_filter_takes_and_shows_a_norwegian_date() -> None:
    from textual.widgets import Static

    from core.config import load_settings
    from tests.test_calendar import settle
    from tui.app import DuviApp
    from tui.screens.transfers import TransfersScreen

    app = DuviApp(load_settings(animations="none", language="nb"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("slash", *"1.11.26..27.11.2026", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TransfersScreen)
        assert (screen.since, screen.until) == (date(2026, 11, 1), date(2026, 11, 27))
        line = str(screen.query_one("#transfers-filters", Static).render())
        assert "Datoer: 01.11.2026..27.11.2026 (/)" in line
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"31.11.2026", "enter")
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any("'31.11.2026' er ikke en dato: skriv 27.11.2026, 27.11.26" in m for m in shown)
