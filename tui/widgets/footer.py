"""The console's footer of keys."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Always in the footer, however narrow (binding ids): the way back, the way to every other
# key, and out
ESSENTIAL = {"back", "help", "quit", "merge-cancel", "merge-help", "text-close", "text-help"}


class KeysFooter(Footer):
    """The keys that fit, whole: Textual's footer lays out every key and the terminal cuts
    the last one mid-word (`m Ac…` at 80 columns). Here the keys come in their screen's order
    of importance, and those that do not fit are left out (`?` lists every key); the way back
    and help always stay.

    Textual's Footer also rebuilds every key whenever the focus moves; this one only when the
    keys it shows change. Moving from the log's search box to its table otherwise costs more
    than the search (100+ ms on a slow host). And it shows its keys from its first compose:
    Textual's composes none, then all of them after one more refresh of the whole screen, which
    every screen paid on opening (a fifth of the console's start-up)."""

    _shown: tuple[object, ...] | None = None
    _fitted_width = 0

    def __init__(self) -> None:
        # The palette is `:` or ctrl+p, listed by `?`: its footer key took 12 columns
        super().__init__(show_command_palette=False)

    def _keys(self, screen: Screen[Any]) -> tuple[object, ...]:
        """What the footer shows for `screen` as it is now: the width and the shown keys."""
        return (
            self.app.size.width,
            *(
                (b.key, b.description, b.action, enabled)
                for (_, b, enabled, _tip) in screen.active_bindings.values()
                if b.show
            ),
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        shown = self._keys(screen)
        if shown == self._shown:
            self._bindings_ready = True  # what the first compose showed is still right
            return
        if screen.app.app_focus:  # Footer rebuilds only then; remember what it showed
            self._shown = shown
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._fitted_width:
            self._shown = None
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        if self._shown is None:  # the first compose, or the width changed
            self._shown = self._keys(self.screen)
        keys: list[tuple[str, str, str, str, bool]] = []  # key, shown as, text, action, on
        essential: set[int] = set()
        for _, binding, enabled, _tip in self.screen.active_bindings.values():
            if binding.show and binding.action not in {k[3] for k in keys}:
                if binding.id in ESSENTIAL:
                    essential.add(len(keys))
                shown = self.app.get_key_display(binding)
                keys.append((binding.key, shown, binding.description, binding.action, enabled))
        width = self.size.width or self.app.size.width
        self._fitted_width = width
        # A key takes its label, its text and three cells of padding (FooterKey's CSS)
        cost = [cell_len(k[1]) + cell_len(k[2]) + 3 for k in keys]
        left = width - sum(cost[i] for i in essential)
        chosen = set()
        for i in range(len(keys)):
            if i in essential:
                chosen.add(i)
            elif cost[i] <= left:
                chosen.add(i)
                left -= cost[i]
            else:
                left = -1  # in order of importance: none after the first that does not fit
        for i, (key, shown, text, action, enabled) in enumerate(keys):
            if i in chosen:
                footer_key = FooterKey(key, shown, text, action, disabled=not enabled)
                # Never compact (this footer is not), set before it mounts: Textual's bound
                # `compact` (True, then the footer's False) restyled each key twice more, a
                # tenth of the start-up.
                footer_key.set_reactive(FooterKey.compact, False)
                yield footer_key
