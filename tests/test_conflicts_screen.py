"""The conflicts screen (issue 22): values in the language's number form, the source by its
own name, and a comparison that reads at 80 columns."""

from __future__ import annotations

import pytest

from core.config import load_settings
from core.i18n import set_language, value_text
from core.runtime import Runtime
from tui.app import DuviApp


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def test_stored_decimals_are_written_as_the_language_writes_them() -> None:
    set_language("nb")
    assert value_text("25.00") == "25,00"
    assert value_text("-1234.5") == "-1\u00a0234,5"
    assert value_text("7040652894353") == "7040652894353"  # a barcode: whole, as it is
    assert value_text("50-10001") == "50-10001"
    assert value_text("1.2.3") == "1.2.3"
    set_language("en")
    assert value_text("1234.50") == "1,234.50"


def raise_product_conflict() -> None:
    from core.conflicts import Conflicts

    with Runtime.open(load_settings()) as rt:
        for c in Conflicts(rt.store).list("1"):
            Conflicts(rt.store).resolve(c.id, "ignore")
        Conflicts(rt.store).raise_conflict(
            "1",
            "product",
            "duell",
            "1",
            {"name": "Bomull olivedrab 1", "price": "29.00", "cost": "12.21"},
            [
                {"id": "1", "name": "Bomull olivedrab 1", "price": "29.00", "cost": "12.21"},
                {"id": "21", "name": "Merino darkgreen 21", "price": "249.00", "cost": "101.29"},
                {"id": "164", "name": "Bomull aquamarine", "price": "1249.00", "cost": "9.10"},
            ],
            "article_no",
        )


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_the_comparison_speaks_norwegian_numbers_and_names_duell(
    size: tuple[int, int],
) -> None:
    from tui.screens.conflicts import ConflictsScreen

    set_language("nb")
    try:
        app = DuviApp(load_settings(language="nb"))
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            raise_product_conflict()
            set_language("nb")  # the runtime opened above set its settings' language
            await pilot.press("c")
            await settle(app, pilot)
            assert isinstance(app.screen, ConflictsScreen)
            assert app.screen.query_one("#conflicts").row_count == 1
            compare = app.screen.query_one("#compare")
            # Three candidates do not fit beside the incoming record at 80 or 120 columns:
            # the comparison shows the one chosen in the candidates pane, its head whole.
            heads = [str(col.label) for col in compare.columns.values()]
            assert heads == ["Felt", "Innkommende\nDUELL 1", "Kandidat\n1"]
            price = [str(cell).strip() for cell in compare.get_row("price")]
            assert price == ["price", "29,00", "29,00"]
            await pilot.press("tab", "down")  # the candidates pane: candidate 21
            await settle(app, pilot)
            heads = [str(col.label) for col in compare.columns.values()]
            assert heads[2] == "Kandidat\n21"
            assert [str(cell).strip() for cell in compare.get_row("price")][2] == "≠ 249,00"
            assert [str(cell).strip() for cell in compare.get_row("cost")][2] == "≠ 101,29"
    finally:
        set_language("en")


def contrast(a, b) -> float:
    """WCAG contrast ratio of two Textual colours."""

    def lum(c) -> float:
        def ch(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_the_palette_s_search_icon_is_visible(theme: str) -> None:
    """Textual draws it #000: black on the dark palette (issue 22)."""
    from textual.command import SearchIcon

    app = DuviApp(load_settings(theme=theme, animations="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("colon")
        await settle(app, pilot)
        icon = app.screen.query_one(SearchIcon)
        background = icon.background_colors[1]
        assert contrast(icon.styles.color, background) >= 3.0
