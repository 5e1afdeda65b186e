"""The round's listing merges what changed as a full listing would read it
(core/transfers/gl_batches.py: Listing.merge)."""

from __future__ import annotations

from core.transfers.gl_batches import Listing
from core.transfers.posting import Found
from core.visma.models import JournalTransaction


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
    held = Listing(
        "2026-11-12T20:55:00.000",
        {"000001": batch("000001", "DUELL-Z-1-1 Dagsoppgjør", "DUELL-Z-1-1")},
    )
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
    assert held.others["000002"] is again and held.batches["000002"] is again
    assert held.keys == {"Korrigert": Found("000001"), "Bilag": Found("000002")}
