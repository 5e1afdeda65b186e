"""Visma is the idempotency store (issue 20, findings D5 and D6 of
docs/findings/2026-12-red.md): whatever the ledger says or has forgotten, a document Visma
holds is confirmed with Visma's number and never sent again.

- D5: a gateway answers 520/522/524 to a POST Visma carried out; `duvi sync --retry-failed`
  must not post it again (the red team's repro, with proxy520.py's rewrite done by the
  sandbox's gateway fault: 33 batches for 30 Z-reports before the fix).
- D6: a new, empty database against a Visma that already holds the month's batches,
  invoices and stock issues posts nothing and confirms them all with Visma's numbers.
- The cost: the look-ups are listings read once per run, pages rather than a request per
  document.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.boot import connections, ensure_sandbox_setup
from core.config import load_settings
from core.departments import Departments
from core.ledger import Ledger, State
from core.runtime import Runtime
from core.sandbox.world import COMPANY_TENANT, sandbox_credentials
from core.service import sync_master_data, transfer
from core.transfers import ZREPORT, Outcome
from core.visma.auth import VismaCredentials
from core.visma.client import open_visma
from tests.helpers import reliability
from tests.sandbox_fixtures import FAST_RETRY, SECRET, Installation
from tests.served import served_env, served_sandbox, store_duell_secrets

SMALL = ("--products", "300", "--customers", "300")
PAGE_SIZE = 1000  # the Visma client's page size (core.visma.client.open_visma)


def duvi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], env=env, capture_output=True, text=True
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


async def batches_per_key(base: str, period_of: set[str]) -> Counter[str]:
    """Department 1's batches in the served Visma, per Z-report key (as count.py reads them)."""
    creds = sandbox_credentials(0)[0]
    visma = open_visma(
        VismaCredentials(
            creds.visma_client_id, SecretStr(creds.visma_client_secret), COMPANY_TENANT
        ),
        visma_url=f"{base}/visma",
        connect_url=f"{base}/connect",
        settings=load_settings(),
        retry=FAST_RETRY,
    )
    found: Counter[str] = Counter()
    try:
        for period in sorted(period_of):
            async for b in visma.list_journals(period=period):
                key = (b.description or "").split()[0]
                if key.startswith("DUELL-Z-1-"):
                    found[key] += 1
    finally:
        await visma.aclose()
    return found


async def test_d5_a_gateway_5xx_after_visma_acted_is_looked_up_never_resent(home: Path) -> None:
    """POSTs answered 520/522/524 after Visma made the batch, then `--retry-failed` until
    nothing is left: exactly one batch per Z-report."""
    gateway = ("--gateway-rate", "0.1", "--fault-paths", "/visma/v2/journaltransaction")
    with served_sandbox(*SMALL, *gateway) as base:
        env = served_env(base, DUVI_RETRY_BASE_DELAY="0.01")
        with Runtime.open(load_settings(sandbox=False)) as rt:
            ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(0))
            store_duell_secrets(rt)
        first = duvi(env, "sync", "-d", "1", "-e", "zreports")
        for _ in range(6):
            with Runtime.open(load_settings(sandbox=False)) as rt:
                rows = Ledger(rt.store).rows("1", kind=ZREPORT)
                gateway_posts = rt.store.query(
                    "SELECT count(*) AS n FROM http_calls WHERE method = 'POST' AND status >= 520"
                )[0]["n"]
            if {r.state for r in rows} == {State.CONFIRMED}:
                break
            duvi(env, "sync", "-d", "1", "-e", "zreports", "--retry-failed")
        assert first.returncode in (0, 1), first.stderr
        assert gateway_posts > 0, "no POST was answered by the gateway: nothing was tested"
        assert {r.state for r in rows} == {State.CONFIRMED}
        periods = {r.payload["business_date"][:7].replace("-", "") for r in rows}
        in_visma = await batches_per_key(base, periods)
    assert len(rows) == 30
    assert {k: n for k, n in in_visma.items() if n > 1} == {}  # none twice
    assert set(in_visma) == {r.key for r in rows}  # none lost
    reliability.record(
        "Attacks: D5, a gateway's 52x after Visma acted, then --retry-failed",
        "`duvi sandbox serve --gateway-rate 0.1 --fault-paths /visma/v2/journaltransaction` "
        "(a 520/522/524 in place of Visma's answer after it made the batch, as proxy520.py "
        "did), a `duvi sync` and then `duvi sync --retry-failed` processes until every row is "
        "confirmed (tests/test_attacks_idem.py). Before the fix: 33 batches for 30 Z-reports.",
        gateway_answers_to_posts=gateway_posts,
        z_reports=len(rows),
        batches=sum(in_visma.values()),
        duplicates=sum(n - 1 for n in in_visma.values()),
        losses=len({r.key for r in rows} - set(in_visma)),
    )


