"""Attacks on the runner, the webhook receiver, the store's growth and customers under faults
(issue 20, findings D7 and C1/C2/C3/C6 of ../shared/docs/findings/2026-12-red.md). Each test
failed on the code before its fix."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from core.config import load_settings
from core.errors import DuviError
from core.runtime import Runtime
from core.sandbox.app import Sandbox
from core.sandbox.faults import FaultMiddleware, Faults
from core.service import sync_master_data
from tests.helpers import reliability
from tests.sandbox_fixtures import Installation

# -- D7: customers under faults end as without them -----------------------------------------

CUSTOMER_PATH = "/visma/v1/customer"
SHARED_EMAIL = "felles@example.no"
TWO_SHARING = {  # two DUELL customers sharing an e-mail (DUELL's own duplicates)
    1: {"customer_id": 1, "customer_name": "Kari Nordmann", "email": SHARED_EMAIL},
    2: {"customer_id": 2, "customer_name": "Kari N. (butikk 2)", "email": SHARED_EMAIL},
}


class LoseCustomerCreate:
    """The sandbox's own fault middleware on one customer create: the `nth` POST to Visma's
    customer path, and what follows it while `on`.
    - "answer-lost": that create is carried out and its answer dropped (drop-after), and the
      lookups by name that follow fail, so the run cannot learn what became of it;
    - "never-confirmed": that create and its resends are answered 500 before Visma acts, so
      it is "lost three times" although Visma has nothing."""

    def __init__(self, app: Any, nth: int, how: str) -> None:
        self.app, self.nth, self.how = app, nth, how
        self.on, self.posts, self.lost = True, 0, False
        self.drop = Faults(drop_rate=1.0, cut_phase="after")
        self.error = Faults(error_rate=1.0)
        self.dropping = FaultMiddleware(app, self.drop)
        self.erroring = FaultMiddleware(app, self.error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (self.on and scope["type"] == "http" and scope["path"] == CUSTOMER_PATH):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST":
            self.posts += 1
            if self.how == "answer-lost" and self.posts == self.nth:
                self.lost = True
                await self.dropping(scope, receive, send)
                return
            if self.how == "never-confirmed" and self.posts >= self.nth:
                self.lost = True
                await self.erroring(scope, receive, send)
                return
        elif self.lost and self.how == "answer-lost":  # the lookups after the lost answer
            await self.erroring(scope, receive, send)
            return
        await self.app(scope, receive, send)


@asynccontextmanager
async def installation_at(
    home: Path, world: Any, customers: dict[int, Any] | None = None
) -> AsyncIterator[Installation]:
    """A sandbox installation on `world` (departments 1 and 2 set up, 1 on automatic
    transfer); given `customers`, DUELL has only those and Visma none."""
    from core.boot import connections, ensure_sandbox_setup
    from core.departments import Departments
    from core.sandbox.world import build_sandbox, sandbox_credentials

    sandbox, _ = build_sandbox(7, world=copy.deepcopy(world))
    rt = Runtime.open(load_settings(home=home, retry_base_delay=0.001))
    ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(7))
    conns = connections(rt, sandbox=sandbox)
    inst = Installation(rt, sandbox, conns)
    if customers is not None:
        sandbox.duell.state.customers.clear()
        sandbox.duell.state.customers.update(copy.deepcopy(customers))
        inst.company.customers.clear()
    try:
        yield inst
    finally:
        conns.close()
        rt.close()


def _content(record: dict[str, Any]) -> str:
    """A Visma customer by what it holds, not by the number Visma gave it."""
    contact = record.get("mainContact") or {}
    return json.dumps(
        [record.get("name"), record.get("corporateId"), contact.get("email"), contact.get("phone1")]
    )


def customer_outcome(inst: Installation) -> dict[str, Any]:
    """Per DUELL customer: the Visma customer it is linked to, or the conflict it waits in
    (with its candidates), by content; and Visma's customers, by content."""
    customers = inst.company.customers
    links = inst.rt.store.query(
        "SELECT duell_id, visma_id FROM entity_links WHERE department_id = '1' "
        "AND entity = 'customer'"
    )
    conflicts = inst.rt.store.query(
        "SELECT incoming_id, candidates FROM conflicts WHERE department_id = '1' "
        "AND entity = 'customer' AND state = 'open'"
    )
    per: dict[str, Any] = {
        r["duell_id"]: ("linked", _content(customers[r["visma_id"]])) for r in links
    }
    for c in conflicts:
        per.setdefault(
            c["incoming_id"],
            ("conflict", sorted(_content(customers[x["id"]]) for x in json.loads(c["candidates"]))),
        )
    shared = [v for v, n in Counter(r["visma_id"] for r in links).items() if n > 1]
    return {
        "per_duell_customer": per,
        "visma": Counter(_content(c) for c in customers.values()),
        "visma_records_shared": shared,
    }


