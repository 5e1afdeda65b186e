"""Doctor: the checks of core/doctor.py with their remedies, for the department in view."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.messages import ChecksLoaded
from tui.screens.base import DuviScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

MARK = {"ok": "[green]ok  [/]", "warn": "[yellow]WARN[/]", "fail": "[red]FAIL[/]"}


class DoctorScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("f5", "run", "Run again", id="doctor-again"),
    ]

    def __init__(self, department_id: str | None) -> None:
        super().__init__()
        self.department_id = department_id

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(f"Doctor: department {self.department_id or 'all'}", classes="title")
            with VerticalScroll():
                yield Static("Checking…", id="checks")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        self.query_one("#checks", Static).update("Checking…")
        self.check()

    @work(thread=True, exit_on_error=False, group="doctor", exclusive=True)
    def check(self) -> None:
        self.post_message(ChecksLoaded(self.api.doctor(self.department_id)))

    @on(ChecksLoaded)
    def show(self, message: ChecksLoaded) -> None:
        from rich.markup import escape

        lines = []
        for c in message.checks:
            lines.append(f"{MARK[c.status]} {escape(c.title)}: {escape(c.found)}")
            if c.status != "ok" and c.remedy:
                lines.append(f"      → {escape(c.remedy)}")
        self.query_one("#checks", Static).update("\n".join(lines))
