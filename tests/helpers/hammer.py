"""A process that uses the store the way a duvi process does, for the multi-process test.

Usage: hammer.py ROLE N  (ROLE: runner | console | cli). Prints 'ok <written>' or the error.
"""

from __future__ import annotations

import sys

from core.audit import record
from core.config import load_settings
from core.eventlog import Level, LogFilter
from core.runtime import Runtime
from core.store import utcnow


def main(role: str, n: int) -> None:
    with Runtime.open(load_settings()) as rt:
        rt.store.busy_seconds = 30
        for i in range(n):
            rt.log.emit(Level.INFO, f"{role} event {i}", department_id=role, entity="hammer")
            if i % 50 == 0:
                # small write transactions of the kind sync code makes
                with rt.store.write() as db:
                    db["sync_cursors"].upsert(
                        {
                            "department_id": role,
                            "entity": "x",
                            "cursor": str(i),
                            "updated_at": utcnow(),
                        },
                        pk=("department_id", "entity"),
                    )
                rt.store.heartbeat(role)
            if role == "console" and i % 20 == 0:
                rt.log.page(LogFilter(min_level=Level.WARNING), limit=100)
            if role == "cli" and i % 100 == 0:
                record(rt.store, "hammer", department_id=role, after={"i": i})
        rt.log.flush()
    print(f"ok {n}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