def visma_calls(rt: Runtime) -> list[tuple[str, str]]:
    """(method, path without the query) of every Visma call in the HTTP log."""
    rows = rt.store.query("SELECT method, path FROM http_calls WHERE system = 'visma'")
    return [(r["method"], r["path"].split("?")[0]) for r in rows]


def journal_lines_per_period(inst: Installation) -> dict[str, int]:
    lines: Counter[str] = Counter()
    for b in inst.company.journals.values():
        lines[b["financialPeriod"]] += len(b["journalTransactionLines"])
    return dict(lines)


def stock_on(rt: Runtime) -> None:
    depts = Departments(rt.store, rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings("1", dept.settings.model_copy(update={"stock_update": True}))


def confirmed(outcomes: list[Outcome]) -> dict[str, str | None]:
    return {o.key: o.visma_number for o in outcomes if o.state == State.CONFIRMED}


async def test_d6_a_new_database_posts_nothing_visma_already_holds(
    installation: Installation, tmp_path: Path
) -> None:
    """A month sent (batches, draft invoices, released stock issues), then a run on another,
    empty DUVI_HOME against the same Visma and DUELL: nothing is posted; every document is
    confirmed with the number Visma gave it the first time."""
    inst = installation
    stock_on(inst.rt)
    await sync_master_data(inst.rt, "1", "products", connections=inst.connections)
    sent = await transfer(inst.rt, "1", connections=inst.connections)
    before = confirmed(sent)
    assert {k.split("-")[1] for k in before} == {"Z", "INV", "STOCK"}
    company = inst.company
    held = (len(company.journals), len(company.invoices), len(company.issues))
    writes = inst.sandbox.visma.writes

    with Runtime.open(load_settings(home=tmp_path / "new")) as rt:
        ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(7))
        stock_on(rt)
        conns = connections(rt, sandbox=inst.sandbox)
        again = await transfer(rt, "1", connections=conns)
        conns.http_log.flush()
        calls = Counter(visma_calls(rt))
        conns.close()

    assert inst.sandbox.visma.writes == writes  # not one POST
    assert (len(company.journals), len(company.invoices), len(company.issues)) == held
    assert confirmed(again) == before  # each with Visma's number from the first time
    assert all(o.looked_up for o in again if o.state == State.CONFIRMED)
    # What the first run held for a person (customers with several candidates) waits again.
    assert {o.key for o in again} - set(before) == {o.key for o in sent} - set(before)
    # A listing per period of journals; one each of invoices and stock issues (dated from
    # the earliest month): pages, however many documents.
    periods = journal_lines_per_period(inst)
    assert calls[("GET", "/visma/v2/journaltransaction")] <= sum(
        math.ceil(n / PAGE_SIZE) for n in periods.values()
    )
    assert calls[("GET", "/visma/v1/customerinvoice")] == 1
    assert calls[("GET", "/visma/v1/inventoryissue")] == 1
    reliability.record(
        "Attacks: D6, a new database against a Visma that holds the month",
        "A month sent in-process (batches, draft invoices, released stock issues), then a "
        "run on another, empty DUVI_HOME against the same Visma and DUELL "
        "(tests/test_attacks_idem.py): every document found by its key and confirmed with "
        "Visma's number from the first time. Before the fix: every Z-report and invoice "
        "posted again.",
        documents=len(before),
        posts_by_the_new_database=inst.sandbox.visma.writes - writes,
        journal_listings=calls[("GET", "/visma/v2/journaltransaction")],
        duplicates=0,
        losses=len(set(before) - set(confirmed(again))),
    )
    print(f"D6: new database, {len(before)} documents confirmed with {dict(calls)}")


