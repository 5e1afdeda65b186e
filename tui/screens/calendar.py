"""A department's settlement calendar: did each business day's Z-report reach Visma? A grid of
weeks, Monday first, one cell per day with its number, a mark and a word (readable without
colour; colour only repeats them). Arrows move between days, Enter opens the day's documents.

The grid is one widget that draws every cell itself: opening the screen mounts one widget, not
fifty, and moving the cursor repaints it (each of fifty widgets restyled costs more than the
100 ms an interaction may take on a loaded host)."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from core.i18n import date_text, day_month_text
from core.readmodels import (
    CALENDAR_STATES,
    CalendarDay,
    SettlementCalendar,
    calendar_legend,
    calendar_state_label,
    money_said,
    state_text,
)
from tui.i18n import N_, _, day_text, month_text, ngettext, weekday_short
from tui.messages import CalendarLoaded
from tui.screens.base import DuviScreen
from tui.widgets.cells import unbroken
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

# A Monday: the grid's weekday names are this week's, in the current language
MONDAY = date(2026, 11, 30)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def cell_text(d: CalendarDay, *, first: bool, today: date) -> tuple[str, str]:
    """A day's two lines: "17 +" over "in Visma" (nb "i Visma": Visma holds its batches, not
    all released), "17 ✓" over "released" (nb "bokført"); the month's name on its first day
    and on the grid's first (en "2 Nov", nb "2. nov."). In the current language."""
    number = day_month_text(d.day) if first or d.day.day == 1 else f"{d.day.day}"
    if not d.in_period:
        return number, ""
    if d.state == "future":
        return number, _("today") if d.day == today else ""
    mark = CALENDAR_STATES[d.state][0]
    # A cell is narrow: "attention" (nb "må sjekkes") rather than the legend's "needs attention"
    label = state_text("attention") if d.state == "attention" else calendar_state_label(d.state)
    return f"{number} {mark}", label


