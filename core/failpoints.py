"""Failpoints: named places where a test can have the process killed (SIGKILL) on the n-th
pass, to prove that nothing is posted twice or lost whatever instant a crash hits.

DUVI_FAILPOINTS="after-post=3,before-post=1" kills the process the 3rd time it passes
"after-post". Unset (always, outside the crash tests), a failpoint is one set lookup. The names
are the members of `Failpoint`: an unknown name, in code or in DUVI_FAILPOINTS, is refused, so a
typo cannot quietly turn a crash test into a run without kills.
"""

from __future__ import annotations

import os
import signal
from enum import StrEnum

from core.errors import ConfigError


class Failpoint(StrEnum):
    # The four instants of sending a document (core/transfers/posting.py), on every kind.
    BEFORE_SENT = "before-sent"  # nothing recorded yet: the row is still pending
    BEFORE_POST = "before-post"  # `sent` committed, nothing sent
    AFTER_POST = "after-post"  # Visma has it, the ledger does not know
    AFTER_COMMIT = "after-commit"  # the ledger has Visma's number
    # Master data: Visma made the record, duvi has not linked it yet.
    PRODUCT_AFTER_CREATE = "product-after-create"
    CUSTOMER_AFTER_CREATE = "customer-after-create"


_KNOWN = frozenset(Failpoint)


def parse(spec: str) -> dict[Failpoint, int]:
    """DUVI_FAILPOINTS's value: `name=n` pairs separated by commas."""
    plan: dict[Failpoint, int] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, _, n = (s.strip() for s in part.partition("="))
        if name not in _KNOWN or not n.isdigit() or int(n) < 1:
            raise ConfigError(
                f"DUVI_FAILPOINTS: {part.strip()!r} is not a failpoint and a pass number",
                f"write name=n with n ≥ 1; the names are {', '.join(Failpoint)}",
            )
        plan[Failpoint(name)] = int(n)
    return plan


_PLAN = parse(os.environ.get("DUVI_FAILPOINTS", ""))
_counts: dict[Failpoint, int] = {}


def failpoint(name: Failpoint) -> None:
    if name not in _KNOWN:
        raise ValueError(f"{name!r} is not a failpoint (one of {', '.join(Failpoint)})")
    if not _PLAN:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _PLAN.get(name) == _counts[name]:
        os.kill(os.getpid(), signal.SIGKILL)