async def test_the_lookups_cost_pages_not_a_request_per_document(
    installation: Installation, tmp_path: Path
) -> None:
    """A month of 30 Z-reports on a fresh database: one journal listing per period, before
    the first POST; then a second, empty database against the Visma that now holds them:
    pages again (the bound comes from the page size), 0 POSTs."""
    inst = installation
    outcomes = await transfer(inst.rt, "1", kinds=(ZREPORT,), connections=inst.connections)
    assert len(outcomes) == 30 and {o.state for o in outcomes} == {State.CONFIRMED}
    inst.connections.http_log.flush()
    calls = Counter(visma_calls(inst.rt))
    periods = journal_lines_per_period(inst)
    lookups_fresh = calls[("GET", "/visma/v2/journaltransaction")]
    assert calls[("POST", "/visma/v2/journaltransaction")] == 30
    assert lookups_fresh == len(periods)  # an empty Visma: one (empty) page per period

    with Runtime.open(load_settings(home=tmp_path / "new")) as rt:
        ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(7))
        conns = connections(rt, sandbox=inst.sandbox)
        again = await transfer(rt, "1", kinds=(ZREPORT,), connections=conns)
        conns.http_log.flush()
        calls = Counter(visma_calls(rt))
        conns.close()
    assert {o.state for o in again} == {State.CONFIRMED} and len(again) == 30
    lookups_full = calls[("GET", "/visma/v2/journaltransaction")]
    assert calls[("POST", "/visma/v2/journaltransaction")] == 0
    bound = sum(math.ceil(n / PAGE_SIZE) for n in periods.values())
    assert lookups_full <= bound < 30
    print(
        f"cost: 30 Z-reports over {len(periods)} period(s), {sum(periods.values())} lines: "
        f"{lookups_fresh} journal listing(s) on a fresh database and empty Visma, "
        f"{lookups_full} against a Visma holding them (bound {bound} at {PAGE_SIZE} a page)"
    )


def test_the_sandbox_lists_filter_only_on_what_the_api_documents() -> None:
    """Each filter the sandbox's document lists take is one the spec documents for them; a
    parameter it does not take is refused, never silently ignored."""
    from core.sandbox.spec import find_operation
    from core.sandbox.visma_api import INVOICE_FILTERS, ISSUE_FILTERS, JOURNAL_FILTERS
    from tests.visma_oracle import _param_names

    for path, names in (
        ("/v2/journaltransaction", JOURNAL_FILTERS),
        ("/v1/customerinvoice", INVOICE_FILTERS),
        ("/v1/inventoryissue", ISSUE_FILTERS),
    ):
        found = find_operation("GET", path)
        assert found is not None
        assert set(names) <= _param_names(found[1]), path


async def test_an_undocumented_filter_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    """inventoryissue has no externalReference filter: Visma would (inferred) list every
    issue. The sandbox refuses it, so a client relying on it cannot pass the tests."""
    from core.visma.errors import VismaError

    creds = VismaCredentials(world.company.client_id, SecretStr(SECRET), world.company.tenant_id)
    client = open_visma(
        creds,
        visma_url=world.sandbox.visma_url,
        connect_url=world.sandbox.connect_url,
        settings=load_settings(),
        transport=world.sandbox.transport(),  # not the oracle: the sandbox itself answers
        retry=FAST_RETRY,
    )
    try:
        with pytest.raises(VismaError, match="Unknown filter"):
            [i async for i in client.list_issues(externalReference="DUELL-STOCK-1-2026-11-01")]
        assert [i async for i in client.list_issues()] == []
    finally:
        await client.aclose()


async def test_a_gateway_answer_after_visma_acted_is_outcome_unknown(world) -> None:  # type: ignore[no-untyped-def]
    """The sandbox's gateway fault: Visma makes the customer, the answer is a 52x."""
    from core.http import OutcomeUnknownError
    from core.visma.models import CustomerWrite

    client = world.client()
    try:
        await client.tokens.token()
        world.sandbox.faults.gateway_rate = 1.0
        with pytest.raises(OutcomeUnknownError, match=r"answered 52[024]"):
            await client.create_customer(CustomerWrite(name="Kanskje AS"))
    finally:
        await client.aclose()
    assert [
        c["name"] for c in world.sandbox.visma.companies[world.company.tenant_id].customers.values()
    ] == ["Kanskje AS"]
    assert sum(world.sandbox.faults.injected.values()) == 1


@pytest.mark.parametrize("status", [408, 499, 500, 501, 507, 520, 522, 524, 599])
async def test_every_5xx_408_and_499_on_a_post_is_outcome_unknown(status: int) -> None:
    """Such an answer does not say whether the POST was carried out: it is never resent
    (a look-up decides); the same answer to a GET is retried."""
    import httpx

    from core.http import HttpService, OutcomeUnknownError, ServiceConfig, TransientError

    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:  # a remote service, not duvi's code
        seen.append(request.method)
        return httpx.Response(status, text="<html>gateway</html>")

    service = HttpService(
        ServiceConfig("visma", "https://visma.test", retry=FAST_RETRY),
        transport=httpx.MockTransport(server),
    )
    try:
        with pytest.raises(OutcomeUnknownError):
            await service.request("POST", "/v2/journaltransaction", content=b"{}")
        assert seen == ["POST"]
        with pytest.raises(TransientError):
            await service.request("GET", "/v2/journaltransaction")
        assert seen.count("GET") == FAST_RETRY.max_attempts
    finally:
        await service.aclose()
