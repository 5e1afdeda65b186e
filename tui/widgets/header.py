"""The console's header, which also lets go of what a closed screen leaves behind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual._styles_cache import StylesCache
from textual.widget import Widget

if TYPE_CHECKING:
    from textual import events
    from textual.content import Content

ICON = "⭘"
ICON_WIDTH = 8  # as Textual's HeaderIcon: one cell of padding, the icon, blanks
CLOCK_WIDTH = 10  # Textual's HeaderClockSpace: the title stays centred as in Textual's


class ScreenHeader(Widget):
    """Textual's Header as it looks (icon, the title centred, a clock's blank space; a click
    on the icon opens the palette), drawn as one line by one widget. Textual's is four, each
    with its own CSS, and it was a tenth of the first frame's work (bench/console_bench.py).

    It watches nothing: Textual's header watches the app's title and sub-title, and drops the
    watchers of a closed screen's header only when those change, which ours do once (a
    console's memory rose with every screen visit; the soak found it). The app redraws the
    headers when it changes the sub-title (DuviApp.show_sub_title).

    Every screen has a header, so its unmount is the moment its screen has closed: Textual
    caches a colour computation per widget style cache (lru_cache of 1,024), each entry
    holding that widget's rendered lines. Recomputing it is cheap."""

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    ScreenHeader {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
        text-wrap: nowrap;
    }
    """

    def render(self) -> Content:
        from textual.content import Content

        screen, app = self.screen, self.app
        title = app.format_title(
            screen.title if screen.title is not None else app.title,
            screen.sub_title if screen.sub_title is not None else app.sub_title,
        )
        middle = max(self.size.width - ICON_WIDTH - CLOCK_WIDTH, 0)
        return Content.assemble(
            Content(f" {ICON}").pad_right(ICON_WIDTH - 2),
            title.center(middle, ellipsis=True),
            " " * CLOCK_WIDTH,
        )

    async def on_click(self, event: events.Click) -> None:
        if event.x < ICON_WIDTH:  # the icon, as in Textual's header
            event.stop()
            await self.run_action("app.command_palette")

    def on_unmount(self) -> None:
        StylesCache.get_inner_outer.cache_clear()
