"""The console's footer of keys."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """Textual's Footer rebuilds every key whenever the focus moves; this one only when the
    keys it shows change. Moving from the log's search box to its table otherwise costs more
    than the search (100+ ms on a slow host)."""

    _shown: tuple[tuple[str, str, str, bool], ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (b.key, b.description, b.action, enabled)
            for (_, b, enabled, _tip) in screen.active_bindings.values()
            if b.show
        )
        if shown == self._shown and self._bindings_ready:
            return
        if screen.app.app_focus:  # Footer rebuilds only then; remember what it showed
            self._shown = shown
        super().bindings_changed(screen)
