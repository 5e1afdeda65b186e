"""What every full screen of the console shares: the typed way to the app, its settings and
its engine handle (no `type: ignore` on `self.app`), and the one worker-error handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

from tui.workers import ShowsWorkerErrors

if TYPE_CHECKING:
    from core.api import ConsoleApi
    from core.config import Settings
    from tui.app import DuviApp


class DuviScreen(ShowsWorkerErrors, Screen[None]):
    @property
    def duvi(self) -> DuviApp:
        return cast("DuviApp", self.app)

    @property
    def settings(self) -> Settings:
        """The console's settings; screens that need them open only once they are read."""
        settings = self.duvi.settings
        if settings is None:
            raise RuntimeError("the settings are not read yet")
        return settings

    @property
    def api(self) -> ConsoleApi:
        """The console's one engine handle (for worker threads: its calls block)."""
        api = self.duvi.api
        if api is None:
            raise RuntimeError("the settings are not read yet")
        return api
