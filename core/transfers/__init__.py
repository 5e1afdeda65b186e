"""Daily settlements, invoice bases and stock issues to Visma, exactly once.

Z-reports become v2 journal transactions on hold (zreports.py), invoice bases v2 customer
invoices on hold (invoices.py, with their customers from customers.py), each day's sales an
inventory issue (stock.py). All of them go through one protocol, `post_once` (posting.py):
registered in the ledger with their key before anything is sent, marked `sent` before the
POST, confirmed only with Visma's number, looked up in Visma after any doubt.
"""

from __future__ import annotations

import json

from core.accounting import Journal
from core.departments import Departments
from core.duell.client import DuellClient
from core.errors import DataError
from core.eventlog import EventLog
from core.eventtext import msg
from core.http import about
from core.i18n import N_
from core.ledger import Ledger, State
from core.models import Department, ZReport
from core.transfers.gl_batches import RoundListings
from core.transfers.invoices import Invoices, invoice_key
from core.transfers.periods import Periods
from core.transfers.posting import Kind, Outcome, PreflightError
from core.transfers.queued import forget_queued, note_queued, queued_release
from core.transfers.reference import References, VismaReference
from core.transfers.stock import StockIssues, stock_key
from core.transfers.zreports import ZReports, journal_write
from core.visma.client import VismaClient, action_done
from core.visma.errors import ActionFailedError

ZREPORT, INVOICE, STOCK = Kind.ZREPORT, Kind.INVOICE, Kind.STOCK

__all__ = [
    "INVOICE",
    "STOCK",
    "ZREPORT",
    "Kind",
    "Outcome",
    "PreflightError",
    "Settlements",
    "invoice_key",
    "journal_write",
    "stock_key",
]


