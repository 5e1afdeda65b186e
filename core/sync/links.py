"""Entity links (DUELL id <-> Visma id) with the content hash of what was last written, so a
resync with nothing changed writes nothing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from core.store import Store, utcnow


def content_hash(fields: dict[str, Any]) -> str:
    raw = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Link:
    duell_id: str
    visma_id: str
    content_hash: str | None


class Links:
    def __init__(self, store: Store, department_id: str, entity: str) -> None:
        self.store = store
        self.department_id = department_id
        self.entity = entity

    def all(self) -> list[Link]:
        rows = self.store.query(
            "SELECT duell_id, visma_id, content_hash FROM entity_links "
            "WHERE department_id = ? AND entity = ?",
            [self.department_id, self.entity],
        )
        return [Link(r["duell_id"], r["visma_id"], r["content_hash"]) for r in rows]

    def intend(self, duell_id: str, name: str) -> None:
        """Note a create about to be sent (committed before it goes)."""
        with self.store.write() as db:
            db.table("create_intents").upsert(
                {
                    "department_id": self.department_id,
                    "entity": self.entity,
                    "duell_id": duell_id,
                    "name": name,
                    "started_at": utcnow(),
                },
                pk=("department_id", "entity", "duell_id"),
            )

    def intents(self) -> set[str]:
        """DUELL ids whose create was sent by a run that ended before it linked them."""
        rows = self.store.query(
            "SELECT duell_id FROM create_intents WHERE department_id = ? AND entity = ?",
            [self.department_id, self.entity],
        )
        return {r["duell_id"] for r in rows}

    def save_many(self, links: list[Link]) -> None:
        if not links:
            return
        now = utcnow()
        with self.store.write() as db:
            db.conn.executemany(
                "DELETE FROM create_intents WHERE department_id = ? AND entity = ? "
                "AND duell_id = ?",
                [(self.department_id, self.entity, lk.duell_id) for lk in links],
            )
            db.table("entity_links").upsert_all(
                [
                    {
                        "department_id": self.department_id,
                        "entity": self.entity,
                        "duell_id": lk.duell_id,
                        "visma_id": lk.visma_id,
                        "content_hash": lk.content_hash,
                        "updated_at": now,
                    }
                    for lk in links
                ],
                pk=("department_id", "entity", "duell_id"),
            )
