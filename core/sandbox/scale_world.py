"""A sandbox world at scale (`duvi sandbox serve --customers-n N --departments-n M`): N DUELL
customers, each its own DUELL client (account) and its own Visma company (tenant, with one
integration client), and M departments in all spread over them (every customer has one; the
rest fall unevenly, as a chain beside single shops). Deterministic by seed; the names are
Norwegian-looking, from the lists below (not Faker: its output may change between releases,
and a thousand names need no more).

Z-reports are made when listed, never stored: Z number k of a department is built from
(seed, department, k) alone, so 1,000 departments cost no memory for their days. A
department's listing shows `z_initial` Z-reports, one more for each `z_every` seconds the
sandbox has run (0: none by itself), and one more for each POST /sandbox/close-day (every
department, or `?department_id=` one): so a bench makes "one new Z-report each" exactly, and a
served sandbox left running closes a day per runner round (`--z-every 300`).

The scale world's DUELL clients have no products, customers or invoice bases, and its Visma
companies no items: a round against it is one of Z-reports (the default world is the one for
master data). Department ids are unique across the DUELL clients (inferred: the sandbox's
choice; duvi keys a department by its DUELL id). GET /sandbox/stats gives the request counts
and 429s a bench reads (the served sandbox is another process)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from starlette.types import Receive, Scope, Send

from core.sandbox.app import Sandbox
from core.sandbox.common import json_response
from core.sandbox.duell_api import DuellSandbox, DuellState
from core.sandbox.faults import Faults
from core.sandbox.world import _orgnr, _zreports

FIRST_DAY = date(2026, 11, 1)  # Z 1's business day; Z k's is k - 1 days later
STATS_PATH = "/sandbox/stats"
CLOSE_DAY_PATH = "/sandbox/close-day"
ADVANCE_PATH = "/sandbox/advance-clock"  # ?seconds=N: Visma's clock moves on N seconds
FIRST_CLIENT_NUMBER = 200001
MAX_PER_CUSTOMER = 99  # a cost bearer is two digits (segment 1 of the seeded SUBACCOUNT)

STEMS = (
    "Garnbua", "Strikkestua", "Kaffebrenneriet", "Bokhjørnet", "Sykkelverkstedet", "Blomsterhuset",
    "Fiskebua", "Bakeriet", "Jernvarehandelen", "Leketøyshuset", "Interiørbua", "Skobutikken",
    "Brødboden", "Tekoppen", "Sportshuset", "Urmakeren", "Kjøkkenhagen", "Fargehandelen",
    "Hobbyhuset", "Optikeren", "Vinkjelleren", "Ostebua", "Klesloftet", "Dyrebutikken",
    "Papirhuset", "Gullsmeden", "Frisørsalongen", "Musikkhandelen", "Glassmesteren", "Kiosken",
)  # fmt: skip
CITIES = (
    "Oslo", "Bergen", "Trondheim", "Stavanger", "Kristiansand", "Drammen", "Fredrikstad",
    "Tromsø", "Sandnes", "Sarpsborg", "Skien", "Ålesund", "Bodø", "Sandefjord", "Arendal",
    "Tønsberg", "Haugesund", "Porsgrunn", "Moss", "Hamar", "Lillehammer", "Gjøvik", "Molde",
    "Harstad", "Kongsberg", "Larvik", "Halden", "Steinkjer", "Alta", "Narvik",
)  # fmt: skip
PLACES = (
    "sentrum", "Torget", "Storsenter", "Amfi", "Byporten", "Stasjonen", "Brygga", "Solsiden",
    "Galleriet", "Kvadraturen", "Strandgata", "Kirkegata", "Sjøsiden", "Handelshuset",
)  # fmt: skip
SUFFIXES = ("AS", "AS", "AS", "ANS", "Drift AS", "Handel AS")


@dataclass(frozen=True)
class ScaleDepartment:
    department_id: str  # DUELL's id, unique in the sandbox
    local: int  # 1, 2 … within its customer: its cost bearer (subaccount segment 1) value
    name: str
    city: str
    api_token: str


@dataclass(frozen=True)
class ScaleCustomer:
    """A DUELL customer: its DUELL client, its Visma company and integration client."""

    client_number: str
    client_token: str
    name: str
    org_number: str
    tenant_id: str
    visma_client_id: str
    visma_client_secret: str
    departments: tuple[ScaleDepartment, ...]


@dataclass
class ScaleWorld:
    seed: int
    customers: list[ScaleCustomer]

    @property
    def departments(self) -> list[tuple[ScaleCustomer, ScaleDepartment]]:
        return [(c, d) for c in self.customers for d in c.departments]


def _spread(rng: random.Random, customers_n: int, departments_n: int) -> list[int]:
    """Departments per customer: one each, the rest to customers drawn with weights falling
    by rank (a few chains, many single shops)."""
    counts = [1] * customers_n
    weights = [1 / (i + 1) for i in range(customers_n)]
    left = departments_n - customers_n
    while left:
        i = rng.choices(range(customers_n), weights)[0]
        if counts[i] < MAX_PER_CUSTOMER or min(counts) >= MAX_PER_CUSTOMER:
            counts[i] += 1
            left -= 1
    rng.shuffle(counts)
    return counts


def generate_scale(seed: int, *, customers_n: int, departments_n: int) -> ScaleWorld:
    """`customers_n` customers with `departments_n` departments in all (at least one each)."""
    if customers_n < 1 or not customers_n <= departments_n <= customers_n * MAX_PER_CUSTOMER:
        raise ValueError(
            f"a scale world needs a customer or more, a department for each and at most "
            f"{MAX_PER_CUSTOMER} a customer"
        )
    rng = random.Random(f"scale-{seed}")
    counts = _spread(rng, customers_n, departments_n)
    names = [(stem, city) for stem in STEMS for city in CITIES]
    picked = rng.sample(names, min(len(names), customers_n))
    customers, next_dept = [], 1
    for i, n in enumerate(counts):
        stem, home = picked[i] if i < len(picked) else (rng.choice(STEMS), rng.choice(CITIES))
        number = str(FIRST_CLIENT_NUMBER + i)
        suffix = rng.choice(SUFFIXES)
        name = f"{stem} {home} {suffix}" if i < len(picked) else f"{stem} {home} {i} {suffix}"
        depts = []
        cities = [home, *rng.sample([c for c in CITIES if c != home], min(len(CITIES) - 1, n))]
        for local in range(1, n + 1):
            city = cities[(local - 1) % len(cities)]
            place = rng.choice(PLACES)
            dname = f"{city} {place}" if local <= len(cities) else f"{city} {place} {local}"
            token = f"dept-{next_dept}-" + "".join(rng.choices("abcdef0123456789", k=32))
            depts.append(ScaleDepartment(str(next_dept), local, dname, city, token))
            next_dept += 1
        customers.append(
            ScaleCustomer(
                number,
                f"duell-api-token-{seed}-{number}",
                name,
                _orgnr(rng),
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                f"isv_scale_{number}",
                f"scale-secret-{seed}-{number}",
                tuple(depts),
            )
        )
    return ScaleWorld(seed, customers)


def scale_zreport(
    seed: int, customer: ScaleCustomer, department_id: str, z_number: int
) -> dict[str, Any]:
    """Z-report `z_number` of a department, as DUELL lists it: from (seed, department, number)
    alone (the default world's day generator, given its own random source)."""
    rng = random.Random(f"scale-z-{seed}-{department_id}-{z_number}")
    day = FIRST_DAY + timedelta(days=z_number - 1)
    (z,) = _zreports(rng, department_id, 1, day)
    z["z_number"] = z_number
    z["company"] = {"org_number": customer.org_number, "name": customer.name}
    return z


@dataclass
class ZClock:
    """How many Z-reports each department's listing shows (see the module's docstring)."""

    z_initial: int = 1
    z_every: float = 0.0  # seconds per new Z-report of every department; 0: none by itself
    clock: Callable[[], float] = time.monotonic
    closed: dict[str, int] = field(default_factory=dict)  # department -> days closed by hand
    closed_all: int = 0
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def count(self, department_id: str) -> int:
        ticks = int((self.clock() - self.started) // self.z_every) if self.z_every else 0
        return self.z_initial + ticks + self.closed_all + self.closed.get(department_id, 0)

    def close_day(self, department_id: str | None = None) -> None:
        if department_id is None:
            self.closed_all += 1
        else:
            self.closed[department_id] = self.closed.get(department_id, 0) + 1


class LazyZReports(dict[str, list[dict[str, Any]]]):
    """DuellState.zreports for the scale world: each listing's Z-reports made on the spot."""

    def __init__(self, world: ScaleWorld, zclock: ZClock) -> None:
        super().__init__()
        self.world, self.zclock = world, zclock
        self.owner = {d.department_id: c for c, d in world.departments}

    def get(self, key: str, default: Any = None) -> Any:
        customer = self.owner.get(key)
        if customer is None:
            return default
        return [
            scale_zreport(self.world.seed, customer, key, k)
            for k in range(1, self.zclock.count(key) + 1)
        ]

    def __contains__(self, key: object) -> bool:
        return key in self.owner

    def __missing__(self, key: str) -> list[dict[str, Any]]:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return list(found)


def build_scale_sandbox(
    world: ScaleWorld,
    *,
    faults: Faults | None = None,
    rate_limit: int = 15000,
    rate_window: float = 3600,
    zclock: ZClock | None = None,
) -> Sandbox:
    """Both services for the scale world: one DUELL client and one Visma company per customer."""
    zclock = zclock or ZClock()
    first = world.customers[0]
    state = DuellState(client_number=first.client_number, client_token=first.client_token)
    state.accounts = {c.client_number: c.client_token for c in world.customers[1:]}
    state.departments = [
        {
            "department_id": int(d.department_id),
            "department_name": d.name,
            "city": d.city,
            "api_token": d.api_token,
        }
        for _, d in world.departments
    ]
    state.department_clients = {d.department_id: c.client_number for c, d in world.departments}
    state.zreports = LazyZReports(world, zclock)
    sb = Sandbox(
        faults=faults, rate_limit=rate_limit, rate_window=rate_window, duell=DuellSandbox(state)
    )
    for c in world.customers:
        sb.add_company(
            c.tenant_id,
            c.name,
            departments=[str(d.local) for d in c.departments],
            client_id=c.visma_client_id,
            client_secret=c.visma_client_secret,
        )
    _with_control(sb, zclock)
    return sb


def stats(sb: Sandbox) -> dict[str, Any]:
    """What a bench reads from a served sandbox: requests, 429s, each company's count in its
    current window (and when that window ends), each DUELL account's."""
    per_company: dict[str, int] = {}
    company_resets: dict[str, float] = {}
    resets = sb.visma.limiter.resets_in()
    for key, used in sb.visma.limiter.used().items():
        tenant = str(key[1]) if isinstance(key, tuple) else str(key)  # (client id, tenant id)
        per_company[tenant] = per_company.get(tenant, 0) + used
        company_resets[tenant] = round(resets.get(key, 0.0), 1)
    duell = sb.duell.limiter
    return {
        "visma_requests": sb.visma.requests,
        "duell_requests": sb.duell.requests,
        "visma_429": sb.visma.limiter.rejected,
        "duell_429": sb.duell.limiter.rejected,
        "injected_429": sb.faults.injected.get("429", 0),
        "visma_requests_per_company": per_company,
        "visma_rate_limit": sb.visma.limiter.limit,
        "visma_rate_window": sb.visma.limiter.window,
        "visma_resets_in_per_company": company_resets,
        "duell_requests_per_account": {str(k): n for k, n in duell.used().items()},
        "duell_resets_in_per_account": {str(k): round(s, 1) for k, s in duell.resets_in().items()},
        "duell_rate_limit": duell.limit,
        "duell_rate_window": duell.window,
        # Journals each company holds: a Z-report posted twice would show here.
        "visma_journals_per_company": {t: len(c.journals) for t, c in sb.visma.companies.items()},
    }


def _with_control(sb: Sandbox, zclock: ZClock) -> None:
    """GET /sandbox/stats, POST /sandbox/close-day and POST /sandbox/advance-clock (Visma's
    clock moves on: what was stamped before is that much older, as the days before a round
    are), outside the fault injector (no latency, never a fault)."""
    inner = sb.app

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == STATS_PATH and scope["method"] == "GET":
            await json_response(stats(sb))(scope, receive, send)
            return
        if path == CLOSE_DAY_PATH and scope["method"] == "POST":
            query = dict(
                p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p
            )
            zclock.close_day(query.get("department_id"))
            await json_response({"closed": query.get("department_id", "all")})(scope, receive, send)
            return
        if path == ADVANCE_PATH and scope["method"] == "POST":
            query = dict(
                p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p
            )
            sb.clock.offset += timedelta(seconds=float(query.get("seconds", "0")))
            await json_response({"offset": sb.clock.offset.total_seconds()})(scope, receive, send)
            return
        await inner(scope, receive, send)

    sb.app = app  # type: ignore[assignment]
