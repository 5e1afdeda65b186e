"""Each day's sales to Visma as an inventory issue (with stock update on). An issue changes
stock only once it is released, so it is confirmed only then: until that, it stays `sent`, and
the next run finds it by its key and releases it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.errors import DataError
from core.eventlog import EventLog
from core.eventtext import msg
from core.http import TransientError
from core.i18n import N_
from core.ledger import Ledger, LedgerRow, State
from core.models import ZReport
from core.reasons import ITEMS_PARKED
from core.transfers.periods import Periods, requeue_open
from core.transfers.posting import (
    Document,
    Found,
    Kind,
    Known,
    Outcome,
    Unfinished,
    month_of,
    post_once,
    to_send,
)
from core.transfers.queued import forget_queued, note_queued, queued_release
from core.visma.client import VismaClient, action_done
from core.visma.errors import ActionFailedError, VismaError
from core.visma.models import IssueLineWrite, IssueWrite
from core.visma.wire import format_date


def stock_key(department_id: str, day: str) -> str:
    return f"DUELL-STOCK-{department_id}-{day}"


async def issue_keys(visma: VismaClient, since: str) -> dict[str, Found]:
    """The external references of the stock issues dated `since` or later (the list has no
    reference filter: `date` + `dateCondition` narrow it), each compared whole with a key, and
    whether each is released (only a released issue counts)."""
    keys: dict[str, Found] = {}
    async for issue in visma.list_issues(dated_from=date.fromisoformat(since)):
        if issue.external_reference:
            keys.setdefault(
                issue.external_reference,
                Found(issue.reference_number or "", finished=issue.status == "Released"),
            )
    return keys


# Why a stock issue, or a line of one, waits: the item is not in Visma (yet).
NOT_IN_VISMA = "not in Visma yet"


def parked_key(key: str) -> str:
    """The key of the supplementary issue holding a day's lines whose items Visma lacks."""
    return f"{key}-parked"


def left_out(ledger: Ledger, key: str) -> set[str]:
    """The items of the issue `key` that were parked on their own supplementary issue."""
    parked = ledger.get(parked_key(key))
    return set(parked.payload.get("items", {})) if parked else set()


def issue_write(
    key: str,
    day: str,
    items: dict[str, str],
    warehouse: str | None = None,
    branch: str | None = None,
    parked: set[str] | frozenset[str] = frozenset(),
) -> IssueWrite:
    """A day's stock issue as Visma gets it (released by duvi once posted: hold off). The
    warehouse is the department's setting; without one no warehouse is sent and each item's
    default warehouse applies (InventoryDto.defaultWarehouse, S11; that Visma fills it in is
    inferred). A fixed id such as "MAIN" exists only in companies that made it (B18). The
    branch ("Flere klienter") goes on the header and every line. A net return is a `Return`
    line of the quantity returned (InventoryIssueLineDto.transactionType: Issue, Return, …);
    an item netting to 0 moves no stock and is left out; so are `parked` items."""
    return IssueWrite(
        hold=False,
        date=format_date(date.fromisoformat(day)),
        external_reference=key,
        description=f"{key} Salg fra DUELL {day}",
        branch_number=branch,
        issue_lines=[
            IssueLineWrite(
                inventory_number=n,
                quantity=abs(Decimal(q)),
                warehouse_id=warehouse,
                tran_type="Issue" if Decimal(q) > 0 else "Return",
                branch_number=branch,
            )
            for n, q in items.items()
            if Decimal(q) != 0 and n not in parked
        ],
    )


