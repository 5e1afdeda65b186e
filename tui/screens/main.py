"""The main screen: a tab per DUELL department with its sync status panel and settings.

With more than nine departments (PICKER_ABOVE) the tabs hold only the departments opened in
this session: the console opens on the department picker (tui/screens/departments.py), `o`
reopens it, and only the opened departments' status panels are read.

The tabs are labels only (Textual's Tabs): one department pane (its hint, status panel and
settings summary) is mounted once and shows the department of the active tab. Opening a
department adds a label and fills that pane again, instead of mounting a pane per tab. The
tab bar itself comes with the first status read: before it there is nothing to label, and its
five widgets were a fifth of the first frame's work (bench/console_bench.py)."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.widgets import Tabs

    from core.readmodels import DepartmentEntry, DepartmentStatus
    from tui.messages import RunFinished, StatusLoaded

from core.i18n import count_text
from tui.i18n import N_, _
from tui.screens.base import DuviScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

_frozen = False
PICKER_ABOVE = 9  # more departments than the number keys: the console opens on the picker

# What a run works on (core.status.RUNNABLE's keys), as a notification names it
RUN_WHAT = {
    "all": N_("everything"),
    "transfers": N_("the transfers"),
    "products": N_("the products"),
    "customers": N_("the customers"),
    "zreports": N_("the Z-reports"),
    "invoices": N_("the invoice bases"),
    "stock": N_("the stock"),
    "webhooks": N_("the webhooks"),
}


def freeze_start_up() -> None:
    """What start-up made (the engine's and Textual's modules, classes and the main screen)
    lives as long as the console: out of the collector's full passes, each of which walked all
    of it (a pause of up to 150 ms, landing on whatever key came next). Once a process, after
    one collection, so that no garbage of before is kept for good (a test process opens many
    consoles); objects are still freed by their reference counts."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