class CalendarGrid(Widget):
    """The weeks of a settlement calendar, a cell per day, the cursor's cell highlighted."""

    COMPONENT_CLASSES = {  # noqa: RUF012 - Textual's API
        "calendar--weekday",
        "calendar--odd-week",
        "calendar--outside",
        "calendar--cursor",
        *(f"calendar--{state}" for state in CALENDAR_STATES),
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.calendar: SettlementCalendar | None = None
        self.cursor: date | None = None

    def show(self, calendar: SettlementCalendar, cursor: date | None) -> None:
        self.calendar, self.cursor = calendar, cursor
        height = 1 + 2 * len(calendar.weeks)
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height  # a six-week month: one layout more
        self.refresh()

    def move_to(self, cursor: date) -> None:
        self.cursor = cursor
        self.refresh()

    def render(self) -> Text:
        cal = self.calendar
        if cal is None:
            return Text(_("Reading the ledger…"))
        width = max(4, (self.size.width - 6) // 7)  # seven cells, a column between them
        out = Text(no_wrap=True, overflow="crop")
        weekday = self.get_component_rich_style("calendar--weekday")
        names = [weekday_short(MONDAY + timedelta(days=i)) for i in range(7)]
        out.append(" ".join(f" {name}".ljust(width)[:width] for name in names), weekday)
        for row, week in enumerate(cal.weeks):
            cells = [
                (d, cell_text(d, first=row == 0 and i == 0, today=cal.today))
                for i, d in enumerate(week)
            ]
            for line in (0, 1):
                out.append("\n")
                for i, (d, text) in enumerate(cells):
                    # The state's colour resolved (muted text is a share of the foreground),
                    # then the week's background and the cursor over it.
                    state = f"calendar--{d.state}" if d.in_period else "calendar--outside"
                    style = self.get_component_rich_style(state)
                    if row % 2:
                        style += self.get_component_rich_style("calendar--odd-week", partial=True)
                    if d.day == self.cursor:
                        style += self.get_component_rich_style("calendar--cursor", partial=True)
                    if i:
                        out.append(" ")
                    out.append(cell_line(text[line], width), style)
        return out


def cell_line(text: str, width: int) -> str:
    """One line of a cell, `width` wide: a space before the text where it leaves room, none
    where the text fills the cell (nb "intet salg" and "må sjekkes" whole at 80 columns); a
    longer text ends in "…" (the mark and the legend say the state too), never cut silently."""
    if len(text) < width:
        return f" {text}".ljust(width)
    return text if len(text) == width else text[: width - 1] + "…"


class CalendarScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        # esc and q go back as on every screen (DuviScreen's binding: one key in the footer)
        Binding("enter", "open_day", N_("Documents"), id="calendar-open"),
        Binding("left,h", "move(-1)", N_("Day before"), show=False, id="calendar-left"),
        Binding("right,l", "move(1)", N_("Day after"), show=False, id="calendar-right"),
        Binding("up,k", "move(-7)", N_("Week before"), show=False, id="calendar-up"),
        Binding("down,j", "move(7)", N_("Week after"), show=False, id="calendar-down"),
        Binding("pageup", "month(-1)", N_("Month before"), id="calendar-earlier"),
        Binding("pagedown", "month(1)", N_("Month after"), id="calendar-later"),
        Binding("f5", "reload", N_("Refresh"), id="calendar-refresh"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.month: date | None = None  # None: the last five weeks
        self.calendar: SettlementCalendar | None = None
        self.cursor: date | None = None

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                _("Calendar of department {dept}").format(dept=self.department_id),
                id="calendar-title",
                classes="title",
            )
            yield CalendarGrid(id="calendar")
            yield Static(calendar_legend(), id="calendar-legend")
            yield Static("", id="calendar-day")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="calendar", exclusive=True)
    def load(self) -> None:
        self.post_message(CalendarLoaded(self.api.calendar(self.department_id, self.month)))

    def action_reload(self) -> None:
        self.load()

    @on(CalendarLoaded)
    def show(self, message: CalendarLoaded) -> None:
        cal = self.calendar = message.calendar
        span = (
            month_text(cal.first)
            if self.month is not None
            else f"{date_text(cal.first)} – {date_text(cal.last)}"
        )
        self.query_one("#calendar-title", Static).update(
            _("Calendar of department {dept} {name}: {span}").format(
                dept=cal.department_id, name=cal.department_name, span=span
            )
        )
        if self.cursor is None or cal.get(self.cursor) is None:
            in_period = [d.day for d in cal.days if d.in_period and d.day <= cal.today]
            self.cursor = in_period[-1] if in_period else cal.first
        self.query_one("#calendar", CalendarGrid).show(cal, self.cursor)
        self.place_cursor()

    def place_cursor(self) -> None:
        cal = self.calendar
        if cal is None or self.cursor is None:
            return
        self.query_one("#calendar", CalendarGrid).move_to(self.cursor)
        day = cal.get(self.cursor)
        if day is not None:
            pane = self.query_one("#calendar-day", Static)
            pane.update(unbroken(pane, self.day_text(day)))  # an amount is never split

    @staticmethod
    def day_text(d: CalendarDay) -> str:
        label = calendar_state_label(d.state) if d.in_period else _("not in this month")
        head = f"{day_text(d.day)}: {label}"
        if d.zreports:
            n = len(d.zreports)
            head += ngettext(
                " · {n} Z-report, {amount} · Enter: its documents",
                " · {n} Z-reports, {amount} · Enter: its documents",
                n,
            ).format(n=n, amount=money_said(d.amount))
        lines = [head]
        for z in d.zreports[:4]:
            number = f" {z.visma_number}" if z.visma_number else ""
            error = f": {z.error}" if z.error else ""
            lines.append(
                _("  Z {z} (register {register}) {state}{number}, {amount}{error}").format(
                    z=z.z_number,
                    register=z.register,
                    state=state_text(z.state),
                    number=number,
                    amount=money_said(z.amount),
                    error=error,
                )
            )
        if len(d.zreports) > 4:
            lines.append(_("  … and {n} more (Enter)").format(n=len(d.zreports) - 4))
        if d.missing:
            numbers = ", ".join(
                _("Z {z} (register {register})").format(z=z, register=r) for r, z in d.missing
            )
            lines.append(
                _("  missing: {numbers}, not in duvi: taken this day or near it").format(
                    numbers=numbers
                )
            )
        return "\n".join(lines)

    def action_move(self, days: int) -> None:
        cal = self.calendar
        if cal is None or self.cursor is None:
            return
        target = self.cursor + timedelta(days=days)
        if cal.get(target) is not None:
            self.cursor = target
            self.place_cursor()

    def action_month(self, n: int) -> None:
        cal = self.calendar
        if cal is None:
            return
        self.month = add_months(self.month or cal.today.replace(day=1), n)
        self.cursor = self.month
        self.load()

    def action_open_day(self) -> None:
        from tui.screens.transfers import TransfersScreen

        if self.cursor is not None:
            self.app.push_screen(TransfersScreen(self.department_id, day=self.cursor))