class IssueDocument(Document):
    kind = Kind.STOCK
    already = N_("{key} was already in Visma as stock issue {number} ({why})")
    posted = N_("{key} posted as stock issue {number} and released")

    def __init__(self, stock: StockIssues, row: LedgerRow) -> None:
        self.row, self.stock = row, stock
        self.key, self.day, self.items = row.key, row.payload["date"], row.payload["items"]
        self.ledger, self.department_id = stock.ledger, row.department_id
        self.warehouse = stock.warehouse
        super().__init__(stock.known, month_of(date.fromisoformat(self.day)))
        self.visma, self.periods = stock.visma, stock.periods
        self.parked: set[str] = set()

    async def prepare(self) -> None:
        """A day whose financial period is closed in Visma's inventory management
        (closedInInventoryManagement) is held before anything is sent (periods.py). Lines
        whose item Visma lacks are parked on a supplementary issue of their own
        (`parked_key`), held until the items exist; the rest of the day goes now. An issue
        with nothing left to send (or a parked one) waits whole."""
        await self.periods.check_open(date.fromisoformat(self.day), "IN")
        self.parked = left_out(self.stock.ledger, self.key)
        moving = [n for n, q in self.items.items() if Decimal(q) != 0 and n not in self.parked]
        missing = [n for n in moving if not await self.stock.exists(n)]
        if not missing:
            return
        if "parked_from" in self.row.payload or len(missing) == len(moving):
            raise DataError(
                f"item {', '.join(missing)} {NOT_IN_VISMA}",
                "sync the products to Visma (or create the items); it is sent once they exist",
            )
        self.stock.ledger.register(
            parked_key(self.key),
            self.row.department_id,
            Kind.STOCK,
            self.day,
            {
                "date": self.day,
                "zreports": [],
                "items": {n: self.items[n] for n in missing},
                "parked_from": self.key,
            },
        )
        self.parked |= set(missing)
        self.flags.append(ITEMS_PARKED.format(items=", ".join(missing), key=parked_key(self.key)))

    async def post(self) -> str:
        return await self.visma.create_issue(
            issue_write(
                self.key, self.day, self.items, self.stock.warehouse, self.stock.branch, self.parked
            )
        )

    async def finish(self, number: str) -> None:
        """Release it. Only actionResult Done counts: Queued/InProcess leave it `sent` and
        are remembered (queued.py): the next runs read its status (a released one is
        confirmed without this call) and never send the release again; one still not
        released an hour on waits for a person. Failed raises ActionFailedError with Visma's
        errorInfo (the row waits for a person)."""
        queued = queued_release(self.ledger, self.department_id, self.key)
        if queued is not None:  # Visma holds it unreleased: its queued release is not done
            if queued.overdue():
                raise ActionFailedError(
                    f"{queued.said()} and has not released {number} since (Visma shows no "
                    "errorInfo for a queued release)",
                    f"open stock issue {number} in Visma: release it there (the next run "
                    "confirms it), or fix what stops it and resend it (`s` on the transfers "
                    "screen) to have duvi release it again",
                )
            raise Unfinished(f"{queued.said()}; not released yet (read again, never resent)")
        try:
            result = await self.visma.release_issue(number)
        except (VismaError, TransientError) as exc:
            # A release whose answer was lost is refused when tried again ("already
            # released"): Visma's record says which it is. Only the released issues of its
            # day on are read (status and date filters), not the whole listing again.
            released = await self.visma.find_issues_by_external_reference(
                self.key, dated_from=date.fromisoformat(self.day), status="Released"
            )
            if [i.reference_number for i in released] != [number]:
                raise Unfinished(f"not released: {exc.message}") from exc
            return
        if not action_done(result, f"release stock issue {number}"):
            note_queued(self.ledger, self.department_id, self.key, result)
            raise Unfinished(f"its release is {result.action_result} in Visma")


