"""Departments and their setup in the store: settings, VAT mapping, account map, credentials.
Every change is audited with its before and after values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import SecretStr, ValidationError

from core.accounting import both_cost_of_goods
from core.audit import record
from core.errors import ConfigError, StoreError
from core.i18n import N_, _
from core.models import AccountDefaults, Department, DepartmentSettings
from core.secrets import DUELL_SECTION, SecretsFile, customer_section
from core.store import Store, utcnow

# The default account map, every account from Skatteetaten's standard chart
# (core/standard_chart/, README "Default accounts" gives each line's reason). A department set
# up before these defaults keeps the ones it was set up with (LEGACY_ACCOUNTS, below): an
# accountant never sees an account change under a department by itself.
DEFAULT_ACCOUNTS: dict[str, str] = {
    "payment:cash": "1900",
    "payment:bankaxept": "1920",
    "payment:card": "1579",
    "payment:vipps": "1590",
    "payment:giftcard": "2900",
    "payment:creditnote": "2900",
    "payment:invoice": "1530",
    "payment:fallback": "1579",
    "revenue:25": "3000",
    "revenue:15": "3030",
    "revenue:12": "3050",
    "revenue:11.11": "3040",
    "revenue:0:5": "3100",
    "revenue:0:6": "3200",
    "revenue:0:52": "3105",
    "vat:25": "2700",
    "vat:15": "2701",
    "vat:12": "2703",
    "vat:11.11": "2702",
    "giftcard:sold": "2900",
    "rounding": "7798",
    # Tips are owed to the staff and paid (and reported) through payroll as wages since 2019
    # (regnskapnorge.no, "Arbeidsgivers behandling av tips"): unpaid wages until then.
    "tips": "2930",
    # 1909 is the standard chart's own "Kassedifferanse": differences are kept there through
    # the year and cleared at year end to 7798 (or 3900 for a surplus) once explained
    # (kontohjelp.no, "Negativ/Positiv kassedifferanse igjennom året").
    "cash_difference": "1909",
    # Pant sold is part of the drink's price, at its rate: beverages are 25 % (alcohol) or 15 %
    # (other drinks, næringsmidler); another rate's pant books on its revenue account.
    "pant:sold:25": "3000",
    "pant:sold:15": "3030",
    # Pant paid back is no turnover: 39xx, no output VAT (kontohjelp.no, "Returemballasje/
    # panteordning ved retur av emballasje").
    "pant:refunded": "3900",
    # The till's float fetched from the bank, cash taken to the bank (inferred type names:
    # DUELL documents none); any other pay-in or pay-out type holds until a person maps it.
    "payin:float": "1920",
    "payout:bank": "1920",
    "cogs:debit": "4390",
    "cogs:credit": "1460",
}
# The keys the Z-report model gained after the legacy defaults were set: no department ever
# booked them, so a legacy one takes the standard's (but tips, which held a legacy day until
# a person mapped them, still do; and pant sold books on the rate's revenue account).
NEW_ELEMENT_KEYS = ("cash_difference", "pant:refunded", "payin:float", "payout:bank")
# The defaults before the standard chart (DUELL's kontoplan suggestions), kept for the
# departments set up with them (AccountDefaults.LEGACY).
LEGACY_ACCOUNTS: dict[str, str] = {
    "payment:cash": "1900",
    "payment:bankaxept": "1920",
    "payment:card": "1580",
    "payment:vipps": "1581",
    "payment:giftcard": "2901",
    "payment:invoice": "1500",
    "payment:fallback": "1579",
    "revenue:25": "3000",
    "revenue:15": "3001",
    "revenue:12": "3002",
    "revenue:11.11": "3003",
    "revenue:0": "3100",
    "vat:25": "2700",
    "vat:15": "2701",
    "vat:12": "2703",
    "vat:11.11": "2702",
    "giftcard:sold": "2901",
    "rounding": "7740",
    "cogs:debit": "4390",
    "cogs:credit": "1460",
    **{key: DEFAULT_ACCOUNTS[key] for key in NEW_ELEMENT_KEYS},
}
DEFAULTS_BY_GENERATION: dict[AccountDefaults, dict[str, str]] = {
    AccountDefaults.STANDARD: DEFAULT_ACCOUNTS,
    AccountDefaults.LEGACY: LEGACY_ACCOUNTS,
}
# SAF-T standard codes per rate (core/saft_schema/Standard_Tax_Codes.csv); 0 % = zero-rated (5).
SAFT_CODES: dict[Decimal, str] = {
    Decimal(25): "3",
    Decimal(15): "31",
    Decimal("11.11"): "32",
    Decimal(12): "33",
    Decimal(0): "5",
}
# SAF-T's codes of 0 % output (Standard_Tax_Codes.csv): zero-rated, reverse charge, export,
# outside the VAT Act. A Norwegian company's Visma VAT id of 0 % is its SAF-T code (inferred, as
# vat.suggested infers for every rate), so the id tells the code where the rate cannot.
ZERO_RATE_CODES = frozenset({"5", "51", "52", "6"})


def saft_code_of(rate: Decimal, visma_vat_id: str | None) -> str | None:
    """The SAF-T code of a rate mapped to a Visma VAT id: for 0 % the id's own code when it is
    one of 0 % (5, 51, 52, 6), else the rate's standard code."""
    if rate == 0 and visma_vat_id in ZERO_RATE_CODES:
        return visma_vat_id
    return SAFT_CODES.get(rate)


