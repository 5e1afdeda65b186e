"""The sync status panel: one row per entity of a department."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

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


class StatusPanel(DataTable[str]):
    BINDINGS = [  # noqa: RUF012 - Textual's API
        Binding("j", "cursor_down", N_("Down"), show=False, id="down"),
        Binding("k", "cursor_up", N_("Up"), show=False, id="up"),
        Binding("g", "scroll_top", N_("Top"), show=False, id="top"),
        Binding("G", "scroll_bottom", N_("Bottom"), show=False, id="bottom"),
    ]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(
            _("Entity"), _("State"), _("Last success"), _("Pending"), _("Next run"), _("Last error")
        )

    def show(self, status: DepartmentStatus, running: str | None = None) -> None:
        """`running` is what a run now works on: "all", "transfers" or one entity."""
        busy = set(RUNNABLE.get(running, ())) if running else set()
        cursor = self.cursor_row
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
            self._update_dimensions(rows)
        self.move_cursor(row=cursor)  # a reload keeps the row a person was on

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
