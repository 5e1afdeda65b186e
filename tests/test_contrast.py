"""Every text on screen is readable: each committed snapshot SVG and README screenshot passes
the contrast check (tests/helpers/screen_contrast.py, WCAG ratio >= 3.0 between a text run and
the cell under it). The snapshot tests compare pictures with pictures, so they held the
black-on-black console of issue 16 as correct; this test reads what a person would see."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.screen_contrast import check_paths, check_svg

ROOT = Path(__file__).resolve().parent.parent
PICTURES = sorted((ROOT / "tests" / "__snapshots__").rglob("*.svg")) + sorted(
    (ROOT / "screenshots").glob("*.svg")
)


def test_there_are_pictures_to_check() -> None:
    assert len(PICTURES) >= 40  # every snapshot and every README screenshot, not an empty glob


@pytest.mark.parametrize("svg", PICTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_text_run_is_readable(svg: Path) -> None:
    problems = check_paths([svg])
    assert not problems, "\n".join(
        f"row {p['row']}: {p['fg']} on {p['bg']} (ratio {p['ratio']}): {p['text']}"
        for p in problems
    )


def test_the_checker_sees_black_on_black(tmp_path: Path) -> None:
    """The check can fail: the picture of issue 16 (text in its own background colour)."""
    svg = tmp_path / "black.svg"
    svg.write_text(
        "<style>.terminal-r1 { fill: #000000 }</style>"
        '<rect fill="#000000" x="0" y="1.5" width="100" height="24.65" '
        'shape-rendering="crispEdges"/>'
        '<text class="terminal-r1" x="0" y="20" textLength="100">Doctor: department 1</text>'
    )
    assert [p["text"] for p in check_svg(svg, 3.0)] == ["Doctor: department 1"]


def test_every_screen_takes_textual_screen_css() -> None:
    """The root cause of issue 16: a DOMNode mixin listed first hid Screen's CSS (its
    background and foreground) from every screen. Textual reads CSS types from the first
    DOMNode base only."""
    import importlib
    import pkgutil

    from textual.screen import Screen, SystemModalScreen

    import tui.screens
    from tui.app import DuviApp

    for module in pkgutil.iter_modules(tui.screens.__path__):
        importlib.import_module(f"tui.screens.{module.name}")
    screens: list[type] = []
    todo: list[type] = [Screen]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("tui."):
            screens.append(cls)
    assert len(screens) >= 10
    for cls in screens:
        if issubclass(cls, SystemModalScreen):  # Textual's own palette, styled by Textual
            continue
        assert "Screen" in cls._css_type_names, cls
    assert "App" in DuviApp._css_type_names


@pytest.mark.slow
def test_each_screenshot_shows_the_screen_it_is_named_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`duvi screenshots` names each file after a screen; a key that opened something else
    (the transfers' Enter once shifted every later file by one) is caught by its title."""
    import asyncio
    import html
    import re

    from tui.screenshots import take

    titles = {
        "main": "Oslo sentrum",
        "transfers": "Transfers of department 1",
        "document": "(Z-report)",
        "calendar": "Calendar of department 1",
        "settlement": "Reconciliation, department 1",
        "conflicts": "Conflicts of department 1",
        "vat": "VAT mapping of department 1",
        "accounts": "Account map of department 1",
        "settings": "Settings of department 1",
        "log": "Events: department 1",
        "doctor": "Doctor: department 1",
        "setup": "Setup of department 3",
    }
    monkeypatch.setenv("DUVI_HOME", str(tmp_path / "home"))  # take() sets its own; restored
    written = asyncio.run(take(tmp_path / "shots"))
    assert sorted(p.stem for p in written) == sorted(titles)
    for path in written:
        text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text())).replace("\xa0", " ")
        assert titles[path.stem] in text, path.stem
