"""The runner round's shared GL listings (core/transfers/gl_batches.py), against the sandbox.

Departments 1 and 2 of Garnbua AS on one integration client (department 1's), both on
automatic transfer, one at a time (runner_concurrency 1: department 1's turn, then 2's).
Each posts its Z-reports of October and November 2026, so each looks up periods 202610 and
202611. Department 1 lists both periods whole; department 2 asks only for what changed since.
Garnbua AS holds a bank fee batch in each month beforehand (a person's): a listing without a
batch has no Visma time to read a change from, and is not kept (gl_batches.py).

Batches made between the two look-ups (after department 1's listing of 202611 is answered,
as another program would, straight into the sandbox's company: build_journal and its stamp,
as POST /v2/journaltransaction makes them) must be found by department 2's look-up: the
double-posting guard's two questions, "does Visma hold this key?" and "does Visma hold
another integration's batch of this day?"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from core.accounting import line_reference, zreport_key
from core.boot import set_up
from core.ledger import Ledger, State
from core.runner import Runner
from core.sandbox.visma_state import build_journal
from core.sandbox.world import COMPANY_TENANT, sandbox_credentials
from tests.sandbox_fixtures import Installation

pytestmark = pytest.mark.slow

# Department 2's last Z-report of register 201 (its first register: its keys keep the old
# form), of 2026-11-12 (the seeded world of seed 7; read below, checked here).
KEY_2, DAY_2 = "DUELL-Z-2-15", "2026-11-12"


def company(inst: Installation) -> Any:
    return inst.sandbox.visma.companies[COMPANY_TENANT]


def visma_post(inst: Installation, day: str, description: str, lines: list[dict]) -> str:
    """A batch as POST /v2/journaltransaction makes it: the next number, stamped."""
    co = company(inst)
    number = f"{len(co.journals) + 1:06d}"
    fields = {"transactionDate": day, "description": description, "journalTransactionLines": lines}
    record = build_journal(co, fields, number)
    co.journals[number] = record
    co.touch("journal", number, record)
    return number


def bearer(dept: str) -> list[dict[str, Any]]:
    return [
        {"segmentId": 1, "segmentValue": dept.zfill(2)},
        {"segmentId": 2, "segmentValue": "000"},
    ]


def pair(debit: str, credit: str, amount: str, dept: str, ref: str | None = None) -> list[dict]:
    line = {"subaccount": bearer(dept), **({"referenceNumber": ref} if ref else {})}
    return [
        {"accountNumber": debit, "debitAmountInCurrency": amount, **line},
        {"accountNumber": credit, "creditAmountInCurrency": amount, **line},
    ]


@pytest.fixture
def two(installation: Installation) -> Installation:
    inst = installation
    depts = inst.connections.departments
    creds = sandbox_credentials(7)
    set_up(depts, creds[1], automatic_transfer=True)
    one = creds[0]  # department 2 on department 1's integration client: one company, one client
    depts.set_credentials("2", one.visma_client_id, SecretStr(one.visma_client_secret))
    inst.rt.settings.runner_concurrency = 1
    # Visma's clock (Oslo's wall time in the sandbox) four hours behind ours from here on
    # (the sandbox's stamps rise strictly: its last one is forgotten). The time of a delta is
    # read from Visma's own stamps, so the skew changes nothing; our clock less the margin
    # would miss every batch made in the round.
    inst.sandbox.clock.offset = -timedelta(hours=4)
    inst.sandbox.clock._last = None
    for day in ("2026-10-15", "2026-11-15"):
        visma_post(inst, day, "Bankgebyr", pair("7770", "1920", "49.00", "0"))
    zs = inst.sandbox.duell.state.zreports["2"]
    first = min(zs, key=lambda z: (z["business_date"], z["z_number"]))["register_id"]
    last = max((z for z in zs if z["register_id"] == first), key=lambda z: z["business_date"])
    assert (zreport_key("2", last["z_number"]), last["business_date"]) == (KEY_2, DAY_2)
    return inst


def after_listing(inst: Installation, period: str, act: Callable[[], object]) -> list[object]:
    """`act` once, as soon as the sandbox has answered the first whole listing of `period`
    (GET /v2/journaltransaction with its periodId and no lastModifiedDateTime)."""
    inner, done = inst.sandbox.app, []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await inner(scope, receive, send)
        if done or scope["type"] != "http" or scope["method"] != "GET":
            return
        q = parse_qs(scope.get("query_string", b"").decode())
        whole = q.get("periodId") == [period] and "lastModifiedDateTime" not in q
        if scope["path"].endswith("/v2/journaltransaction") and whole:
            done.append(act())

    inst.sandbox.app = app
    return done


def gl_listings(inst: Installation) -> list[tuple[str, str, str, str]]:
    """Each GL listing request of the round: department, periodId, module, and whether it
    asked for what changed since ("delta") or for the whole period ("whole")."""
    inst.connections.http_log.flush()
    out = []
    for r in inst.rt.store.query(
        "SELECT department_id, path FROM http_calls WHERE method = 'GET' "
        "AND path LIKE '%/v2/journaltransaction?%' ORDER BY id"
    ):
        q = parse_qs(urlsplit(r["path"]).query)
        kind = "delta" if "lastModifiedDateTime" in q else "whole"
        assert "lastModifiedDateTimeCondition" not in q  # the journal list declares none
        out.append((r["department_id"], q["periodId"][0], q["module"][0], kind))
    return out


def posted(inst: Installation, key: str) -> list[str]:
    return [
        n
        for n, j in company(inst).journals.items()
        if (j.get("description") or "").split(" ", 1)[0] == key
    ]


async def test_a_companys_second_department_reads_only_what_changed_and_finds_a_new_batch(
    two: Installation,
) -> None:
    inst = two
    # Department 2's Z-report of 2026-11-12 is in Visma before department 2 looks (a POST
    # answered 52x after Visma acted, say, or a database lost): made after department 1's
    # listing of 202611, which the round keeps.
    made = after_listing(
        inst,
        "202611",
        lambda: visma_post(
            inst,
            DAY_2,
            f"{KEY_2} Dagsoppgjør {DAY_2}",
            pair("1920", "3000", "100.00", "2", line_reference(KEY_2)),
        ),
    )
    report = await Runner(inst.rt, connections=inst.connections).run_once()
    assert sorted(report.transferred) == ["1", "2"] and report.errors == {}
    assert made == ["000003"]  # after the two bank fees

    row = Ledger(inst.rt.store).get(KEY_2)
    assert row is not None and row.state == State.CONFIRMED and row.visma_number == "000003"
    assert posted(inst, KEY_2) == ["000003"]  # found, not posted twice
    assert all(r.state == State.CONFIRMED for r in Ledger(inst.rt.store).rows("2", kind="zreport"))
    assert len(Ledger(inst.rt.store).rows("2", kind="zreport")) == 30
    # Department 1 listed each period whole (one page each); department 2 asked only for
    # what changed since, once per period, and found the batch made in between.
    assert gl_listings(inst) == [
        ("1", "202610", "GL", "whole"),
        ("1", "202611", "GL", "whole"),
        ("2", "202610", "GL", "delta"),
        ("2", "202611", "GL", "delta"),
    ]


async def test_another_integrations_batch_made_after_the_listing_holds_the_day(
    two: Installation,
) -> None:
    inst = two
    accounts = inst.connections.departments.account_map("2")
    revenue = accounts["revenue:25"]
    # DUELL's own Visma module books department 2's 2026-11-12 (on its cost bearer 02, on its
    # revenue account) after department 1's listing of 202611 was kept.
    made = after_listing(
        inst,
        "202611",
        lambda: visma_post(inst, DAY_2, "Z-rapport 12.11", pair("1920", revenue, "500.00", "2")),
    )
    report = await Runner(inst.rt, connections=inst.connections).run_once()
    assert sorted(report.transferred) == ["1", "2"]
    assert made == ["000003"]

    held = Ledger(inst.rt.store).get(KEY_2)
    assert held is not None and held.state == State.ATTENTION
    assert (held.last_error or "").startswith(
        "Visma already holds batch 000003 (Z-rapport 12.11) of 2026-11-12"
    )
    assert posted(inst, KEY_2) == []  # the day is not booked twice
    states = [r.state for r in Ledger(inst.rt.store).rows("2", kind="zreport")]
    assert states.count(State.CONFIRMED) == 29 and states.count(State.ATTENTION) == 1
    assert [k for d, _p, _m, k in gl_listings(inst) if d == "2"] == ["delta", "delta"]


async def test_a_round_never_keeps_the_last_rounds_listing(two: Installation) -> None:
    inst = two
    runner = Runner(inst.rt, connections=inst.connections)
    await runner.run_once()
    first = len(gl_listings(inst))
    assert first == 4
    # A new Z-report for department 1 (the next day, register 101's next number), so that
    # the next round looks 202611 up again.
    state = inst.sandbox.duell.state
    last = max(state.zreports["1"], key=lambda z: (z["business_date"], z["z_number"]))
    state.zreports["1"] = [
        *state.zreports["1"],
        {**last, "z_number": last["z_number"] + 1, "business_date": "2026-11-28"},
    ]
    report = await runner.run_once()
    assert report.errors == {}
    # The second round lists 202611 whole again: it has not the first round's listing.
    assert gl_listings(inst)[first:] == [("1", "202611", "GL", "whole")]
    new = zreport_key("1", last["z_number"] + 1)
    assert len(posted(inst, new)) == 1
