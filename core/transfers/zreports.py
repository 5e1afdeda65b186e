"""Z-reports (daily settlements) to Visma as v2 journal transactions on hold: an open batch
the accountant releases. Kept in the ledger the moment they are fetched; sent only when every
account, VAT id and cost bearer they use exists in Visma (preflight)."""

from __future__ import annotations

from core.accounting import Journal, JournalRefused, build_journal, zreport_key
from core.departments import Departments
from core.duell.client import DuellClient
from core.eventlog import EventLog
from core.ledger import Ledger
from core.models import Department, ZReport
from core.transfers.posting import (
    Document,
    Found,
    Kind,
    Known,
    Outcome,
    PreflightError,
    post_once,
    requeue_fixed,
    retry_held,
    to_send,
)
from core.transfers.reference import References, VismaReference
from core.visma.client import VismaClient, journal_references
from core.visma.models import JournalLineWrite, JournalWrite, SegmentWrite
from core.visma.wire import format_date


def journal_write(j: Journal) -> JournalWrite:
    segments = [SegmentWrite(segment_id=s, segment_value=v) for s, v in j.subaccount] or None
    return JournalWrite(
        hold=True,
        transaction_date=format_date(j.business_date),
        financial_period=j.financial_period,
        description=j.description,
        branch=j.branch,
        journal_transaction_lines=[
            JournalLineWrite(
                line_number=i,
                account_number=ln.account,
                debit_amount_in_currency=ln.debit or None,
                credit_amount_in_currency=ln.credit or None,
                vat_id=ln.vat_id,
                transaction_description=ln.text,
                reference_number=j.key,
                subaccount=segments,
                branch=j.branch,
            )
            for i, ln in enumerate(j.lines, start=1)
        ],
    )


def preflight_problems(ref: VismaReference, journals: list[Journal]) -> list[str]:
    """Every account, VAT id and cost bearer the journals use that Visma lacks."""
    problems: list[str] = []
    for acc in sorted({ln.account for j in journals for ln in j.lines}):
        found = ref.accounts.get(acc)
        if found is None:
            problems.append(f"account {acc} does not exist in Visma")
        elif found.active is False:
            problems.append(f"account {acc} is inactive in Visma")
    for vat_id in sorted({ln.vat_id for j in journals for ln in j.lines if ln.vat_id}):
        if vat_id not in ref.vat:
            problems.append(f"VAT id {vat_id} does not exist in Visma")
    for seg in sorted({s for j in journals for s in j.subaccount}):
        if seg not in ref.segments:
            problems.append(f"cost bearer {seg[1]} is not a value of SUBACCOUNT segment {seg[0]}")
    return problems


def period(z: ZReport) -> str:
    """A Z-report's journal's financial period (Journal.financial_period)."""
    return f"{z.business_date:%Y%m}"


async def journal_keys(visma: VismaClient, period: str) -> dict[str, Found]:
    """The Z-report keys of a period's GL batches (a key is in the description and lines)."""
    keys: dict[str, Found] = {}
    async for batch in visma.list_journals(period=period, module="GL"):
        for ref in journal_references(batch):
            keys.setdefault(ref, Found(batch.batch_number or ""))
    return keys


class JournalDocument(Document):
    kind = Kind.ZREPORT
    made = "batch {}"
    posted = "posted as batch {} (on hold)"

    def __init__(
        self, visma: VismaClient, known: Known, z: ZReport, built: Journal | JournalRefused
    ) -> None:
        """`built`: the Z-report's journal, or why it cannot be one (which holds it, once it
        has been looked up in Visma)."""
        super().__init__(known, period(z))
        self.visma = visma
        self.built = built
        if isinstance(built, Journal):
            self.flags = built.flags

    async def prepare(self) -> None:
        if isinstance(self.built, JournalRefused):
            raise self.built

    async def post(self) -> str:
        assert isinstance(self.built, Journal)
        return await self.visma.create_journal(journal_write(self.built))


class ZReports:
    """One department's Z-reports: from DUELL into the ledger, from the ledger to Visma."""

    def __init__(
        self,
        dept: Department,
        departments: Departments,
        ledger: Ledger,
        visma: VismaClient,
        log: EventLog,
        references: References,
    ) -> None:
        self.dept = dept
        self.departments = departments
        self.ledger = ledger
        self.visma = visma
        self.log = log
        self.references = references
        self.known = Known(lambda span: journal_keys(visma, span))

    async def fetch(self, duell: DuellClient) -> int:
        """New Z-reports from DUELL into the ledger (kept locally before anything else)."""
        cursor = int(self.ledger.cursor(self.dept.id, Kind.ZREPORT) or 0)
        new = 0
        async for z in duell.list_zreports(self.dept.id, after_z=cursor):
            new += self.register(z)
            cursor = max(cursor, z.z_number)
        self.ledger.set_cursor(self.dept.id, Kind.ZREPORT, str(cursor))
        return new

    def register(self, z: ZReport) -> bool:
        return self.ledger.register(
            zreport_key(self.dept.id, z.z_number),
            self.dept.id,
            Kind.ZREPORT,
            str(z.z_number),
            z.model_dump(mode="json"),
        )

    async def preflight(self, journals: list[Journal]) -> None:
        problems = preflight_problems(await self.references.get(), journals)
        if problems:
            raise PreflightError(problems)

    def _journal(self, z: ZReport) -> Journal | JournalRefused:
        vat_ids = {
            rate: m.visma_vat_id
            for rate, m in self.departments.vat_mappings(self.dept.id).items()
            if m.visma_vat_id
        }
        try:
            return build_journal(
                z, self.departments.account_map(self.dept.id), vat_ids, self.dept.settings
            )
        except JournalRefused as exc:
            return exc

    async def transfer(self, *, retry_failed: bool = False) -> list[Outcome]:
        """Every pending Z-report as a journal; none is sent unless preflight passes for all
        that can be built and Visma does not hold yet (one that cannot be built waits for a
        person, the others go on)."""
        if retry_failed:
            retry_held(self.ledger, self.dept.id, Kind.ZREPORT)
        else:
            requeue_fixed(
                self.ledger,
                self.log,
                self.dept.id,
                Kind.ZREPORT,
                lambda row: isinstance(self._journal(ZReport.model_validate(row.payload)), Journal),
            )
        rows = to_send(self.ledger, self.dept.id, Kind.ZREPORT)
        docs = []
        for row in rows:
            z = ZReport.model_validate(row.payload)
            docs.append(JournalDocument(self.visma, self.known, z, self._journal(z)))
        journals = [
            d.built
            for row, d in zip(rows, docs, strict=True)
            if isinstance(d.built, Journal) and await d.find(row.key) is None
        ]
        if journals:
            await self.preflight(journals)
        return [
            await post_once(self.ledger, self.log, row, doc)
            for row, doc in zip(rows, docs, strict=True)
        ]
