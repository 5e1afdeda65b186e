"""The console's header, which also lets go of what a closed screen leaves behind."""

from __future__ import annotations

from textual._styles_cache import StylesCache
from textual.widgets import Header


class ScreenHeader(Header):
    """Textual's Header, minus two ways in which every screen the console opened and closed
    stayed in memory (found by the soak: a console's memory rose with every screen visit).

    - Each header watches the app's title and sub-title, and Textual drops the watchers of
      closed widgets only when those change, which ours do once, at start-up.
    - Textual caches a colour computation per widget style cache (lru_cache of 1,024), and
      each cached entry holds that widget's rendered lines. Recomputing it is cheap.

    Every screen has a header, so its unmount is the moment its screen has closed."""

    def on_unmount(self) -> None:
        # Textual keeps a reactable's watchers as (node, callback) pairs in "__watchers".
        watchers: dict[str, list[tuple[object, object]]] = getattr(self.app, "__watchers", {})
        for pairs in watchers.values():
            pairs[:] = [(node, callback) for node, callback in pairs if node is not self]
        StylesCache.get_inner_outer.cache_clear()
