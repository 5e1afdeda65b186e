"""The duvi console. Until the console issue lands this is the frame it will grow in: the
header with the environment badge and a summary read from core in a worker."""

from __future__ import annotations

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from core.config import Settings
from core.overview import Overview, load_overview


class OverviewLoaded(Message):
    def __init__(self, overview: Overview) -> None:
        super().__init__()
        self.overview = overview


class DuviApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "duvi"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="quit")]  # noqa: RUF012 - Textual API

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.sub_title = "SANDBOX" if settings.sandbox else "LIVE"
        if settings.theme != "auto":
            self.theme = settings.theme

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            if self.settings.sandbox:
                yield Static("SANDBOX", id="env-badge")
            yield Static("Loading…", id="overview")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="overview")
    def load(self) -> None:
        self.post_message(OverviewLoaded(load_overview(self.settings)))

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        ov = message.overview
        lines = [
            f"Store: {ov.database} (schema v{ov.schema_version})    Events logged: {ov.events}",
            "",
        ]
        for d in ov.departments:
            state = f"set up ({d.company})" if d.set_up else "not set up: run setup"
            lines.append(f"  {d.id}  {d.name:<22} {state}")
        lines += ["", "The department tabs, sync status and editors arrive with the console issue."]
        text = "\n".join(lines)
        self.screen.query_one("#overview", Static).update(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(str(event.worker.error), title="Error", severity="error", timeout=10)
