"""A department's settings: every toggle and choice of DUELL's Visma setup, each with the line
of DUELL's own guide that says what it does. Saved in one transaction (ctrl+s), audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Select, Static

from tui.i18n import N_, _
from tui.messages import ActionDone, SettingsLoaded
from tui.screens.base import DuviScreen, form_state
from tui.textsafe import Markup, markup
from tui.widgets.field import Field
from tui.widgets.footer import KeysFooter
from tui.widgets.header import ScreenHeader
from tui.widgets.tick import Tick

if TYPE_CHECKING:
    from core.readmodels import DepartmentSettings

# (field, label, what it does). In Norwegian the labels are DUELL's own and the texts its
# guide's words (docs/duell-visma-guide-nb.txt); in English the same in duvi's words
# (README, Glossary). Translated where shown.
TOGGLES = [
    (
        "invoices",
        N_("Invoice bases"),
        N_("Invoice bases are registered as drafts, which must then be completed in Visma."),
    ),
    (
        "zreports",
        N_("Z-report"),
        N_(
            "The Z-report is registered as an open batch, which must then be released in "
            "Visma. Needs the chart of accounts filled in."
        ),
    ),
    (
        "inventory_change",
        N_("Inventory change"),
        N_("Stock changes are reflected in the Z-report."),
    ),
    (
        "automatic_transfer",
        N_("Automatic transfer"),
        N_("Z-reports and invoice bases transfer by themselves, as the settings above say."),
    ),
    (
        "stock_update",
        N_("Stock update"),
        N_("The day's sales become a stock issue in Visma per department."),
    ),
    (
        "allow_duplicate_customers",
        N_("Allow duplicate customers"),
        N_("Customers are not matched on organisation number, phone and e-mail."),
    ),
    (
        "several_clients",
        N_("Several clients"),
        N_("Choose the right Visma branch for this department."),
    ),
    (
        "several_departments",
        N_("Several departments"),
        N_("Choose the right cost bearer (subaccount segment) in Visma."),
    ),
]
CHOICES = [
    (
        "customer_master",
        N_("Customer master"),
        N_("The customer register is kept either in DUELL or in Visma."),
        [("DUELL", "duell"), ("Visma", "visma")],
    ),
    (
        "product_master",
        N_("Product master"),
        N_("The product register is kept either in DUELL or in Visma."),
        [("DUELL", "duell"), ("Visma", "visma")],
    ),
    (
        "cost_price_field",
        N_("Cost price field"),
        N_("The average or the last cost price of the item becomes DUELL's cost price."),
        [(N_("Average"), "average"), (N_("Last"), "last")],
    ),
]
TEXTS = [
    (
        "barcode_cross_reference",
        N_("Barcode cross-reference"),
        N_("The Visma cross-reference that carries the barcode (default Barcode)."),
    ),
    (
        "branch_number",
        N_("Client (Visma branch)"),
        N_("The Visma branch of this DUELL department, with Several clients."),
    ),
    (
        "cost_bearer_value",
        N_("Cost bearer"),
        N_("Value in the SUBACCOUNT segment, with Several departments."),
    ),
]


TICK_WIDTH = 34  # app.tcss: .setting Checkbox
TICK_EDGES = 9


def guide_line(label: str, guide: str) -> Markup:
    """A setting's name in bold and its guide: our words, put in as they are."""
    return markup("[b]$label[/b]  $guide", label=_(label), guide=_(guide))


