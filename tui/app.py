"""The duvi console: keyboard first, works over SSH at 80x24, in 16 colours, without a mouse.
Screens never touch httpx or SQLite: they call core from workers and receive messages; one
handler turns a worker's error into a visible message, never a crash."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from core.config import Settings
from tui.commands import DuviCommands
from tui.screens.main import MainScreen
from tui.workers import ShowsWorkerErrors


class DuviApp(ShowsWorkerErrors, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "duvi"
    BINDINGS = [  # noqa: RUF012 - Textual API
        Binding("ctrl+q", "quit", "Quit", id="quit"),
        Binding("colon", "command_palette", "Commands", show=False, id="palette"),
    ]
    COMMANDS = App.COMMANDS | {DuviCommands}

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.animation_level = settings.animations  # "none" suits SSH (and tests)
        self.sub_title = "SANDBOX" if settings.sandbox else "LIVE"
        if settings.read_only:
            self.sub_title += " · READ-ONLY"
        if settings.theme != "auto":
            self.theme = settings.theme
        elif self.console.color_system != "truecolor":
            self.theme = "ansi-dark"  # the terminal's own 16 colours over plain SSH
        if settings.keymap:
            self.set_keymap(settings.keymap)

    def on_mount(self) -> None:
        self.push_screen(MainScreen())
