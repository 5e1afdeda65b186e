"""Where the services are and the clients that reach them. The engine is handed its Endpoints
(core.boot decides between the real services and the sandbox) and never builds a simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from core.bearer import HeldToken
from core.budgets import StoreWindows
from core.departments import Departments
from core.duell.client import DuellClient, open_duell
from core.errors import ConfigError
from core.http import CallContext, Pacer
from core.httplog import HttpLog
from core.runtime import Runtime, check_services
from core.secrets import DUELL_SECTION
from core.visma.auth import VismaCredentials
from core.visma.client import VismaClient, open_visma

DUELL_SECRETS = DUELL_SECTION  # the secrets file's section for the installation's DUELL account


@dataclass(frozen=True)
class Endpoints:
    """The three services' base URLs, the transport to reach them by (None: the network), and
    a DUELL account of their own (a simulator's, asked whenever a client is made, as it may
    change; None: the one in the secrets file)."""

    visma_url: str
    connect_url: str
    duell_url: str
    transport: httpx.AsyncBaseTransport | None = None
    duell_account: Callable[[], tuple[str, SecretStr]] | None = None

    @classmethod
    def of(cls, settings: Any) -> Endpoints:
        """The real services the settings name."""
        if settings.sandbox:
            raise ConfigError(
                "sandbox mode, but nothing wired the sandbox to this call",
                "this is a bug in duvi: core.boot.connections(rt) gives the engine its "
                "endpoints; report it with `duvi support-bundle`",
            )
        return cls(settings.visma_base_url, settings.connect_base_url, settings.duell_base_url)


@dataclass
class Connections:
    """The clients of one runtime: one HTTP-log writer for all of them, and every token they
    obtain kept (per department and service) for the next client, while it is valid. A
    long-lived holder (the runner) therefore logs in once per token lifetime, not per round."""

    rt: Runtime
    # None: the real services the settings name; a callable is asked on first use (the
    # sandbox is built only when a command gets as far as a service).
    endpoints: Endpoints | Callable[[], Endpoints] | None = None
    departments: Departments = field(init=False)
    http_log: HttpLog = field(init=False)
    tokens: dict[tuple[str | None, ...], HeldToken] = field(init=False, default_factory=dict)
    pacers: dict[str, Pacer] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.departments = Departments(self.rt.store, self.rt.secrets)
        self.http_log = HttpLog(self.rt.store)
        s = self.rt.settings
        # A request holds its place in a shared window until it is answered or times out.
        self.windows = StoreWindows(
            self.rt.store, in_flight_ttl=s.connect_timeout + s.request_timeout + 30
        )

    def pacer(self, key: str, budget: int) -> Pacer:
        """The one pacer of a budget (`visma:<client>:<tenant>`, `duell:<account>`): every
        department of a company, and every process on this store, paces against one window."""
        if key not in self.pacers:
            self.pacers[key] = Pacer(budget, shared=self.windows, key=key)
        return self.pacers[key]

    def where(self) -> Endpoints:
        if self.endpoints is None:
            check_services(self.rt.store, self.rt.settings)  # as boot.connections does
            self.endpoints = Endpoints.of(self.rt.settings)
        elif not isinstance(self.endpoints, Endpoints):
            self.endpoints = self.endpoints()
        return self.endpoints

    def _held(self, *key: str | None) -> HeldToken:
        return self.tokens.setdefault(key, HeldToken())

    def visma(self, department_id: str, *, run_id: int | None = None) -> VismaClient:
        """The department's Visma client, with the credentials and company setup saved."""
        dept = self.departments.get(department_id)
        creds = self.departments.credentials(department_id)
        if dept is None or creds is None or not dept.settings.visma_tenant_id:
            raise ConfigError(
                f"department {department_id} is not set up for Visma.net",
                "open the console's setup for this department (sign in, choose the company)",
            )
        return self.visma_for(
            VismaCredentials(creds[0], creds[1], dept.settings.visma_tenant_id),
            department_id=department_id,
            run_id=run_id,
        )

    def visma_for(
        self, creds: VismaCredentials, *, department_id: str | None, run_id: int | None = None
    ) -> VismaClient:
        """A Visma client for these credentials (setup tries them before they are saved)."""
        where = self.where()
        return open_visma(
            creds,
            visma_url=where.visma_url,
            connect_url=where.connect_url,
            settings=self.rt.settings,
            transport=where.transport,
            http_log=self.http_log,
            context=CallContext(department_id, run_id),
            held=self._held("visma", department_id, creds.client_id, creds.tenant_id),
            pacer=self.pacer(
                f"visma:{creds.client_id}:{creds.tenant_id}", self.rt.settings.visma_rate_budget
            ),
        )

    def duell(self, *, department_id: str | None = None, run_id: int | None = None) -> DuellClient:
        where = self.where()
        if where.duell_account is not None:
            number, token = where.duell_account()
        else:  # the department's customer's account, else the installation's
            account = self.departments.duell_account(department_id)
            if account is None:
                raise ConfigError(
                    "no DUELL API credentials are set up",
                    "enter the client number and API token from DUELL Admin -> "
                    "API-oppsett in the console's setup",
                )
            number, token = account
        return self.duell_for(number, token, department_id=department_id, run_id=run_id)

    def duell_for(
        self,
        number: str,
        token: SecretStr,
        *,
        department_id: str | None = None,
        run_id: int | None = None,
    ) -> DuellClient:
        """A DUELL client for this account (setup tries it before it is saved)."""
        where = self.where()
        return open_duell(
            number,
            token,
            base_url=where.duell_url,
            settings=self.rt.settings,
            transport=where.transport,
            http_log=self.http_log,
            context=CallContext(department_id, run_id),
            # One DUELL token per account (it is the client's, not a department's): one login
            # per run, kept across the runner's rounds while valid.
            held=self._held("duell", number),
            pacer=self.pacer(f"duell:{number}", self.rt.settings.duell_rate_budget),
        )

    def close(self) -> None:
        self.http_log.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def connections_for(rt: Runtime, given: Connections | None) -> Iterator[Connections]:
    """The caller's connections (left open), or ones of this call's own (closed after it)."""
    if given is not None:
        yield given
        return
    with Connections(rt) as own:
        yield own
