"""Setup of a department, DUELL's steps: sign in with the department's Visma integration
client (the secret is masked and never shown again), ⟳ list the companies it reaches and
choose one (or type a new company's tenant id and ⟳ check it), choose
the branch when the company has several ("Flere klienter") and the cost bearer when used
("Flere avdelinger"), save. Errors come inline with their remedy."""

from __future__ import annotations

from pydantic import SecretStr
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Select, Static

from core.readmodels import SetupProbe
from tui.messages import ActionDone, CompaniesLoaded, SignInChecked
from tui.screens.base import DuviScreen, form_state
from tui.widgets.field import Field
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tick import Tick


class SetupScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("f6", "companies", "⟳ Companies", id="setup-companies"),
        Binding("f5", "check", "⟳ Check", id="setup-check"),
        Binding("ctrl+s", "save", "Save", id="setup-save"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.result: SetupProbe | None = None
        self.saved_state: dict[str, object] = {}  # the form as opened or saved

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with VerticalScroll(id="body"):
            yield Static(
                f"Setup of department {self.department_id}: the Visma integration "
                "client of this department",
                classes="title",
            )
            yield Field(placeholder="client id (isv_...)", id="client-id")
            yield Field(placeholder="client secret", password=True, id="client-secret")
            with Horizontal(classes="buttons"):
                yield Button("⟳ Companies (F6)", id="companies")
                yield Select([], id="company", prompt="company")
            yield Field(placeholder="company tenant id (not the customer tenant)", id="tenant")
            yield Button("⟳ Check (F5)", id="check")
            yield Static("", id="setup-result")
            yield Tick("Flere klienter: the company has several branches", id="several-clients")
            yield Select([], id="branch", prompt="branch")
            yield Tick("Flere avdelinger: mark lines with a cost bearer", id="several-depts")
            yield Select([], id="cost-bearer", prompt="cost bearer")
            yield Button("Save (ctrl+s)", id="save", variant="primary")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#client-id", Input).focus()  # type straight away (not the scroller)
        self.saved_state = form_state(self)

    def unsaved(self) -> str | None:
        if form_state(self) == self.saved_state:
            return None
        return f"the setup of department {self.department_id}"

    @on(Button.Pressed, "#check")
    def pressed_check(self) -> None:
        self.action_check()

    @on(Button.Pressed, "#companies")
    def pressed_companies(self) -> None:
        self.action_companies()

    def action_companies(self) -> None:
        cid, secret, tenant = self.credentials()
        if not (cid and secret.get_secret_value()):
            self.query_one("#setup-result", Static).update(
                "Fill in the client id and the secret first."
            )
            return
        self.query_one("#setup-result", Static).update("Looking for companies…")
        self.companies(cid, secret, tenant)

    @work(thread=True, exit_on_error=False, group="setup", exclusive=True)
    def companies(self, cid: str, secret: SecretStr, tenant: str) -> None:
        found = self.api.setup_companies(self.department_id, cid, secret, tenant)
        self.post_message(CompaniesLoaded(found))

    @on(CompaniesLoaded)
    def companies_loaded(self, message: CompaniesLoaded) -> None:
        reached = [c for c in message.companies if not c.error]
        self.query_one("#company", Select).set_options(
            [(f"{c.company} · {c.tenant}", c.tenant) for c in reached]
        )
        one = len(reached) == 1
        lines = [f"{len(reached)} compan{'y answers' if one else 'ies answer'}."]
        lines += [f"{c.tenant}: {c.error} → {c.remedy}" for c in message.companies if c.error]
        if not message.companies:
            lines = ["No company known yet: type the company's tenant id and ⟳ check (F5)."]
        self.query_one("#setup-result", Static).update(Text("\n".join(lines)))

    @on(Select.Changed, "#company")
    def company_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        self.query_one("#tenant", Input).value = str(event.value)
        self.action_check()

    @on(Button.Pressed, "#save")
    def pressed_save(self) -> None:
        self.action_save()

    def credentials(self) -> tuple[str, SecretStr, str]:
        return (
            self.query_one("#client-id", Input).value.strip(),
            SecretStr(self.query_one("#client-secret", Input).value.strip()),
            self.query_one("#tenant", Input).value.strip(),
        )

    def action_check(self) -> None:
        cid, secret, tenant = self.credentials()
        if not (cid and secret.get_secret_value() and tenant):
            self.query_one("#setup-result", Static).update(
                "Fill in the client id, the secret and the company's tenant id."
            )
            return
        self.query_one("#setup-result", Static).update("Checking…")
        self.check(cid, secret, tenant)

    @work(thread=True, exit_on_error=False, group="setup", exclusive=True)
    def check(self, cid: str, secret: SecretStr, tenant: str) -> None:
        self.post_message(
            SignInChecked(self.api.setup_check(self.department_id, cid, secret, tenant))
        )

    @on(SignInChecked)
    def checked(self, message: SignInChecked) -> None:
        r = message.probe
        box = self.query_one("#setup-result", Static)
        if r.error:
            self.result = None
            box.update(Text.assemble((r.error, "bold"), f"\n→ {r.remedy}"))
            return
        self.result = r
        box.update(f"Signed in: {r.company} ({len(r.branches)} branches)")
        self.query_one("#branch", Select).set_options(
            [(f"{n} {name}", n) for n, name in r.branches]
        )
        self.query_one("#cost-bearer", Select).set_options(
            [(f"{v} {d}", f"{s}:{v}") for s, v, d in r.cost_bearers]
        )

    def action_save(self) -> None:
        if self.result is None:
            self.notify("Check the sign-in first (F5).", severity="warning")
            return
        if self.settings.read_only:
            self.notify("Read-only mode: saving is a changing action.", severity="warning")
            return
        branch = cost = None
        if self.query_one("#several-clients", Checkbox).value:
            value = self.query_one("#branch", Select).value
            if value is Select.NULL:
                self.notify("Choose the branch.", severity="warning")
                return
            branch = str(value)
        if self.query_one("#several-depts", Checkbox).value:
            value = self.query_one("#cost-bearer", Select).value
            if value is Select.NULL:
                self.notify("Choose the cost bearer.", severity="warning")
                return
            seg, _, val = str(value).partition(":")
            cost = (int(seg), val)
        cid, secret, tenant = self.credentials()
        self.save(cid, secret, tenant, self.result.company, branch, cost)

    @work(thread=True, exit_on_error=False, group="setup-save")
    def save(
        self,
        cid: str,
        secret: SecretStr,
        tenant: str,
        company: str,
        branch: str | None,
        cost: tuple[int, str] | None,
    ) -> None:
        self.post_message(
            ActionDone(
                self.api.setup_save(self.department_id, cid, secret, tenant, company, branch, cost)
            )
        )

    @on(ActionDone)
    def saved(self, message: ActionDone) -> None:
        self.query_one("#client-secret", Input).value = ""  # never on screen again
        self.saved_state = form_state(self)
        self.notify(message.text, title="Saved")
