"""The console's footer of keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

from tui.i18n import binding_text

# Always in the footer, however narrow (binding ids): the way back, the way to every other
# key, and out
ESSENTIAL = {"back", "help", "quit", "merge-cancel", "merge-help", "text-close", "text-help"}


@dataclass(frozen=True)
class ShownKey:
    """A key the footer shows, and the cells it takes (from `start`, `end` excluded)."""

    key: str
    label: str  # as the key is shown (^q)
    description: str
    enabled: bool
    start: int
    end: int


class KeysFooter(Widget):
    """The keys that fit, whole: Textual's footer lays out every key and the terminal cuts
    the last one mid-word (`m Ac…` at 80 columns). Here the keys come in their screen's order
    of importance, and those that do not fit are left out (`?` lists every key); the way back
    and help always stay.

    One widget drawing one line, where Textual's Footer mounts, styles and lays out a widget
    per key, and rebuilds them all whenever the focus moves: that was a tenth of the console's
    start-up, and moving from the log's search box to its table cost more than the search. It
    looks as Textual's does (the same theme colours; a key that does nothing now is dim) and a
    click on a key presses it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description"}  # noqa: RUF012
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[ShownKey] = []  # what the last render showed
        self._shown: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _keys_of(self, screen: Screen[Any]) -> tuple[tuple[str, str, str, str, str, bool], ...]:
        """The screen's shown keys in its order: (key, shown as, binding id, description,
        action, on)."""
        return tuple(
            (b.key, self.app.get_key_display(b), b.id or "", binding_text(b), b.action, enabled)
            for (_, b, enabled, _tip) in screen.active_bindings.values()
            if b.show
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if screen is self.screen and self._keys_of(screen) != self._shown:
            self.refresh()

    def render(self) -> Text:
        bindings = self._keys_of(self.screen)
        self._shown = bindings
        keys: list[tuple[str, str, str, bool]] = []  # key, shown as, text, on
        essential: set[int] = set()
        actions: set[str] = set()
        for key, shown, binding_id, description, action, enabled in bindings:
            if action in actions:
                continue
            actions.add(action)
            if binding_id in ESSENTIAL:
                essential.add(len(keys))
            keys.append((key, shown, description, enabled))
        width = self.size.width or self.app.size.width
        # A key takes its label, its text and three cells of padding
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
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        line = Text()
        self.keys = []
        for i, (key, shown, description, enabled) in enumerate(keys):
            if i not in chosen:
                continue
            base = self.rich_style + (Style(dim=True) if not enabled else Style())
            start = line.cell_len
            line.append(f" {shown} ", base + key_style)
            line.append(f"{description} ", base + description_style)
            self.keys.append(ShownKey(key, shown, description, enabled, start, line.cell_len))
        return line

    def on_mouse_down(self, event: events.MouseDown) -> None:
        shown = next((k for k in self.keys if k.start <= event.x < k.end), None)
        if shown is None:
            return
        if shown.enabled:
            self.app.simulate_key(shown.key)
        else:
            self.app.bell()
