"""Clients for a department: the real services, or the in-process sandbox in sandbox mode."""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
from pydantic import SecretStr

from core.departments import Departments
from core.duell.client import DuellClient, open_duell
from core.errors import ConfigError
from core.http import CallContext
from core.httplog import HttpLog
from core.runtime import Runtime
from core.visma.auth import VismaCredentials
from core.visma.client import VismaClient, open_visma

DUELL_SECRETS = "duell"  # the secrets file's section for the DUELL account


@cache
def sandbox() -> Any:
    """The process's in-process sandbox (seed 0), built on first use."""
    from core.sandbox.world import build_sandbox

    return build_sandbox(0)[0]


class Connections:
    def __init__(
        self,
        rt: Runtime,
        *,
        sandbox_instance: Any = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.rt = rt
        self.departments = Departments(rt.store, rt.secrets)
        self.http_log = HttpLog(rt.store)
        self._sandbox = sandbox_instance  # tests bring their own; else the process's
        self._transport = transport

    def endpoints(self) -> tuple[str, str, str, httpx.AsyncBaseTransport | None]:
        s = self.rt.settings
        if s.sandbox:
            sb = self._sandbox or sandbox()
            return sb.visma_url, sb.connect_url, sb.duell_url, self._transport or sb.transport()
        return s.visma_base_url, s.connect_base_url, s.duell_base_url, self._transport

    def visma(self, department_id: str, *, run_id: int | None = None) -> VismaClient:
        dept = self.departments.get(department_id)
        creds = self.departments.credentials(department_id)
        if dept is None or creds is None or not dept.settings.visma_tenant_id:
            raise ConfigError(
                f"department {department_id} is not set up for Visma.net",
                "open the console's setup for this department (sign in, choose the company)",
            )
        visma_url, connect_url, _, transport = self.endpoints()
        return open_visma(
            VismaCredentials(creds[0], creds[1], dept.settings.visma_tenant_id),
            visma_url=visma_url,
            connect_url=connect_url,
            settings=self.rt.settings,
            transport=transport,
            http_log=self.http_log,
            context=CallContext(department_id, run_id),
        )

    def duell(self, *, department_id: str | None = None, run_id: int | None = None) -> DuellClient:
        _, _, duell_url, transport = self.endpoints()
        if self.rt.settings.sandbox:
            state = (self._sandbox or sandbox()).duell.state
            number, token = state.client_number, SecretStr(state.client_token)
        else:
            n = self.rt.secrets.get(DUELL_SECRETS, "client_number")
            t = self.rt.secrets.get(DUELL_SECRETS, "client_token")
            if n is None or t is None:
                raise ConfigError(
                    "no DUELL API credentials are set up",
                    "enter the client number and API token from DUELL Admin -> "
                    "API-oppsett in the console's setup",
                )
            number, token = n.get_secret_value(), t
        return open_duell(
            number,
            token,
            base_url=duell_url,
            settings=self.rt.settings,
            transport=transport,
            http_log=self.http_log,
            context=CallContext(department_id, run_id),
        )

    def close(self) -> None:
        self.http_log.close()
