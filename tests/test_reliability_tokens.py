"""Tokens that die in the middle of a run (Visma Connect's and DUELL's, revoked every few
hundred requests, as an expiry or a revocation would): the run gets a new token and carries
on; nothing is sent twice, nothing is left behind."""

from __future__ import annotations

from collections import Counter

import pytest

from core.ledger import Ledger, State
from core.service import run_department
from tests.helpers import reliability
from tests.sandbox_fixtures import Installation

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


async def test_tokens_revoked_mid_run_are_renewed_and_nothing_is_sent_twice(
    installation: Installation,
) -> None:
    installation.sandbox.revoke_every = 150
    result = await run_department(installation.rt, "1", connections=installation.connections)
    assert not result.failures
    revoked = installation.sandbox.revoked
    assert revoked >= 10  # it really happened, many times, in every part of the run

    store = installation.rt.store
    rows = Ledger(store).rows("1")
    assert rows and {r.state for r in rows} == {State.CONFIRMED}
    journals = Counter(j["description"] for j in installation.company.journals.values())
    invoices = Counter(i["externalReference"] for i in installation.company.invoices.values())
    assert max(journals.values()) == 1 and max(invoices.values()) == 1
    assert sum(journals.values()) + sum(invoices.values()) == len(rows)
    refused = store.query("SELECT count(*) AS n FROM http_calls WHERE status = 401")[0]["n"]
    logins = store.query(
        "SELECT count(*) AS n FROM http_calls WHERE path LIKE '%/connect/token%' "
        "OR path LIKE '%/getaccesstokens%'"
    )[0]["n"]
    assert refused >= revoked // 2 and logins > revoked // 2  # each refusal: one new token

    reliability.record(
        "Tokens revoked in the middle of a run",
        "Department 1's full run with every Visma and DUELL token revoked every 150 requests "
        "(tests/test_reliability_tokens.py).",
        revocations=revoked,
        requests_refused_401=refused,
        tokens_fetched=logins,
        transfers_confirmed=len(rows),
        duplicates=sum(n - 1 for n in (journals + invoices).values()),
        losses=len(rows) - sum(1 for r in rows if r.state == State.CONFIRMED),
    )
