"""The round's listing merges what changed as a full listing would read it
(core/transfers/gl_batches.py: Listing.merge)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from core.sandbox.common import unwrap
from core.sandbox.visma_state import build_journal
from core.transfers.gl_batches import Listing, RoundListings
from core.transfers.posting import Found
from core.visma import wire
from core.visma.client import VismaClient
from core.visma.models import JournalTransaction
from tests.sandbox_fixtures import VismaWorld
from tests.test_visma_client import balanced_journal


class Recording(httpx.AsyncBaseTransport):
    """The requests sent through `inner`, in order."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def batch(number: str, description: str, ref: str | None = None) -> JournalTransaction:
    return JournalTransaction.model_validate(
        {
            "batchNumber": number,
            "description": description,
            "transactionDate": "2026-11-12T00:00:00",
            "lastModifiedDateTime": "2026-11-12T21:00:00.000",
            "journalTransactionLines": [
                {"lineNumber": 1, "accountNumber": "3000", "referenceNumber": ref}
            ],
        }
    )


def test_a_new_batch_adds_its_keys_and_an_edited_one_loses_its_old_ones() -> None:
    held = Listing("2026-11-12T20:55:00.000")
    held.merge({"000001": batch("000001", "DUELL-Z-1-1 Dagsoppgjør", "DUELL-Z-1-1")})
    assert held.keys == {"DUELL-Z-1-1": Found("000001"), "line:DUELL-Z-1-1": Found("000001")}
    assert held.others == {}
    held.merge({"000002": batch("000002", "Bilag 7")})
    assert held.keys["Bilag"] == Found("000002") and list(held.others) == ["000002"]
    # A person edits batch 000001: its description and line no longer carry Z 1's key.
    held.merge({"000001": batch("000001", "Korrigert", None)})
    assert "DUELL-Z-1-1" not in held.keys and "line:DUELL-Z-1-1" not in held.keys
    assert held.keys == {"Korrigert": Found("000001"), "Bilag": Found("000002")}
    assert list(held.others) == ["000001", "000002"]  # no duvi key on it now
    # Read again unchanged: the new copy in the old one's place, the keys as they were.
    again = batch("000002", "Bilag 7")
    held.merge({"000002": again})
    assert held.others["000002"] is again
    assert held.keys == {"Korrigert": Found("000001"), "Bilag": Found("000002")}
    assert held.marks == {"000001": ("000001", ("Korrigert",)), "000002": ("000002", ("Bilag",))}
    # A batch of another's that now carries duvi's key is no longer the guard's to look at.
    held.merge({"000002": batch("000002", "DUELL-Z-1-2 Dagsoppgjør")})
    assert list(held.others) == ["000001"]
    assert held.keys == {"Korrigert": Found("000001"), "DUELL-Z-1-2": Found("000002")}


async def test_each_read_sees_a_batch_made_since_also_one_stamped_before_it_was_visible(
    world: VismaWorld,
) -> None:
    """Three look-ups of one company's 202611 in a round (the world's sandbox over HTTP):
    the first lists it whole, the later ones ask what changed since. Batch 000003 shows
    up late with a stamp 2 minutes older than the newest the second read saw (a save whose
    commit lagged): the margin still finds it."""
    seen = Recording(world.oracle)
    world.oracle = seen  # type: ignore[assignment]
    visma = world.client()
    try:
        # A listing that takes no time on our clock: the since times are the stamps less the
        # margin alone, whatever the machine's load makes of a listing's duration.
        listings = RoundListings(clock=lambda: 0.0)
        first = await visma.create_journal(balanced_journal("DUELL-Z-1-1"))
        one = await listings.read(visma, "202611")
        assert one.keys["line:DUELL-Z-1-1"] == Found(first)
        second = await visma.create_journal(balanced_journal("DUELL-Z-1-2"))
        two = await listings.read(visma, "202611")
        assert (two.keys["line:DUELL-Z-1-1"], two.keys["line:DUELL-Z-1-2"]) == (
            Found(first),
            Found(second),
        )
        co = world.sandbox.visma.companies[world.company.tenant_id]
        stamp = datetime.fromisoformat(co.journals[second]["lastModifiedDateTime"])
        late = build_journal(co, unwrap(wire.body(balanced_journal("DUELL-Z-1-3"))), "000003")
        late["lastModifiedDateTime"] = (stamp - timedelta(minutes=2)).isoformat(
            timespec="milliseconds"
        )
        co.journals["000003"] = late
        three = await listings.read(visma, "202611")
        assert three.keys["line:DUELL-Z-1-3"] == Found("000003")
        assert [k for k in three.keys if k.startswith("line:")] == [
            "line:DUELL-Z-1-1",
            "line:DUELL-Z-1-2",
            "line:DUELL-Z-1-3",
        ]
    finally:
        await visma.aclose()
    listed = [
        dict(parse_qsl(urlsplit(str(r.url)).query))
        for r in seen.requests
        if r.method == "GET" and r.url.path.endswith("/v2/journaltransaction")
    ]
    assert ["lastModifiedDateTime" in q for q in listed] == [False, True, True]
    assert {(q["periodId"], q["module"]) for q in listed} == {("202611", "GL")}
    # The third asks from later on than the second: from the second's newest stamp (batch
    # 000002's), less the margin, not from the first listing's again.
    assert listed[2]["lastModifiedDateTime"] > listed[1]["lastModifiedDateTime"]


async def test_a_batch_listed_again_unchanged_is_not_read_again(
    world: VismaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each delta lists the company's batches of the last MARGIN again, the round's own
    among them: one with the number and lastModifiedDateTime the listing holds is not read
    into a model again (a department's look-up cost CPU that grew with its company's
    departments); one changed since (its stamp moved) is, and its keys replace the old."""
    read: list[str | None] = []
    validate = VismaClient._validate

    def counted(self: VismaClient, resp: httpx.Response, model: type, raw: dict) -> object:
        if model is JournalTransaction:
            read.append(raw.get("batchNumber"))
        return validate(self, resp, model, raw)

    monkeypatch.setattr(VismaClient, "_validate", counted)
    visma = world.client()
    try:
        listings = RoundListings(clock=lambda: 0.0)
        first = await visma.create_journal(balanced_journal("DUELL-Z-1-1"))
        await listings.read(visma, "202611")
        assert read == [first]
        second = await visma.create_journal(balanced_journal("DUELL-Z-1-2"))
        two = await listings.read(visma, "202611")
        assert read == [first, second]  # the delta listed both; the first is held as it is
        assert {two.keys["line:DUELL-Z-1-1"], two.keys["line:DUELL-Z-1-2"]} == {
            Found(first),
            Found(second),
        }
        # A person edits the first batch: its stamp moves, so it is read again.
        co = world.sandbox.visma.companies[world.company.tenant_id]
        record = co.journals[first]
        record["description"] = "Korrigert"
        for line in record["journalTransactionLines"]:
            line["referenceNumber"] = "Korrigert"
        co.touch("journal", first, record)
        three = await listings.read(visma, "202611")
        assert read == [first, second, first]
        assert "line:DUELL-Z-1-1" not in three.keys
        assert three.keys["line:DUELL-Z-1-2"] == Found(second)
    finally:
        await visma.aclose()
