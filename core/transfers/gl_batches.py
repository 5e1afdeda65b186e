"""One runner round's GL listings, shared by the departments of a company.

Before posting a Z-report a department reads its company's GL batches of the period (the
double-posting guard: the Z-report's key, another integration's batch of the day). That
listing holds every department's batches of the company, so read per department a round
reads Σ n_c² batches (README: A runner round at scale). The round therefore keeps one listing
per (Visma service, integration client, company, period), made by the first department that
asks; it lives as long as the round (Runner.run_once makes it) and never answers alone.

Freshness: each later look-up sees everything a full listing started at its moment would.
It asks Visma for the period's GL batches changed since the cached listing began (minus
MARGIN) and merges them in: a batch read again replaces its older copy, a new one is added.
So a batch posted after the listing (by another department of the round, another process,
a person or another integration) is found all the same.

The time of the delta is Visma's own: the newest `lastModifiedDateTime` the full listing
read, less how long the listing took (our monotonic clock: a duration, no wall time), less
MARGIN; after each delta, the same of the delta's newest stamp when that is later (the
listing is whole as of the delta's start). Every batch the listing missed was stamped after
the listing began on Visma's clock, and the listing began no earlier than its newest stamp
less its duration; echoing Visma's stamp back in its own form needs no agreement between
our clock and Visma's. MARGIN (inferred) is 5 minutes for a stamp written before its commit
became visible and skew between Visma's servers, and 2 hours more because Visma writes its
times without a zone (the sandbox Oslo's wall time) and documents neither the zone of its
stamps nor that of the filter: were it to write Norway's time and read the filter as UTC,
its own stamp echoed back would ask from 1 to 2 hours later than meant, and a batch of that
gap would be missed (the other way round asks from earlier: only more is read). The cost is
a delta that reads the batches of the last two hours again (a day's Z-reports come in the
evening: at most the company's day), not the month's.
A listing without a readable stamp (an empty period, a stamp with a zone) is not kept: the
next look-up lists the whole period again (an empty period is one request either way).

The journal list's delta filter is `lastModifiedDateTime` alone, "modified since that time,
up to the present": /v2/journaltransaction declares no `lastModifiedDateTimeCondition`
(Visma's OpenAPI as Pionect/visma-php-sdk and CaesarDev/visma-erp-client generated it;
findings T9), unlike the other lists, whose pair client._delta sends.

What stays stale for the round: a batch deleted, or moved to another period, after the
listing is still held (its key still found). That is the direction of not posting, never of
posting twice; the next round lists afresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.transfers.foreign import maybe_foreign
from core.transfers.posting import Found
from core.visma.client import VismaClient, description_key
from core.visma.models import JournalTransaction

# Inferred: commit lag and skew between Visma's servers (5 min); Norway's offset from UTC,
# were Visma's stamps and its filter in different zones (2 h). See the module's docstring.
MARGIN = timedelta(hours=2, minutes=5)
LINE = "line:"  # a line reference among the keys, apart from description keys


def add_keys(keys: dict[str, Found], batch: JournalTransaction) -> None:
    """A batch's keys into `keys` (the first batch of a key keeps it): its description key,
    and under LINE each reference its lines carry."""
    found = Found(batch.batch_number or "")
    if key := description_key(batch):
        keys.setdefault(key, found)
    for ln in batch.journal_transaction_lines:
        if ln.reference_number:
            keys.setdefault(LINE + ln.reference_number, found)


def stamp(batch: JournalTransaction) -> datetime | None:
    """The batch's lastModifiedDateTime, if it is Visma's zone-less form."""
    return stamp_of(batch.last_modified_date_time)


def stamp_of(text: str | None) -> datetime | None:
    """A lastModifiedDateTime, if it is Visma's zone-less form."""
    try:
        when = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return when if when.tzinfo is None else None


def since_text(when: datetime) -> str:
    """A lastModifiedDateTime filter value (yyyy-MM-ddTHH:mm:ss.FFF), rounded down."""
    return when.isoformat(timespec="milliseconds")


async def read_batches(
    visma: VismaClient,
    period: str,
    modified_since: str | None = None,
    skip: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, JournalTransaction]:
    """The period's GL batches (those changed since `modified_since`, when given) by number,
    in the order listed. A batch listed in two parts apart (list_journals stitches only
    consecutive ones) is one, with the lines of both. `skip`: list_journals'."""
    read: dict[str, JournalTransaction] = {}
    async for b in visma.list_journals(
        period=period, module="GL", modified_since=modified_since, skip=skip
    ):
        number = b.batch_number or f"#{id(b)}"  # a batch without a number is its own
        held = read.get(number)
        if held is None:
            read[number] = b
            continue
        known = {ln.line_number for ln in held.journal_transaction_lines}
        held.journal_transaction_lines += [
            ln for ln in b.journal_transaction_lines if ln.line_number not in known
        ]
    return read


