"""The sandbox's seeded world. For now the Visma side's companies and the per-department
integration clients; the DUELL side and the generated products, customers and Z-reports
come with the DUELL sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from core.sandbox.app import Sandbox
from core.sandbox.faults import Faults

COMPANY_TENANT = "5c7e1a2b-0d4f-4b8e-9a61-3f2d8c9e0a11"
SECOND_TENANT = "8a1f3c5d-2e4b-4c6d-8f0a-1b3c5d7e9f20"
CUSTOMER_TENANT = "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f"  # the contract tenant: a classic mistake


@dataclass(frozen=True)
class DepartmentCredentials:
    department_id: str
    name: str
    visma_client_id: str
    visma_client_secret: str
    visma_tenant_id: str


DEPARTMENTS = (
    ("1", "Oslo sentrum"),
    ("2", "Bergen Galleriet"),
    ("3", "Trondheim Solsiden"),
)


def build_sandbox(
    seed: int = 0,
    *,
    faults: Faults | None = None,
    rate_limit: int = 15000,
    rate_window: float = 3600,
) -> tuple[Sandbox, list[DepartmentCredentials]]:
    sb = Sandbox(faults=faults, rate_limit=rate_limit, rate_window=rate_window)
    creds = []
    for dept, name in DEPARTMENTS:
        client_id = f"isv_duvi_sandbox_dept{dept}"
        secret = f"sandbox-secret-{seed}-{dept}"
        tenant = COMPANY_TENANT if dept != "3" else SECOND_TENANT
        if tenant not in sb.visma.companies:
            sb.add_company(
                tenant,
                "Garnbua AS" if dept != "3" else "Garnbua Trøndelag AS",
                departments=[d for d, _ in DEPARTMENTS],
                client_id=client_id,
                client_secret=secret,
            )
        else:
            sb.connect.register(client_id, secret, {tenant})
        sb.connect.clients[client_id][1].add(CUSTOMER_TENANT)
        creds.append(DepartmentCredentials(dept, name, client_id, secret, tenant))
    sb.visma.customer_tenants.add(CUSTOMER_TENANT)
    return sb, creds
