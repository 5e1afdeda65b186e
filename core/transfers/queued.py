"""Releases Visma answered Queued or InProcess: Visma releases the document in the
background (B15: only actionResult Done means released), so the release is never sent again
on that answer. What is remembered (a ledger marker, ledger.RELEASE_QUEUED) is when and with
which action; the next run or `duvi release` reads the document's status in Visma instead:
released -> counted; still not released -> left alone; not released long after the answer ->
a person is asked, since Visma's record of a queued action's failure is not readable through
the API (the documents' DTOs carry no errorInfo; the actionId has no endpoint: inferred)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.ledger import RELEASE_QUEUED, Ledger
from core.store import utcnow
from core.visma.models import ActionResult

# How long a queued release may stay undone before a person is asked (inferred: Visma's
# background worker releases within minutes; an hour leaves room for a busy company).
RELEASE_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class QueuedRelease:
    at: datetime  # when Visma answered (UTC)
    result: str  # Queued or InProcess
    action_id: str

    def overdue(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) - self.at > RELEASE_WAIT

    def said(self) -> str:
        action = f", action {self.action_id}" if self.action_id else ""
        return f"Visma answered its release {self.result} at {self.at:%Y-%m-%d %H:%M} UTC{action}"


def note_queued(ledger: Ledger, department_id: str, key: str, result: ActionResult) -> None:
    value = f"{utcnow()} {result.action_result or 'Queued'} {result.action_id or ''}".strip()
    ledger.set_cursor(department_id, RELEASE_QUEUED + key, value)


def queued_release(ledger: Ledger, department_id: str, key: str) -> QueuedRelease | None:
    raw = ledger.cursor(department_id, RELEASE_QUEUED + key)
    if not raw:
        return None
    at, result, *action = raw.split(" ", 2)
    when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return QueuedRelease(when, result, action[0] if action else "")


def forget_queued(ledger: Ledger, department_id: str, key: str) -> None:
    ledger.drop_cursor(department_id, RELEASE_QUEUED + key)
