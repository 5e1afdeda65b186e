"""Duplicate conflicts of a department: the incoming record beside each candidate with the
differing fields highlighted, and the decisions link / create new / merge (a value per field)
/ ignore, each confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static

from core.i18n import value_text
from core.readmodels import ConflictCase, source_name
from tui.i18n import N_, _
from tui.messages import ActionDone, ConflictsLoaded
from tui.screens.base import DuviScreen
from tui.screens.confirm import Confirm
from tui.widgets.cells import Unbroken
from tui.widgets.field import Field
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tables import keep_cursor

# A conflict's entity (core's), as the list shows it
ENTITY_WORDS = {"customer": N_("customer"), "product": N_("product")}


def entity_word(entity: str) -> str:
    return _(ENTITY_WORDS[entity]) if entity in ENTITY_WORDS else entity


def _name(record: Mapping[str, object]) -> str:
    return str(
        record.get("name") or record.get("customer_name") or record.get("product_name") or ""
    )


# The comparison's widths: the candidates pane (app.tcss), the field labels, and the least a
# value column may have before the comparison shows the chosen candidate only.
CANDIDATES_WIDTH = 30
LABEL_WIDTH = 14
NARROW_LABEL_WIDTH = 12
MIN_VALUE_WIDTH = 18


class ConflictsScreen(DuviScreen):
    # Tab and shift+Tab (Textual's own) go from the list to the candidates and the
    # comparison: link and merge take the candidate under the candidates' cursor.
    BINDINGS = [  # noqa: RUF012
        Binding("l", "decide('link')", N_("Link"), id="link"),
        Binding("M", "merge", N_("Merge"), id="merge"),
        Binding("n", "decide('create')", N_("Create new"), id="create"),
        Binding("i", "decide('ignore')", N_("Ignore"), id="ignore"),
        Binding("slash", "filter", N_("Filter"), id="filter"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.all: list[ConflictCase] = []
        self.shown: list[ConflictCase] = []
        self.detail_of: int | None = None  # the conflict the candidates pane shows

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                _("Conflicts of department {dept}").format(dept=self.department_id),
                classes="title",
            )
            yield Field(
                placeholder=_("filter (name, key, id)"), id="filter-input", classes="hidden"
            )
            table: DataTable[str] = DataTable(id="conflicts", cursor_type="row")
            # Fixed widths: the list reads the same whenever its rows arrive.
            for label, width in (
                ("#", 4),
                (_("Entity"), 8),
                (_("Incoming"), 30),
                (_("Same"), 14),
                (_("Candidates"), 24),
            ):
                table.add_column(label, width=width)
            yield table
            with Horizontal(id="detail"):
                candidates: DataTable[str] = DataTable(id="candidates", cursor_type="row")
                candidates.add_columns(_("Candidate"), _("Name"))
                yield candidates
                yield DataTable(id="compare", cursor_type="none", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#conflicts", DataTable).focus()  # not the (hidden) filter box
        self.load()

    @work(thread=True, exit_on_error=False, group="conflicts", exclusive=True)
    def load(self) -> None:
        self.post_message(ConflictsLoaded(self.api.conflicts(self.department_id)))

    @on(ConflictsLoaded)
    def loaded(self, message: ConflictsLoaded) -> None:
        self.all = message.conflicts
        self.apply_filter(self.query_one("#filter-input", Input).value)

    def apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        self.shown = [
            c
            for c in self.all
            if not needle
            or needle
            in (
                f"{c.id} {c.entity} {c.match_key} {c.match_label} "
                f"{_name(c.incoming)} {c.incoming_id} " + " ".join(_name(x) for x in c.candidates)
            ).casefold()
        ]
        table = self.query_one("#conflicts", DataTable)
        with keep_cursor(table), self.prevent(DataTable.RowHighlighted):
            table.clear()
            for c in self.shown:
                table.add_row(
                    str(c.id),
                    entity_word(c.entity),
                    _name(c.incoming)[:30],
                    c.match_label or c.match_key,
                    ", ".join(str(x.get("id")) for x in c.candidates),
                    key=str(c.id),
                )
        self.show_detail()

    def action_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Changed, "#filter-input")
    def filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#filter-input")
    def filter_done(self) -> None:
        self.query_one("#conflicts", DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#filter-input", Input)
        if box.has_focus:
            box.value = ""
            box.add_class("hidden")
            self.query_one("#conflicts", DataTable).focus()
        else:
            super().action_back()

    def current(self) -> ConflictCase | None:
        table = self.query_one("#conflicts", DataTable)
        row = table.cursor_row
        return self.shown[row] if self.shown and row is not None and row < len(self.shown) else None

    @on(DataTable.RowHighlighted, "#conflicts")
    def highlighted(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        c = self.current()
        candidates = self.query_one("#candidates", DataTable)
        # The same conflict shown again (after a reload): its chosen candidate stays chosen
        same = c is not None and c.id == self.detail_of
        self.detail_of = c.id if c is not None else None
        with keep_cursor(candidates) if same else nullcontext():
            candidates.clear()
            for x in c.candidates if c is not None else ():
                candidates.add_row(str(x.get("id")), _name(x), key=str(x.get("id")))
        self.show_compare(c)

    @on(DataTable.RowHighlighted, "#candidates")
    def candidate_highlighted(self) -> None:
        c = self.current()
        if c is not None and self.narrow(c):  # the comparison shows the chosen candidate
            self.show_compare(c)

    def on_resize(self) -> None:
        self.show_compare(self.current())

    def narrow(self, c: ConflictCase) -> bool:
        """Whether the candidates do not all fit beside the incoming record readably: then
        the comparison shows the incoming record beside the chosen candidate only."""
        return self.value_width(1 + len(c.candidates), LABEL_WIDTH) < MIN_VALUE_WIDTH

    def value_width(self, columns: int, label: int) -> int:
        # The pane's width: the screen's less the candidates pane, the margins, the borders, the
        # scrollbar and each column's padding.
        room = self.app.size.width - CANDIDATES_WIDTH - 2 - 2 - 2 - 2 * (columns + 1) - label
        return room // columns

    def show_compare(self, c: ConflictCase | None) -> None:
        table = self.query_one("#compare", DataTable)
        table.clear(columns=True)
        if c is None:
            table.header_height = 1
            table.add_column(_("No open conflicts."))
            return
        source = source_name(c.source)
        indexes = list(range(len(c.candidates)))
        label = LABEL_WIDTH
        if narrow := self.narrow(c):
            indexes = [self.chosen_candidate(c)] if c.candidates else []
            label = NARROW_LABEL_WIDTH
        width = max(self.value_width(1 + len(indexes), label), MIN_VALUE_WIDTH // 2)
        # Heads on two lines when narrow: the source and the id each read whole.
        sep = "\n" if narrow else " "
        table.header_height = 2 if narrow else 1
        table.add_column(_("Field"), width=label)
        table.add_column(
            Text(
                _("Incoming {source} {id}")
                .format(source=source, id=c.incoming_id)
                .replace(f" {source} ", f"{sep}{source} ", 1)
            ),
            width=width,
        )
        for i in indexes:
            head = _("Candidate {id}").format(id=c.candidates[i].get("id"))
            table.add_column(Text(head.replace(" ", sep, 1) if narrow else head), width=width)

        # A row as high as its longest value when narrow: a value wraps rather than being cut,
        # at ordinary spaces only (an amount, nb 1 234,50, stays whole).
        def whole(text: Text) -> Text | Unbroken:
            return Unbroken(text) if narrow else text

        for r in c.fields:
            cells = [
                # Marked, not only coloured: it must read in 16 colours and under NO_COLOR.
                whole(Text("≠ " + value_text(r.candidates[i]), style="bold yellow"))
                if r.differs[i]
                else whole(Text("  " + value_text(r.candidates[i])))
                for i in indexes
            ]
            table.add_row(
                Text(r.label),
                whole(Text("  " + value_text(r.incoming))),
                *cells,
                key=r.field,
                height=None if narrow else 1,
            )

    def chosen_candidate(self, c: ConflictCase) -> int:
        row = self.query_one("#candidates", DataTable).cursor_row or 0
        return min(row, len(c.candidates) - 1)

    def action_merge(self) -> None:
        from tui.screens.merge import MergeScreen

        c = self.current()
        if c is None:
            return
        if self.refused():
            return
        if c.entity != "customer" or not c.candidates:
            self.notify(
                _("Merge is for customer conflicts: link or create new."), severity="warning"
            )
            return
        index = self.chosen_candidate(c)
        candidate = str(c.candidates[index].get("id"))

        def merged(fields: dict[str, Any] | None) -> None:
            if fields is None:
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self.resolve(c.id, "merge", candidate, fields)

            changed = ", ".join(f"{k}={v}" for k, v in fields.items() if v)
            self.app.push_screen(
                Confirm(
                    _("Merge {name} into {candidate} with {changed}?").format(
                        name=_name(c.incoming), candidate=candidate, changed=changed
                    )
                ),
                answered,
            )

        self.app.push_screen(
            MergeScreen(
                _("Merge {source} {id} into {candidate}: choose a value per field").format(
                    source=source_name(c.source), id=c.incoming_id, candidate=candidate
                ),
                list(c.fields),
                index,
                (
                    _("Incoming {id}").format(id=c.incoming_id),
                    _("Candidate {id}").format(id=candidate),
                ),
            ),
            merged,
        )

    def refused(self) -> bool:
        if self.settings.read_only:
            self.notify(
                _("Read-only mode: resolving a conflict is a changing action."), severity="warning"
            )
            return True
        return False

    def action_decide(self, action: str) -> None:
        c = self.current()
        if c is None:
            return
        if self.refused():
            return
        candidate = None
        if action == "link" and c.candidates:
            candidate = str(c.candidates[self.chosen_candidate(c)].get("id"))
        question = {
            "link": _("Link {name} to candidate {candidate}?"),
            "create": _("Create {name} as a new record?"),
            "ignore": _("Ignore {name} (it will not sync)?"),
        }[action].format(name=_name(c.incoming), candidate=candidate)

        def answered(yes: bool | None) -> None:
            if yes:
                self.resolve(c.id, action, candidate)

        self.app.push_screen(Confirm(question), answered)

    @work(thread=True, exit_on_error=False, group="resolve")
    def resolve(
        self,
        conflict_id: int,
        action: str,
        candidate: str | None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.post_message(ActionDone(self.api.resolve(conflict_id, action, candidate, fields)))

    @on(ActionDone)
    def resolved(self, message: ActionDone) -> None:
        self.notify(message.text)
        self.load()
