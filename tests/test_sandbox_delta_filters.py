"""The sandbox's delta filters, at least as strict as Visma's documentation.

Where a list declares `lastModifiedDateTime` and `lastModifiedDateTimeCondition` (Visma's
OpenAPI: "mutually inclusive"), one without the other is refused with a 400 in Visma's error
shape, and each condition (>, >=, <, <=) is honoured. /v2/journaltransaction declares
`lastModifiedDateTime` alone ("modified since that time, up to the present"; no Condition in
the spec, findings T9): the sandbox honours it as >= and refuses a Condition as a filter the
list does not have (core/transfers/gl_batches.py sends the time alone)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from core.visma.client import VismaClient
from core.visma.models import CustomerWrite
from tests.sandbox_fixtures import VismaWorld

STAMP = "2026-11-20T10:00:00.000"
# Every list of the sandbox that filters on the pair (the spec declares both on each).
PAIRED = (
    "/v1/customer",
    "/v1/inventory",
    "/v1/customerinvoice",
    "/v1/customerCreditNote",
    "/v1/inventoryissue",
    "/v1/vat",
    "/v1/vatCategory",
    "/v1/account",
)


@pytest.fixture
async def raw(world: VismaWorld) -> Any:
    """A client on the sandbox itself (the spec oracle refuses what the spec lacks before
    the sandbox could)."""
    client = world.client(oracle=False)
    yield client
    await client.aclose()


async def get(client: VismaClient, path: str, params: dict[str, str]) -> httpx.Response:
    return await client.http.request("GET", path, params=params, context=client.context)


def refused(resp: httpx.Response) -> str:
    """What a 400 in Visma's shape says ({"message": "VismaId: <uuid>. <text>"})."""
    assert resp.status_code == 400
    said = re.fullmatch(r"VismaId: [0-9a-f-]{36}\. (.*)", resp.json()["message"])
    assert said is not None, resp.text
    return said.group(1)


@pytest.mark.parametrize("path", PAIRED)
async def test_a_paired_list_refuses_one_half_of_the_pair(raw: VismaClient, path: str) -> None:
    alone = await get(raw, path, {"lastModifiedDateTime": STAMP})
    assert refused(alone) == (
        "lastModifiedDateTime and lastModifiedDateTimeCondition must be given together."
    )
    condition = await get(raw, path, {"lastModifiedDateTimeCondition": ">="})
    assert refused(condition) == (
        "lastModifiedDateTime and lastModifiedDateTimeCondition must be given together."
    )
    wrong = await get(
        raw, path, {"lastModifiedDateTime": STAMP, "lastModifiedDateTimeCondition": "="}
    )
    assert refused(wrong) == ("lastModifiedDateTimeCondition must be one of >, >=, <, <=.")
    both = await get(
        raw, path, {"lastModifiedDateTime": STAMP, "lastModifiedDateTimeCondition": ">="}
    )
    assert both.status_code == 200


async def test_each_condition_is_honoured(raw: VismaClient) -> None:
    a = await raw.create_customer(CustomerWrite(name="A"))
    b = await raw.create_customer(CustomerWrite(name="B"))
    c = await raw.create_customer(CustomerWrite(name="C"))
    at = (await raw.get_customer(b)).last_modified_date_time
    assert at is not None

    async def listed(condition: str) -> list[str | None]:
        return [x.number async for x in raw.list_customers(modified_since=at, condition=condition)]

    assert await listed(">") == [c]
    assert await listed(">=") == [b, c]
    assert await listed("<") == [a]
    assert await listed("<=") == [a, b]


async def test_the_journal_list_takes_the_time_alone_and_refuses_a_condition(
    raw: VismaClient, world: VismaWorld
) -> None:
    from core.visma.models import JournalLineWrite, JournalWrite

    def batch(text: str) -> JournalWrite:
        return JournalWrite(
            transaction_date="2026-11-20",
            description=text,
            journal_transaction_lines=[
                JournalLineWrite(account_number="1920", debit_amount_in_currency=10),
                JournalLineWrite(account_number="3000", credit_amount_in_currency=10),
            ],
        )

    first = await raw.create_journal(batch("first"))
    second = await raw.create_journal(batch("second"))
    at = (await raw.get_journal(second)).last_modified_date_time
    assert at is not None
    since = [j.batch_number async for j in raw.list_journals(period="202611", modified_since=at)]
    assert since == [second]  # >=: the batch stamped at that time, not the one before
    assert first != second
    answer = await get(
        raw,
        "/v2/journaltransaction",
        {"periodId": "202611", "lastModifiedDateTime": at, "lastModifiedDateTimeCondition": ">="},
    )
    assert refused(answer) == ("Unknown filter(s) for this list: lastModifiedDateTimeCondition.")
