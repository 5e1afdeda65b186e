"""The sync status panel: one row per entity of a department."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable

from core.readmodels import PANEL_ENTITY, RUNNABLE, DepartmentStatus

STATE_MARK = {
    "ok": "✓ ok",
    "attention": "! attention",
    "failing": "✗ failing",
    "off": "- off",
    "idle": "· idle",
    "running": "⟳ running",
}


class StatusPanel(DataTable[str]):
    BINDINGS = [  # noqa: RUF012 - Textual's API
        Binding("j", "cursor_down", "Down", show=False, id="down"),
        Binding("k", "cursor_up", "Up", show=False, id="up"),
        Binding("g", "scroll_top", "Top", show=False, id="top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="bottom"),
    ]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("Entity", "State", "Last success", "Pending", "Next run", "Last error")

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
                STATE_MARK.get(state, state),
                r.last_success or "-",
                str(r.pending),
                r.next_run or "-",
                r.last_error or "",
                key=r.entity,
            )
        self.move_cursor(row=cursor)  # a reload keeps the row a person was on
