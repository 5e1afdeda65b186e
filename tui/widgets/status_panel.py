"""The sync status panel: one row per entity of a department."""

from __future__ import annotations

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
        self.move_cursor(row=cursor)  # a reload keeps the row a person was on
