"""Sandbox mode's first start: the store gets the world's three departments, the first two
fully set up (credentials, company, VAT mapping) and the third not, so a newcomer sees both a
working department and the setup path."""

from __future__ import annotations

from decimal import Decimal

from pydantic import SecretStr

from core.departments import Departments
from core.models import DepartmentSettings
from core.sandbox.world import DepartmentCredentials

SANDBOX_VAT_IDS = {Decimal(25): "3", Decimal(15): "31", Decimal(12): "33", Decimal(0): "5"}


def ensure_sandbox_setup(departments: Departments, creds: list[DepartmentCredentials]) -> bool:
    """Set the sandbox departments up once; returns whether anything was done."""
    if departments.list():
        return False
    for i, c in enumerate(creds):
        departments.add(c.department_id, c.name)
        if i < 2:  # the third department waits for setup
            set_up(departments, c, automatic_transfer=i == 0)
    return True


def set_up(
    departments: Departments, c: DepartmentCredentials, *, automatic_transfer: bool = False
) -> None:
    """What the console's setup does for a sandbox department: credentials, company, VAT."""
    departments.set_credentials(
        c.department_id, c.visma_client_id, SecretStr(c.visma_client_secret)
    )
    departments.save_settings(
        c.department_id,
        DepartmentSettings(
            visma_tenant_id=c.visma_tenant_id,
            visma_company_name="Garnbua AS",
            several_departments=True,
            cost_bearer_segment=1,
            cost_bearer_value=c.department_id.zfill(2),
            automatic_transfer=automatic_transfer,
        ),
    )
    for rate, vat_id in SANDBOX_VAT_IDS.items():
        departments.set_vat_mapping(c.department_id, rate, vat_id)
