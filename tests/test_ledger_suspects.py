"""The ledger rows duvi cannot read, kept by SQLite in a partial index of their own (migration
15, issue 21): `Ledger.unreadable` of a department reads that index (its rows, usually none),
never the department's payloads, and finds every row from_row refuses, however it was written
(by the ledger, by sqlite3 by hand, before the migration)."""

from __future__ import annotations

import json
from pathlib import Path

from core.ledger import Ledger
from core.store import Store
from core.transferview import transfer_rows

# key, state, source_id, visma_number, payload; what is wrong with it, as a person reads it
ROWS = [
    ("DUELL-Z-1-1", "confirmed", "1", "000001", '{"z_number": 1}', None),
    ("DUELL-Z-1-2", "pending", "2", None, None, None),  # no payload: read as {}
    ("DUELL-Z-1-3", "bogus", "3", None, "{}", "unknown state 'bogus'"),
    ("DUELL-Z-1-4", "pending", None, None, "{}", "its source_id is NULL"),
    ("DUELL-Z-1-5", "confirmed", "5", "", "{}", "it is confirmed without Visma's number"),
    ("DUELL-Z-1-6", "confirmed", "6", None, "{}", "it is confirmed without Visma's number"),
    ("DUELL-Z-1-7", "sent", "7", None, "[1, 2]", "its payload is not a JSON object"),
    ("DUELL-Z-1-8", "sent", "8", None, '"text"', "its payload is not a JSON object"),
    ("DUELL-Z-1-9", "sent", "9", None, "{not json", "its payload is not JSON"),
    ("DUELL-Z-2-1", "bogus", "1", None, "{}", "unknown state 'bogus'"),  # another department
]
BAD_OF_1 = {k: why for k, _s, _o, _v, _p, why in ROWS if why and k.startswith("DUELL-Z-1-")}


def _insert(store: Store, rows: list[tuple]) -> None:
    with store.write():
        store.conn.executemany(
            "INSERT INTO ledger (key, department_id, kind, source_id, state, visma_number, "
            "attempts, payload, created_at, updated_at) "
            "VALUES (?, ?, 'zreport', ?, ?, ?, 0, ?, '2026-11-20T21:10:00.000Z', "
            "'2026-11-20T21:10:00.000Z')",
            [(k, k.split("-")[2], src, state, num, p) for k, state, src, num, p, _w in rows],
        )


def _found(store: Store, dept: str | None = "1") -> dict[str, str]:
    return {b.key: b.problem for b in Ledger(store).unreadable(dept)}


def _plan(store: Store, dept: str) -> str:
    """How SQLite reads unreadable()'s statement (the same text, EXPLAIN QUERY PLAN)."""
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    Ledger(store).unreadable(dept)
    store.conn.set_trace_callback(None)
    (sql,) = [s for s in seen if s.startswith("SELECT * FROM ledger")]
    rows = store.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
    return " / ".join(r[3] for r in rows)


def _indexed(store: Store, dept: str) -> set[str]:
    """The keys idx_ledger_suspect holds of a department (read from the index by name)."""
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    Ledger(store).unreadable(dept)
    store.conn.set_trace_callback(None)
    (sql,) = [s for s in seen if s.startswith("SELECT * FROM ledger")]
    sql = sql.replace(
        "SELECT * FROM ledger", "SELECT key FROM ledger INDEXED BY idx_ledger_suspect"
    )
    return {r[0] for r in store.conn.execute(sql.replace(" ORDER BY key", ""))}


def test_the_check_reads_the_suspects_index_not_the_payloads(tmp_path: Path) -> None:
    """If this fails after a state was added, unreadable()'s condition no longer names the
    index's: add a migration that makes the index again with the new states."""
    store = Store(tmp_path / "duvi.db")
    _insert(store, ROWS)
    assert _plan(store, "1") == "SEARCH ledger USING INDEX idx_ledger_suspect (department_id=?)"
    store.close()


def test_every_row_from_row_refuses_is_found(tmp_path: Path) -> None:
    store = Store(tmp_path / "duvi.db")
    _insert(store, ROWS)
    found = _found(store)
    assert found.keys() == BAD_OF_1.keys() == _indexed(store, "1")
    assert all(found[k].startswith(why) for k, why in BAD_OF_1.items()), found
    assert _found(store, "2") == {"DUELL-Z-2-1": "unknown state 'bogus'"}
    assert _found(store, None).keys() == BAD_OF_1.keys() | {"DUELL-Z-2-1"}
    listed = {r.key: r.state for r in transfer_rows(store, "1")}
    assert listed == {
        "DUELL-Z-1-1": "confirmed",
        "DUELL-Z-1-2": "pending",
        **dict.fromkeys(BAD_OF_1, "unreadable"),
    }
    store.close()


def test_a_row_changed_by_hand_enters_and_leaves_the_index(tmp_path: Path) -> None:
    store = Store(tmp_path / "duvi.db")
    _insert(store, ROWS[:2])
    assert _found(store) == {}
    with store.write():  # sqlite3 by hand: SQLite keeps the index, whatever writes the row
        store.conn.execute("UPDATE ledger SET payload = '[]' WHERE key = 'DUELL-Z-1-1'")
        store.conn.execute("UPDATE ledger SET state = 'gone' WHERE key = 'DUELL-Z-1-2'")
    assert _found(store) == {
        "DUELL-Z-1-1": "its payload is not a JSON object",
        "DUELL-Z-1-2": "unknown state 'gone'",
    }
    assert _indexed(store, "1") == {"DUELL-Z-1-1", "DUELL-Z-1-2"}
    with store.write():
        store.conn.execute("UPDATE ledger SET payload = '{}' WHERE key = 'DUELL-Z-1-1'")
        store.conn.execute("UPDATE ledger SET state = 'pending' WHERE key = 'DUELL-Z-1-2'")
    assert _found(store) == {} and _indexed(store, "1") == set()
    store.close()


def test_migration_16_indexes_the_rows_written_before(tmp_path: Path) -> None:
    store = Store(tmp_path / "duvi.db", migrate=False)
    store.migrate(15)
    _insert(store, ROWS)
    before = store.query("SELECT * FROM ledger ORDER BY key")
    store.migrate(16)
    assert store.query("SELECT * FROM ledger ORDER BY key") == before  # no row touched
    assert json.loads(before[0]["payload"]) == {"z_number": 1}
    found = _found(store)
    assert found.keys() == BAD_OF_1.keys()
    assert _plan(store, "1") == "SEARCH ledger USING INDEX idx_ledger_suspect (department_id=?)"
    store.close()
