"""Setup of a department, DUELL's steps: sign in with the department's Visma integration
client (the secret is masked and never shown again), ⟳ list the companies it reaches and
choose one (or type a new company's tenant id and ⟳ check it), choose
the branch when the company has several ("Flere klienter") and the cost bearer when used
("Flere avdelinger"), the item class of the items duvi creates and the warehouse of stock
issues (none: each item's default), save. Errors come inline with their remedy.

Reopened, the form shows what was saved (a secret only as "saved": left empty, the saved one
is kept). Choosing a branch or a cost bearer ticks its "Flere ..." box, unticking the box
clears the choice: nothing chosen is dropped without a word. In sandbox mode F4 fills in the
sandbox's own integration client for the department."""

from __future__ import annotations

from pydantic import SecretStr
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Select, Static

from core.readmodels import SetupChoice, SetupProbe
from tui.i18n import N_, _, ngettext
from tui.messages import (
    ActionDone,
    CompaniesLoaded,
    SandboxCredentialsLoaded,
    SetupLoaded,
    SignInChecked,
)
from tui.screens.base import DuviScreen, form_state
from tui.widgets.field import Field
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tick import Tick


def label(text: str) -> Static:
    """A field's name, shown above it whatever it holds."""
    return Static(text, classes="field-label", markup=False)


class SetupScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("f6", "companies", N_("⟳ Companies"), id="setup-companies"),
        Binding("f5", "check", N_("⟳ Check"), id="setup-check"),
        Binding("ctrl+s", "save", N_("Save"), id="setup-save"),
        Binding("f4", "sandbox_credentials", N_("Sandbox credentials"), id="setup-sandbox"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.result: SetupProbe | None = None
        self.secret_saved = False  # an empty secret field keeps the saved secret
        self.shown_saved: str | None = None  # the saved company's tenant, shown on opening
        self.saved_state: dict[str, object] = {}  # the form as opened or saved

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with VerticalScroll(id="body"):
            yield Static(
                _(
                    "Setup of department {dept}: the Visma integration client of this department"
                ).format(dept=self.department_id),
                classes="title",
            )
            if self.settings.sandbox:
                yield Button(_("Use the sandbox's credentials (F4)"), id="sandbox-credentials")
            # Every field has a label above it: a placeholder goes once the field holds a value
            # (as a reopened setup's do), and then nothing said what the value was.
            yield label(_("Client id"))
            yield Field(placeholder=_("client id (isv_...)"), id="client-id")
            yield label(_("Client secret"))
            yield Field(placeholder=_("client secret"), password=True, id="client-secret")
            yield label(_("Company"))
            with Horizontal(classes="buttons"):
                yield Button(_("⟳ Companies (F6)"), id="companies")
                yield Select([], id="company", prompt=_("company"))
            yield label(_("Company tenant id"))
            yield Field(placeholder=_("company tenant id (not the customer tenant)"), id="tenant")
            yield Button(_("⟳ Check (F5)"), id="check")
            yield Static("", id="setup-result")
            yield Tick(
                _("Several clients: the company has several Visma branches"), id="several-clients"
            )
            yield label(_("Client (Visma branch)"))
            yield Select([], id="branch", prompt=_("Client (Visma branch)"))
            yield Tick(_("Several departments: mark lines with a cost bearer"), id="several-depts")
            yield label(_("Cost bearer"))
            yield Select([], id="cost-bearer", prompt=_("cost bearer"))
            yield Static(_("Item class of the products duvi creates (Visma requires one)"))
            yield Select([], id="item-class", prompt=_("item class"))
            yield Static(_("Warehouse of stock issues (none: each product's default warehouse)"))
            yield Select([], id="warehouse", prompt=_("each product's default warehouse"))
            yield Tick(
                _("Automatic transfer: Z-reports and invoice bases go by themselves"),
                id="automatic",
            )
            yield Static(
                _(
                    "Z-reports from a SAF-T inbox `duvi run` watches (empty: from DUELL, whose "
                    "endpoint is assumed)"
                )
            )
            yield Field(placeholder=_("SAF-T inbox directory"), id="inbox")
            sandbox = self.settings.sandbox
            yield label(_("DUELL client number"))
            yield Field(
                placeholder=_("the sandbox's own DUELL account")
                if sandbox
                else _("DUELL client number"),
                id="duell-number",
                disabled=sandbox,
            )
            yield label(_("DUELL API token"))
            yield Field(
                placeholder=_("the sandbox's own DUELL token") if sandbox else _("DUELL API token"),
                password=True,
                id="duell-token",
                disabled=sandbox,
            )
            yield Button(_("Save (ctrl+s)"), id="save", variant="primary")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#client-id", Input).focus()  # type straight away (not the scroller)
        self.saved_state = form_state(self)
        self.load_saved()

    @work(thread=True, exit_on_error=False, group="setup-load")
    def load_saved(self) -> None:
        self.post_message(SetupLoaded(self.api.saved_setup(self.department_id)))

    @on(SetupLoaded)
    def saved_loaded(self, message: SetupLoaded) -> None:
        """The form shows what is saved; the secrets only as saved."""
        s = message.saved
        self.secret_saved = s.secret_saved
        if form_state(self) != self.saved_state:
            return  # a person typed before the saved values came: theirs stay
        self.query_one("#client-id", Input).value = s.client_id
        self.query_one("#tenant", Input).value = s.tenant
        if s.company and s.tenant:  # the saved company, until ⟳ Companies lists them all
            company = self.query_one("#company", Select)
            company.set_options([(_("{value} (saved)").format(value=s.company), s.tenant)])
            self.shown_saved = s.tenant  # its Changed is the form filling, not a choice
            company.value = s.tenant
        if s.secret_saved:
            self.query_one("#client-secret", Input).placeholder = _(
                "client secret: saved (leave empty to keep it)"
            )
        self.query_one("#several-clients", Checkbox).value = s.several_clients
        if s.branch:
            branch = self.query_one("#branch", Select)
            branch.set_options([(_("{value} (saved)").format(value=s.branch), s.branch)])
            branch.value = s.branch
        self.query_one("#several-depts", Checkbox).value = s.several_departments
        if s.cost_bearer:
            seg, val = s.cost_bearer
            cost = self.query_one("#cost-bearer", Select)
            cost.set_options(
                [
                    (
                        _("{value} (saved, segment {segment})").format(value=val, segment=seg),
                        f"{seg}:{val}",
                    )
                ]
            )
            cost.value = f"{seg}:{val}"
        for select_id, saved in (("#item-class", s.item_class), ("#warehouse", s.warehouse)):
            if saved:
                select = self.query_one(select_id, Select)
                select.set_options([(_("{value} (saved)").format(value=saved), saved)])
                select.value = saved
        self.query_one("#automatic", Checkbox).value = s.automatic
        self.query_one("#inbox", Input).value = s.inbox_dir or ""
        if s.duell_client_number and not s.duell_of_sandbox:
            self.query_one("#duell-number", Input).value = s.duell_client_number
        if s.duell_token_saved and not s.duell_of_sandbox:
            self.query_one("#duell-token", Input).placeholder = _(
                "DUELL API token: saved (leave empty to keep it)"
            )
        if s.set_up:
            self.query_one("#setup-result", Static).update(
                _(
                    "Saved: {company} ({tenant}). ⟳ Check (F5) signs in with the saved secret."
                ).format(company=s.company, tenant=s.tenant)
            )
        self.saved_state = form_state(self)  # the form as saved: nothing unsaved yet
        if isinstance(self.focused, Input):
            # Focus came before the values: select what is in the focused field now, as focus
            # does, so typing replaces it whichever came first.
            self.focused.select_all()

    @on(Button.Pressed, "#sandbox-credentials")
    def pressed_sandbox_credentials(self) -> None:
        self.action_sandbox_credentials()

    def action_sandbox_credentials(self) -> None:
        if not self.settings.sandbox:
            self.notify(_("Only in sandbox mode."), severity="warning")
            return
        self.sandbox_credentials()

    @work(thread=True, exit_on_error=False, group="setup-load")
    def sandbox_credentials(self) -> None:
        self.post_message(
            SandboxCredentialsLoaded(self.api.sandbox_credentials(self.department_id))
        )

    @on(SandboxCredentialsLoaded)
    def sandbox_credentials_loaded(self, message: SandboxCredentialsLoaded) -> None:
        c = message.credentials
        self.query_one("#client-id", Input).value = c.client_id
        self.query_one("#client-secret", Input).value = c.secret.get_secret_value()
        self.query_one("#tenant", Input).value = c.tenant
        self.action_check()

    @on(Select.Changed, "#branch")
    def branch_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:  # a branch implies Flere klienter
            self.query_one("#several-clients", Checkbox).value = True

    @on(Select.Changed, "#cost-bearer")
    def cost_bearer_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:  # a cost bearer implies Flere avdelinger
            self.query_one("#several-depts", Checkbox).value = True

    @on(Checkbox.Changed, "#several-clients")
    def several_clients_changed(self, event: Checkbox.Changed) -> None:
        if not event.value:  # off: the branch is not used, and the form says so
            self.query_one("#branch", Select).clear()

    @on(Checkbox.Changed, "#several-depts")
    def several_depts_changed(self, event: Checkbox.Changed) -> None:
        if not event.value:
            self.query_one("#cost-bearer", Select).clear()

    def unsaved(self) -> str | None:
        if form_state(self) == self.saved_state:
            return None
        return _("the setup of department {dept}").format(dept=self.department_id)

    @on(Button.Pressed, "#check")
    def pressed_check(self) -> None:
        self.action_check()

    @on(Button.Pressed, "#companies")
    def pressed_companies(self) -> None:
        self.action_companies()

    def action_companies(self) -> None:
        cid, secret, tenant = self.credentials()
        if not (cid and (secret or self.secret_saved)):
            self.query_one("#setup-result", Static).update(
                _("Fill in the client id and the secret first.")
            )
            return
        self.query_one("#setup-result", Static).update(_("Looking for companies…"))
        self.companies(cid, secret, tenant)

    @work(thread=True, exit_on_error=False, group="setup", exclusive=True)
    def companies(self, cid: str, secret: SecretStr | None, tenant: str) -> None:
        found = self.api.setup_companies(self.department_id, cid, secret, tenant)
        self.post_message(CompaniesLoaded(found))

    @on(CompaniesLoaded)
    def companies_loaded(self, message: CompaniesLoaded) -> None:
        reached = [c for c in message.companies if not c.error]
        self.query_one("#company", Select).set_options(
            [(f"{c.company} · {c.tenant}", c.tenant) for c in reached]
        )
        lines = [
            ngettext("{n} company answers.", "{n} companies answer.", len(reached)).format(
                n=len(reached)
            )
        ]
        lines += [f"{c.tenant}: {c.error} → {c.remedy}" for c in message.companies if c.error]
        if not message.companies:
            lines = [_("No company known yet: type the company's tenant id and ⟳ check (F5).")]
        self.query_one("#setup-result", Static).update(Text("\n".join(lines)))

    @on(Select.Changed, "#company")
    def company_chosen(self, event: Select.Changed) -> None:
        shown, self.shown_saved = self.shown_saved, None
        if event.value is Select.NULL or event.value == shown:
            return  # the saved company shown on opening is not signed in again
        self.query_one("#tenant", Input).value = str(event.value)
        self.action_check()

    @on(Button.Pressed, "#save")
    def pressed_save(self) -> None:
        self.action_save()

    def credentials(self) -> tuple[str, SecretStr | None, str]:
        """The client id, the secret typed (None: keep the saved one) and the tenant."""
        secret = self.query_one("#client-secret", Input).value.strip()
        return (
            self.query_one("#client-id", Input).value.strip(),
            SecretStr(secret) if secret else None,
            self.query_one("#tenant", Input).value.strip(),
        )

    def action_check(self) -> None:
        cid, secret, tenant = self.credentials()
        if not (cid and (secret or self.secret_saved) and tenant):
            self.query_one("#setup-result", Static).update(
                "Fill in the client id, the secret and the company's tenant id."
            )
            return
        self.query_one("#setup-result", Static).update("Checking…")
        self.check(cid, secret, tenant)

    @work(thread=True, exit_on_error=False, group="setup", exclusive=True)
    def check(self, cid: str, secret: SecretStr | None, tenant: str) -> None:
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
        box.update(
            ngettext(
                "Signed in: {company} ({n} Visma branch)",
                "Signed in: {company} ({n} Visma branches)",
                len(r.branches),
            ).format(company=r.company, n=len(r.branches))
        )
        # The company's own lists replace the saved values shown; a value still offered
        # stays chosen.
        for select_id, options in (
            ("#branch", [(f"{n} {name}", n) for n, name in r.branches]),
            ("#cost-bearer", [(f"{v} {d}", f"{s}:{v}") for s, v, d in r.cost_bearers]),
            ("#item-class", [(f"{i} {d}", i) for i, d in r.item_classes]),
            ("#warehouse", [(f"{i} {d}", i) for i, d in r.warehouses]),
        ):
            select = self.query_one(select_id, Select)
            chosen = select.value
            select.set_options(options)
            if chosen is not Select.NULL and chosen in {v for _shown, v in options}:
                select.value = chosen

    def action_save(self) -> None:
        # A saved setup may be saved again unchecked: the save signs in itself.
        if self.result is None and not self.secret_saved:
            self.notify(_("Check the sign-in first (F5)."), severity="warning")
            return
        if self.settings.read_only:
            self.notify(_("Read-only mode: saving is a changing action."), severity="warning")
            return
        branch = self.query_one("#branch", Select).value
        cost = self.query_one("#cost-bearer", Select).value
        cost_bearer = None
        if cost is not Select.NULL:
            seg, _sep, val = str(cost).partition(":")
            cost_bearer = (int(seg), val)
        several_clients = self.query_one("#several-clients", Checkbox).value
        several_depts = self.query_one("#several-depts", Checkbox).value
        if several_clients and branch is Select.NULL:
            self.notify(
                _("Several clients is ticked: choose the Visma branch."), severity="warning"
            )
            return
        if several_depts and cost_bearer is None:
            self.notify(
                _("Several departments is ticked: choose the cost bearer."), severity="warning"
            )
            return
        item_class = self.query_one("#item-class", Select).value
        warehouse = self.query_one("#warehouse", Select).value
        cid, secret, tenant = self.credentials()
        number = self.query_one("#duell-number", Input).value.strip()
        token = self.query_one("#duell-token", Input).value.strip()
        inbox = self.query_one("#inbox", Input).value.strip()
        # The boxes as they stand (the engine refuses a box without its choice, and a choice
        # without its box, too: never saved half).
        self.save(
            SetupChoice(
                client_id=cid,
                tenant_id=tenant,
                secret=secret,
                several_clients=several_clients,
                branch=None if branch is Select.NULL else str(branch),
                several_departments=several_depts,
                cost_bearer=cost_bearer,
                # None keeps the saved item class; no warehouse is "" (each item's default).
                item_class=None if item_class is Select.NULL else str(item_class),
                warehouse="" if warehouse is Select.NULL else str(warehouse),
                automatic=self.query_one("#automatic", Checkbox).value,
                duell_client_number=number or None,
                duell_client_token=SecretStr(token) if token else None,
                # A directory: the SAF-T inbox `duvi run` watches; none: DUELL's endpoint.
                zreport_source="saft-inbox" if inbox else "duell",
                inbox_dir=inbox or None,
            )
        )

    @work(thread=True, exit_on_error=False, group="setup-save")
    def save(self, choice: SetupChoice) -> None:
        self.post_message(ActionDone(self.api.setup_save(self.department_id, choice)))

    @on(ActionDone)
    def saved(self, message: ActionDone) -> None:
        for secret_field in ("#client-secret", "#duell-token"):
            self.query_one(secret_field, Input).value = ""  # never on screen again
        self.secret_saved = True
        self.query_one("#client-secret", Input).placeholder = _(
            "client secret: saved (leave empty to keep it)"
        )
        self.query_one("#setup-result", Static).update(message.text)
        self.saved_state = form_state(self)
        self.notify(message.text, title=_("Saved"))
