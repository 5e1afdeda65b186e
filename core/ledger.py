"""The transfer ledger: never twice, never lost (DESIGN §4).

Every outbound document has a stable key (DUELL-Z-<dept>-<z>, DUELL-INV-<dept>-<id>,
DUELL-STOCK-<dept>-<date>, and -2, -3 … for a day's Z-reports that came after its stock issue)
written into the document and into this ledger before the POST.

    pending --(about to POST)--> sent --(Visma's number recorded)--> confirmed --> released
                                  |
                                  +--(Visma refused it)--> failed --(cause fixed, retry)--> pending
                                  +--(cannot be sent as is)--> attention

A row in `sent` is in doubt (timeout, dropped connection, crash): before anything is sent
again, the key is looked up in Visma. A document is confirmed only with Visma's number, and
released (bokført) only by a person's explicit release, or when Visma says it already is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.errors import StoreError
from core.i18n import N_
from core.leases import Lease, Leases
from core.ledger_facts import fact_columns
from core.store import Store, utcnow


class State(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    ATTENTION = "attention"
    RELEASED = "released"  # confirmed, then released (bokført) in Visma


@dataclass(frozen=True)
class LedgerRow:
    key: str
    department_id: str
    kind: str
    source_id: str
    state: State
    visma_number: str | None
    attempts: int
    payload: dict[str, Any]
    last_error: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> LedgerRow:
        """The row as duvi reads it; UnreadableRow when a column holds what duvi never writes
        (the file was edited or damaged)."""
        try:
            state = State(r["state"])
        except ValueError:
            raise UnreadableRow(r, f"unknown state {r['state']!r}") from None
        try:
            payload = json.loads(r["payload"] or "{}")
        except ValueError as exc:
            raise UnreadableRow(r, f"its payload is not JSON ({exc})") from None
        if not isinstance(payload, dict):
            raise UnreadableRow(r, "its payload is not a JSON object")
        if r["source_id"] is None:
            raise UnreadableRow(r, "its source_id is NULL")
        if state == State.CONFIRMED and not r["visma_number"]:
            raise UnreadableRow(r, "it is confirmed without Visma's number")
        return cls(
            r["key"],
            r["department_id"],
            r["kind"],
            r["source_id"],
            state,
            r["visma_number"],
            r["attempts"] or 0,
            payload,
            r["last_error"],
            r["created_at"],
            r["updated_at"],
        )


class UnreadableRow(StoreError):
    """A ledger row duvi cannot read. It is never sent; every other row works on: `rows()`
    leaves it out, `unreadable()` and doctor name it, `get()` of its key says so."""

    def __init__(self, row: dict[str, Any], problem: str) -> None:
        self.key, self.department_id, self.problem = row["key"], row["department_id"], problem
        super().__init__(
            f"ledger row {self.key} cannot be read: {problem}",
            UNREADABLE_REMEDY.format(key=self.key),
        )


UNREADABLE_REMEDY = N_(
    "duvi leaves it alone (never sends it) and works on with the other rows; correct the row "
    "with sqlite3 (`SELECT * FROM ledger WHERE key = '{key}'`) or restore the database from a "
    "backup (README: restoring)"
)
# What from_row refuses, found by SQLite (a scan in C, no payload parsed in Python); each
# candidate is then read by from_row, which has the last word.
_SUSPECT = (
    "SELECT * FROM ledger WHERE (state NOT IN ({states}) OR source_id IS NULL "
    "OR (state = 'confirmed' AND COALESCE(visma_number, '') = '') OR (payload IS NOT NULL AND "
    "CASE WHEN json_valid(payload) THEN json_type(payload) <> 'object' ELSE 1 END))"
)


# sync_cursors entity: when the Z-report listing was last read to its end (UTC, ISO 8601);
# outside the "zreport:<register>" names, which zreports.cursors reads as registers.
ZREPORTS_FETCHED = "zreport-fetched"  # not "zreport:…", the registers' cursors

# sync_cursors entity + key: a release Visma answered Queued/InProcess (transfers/queued.py).
# It is never sent again on that answer: the document's status in Visma is read instead. A
# person's retry drops it (they ask for the release to be tried again).
RELEASE_QUEUED = "release-queued:"

OPEN = (State.PENDING, State.SENT)  # what a worker may still move; the rest waits for a person


class Ledger:
    """`fence`: the department lease of the worker using this ledger. Every transition of a row
    is compare-and-set (from the state the worker read) and, with a fence, succeeds only while
    that lease is the department's current generation; a worker that lost it gets LeaseLost
    and stops. Marking a row sent (the step before a POST) needs the fence."""

    def __init__(self, store: Store, fence: Lease | None = None) -> None:
        self.store = store
        self.fence = fence

    def get(self, key: str) -> LedgerRow | None:
        """The row of `key`; UnreadableRow (one line, exit 4) when it cannot be read."""
        rows = self.store.query("SELECT * FROM ledger WHERE key = ?", [key])
        return LedgerRow.from_row(rows[0]) if rows else None

    def unreadable(
        self, department_id: str | None = None, keys: list[str] | None = None
    ) -> list[UnreadableRow]:
        """The rows `rows()` leaves out, each with what is wrong with it (of `keys` only)."""
        sql = _SUSPECT.format(states=", ".join(f"'{s}'" for s in State))
        params: list[Any] = []
        if department_id is not None:
            sql += " AND department_id = ?"
            params.append(department_id)
        if keys is not None:
            sql += f" AND key IN ({', '.join('?' * len(keys))})"
            params += keys
        found = []
        for r in self.store.query(sql + " ORDER BY key", params):
            try:
                LedgerRow.from_row(r)
            except UnreadableRow as bad:
                found.append(bad)
        return found

    def register(
        self, key: str, department_id: str, kind: str, source_id: str, payload: dict[str, Any]
    ) -> bool:
        """Record a document to send; returns False when the key is already known (it is
        never overwritten: what was sent stays what was recorded)."""
        now = utcnow()
        text = json.dumps(payload, default=str, ensure_ascii=False)
        with self.store.write():
            cur = self.store.conn.execute(
                "INSERT OR IGNORE INTO ledger (key, department_id, kind, source_id, state, "
                "attempts, payload, created_at, updated_at, day, z_number, register, amount) "
                "VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                [
                    key,
                    department_id,
                    kind,
                    source_id,
                    State.PENDING,
                    text,
                    now,
                    now,
                    *fact_columns(kind, text),
                ],
            )
            return cur.rowcount == 1

    def _move(self, key: str, where: str, params: list[Any], **fields: Any) -> bool:
        """One compare-and-set transition, under the fence; False when the row was not as
        expected (another worker moved it)."""
        fields["updated_at"] = utcnow()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self.store.write():
            if self.fence is not None:
                Leases(self.store, self.fence.holder).check(self.fence)
            cur = self.store.conn.execute(
                f"UPDATE ledger SET {cols} WHERE key = ? AND {where}",
                [*fields.values(), key, *params],
            )
            return cur.rowcount == 1

    def _set(self, key: str, **fields: Any) -> bool:
        return self._move(key, "state IN (?, ?)", list(OPEN), **fields)

    def mark_sent(self, row: LedgerRow) -> bool:
        """Committed before the POST: from here on, a crash leaves a row in doubt. Only from
        the state and attempt count `row` was read with: of two workers that read it alike,
        one gets False and must not POST."""
        if self.fence is None:
            raise RuntimeError(f"{row.key}: sending needs the department's lease (a fence)")
        return self._move(
            row.key,
            "state = ? AND COALESCE(attempts, 0) = ?",
            [row.state, row.attempts],
            state=State.SENT,
            attempts=row.attempts + 1,
        )

    def confirm(self, key: str, visma_number: str) -> bool:
        return self._set(key, state=State.CONFIRMED, visma_number=visma_number, last_error=None)

    def release(self, key: str) -> bool:
        """A confirmed document was released in Visma (it is posted for good)."""
        return self._move(key, "state = ?", [State.CONFIRMED], state=State.RELEASED)

    def note_doubt(self, key: str, error: str) -> bool:
        """Still `sent`: the next attempt looks the key up before sending."""
        return self._set(key, last_error=error)

    def fail(self, key: str, error: str) -> bool:
        return self._set(key, state=State.FAILED, last_error=error)

    def attention(self, key: str, error: str) -> bool:
        return self._set(key, state=State.ATTENTION, last_error=error)

    def changed(self, row: LedgerRow, payload: dict[str, Any], error: str) -> bool:
        """A document whose source changed after it was recorded (or posted): held for a
        person with the new content, from whatever state `row` was read in (a confirmed row
        keeps its Visma number; its next look-up finds what was posted, so nothing is sent
        twice). The list's facts (its amount…) are worked out again from the new payload."""
        text = json.dumps(payload, default=str, ensure_ascii=False)
        day, z_number, register, amount = fact_columns(row.kind, text)
        return self._move(
            row.key,
            "state = ? AND COALESCE(attempts, 0) = ?",
            [row.state, row.attempts],
            state=State.ATTENTION,
            payload=text,
            last_error=error,
            day=day,
            z_number=z_number,
            register=register,
            amount=amount,
        )

    def retry(self, key: str) -> bool:
        """A failed or held document goes back to pending (its cause is fixed): the reason it
        was held goes with it (the event log keeps it), so "pending" never shows a stale one."""
        moved = self._move(
            key,
            "state IN (?, ?)",
            [State.FAILED, State.ATTENTION],
            state=State.PENDING,
            last_error=None,
        )
        if moved:
            self.drop_cursor(None, RELEASE_QUEUED + key)
        return moved

    def rows(
        self,
        department_id: str | None = None,
        *,
        kind: str | None = None,
        states: tuple[State, ...] | None = None,
    ) -> list[LedgerRow]:
        sql, params = "SELECT * FROM ledger WHERE 1", []
        if department_id is not None:
            sql += " AND department_id = ?"
            params.append(department_id)
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if states:
            sql += f" AND state IN ({', '.join('?' * len(states))})"
            params += list(states)
        out = []
        for r in self.store.query(sql + " ORDER BY created_at, key", params):
            try:
                out.append(LedgerRow.from_row(r))
            except UnreadableRow:
                continue  # one damaged row never stops the others; unreadable() names it
        return out

    def fetched_at(self, department_id: str) -> datetime | None:
        """When DUELL's Z-reports of the department were last listed to the end (UTC)."""
        ts = self.cursor(department_id, ZREPORTS_FETCHED)
        return datetime.fromisoformat(ts.replace("Z", "+00:00")) if ts else None

    def cursor(self, department_id: str, entity: str) -> str | None:
        rows = self.store.query(
            "SELECT cursor FROM sync_cursors WHERE department_id = ? AND entity = ?",
            [department_id, entity],
        )
        return rows[0]["cursor"] if rows else None

    def set_cursor(self, department_id: str, entity: str, value: str) -> None:
        with self.store.write():
            self.store.upsert(
                "sync_cursors",
                {
                    "department_id": department_id,
                    "entity": entity,
                    "cursor": value,
                    "updated_at": utcnow(),
                },
                ("department_id", "entity"),
            )

    def drop_cursor(self, department_id: str | None, entity: str) -> None:
        """Forget a cursor or marker (of any department when `department_id` is None: the
        entity names a key, and keys name their department)."""
        sql, params = "DELETE FROM sync_cursors WHERE entity = ?", [entity]
        if department_id is not None:
            sql += " AND department_id = ?"
            params.append(department_id)
        with self.store.write():
            self.store.conn.execute(sql, params)