async def two_syncs(inst: Installation, lose: LoseCustomerCreate | None = None) -> None:
    """The customer sync twice, as the runner would: the first under the fault, if any."""
    if lose is not None:
        inst.sandbox.app = lose
    with contextlib.suppress(DuviError):  # a failed step: the next round goes on
        await sync_master_data(inst.rt, "1", "customers", connections=inst.connections)
    if lose is not None:
        lose.on = False
    await sync_master_data(inst.rt, "1", "customers", connections=inst.connections)


@pytest.mark.parametrize(("nth", "how"), [(1, "answer-lost"), (2, "never-confirmed")])
async def test_a_lost_customer_create_ends_as_without_the_fault(
    tmp_path: Path, seeded_world: Any, nth: int, how: str
) -> None:
    async with installation_at(tmp_path / "clean", seeded_world, TWO_SHARING) as inst:
        await two_syncs(inst)
        expected = customer_outcome(inst)
    async with installation_at(tmp_path / "faulty", seeded_world, TWO_SHARING) as inst:
        sandbox: Sandbox = inst.sandbox
        lose = LoseCustomerCreate(sandbox.app, nth, how)
        await two_syncs(inst, lose)
        got = customer_outcome(inst)
    if how == "answer-lost":  # Visma made the first customer; duvi could not learn it
        assert lose.drop.injected == {"drop-after": 1} and lose.error.injected["500"] > 0
    assert expected["visma_records_shared"] == [] == got["visma_records_shared"]
    assert got == expected
    # Without a person, the second DUELL customer never lands on the first one's record.
    assert expected["per_duell_customer"]["2"][0] == "conflict"
    reliability.record_row(
        "Attacks: D7, a customer create whose answer was lost",
        "Two DUELL customers sharing a key, synced in-process twice: with the first create's "
        "answer lost (or never confirmed) and without the fault; both end alike, customer by "
        "customer (tests/test_attacks_runner.py). Duplicates: Visma customers shared by two "
        "DUELL customers; losses: DUELL customers whose outcome differs from the fault-free "
        "run. Before the fix: 998 Visma customers instead of 1,000, two DUELL customers on "
        "one record.",
        how,
        duell_customers=len(got["per_duell_customer"]),
        visma_customers=sum(got["visma"].values()),
        duplicates=len(got["visma_records_shared"]),
        losses=sum(
            1
            for k, v in expected["per_duell_customer"].items()
            if got["per_duell_customer"].get(k) != v
        ),
    )


# -- C3: one department's trouble never stops the others --------------------------------------


@pytest.fixture(scope="module")
def small_world() -> Any:
    from core.sandbox.world import generate

    return generate(7, products=40, customers=20)


async def test_a_broken_settings_row_of_one_department_does_not_stop_another(
    tmp_path: Path, small_world: Any
) -> None:
    async with installation_at(tmp_path / "home", small_world) as installation:
        await _broken_row_round(installation)


async def _broken_row_round(installation: Installation) -> None:
    from core.departments import Departments
    from core.ledger import Ledger, State
    from core.runner import Runner

    store = installation.rt.store
    depts = Departments(store, installation.rt.secrets)
    two = depts.get("2")
    assert two is not None
    depts.save_settings("2", two.settings.model_copy(update={"automatic_transfer": True}))
    with store.write():  # department 1's row damaged (the red team's repro: '{bad')
        store.conn.execute(
            "UPDATE department_settings SET settings = '{bad' WHERE department_id = '1'"
        )
    runner = Runner(installation.rt, connections=installation.connections)
    report = await runner.run_once()
    assert "the settings of department 1 cannot be read" in report.errors["1"]
    assert len(report.transferred["2"]) > 0  # department 2's transfers went on in this round
    assert "1" in runner.backoff  # the broken one backs off
    # Department 2's documents in Visma, per key: none twice, every confirmed one there.
    company = installation.company
    keys = Counter(
        [(b.get("description") or "").split(" ", 1)[0] for b in company.journals.values()]
        + [i.get("externalReference") for i in company.invoices.values()]
    )
    confirmed = [r.key for r in Ledger(store).rows("2") if r.state == State.CONFIRMED]
    assert confirmed and all(keys[k] == 1 for k in confirmed)
    reliability.record(
        f"{AVAILABILITY}, a damaged settings row of another department",
        "A round of `Runner.run_once` (tests/test_attacks_runner.py) with department 1's "
        "settings row damaged ('{bad', the red team's repro) and department 2 on automatic "
        "transfer; department 2's documents then counted in Visma by key. Before the fix: "
        "a pydantic traceback ended `duvi run` and `duvi sync` of every department.",
        department_2_transferred=len(report.transferred["2"]),
        duplicates=sum(n - 1 for k, n in keys.items() if k and k.startswith("DUELL-")),
        losses=sum(1 for k in confirmed if keys[k] == 0),
    )
    logged = store.query(
        "SELECT message, data FROM events WHERE entity = 'runner' AND department_id = '1'"
    )
    assert any("failed (1 in a row)" in r["message"] for r in logged)
    assert any("Traceback" in json.loads(r["data"])["traceback"] for r in logged)


