"""`duvi transfers --json` written by SQLite (core.transferview.transfers_json, issue 21): the
same bytes as the rows made one by one (transfer_rows, filtered and sorted as the command does,
row_json, json.dumps indented), for rows of every shape the ledger writes; a row the ledger did
not write (its facts only in its payload) sends the command the slow way."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from core.cli.transfers import row_json
from core.readmodels import TransferRow, filter_transfers, sort_transfers, transfer_row
from core.store import Store
from core.transferview import transfer_page, transfer_rows, transfers_json

NOW = datetime(2026, 12, 2, 12, 0, 0, 250_000, tzinfo=UTC)
MAPPING = "map VAT rate 12 % to a Visma VAT id in the console"
# key, kind, state, visma_number, last_error, created_at, updated_at, day, z, register, amount
ROWS = [
    (
        "DUELL-Z-1-3",
        "zreport",
        "confirmed",
        "000003",
        None,
        "2026-11-20T21:10:00.000Z",
        "2026-11-20T21:10:00.000Z",
        "2026-11-20",
        3,
        "1",
        "1370.50",
    ),
    # the same day and Z number on another register: the key decides
    (
        "DUELL-Z-1-3-K2",
        "zreport",
        "released",
        "000004",
        None,
        "2026-11-20T21:10:00.123Z",
        "2026-12-02T11:59:59.251Z",
        "2026-11-20",
        3,
        "2",
        "-0.00",
    ),
    (
        "DUELL-Z-1-2",
        "zreport",
        "attention",
        None,
        f"{MAPPING}\nsecond line",
        "2026-11-19T21:10:00Z",
        "2026-12-02T11:00:00Z",
        "2026-11-19",
        2,
        "",
        "100",
    ),
    (
        "DUELL-INV-1-7",
        "invoice",
        "failed",
        "",
        'VismaId: 1. "Kunde" finnes ikke\tø\x01',
        "2026-11-21T08:00:00.999Z",
        "2026-12-02T11:59:30.000Z",
        "2026-11-21",
        None,
        "",
        "12.5",
    ),
    (
        "DUELL-STOCK-1-2026-11-22",
        "stock",
        "sent",
        None,
        "timeout",
        "2026-11-22T09:00:00.500Z",
        None,
        "2026-11-22",
        None,
        "",
        None,
    ),
    (
        "DUELL-Z-1-1",
        "zreport",
        "pending",
        None,
        None,
        "2026-11-18T21:10:00.000Z",
        "2026-11-18T21:10:00.000Z",
        None,
        1,
        "1",
        "0.05",
    ),
    (
        "DUELL-Z-1-9",
        "zreport",
        "attention",
        None,
        "Branch '9' cannot be found",
        "2025-01-01T00:00:00.000Z",
        "2025-01-01T00:00:00.000Z",
        "2025-01-01",
        9,
        "1",
        "1234567.89",
    ),
    (
        "DUELL-Z-2-1",
        "zreport",
        "confirmed",
        "000001",
        None,
        "2026-11-18T21:10:00.000Z",
        "2026-11-18T21:10:00.000Z",
        "2026-11-18",
        1,
        "1",
        "10.00",
    ),
    # department 5: each state as a row without an error judges it (written out in SQL), a
    # held one without an error and a kind duvi does not write (judged by Python)
    *(
        (
            f"DUELL-{kind}-5-{n}",
            kind,
            state,
            f"{n:06d}" if state in ("confirmed", "released") else None,
            None,
            f"2026-10-{n:02d}T21:10:00.000Z",
            f"2026-10-{n:02d}T21:10:00.000Z",
            f"2026-10-{n:02d}",
            n if kind == "zreport" else None,
            "1" if kind == "zreport" else "",
            f"{n}.00",
        )
        for n, (kind, state) in enumerate(
            [
                (kind, state)
                for kind in ("zreport", "invoice", "stock", "quote")
                for state in ("pending", "sent", "confirmed", "released", "failed", "attention")
            ],
            start=1,
        )
    ),
]


def _store(tmp_path: Path, rows: list[tuple[object, ...]]) -> Store:
    store = Store(tmp_path / "duvi.db")
    with store.write():
        store.conn.executemany(
            "INSERT INTO ledger (key, department_id, kind, source_id, state, visma_number, "
            "attempts, payload, last_error, created_at, updated_at, day, z_number, register, "
            "amount) VALUES (?, ?, ?, 's', ?, ?, 1, '{}', ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], r[0].split("-")[2], *r[1:]) for r in rows],
        )
    return store


def _one_by_one(store: Store, dept: str | None, **filters: object) -> str:
    rows = filter_transfers(transfer_rows(store, dept), **filters)  # type: ignore[arg-type]
    return json.dumps(
        [row_json(r, NOW) for r in sort_transfers(rows)[::-1]], indent=2, ensure_ascii=False
    )


@pytest.mark.parametrize(
    ("dept", "filters"),
    [
        ("1", {}),
        (None, {}),
        ("2", {}),
        ("3", {}),
        ("1", {"states": frozenset({"held"})}),
        ("1", {"states": frozenset({"refused"})}),
        ("1", {"since": date(2026, 11, 20)}),
        ("1", {"until": date(2026, 11, 20)}),
        ("1", {"since": date(2026, 11, 19), "until": date(2026, 11, 21)}),
        ("5", {}),
        ("5", {"states": frozenset({"confirmed"})}),
        ("5", {"states": frozenset({"attention", "pending", "released"})}),
        (None, {"states": frozenset({"sent", "refused", "held"})}),
    ],
)
def test_written_by_sqlite_to_the_byte(tmp_path: Path, dept: str | None, filters: dict) -> None:
    store = _store(tmp_path, ROWS)
    expected = _one_by_one(store, dept, **filters)
    assert transfers_json(store, dept, NOW, **filters) == expected
    store.close()


def test_what_it_writes(tmp_path: Path) -> None:
    store = _store(tmp_path, ROWS)
    listed = json.loads(transfers_json(store, "1", NOW) or "")
    # no date first, then by date, Z number and key
    assert [r["key"] for r in listed] == [
        "DUELL-Z-1-1",
        "DUELL-Z-1-9",
        "DUELL-Z-1-2",
        "DUELL-Z-1-3",
        "DUELL-Z-1-3-K2",
        "DUELL-INV-1-7",
        "DUELL-STOCK-1-2026-11-22",
    ]
    first, _, held, z3, k2, invoice, stock = listed
    assert (first["business_date"], first["amount"], first["age"]) == (None, "0.05", "13 d")
    assert (held["state"], held["amount"], held["register"], held["age"]) == (
        "held",
        "100.00",
        None,
        "1 h",
    )
    assert held["error"] == MAPPING
    assert z3["created_at"] == "2026-11-20T21:10:00+00:00"
    assert k2["created_at"] == "2026-11-20T21:10:00.123000+00:00"
    assert (k2["amount"], k2["age"]) == ("-0.00", "0 s")
    assert (invoice["state"], invoice["amount"], invoice["visma_number"], invoice["age"]) == (
        "refused",
        "12.50",
        None,
        "30 s",
    )
    assert (stock["changed_at"], stock["age"], stock["visma_status"]) == (None, "", "?")
    store.close()


def test_a_row_not_written_by_the_ledger_goes_the_slow_way(tmp_path: Path) -> None:
    store = _store(tmp_path, ROWS)
    with store.write():  # facts to be read from its payload
        store.conn.execute("UPDATE ledger SET register = NULL WHERE key = 'DUELL-Z-1-3'")
    assert transfers_json(store, "1", NOW) is None
    assert transfers_json(store, "2", NOW) == _one_by_one(store, "2")
    with store.write():  # a stamp the store never writes
        store.conn.execute(
            "UPDATE ledger SET created_at = '2026-11-18 21:10:00' WHERE key = 'DUELL-Z-2-1'"
        )
    assert transfers_json(store, "2", NOW) is None
    store.close()


def test_an_empty_list(tmp_path: Path) -> None:
    store = _store(tmp_path, ROWS)
    assert transfers_json(store, "3", NOW) == "[]" == _one_by_one(store, "3")
    store.close()


def test_a_first_page_is_the_lists_first_rows(tmp_path: Path) -> None:
    """The console's first page (transfer_page, one SQL page) is the list's first rows in its
    first order, with more rows than a page: ties on a day broken by Z number, then key."""
    many = [
        (
            f"DUELL-Z-4-{n}",
            "zreport",
            "confirmed",
            f"{n:06d}",
            None,
            "2026-01-01T21:10:00.000Z",
            "2026-01-01T21:10:00.000Z",
            f"2026-01-{1 + n // 3:02d}",
            n % 4,
            "1",
            f"{n}.00",
        )
        for n in range(1, 40)
    ] + [
        (
            "DUELL-Z-4-x",
            "zreport",
            "pending",
            None,
            None,
            "2026-01-01T21:10:00.000Z",
            None,
            None,
            None,
            "",
            None,
        ),
        # the same day and Z number as DUELL-Z-4-1, another register
        (
            "DUELL-Z-4-1-K2",
            "zreport",
            "confirmed",
            "000100",
            None,
            "2026-01-01T21:10:00.000Z",
            "2026-01-01T21:10:00.000Z",
            "2026-01-01",
            1,
            "2",
            "1.00",
        ),
    ]  # no date: last
    store = _store(tmp_path, many)
    whole = sort_transfers(transfer_rows(store, "4"))
    assert len(whole) == 41
    for limit in (1, 7, 40, 41, 42):
        page = transfer_page(store, "4", limit)
        assert page is not None
        assert page == (whole[:limit], 41)
    # the newest day first; on a day, the larger Z number first
    keys = [r.key for r in whole]
    assert keys[:4] == ["DUELL-Z-4-39", "DUELL-Z-4-38", "DUELL-Z-4-37", "DUELL-Z-4-36"]
    # the same day and Z number: the larger key first; no date: last
    assert keys[-3:] == ["DUELL-Z-4-1-K2", "DUELL-Z-4-1", "DUELL-Z-4-x"]
    with store.write():  # an unreadable row: listed last (no date), outside the page
        store.conn.execute("UPDATE ledger SET state = 'bogus' WHERE key = 'DUELL-Z-4-3'")
    whole = sort_transfers(transfer_rows(store, "4"))
    assert whole[-1].key == "DUELL-Z-4-3" and whole[-1].state == "unreadable"
    assert transfer_page(store, "4", 5) == (whole[:5], 41)
    with store.write():  # one in the page: its place is known only with every row
        store.conn.execute("UPDATE ledger SET state = 'bogus' WHERE key = 'DUELL-Z-4-38'")
    assert transfer_page(store, "4", 5) is None
    assert transfer_page(store, "4", 1) is not None
    with store.write():  # a row's facts only in its payload: its place is not known
        store.conn.execute("UPDATE ledger SET state = 'confirmed', register = NULL")
    assert transfer_page(store, "4", 5) is None
    store.close()


def test_judged_without_the_engine_unless_a_row_is_held(tmp_path: Path) -> None:
    """The list's SQL writes out what every kind and state without an error shows, save a held
    one: judging that needs core.transfers (the engine's package), imported only for such a
    row, so `duvi transfers --json` of a department without one starts without it."""
    store = _store(tmp_path, [r for r in ROWS if r[2] != "attention"])
    store.close()
    code = (
        "import sys; from datetime import UTC, datetime; from pathlib import Path; "
        "from core.store import Store; from core.transferview import transfers_json; "
        f"store = Store(Path({str(tmp_path / 'duvi.db')!r})); "
        "assert transfers_json(store, None, datetime.now(UTC)); "
        "print('core.transfers' in sys.modules)"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout == "False\n"


def test_a_row_made_at_once_is_the_dataclasss_row() -> None:
    """readmodels.transfer_row (the list's rows, their fields set at once) makes what
    TransferRow(...) makes: equal, hashed alike, frozen, every field (a field added to the
    dataclass and not to it fails here)."""
    values = {
        "key": "DUELL-Z-1-3",
        "kind": "zreport",
        "state": "confirmed",
        "visma_number": "000003",
        "error": "",
        "business_date": date(2026, 11, 20),
        "z_number": 3,
        "register": "1",
        "amount": Decimal("1370.50"),
        "visma_status": "Hold",
        "created_at": datetime(2026, 11, 20, 21, 10, tzinfo=UTC),
        "changed_at": None,
        "reason": "",
        "department_id": "1",
        "confirmable": False,
    }
    assert [f.name for f in dataclasses.fields(TransferRow)] == list(values)
    made = transfer_row(*values.values())
    assert made == TransferRow(**values) and hash(made) == hash(TransferRow(**values))
    assert dataclasses.asdict(made) == values
    assert made != TransferRow(**{**values, "amount": Decimal("1370.51")})
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.state = "sent"  # type: ignore[misc]
