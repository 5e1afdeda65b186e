"""`duvi screenshots`: SVGs of every main screen at 120x36 from the sandbox world, into
screenshots/, in the language asked for (`--language nb`). Runs headless in a temporary data
directory, so nothing of yours is shown."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SIZE = (120, 36)


async def take(out: Path, language: str | None = None) -> list[Path]:
    from core.config import load_settings
    from tui.app import DuviApp

    home = Path(tempfile.mkdtemp(prefix="duvi-shots-"))
    os.environ["DUVI_HOME"] = str(home)
    chosen = {"language": language} if language else {}
    app = DuviApp(load_settings(home=home, sandbox=True, theme="textual-dark", **chosen))
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> None:
            for _ in range(3):
                await pilot.pause()
                await app.workers.wait_for_complete()
            await pilot.pause()

        def shot(name: str) -> None:
            written.append(Path(app.save_screenshot(f"{name}.svg", str(out))))

        await settle()
        await pilot.press("r")  # a first run, so the screens have something to show
        await settle()
        await settle()
        shot("main")
        for key, name in (
            ("t", "transfers"),
            ("C", "calendar"),
            ("S", "settlement"),
            ("c", "conflicts"),
            ("v", "vat"),
            ("m", "accounts"),
            ("s", "settings"),
            ("l", "log"),
            ("d", "doctor"),
        ):
            await pilot.press(key)
            await settle()
            shot(name)
            if name == "transfers":  # and the document under the cursor, over the list
                await pilot.press("enter")
                await settle()
                shot("document")
                await pilot.press("escape")
                await settle()
            await pilot.press("escape")
            await settle()
        await pilot.press("3", "e")
        await settle()
        shot("setup")
    return written
