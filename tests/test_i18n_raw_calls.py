"""The raw calls (`w` on a transfer, `h` in the log, a document's answers) in the language
(issue 22): the answer and its time as whole words of the language, the time local and written
as the language writes it, and the HTTP view's title naming only the filter it applies."""

from __future__ import annotations

import pytest

from core.httplog import describe
from core.i18n import set_language
from core.readmodels import document_text
from tests.test_i18n_document import oslo  # noqa: F401 - the fixture

CALL = {
    "ts": "2026-12-02T14:05:03.123Z",
    "method": "POST",
    "path": "/v2/journaltransaction",
    "status": 201,
    "duration_ms": 3.13,
    "visma_id": None,
    "error": None,
    "request": '{"a": 1}',
    "response": 'Location: https://visma/v2/journaltransaction/30\n\n{"b": 2}',
}


@pytest.mark.usefixtures("oslo")
@pytest.mark.parametrize(
    ("language", "expected", "english"),
    [
        (
            "nb",
            [
                "02.12.2026 15:05:03  POST /v2/journaltransaction  svar 201 etter 3,13 ms",
                "forespørsel:",
                "svar, Location: https://visma/v2/journaltransaction/30",
                "svar:",
            ],
            ("->", "request:", "response", " in 3", "2026-12-02T"),
        ),
        (
            "en",
            [
                "2026-12-02 15:05:03  POST /v2/journaltransaction  answer 201 after 3.13 ms",
                "request:",
                "response, Location: https://visma/v2/journaltransaction/30",
                "response:",
            ],
            ("->", "2026-12-02T"),
        ),
    ],
)
def test_a_raw_call_reads_in_the_language(
    language: str, expected: list[str], english: tuple[str, ...]
) -> None:
    set_language(language)
    try:
        text = describe(CALL)
    finally:
        set_language("en")
    lines = text.splitlines()
    assert [ln for ln in lines if ln in expected] == expected, lines
    assert not [w for w in english if w in text], text


@pytest.mark.usefixtures("oslo")
def test_a_call_without_an_answer_says_so_in_the_language() -> None:
    set_language("nb")
    try:
        text = describe({**CALL, "status": None, "error": "ConnectTimeout", "request": None})
    finally:
        set_language("en")
    assert text == (
        "02.12.2026 15:05:03  POST /v2/journaltransaction  ingen svar etter 3,13 ms"
        "  (ConnectTimeout)\nsvar, Location: https://visma/v2/journaltransaction/30\nsvar:\n"
        '{\n  "b": 2\n}'
    )


@pytest.mark.usefixtures("oslo")
def test_a_document_s_answers_read_in_the_language() -> None:
    from tests.test_i18n_document import DOC

    set_language("nb")
    try:
        lines = document_text(DOC).splitlines()
    finally:
        set_language("en")
    assert "03.12.2026 02:50:43  POST /v2/journaltransaction  svar 201" in lines, lines
    assert not [ln for ln in lines if "->" in ln], lines


async def test_the_http_view_s_title_names_only_what_it_filters() -> None:
    """The HTTP calls are filtered by department only: the title names no level (`e` changes
    the events' level, not the calls'), nor the events' text, run or following."""
    from core.config import load_settings
    from tui.app import DuviApp
    from tui.screens.log import LogScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("l")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, LogScreen)
        title = app.screen.query_one("#log-title")
        assert "all levels" in str(title.render())  # the events' view names its level
        await pilot.press("h", "e")
        await pilot.pause()
        assert str(title.render()) == "HTTP calls: department 1"
        await pilot.press("a")
        await pilot.pause()
        assert str(title.render()) == "HTTP calls: every department"