class StockIssues:
    """One department's stock issues: recorded from the Z-reports in the ledger, then sent."""

    def __init__(
        self,
        department_id: str,
        ledger: Ledger,
        visma: VismaClient,
        log: EventLog,
        periods: Periods,
        warehouse: str | None = None,
        branch: str | None = None,
    ):
        self.department_id = department_id
        self.periods = periods
        self.warehouse, self.branch = warehouse, branch
        self._items: dict[str, bool] = {}
        self.ledger = ledger
        self.visma = visma
        self.log = log
        self.known = Known(lambda since: issue_keys(visma, since), onwards=True)

    def register(self) -> int:
        """One stock issue per business date: the items sold on the day's Z-reports. A
        Z-report that arrives after its day's issue was recorded (a second till closing late,
        a Z-report DUELL lists the next morning) gets a supplementary issue, keyed by the day
        and -2, -3 …: a recorded issue is never changed, and no sale is left out of stock."""
        reports: dict[str, list[tuple[LedgerRow, ZReport]]] = {}
        for row in self.ledger.rows(self.department_id, kind=Kind.ZREPORT):
            z = ZReport.model_validate(row.payload)
            reports.setdefault(z.business_date.isoformat(), []).append((row, z))
        issued: dict[str, list[LedgerRow]] = {}
        for row in self.ledger.rows(self.department_id, kind=Kind.STOCK):
            if "parked_from" not in row.payload:  # parked lines are their day's issue's
                issued.setdefault(row.payload["date"], []).append(row)
        new = 0
        for day, day_reports in sorted(reports.items()):
            earlier = issued.get(day, [])
            covered = {k for row in earlier for k in _covers(row, [r for r, _ in day_reports])}
            fresh = [(r, z) for r, z in day_reports if r.key not in covered]
            items: dict[str, Decimal] = {}
            for _, z in fresh:
                for item in z.items_sold:
                    n = item.product_number
                    items[n] = items.get(n, Decimal(0)) + item.quantity
            if not items:
                continue
            key = stock_key(self.department_id, day)
            new += self.ledger.register(
                f"{key}-{len(earlier) + 1}" if earlier else key,
                self.department_id,
                Kind.STOCK,
                day,
                {
                    "date": day,
                    "zreports": sorted(r.key for r, _ in fresh),
                    "items": {n: str(q) for n, q in sorted(items.items())},
                },
            )
        return new

    async def exists(self, number: str) -> bool:
        """Whether Visma has the item (GET /v1/inventory/{number}), asked once a run."""
        if number not in self._items:
            try:
                await self.visma.get_item(number)
                self._items[number] = True
            except VismaError as exc:
                if exc.status != 404:
                    raise
                self._items[number] = False
        return self._items[number]

    async def requeue_items(self) -> None:
        """Issues (and parked lines) held for items Visma lacked go back to pending once
        every item exists: the run after the products are synced sends them."""
        held = self.ledger.rows(self.department_id, kind=Kind.STOCK, states=(State.ATTENTION,))
        for row in held:
            if NOT_IN_VISMA not in (row.last_error or ""):
                continue
            wanted = [n for n, q in row.payload["items"].items() if Decimal(q) != 0]
            if all([await self.exists(n) for n in wanted]) and self.ledger.retry(row.key):
                self.log.info(
                    msg(N_("{key}: its items are in Visma now; sent"), key=row.key),
                    department_id=self.department_id,
                    entity=Kind.STOCK,
                )

    async def transfer(self) -> list[Outcome]:
        await requeue_open(
            self.ledger,
            self.log,
            self.department_id,
            Kind.STOCK,
            self.periods,
            lambda row: date.fromisoformat(row.payload["date"]),
            "IN",
        )
        await self.requeue_items()
        outcomes: list[Outcome] = []
        done: set[str] = set()
        # A second round sends what the first parked (held at once while its item is absent).
        for _ in range(2):
            rows = [
                r for r in to_send(self.ledger, self.department_id, Kind.STOCK) if r.key not in done
            ]
            self.known.expect(month_of(date.fromisoformat(row.payload["date"])) for row in rows)
            for row in rows:
                done.add(row.key)
                doc = IssueDocument(self, row)
                outcomes.append(await post_once(self.ledger, self.log, row, doc))
        for o in outcomes:
            if o.state == State.CONFIRMED:  # a queued release is done: nothing to remember
                forget_queued(self.ledger, self.department_id, o.key)
        return outcomes


def _covers(stock: LedgerRow, day_reports: list[LedgerRow]) -> list[str]:
    """The Z-reports a recorded stock issue holds. Issues recorded before that was noted
    hold those of their day that were in the ledger when they were recorded."""
    if "zreports" in stock.payload:
        return list(stock.payload["zreports"])
    return [r.key for r in day_reports if r.created_at <= stock.created_at]