VISMA_CLIENT_ID, VISMA_CLIENT_SECRET = "visma_client_id", "visma_client_secret"


def rate_key(rate: Decimal) -> str:
    """25 -> "25", 11.110 -> "11.11": one spelling per rate in keys and the store."""
    text = format(rate.normalize(), "f")
    return text


@dataclass(frozen=True)
class VatMapping:
    rate: Decimal
    visma_vat_id: str | None
    saft_code: str | None


class UnreadableDepartment(StoreError):
    """A department whose stored settings duvi cannot read (the row was edited or damaged)."""

    def __init__(self, department_id: str, problem: str) -> None:
        self.department_id, self.problem = department_id, problem
        super().__init__(
            f"the settings of department {department_id} cannot be read: {problem}",
            "duvi leaves this department alone and works on with the others; correct the row "
            "with sqlite3 (`SELECT settings FROM department_settings WHERE department_id = "
            f"'{department_id}'`) or restore the database from a backup (README: restoring)",
        )


COGS_BOTH_MESSAGE = N_(
    "Beholdningsendring (inventory change) and Lager (stock issues) cannot both be on: 1460 "
    "would be credited twice for the same sales"
)
COGS_BOTH_REMEDY = N_(
    "turn one off: Beholdningsendring books cost of goods in the journal at DUELL's cost, "
    "Lager lets Visma's stock issue book it at Visma's cost"
)


def refuse_both_cost_of_goods(settings: DepartmentSettings) -> None:
    if both_cost_of_goods(settings):
        raise ConfigError(COGS_BOTH_MESSAGE, COGS_BOTH_REMEDY)


def _stored_settings(text: str) -> DepartmentSettings:
    """Saved settings; settings saved before `account_defaults` existed were set up with the
    legacy default accounts, and keep them (a new department gets the standard chart's)."""
    settings = DepartmentSettings.model_validate_json(text)
    if "account_defaults" not in json.loads(text):
        settings = settings.model_copy(update={"account_defaults": AccountDefaults.LEGACY})
    return settings


# `list` is a method of Departments: inside the class the builtin is shadowed.
_Rows = list[dict[str, Any]]
_Unreadable = list[UnreadableDepartment]
_Ids = list[str]
_Groups = dict[str, list[Department]]