class SettingsScreen(DuviScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", N_("Save"), id="save-settings"),
    ]

    def __init__(self, department_id: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.values: DepartmentSettings | None = None
        self.saved_state: dict[str, object] | None = None  # the form as loaded or saved

    def compose(self) -> ComposeResult:
        yield ScreenHeader()
        with Vertical(id="body"):
            yield Static(
                _("Settings of department {dept}").format(dept=self.department_id),
                classes="title",
            )
            with VerticalScroll(id="settings"):
                for name, label, guide in TOGGLES:
                    with Horizontal(classes="setting"):
                        # A checkbox shows its state in any palette, 16 colours included.
                        yield Tick(_(label), id=f"set-{name}")
                        yield Static(_(guide), id=f"guide-{name}", classes="guide")
                for name, label, guide, options in CHOICES:
                    with Horizontal(classes="setting"):
                        yield Select(
                            [(_(shown), value) for shown, value in options],
                            id=f"set-{name}",
                            allow_blank=False,
                        )
                        yield Static(guide_line(label, guide), classes="guide")
                for name, label, guide in TEXTS:
                    with Horizontal(classes="setting"):
                        yield Field(id=f"set-{name}")
                        yield Static(guide_line(label, guide), classes="guide")
        yield KeysFooter()

    def on_mount(self) -> None:
        # The toggles' column is as wide as the longest label in the language (nb "Tillatt
        # duplikat kundedata"): a label is never cut. TICK_EDGES: the box's border and
        # padding and the "▐X▌ " before the label.
        widest = max(cell_len(_(label)) for _name, label, _guide in TOGGLES)
        for tick in self.query(Tick):
            tick.styles.width = max(TICK_WIDTH, widest + TICK_EDGES)
        self.load()

    @work(thread=True, exit_on_error=False, group="settings", exclusive=True)
    def load(self) -> None:
        self.post_message(SettingsLoaded(self.api.department_settings(self.department_id)))

    @on(SettingsLoaded)
    def loaded(self, message: SettingsLoaded) -> None:
        self.values = message.values
        for name, *_rest in TOGGLES:
            value = bool(getattr(self.values, name))
            self.query_one(f"#set-{name}", Checkbox).value = value
            self.show_state(name, value)
        for name, *_choice in CHOICES:
            self.query_one(f"#set-{name}", Select).value = str(getattr(self.values, name))
        for name, *_text in TEXTS:
            self.query_one(f"#set-{name}", Input).value = str(getattr(self.values, name) or "")
        self.saved_state = form_state(self)

    def unsaved(self) -> str | None:
        if self.saved_state is None or form_state(self) == self.saved_state:
            return None
        return _("the settings of department {dept}").format(dept=self.department_id)

    @on(Checkbox.Changed)
    def toggled(self, event: Checkbox.Changed) -> None:
        # The box's X differs only by colour; say on/off in words for 16-colour terminals.
        self.show_state((event.checkbox.id or "").removeprefix("set-"), event.value)

    def show_state(self, name: str, value: bool) -> None:
        guide = next((g for n, _label, g in TOGGLES if n == name), "")
        word = _("on") if value else _("off")
        # as wide as the other word: the texts under each other start in one column
        width = max(len(_("on")), len(_("off")))
        tag = "b" if value else "dim"
        state = markup(
            f"[{tag}]$word[/{tag}]$pad  $guide",
            word=word,
            pad=" " * (width - len(word)),
            guide=_(guide) if guide else "",
        )
        self.query_one(f"#guide-{name}", Static).update(state)

    def action_save(self) -> None:
        if self.values is None:
            return
        if self.settings.read_only:
            self.notify(_("Read-only mode: saving is a changing action."), severity="warning")
            return
        changes: dict[str, Any] = {}
        for name, *_rest in TOGGLES:
            changes[name] = self.query_one(f"#set-{name}", Checkbox).value
        for name, *_choice in CHOICES:
            changes[name] = self.query_one(f"#set-{name}", Select).value
        for name, *_text in TEXTS:
            changes[name] = self.query_one(f"#set-{name}", Input).value.strip() or None
        if not changes["barcode_cross_reference"]:
            changes["barcode_cross_reference"] = "Barcode"
        try:
            new = type(self.values).model_validate({**self.values.model_dump(), **changes})
        except ValueError as exc:
            self.notify(str(exc).splitlines()[0], title=_("Not saved"), severity="error")
            return
        self.save(new)

    @work(thread=True, exit_on_error=False, group="settings-save")
    def save(self, new: DepartmentSettings) -> None:
        self.post_message(ActionDone(self.api.save_settings(self.department_id, new)))

    @on(ActionDone)
    def saved(self, message: ActionDone) -> None:
        self.saved_state = form_state(self)
        self.notify(message.text, title=_("Saved"))
