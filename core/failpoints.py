"""Failpoints: named places where a test can have the process killed (SIGKILL) on the n-th
pass, to prove that nothing is posted twice or lost whatever instant a crash hits.

DUVI_FAILPOINTS="after-post=3,before-post=1" kills the process the 3rd time it passes
"after-post". Unset (always, outside the crash tests), a failpoint is one dict lookup.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def _plan() -> dict[str, int]:
    spec = os.environ.get("DUVI_FAILPOINTS", "")
    plan = {}
    for part in spec.split(","):
        name, _, n = part.partition("=")
        if name.strip() and n.strip().isdigit():
            plan[name.strip()] = int(n)
    return plan


_PLAN = _plan()


def failpoint(name: str) -> None:
    if not _PLAN:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _PLAN.get(name) == _counts[name]:
        os.kill(os.getpid(), signal.SIGKILL)