AVAILABILITY = "Attacks: availability"


# -- C1/C2/C5: a bounded webhook receiver -----------------------------------------------------

TENANT = "5c7e1a2b-0d4f-4b8e-9a61-3f2d8c9e0a11"


@asynccontextmanager
async def served_receiver(tmp_path: Path) -> AsyncIterator[int]:
    """The webhook receiver under uvicorn with `duvi run`'s own bounds, on a free port."""
    import asyncio

    import uvicorn

    from core.daemon import receiver_config
    from core.store import Store
    from core.sync.webhooks import receiver_app

    store = Store(tmp_path / "duvi.db")
    server = uvicorn.Server(receiver_config(receiver_app(store, [TENANT]), "127.0.0.1", 0))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)  # waits on the server's own flag, not on a timer
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        await task
        store.close()


def _post_raw(port: int, head: bytes, body: Any) -> bytes:
    """Sends a request (the body from an iterable of byte strings) while reading the answer,
    as a client that keeps sending after the server answered; returns the answer's bytes."""
    import socket
    import threading

    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    answer = bytearray()

    def read() -> None:
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer.extend(chunk)
                if b"\r\n\r\n" in answer:
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        sock.sendall(head)
        for part in body:
            if not reader.is_alive():
                break  # answered: the rest would never be read
            sock.sendall(part)
    except OSError:
        pass  # the server closed the connection after answering
    reader.join(timeout=30)
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    return bytes(answer)


