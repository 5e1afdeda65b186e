from __future__ import annotations

from core.config import load_settings
from tui.app import DuviApp


async def test_console_opens_on_the_sandbox_and_quits() -> None:
    app = DuviApp(load_settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sub_title == "SANDBOX"
        text = str(app.screen.query_one("#overview").render())
        assert "schema v4" in text
        assert "1  Oslo sentrum" in text and "set up (Garnbua AS)" in text
        assert "3  Trondheim Solsiden" in text and "not set up" in text
        await pilot.press("ctrl+q")
    assert app.return_code == 0
