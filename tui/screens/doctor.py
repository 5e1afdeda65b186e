"""Doctor: the checks of core/doctor.py for the department in view, one finding per row with
the records it concerns and what fixes it in the console: the key of the screen, which Enter
opens. A warning someone has looked at is acknowledged with `a` (a short reason, audited): it
stops raising `duvi doctor`'s exit code until what it finds changes."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.readmodels import DoctorCheck
from tui.i18n import N_, _, ngettext
from tui.messages import ActionDone, ChecksLoaded
from tui.screens.base import DuviScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader

# Marked in words, not only in colour: 16 colours and NO_COLOR read them too. A badge (text on
# its own background) stays readable on the cursor's row as well.
MARK = {
    "ok": (N_("ok  "), ""),  # plain: the rows that need a person stand out
    "warn": (N_("WARN"), "$background on $warning"),
    "fail": (N_("FAIL"), "$foreground on $error"),
}
# The terminal's own 16 colours: its default colours can be light or dark, so a badge names
# both of its colours (as app.tcss does for the sandbox badge)
ANSI_MARK = {"warn": "ansi_black on ansi_yellow", "fail": "ansi_black on ansi_red"}
# The console screen that fixes a finding (core.doctor.Fix): its key on the main screen
FIX_KEYS = {
    "setup": ("e", N_("Setup")),
    "vat": ("v", N_("VAT map")),
    "accounts": ("m", N_("Accounts")),
    "conflicts": ("c", N_("Conflicts")),
    "transfers": ("t", N_("Transfers")),
    "log": ("l", N_("Log")),
    "settings": ("s", N_("Settings")),
}
# The remedy in the console's words where the engine's names a command line
CONSOLE_REMEDY = {
    "transfers.attention": N_(
        "fix the cause named, then s on the row sends it again (f on the main screen retries "
        "every failed one); rows 'sent' are looked up in Visma first"
    ),
    "zreport.stale": N_("see their state and error in Transfers, and the checks below for why"),
    "mapping.vat": N_(
        "map every rate in use to a Visma VAT id; this department's transfers wait until then"
    ),
    "masterdata.conflicts": N_("link, merge, create or ignore each one"),
    "visma.setup": N_("sign in to Visma for this department"),
    "runner.backoff": N_(
        "the runner tries again by itself, less often while it fails; the log shows each try"
    ),
}
RECORDS_SHOWN = 5  # long records per finding on screen; `duvi doctor --json` lists them all
RECORDS_SHORT = 20  # short ones (ids, rates), on one line
RECORDS_ON_THE_FIX_SCREEN = {"masterdata.conflicts"}


def option_id(c: DoctorCheck) -> str:
    return f"{c.department_id or '-'}:{c.id}"


def records_text(records: tuple[str, ...]) -> list[str]:
    """The records as lines: short ones (ids, rates) on one line, long ones one a line."""
    if all(len(r) <= 16 for r in records):
        shown = ", ".join(records[:RECORDS_SHORT])
        more = len(records) - RECORDS_SHORT
        if more > 0:
            shown = _("{records} and {n} more").format(records=shown, n=more)
        return [shown] if records else []
    lines = list(records[:RECORDS_SHOWN])
    if len(records) > RECORDS_SHOWN:
        lines.append(_("… and {n} more").format(n=len(records) - RECORDS_SHOWN))
    return lines


INDENT = "\u00a0" * 5  # no-break spaces: the option list drops ordinary ones at a line's start


def describe(c: DoctorCheck, *, ansi: bool = False) -> Content:
    """A finding: its mark and what it found, then, indented, the records concerned, the
    fix (the key of its screen) and the acknowledgement."""
    mark, colour = MARK.get(c.status, (c.status, ""))
    mark = _(mark)
    if ansi and c.status in ANSI_MARK:
        colour = ANSI_MARK[c.status]
    if c.acknowledged:
        mark, colour = _("ack "), ""  # plain, as ok: readable in every palette
    parts: list[str | tuple[str, str]] = [
        (mark, f"bold {colour}".strip()),
        " ",
        (c.title, "bold"),
        ": " + c.found.replace("\n", f"\n{INDENT}· "),
    ]
    if c.status != "ok":
        # Not named twice; conflict numbers are what the Conflicts screen (Enter) lists
        hidden = c.id in RECORDS_ON_THE_FIX_SCREEN
        records = () if hidden else tuple(r for r in c.records if r not in c.found)
        parts += [f"\n{INDENT}· {line}" for line in records_text(records)]
        remedy = _(CONSOLE_REMEDY[c.id]) if c.id in CONSOLE_REMEDY else c.remedy or ""
        if c.fix in FIX_KEYS:
            key, label = FIX_KEYS[c.fix]
            parts += [
                f"\n{INDENT}→ ",
                (f"{key} {_(label)}", "bold"),
                _(" (Enter opens it): {remedy}").format(remedy=remedy),
            ]
        elif remedy:
            parts.append(f"\n{INDENT}→ {remedy}")
        if c.acknowledged:
            parts.append(f"\n{INDENT}{c.acknowledged}")
    return Content.assemble(*parts)


class DoctorScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("enter", "open", N_("Open fix"), id="doctor-open"),
        Binding("a", "acknowledge", N_("Acknowledge"), id="doctor-ack"),
        Binding("f5", "run", N_("Run again"), id="doctor-again"),
    ]

    def __init__(self, department_id: str | None) -> None:
        super().__init__()
        self.department_id = department_id
        self.checks: dict[str, DoctorCheck] = {}
        self.opened_fix = False  # back from a fix screen: check again

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                _("Doctor: department {dept}").format(dept=self.department_id)
                if self.department_id
                else _("Doctor: every department"),
                classes="title",
            )
            yield Static(_("Checking…"), id="doctor-summary")
            yield OptionList(id="checks")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#checks", OptionList).focus()
        self.action_run()

    def on_screen_resume(self) -> None:
        if self.opened_fix:
            self.opened_fix = False
            self.action_run()

    def action_run(self) -> None:
        self.query_one("#doctor-summary", Static).update(_("Checking…"))
        self.check()

    @work(thread=True, exit_on_error=False, group="doctor", exclusive=True)
    def check(self) -> None:
        self.post_message(ChecksLoaded(self.api.doctor(self.department_id)))

    @on(ChecksLoaded)
    def show(self, message: ChecksLoaded) -> None:
        box = self.query_one("#checks", OptionList)
        highlighted = box.highlighted
        keep = box.get_option_at_index(highlighted).id if highlighted is not None else None
        self.checks = {option_id(c): c for c in message.checks}
        box.clear_options()
        ansi = self.app.theme.startswith("ansi")
        box.add_options(Option(describe(c, ansi=ansi), id=option_id(c)) for c in message.checks)
        if keep in self.checks:
            box.highlighted = box.get_option_index(keep)  # the same finding after a re-check
        elif highlighted is None:  # the first time: on the first finding that needs a person
            first = next((i for i, c in enumerate(message.checks) if c.status != "ok"), 0)
            box.highlighted = first if self.checks else None
        elif self.checks:
            box.highlighted = min(highlighted, len(self.checks) - 1)
        counted = [c for c in message.checks if not c.acknowledged]
        warn = sum(c.status == "warn" for c in counted)
        fail = sum(c.status == "fail" for c in counted)
        acked = sum(bool(c.acknowledged) for c in message.checks)
        parts = [
            ngettext("{n} failed", "{n} failed", fail).format(n=fail),
            ngettext("{n} warning", "{n} warnings", warn).format(n=warn),
        ]
        if acked:
            parts.append(ngettext("{n} acknowledged", "{n} acknowledged", acked).format(n=acked))
        self.query_one("#doctor-summary", Static).update(
            _("{counts} · Enter opens the fix · a acknowledges").format(counts=", ".join(parts))
        )

    def selected(self) -> DoctorCheck | None:
        box = self.query_one("#checks", OptionList)
        if box.highlighted is None or not self.checks:
            return None
        return self.checks.get(box.get_option_at_index(box.highlighted).id or "")

    @on(OptionList.OptionSelected, "#checks")
    def selected_by_enter(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        c = self.selected()
        if c is None:
            return
        dept = c.department_id or self.department_id
        if c.fix not in FIX_KEYS or dept is None:
            self.notify(
                _("{title}: no screen of the console fixes this; {remedy}").format(
                    title=c.title, remedy=c.remedy or _("ok")
                )
            )
            return
        from tui.screens.accounts import AccountsScreen
        from tui.screens.conflicts import ConflictsScreen
        from tui.screens.log import LogScreen
        from tui.screens.settings import SettingsScreen
        from tui.screens.setup import SetupScreen
        from tui.screens.transfers import TransfersScreen
        from tui.screens.vat import VatScreen

        screens = {
            "setup": SetupScreen,
            "vat": VatScreen,
            "accounts": AccountsScreen,
            "conflicts": ConflictsScreen,
            "transfers": TransfersScreen,
            "log": LogScreen,
            "settings": SettingsScreen,
        }
        self.opened_fix = True
        if c.fix == "transfers" and c.days:  # the finding's days only (a closing period's)
            self.app.push_screen(TransfersScreen(dept, days=c.days))
            return
        self.app.push_screen(screens[c.fix](dept))

    def action_acknowledge(self) -> None:
        from tui.screens.ask import AskText

        c = self.selected()
        if c is None:
            return
        if c.status != "warn":
            self.notify(
                _(
                    "{title} is {status}: only a warning can be acknowledged (a failure stays "
                    "until it is fixed)."
                ).format(
                    title=c.title,
                    status=_(MARK[c.status][0]).strip() if c.status in MARK else c.status,
                ),
                severity="warning",
            )
            return
        if c.acknowledged:
            self.notify(f"{c.title}: {c.acknowledged}.")
            return
        if self.settings.read_only:
            self.notify(
                _("Read-only mode: acknowledging is a changing action."), severity="warning"
            )
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.acknowledge(c, reason)

        question = (
            _(
                "Acknowledge '{title}' of department {dept}? It stops counting until what it "
                "finds changes. Why (a few words)?"
            )
            if c.department_id
            else _(
                "Acknowledge '{title}'? It stops counting until what it finds changes. Why (a "
                "few words)?"
            )
        ).format(title=c.title, dept=c.department_id)
        self.app.push_screen(
            AskText(question, _("e.g. checked with the accountant")),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="doctor-ack")
    def acknowledge(self, check: DoctorCheck, reason: str) -> None:
        self.post_message(ActionDone(self.api.doctor_ack(check, reason)))

    @on(ActionDone)
    def acknowledged(self, message: ActionDone) -> None:
        self.notify(message.text, title=_("Acknowledged"))
        self.action_run()
