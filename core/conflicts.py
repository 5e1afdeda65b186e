"""Duplicate-customer conflicts: an incoming record with several candidates waits for a person.
A conflict holds the incoming record, every candidate and the key that matched, and blocks
only that customer. Decisions: link to a candidate, create new, merge (a value per field),
or ignore; each is audited and takes effect on the next transfer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from core.audit import current_actor, record
from core.errors import UsageError
from core.i18n import N_
from core.store import Store, utcnow

Action = Literal["link", "create", "merge", "ignore"]


@dataclass(frozen=True)
class Conflict:
    id: int
    department_id: str
    entity: str
    source: str
    incoming_id: str
    incoming: dict[str, Any]
    candidates: list[dict[str, Any]]
    match_key: str
    state: str
    resolution: dict[str, Any] | None
    created_at: str
    resolved_at: str | None = None
    resolved_by: str | None = None  # who decided (the audit trail has the rest)

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> Conflict:
        return cls(
            r["id"],
            r["department_id"],
            r["entity"],
            r["source"],
            r["incoming_id"],
            json.loads(r["incoming"]),
            json.loads(r["candidates"]),
            r["match_key"],
            r["state"],
            json.loads(r["resolution"]) if r["resolution"] else None,
            r["created_at"],
            r.get("resolved_at"),
            r.get("resolved_by"),
        )


@dataclass(frozen=True)
class FieldRow:
    """One field of a conflict: the incoming value beside each candidate's."""

    field: str
    label: str
    incoming: str
    candidates: list[str]
    differs: list[bool]  # per candidate: not the same as the incoming value


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


# A product conflict's fields (DUELL's product record's keys) as a person names them; a key
# not named here is shown as it is (a field DUELL adds later).
PRODUCT_LABELS = {
    "product_id": N_("Product id"),
    "product_number": N_("Product number"),
    "barcode": N_("Barcode"),
    "vat_rate": N_("VAT rate"),
    "price_inc_vat": N_("Price inc. VAT"),
    "cost_price": N_("Cost price"),
    "category": N_("Category"),
}


def field_label(key: str) -> str:
    """A compared field's or a match key's name in the language (a customer's vocabulary, a
    product's fields); a key not named is shown as it is."""
    from core.customer_record import LABELS
    from core.i18n import _

    named = LABELS.get(key) or PRODUCT_LABELS.get(key)
    return _(named) if named else key


def compare(c: Conflict) -> list[FieldRow]:
    """The fields a person compares (a customer's vocabulary, or whatever a product conflict
    holds), with the differences marked: what the conflicts screen shows and a merge picks."""
    from core.customer_record import FIELDS

    keys = list(FIELDS) if c.entity == "customer" else []
    for rec in (c.incoming, *c.candidates):
        keys += [k for k in rec if k not in keys and k != "id"]
    rows = []
    for k in keys:
        mine = "" if c.incoming.get(k) is None else str(c.incoming.get(k))
        theirs = ["" if x.get(k) is None else str(x.get(k)) for x in c.candidates]
        if not mine and not any(theirs):
            continue
        rows.append(FieldRow(k, field_label(k), mine, theirs, [not _same(mine, t) for t in theirs]))
    return rows


def merge_fields(c: Conflict) -> tuple[str, ...]:
    """The fields a merge can choose a value for: a customer's vocabulary, or what a product
    conflict shows."""
    from core.customer_record import FIELDS

    if c.entity == "customer":
        return FIELDS
    return tuple(r.field for r in compare(c))


class Conflicts:
    def __init__(self, store: Store) -> None:
        self.store = store

    def open_for(self, department_id: str, entity: str, incoming_id: str) -> Conflict | None:
        rows = self.store.query(
            "SELECT * FROM conflicts WHERE department_id = ? AND entity = ? AND incoming_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [department_id, entity, incoming_id],
        )
        return Conflict.from_row(rows[0]) if rows else None

    def raise_conflict(
        self,
        department_id: str,
        entity: str,
        source: str,
        incoming_id: str,
        incoming: dict[str, Any],
        candidates: list[dict[str, Any]],
        match_key: str,
    ) -> Conflict:
        """Record a conflict once per incoming record (an open one is kept as it is)."""
        existing = self.open_for(department_id, entity, incoming_id)
        if existing is not None and existing.state == "open":
            return existing
        with self.store.write() as db:
            db.table("conflicts").insert(
                {
                    "department_id": department_id,
                    "entity": entity,
                    "source": source,
                    "incoming_id": incoming_id,
                    "incoming": json.dumps(incoming, default=str),
                    "candidates": json.dumps(candidates, default=str),
                    "match_key": match_key,
                    "state": "open",
                    "created_at": utcnow(),
                }
            )
        found = self.open_for(department_id, entity, incoming_id)
        assert found is not None
        return found

    def list(
        self, department_id: str | None = None, *, state: str | None = "open"
    ) -> list[Conflict]:
        """The conflicts in `state` (None: every one, decided ones too), oldest first."""
        sql, params = "SELECT * FROM conflicts WHERE 1", []
        if state is not None:
            sql += " AND state = ?"
            params.append(state)
        if department_id is not None:
            sql += " AND department_id = ?"
            params.append(department_id)
        return [Conflict.from_row(r) for r in self.store.query(sql + " ORDER BY id", params)]

    def resolve(
        self,
        conflict_id: int,
        action: Action,
        *,
        candidate: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> Conflict:
        rows = self.store.query("SELECT * FROM conflicts WHERE id = ?", [conflict_id])
        if not rows:
            raise KeyError(conflict_id)
        c = Conflict.from_row(rows[0])
        ids = {str(x.get("id")) for x in c.candidates}
        if action in ("link", "merge") and candidate not in ids:
            raise ValueError(f"{candidate!r} is not a candidate of conflict {conflict_id}")
        unknown = sorted(set(fields or {}) - set(merge_fields(c)))
        if action == "merge" and unknown:
            raise UsageError(
                f"conflict #{conflict_id} has no field {', '.join(map(repr, unknown))} to merge "
                f"(the fields: {', '.join(merge_fields(c))})"
            )
        resolution = {"action": action, "candidate": candidate, "fields": fields or {}}
        with self.store.write() as db:
            db.table("conflicts").update(
                conflict_id,
                {
                    "state": "ignored" if action == "ignore" else "resolved",
                    "resolution": json.dumps(resolution),
                    "resolved_at": utcnow(),
                    "resolved_by": current_actor()[0],
                },
            )
            if action in ("link", "merge"):
                if c.entity == "product" and c.source == "duell":
                    # Several DUELL products share an item number: the chosen one is the item.
                    duell_id, visma_id = str(candidate), str(c.incoming.get("product_number"))
                elif c.source == "visma":
                    duell_id, visma_id = str(candidate), c.incoming_id
                else:
                    duell_id, visma_id = c.incoming_id, str(candidate)
                db.table("entity_links").upsert(
                    {
                        "department_id": c.department_id,
                        "entity": c.entity,
                        "duell_id": duell_id,
                        "visma_id": visma_id,
                        "updated_at": utcnow(),
                    },
                    pk=("department_id", "entity", "duell_id"),
                )
        record(
            self.store,
            f"conflict.{action}",
            department_id=c.department_id,
            target=f"{c.entity} {c.incoming_id}",
            before={"candidates": sorted(ids)},
            after=resolution,
        )
        return Conflict.from_row(
            self.store.query("SELECT * FROM conflicts WHERE id = ?", [conflict_id])[0]
        )
