"""The sync status panel: one row per entity of a department."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from core.readmodels import PANEL_ENTITY, RUNNABLE, DepartmentStatus
from tui.i18n import N_, _

STATE_MARK = {
    "ok": N_("✓ ok"),
    "attention": N_("! attention"),
    "failing": N_("✗ failing"),
    "off": N_("- off"),
    "idle": N_("· idle"),
    "running": N_("⟳ running"),
}


# DataTable's caches of drawn rows, cells and lines: all keyed by its update count
_CACHES = (
    "_row_render_cache",
    "_cell_render_cache",
    "_row_renderable_cache",
    "_line_cache",
    "_offset_cache",
    "_ordered_row_cache",
)


@dataclass
class _Place:
    """A department's place in the panel while another is shown."""

    cursor_row: int
    scroll_x: float
    scroll_y: float
    drawn: tuple[DepartmentStatus, str | None] | None  # the reading and run it was drawn from
    size: Size
    update_count: int
    caches: dict[str, LRUCache[Any, Any]]


class StatusPanel(DataTable[str]):
    """One panel for every department opened: the main screen points it at the department
    whose tab is shown. Each department's row and scroll position are kept while another is
    shown, as a panel of its own would keep them."""

    BINDINGS = [  # noqa: RUF012 - Textual's API
        Binding("j", "cursor_down", N_("Down"), show=False, id="down"),
        Binding("k", "cursor_up", N_("Up"), show=False, id="up"),
        Binding("g", "scroll_top", N_("Top"), show=False, id="top"),
        Binding("G", "scroll_bottom", N_("Bottom"), show=False, id="bottom"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.department: str | None = None  # whose rows the panel shows
        self._drawn: tuple[DepartmentStatus, str | None] | None = None  # from what, as shown
        # department -> where it was left when another was shown
        self._places: dict[str, _Place] = {}

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(
            _("Entity"), _("State"), _("Last success"), _("Pending"), _("Next run"), _("Last error")
        )

    def show(self, status: DepartmentStatus, running: str | None = None) -> None:
        """`running` is what a run now works on: "all", "transfers" or one entity."""
        busy = set(RUNNABLE.get(running, ())) if running else set()
        place: _Place | None = None
        if status.id == self.department:
            cursor = self.cursor_row  # a reload keeps the row a person was on
        else:
            if self.department is not None:
                self._places[self.department] = self._leave()
            self.department = status.id
            place = self._places.pop(status.id, None)
            cursor = place.cursor_row if place else 0
            for column in self.columns.values():  # sized to this department's cells alone
                column.content_width = column.label.cell_len
        self.clear()
        for r in status.rows:
            hit = r.entity in busy or PANEL_ENTITY[r.entity] in busy
            state = "running" if hit and r.state != "off" else r.state
            self.add_row(
                r.label,
                _(STATE_MARK[state]) if state in STATE_MARK else state,
                r.last_success or "-",
                str(r.pending),
                r.next_run or "-",
                r.last_error or "",
                key=r.entity,
            )
        if self._require_update_dimensions:
            # Measured now, not when the table is next idle: the frame that shows the rows
            # is laid out once, at their size (DataTable's _on_idle finds nothing left to do)
            self._require_update_dimensions = False
            rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions([] if self._measured_plain(rows) else rows)
        if place is None:
            self.move_cursor(row=cursor)
        else:  # back to a department shown before: its row, scrolled where it was
            self.move_cursor(row=cursor, scroll=False)
            self.scroll_to(place.scroll_x, place.scroll_y, animate=False, immediate=True)
            if place.drawn == (status, running) and place.size == self.size:
                # the same rows from the same reading: drawn from what was drawn then
                self._update_count = place.update_count
                for name, cache in place.caches.items():
                    setattr(self, name, cache)
        self._drawn = (status, running)

    def _leave(self) -> _Place:
        """Where the department shown is left, with the drawing caches of its rows (fresh
        ones put in their place): a tab switched back to, its status not read again in
        between, is drawn from them, not cell by cell as when it was first shown."""
        caches = {name: getattr(self, name) for name in _CACHES}
        for name, cache in caches.items():
            setattr(self, name, LRUCache(cache.maxsize))
        return _Place(
            self.cursor_row,
            self.scroll_x,
            self.scroll_y,
            self._drawn,
            self.size,
            self._update_count,
            caches,
        )

    def _measured_plain(self, rows: set[RowKey]) -> bool:
        """The columns widened to new rows of one-line plain text, by the text's width (what
        Rich's measuring gives such a cell, without asking the console for its options once
        per cell); False, nothing changed, when any new row holds anything else."""
        widths = []
        for key in rows:
            index = self._row_locations.get(key)
            if index is None or self.rows[key].label is not None or self.rows[key].auto_height:
                return False
            texts = [c.plain for c in self._get_row_renderables(index)[1] if isinstance(c, Text)]
            if len(texts) != len(self.columns) or not all(t.isprintable() for t in texts):
                return False  # a newline is not printable either
            widths.append([cell_len(t) for t in texts])
        if widths:
            for column, *cells in zip(self.ordered_columns, *widths, strict=False):
                column.content_width = max(column.content_width, *cells)
        return True

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A cell of plain text drawn as one segment, as Rich would draw it (padding, text,
        spaces to the column's width, the cell's styles over all of it) without Rich's
        rendering: through Rich, the panel's cells were a quarter of the frame that shows a
        department opened from the picker. Any other cell goes through DataTable's own."""
        fast = self._plain_cell(row_index, column_index, base_style, width, cursor, hover)
        if fast is not None:
            return fast
        return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

    def _plain_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool,
        hover: bool,
    ) -> list[list[Segment]] | None:
        if column_index < 0 or self.fixed_rows or self.fixed_columns:
            return None
        header = row_index == -1
        if header:
            height = self.header_height
        else:
            key = self._row_locations.get_key(row_index)
            if key is None:
                return None
            height = self.rows[key].height
        cells = self._get_row_renderables(row_index)[1]
        if height != 1 or column_index >= len(cells):
            return None
        cell = cells[column_index]
        if not isinstance(cell, Text) or cell.spans or cell.style or cell.justify:
            return None
        text, pad = cell.plain, self.cell_padding
        room = width - 2 * pad
        if not text.isprintable() or cell_len(text) > room:
            return None  # wraps, crops or holds a control character: Rich knows how
        component_style, post_style = self._get_styles_to_render_cell(
            header,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        meta = Style.from_meta({"row": row_index, "column": column_index})
        style = base_style + meta + component_style + post_style
        line = " " * pad + text + " " * (room - cell_len(text) + pad)
        return [[Segment(line, style)]]