class Settlements:
    """One department's transfers, with its clients."""

    def __init__(
        self,
        dept: Department,
        departments: Departments,
        ledger: Ledger,
        visma: VismaClient,
        log: EventLog,
        duell: DuellClient | None = None,
        listings: RoundListings | None = None,
    ) -> None:
        """`listings`: the runner round's GL listings (gl_batches.py), when in one."""
        self.dept = dept
        self.departments = departments
        self.ledger = ledger
        self.visma = visma
        self.duell = duell
        self.log = log
        self.references = References(visma)
        self.periods = Periods(visma)  # Visma's financial periods, read once per run
        self.zreports = ZReports(
            dept, departments, ledger, visma, log, self.references, self.periods, listings
        )
        self.invoices = Invoices(
            dept, departments, ledger, visma, log, self.references, self.periods
        )
        settings = dept.settings
        self.stock = StockIssues(
            dept.id,
            ledger,
            visma,
            log,
            self.periods,
            settings.warehouse,
            settings.branch_number if settings.several_clients else None,
        )

    def _duell(self) -> DuellClient:
        assert self.duell is not None, "fetching from DUELL needs the DUELL client"
        return self.duell

    # -- getting documents into the ledger --------------------------------------------------

    async def fetch_zreports(self) -> int:
        """New Z-reports from DUELL into the ledger (kept locally before anything else)."""
        return await self.zreports.fetch(self._duell())

    def register_zreport(self, z: ZReport) -> bool:
        return self.zreports.register([z], "DUELL") == 1

    async def fetch_invoices(self) -> int:
        return await self.invoices.fetch(self._duell())

    def register_stock(self) -> int:
        return self.stock.register()

    # -- preflight --------------------------------------------------------------------------

    async def reference(self) -> VismaReference:
        return await self.references.get()

    async def preflight(self, journals: list[Journal]) -> None:
        await self.zreports.preflight(journals)

    # -- sending ----------------------------------------------------------------------------

    async def transfer_zreports(self, *, retry_failed: bool = False) -> list[Outcome]:
        return await self.zreports.transfer(retry_failed=retry_failed)

    async def transfer_invoices(self, *, retry_failed: bool = False) -> list[Outcome]:
        return await self.invoices.transfer(retry_failed=retry_failed)

    async def transfer_stock(self) -> list[Outcome]:
        return await self.stock.transfer()

    # -- releasing (bokføre) ------------------------------------------------------------------

    async def release(self, key: str) -> str:
        row = self.ledger.get(key)
        if row is not None and row.state == State.RELEASED:
            raise DataError(
                f"{key} is already released in Visma ({row.visma_number})",
                "nothing to do: it is posted for good",
            )
        if row is None or row.state != State.CONFIRMED or not row.visma_number:
            raise DataError(f"{key} is not confirmed in Visma yet", "transfer it first")
        if row.kind == STOCK:
            raise DataError(
                f"{key} is a stock issue: it was released when it was transferred",
                "nothing to do; batches and invoices are the ones released by hand",
            )
        if row.kind not in (ZREPORT, INVOICE):  # never guess an endpoint: a release is for good
            raise DataError(
                f"{key} is a {row.kind!r} transfer, which duvi does not release",
                "batches (Z-reports) and invoices are the ones released by hand",
            )
        number = row.visma_number
        zreport = row.kind == ZREPORT
        read = self.visma.get_journal if zreport else self.visma.get_invoice
        with about(key):
            # Visma's own record first: an accountant may have released it in Visma, and a
            # second release gets a 400 whose remedy ("correct the data") is wrong here.
            status = (await read(number)).status
            queued = queued_release(self.ledger, self.dept.id, key)
            if status not in ("Hold", "Balanced") and queued is not None:
                # The release duvi sent was answered Queued/InProcess; Visma has done it.
                self.ledger.release(key)
                forget_queued(self.ledger, self.dept.id, key)
                self.log.info(
                    msg(
                        N_("{key} released in Visma ({number}; was {result})"),
                        key=key,
                        number=number,
                        result=queued.result,
                    ),
                    department_id=self.dept.id,
                    entity=row.kind,
                )
                return json.dumps(
                    {
                        "result": "Done",
                        "number": number,
                        "was": queued.result,
                        "state": f"released (was {queued.result.lower()})",
                    }
                )
            if status not in ("Hold", "Balanced"):
                self.ledger.release(key)
                raise DataError(
                    f"{key} is already released in Visma ({number}, status {status})",
                    "nothing to do: it is posted for good",
                )
            if queued is not None and not queued.overdue():
                # Never a second release on a Queued answer: Visma releases it by itself (an
                # hour on, a person's `duvi release` sends it again).
                self.log.info(
                    msg(
                        N_(
                            "{key}: Visma answered its release {result} at {at} UTC, action "
                            "{action}; Visma has not released {number} yet (not sent again)"
                        )
                        if queued.action_id
                        else N_(
                            "{key}: Visma answered its release {result} at {at} UTC; Visma has "
                            "not released {number} yet (not sent again)"
                        ),
                        key=key,
                        result=queued.result,
                        at=f"{queued.at:%Y-%m-%d %H:%M}",
                        action=queued.action_id,
                        number=number,
                    ),
                    department_id=self.dept.id,
                    entity=row.kind,
                )
                return json.dumps({"result": queued.result, "number": number, "sent": False})
            if status == "Hold":
                # On hold it "cannot be released or posted": clear Hold (-> Balanced), read it
                # again, then release (client._clear_hold names the sources).
                clear = self.visma.clear_journal_hold if zreport else self.visma.clear_invoice_hold
                await clear(number)
                status = (await read(number)).status
                if status != "Balanced":
                    raise DataError(
                        f"{key} is {status} in Visma after its hold was cleared ({number})",
                        "open it in Visma, make it Balanced (the totals), then release again",
                    )
            release = self.visma.release_journal if zreport else self.visma.release_invoice
            try:
                result = await release(number)
                done = action_done(result, f"release {key} ({number})")
            except ActionFailedError as exc:
                self.log.error(exc.message, department_id=self.dept.id, entity=row.kind)
                raise
        if not done:
            # Queued or InProcess: Visma releases it in the background. The ledger keeps it
            # confirmed and remembers the answer (queued.py); the next `duvi release` reads
            # Visma's status first and only records it (never a second release).
            note_queued(self.ledger, self.dept.id, key, result)
            self.log.info(
                msg(
                    N_(
                        "{key}: Visma answered the release with {result} ({number}); "
                        "`duvi release` again reads whether it is done"
                    ),
                    key=key,
                    result=result.action_result,
                    number=number,
                ),
                department_id=self.dept.id,
                entity=row.kind,
            )
            return json.dumps({"result": result.action_result, "number": number})
        self.ledger.release(key)
        forget_queued(self.ledger, self.dept.id, key)  # an overdue queued one, released now
        self.log.info(
            msg(N_("{key} released in Visma ({number})"), key=key, number=number),
            department_id=self.dept.id,
            entity=row.kind,
        )
        return json.dumps({"result": result.action_result, "number": number})
