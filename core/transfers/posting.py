"""The never-twice protocol, once for every document kind.

Visma.net has no idempotency key, so each document carries its ledger key (in a journal's
description, with its short form in the lines; an invoice's or stock issue's external
reference), found again only whole, never as a prefix (Z 3 is not Z 30), and goes

    pending --(sent committed)--> sent --POST--> confirmed (with Visma's number)

Visma, not the ledger, is the last word on what was sent: before any POST (a first one, a
resend of a row in doubt, a retry of a failed one) the key is looked up in Visma, and a
document Visma holds is confirmed with Visma's number, never sent again. So a lost, replaced,
older or new database resends nothing Visma already has. The look-up is cheap: each kind reads
its keys a span at a time (a journal period; the invoices or stock issues dated from a month
on) into a key set, once per run (`Known`), so a month costs pages, not a request per document.
A refusal fails the row; a document that cannot be sent as it is waits for a person
(`attention`). `post_once` is the only place that does this; the kinds (zreports.py,
invoices.py, stock.py) say how to list, send and finish theirs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from core.accounting import held_for_mapping
from core.errors import DataError, DuviError
from core.eventlog import EventLog
from core.eventtext import msg
from core.failpoints import Failpoint, failpoint
from core.http import OutcomeUnknownError, TransientError, about
from core.i18n import N_
from core.ledger import Ledger, LedgerRow, State
from core.visma.errors import ActionFailedError, VismaError


class Kind(StrEnum):
    """A document kind: the ledger's `kind` column and the event log's entity."""

    ZREPORT = "zreport"
    INVOICE = "invoice"
    STOCK = "stock"


class PreflightError(DataError):
    """What Visma lacks for this department's documents: every problem at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "Visma.net is not ready for this department: " + "; ".join(problems),
            "create or activate what is missing in Visma, or fix the mapping; nothing was sent",
        )
        self.problems = problems


@dataclass
class Outcome:
    key: str
    state: State
    visma_number: str | None = None
    error: str | None = None
    flags: list[str] = field(default_factory=list)
    looked_up: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "state": str(self.state)}


@dataclass(frozen=True)
class Found:
    """Visma's record of a document, by its key."""

    number: str
    finished: bool = True  # False: in Visma, but not yet what makes it count (see finish)


class Unfinished(DataError):
    """The document is in Visma but does not count yet (a stock issue not released)."""


def month_of(day: date) -> str:
    """The span an invoice's or stock issue's key is listed in: its month's first day."""
    return day.replace(day=1).isoformat()


class Known:
    """The keys Visma holds for one document kind, read a span at a time and each span once
    per run. A span is a journal period ("202611"), or for lists that filter only on "dated
    from" (invoices, stock issues) the first day of a month ("2026-11-01"), whose listing then
    holds every later month too (`onwards`)."""

    def __init__(
        self, read: Callable[[str], Awaitable[dict[str, Found]]], *, onwards: bool = False
    ) -> None:
        self._read = read
        self.onwards = onwards
        self._spans: dict[str, dict[str, Found]] = {}
        self._floor: str | None = None
        self._posted: set[str] = set()  # sent in this run: its span is read again

    def expect(self, spans: Iterable[str]) -> None:
        """The spans this run asks about: an onwards listing starts at the earliest, so one
        listing serves them all."""
        if self.onwards:
            self._floor = min([*spans, *([self._floor] if self._floor else [])], default=None)

    async def find(self, key: str, span: str) -> Found | None:
        held = self._holding(span)
        if held is None or key in self._posted:
            start = min(span, self._floor) if self.onwards and self._floor else span
            held = self._spans[start] = await self._read(start)
            self._posted.discard(key)
        return held.get(key)

    def posted(self, key: str) -> None:
        """`key` was (or may have been) sent after its span was read."""
        self._posted.add(key)

    def _holding(self, span: str) -> dict[str, Found] | None:
        if not self.onwards:
            return self._spans.get(span)
        return next((held for start, held in self._spans.items() if start <= span), None)


class Document(ABC):
    """One document on its way to Visma: what `post_once` needs to know of its kind."""

    kind: ClassVar[Kind]
    # The log's sentences, with the key and Visma's number: a document found in Visma
    # ("{key} was already in Visma as batch {number} ({why})"), and what a POST did
    # ("{key} posted as batch {number} (on hold)"). N_-marked: said again in the language.
    already: ClassVar[str]
    posted: ClassVar[str]
    flags: list[str]  # what the log should warn about once it is posted

    def __init__(self, known: Known, span: str) -> None:
        self.flags = []
        self.known, self.span = known, span

    async def find(self, key: str) -> Found | None:
        """Visma's record carrying `key`, if there is one (from the run's key set)."""
        return await self.known.find(key, self.span)

    async def prepare(self) -> None:
        """What must exist before the POST (an invoice's customer). Runs only when the document
        is to be sent; a DuviError holds it for a person."""
        return None  # most kinds need nothing

    @abstractmethod
    async def post(self) -> str:
        """Send it; returns Visma's number."""

    async def finish(self, number: str) -> None:
        """What makes a posted document count, when posting alone does not (a stock issue's
        release). Raises Unfinished when it does not count yet."""
        return None  # most kinds count once posted


