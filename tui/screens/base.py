"""What every full screen of the console shares: the typed way to the app, its settings and
its engine handle (no `type: ignore` on `self.app`), the one worker-error handler, and going
back (Esc or q), which asks first when the screen holds unsaved changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.binding import Binding
from textual.screen import Screen

from tui.i18n import N_, _
from tui.workers import ShowsWorkerErrors

if TYPE_CHECKING:
    from core.api import ConsoleApi
    from core.config import Settings
    from tui.app import DuviApp


class DuviScreen(ShowsWorkerErrors, Screen[None]):
    BINDINGS = [  # noqa: RUF012 - Textual's API
        Binding("escape,q", "back", N_("Back"), id="back"),
    ]

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

    async def language_changed(self) -> None:
        """The language was switched (the palette): the screen is composed again in the new
        one and does what it did on mounting (reads its data again), so every word on it is
        in the new language; the state of the screen (filters, the month) stays."""
        await self.recompose()
        mounted = getattr(self, "on_mount", None)
        if mounted is not None:
            mounted()

    def unsaved(self) -> str | None:
        """What going back would throw away ("the VAT mapping"), or None when nothing."""
        return None

    def action_back(self) -> None:
        what = self.unsaved()
        if what is None:
            self.app.pop_screen()
            return
        ask_to_discard(self, what, self.app.pop_screen)


def ask_to_discard(screen: Screen[Any], what: str, discard: object) -> None:
    """Ask before unsaved edits are thrown away; No (the default: n, Esc, Enter) stays."""
    from tui.screens.confirm import Confirm

    def answered(yes: bool | None) -> None:
        if yes and callable(discard):
            discard()

    screen.app.push_screen(
        Confirm(_("Discard the unsaved changes to {what}?").format(what=what), default=False),
        answered,
    )


def form_state(screen: Screen[Any]) -> dict[str, object]:
    """Every field's value on a form screen, by id: compared with the values as loaded or
    saved, it tells whether going back would throw edits away."""
    from textual.widgets import Checkbox, Input, Select

    return {
        w.id or "": w.value
        for w in screen.query("Input, Checkbox, Select")
        if isinstance(w, (Input, Checkbox, Select))
    }