def _vm(name: str) -> int:
    """A line of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise AssertionError(name)


async def test_a_5_mib_chunked_body_is_refused_without_being_read(tmp_path: Path) -> None:
    import asyncio

    mib = 1 << 20
    chunk = b" " * 65536
    frames = itertools.chain(
        (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5 * mib // len(chunk))),
        [b"0\r\n\r\n"],
    )
    head = (
        b"POST /webhooks/visma HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    async with served_receiver(tmp_path) as port:
        Path("/proc/self/clear_refs").write_text("5")  # the peak RSS starts from here
        before = _vm("VmRSS")
        answer = await asyncio.to_thread(_post_raw, port, head, frames)
        grew = _vm("VmHWM") - before
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert grew < 3 * 1024, f"the process's peak RSS grew by {grew} KiB"
    reliability.record(
        f"{AVAILABILITY}, a 5 MiB chunked body to the webhook receiver",
        "The receiver served by uvicorn with `duvi run`'s bounds, sent a 5 MiB chunked body "
        "without Content-Length (tests/test_attacks_runner.py): answered 413 without reading "
        "it. Before the fix: a 1 GiB body took the runner from 217 MB to 2,183 MB RSS. No "
        "document is involved.",
        answer_status=413,
        peak_rss_growth_kib=grew,
    )


async def test_deeply_nested_json_is_a_400_not_a_traceback(tmp_path: Path) -> None:
    import httpx

    async with served_receiver(tmp_path) as port, httpx.AsyncClient() as c:
        url = f"http://127.0.0.1:{port}/webhooks/visma"
        # 10,000 levels open (10 KB: within the size limit); and the red team's 5,000 closed.
        for body in (
            b"[" * 10_000,
            b"[" * 5000 + b"]" * 5000,
            b'{"a":' * 2500 + b"1" + b"}" * 2500,
        ):
            r = await c.post(url, content=body)
            assert r.status_code == 400, (body[:10], r.status_code)
        # The receiver still takes a real notification afterwards.
        note = {"contextId": "c-1", "TenantId": TENANT, "resourceUri": "/v1/customer/1"}
        assert (await c.post(url, json=note)).status_code == 202


def test_a_flood_is_logged_once_per_minute() -> None:
    import logging

    from core.daemon import OncePerMinute

    now = [0.0]
    flt = OncePerMinute(clock=lambda: now[0])

    def record() -> logging.LogRecord:
        return logging.LogRecord(
            "uvicorn.error", logging.WARNING, "", 0, "Exceeded concurrency limit.", (), None
        )

    passed = [flt.filter(record()) for _ in range(1000)]
    assert passed.count(True) == 1
    reliability.record(
        f"{AVAILABILITY}, a flood of connections logged once",
        "1,000 uvicorn concurrency-limit warnings through `duvi run`'s flood filter "
        "(tests/test_attacks_runner.py). Before the fix: 360 MB of tracebacks in 75 s under a "
        "200-descriptor limit. No document is involved.",
        warnings=1000,
        lines_logged=passed.count(True),
    )
    now[0] = 61.0
    late = record()
    assert flt.filter(late) and "999 more like it" in late.getMessage()


# -- C6: retention ------------------------------------------------------------------------------


async def test_retention_prunes_old_events_and_http_calls_but_never_ledger_or_audit(
    tmp_path: Path,
) -> None:
    from core.audit import record
    from core.doctor import growth_check
    from core.eventlog import days_ago
    from core.httplog import HttpCall, HttpLog
    from core.ledger import Ledger
    from core.runner import Runner

    rt = Runtime.open(load_settings(home=tmp_path / "home"))
    store = rt.store
    http_log = HttpLog(store)
    try:
        for i in range(1200):  # more than one batch of old rows
            rt.log.info(f"old event {i}")
            http_log.record(HttpCall("visma", "GET", "/v1/x", 200, 1.0, 0, 10, response="x" * 500))
        with rt.log.run("1", "all"):
            rt.log.info("old event of a run")
        rt.log.flush()
        http_log.flush()
        Ledger(store).register("DUELL-Z-1-1", "1", "zreport", "1", {"z": 1})
        record(store, "transfer.release", department_id="1", target="DUELL-Z-1-1")
        with store.write():  # all of it from long ago
            store.conn.execute("UPDATE events SET ts = ?", [days_ago(100)])
            store.conn.execute("UPDATE http_calls SET ts = ?", [days_ago(20)])
            store.conn.execute(
                "UPDATE ledger SET created_at = ?, updated_at = ?", [days_ago(400)] * 2
            )
            store.conn.execute("UPDATE audit SET ts = ?", [days_ago(400)])
            store.conn.execute("UPDATE sync_runs SET started_at = ?", [days_ago(100)])
        rt.log.info("a recent event")
        http_log.record(HttpCall("visma", "GET", "/v1/y", 200, 1.0, 0, 10))
        rt.log.flush()
        http_log.flush()

        def count(table: str) -> int:
            return store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]

        await Runner(rt, connections=None).run_once()  # type: ignore[arg-type]  # no departments
        failed = store.query("SELECT message FROM events WHERE message LIKE 'pruning%failed%'")
        assert not failed, failed
        kept = (rt.settings.retention_event_days, rt.settings.retention_http_days)
        assert kept[0] < 100 and kept[1] < 20, f"the settings keep what the test made old: {kept}"
        # The round's own events are recent; every old event and HTTP call is gone.
        assert (
            store.query("SELECT count(*) AS n FROM events WHERE message LIKE 'old event%'")[0]["n"]
            == 0
        )
        assert (
            store.query("SELECT count(*) AS n FROM events WHERE message = 'a recent event'")[0]["n"]
            == 1
        )
        assert count("http_calls") == 1
        assert count("sync_runs") == 0  # a run goes with its events
        assert count("ledger") == 1 and count("audit") == 1  # kept for ever
        reliability.record(
            f"{AVAILABILITY}, retention",
            "1,200 events 100 days old and 1,200 HTTP calls 20 days old, a ledger row and an "
            "audit entry 400 days old, then one runner round (tests/test_attacks_runner.py). "
            "Before the fix: nothing was pruned, ~214 MB a day per department.",
            old_rows_pruned=2400,
            ledger_and_audit_rows_kept=count("ledger") + count("audit"),
        )
        assert (
            store.query("SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH 'old'")[0]["n"]
            == 0
        )
        check = growth_check(rt)
        assert check.id == "db.growth" and "events" in check.found and "MB a day" in check.found
    finally:
        http_log.close()
        rt.close()
