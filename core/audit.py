"""The audit trail: who changed what, when, from where. Every changing action calls record()."""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from core.store import Store, utcnow


def current_actor() -> tuple[str, str | None]:
    """The local user, and the SSH client address when the session came in over SSH."""
    try:
        user = os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        user = f"uid:{os.getuid()}"
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    return user, (ssh[0] if ssh else None)


def record(
    store: Store,
    action: str,
    *,
    department_id: str | None = None,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    actor, ssh_client = current_actor()
    with store.write() as db:
        db.table("audit").insert(
            {
                "ts": utcnow(),
                "actor": actor,
                "ssh_client": ssh_client,
                "department_id": department_id,
                "action": action,
                "target": target,
                "before": json.dumps(before, default=str) if before is not None else None,
                "after": json.dumps(after, default=str) if after is not None else None,
            }
        )


def entries_since(
    store: Store, window: timedelta, department_id: str | None = None
) -> list[dict[str, Any]]:
    """The audit rows of the last `window` (of one department, if given), oldest first."""
    cutoff = datetime.now(UTC) - window
    # the store's timestamp form (store.utcnow), so the text comparison is a time comparison
    since = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sql, params = "SELECT * FROM audit WHERE ts >= ?", [since]
    if department_id:
        sql += " AND department_id = ?"
        params.append(department_id)
    return store.query(sql + " ORDER BY id", params)
