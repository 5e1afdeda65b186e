"""The department picker: with more than nine departments the console opens here. Type to
filter (customer, department name or number, company, org. number), up/down to move, Enter
opens the department in a tab of the main screen, Esc goes back; `o` there reopens it.

Every department's worst state is read once, by one query (core/status.py), worst first; a
keystroke filters that list in memory, and the list draws only the lines in view (Textual's
Line API), so a keystroke costs the same at 5,000 departments as at 50."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from core.i18n import count_text
from core.readmodels import WORST_FIRST, DepartmentEntry
from tui.i18n import N_, _, word_of
from tui.screens.base import DuviScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

# A mark and a word: readable without colour (colour only repeats them), as the status panel
STATE_MARK = {
    "failing": N_("✗ failing"),
    "attention": N_("! attention"),
    "ok": N_("✓ ok"),
    "idle": N_("· idle"),
}


def state_mark(state: str) -> str:
    """A department's worst state with its mark, in the current language."""
    return word_of(STATE_MARK, state)


def state_width() -> int:
    """The state column's width in the current language: " ! må sjekkes" and a space."""
    return 2 + max(cell_len(state_mark(s)) for s in STATE_MARK)


@dataclass(frozen=True)
class Searchable:
    """A department with the text a query is matched against (lower case, each field after a
    space, so that " ber" finds a word that starts with "ber")."""

    entry: DepartmentEntry
    hay: str
    rank: int  # WORST_FIRST's index: failing first
    order: tuple[int, int | str]  # by number within a state


def searchable(entries: list[DepartmentEntry]) -> list[Searchable]:
    out = []
    for e in entries:
        fields = [e.id, e.name, e.customer or "", e.company or "", e.org_number or ""]
        if e.org_number:
            fields.append(re.sub(r"\D", "", e.org_number))  # 912 345 678 as 912345678 too
        order = (0, int(e.id)) if e.id.isdigit() else (1, e.id)
        out.append(Searchable(e, " " + " ".join(fields).lower(), WORST_FIRST.index(e.state), order))
    return out


def match_tier(item: Searchable, token: str, fuzzy: re.Pattern[str]) -> int | None:
    """How well one word of the query matches: 0 the department's very number, 1 the start
    of a word, 2 inside a word, 3 its letters in order within a word; None not at all."""
    if token == item.entry.id.lower():
        return 0
    if token in item.hay:
        return 1 if " " + token in item.hay else 2
    return 3 if fuzzy.search(item.hay) else None


def filter_departments(items: list[Searchable], query: str) -> list[Searchable]:
    """The departments every word of the query matches: the best-matched first (a number typed
    whole before the numbers that start with it: 3 before 30), then worst state first, then by
    number. An empty query keeps the list as it is (worst first)."""
    tokens = query.lower().split()
    if not tokens:
        return items
    # Letters in order within one word ("brgn" finds Bergen), never spread over several
    patterns = [re.compile("[^ ]*?".join(map(re.escape, t))) for t in tokens]
    scored = []
    for item in items:
        worst = 0
        for token, fuzzy in zip(tokens, patterns, strict=True):
            tier = match_tier(item, token, fuzzy)
            if tier is None:
                break
            worst = max(worst, tier)
        else:
            scored.append((worst, item.rank, item.order, item))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored]


def columns(width: int, shown: frozenset[str] = frozenset()) -> list[tuple[str, str, int]]:
    """(field, heading, width) of the columns that fit after the state: customer and org.
    number only when some department has one (`shown`), the org. number only on a wide
    terminal; what is left goes to the note."""
    wide = width >= 110
    cols = [("id", _("No."), 6), ("name", _("Department"), 22 if wide else 18)]
    if "customer" in shown:
        cols.append(("customer", _("Customer"), 18 if wide else 14))
    cols.append(("company", _("Company"), 22 if wide else 18))
    if wide and "org_number" in shown:
        cols.append(("org_number", _("Org. no."), 12))
    used = state_width() + sum(w for _f, _h, w in cols)
    cols.append(("note", _("Why"), max(0, width - used)))
    return cols


def cells(values: list[tuple[str, int]]) -> str:
    """Each value in its column with a space after it; one too long ends in "…"."""
    return "".join(
        set_cell_size(v if cell_len(v) < w else set_cell_size(v, max(0, w - 2)) + "…", w)
        for v, w in values
    )