class Departments:
    def __init__(self, store: Store, secrets: SecretsFile) -> None:
        self.store = store
        self.secrets = secrets

    def list(self) -> list[Department]:
        """Every department duvi can read. One whose stored settings cannot be read is left
        out (never the end of every department's work: finding C3); `unreadable()` names it
        and `get()` of it says so."""
        out = []
        for row in self._rows():
            try:
                out.append(self._department(row))
            except UnreadableDepartment:
                continue
        return out

    def require(self, department_id: str) -> None:
        """ConfigError (one line, the known departments in it) when the department does not
        exist."""
        if self.get(department_id) is None:
            known = ", ".join(d.id for d in self.list()) or _("none")
            raise ConfigError(
                _("there is no department {dept} (known: {known})").format(
                    dept=repr(department_id), known=known
                )
            )

    def has_any(self) -> bool:
        """Whether `list()` lists a department, without reading every department: it stops at
        the first readable one (each command's start asks it, with thousands of departments),
        having read them a few at a time (the first is readable but for a broken one)."""
        offset, batch = 0, 8
        while rows := self._rows(batch, offset):
            for row in rows:
                try:
                    self._department(row)
                except UnreadableDepartment:
                    continue
                return True
            offset, batch = offset + batch, batch * 8
        return False

    def unreadable(self) -> _Unreadable:
        """The departments `list()` leaves out, each with what is wrong."""
        found = []
        for row in self._rows():
            try:
                self._department(row)
            except UnreadableDepartment as bad:
                found.append(bad)
        return found

    def _rows(self, limit: int = -1, offset: int = 0) -> _Rows:
        return self.store.query(
            "SELECT d.id, d.name, s.settings FROM departments d "
            "LEFT JOIN department_settings s ON s.department_id = d.id ORDER BY d.id "
            "LIMIT ? OFFSET ?",
            [limit, offset],
        )

    def get(self, department_id: str) -> Department | None:
        """The department; UnreadableDepartment (one line, exit 4) if its settings cannot be
        read."""
        rows = self.store.query(
            "SELECT d.id, d.name, s.settings FROM departments d LEFT JOIN department_settings s "
            "ON s.department_id = d.id WHERE d.id = ?",
            [department_id],
        )
        return self._department(rows[0]) if rows else None

    @staticmethod
    def _department(row: dict[str, Any]) -> Department:
        try:
            settings = (
                _stored_settings(row["settings"]) if row["settings"] else DepartmentSettings()
            )
            return Department(id=row["id"], name=row["name"], settings=settings)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UnreadableDepartment(
                row["id"], f"{where + ': ' if where else ''}{first['msg']}"
            ) from None

    def is_set_up(self, department_id: str) -> bool:
        dept = self.get(department_id)
        return bool(dept and dept.settings.visma_tenant_id and self.credentials(department_id))

    def add(self, department_id: str, name: str) -> None:
        now = utcnow()
        with self.store.write() as db:
            db.table("departments").upsert(
                {"id": department_id, "name": name, "created_at": now, "updated_at": now}, pk="id"
            )
            record(self.store, "department.add", department_id=department_id, after={"name": name})

    def save_settings(self, department_id: str, settings: DepartmentSettings) -> None:
        """Save the settings (audited); ConfigError (exit 3) for "Beholdningsendring" and
        "Lager" both on, which would book cost of goods twice."""
        refuse_both_cost_of_goods(settings)
        # The before, the change and its audit entry in one transaction: two saves at once
        # are audited in the order they were made, each with the value it replaced.
        with self.store.write() as db:
            before = self.get(department_id)
            db.table("department_settings").upsert(
                {
                    "department_id": department_id,
                    "settings": settings.model_dump_json(),
                    "updated_at": utcnow(),
                },
                pk="department_id",
            )
            record(
                self.store,
                "settings.save",
                department_id=department_id,
                before=before.settings.model_dump(mode="json") if before else None,
                after=settings.model_dump(mode="json"),
            )

    # -- VAT mapping -------------------------------------------------------------------------

    def vat_mappings(self, department_id: str) -> dict[Decimal, VatMapping]:
        rows = self.store.query(
            "SELECT * FROM vat_mappings WHERE department_id = ?", [department_id]
        )
        return {
            Decimal(r["duell_rate"]): VatMapping(
                Decimal(r["duell_rate"]), r["visma_vat_id"], r["saft_code"]
            )
            for r in rows
        }

    def saft_codes(self, department_id: str) -> dict[Decimal, str]:
        """The SAF-T code of each mapped rate (0 % picks its revenue account by it)."""
        out = {}
        for rate, m in self.vat_mappings(department_id).items():
            # A mapping saved before the id told the code (0 -> "6" stored as code 5).
            code = m.visma_vat_id if rate == 0 and m.visma_vat_id in ZERO_RATE_CODES else None
            code = code or m.saft_code
            if code and m.visma_vat_id:
                out[rate] = code
        return out

    def set_vat_mapping(
        self,
        department_id: str,
        rate: Decimal,
        visma_vat_id: str | None,
        saft_code: str | None = None,
    ) -> None:
        key = rate_key(rate)
        with self.store.write() as db:  # before, change and audit entry together
            before = self.vat_mappings(department_id).get(Decimal(key))
            if visma_vat_id is None:
                db.table("vat_mappings").delete_where(
                    "department_id = ? AND duell_rate = ?", [department_id, key]
                )
            else:
                db.table("vat_mappings").upsert(
                    {
                        "department_id": department_id,
                        "duell_rate": key,
                        "visma_vat_id": visma_vat_id,
                        "saft_code": saft_code or saft_code_of(Decimal(key), visma_vat_id),
                        "updated_at": utcnow(),
                    },
                    pk=("department_id", "duell_rate"),
                )
            record(
                self.store,
                "vat_mapping.set",
                department_id=department_id,
                target=f"{key} %",
                before=before.visma_vat_id if before else None,
                after=visma_vat_id,
            )

    # -- account map -------------------------------------------------------------------------

    def account_map(self, department_id: str) -> dict[str, str]:
        rows = self.store.query(
            "SELECT key, account FROM account_maps WHERE department_id = ?", [department_id]
        )
        dept = self.get(department_id)
        generation = dept.settings.account_defaults if dept else AccountDefaults.STANDARD
        defaults = DEFAULTS_BY_GENERATION[generation]
        return {**defaults, **{r["key"]: r["account"] for r in rows}}

    def set_account(self, department_id: str, key: str, account: str) -> None:
        with self.store.write() as db:  # before, change and audit entry together
            before = self.account_map(department_id).get(key)
            db.table("account_maps").upsert(
                {
                    "department_id": department_id,
                    "key": key,
                    "account": account,
                    "updated_at": utcnow(),
                },
                pk=("department_id", "key"),
            )
            record(
                self.store,
                "account_map.set",
                department_id=department_id,
                target=key,
                before=before,
                after=account,
            )

    # -- credentials (secrets file, never the database) --------------------------------------

    def _customer_of(self, department_id: str) -> str | None:
        try:
            dept = self.get(department_id)
        except UnreadableDepartment:
            return None
        return dept.settings.customer_id if dept else None

    def set_credentials(self, department_id: str, client_id: str, secret: SecretStr) -> None:
        """The department's Visma integration client. A department of a customer shares its
        customer's (saved once, in customer:<id>: its other departments use it too, unless
        they hold one of their own) when the customer has none yet or has this one (a new
        secret); another client is the department's own, changing no other department's."""
        customer = self._customer_of(department_id)
        section = department_id
        if customer:
            shared = self.secrets.get(customer_section(customer), VISMA_CLIENT_ID)
            if shared is None or shared.get_secret_value() == client_id:
                section = customer_section(customer)
            else:
                customer = None  # the department's own client
        self.secrets.set(section, VISMA_CLIENT_ID, SecretStr(client_id))
        self.secrets.set(section, VISMA_CLIENT_SECRET, secret)
        if customer and set(self.secrets.names(department_id)) & {
            VISMA_CLIENT_ID,
            VISMA_CLIENT_SECRET,
        }:
            self.secrets.delete(department_id, VISMA_CLIENT_ID)
            self.secrets.delete(department_id, VISMA_CLIENT_SECRET)
        record(
            self.store,
            "credentials.set",
            department_id=department_id,
            after={"client_id": client_id, "client_secret": "(set)"},
        )

    def credentials(self, department_id: str) -> tuple[str, SecretStr] | None:
        """The department's Visma client: each value from the department's own section (a
        file from before customers), else from its customer's (SecretsFile.consolidate may
        have kept the id there and the department's own secret here)."""
        sections = [department_id]
        customer = self._customer_of(department_id)
        if customer:
            sections.append(customer_section(customer))

        def first(name: str) -> SecretStr | None:
            found = (self.secrets.get(s, name) for s in sections)
            return next((v for v in found if v is not None), None)

        cid, secret = first(VISMA_CLIENT_ID), first(VISMA_CLIENT_SECRET)
        if cid is None or secret is None:
            return None
        return cid.get_secret_value(), secret

    def duell_section(self, department_id: str | None) -> str:
        """Where the department's DUELL account is kept: its customer's section when the
        customer has one saved, else the installation's."""
        customer = self._customer_of(department_id) if department_id else None
        if customer and self.secrets.get(customer_section(customer), "client_number"):
            return customer_section(customer)
        return DUELL_SECTION

    def duell_account(self, department_id: str | None) -> tuple[str, SecretStr] | None:
        section = self.duell_section(department_id)
        number = self.secrets.get(section, "client_number")
        token = self.secrets.get(section, "client_token")
        if number is None or token is None:
            return None
        return number.get_secret_value(), token

    # -- customers (DUELL clients) -----------------------------------------------------------

    def customers(self) -> _Groups:
        """The departments of each customer ("" for those of none), in id order."""
        out: _Groups = {}
        for d in self.list():
            out.setdefault(d.settings.customer_id or "", []).append(d)
        return out

    def of_customer(self, customer_id: str) -> _Ids:
        """The ids of a customer's departments; ConfigError naming the customers if none."""
        groups = self.customers()
        if customer_id not in groups or not customer_id:
            known = ", ".join(sorted(c for c in groups if c)) or _("none")
            raise ConfigError(
                _("there is no customer {customer}").format(customer=repr(customer_id)),
                _(
                    "known customers: {known} (`duvi departments list` shows each department's)"
                ).format(known=known),
            )
        return [d.id for d in groups[customer_id]]

    def set_customer(self, department_ids: _Ids, customer_id: str, name: str | None) -> None:
        """Put departments under a DUELL customer (audited as a settings change), then keep
        once in the customer's section what its departments' secrets hold alike."""
        for dept_id in department_ids:
            dept = self.get(dept_id)
            if dept is None:
                raise ConfigError(
                    _("there is no department {dept_id}").format(dept_id=repr(dept_id)),
                    _("see `duvi departments`"),
                )
            same = dept.settings.customer_id == customer_id
            kept = dept.settings.customer_name if same else None
            update = {"customer_id": customer_id, "customer_name": name or kept}
            self.save_settings(dept_id, dept.settings.model_copy(update=update))
        self.secrets.consolidate({customer_id: self.of_customer(customer_id)})
