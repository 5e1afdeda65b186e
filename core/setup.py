"""Setting a department up, DUELL's steps, for the console's setup screen and `duvi departments
setup` alike: sign in with the department's Visma integration client, read what the company
offers (branches, cost bearers, item classes, warehouses, VAT ids), check what was chosen
against it, then save it all (credentials to the secrets file, the rest to the store), every
change audited. With a cost bearer, the other SUBACCOUNT segments are saved as well, read from
the company's default subaccount (core.subaccounts).

What was saved is shown back (`saved_setup`) without its secrets: a secret left empty keeps
the saved one. A chosen branch or cost bearer needs its "Flere klienter"/"Flere avdelinger"
flag, which the choice implies unless the flag was turned off explicitly: then it is refused,
never silently dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from core.accounting import subaccount_segments
from core.audit import record
from core.connections import DUELL_SECRETS
from core.departments import Departments, refuse_both_cost_of_goods
from core.errors import ConfigError, DuviError
from core.eventtext import plural_msg
from core.i18n import _
from core.models import DepartmentSettings
from core.readmodels import SavedSetup, SetupChoice, SetupProbe
from core.secrets import customer_section
from core.subaccounts import default_segments

if TYPE_CHECKING:
    from core.connections import Connections
    from core.runtime import Runtime
    from core.vat import VismaVat
    from core.visma.client import VismaClient
    from core.visma.models import Subaccount


def saved_setup(rt: Runtime, dept_id: str) -> SavedSetup:
    """What setup saved for the department (ConfigError when there is no such department)."""
    depts = Departments(rt.store, rt.secrets)
    dept = depts.get(dept_id)
    if dept is None:
        raise ConfigError(
            _("there is no department {dept_id}").format(dept_id=repr(dept_id)),
            _("known departments: {value}").format(
                value=", ".join(d.id for d in depts.list()) or "none"
            ),
        )
    s = dept.settings
    creds = depts.credentials(dept_id)
    duell = depts.duell_account(dept_id)
    return SavedSetup(
        department_id=dept.id,
        name=dept.name,
        set_up=depts.is_set_up(dept_id),
        client_id=creds[0] if creds else "",
        secret_saved=creds is not None,
        tenant=s.visma_tenant_id or "",
        company=s.visma_company_name or "",
        several_clients=s.several_clients,
        branch=s.branch_number,
        several_departments=s.several_departments,
        cost_bearer=(
            (s.cost_bearer_segment, s.cost_bearer_value)
            if s.cost_bearer_segment is not None and s.cost_bearer_value
            else None
        ),
        subaccount="-".join(v for _, v in subaccount_segments(s)),
        item_class=s.item_class,
        warehouse=s.warehouse,
        automatic=s.automatic_transfer,
        duell_client_number=duell[0] if duell else "",
        customer=s.customer_id or "",
        customer_name=s.customer_name or "",
        duell_token_saved=duell is not None,
        duell_of_sandbox=rt.settings.sandbox,
        zreport_source=s.zreport_source,
        inbox_dir=s.inbox_dir,
        cutoff_hour=s.saft_cutoff_hour,
    )


def visma_secret(
    depts: Departments, dept_id: str, client_id: str, secret: SecretStr | None
) -> SecretStr:
    """The secret given, or the saved one when none is given and the client id is the saved
    one (a saved secret belongs to its own client)."""
    if secret is not None and secret.get_secret_value():
        return secret
    saved = depts.credentials(dept_id)
    if saved is None:
        raise ConfigError(
            _("department {dept_id} has no saved Visma client secret").format(dept_id=dept_id),
            _("enter the integration client's secret (from the Visma Developer Portal)"),
        )
    if saved[0] != client_id:
        raise ConfigError(
            _(
                "the client id {client_id} is not the saved one ({saved}): the saved secret is "
                "that client's"
            ).format(client_id=repr(client_id), saved=saved[0]),
            _("enter the secret of the new client id"),
        )
    return saved[1]


async def _company(client: VismaClient, tenant_id: str) -> SetupProbe:
    """What setup offers in one company: its name (the main branch's), branches, cost bearers,
    item classes and active warehouses."""
    branches = await client.list_branches()
    dim = await client.get_dimension("SUBACCOUNT")
    classes = await client.list_item_classes()
    warehouses = await client.list_warehouses()
    main = next((b for b in branches if b.is_main_branch), branches[0] if branches else None)
    return SetupProbe(
        tenant_id,
        company=(main.name or tenant_id) if main else tenant_id,
        branches=tuple((b.number or "", b.name or "") for b in branches),
        cost_bearers=tuple(
            (s.segment_id, v.value_id or "", v.description or "")
            for s in dim.segments
            for v in s.segment_values
            if v.active is not False and s.segment_id is not None
        ),
        item_classes=tuple((c.id, c.description or "") for c in classes if c.id),
        warehouses=tuple(
            (w.warehouse_id, w.description or "")
            for w in warehouses
            if w.warehouse_id and w.active is not False
        ),
    )


def _pick(
    given: str | None,
    saved: str | None,
    offered: tuple[tuple[str, str], ...],
    company: str,
    what: str,
    option: str,
) -> str | None:
    """An item class or warehouse: the one given (None keeps the saved one, "" none), which
    must be one the company offers."""
    chosen = (saved if given is None else given.strip()) or None
    if chosen is not None and chosen not in {i for i, _ in offered}:
        raise ConfigError(
            _("{company} has no {what} {chosen}").format(
                company=company, what=what, chosen=repr(chosen)
            ),
            _("choose one with {option}: ").format(option=option)
            + (", ".join(f"{i} {d}" for i, d in offered) or "none"),
        )
    return chosen


async def probe(
    conns: Connections,
    dept_id: str,
    client_id: str,
    secret: SecretStr | None,
    tenant_id: str,
) -> SetupProbe:
    """Sign in to one company with an integration client (None: the saved secret) and read
    what setup offers; an error comes back with its remedy instead of being raised."""
    from core.visma.auth import VismaCredentials

    try:
        key = visma_secret(conns.departments, dept_id, client_id, secret)
        creds = VismaCredentials(client_id, key, tenant_id)
        async with conns.visma_for(creds, department_id=dept_id) as client:
            return await _company(client, tenant_id)
    except DuviError as exc:
        return SetupProbe(tenant_id, error=exc.message, remedy=exc.remedy)


def _flag(given: bool | None, chosen: object, flag: str, what: str, option: str) -> bool:
    """A "Flere ..." flag: implied by a choice, refused when turned off beside one."""
    on = given if given is not None else chosen is not None
    if on and chosen is None:
        raise ConfigError(
            _("{flag} is on but no {what} is chosen").format(flag=flag, what=what),
            _("choose the {what} ({option})").format(what=what, option=option),
        )
    if not on and chosen is not None:
        raise ConfigError(
            _("a {what} is chosen but {flag} is off: it would not be used").format(
                what=what, flag=flag
            ),
            _("turn {flag} on, or clear the {what}").format(flag=flag, what=what),
        )
    return on


async def _duell_account(
    rt: Runtime, conns: Connections, choice: SetupChoice
) -> tuple[str, SecretStr] | None:
    """The DUELL account given, checked by signing in; None when none is given."""
    if not choice.duell_client_number:
        return None
    if rt.settings.sandbox:
        raise ConfigError(
            _("in sandbox mode the DUELL account is the sandbox's own"),
            _("leave the DUELL client number out (it is used for the real DUELL only)"),
        )
    number = choice.duell_client_number.strip()
    token = choice.duell_client_token
    if token is None or not token.get_secret_value():
        saved = rt.secrets.get(DUELL_SECRETS, "client_number")
        token = rt.secrets.get(DUELL_SECRETS, "client_token")
        if token is None or saved is None or saved.get_secret_value() != number:
            raise ConfigError(
                _("no DUELL API token is saved for client number {number}").format(number=number),
                _("give the API token from DUELL Admin -> API-oppsett"),
            )
    async with conns.duell_for(number, token) as duell:
        await duell.departments()  # signs in: a wrong number or token is refused here
    return number, token


async def _department_of_duell(
    rt: Runtime, conns: Connections, dept_id: str, account: tuple[str, SecretStr] | None
) -> str:
    """The name DUELL gives a department this installation does not know yet (live mode:
    departments come from DUELL's list)."""
    if rt.settings.sandbox:
        raise ConfigError(
            _("there is no department {dept_id}").format(dept_id=repr(dept_id)),
            _("the sandbox's departments are ") + ", ".join(d.id for d in conns.departments.list()),
        )
    client = conns.duell_for(*account) if account else conns.duell()
    async with client as duell:
        found = {str(d.department_id): d.department_name for d in await duell.departments()}
    if dept_id not in found:
        raise ConfigError(
            _("DUELL has no department {dept_id}").format(dept_id=repr(dept_id)),
            _("DUELL's departments: {value}").format(value=", ".join(sorted(found)) or "none"),
        )
    return found[dept_id]


async def set_up_department(
    rt: Runtime, conns: Connections, dept_id: str, choice: SetupChoice, *, origin: str
) -> str:
    """Check the choice against DUELL and Visma, then save it (audited). Nothing is saved
    when anything is refused. Returns a line saying what was set up."""
    from core.service import refuse_if_read_only
    from core.transfers.foreign import REMEDY as FOREIGN_REMEDY
    from core.transfers.foreign import recent_foreign_batches
    from core.vat import read_visma_vat, refuse_mismatches, save_mapping
    from core.visma.auth import VismaCredentials

    refuse_if_read_only(rt, "saving the setup")
    client_id, tenant = choice.client_id.strip(), choice.tenant_id.strip()
    if not (client_id and tenant):
        raise ConfigError(
            _("setup needs the client id and the company's tenant id"),
            _("fill in both (the tenant is the company's, not the customer's)"),
        )
    several_clients = _flag(
        choice.several_clients, choice.branch, "Flere klienter", "branch", "--branch"
    )
    several_departments = _flag(
        choice.several_departments,
        choice.cost_bearer,
        "Flere avdelinger",
        "cost bearer",
        "--cost-bearer",
    )
    if choice.cutoff_hour is not None and not 0 <= choice.cutoff_hour <= 23:
        raise ConfigError(
            _("the cut-off hour must be 0 to 23, not {cutoff_hour}").format(
                cutoff_hour=choice.cutoff_hour
            ),
            _("give the hour the business day starts, e.g. --cutoff-hour 5"),
        )
    depts = conns.departments
    dept = depts.get(dept_id)
    cost_of_goods = {
        name: value
        for name, value in (
            ("inventory_change", choice.inventory_change),
            ("stock_update", choice.stock_update),
        )
        if value is not None
    }
    # Refused before anything is asked of DUELL or Visma (also a saved pair both on).
    refuse_both_cost_of_goods(
        (dept.settings if dept else DepartmentSettings()).model_copy(update=cost_of_goods)
    )
    account = await _duell_account(rt, conns, choice)
    name = dept.name if dept else await _department_of_duell(rt, conns, dept_id, account)
    secret = (
        visma_secret(depts, dept_id, client_id, choice.secret)
        if dept
        else (choice.secret or SecretStr(""))
    )
    if not secret.get_secret_value():
        raise ConfigError(
            _("department {dept_id} has no saved Visma client secret").format(dept_id=dept_id),
            _("enter the integration client's secret (from the Visma Developer Portal)"),
        )
    codes: dict[str, VismaVat] = {}
    subaccounts: list[Subaccount] = []
    # The double-posting guard's settings: the branch and cost bearer as chosen now.
    chosen = (dept.settings if dept else DepartmentSettings()).model_copy(
        update={
            "several_clients": several_clients,
            "branch_number": choice.branch,
            "several_departments": several_departments,
            "cost_bearer_segment": choice.cost_bearer[0] if choice.cost_bearer else None,
            "cost_bearer_value": choice.cost_bearer[1] if choice.cost_bearer else None,
        }
    )
    async with conns.visma_for(
        VismaCredentials(client_id, secret, tenant), department_id=dept_id
    ) as client:
        company = await _company(client, tenant)
        if choice.vat:
            codes = await read_visma_vat(client)
        if choice.cost_bearer is not None:
            subaccounts = await client.list_subaccounts()
        foreign = await recent_foreign_batches(client, chosen, depts.account_map(dept_id))
    if choice.branch is not None and choice.branch not in {n for n, _ in company.branches}:
        raise ConfigError(
            _("{company} has no branch {branch}").format(
                company=company.company, branch=repr(choice.branch)
            ),
            _("its branches: ") + ", ".join(f"{n} {b}" for n, b in company.branches),
        )
    if choice.cost_bearer is not None and choice.cost_bearer not in {
        (s, v) for s, v, _ in company.cost_bearers
    }:
        segment, value = choice.cost_bearer
        raise ConfigError(
            _("{value} is not an active value of SUBACCOUNT segment {segment} in {company}").format(
                value=repr(value), segment=segment, company=company.company
            ),
            _("its values: ") + ", ".join(f"{s}={v}" for s, v, _ in company.cost_bearers),
        )
    saved_settings = dept.settings if dept else None
    item_class = _pick(
        choice.item_class,
        saved_settings.item_class if saved_settings else None,
        company.item_classes,
        company.company,
        "item class",
        "--item-class",
    )
    warehouse = _pick(
        choice.warehouse,
        saved_settings.warehouse if saved_settings else None,
        company.warehouses,
        company.company,
        "active warehouse",
        "--warehouse",
    )
    defaults = (
        default_segments(
            sorted({s for s, _, _ in company.cost_bearers}), subaccounts, choice.cost_bearer
        )
        if choice.cost_bearer is not None
        else {}
    )
    if choice.vat:
        refuse_mismatches(choice.vat, codes)
    saved_source = dept.settings if dept else DepartmentSettings()
    source, inbox = zreport_source(
        choice.zreport_source or saved_source.zreport_source,
        choice.inbox_dir if choice.inbox_dir is not None else saved_source.inbox_dir,
    )

    # Every check passed: save.
    if dept is None:
        depts.add(dept_id, name)
        dept = depts.get(dept_id)
        assert dept is not None
    if account is not None:  # a customer's department: the customer's account
        customer = dept.settings.customer_id
        section = customer_section(customer) if customer else DUELL_SECRETS
        rt.secrets.set(section, "client_number", SecretStr(account[0]))
        rt.secrets.set(section, "client_token", account[1])
        record(
            rt.store,
            "duell_account.set",
            department_id=dept_id,
            after={"client_number": account[0], "client_token": "(set)"},
        )
    saved = depts.credentials(dept_id)
    if saved is None or saved[0] != client_id or saved[1] != secret:
        depts.set_credentials(dept_id, client_id, secret)
    update: dict[str, object] = {
        "visma_tenant_id": tenant,
        "visma_company_name": company.company,
        "several_clients": several_clients,
        "branch_number": choice.branch,
        "several_departments": several_departments,
        "cost_bearer_segment": choice.cost_bearer[0] if choice.cost_bearer else None,
        "cost_bearer_value": choice.cost_bearer[1] if choice.cost_bearer else None,
        "subaccount_defaults": defaults,
        "item_class": item_class,
        "warehouse": warehouse,
        "zreport_source": source,
        "inbox_dir": inbox,
    }
    if choice.automatic is not None:
        update["automatic_transfer"] = choice.automatic
    if choice.cutoff_hour is not None:
        update["saft_cutoff_hour"] = choice.cutoff_hour
    update.update(cost_of_goods)
    depts.save_settings(dept_id, dept.settings.model_copy(update=update))
    vat_line = save_mapping(rt, dept_id, choice.vat, codes) if choice.vat else ""
    record(rt.store, "department.setup", department_id=dept_id, target=origin, after=tenant)
    parts = [f"department {dept_id} is set up with {company.company}"]
    if choice.branch:
        parts.append(f"branch {choice.branch}")
    if choice.cost_bearer:
        whole = {**defaults, choice.cost_bearer[0]: choice.cost_bearer[1]}
        parts.append(
            f"cost bearer {choice.cost_bearer[0]}={choice.cost_bearer[1]} (subaccount "
            + "-".join(v for _, v in sorted(whole.items()))
            + ")"
        )
    parts.append(f"item class {item_class}" if item_class else "no item class")
    parts.append(f"warehouse {warehouse}" if warehouse else "each item's default warehouse")
    parts.append(source_text(source, inbox))
    line = ", ".join(parts) + (f"; {vat_line}" if vat_line else "")
    if foreign:
        # Not refused: a department moving from DUELL's own module to duvi has such batches
        # of its past days; duvi holds each of those days until a person confirms.
        newest = max(foreign, key=lambda b: b.day)
        warning = plural_msg(
            "Visma holds {n} batch duvi did not make for this department (newest "
            "{number} of {day}; inferred: DUELL's own Visma module) → {remedy}",
            "Visma holds {n} batches duvi did not make for this department (newest "
            "{number} of {day}; inferred: DUELL's own Visma module) → {remedy}",
            n=len(foreign),
            number=newest.number,
            day=newest.day,
            remedy=FOREIGN_REMEDY,
        )
        line += f"; WARNING: {warning.english()}"
        rt.log.warning(warning, department_id=dept_id)
    return line


def zreport_source(source: str, inbox: str | None) -> tuple[str, str | None]:
    """The Z source as chosen, checked: a SAF-T inbox needs an existing directory (its
    `done/` and `failed/` are made beside the files)."""
    from pathlib import Path

    if source not in ("duell", "saft-inbox"):
        raise ConfigError(
            _("there is no Z-report source {source}").format(source=repr(source)),
            _("choose duell or saft-inbox"),
        )
    if source == "duell":
        return source, None
    if not inbox:
        raise ConfigError(
            _("a SAF-T inbox needs its directory"),
            _("give --inbox DIR (the cash register's export)"),
        )
    path = Path(inbox).expanduser().absolute()
    if not path.is_dir():
        raise ConfigError(
            _("the SAF-T inbox {path} is not a directory").format(path=path),
            _("create it, or give another --inbox"),
        )
    return source, str(path)


def source_text(source: str, inbox: str | None) -> str:
    """How setup and doctor name a department's Z source."""
    if source == "saft-inbox":
        return _("Z-reports from the SAF-T inbox {dir}").format(dir=inbox)
    return _("Z-reports from DUELL (assumed endpoint: DUELL publishes none)")
