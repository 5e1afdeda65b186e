"""What the sandbox's departments look like once the console's setup has been through them:
data only. The installation (core.boot) writes it into its stores; the sandbox never touches
them. The first two departments come set up (credentials, company, VAT ids) and the third
not, so a newcomer sees both a working department and the setup path."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.sandbox.world import SECOND_TENANT, DepartmentCredentials

SANDBOX_VAT_IDS = {Decimal(25): "3", Decimal(15): "31", Decimal(12): "33", Decimal(0): "5"}
COMPANY_NAME = "Garnbua AS"  # what setup showed for every sandbox department
SET_UP_AT_FIRST_START = 2  # departments; the third waits for setup
COST_BEARER_SEGMENT = 1
# The other SUBACCOUNT segment (project) as setup reads it from Garnbua AS's default
# subaccount 00-000, and the item class setup offers first (visma_seed).
SUBACCOUNT_DEFAULTS = {2: "000"}
# Garnbua Trøndelag AS (department 3's company) validates combinations: the only subaccount it
# has made for Trondheim is 03-100, so setup fills project 100 in there (world._second_company).
SECOND_COMPANY_NAME = "Garnbua Trøndelag AS"
SECOND_SUBACCOUNT_DEFAULTS = {2: "100"}
ITEM_CLASS = "VARER"


@dataclass(frozen=True)
class DepartmentSetup:
    """What setup chooses for a sandbox department."""

    credentials: DepartmentCredentials
    company_name: str
    cost_bearer_segment: int
    cost_bearer_value: str
    vat_ids: dict[Decimal, str]
    subaccount_defaults: dict[int, str]
    item_class: str


def department_setup(c: DepartmentCredentials) -> DepartmentSetup:
    second = c.visma_tenant_id == SECOND_TENANT
    return DepartmentSetup(
        c,
        SECOND_COMPANY_NAME if second else COMPANY_NAME,
        COST_BEARER_SEGMENT,
        c.department_id.zfill(2),
        dict(SANDBOX_VAT_IDS),
        dict(SECOND_SUBACCOUNT_DEFAULTS if second else SUBACCOUNT_DEFAULTS),
        ITEM_CLASS,
    )