async def post_once(ledger: Ledger, log: EventLog, row: LedgerRow, doc: Document) -> Outcome:
    """Send one document the once: looked up in Visma first (whatever the ledger says), sent
    only when Visma does not hold it. Returns how this try ended: confirmed (with Visma's
    number), still sent (in doubt: looked up before any resend), failed (Visma refused it) or
    held (attention: it cannot be sent as it is)."""
    key = row.key
    # Before any POST, first or not: Visma may have it. Outside `about(key)`: the listing it
    # may read serves every key of its span, not this one's HTTP log.
    found = await doc.find(key)
    with about(key):
        if found is not None:
            return await _count(ledger, log, row, doc, found, looked_up=True)
        try:
            await doc.prepare()
        except DuviError as exc:
            return hold(ledger, log, row, doc.kind, exc)
        failpoint(Failpoint.BEFORE_SENT)
        if not ledger.mark_sent(row):  # another worker moved it since it was read
            return _moved(ledger, row)
        failpoint(Failpoint.BEFORE_POST)
        doc.known.posted(key)
        try:
            number = await doc.post()
        except (OutcomeUnknownError, TransientError) as exc:
            ledger.note_doubt(key, exc.message)
            log.warning(
                msg(
                    N_("{key}: {message}; it is looked up before any resend"),
                    key=key,
                    message=exc.message,
                ),
                department_id=row.department_id,
                entity=doc.kind,
            )
            return Outcome(key, State.SENT, error=exc.message, flags=doc.flags)
        except VismaError as exc:
            ledger.fail(key, str(exc))
            log.error(
                msg(N_("{key} refused by Visma: {message}"), key=key, message=exc.message),
                department_id=row.department_id,
                entity=doc.kind,
                data={"visma_id": exc.visma_id},
            )
            return Outcome(key, State.FAILED, error=exc.message, flags=doc.flags)
        failpoint(Failpoint.AFTER_POST)
        return await _count(ledger, log, row, doc, Found(number, finished=False))


async def _count(
    ledger: Ledger,
    log: EventLog,
    row: LedgerRow,
    doc: Document,
    found: Found,
    *,
    looked_up: bool = False,
) -> Outcome:
    """Finish a document Visma holds, then confirm it with Visma's number."""
    key, number = row.key, found.number
    where: dict[str, Any] = {"department_id": row.department_id, "entity": doc.kind}
    if not found.finished:
        try:
            await doc.finish(number)
        except Unfinished as exc:
            ledger.note_doubt(key, f"in Visma as {number}, {exc.message}")
            log.error(
                msg(
                    N_("{key} is in Visma as {number} but {message}; the next run finishes it"),
                    key=key,
                    number=number,
                    message=exc.message,
                ),
                **where,
            )
            return Outcome(key, State.SENT, number, error=exc.message, flags=doc.flags)
        except ActionFailedError as exc:
            # Visma tried and failed (actionResult Failed): its errorInfo is for a person.
            return hold(ledger, log, row, doc.kind, exc)
    ledger.confirm(key, number)
    # After the commit that ends the doubt. For a stock issue that is the confirm after its
    # release (it counts only once released), so a kill here leaves nothing to look up; the
    # kill between its POST and its release is after-post's: Visma holds an unreleased issue
    # the ledger calls sent, and the restart finds it by its key and releases it.
    failpoint(Failpoint.AFTER_COMMIT)
    if looked_up:
        why = (
            msg(N_("found after doubt"))
            if row.attempts
            else msg(N_("found before sending: not sent again"))
        )
        log.info(msg(doc.already, key=key, number=number, why=why), **where)
    else:
        for flag in doc.flags:
            log.warning(msg(N_("{key}: {flag}"), key=key, flag=flag), **where)
        log.info(msg(doc.posted, key=key, number=number), **where)
    return Outcome(key, State.CONFIRMED, number, flags=doc.flags, looked_up=looked_up)


def hold(ledger: Ledger, log: EventLog, row: LedgerRow, kind: Kind, why: DuviError) -> Outcome:
    """A document that cannot be sent as it is waits for a person (nothing was sent)."""
    ledger.attention(row.key, str(why))
    log.error(
        msg(N_("{key}: {message}"), key=row.key, message=why.message),
        department_id=row.department_id,
        entity=kind,
        data={"remedy": why.remedy} if why.remedy else None,
    )
    return Outcome(row.key, State.ATTENTION, error=why.message)


def retry_held(
    ledger: Ledger, department_id: str, kind: Kind, *, keep: Collection[str] = ()
) -> None:
    """Failed and held documents go back to pending (their cause is fixed); not those in
    `keep` (held in this very run: no person has seen them yet)."""
    for row in ledger.rows(department_id, kind=kind, states=(State.FAILED, State.ATTENTION)):
        if row.key not in keep:
            ledger.retry(row.key)


def requeue_fixed(
    ledger: Ledger,
    log: EventLog,
    department_id: str,
    kind: Kind,
    fixed: Callable[[LedgerRow], bool],
    *,
    held: Callable[[str | None], bool] = held_for_mapping,
    said: str = N_("{key}: its mapping is complete now; sent again"),
) -> int:
    """Documents held for a missing VAT or account mapping (or what `held` reads in their
    reason) go back to pending once `fixed` says their mapping is complete: every run checks
    them, so the run after the fix sends them without a person's retry (the rest stays held,
    and is not logged again)."""
    requeued = 0
    for row in ledger.rows(department_id, kind=kind, states=(State.ATTENTION,)):
        if held(row.last_error) and fixed(row) and ledger.retry(row.key):
            log.info(
                msg(said, key=row.key),
                department_id=department_id,
                entity=kind,
            )
            requeued += 1
    return requeued


def to_send(ledger: Ledger, department_id: str, kind: Kind) -> list[LedgerRow]:
    """Pending documents, and sent ones in doubt (post_once looks those up first)."""
    return ledger.rows(department_id, kind=kind, states=(State.PENDING, State.SENT))


def _moved(ledger: Ledger, row: LedgerRow) -> Outcome:
    """The row is no longer as this run read it: nothing is sent; say where it is now."""
    now = ledger.get(row.key) or row
    return Outcome(row.key, now.state, now.visma_number, error=now.last_error)
