"""The transfers list's facts (business date, Z number, register, amount) kept in the ledger's
columns (migration 14, core/ledger_facts.py): filled from the payloads of rows written before,
written when a document is recorded or changed, and read from the payload again when something
other than the ledger changed it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from core.ledger import Ledger
from core.store import Store
from core.transferview import transfer_rows

Z = {
    "department_id": "1",
    "z_number": 41,
    "register_id": "2",
    "business_date": "2026-11-20",
    "closed_at": "2026-11-20T21:05:00",
    # 1,000.00 + 200.50 sales, 30.00 pant sold, 100 gift cards, 50 tips, 10.00 pant paid back
    "sales": [{"rate": "25", "gross": "1000.00"}, {"rate": "15", "gross": "200.50"}],
    "pant_sold": [{"rate": "25", "gross": "30.00"}],
    "gift_cards_sold": "100",
    "tips": "50",
    "pant_refunded": "10.00",
    "payments": [{"type": "card", "amount": "1370.50"}],
}
INVOICE = {
    "date": "2026-11-21",
    "lines": [
        # 80 × 1.25 = 100.00 a unit, 3 less 10 % = 270.00
        {
            "product_number": "1",
            "description": "x",
            "quantity": "3",
            "unit_price_ex_vat": "80",
            "vat_rate": "25",
            "discount_percent": "10",
        },
        # 19.99 × 1.15 = 22.9885 → 22.99
        {
            "product_number": "2",
            "description": "y",
            "quantity": "1",
            "unit_price_ex_vat": "19.99",
            "vat_rate": "15",
        },
    ],
}
ROWS = [  # key, kind, payload as stored
    ("DUELL-Z-1-41", "zreport", json.dumps(Z)),
    # no register: "1"; 99.995 rounds half up to 100.00
    (
        "DUELL-Z-1-42",
        "zreport",
        json.dumps({"business_date": "2026-11-21", "z_number": 42, "sales": [{"gross": 99.995}]}),
    ),
    ("DUELL-INV-1-7", "invoice", json.dumps(INVOICE)),
    ("DUELL-STOCK-1-2026-11-21", "stock", json.dumps({"date": "2026-11-21", "items": []})),
    ("DUELL-Z-1-43", "zreport", "{not json"),
    ("DUELL-Z-1-44", "zreport", json.dumps({"business_date": "2026-13-40", "z_number": 44})),
]
FACTS = {  # day, z_number, register, amount: worked out by hand above
    "DUELL-Z-1-41": ("2026-11-20", 41, "2", "1370.50"),
    "DUELL-Z-1-42": ("2026-11-21", 42, "1", "100.00"),
    "DUELL-INV-1-7": ("2026-11-21", None, "", "292.99"),
    "DUELL-STOCK-1-2026-11-21": ("2026-11-21", None, "", None),
    "DUELL-Z-1-43": (None, None, "1", "0.00"),  # read as {} (it is listed as unreadable)
    "DUELL-Z-1-44": (None, None, "", None),
}


def _columns(store: Store) -> dict[str, tuple]:
    rows = store.query("SELECT key, day, z_number, register, amount FROM ledger")
    return {r["key"]: (r["day"], r["z_number"], r["register"], r["amount"]) for r in rows}


def test_migration_14_fills_the_facts_of_every_row_and_keeps_its_payload(tmp_path: Path) -> None:
    store = Store(tmp_path / "duvi.db", migrate=False)
    store.migrate(13)
    with store.write():
        store.conn.execute(
            "INSERT INTO departments (id, name, created_at) VALUES ('1', 'Bergen', 'x')"
        )
        store.conn.executemany(
            "INSERT INTO ledger (key, department_id, kind, source_id, state, visma_number, "
            "attempts, payload, created_at, updated_at) VALUES (?, '1', ?, '1', 'confirmed', "
            "'9', 1, ?, ?, ?)",
            [
                (k, kind, p, f"2026-11-2{i}T00:00:00Z", "2026-11-22T00:00:00Z")
                for i, (k, kind, p) in enumerate(ROWS)
            ],
        )
    before = store.query("SELECT * FROM ledger ORDER BY key")
    store.migrate(14)
    after = store.query("SELECT * FROM ledger ORDER BY key")
    facts = ("day", "z_number", "register", "amount")
    assert [{k: v for k, v in r.items() if k not in facts} for r in after] == before
    assert _columns(store) == FACTS
    listed = {r.key: r for r in transfer_rows(store, "1")}
    assert listed["DUELL-Z-1-41"].amount == Decimal("1370.50")
    assert listed["DUELL-Z-1-41"].register == "2" and listed["DUELL-Z-1-41"].z_number == 41
    assert listed["DUELL-INV-1-7"].business_date == date(2026, 11, 21)
    assert listed["DUELL-Z-1-43"].state == "unreadable"
    store.close()


def test_a_recorded_or_changed_document_carries_its_facts(tmp_path: Path) -> None:
    store = Store(tmp_path / "duvi.db")
    ledger = Ledger(store)
    assert ledger.register("DUELL-Z-1-41", "1", "zreport", "41", Z)
    assert _columns(store)["DUELL-Z-1-41"] == ("2026-11-20", 41, "2", "1370.50")
    row = ledger.get("DUELL-Z-1-41")
    assert row is not None
    # the changed Z-report: 1,000.00 + 300.00 sales + 30 pant + 100 + 50 - 10 = 1,470.00
    changed = {**Z, "sales": [{"rate": "25", "gross": "1000.00"}, {"rate": "15", "gross": "300"}]}
    assert ledger.changed(row, changed, "DUELL changed it")
    assert _columns(store)["DUELL-Z-1-41"] == ("2026-11-20", 41, "2", "1470.00")
    assert transfer_rows(store, "1")[0].amount == Decimal("1470.00")
    store.close()


def test_a_payload_changed_by_hand_is_read_from_the_payload(tmp_path: Path) -> None:
    store = Store(tmp_path / "duvi.db")
    assert Ledger(store).register("DUELL-Z-1-41", "1", "zreport", "41", Z)
    edited = {**Z, "tips": "0", "business_date": "2026-11-19"}  # 1,370.50 - 50 = 1,320.50
    with store.write():
        store.conn.execute(
            "UPDATE ledger SET payload = ? WHERE key = 'DUELL-Z-1-41'", [json.dumps(edited)]
        )
    assert _columns(store)["DUELL-Z-1-41"][2] is None  # its facts are dropped
    (row,) = transfer_rows(store, "1")
    assert row.amount == Decimal("1320.50") and row.business_date == date(2026, 11, 19)
    assert [r.key for r in transfer_rows(store, "1", day=date(2026, 11, 19))] == [row.key]
    assert transfer_rows(store, "1", day=date(2026, 11, 20)) == []
    store.close()


def test_transfers_json_is_json_dumps_indented_to_the_byte() -> None:
    from core.cli.transfers import flat_json

    rows = [
        {"key": "DUELL-Z-1-1", "z_number": 1, "amount": "12.50", "error": None},
        {"key": 'ø "q"\n\t\x01', "z_number": None, "amount": None, "error": "Æ"},
        {},
    ]
    for shown in ([], [{}], rows):
        assert flat_json(shown) == json.dumps(shown, indent=2, ensure_ascii=False)
