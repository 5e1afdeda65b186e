"""The log: events and HTTP calls, read a page at a time from the store (fast at a million
events), with filters (department, level, text, run), follow mode and a detail pane that shows the
redacted request and response."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from core.i18n import datetime_text, time_text
from core.readmodels import HttpCallRow, LogEntry, LogQuery, entity_text, entity_words
from tui.i18n import N_, _, word_of
from tui.messages import EventsLoaded, HttpCallsLoaded, NewerEvents
from tui.screens.base import DuviScreen
from tui.widgets.cells import fit
from tui.widgets.field import Field
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

LEVELS = (None, "WARNING", "ERROR")
PAGE = 50  # rows per read: two screens full at 200x50; `n` reads the next page
EVENT_COLUMNS = (
    (N_("Time"), 8),
    (N_("Level"), 8),
    (N_("Dept"), 4),
    (N_("Entity"), 11),
    (N_("Run"), 7),
)
ENTITY = 3  # EVENT_COLUMNS' entity column: as wide as the longest entity word (nb
# "fakturagrunnlag"), the width above the least


def event_columns() -> tuple[tuple[str, int], ...]:
    """EVENT_COLUMNS with the entity column as wide as its longest word in the language."""
    label, least = EVENT_COLUMNS[ENTITY]
    width = max(least, *map(cell_len, entity_words()))
    return (*EVENT_COLUMNS[:ENTITY], (label, width), *EVENT_COLUMNS[ENTITY + 1 :])


HTTP_COLUMNS = ((N_("Time"), 8), (N_("System"), 7), (N_("Method"), 6), (N_("Status"), 6), ("ms", 6))
LEVEL_WORDS = {"WARNING": N_("WARNING"), "ERROR": N_("ERROR")}


def level_text(name: str) -> str:
    """A level's name in the language (nb ADVARSEL, FEIL; INFO and DEBUG as they are)."""
    return word_of(LEVEL_WORDS, name)


def _local(ts: str) -> datetime | None:
    """A stored UTC time (ISO, "Z") on this host's clock; None for one that does not read."""
    try:
        return datetime.fromisoformat(ts).astimezone()
    except ValueError:
        return None


def local_time(ts: str) -> str:
    """The time column: 14:05:09 on this host's clock (the status and the transfers are
    local too; the store keeps UTC)."""
    moment = _local(ts)
    return time_text(moment, seconds=True) if moment else ts[11:19]


def local_moment(ts: str) -> str:
    """The detail pane's time: nb 28.11.2026 07:30:00, en 2026-11-28 07:30:00, local."""
    moment = _local(ts)
    return datetime_text(moment, seconds=True) if moment else ts


# The keys that act on the events only (the HTTP calls view hides them).
EVENTS_ONLY = frozenset({"search", "level", "run", "follow"})


class LogScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("slash", "search", N_("Search"), id="search"),
        Binding("e", "level", N_("Level"), id="level"),
        Binding("a", "all_departments", N_("This/all depts"), id="all-depts"),
        Binding("f", "follow", N_("Follow"), id="follow"),
        Binding("h", "http", N_("Events/HTTP"), id="http"),
        Binding("n", "older", N_("Older"), id="older"),
        Binding("r", "run", N_("This run/all"), id="run"),
    ]

    def __init__(self, department_id: str | None) -> None:
        super().__init__()
        self.department_id = department_id
        self.only_department = department_id is not None
        self.level_index = 0
        self.text: str | None = None
        self.run_id: int | None = None  # only this run's events (`r` on a row)
        self.focus_table_after_page = False
        self.shown_columns: bool | None = None  # whose columns the table has: http or events
        self.http = False
        self.search_was_open = False  # the events' search box, while the HTTP calls are shown
        self.rows: list[LogEntry | HttpCallRow] = []
        self.following = False
        self._timer: Any = None
        # The row under the cursor when the view reloaded: (events or HTTP calls, its id)
        self.keep: tuple[type, int] | None = None

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static("", id="log-title", classes="title")
            yield Field(
                placeholder=_("full-text search, Enter applies"),
                id="search-input",
                classes="hidden",
            )
            yield DataTable(id="log", cursor_type="row")
            yield Static("", id="log-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#log", DataTable).focus()
        self.reload()

    async def language_changed(self) -> None:
        self.shown_columns = None  # composed again: the table has no columns yet
        await super().language_changed()

    def shown_department(self) -> str | None:
        return self.department_id if self.only_department else None

    def log_query(self) -> LogQuery:
        return LogQuery(self.shown_department(), LEVELS[self.level_index], self.text, self.run_id)

    def reload(self) -> None:
        table = self.query_one("#log", DataTable)
        row = table.cursor_row
        shown = self.rows[row] if self.rows and row is not None and row < len(self.rows) else None
        # The same row stays under the cursor when the new page has it (follow mode)
        self.keep = (type(shown), shown.id) if shown is not None else None
        if self.shown_columns == self.http:
            table.clear()  # same columns: keep them (re-creating them re-lays the table out)
        else:
            table.clear(columns=True)
            self._add_columns(table)
        self.rows = []
        # The detail is of a row of the list just cleared: it goes with it (a filter that
        # matches nothing left the previous event's detail under an empty list).
        self.query_one("#log-detail", Static).update("")
        level_name = LEVELS[self.level_index]
        level = level_text(level_name) if level_name else _("all levels")
        # The HTTP calls are filtered by department only: their title names no level, text,
        # run or following, which that view does not apply.
        if self.http:
            title = (
                _("HTTP calls: department {dept}")
                if self.only_department
                else _("HTTP calls: every department")
            ).format(dept=self.department_id)
        else:
            title = (
                _("Events: department {dept}, {level}")
                if self.only_department
                else _("Events: every department, {level}")
            ).format(dept=self.department_id, level=level)
            if self.text:
                title += _(", text '{text}'").format(text=self.text)
            if self.run_id is not None:
                title += _(", run {run}").format(run=self.run_id)
            if self.following:
                title += _("  [following]")
        self.query_one("#log-title", Static).update(Text(title))
        self.fetch(None, append=False)

    def _add_columns(self, table: DataTable[str]) -> None:
        # Fixed widths: the table never measures a page of cells. The last column takes what
        # the terminal has left.
        columns = HTTP_COLUMNS if self.http else event_columns()
        rest = max(20, self.size.width - sum(w + 2 for _label, w in columns) - 4)
        for label, width in columns:
            table.add_column(_(label), width=width)
        table.add_column(_("Path") if self.http else _("Message"), width=rest)
        self.shown_columns = self.http

    def fetch(self, before_id: int | None, *, append: bool) -> None:
        if self.http:
            self.fetch_http(self.shown_department(), before_id, append=append)
        else:
            self.fetch_events(self.log_query(), before_id, append=append)

    @work(thread=True, exit_on_error=False, group="log", exclusive=True)
    def fetch_events(self, query: LogQuery, before_id: int | None, *, append: bool) -> None:
        rows = self.api.log_page(query, before_id=before_id, limit=PAGE)
        self.post_message(EventsLoaded(rows, append))

    @work(thread=True, exit_on_error=False, group="log", exclusive=True)
    def fetch_http(self, department_id: str | None, before_id: int | None, *, append: bool) -> None:
        rows = self.api.http_page(department_id, before_id=before_id, limit=PAGE)
        self.post_message(HttpCallsLoaded(rows, append))

    @on(EventsLoaded)
    def events_page(self, message: EventsLoaded) -> None:
        if self.http:
            return  # a page of the view we just left
        width = self._message_width()
        entity_width = event_columns()[ENTITY][1]
        self._add_page(
            [
                (
                    local_time(r.ts),
                    level_text(r.level_name),
                    r.department_id or "-",
                    fit(entity_text(r.entity), entity_width),
                    str(r.run_id) if r.run_id is not None else "-",
                    (r.said or r.message)[:width],
                )
                for r in message.rows
            ]
        )
        self.rows += message.rows
        self._place_cursor()
        self._say_if_empty()

    def _say_if_empty(self) -> None:
        if not self.rows:
            self.query_one("#log-detail", Static).update(
                Text(
                    _("No HTTP calls match the filter.")
                    if self.http
                    else _("No events match the filter.")
                )
            )

    @on(HttpCallsLoaded)
    def http_page(self, message: HttpCallsLoaded) -> None:
        if not self.http:
            return  # a page of the view we just left
        width = self._message_width()
        self._add_page(
            [
                (
                    local_time(r.ts),
                    r.system,
                    r.method,
                    r.status[:6],
                    f"{r.duration_ms:.0f}",
                    r.path[:width],
                )
                for r in message.rows
            ]
        )
        self.rows += message.rows
        self._place_cursor()
        self._say_if_empty()

    def _message_width(self) -> int:
        table = self.query_one("#log", DataTable)
        return table.columns[table.ordered_columns[-1].key].width

    def _add_page(self, cells: list[tuple[str, ...]]) -> None:
        table = self.query_one("#log", DataTable)
        table.add_rows(cells)
        if self.focus_table_after_page:
            self.focus_table_after_page = False
            self.call_after_refresh(table.focus)

    def _place_cursor(self) -> None:
        """After a reload's first page: back on the row that was under the cursor."""
        keep, self.keep = self.keep, None
        if keep is None:
            return
        kind, row_id = keep
        at = next((i for i, r in enumerate(self.rows) if r.id == row_id and type(r) is kind), None)
        if at is not None:
            self.query_one("#log", DataTable).move_cursor(row=at, animate=False)

    def _last_id(self) -> int | None:
        return self.rows[-1].id if self.rows else None

    def action_older(self) -> None:
        last = self._last_id()
        if last is not None:
            self.fetch(last, append=True)

    def action_run(self) -> None:
        """Only the highlighted event's run, or every run again."""
        if self.run_id is not None:
            self.run_id = None
        else:
            row = self.query_one("#log", DataTable).cursor_row
            entry = self.rows[row] if 0 <= row < len(self.rows) else None
            if not isinstance(entry, LogEntry) or entry.run_id is None:
                self.notify(_("This event belongs to no run."), severity="warning")
                return
            self.run_id = entry.run_id
        self.reload()

    def action_level(self) -> None:
        self.level_index = (self.level_index + 1) % len(LEVELS)
        self.reload()

    def action_all_departments(self) -> None:
        self.only_department = not self.only_department and self.department_id is not None
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The HTTP calls view has no search, level, run or follow (they filter the events):
        their keys leave its footer and do nothing there."""
        return not (self.http and action in EVENTS_ONLY)

    def action_http(self) -> None:
        self.http = not self.http
        # The search filters the events only: its box leaves with them and comes back with them
        # as it was (open or not, its text kept)
        box = self.query_one("#search-input", Input)
        if self.http:
            self.search_was_open = not box.has_class("hidden")
            box.add_class("hidden")
        else:
            box.set_class(not self.search_was_open, "hidden")
        self.refresh_bindings()
        self.reload()

    def action_search(self) -> None:
        box = self.query_one("#search-input", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Submitted, "#search-input")
    def searched(self, event: Input.Submitted) -> None:
        self.text = event.value.strip() or None
        # Focus moves to the table once the results are painted: the footer rebuilds its keys
        # on a focus change, which costs more than the search itself.
        self.focus_table_after_page = True
        self.reload()

    def action_back(self) -> None:
        box = self.query_one("#search-input", Input)
        if box.has_focus:
            box.add_class("hidden")
            self.query_one("#log", DataTable).focus()
        else:
            super().action_back()

    def action_follow(self) -> None:
        self.following = not self.following
        if self.following:
            self._timer = self.set_interval(1.0, self.poll)
        elif self._timer is not None:
            self._timer.stop()
        self.reload()

    def poll(self) -> None:
        if not self.http and self.rows:
            self.fetch_newer(self.log_query(), self.rows[0].id)

    @work(thread=True, exit_on_error=False, group="log-follow", exclusive=True)
    def fetch_newer(self, query: LogQuery, after_id: int) -> None:
        if self.api.log_has_newer(query, after_id):
            self.post_message(NewerEvents())

    @on(NewerEvents)
    def newer_events(self) -> None:
        if self.following and not self.http:
            self.reload()  # newest first: show the new page

    @on(DataTable.RowHighlighted, "#log")
    def detail(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows):
            return
        r = self.rows[event.cursor_row]
        if isinstance(r, HttpCallRow):
            text = r.detail
        else:
            data = json.dumps(r.data, ensure_ascii=False) if r.data else ""
            text = _("{time} {level} run {run}").format(
                time=local_moment(r.ts), level=level_text(r.level_name), run=r.run_id or "-"
            )
            text += f"\n{r.said or r.message}\n{data}"
        self.query_one("#log-detail", Static).update(Text(text))  # data, never markup