Marks = tuple[str, tuple[str, ...]]  # a batch's number (as Found gives it) and its keys


def marks(batch: JournalTransaction) -> Marks:
    """What of a batch the key set is made of: its number and its keys, in order."""
    keys: dict[str, Found] = {}
    add_keys(keys, batch)
    return (batch.batch_number or "", tuple(keys))


@dataclass
class Listing:
    """One company's GL batches of one period, as the round knows them: each batch's keys
    (not the batch: a round holds every company's period, and a batch read into models
    costs some 20 kB), and whole only the batches that may be another integration's (the
    guard reads their lines; few)."""

    since: str  # the delta's lastModifiedDateTime (Visma's clock)
    marks: dict[str, Marks] = field(default_factory=dict)  # by number, in the order listed
    # Each batch's lastModifiedDateTime as listed: a batch a delta lists again with the
    # same stamp has not changed (a change moves it, as the delta itself relies on) and is
    # not read again (`unchanged`).
    stamps: dict[str, str] = field(default_factory=dict)
    keys: dict[str, Found] = field(default_factory=dict)
    others: dict[str, JournalTransaction] = field(default_factory=dict)  # maybe another's

    def merge(self, changed: dict[str, JournalTransaction]) -> None:
        """Batches read (again) into the listing: a batch read again replaces its older copy,
        a new one is added. When a copy's keys changed (a description or line reference
        edited), the key set is made anew from every batch, as a full listing would."""
        moved = reorder = False
        new: list[Marks] = []
        for number, b in changed.items():
            m, old = marks(b), self.marks.get(number)
            self.marks[number] = m
            if b.last_modified_date_time:
                self.stamps[number] = b.last_modified_date_time
            else:
                self.stamps.pop(number, None)
            if old is None:
                new.append(m)
            elif old != m:
                moved = True
            if maybe_foreign(b):
                reorder = reorder or (old is not None and number not in self.others)
                self.others[number] = b
            else:
                self.others.pop(number, None)
        if reorder:  # in the order listed, as a full listing gives them
            self.others = {n: self.others[n] for n in self.marks if n in self.others}
        if moved:
            self.keys.clear()
            new = list(self.marks.values())
        for found, keys in new:
            for key in keys:
                self.keys.setdefault(key, Found(found))

    def unchanged(self, raw: dict[str, Any]) -> str | None:
        """The stamp of a listed batch (JSON, as Visma lists it) this listing holds with the
        same number and lastModifiedDateTime; None when it is new or changed. A round's
        departments of one company each read its batches of the last MARGIN again (the
        round's own among them): read into models every time, they cost the runner CPU that
        grew with the company's departments (README: A runner round at scale)."""
        number, when = raw.get("batchNumber"), raw.get("lastModifiedDateTime")
        if isinstance(number, str) and isinstance(when, str) and when:
            return when if self.stamps.get(number) == when else None
        return None


@dataclass(frozen=True)
class Read:
    """What a department's look-up gets: the period's keys and the batches the
    double-posting guard looks at (those that may be another integration's)."""

    keys: dict[str, Found]
    others: list[JournalTransaction]


class RoundListings:
    """The round's listings (see the module's docstring). One look-up of a (company,
    period) at a time: the first lists the period, each later one reads what changed."""

    def __init__(
        self, *, margin: timedelta = MARGIN, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.margin = margin
        self.clock = clock
        self._listings: dict[tuple[str, ...], Listing] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}

    async def read(self, visma: VismaClient, period: str) -> Read:
        key = (*visma.company, period)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            held = self._listings.get(key)
            again: list[str] = []  # the stamps of the batches listed again unchanged

            def skip(raw: dict[str, Any]) -> bool:
                when = held.unchanged(raw) if held is not None else None
                if when is not None:
                    again.append(when)
                return when is not None

            started = self.clock()
            batches = await read_batches(visma, period, held.since if held else None, skip)
            took = timedelta(seconds=max(0.0, self.clock() - started))
            newest = max(
                filter(None, [*map(stamp, batches.values()), *map(stamp_of, again)]),
                default=None,
            )
            since = since_text(newest - took - self.margin) if newest else ""
            if held is None:
                held = Listing(since)
                held.merge(batches)
                if newest is not None:
                    self._listings[key] = held
            else:
                held.merge(batches)
                # The listing is whole as of this read's start, no earlier than its newest
                # stamp less its duration: the next read asks from there (never from further
                # back than it would have).
                held.since = max(held.since, since)
            return Read(dict(held.keys), list(held.others.values()))