class DepartmentList(ScrollView, can_focus=False):
    """The filtered departments, a line each; draws only the lines in view."""

    COMPONENT_CLASSES = {  # noqa: RUF012 - Textual's API
        "picker--cursor",
        *(f"picker--{state}" for state in WORST_FIRST),
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Searchable] = []
        self.cursor = 0
        self.fields: frozenset[str] = frozenset()  # the optional columns some department fills

    def show(self, rows: list[Searchable]) -> None:
        self.rows, self.cursor = rows, 0
        self.virtual_size = Size(self.size.width, len(rows))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def move(self, delta: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        self.refresh()

    @property
    def chosen(self) -> DepartmentEntry | None:
        return self.rows[self.cursor].entry if self.rows else None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        base = self.rich_style
        if index >= len(self.rows):
            if index == 0:  # a filter that matches nothing says so
                return Strip([Segment(" " + _("No matches found"), base)]).adjust_cell_length(
                    width, base
                )
            return Strip.blank(width, base)
        e = self.rows[index].entry
        state_style = base + self.get_component_rich_style(f"picker--{e.state}")
        rest_style = base
        if index == self.cursor:
            cursor = self.get_component_rich_style("picker--cursor")
            state_style, rest_style = state_style + cursor, rest_style + cursor
        rest = cells([(getattr(e, f) or "-", w) for f, _, w in columns(width, self.fields)])
        strip = Strip(
            [
                Segment(set_cell_size(f" {state_mark(e.state)}", state_width()), state_style),
                Segment(rest, rest_style),
            ]
        )
        return strip.adjust_cell_length(width, rest_style)


class DepartmentPicker(DuviScreen):
    BINDINGS = [  # noqa: RUF012 - Textual's API
        Binding("escape", "back", N_("Back"), id="back"),
        # Priority: before the search box's own Enter, and so shown in the footer
        Binding("enter", "open", N_("Open"), id="picker-open", priority=True),
        Binding("down", "move(1)", N_("Down"), show=False, id="picker-down"),
        Binding("up", "move(-1)", N_("Up"), show=False, id="picker-up"),
        Binding("pagedown", "page(1)", N_("Page down"), show=False, id="picker-page-down"),
        Binding("pageup", "page(-1)", N_("Page up"), show=False, id="picker-page-up"),
    ]

    def __init__(self, entries: list[DepartmentEntry], opened: Callable[[str], None]) -> None:
        super().__init__()
        self.items = searchable(entries)
        self.fields = frozenset(
            f for f in ("customer", "org_number") if any(getattr(e, f) for e in entries)
        )
        self.opened = opened
        # The last query and what it kept: a query typed further can only keep fewer, so the
        # next keystroke filters those, not every department.
        self._last: tuple[str, list[Searchable]] = ("", self.items)

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="picker"):
            yield Static(id="picker-title", classes="title")
            yield Input(
                placeholder=_("type a customer, department name or number, company, org. no."),
                id="picker-query",
            )
            yield Static(id="picker-head")
            yield DepartmentList(id="picker-list")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#picker-query", Input).focus()
        listing = self.query_one("#picker-list", DepartmentList)
        listing.fields = self.fields
        listing.show(self.items)
        self._count(len(self.items))

    def on_resize(self) -> None:
        width = self.query_one("#picker-list", DepartmentList).scrollable_content_region.width
        width = width or self.size.width - 2
        heads = cells([(h, w) for _, h, w in columns(width, self.fields)])
        self.query_one("#picker-head", Static).update(
            set_cell_size(" " + _("State"), state_width()) + heads
        )

    def _count(self, shown: int) -> None:
        total = len(self.items)
        bad = sum(1 for i in self.items if i.rank < 2)
        self.query_one("#picker-title", Static).update(
            _("Departments: {shown} of {total} shown; {bad} failing or needing attention").format(
                shown=count_text(shown), total=count_text(total), bad=count_text(bad)
            )
        )

    @on(Input.Changed, "#picker-query")
    def filter(self, event: Input.Changed) -> None:
        query = event.value
        last_query, last_rows = self._last
        base = last_rows if last_query and query.startswith(last_query) else self.items
        rows = filter_departments(base, query)
        self._last = (query, rows)
        self.query_one("#picker-list", DepartmentList).show(rows)
        self._count(len(rows))

    def action_move(self, delta: int) -> None:
        self.query_one("#picker-list", DepartmentList).move(delta)

    def action_page(self, direction: int) -> None:
        listing = self.query_one("#picker-list", DepartmentList)
        listing.move(direction * max(1, listing.scrollable_content_region.height - 1))

    def action_open(self) -> None:
        chosen = self.query_one("#picker-list", DepartmentList).chosen
        if chosen is None:
            return
        self.app.pop_screen()
        self.opened(chosen.id)