class MainScreen(DuviScreen):
    # In the order of importance: the footer shows, left to right, as many as fit (80 columns:
    # up to Setup; 120: all but Retry and Refresh); `?` lists them all.
    BINDINGS = [  # noqa: RUF012 - Textual's API
        *[
            # "Dept {n}" in the current language: tui.i18n.binding_text
            Binding(str(n), f"jump({n})", f"Dept {n}", show=False, id=f"dept-{n}")
            for n in range(1, 10)
        ],
        # In order of importance: the footer shows those that fit, from the first (at 80
        # columns t, r, c and d in nb, C too in en; `?` lists every key).
        Binding("t", "transfers", N_("Transfers"), id="transfers"),
        Binding("r", "run_now", N_("Run all"), id="run-now"),
        Binding("c", "conflicts", N_("Conflicts"), id="conflicts"),
        Binding("d", "doctor", N_("Doctor"), id="doctor"),
        Binding("C", "calendar", N_("Calendar"), id="calendar"),
        Binding("l", "log", N_("Log"), id="log"),
        Binding("e", "setup", N_("Setup"), id="setup"),
        Binding("v", "vat", N_("VAT map"), id="vat-mapping"),
        # Not in the footer (its width is the other keys'); `?` and the palette list it.
        Binding("S", "settlement", N_("Reconciliation"), show=False, id="settlement"),
        # The department picker: not in the footer (the main screen says "press o" when more
        # departments than the number keys wait there); `?` and the palette list it.
        Binding("o", "pick", N_("Departments"), show=False, id="pick-department"),
        Binding("m", "accounts", N_("Accounts"), id="account-mapping"),
        Binding("s", "settings", N_("Settings"), id="settings"),
        Binding("R", "run_row", N_("Run row"), id="run-row"),
        Binding("f", "retry_failed", N_("Retry failed"), id="retry-failed"),
        Binding("f5,ctrl+r", "refresh", N_("Refresh"), id="refresh"),
        # q on the first screen quits, as in less, htop or lazygit: going back from the top
        # is leaving (asked first while a run is going); ctrl+q quits from anywhere.
        Binding("q", "quit_console", N_("Quit"), show=False, id="quit-q"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.statuses: dict[str, DepartmentStatus] = {}
        # department -> what runs there ("all", "zreports"…); changed on the UI thread only
        self.running: dict[str, str] = {}
        # Every department's worst state (the picker's list), and the departments opened in
        # this session, in the order they were opened (picker mode only)
        self.index: list[DepartmentEntry] = []
        self.opened: list[str] = []
        self._show: str | None = None  # a department opened, whose tab is shown once read
        self._picker_offered = False
        self._from_picker = False

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static("", id="env-badge")
            yield Static("", id="pick-hint", classes="hidden")
            # the tab bar (a label per department): mounted with the first status read; the
            # one pane: with the first department shown
            yield Vertical(id="department")
        yield KeysFooter()

    def on_mount(self) -> None:
        if self.duvi.settings is not None:
            self.settings_ready()  # else the app calls it once the settings are read

    def on_screen_resume(self) -> None:
        """Back from another screen (setup, a conflict resolved…): show what changed. Not back
        from the picker: it read nothing, and the department it opens is read on its own."""
        if self._from_picker:
            self._from_picker = False
            return
        if self.duvi.settings is not None and self.statuses:
            self.load_status()

    def settings_ready(self) -> None:
        self.refresh_bindings()
        self.load_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until the settings are read (a moment after the first frame), the keys show dimmed
        and only help and quit work. There is no going back from here (Esc does nothing), and
        a department key works only for a department that exists."""
        if action == "back":
            return False
        if action == "jump":
            return bool(self.statuses) and str(parameters[0]) in self.statuses
        if action == "pick":
            return bool(self.index)
        if self.duvi.settings is not None or action == "quit_console":
            return True
        return None

    def action_quit_console(self) -> None:
        if not self.running:
            self.app.exit()
            return
        from tui.screens.confirm import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.exit()

        busy = ", ".join(sorted(self.running))
        self.app.push_screen(
            Confirm(
                _(
                    "Department {departments} is running. Quit anyway? The run stops where it "
                    "is (nothing is sent twice; the next run picks it up)."
                ).format(departments=busy)
            ),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="status", exclusive=True)
    def load_status(self) -> None:
        """Every department's worst state (one query), and the status panels: of every
        department when they fit the number keys, else of those opened in this session."""
        from tui.messages import StatusLoaded  # not before the first frame

        index = self.api.department_index()
        if len(index) > PICKER_ABOVE:
            statuses = self.api.status(list(self.opened))
        else:
            statuses = self.api.status()
        self.post_message(StatusLoaded(statuses, self.settings.sandbox, index))

    @work(thread=True, exit_on_error=False, group="open")
    def load_department(self, dept_id: str) -> None:
        from tui.messages import StatusLoaded

        self.post_message(StatusLoaded(self.api.status([dept_id]), self.settings.sandbox))

    async def on_status_loaded(self, message: StatusLoaded) -> None:
        """The pane filled and the tabs added in one frame: a department opened is not shown
        half done first (the picker's Enter paid for two frames)."""
        with self.app.batch_update():
            await self._show_status(message)

    async def _show_status(self, message: StatusLoaded) -> None:
        from tui.widgets.status_panel import StatusPanel  # after the first frame

        try:
            badge = self.query_one("#env-badge", Static)
        except NoMatches:  # composed again (a language switch) while this was on its way:
            return  # its own reading follows (language_changed → settings_ready)
        if message.sandbox:
            badge.update(_("SANDBOX"))
            badge.add_class("sandbox")
        else:
            company = next((d.company for d in message.departments if d.company), "Visma.net")
            badge.update(company or "")
        known = set(self.statuses)
        tabs = self._tabs()
        if tabs is None:  # the first status read: before the picker's first Enter needs it
            from textual.widgets import Tabs

            tabs = Tabs(id="departments")
            await self.query_one("#department").mount(tabs, before=0)
            if self.focused is None:  # as when it was composed: the screen's first to focus
                tabs.focus()
        if message.departments and self._pane() is None:
            await self.query_one("#department").mount(
                Vertical(
                    Static(id="dept-hint", classes="setup-hint"),
                    StatusPanel(id="dept-status"),
                    Static(id="dept-summary", classes="summary"),
                    id="dept-pane",
                )
            )
        for d in message.departments:
            self.statuses[d.id] = d
            # The tab says which department waits for setup, without opening it.
            label = (
                f"{d.id} {d.name}"
                if d.set_up
                else _("{id} {name} (not set up)").format(id=d.id, name=d.name)
            )
            tab = tabs.get_tab(f"dept-{d.id}")
            if tab is None:
                from textual.widgets import Tab

                await tabs.add_tab(Tab(label, id=f"dept-{d.id}"))
            elif tab.label.plain != label:
                tab.label = label
        if self._show is not None and self._show in self.statuses:
            tabs.active, self._show = f"dept-{self._show}", None
        shown = self.current_department()
        if shown is not None and any(d.id == shown for d in message.departments):
            self._point(shown, again=True)
        if message.index is not None:
            self.index = message.index
        picking = len(self.index) > PICKER_ABOVE
        pick_hint = self.query_one("#pick-hint", Static)
        pick_hint.set_class(not picking or bool(self.statuses), "hidden")
        if message.index is not None:  # not again for each department opened
            bad = sum(1 for e in self.index if e.state in ("failing", "attention"))
            pick_hint.update(
                _(
                    "{n} departments, {bad} failing or needing attention: press o to find one "
                    "(by customer, name, number, company or org. number)."
                ).format(n=count_text(len(self.index)), bad=count_text(bad))
            )
        if set(self.statuses) != known or message.index is not None:
            self.refresh_bindings()  # the department keys that now work
        if picking and not self._picker_offered:
            self._picker_offered = True
            self.action_pick()
        if not known:
            freeze_start_up()

    def on_tabs_tab_activated(self, message: Tabs.TabActivated) -> None:
        """A tab chosen (a number key, a click, left or right on the tab bar): the pane shows
        its department."""
        if message.tabs.id == "departments" and message.tab.id:
            self._point(message.tab.id.removeprefix("dept-"))

    def _point(self, dept: str, *, again: bool = False) -> None:
        """The one department pane shows `dept` (again: its status was read anew)."""
        from tui.widgets.status_panel import StatusPanel

        status, pane = self.statuses.get(dept), self._pane()
        if status is None or pane is None:
            return
        panel = pane.get_child_by_id("dept-status", StatusPanel)
        if panel.department == dept and not again:
            return
        hint = status.backoff or (
            "" if status.set_up else _("Not set up: press e (Setup) to sign in to Visma.")
        )
        pane.get_child_by_id("dept-hint", Static).update(hint)
        panel.show(status, self.running.get(dept))
        pane.get_child_by_id("dept-summary", Static).update(status.settings_summary)

    def _tabs(self) -> Tabs | None:
        """The tab bar, once the first status was read (Tabs not imported before: see above)."""
        try:
            tabs = self.query_one("#department").get_child_by_id("departments")
        except NoMatches:
            return None
        return cast("Tabs", tabs)

    def _pane(self) -> Vertical | None:
        """The department pane, once a department was shown: found by id among its parent's
        children, not by a query that walks every tab."""
        try:
            return self.query_one("#department").get_child_by_id("dept-pane", Vertical)
        except NoMatches:
            return None

    def action_pick(self) -> None:
        """The department picker: type to filter, Enter opens the department in a tab."""
        from tui.screens.departments import DepartmentPicker

        if self.index:
            self._from_picker = True
            self.app.push_screen(DepartmentPicker(self.index, self.open_department))

    def open_department(self, dept_id: str) -> None:
        """Show the department's tab; one not opened yet is read, then shown (the picker's
        Enter and the palette's jump)."""
        tabs = self._tabs()
        if tabs is not None and tabs.get_tab(f"dept-{dept_id}") is not None:
            tabs.active = f"dept-{dept_id}"
            return
        if dept_id not in self.opened:
            self.opened.append(dept_id)
        self._show = dept_id
        self.load_department(dept_id)

    async def language_changed(self) -> None:
        """The tabs are built as the status comes: composed again, they are added again."""
        self.statuses = {}
        await self.recompose()
        if self.duvi.settings is not None:
            self.settings_ready()

    def current_department(self) -> str | None:
        tabs = self._tabs()
        active = tabs.active if tabs is not None else None
        return active.removeprefix("dept-") if active else None

    def action_jump(self, n: int) -> None:
        tabs = self._tabs()
        if tabs is not None and tabs.get_tab(f"dept-{n}") is not None:
            tabs.active = f"dept-{n}"

    def action_refresh(self) -> None:
        self.load_status()

    def action_run_now(self) -> None:
        self._run("all")

    def action_run_row(self) -> None:
        from core.readmodels import PANEL_ENTITY
        from tui.widgets.status_panel import StatusPanel

        pane = self._pane()
        if self.current_department() is None or pane is None:
            return
        panel = pane.get_child_by_id("dept-status", StatusPanel)
        row = panel.coordinate_to_cell_key(panel.cursor_coordinate).row_key.value
        self._run(PANEL_ENTITY[row or "zreport"])

    def action_retry_failed(self) -> None:
        self._run("transfers", retry_failed=True)

    def _run(self, entity: str, *, retry_failed: bool = False) -> None:
        dept = self.current_department()
        if dept is None:
            return
        if self.settings.read_only:
            self.notify(
                _("Read-only mode: running a sync is a changing action."),
                title=_("Refused"),
                severity="warning",
            )
            return
        if dept in self.running:
            self.notify(
                _("Department {dept} is already running ({what}).").format(
                    dept=dept, what=_(RUN_WHAT.get(self.running[dept], self.running[dept]))
                )
            )
            return
        self.running[dept] = entity
        self._point(dept, again=True)  # the pane shows the department of the active tab
        self.notify(
            _("Running the failed transfers of department {dept} again…").format(dept=dept)
            if retry_failed
            else _("Running {what} of department {dept}…").format(
                what=_(RUN_WHAT.get(entity, entity)), dept=dept
            )
        )
        self.run_department(dept, entity, retry_failed)

    @work(thread=True, exit_on_error=False, group="run")
    def run_department(self, dept: str, entity: str, retry_failed: bool) -> None:
        from tui.messages import RunFinished

        try:
            summary = self.api.run(dept, entity, retry_failed=retry_failed)
        except BaseException:
            self.post_message(RunFinished(dept, None))  # the department is free again
            raise  # and the one worker-error handler shows why
        self.post_message(RunFinished(dept, summary))

    def on_run_finished(self, message: RunFinished) -> None:
        self.running.pop(message.department_id, None)
        if message.summary is not None:
            self.notify(message.summary, title=_("Done"))
        self.load_status()

    def action_transfers(self) -> None:
        from tui.screens.transfers import TransfersScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(TransfersScreen(dept))

    def action_calendar(self) -> None:
        from tui.screens.calendar import CalendarScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(CalendarScreen(dept))

    def action_settlement(self) -> None:
        from tui.screens.settlement import ReconciliationScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(ReconciliationScreen(dept))

    def action_conflicts(self) -> None:
        from tui.screens.conflicts import ConflictsScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(ConflictsScreen(dept))

    def action_vat(self) -> None:
        from tui.screens.vat import VatScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(VatScreen(dept))

    def action_doctor(self) -> None:
        from tui.screens.doctor import DoctorScreen

        self.app.push_screen(DoctorScreen(self.current_department()))

    def action_accounts(self) -> None:
        from tui.screens.accounts import AccountsScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(AccountsScreen(dept))

    def action_setup(self) -> None:
        from tui.screens.setup import SetupScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(SetupScreen(dept))

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen

        dept = self.current_department()
        if dept is not None:
            self.app.push_screen(SettingsScreen(dept))

    def action_log(self) -> None:
        from tui.screens.log import LogScreen

        self.app.push_screen(LogScreen(self.current_department()))
