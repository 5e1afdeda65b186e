"""A department's settings: every toggle and choice of DUELL's Visma setup, each with the line
of DUELL's own guide that says what it does. Saved in one transaction (ctrl+s), audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Select, Static

from tui.messages import ActionDone, SettingsLoaded
from tui.screens.base import DuviScreen, form_state
from tui.widgets.field import Field
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tick import Tick

if TYPE_CHECKING:
    from core.readmodels import DepartmentSettings

# (field, label, the guide's words: docs/duell-visma-guide-nb.txt)
TOGGLES = [
    (
        "invoices",
        "Faktura",
        "Fakturagrunnlag registreres som et utkast, som deretter må fullføres i Visma Financial.",
    ),
    (
        "zreports",
        "Z-rapport",
        "Z-rapporten registreres som en åpen bunt, som deretter må "
        "bokføres i Visma Financial. Krever utfylt kontoplan.",
    ),
    ("inventory_change", "Beholdningsendring", "Lagerendringer reflekteres i z-rapporten."),
    (
        "automatic_transfer",
        "Automatisk overføring",
        "Automatisk overføring av dagsoppgjør og faktura, avhengig av tidligere innstillinger.",
    ),
    ("stock_update", "Lageroppdatering", "Dagens salg blir et lageruttak i Visma per avdeling."),
    (
        "allow_duplicate_customers",
        "Tillatt duplikat kundedata",
        "Kunder matches ikke på orgnr, tlf og epost.",
    ),
    ("several_clients", "Flere klienter", "Velg korrekt avdeling (filial) i Visma."),
    ("several_departments", "Flere avdelinger", "Velg korrekt kostnadsbærer i Visma."),
]
CHOICES = [
    (
        "customer_master",
        "Kundebase",
        "Kundebasen kan enten settes til DUELL, eller Visma.",
        [("DUELL", "duell"), ("Visma", "visma")],
    ),
    (
        "product_master",
        "Produktbase",
        "Vareregisteret kan styres enten fra DUELL, eller Visma.",
        [("DUELL", "duell"), ("Visma", "visma")],
    ),
    (
        "cost_price_field",
        "Felt for kostpris",
        "Gjennomsnittlig eller siste kostpris fra varekortet blir Kostpris i DUELL.",
        [("Gjennomsnittlig", "average"), ("Siste", "last")],
    ),
]
TEXTS = [
    (
        "barcode_cross_reference",
        "Kryssreferanse for strekkode",
        "Visma-kryssreferansen som bærer strekkoden (standard Barcode).",
    ),
    ("branch_number", "Avdeling (filial)", "Brukes med Flere klienter."),
    ("cost_bearer_value", "Kostnadsbærer", "Verdi i SUBACCOUNT-segmentet, med Flere avdelinger."),
]


class SettingsScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", "Save", id="save-settings"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.values: DepartmentSettings | None = None
        self.saved_state: dict[str, object] | None = None  # the form as loaded or saved

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(f"Settings of department {self.department_id}", classes="title")
            with VerticalScroll(id="settings"):
                for name, label, guide in TOGGLES:
                    with Horizontal(classes="setting"):
                        # A checkbox shows its state in any palette, 16 colours included.
                        yield Tick(label, id=f"set-{name}")
                        yield Static(guide, id=f"guide-{name}", classes="guide")
                for name, label, guide, options in CHOICES:
                    with Horizontal(classes="setting"):
                        yield Select(options, id=f"set-{name}", allow_blank=False)
                        yield Static(f"[b]{label}[/b]  {guide}", classes="guide")
                for name, label, guide in TEXTS:
                    with Horizontal(classes="setting"):
                        yield Field(id=f"set-{name}")
                        yield Static(f"[b]{label}[/b]  {guide}", classes="guide")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, group="settings", exclusive=True)
    def load(self) -> None:
        self.post_message(SettingsLoaded(self.api.department_settings(self.department_id)))

    @on(SettingsLoaded)
    def loaded(self, message: SettingsLoaded) -> None:
        self.values = message.values
        for name, *_ in TOGGLES:
            value = bool(getattr(self.values, name))
            self.query_one(f"#set-{name}", Checkbox).value = value
            self.show_state(name, value)
        for name, *_ in CHOICES:
            self.query_one(f"#set-{name}", Select).value = str(getattr(self.values, name))
        for name, *_ in TEXTS:
            self.query_one(f"#set-{name}", Input).value = str(getattr(self.values, name) or "")
        self.saved_state = form_state(self)

    def unsaved(self) -> str | None:
        if self.saved_state is None or form_state(self) == self.saved_state:
            return None
        return f"the settings of department {self.department_id}"

    @on(Checkbox.Changed)
    def toggled(self, event: Checkbox.Changed) -> None:
        # The box's X differs only by colour; say on/off in words for 16-colour terminals.
        self.show_state((event.checkbox.id or "").removeprefix("set-"), event.value)

    def show_state(self, name: str, value: bool) -> None:
        guide = next((g for n, _, g in TOGGLES if n == name), "")
        state = "[b]on[/b] " if value else "[dim]off[/dim]"
        self.query_one(f"#guide-{name}", Static).update(f"{state}  {guide}")

    def action_save(self) -> None:
        if self.values is None:
            return
        if self.settings.read_only:
            self.notify("Read-only mode: saving is a changing action.", severity="warning")
            return
        changes: dict[str, Any] = {}
        for name, *_ in TOGGLES:
            changes[name] = self.query_one(f"#set-{name}", Checkbox).value
        for name, *_ in CHOICES:
            changes[name] = self.query_one(f"#set-{name}", Select).value
        for name, *_ in TEXTS:
            changes[name] = self.query_one(f"#set-{name}", Input).value.strip() or None
        if not changes["barcode_cross_reference"]:
            changes["barcode_cross_reference"] = "Barcode"
        try:
            new = type(self.values).model_validate({**self.values.model_dump(), **changes})
        except ValueError as exc:
            self.notify(str(exc).splitlines()[0], title="Not saved", severity="error")
            return
        self.save(new)

    @work(thread=True, exit_on_error=False, group="settings-save")
    def save(self, new: DepartmentSettings) -> None:
        self.post_message(ActionDone(self.api.save_settings(self.department_id, new)))

    @on(ActionDone)
    def saved(self, message: ActionDone) -> None:
        self.saved_state = form_state(self)
        self.notify(message.text, title="Saved")
