"""The composition root: turns the settings into where the engine's clients connect (the
real services, or the in-process sandbox in sandbox mode), checks that they are the ones
the database was set up with, and sets up a sandbox installation on its first start. The
one module of the engine's side that imports the sandbox (an import-linter contract); the
engine is handed Connections and never builds a simulator itself. The clients are imported
where used: the console's first start needs none."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from core.config import Settings
from core.departments import Departments
from core.i18n import _
from core.models import DepartmentSettings
from core.runtime import Runtime, check_services

if TYPE_CHECKING:
    import httpx

    from core.connections import Connections, Endpoints
    from core.sandbox.app import Sandbox
    from core.sandbox.world import DepartmentCredentials


@cache
def sandbox() -> Sandbox:
    """The process's in-process sandbox (seed 0), built on first use (the world is heavy)."""
    from core.sandbox.world import build_sandbox

    return build_sandbox(0)[0]


def sandbox_endpoints(
    sb: Sandbox, *, transport: httpx.AsyncBaseTransport | None = None
) -> Endpoints:
    """Endpoints into `sb` (in process, unless `transport` says otherwise), with its DUELL
    account."""
    import httpx

    from core.connections import Endpoints

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await sb.app(scope, receive, send)  # whatever app the sandbox has now (benches wrap it)

    def duell_account() -> tuple[str, SecretStr]:
        state = sb.duell.state
        return state.client_number, SecretStr(state.client_token)

    return Endpoints(
        sb.visma_url,
        sb.connect_url,
        sb.duell_url,
        transport or httpx.ASGITransport(app=app),
        duell_account,
    )


def endpoints(settings: Settings) -> Endpoints:
    """The sandbox's in sandbox mode, else the real services the settings name."""
    from core.connections import Endpoints

    return sandbox_endpoints(sandbox()) if settings.sandbox else Endpoints.of(settings)


def connections(rt: Runtime, *, sandbox: Sandbox | None = None) -> Connections:
    """The Connections the engine works with in this runtime; `sandbox` (tests, benches)
    puts a sandbox of the caller's in place of the process's. Close them (a context
    manager) when done."""
    from core.connections import Connections

    if sandbox is not None:
        return Connections(rt, sandbox_endpoints(sandbox))
    settings = rt.settings
    # Before any request: these services must be the ones the database's data came from
    # (recorded on first use); Runtime.open has checked the mode.
    check_services(rt.store, settings)
    return Connections(rt, lambda: endpoints(settings))


def open_runtime(settings: Settings) -> Runtime:
    """The runtime every entry point opens (each command of the command line, the console,
    `duvi run`): the store, checked against the settings, with the sandbox's departments
    created on the first use in sandbox mode, whichever command comes first."""
    rt = Runtime.open(settings)
    try:
        ensure_installation(rt)
    except BaseException:
        rt.close()
        raise
    return rt


def ensure_installation(rt: Runtime) -> bool:
    """The first start in sandbox mode: the sandbox's departments, the first two set up.
    Does nothing outside sandbox mode or once there are departments; returns whether it
    did something."""
    if not rt.settings.sandbox:
        return False
    departments = Departments(rt.store, rt.secrets)
    if departments.has_any():  # asked before the world is built (it is heavy)
        return False
    from core.sandbox.world import sandbox_credentials

    return ensure_sandbox_setup(departments, sandbox_credentials())


def ensure_sandbox_setup(departments: Departments, creds: list[DepartmentCredentials]) -> bool:
    """Add the sandbox departments once, the first ones set up; returns whether it did."""
    from core.sandbox.bootstrap import SET_UP_AT_FIRST_START

    if departments.list():
        return False
    for i, c in enumerate(creds):
        departments.add(c.department_id, c.name)
        if i < SET_UP_AT_FIRST_START:
            set_up(departments, c, automatic_transfer=i == 0)
    return True


def set_up(
    departments: Departments, c: DepartmentCredentials, *, automatic_transfer: bool = False
) -> None:
    """What the console's setup does for a sandbox department: credentials, company, VAT."""
    from core.sandbox.bootstrap import department_setup

    chosen = department_setup(c)
    departments.set_credentials(
        c.department_id, c.visma_client_id, SecretStr(c.visma_client_secret)
    )
    departments.save_settings(
        c.department_id,
        DepartmentSettings(
            visma_tenant_id=c.visma_tenant_id,
            visma_company_name=chosen.company_name,
            several_departments=True,
            cost_bearer_segment=chosen.cost_bearer_segment,
            cost_bearer_value=chosen.cost_bearer_value,
            subaccount_defaults=chosen.subaccount_defaults,
            item_class=chosen.item_class,
            automatic_transfer=automatic_transfer,
        ),
    )
    for rate, vat_id in chosen.vat_ids.items():
        departments.set_vat_mapping(c.department_id, rate, vat_id)


def sandbox_department_credentials(settings: Settings, dept_id: str) -> DepartmentCredentials:
    """A sandbox department's own Visma integration client, as setup needs it (README: the
    sandbox needs no credentials of a person's). Sandbox mode only."""
    from core.errors import ConfigError
    from core.sandbox.world import sandbox_credentials

    if not settings.sandbox:
        raise ConfigError(
            _("the sandbox's credentials are for sandbox mode only"),
            _("enter the department's own integration client from the Visma Developer Portal"),
        )
    found = next((c for c in sandbox_credentials() if c.department_id == dept_id), None)
    if found is None:
        raise ConfigError(
            _("the sandbox has no department {dept_id}").format(dept_id=repr(dept_id)),
            _("choose 1, 2 or 3"),
        )
    return found


def set_up_scale_world(departments: Departments, world: Any, *, automatic: bool = True) -> int:
    """Every department of a scale world (core.sandbox.scale_world.ScaleWorld) set up as the
    console's setup would: under its customer, whose DUELL account and Visma integration
    client are saved once (customer:<id>); returns the departments set up. Benches and
    tests: a person sets up a real customer's departments in the console."""
    from core.sandbox.bootstrap import COST_BEARER_SEGMENT, ITEM_CLASS, SANDBOX_VAT_IDS
    from core.secrets import customer_section

    secrets, count = departments.secrets, 0
    for customer in world.customers:
        section = customer_section(customer.client_number)
        for name, value in (
            ("client_number", customer.client_number),
            ("client_token", customer.client_token),
            ("visma_client_id", customer.visma_client_id),
            ("visma_client_secret", customer.visma_client_secret),
        ):
            secrets.set(section, name, SecretStr(value))
        for d in customer.departments:
            departments.add(d.department_id, d.name)
            departments.save_settings(
                d.department_id,
                DepartmentSettings(
                    customer_id=customer.client_number,
                    customer_name=customer.name,
                    visma_tenant_id=customer.tenant_id,
                    visma_company_name=customer.name,
                    several_departments=True,
                    cost_bearer_segment=COST_BEARER_SEGMENT,
                    cost_bearer_value=str(d.local).zfill(2),
                    subaccount_defaults={2: "000"},
                    item_class=ITEM_CLASS,
                    automatic_transfer=automatic,
                ),
            )
            for rate, vat_id in SANDBOX_VAT_IDS.items():
                departments.set_vat_mapping(d.department_id, rate, vat_id)
            count += 1
    return count
