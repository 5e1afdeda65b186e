"""The async Visma.net ERP client: every operation duvi uses, one HttpService underneath.

Creates return the new record's number from the `Location` header (201). A create whose
outcome is in doubt raises OutcomeUnknownError; the transfer ledger resolves it by looking
the document up (find_invoices_by_external_reference, find_journals_by_reference, and the
dated lists the transfers read their keys from).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from core.bearer import HeldToken
from core.http import CallContext, HttpService, OutcomeUnknownError, json_body
from core.visma import wire
from core.visma.auth import TokenProvider, VismaCredentials
from core.visma.errors import (
    ActionFailedError,
    MalformedResponseError,
    VismaError,
    error_from_response,
)

if TYPE_CHECKING:
    from core.config import Settings
    from core.http import Pacer, RetryPolicy
    from core.httplog import HttpLog

from core.visma.models import (
    Account,
    ActionResult,
    Branch,
    CreditNoteWrite,
    CrossReference,
    CrossReferenceWrite,
    Customer,
    CustomerInvoice,
    CustomerWrite,
    Dimension,
    FinancialPeriod,
    InventoryIssue,
    InventoryItem,
    InventorySummary,
    InventoryWrite,
    InvoiceWrite,
    IssueWrite,
    ItemClass,
    JournalTransaction,
    JournalWrite,
    Subaccount,
    Vat,
    VatCategory,
    VatZone,
    Warehouse,
    WebhookFeedback,
)

M = TypeVar("M", bound=BaseModel)
# The server clamps pageSize to each endpoint's own maximum (docs.vismasoftware.no
# .../features/pagination; findings/2026-12-visma.md S4, T6). Documented: inventory 5,000 (release
# notes 2022-03-22, 2022-04-05), customerPayment 500 (2021-11-29). Every other list: 1,000,
# inferred (the ON-IT client's page size; Visma publishes no other maximum).
PAGE_SIZE_LIMITS = {"/v1/inventory": 5000, "/v1/customerPayment": 500}
DEFAULT_PAGE_SIZE_LIMIT = 1000
# Actions (release) are POSTed with an empty JSON object, as both reference clients do (ON-IT
# VismaNetWebClient posts "{}", Pionect's request a JSON body; findings S10, S13, B16). The spec
# marks the body optional; whether an empty one is accepted is not documented.
ACTION_BODY: dict[str, Any] = {}
# actionResult of an action: only Done means it happened (spec ReleaseCashTransaction-
# ActionResultActionResultEnum: Queued | InProcess | Failed | Done; findings B15).
ACTION_DONE = "Done"


def _seg(value: str) -> str:
    return wire.path_id(value)


def action_done(result: ActionResult, what: str) -> bool:
    """Whether an action Visma answered is done: True for Done, False while it is Queued or
    InProcess (read the document again later; never send the action twice on that answer).
    Failed raises ActionFailedError with Visma's errorInfo; an answer without a result counts
    as pending (inferred: the document's own status is the last word)."""
    if result.action_result == ACTION_DONE:
        return True
    if result.action_result == "Failed":
        why = result.error_info or "no errorInfo given"
        raise ActionFailedError(
            f"Visma.net could not {what}: {why}",
            "fix what Visma names in the document in Visma, then release it again",
        )
    return False


def description_key(batch: JournalTransaction) -> str:
    """The key a batch's description carries: its text up to the first space (duvi writes
    "<key> Dagsoppgjør <date>"), so DUELL-Z-1-3 is never the key of "DUELL-Z-1-30 …" nor of
    "DUELL-Z-1-3-K102 …"."""
    return (batch.description or "").split(" ", 1)[0]


def journal_matches(batch: JournalTransaction, key: str, line_reference: str | None) -> bool:
    """Whether `batch` is the one of `key`, exactly: its description starts with the key and a
    space (or is the key), or a line's reference equals the key's line reference."""
    refs = {ln.reference_number for ln in batch.journal_transaction_lines}
    return description_key(batch) == key or (line_reference is not None and line_reference in refs)


class VismaClient:
    def __init__(
        self,
        http: HttpService,
        tokens: TokenProvider,
        *,
        page_size: int = 1000,
        context: CallContext | None = None,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.page_size = page_size  # what duvi asks for, within each endpoint's limit
        self.context = context or CallContext()

    @property
    def company(self) -> tuple[str, str, str]:
        """Whose records this client reads: the service, the integration client and the
        company (tenant). Clients alike in these read the same company's documents."""
        creds = self.tokens.creds
        return (self.http.config.base_url, creds.client_id, creds.tenant_id)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.tokens.connect.aclose()

    async def __aenter__(self) -> VismaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- plumbing ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        repeatable: bool | None = None,
    ) -> httpx.Response:
        content = wire.dumps(body) if body is not None else None
        extra = dict(headers or {})
        if content is not None:
            extra["Content-Type"] = "application/json"
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            resp = await self.http.request(
                method,
                path,
                params=params,
                content=content,
                headers=extra,
                repeatable=repeatable,
                context=self.context,
            )
        except OutcomeUnknownError as exc:
            if exc.response is not None:
                err = error_from_response(exc.response)
                if err.is_application_error:
                    # Visma's application answered with a VismaId: it refused the
                    # document, so nothing was created.
                    raise err from None
            raise
        if resp.status_code >= 400:
            raise error_from_response(resp)
        return resp

    def _parse(self, resp: httpx.Response, model: type[M]) -> M:
        try:
            return model.model_validate(json_body(resp))
        except (ValueError, ValidationError, TypeError, RecursionError) as exc:
            raise self._malformed(resp, exc) from None

    def _parse_list(self, resp: httpx.Response) -> list[dict[str, Any]]:
        try:
            data = json_body(resp)
        except (ValueError, RecursionError) as exc:
            raise self._malformed(resp, exc) from None
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise self._malformed(resp, "expected a JSON array of objects")
        return data

    def _validate(self, resp: httpx.Response, model: type[M], raw: dict[str, Any]) -> M:
        try:
            return model.model_validate(raw)
        except (ValidationError, TypeError, ValueError) as exc:
            raise self._malformed(resp, exc) from None

    @staticmethod
    def _malformed(resp: httpx.Response, why: object) -> MalformedResponseError:
        text = str(why).splitlines()[0][:200]
        return MalformedResponseError(
            f"Visma.net sent a body duvi cannot read on {resp.request.method} "
            f"{resp.request.url.path}: {text}",
            "retry later; if it persists, the API changed: report it with `duvi support-bundle`",
            status=resp.status_code,
            path=resp.request.url.path,
        )

    async def _action(self, path: str) -> ActionResult:
        """POST an action; its answer says whether it is done (see action_done)."""
        resp = await self._call("POST", path, body=ACTION_BODY, repeatable=True)
        return self._parse(resp, ActionResult)

    async def _clear_hold(self, path: str) -> None:
        """A document on hold "cannot be released or posted" (spec JournalTransactionDto.hold,
        Visma's OpenAPI; help.visma.net AR302000: clear Hold -> Balanced, then Release;
        findings S11, S16, B14): PUT hold=false first. Only the hold flag is sent."""
        await self._call("PUT", path, body=wire.wrap({"hold": False}))

    async def _create(self, path: str, body: Any) -> str:
        """POST a new document; returns its number from the Location header."""
        resp = await self._call("POST", path, body=body)
        location = resp.headers.get("Location", "")
        number = wire.from_path_id(location.rstrip("/").rsplit("/", 1)[-1]) if location else ""
        if resp.status_code not in (200, 201) or not number:
            # It was accepted but we cannot tell which number it got: as good as unknown.
            raise OutcomeUnknownError(
                f"POST {path}: Visma answered {resp.status_code} without a Location header",
                "duvi looks the document up before sending it again",
                resp,
            )
        return number

    async def _pages(
        self, path: str, params: dict[str, Any], *, rows: Any = None
    ) -> AsyncIterator[tuple[httpx.Response, list[dict[str, Any]]]]:
        """Pages of a list endpoint. With `metadata` on the items: stops when `totalCount` is
        reached or a page is shorter than the size the server pages by. Without it (missing on
        some endpoints for periods: release notes 2021-02-16, 2023-11-21; findings S4, T6) a
        short page says nothing (the server may clamp below what was asked), so paging goes on
        until an empty page.

        `rows` counts what the server pages by (journal pages count lines, not batches).
        """
        count = rows or (lambda item: 1)
        size = min(self.page_size, PAGE_SIZE_LIMITS.get(path, DEFAULT_PAGE_SIZE_LIMIT))
        page, seen, previous = 1, 0, None
        while True:
            resp = await self._call(
                "GET", path, params={**params, "pageNumber": page, "pageSize": size}
            )
            items = self._parse_list(resp)
            if items and items == previous:
                # Paging on until an empty page must end: a server that answers every
                # pageNumber with the same page would loop for ever (inferred guard).
                raise self._malformed(resp, f"page {page} repeats page {page - 1}")
            yield resp, items
            if not items:
                return
            previous = items
            seen += sum(count(i) for i in items)
            meta = items[0].get("metadata")
            if isinstance(meta, dict):
                total = meta.get("totalCount")
                max_size = meta.get("maxPageSize")
                effective = (
                    min(size, max_size) if isinstance(max_size, int) and max_size > 0 else size
                )
                if isinstance(total, int) and seen >= total:
                    return
                if sum(count(i) for i in items) < effective:
                    return
            page += 1

    async def _list(
        self, path: str, model: type[M], params: dict[str, Any] | None = None
    ) -> AsyncIterator[M]:
        async for resp, items in self._pages(path, params or {}):
            for raw in items:
                yield self._validate(resp, model, raw)

    async def _get_list(
        self, path: str, model: type[M], params: dict[str, Any] | None = None
    ) -> list[M]:
        """Unpaged list endpoints (reference data)."""
        resp = await self._call("GET", path, params=params)
        return [self._validate(resp, model, raw) for raw in self._parse_list(resp)]

    @staticmethod
    def _delta(since: str | None, condition: str) -> dict[str, Any]:
        if since is None:
            return {}
        return {"lastModifiedDateTime": since, "lastModifiedDateTimeCondition": condition}

    # -- customers ------------------------------------------------------------------------

    def list_customers(
        self, *, modified_since: str | None = None, condition: str = ">=", **filters: Any
    ) -> AsyncIterator[Customer]:
        return self._list(
            "/v1/customer", Customer, {**filters, **self._delta(modified_since, condition)}
        )

    async def customer_pages(self) -> int | None:
        """How many pages reading every customer takes: the list's `metadata.totalCount` over
        the page size Visma grants (`maxPageSize`, at most ours), from one request for a page
        of one; None when Visma leaves the metadata out."""
        resp = await self._call("GET", "/v1/customer", params={"pageNumber": 1, "pageSize": 1})
        items = self._parse_list(resp)
        if not items:
            return 0
        meta = items[0].get("metadata")
        total = meta.get("totalCount") if isinstance(meta, dict) else None
        if not isinstance(total, int):
            return None
        granted = meta.get("maxPageSize") if isinstance(meta, dict) else None
        size = min(self.page_size, granted) if isinstance(granted, int) and granted > 0 else None
        return -(-total // (size or self.page_size))

    async def get_customer(self, number: str) -> Customer:
        return self._parse(await self._call("GET", f"/v1/customer/{_seg(number)}"), Customer)

    async def create_customer(self, customer: CustomerWrite) -> str:
        return await self._create("/v1/customer", wire.body(customer))

    async def update_customer(
        self, number: str, customer: CustomerWrite, *, etag: str | None = None
    ) -> None:
        headers = {"If-Match": etag} if etag else None
        await self._call(
            "PUT", f"/v1/customer/{_seg(number)}", body=wire.body(customer), headers=headers
        )

    # -- inventory ------------------------------------------------------------------------

    def list_items(
        self,
        *,
        modified_since: str | None = None,
        condition: str = ">=",
        cost_statistics: bool = False,
        cross_references: bool = False,
        **filters: Any,
    ) -> AsyncIterator[InventoryItem]:
        params = {**filters, **self._delta(modified_since, condition)}
        if cost_statistics:
            params["addCostPriceStatistics"] = "true"
        if cross_references:
            params["expandCrossReference"] = "true"
        return self._list("/v1/inventory", InventoryItem, params)

    async def get_item(self, number: str, *, cost_statistics: bool = False) -> InventoryItem:
        if cost_statistics:
            # The single-item GET takes no addCostPriceStatistics; the list filtered on the
            # number does.
            async for item in self.list_items(
                inventoryNumber=number, cost_statistics=True, cross_references=True
            ):
                return item
            raise VismaError(
                f"Visma.net 404 on /v1/inventory: inventory item '{number}' was not found",
                "the record does not exist in this company (check the number, or the company)",
                status=404,
            )
        resp = await self._call("GET", f"/v1/inventory/{_seg(number)}")
        return self._parse(resp, InventoryItem)

    async def create_item(self, item: InventoryWrite) -> str:
        return await self._create("/v1/inventory", wire.body(item))

    async def update_item(self, number: str, item: InventoryWrite) -> None:
        await self._call("PUT", f"/v1/inventory/{_seg(number)}", body=wire.body(item))

    async def list_cross_references(self, number: str) -> list[CrossReference]:
        return await self._get_list(f"/v1/inventory/{_seg(number)}/crossReferences", CrossReference)

    async def add_cross_reference(self, number: str, ref: CrossReferenceWrite) -> None:
        await self._call(
            "POST", f"/v1/inventory/{_seg(number)}/crossReferences", body=wire.body(ref)
        )

    async def inventory_summary(self, number: str) -> list[InventorySummary]:
        return await self._get_list(f"/v1/inventorysummary/{_seg(number)}", InventorySummary)

    # -- customer invoices ----------------------------------------------------------------

    async def create_invoice(self, invoice: InvoiceWrite) -> str:
        return await self._create("/v2/customerinvoice", wire.body(invoice))

    async def create_credit_note(self, note: CreditNoteWrite) -> str:
        """A customer credit note (v2, ScreenID AR301000; the body taken to be the invoice's,
        inferred). Listed apart: `list_invoices(credit_notes=True)`."""
        return await self._create("/v2/customerCreditNote", wire.body(note))

    async def get_invoice(self, number: str) -> CustomerInvoice:
        resp = await self._call("GET", f"/v1/customerinvoice/{_seg(number)}")
        return self._parse(resp, CustomerInvoice)

    def list_invoices(
        self,
        *,
        modified_since: str | None = None,
        condition: str = ">=",
        dated_from: date | None = None,
        credit_notes: bool = False,
        **filters: Any,
    ) -> AsyncIterator[CustomerInvoice]:
        """`dated_from`: invoices whose document date is that day or later. `credit_notes`:
        the credit notes instead (GET /v1/customerCreditNote, the same filters: inferred)."""
        params = {**filters, **self._delta(modified_since, condition)}
        if dated_from is not None:
            params |= {"documentDate": dated_from.isoformat(), "documentDateCondition": ">="}
        path = "/v1/customerCreditNote" if credit_notes else "/v1/customerinvoice"
        return self._list(path, CustomerInvoice, params)

    async def find_invoices_by_external_reference(self, reference: str) -> list[CustomerInvoice]:
        """Invoices whose external reference equals `reference`: Visma filters on it, and
        the answer is checked again here (a filter that matched a prefix or ignored the
        parameter would otherwise confirm another document)."""
        return [
            i
            async for i in self.list_invoices(externalReference=reference)
            if i.external_reference == reference
        ]

    async def release_invoice(self, number: str) -> ActionResult:
        return await self._action(f"/v1/customerinvoice/{_seg(number)}/action/release")

    async def clear_invoice_hold(self, number: str) -> None:
        await self._clear_hold(f"/v1/customerinvoice/{_seg(number)}")

    async def delete_invoice(self, number: str) -> None:
        await self._call("DELETE", f"/v1/customerinvoice/{_seg(number)}")

    # -- journal transactions (v2) ----------------------------------------------------------

    async def create_journal(self, journal: JournalWrite) -> str:
        return await self._create("/v2/journaltransaction", wire.body(journal))

    async def get_journal(self, number: str) -> JournalTransaction:
        resp = await self._call("GET", f"/v2/journaltransaction/{_seg(number)}")
        return self._parse(resp, JournalTransaction)

    async def list_journals(
        self,
        *,
        period: str | None = None,
        modified_since: str | None = None,
        module: str | None = None,
        skip: Callable[[dict[str, Any]], bool] | None = None,
        **filters: Any,
    ) -> AsyncIterator[JournalTransaction]:
        """Batches of a period (YYYYMM) or changed since a time; `module` ("GL", "AR", ...)
        leaves out the batches other modules made (an invoice's or a stock issue's release).
        `skip`: the batches (as listed: JSON) the caller holds already as they are, neither
        read into models nor yielded (core/transfers/gl_batches.py: a round's listing).

        Visma pages journal lists by *lines*, so one batch can be split over two pages:
        consecutive parts with the same batch number are stitched back together.
        """
        if period is None and modified_since is None:
            raise ValueError("Visma needs a period or lastModifiedDateTime to list journals")
        params: dict[str, Any] = {**filters, "periodId": period, "module": module}
        if modified_since is not None:
            params["lastModifiedDateTime"] = modified_since
        pending: JournalTransaction | None = None

        def lines(item: dict[str, Any]) -> int:
            return max(1, len(item.get("journalTransactionLines") or []))

        async for resp, items in self._pages("/v2/journaltransaction", params, rows=lines):
            for raw in items:
                if skip is not None and skip(raw):
                    continue
                part = self._validate(resp, JournalTransaction, raw)
                if pending is not None and part.batch_number == pending.batch_number:
                    known = {ln.line_number for ln in pending.journal_transaction_lines}
                    pending.journal_transaction_lines += [
                        ln for ln in part.journal_transaction_lines if ln.line_number not in known
                    ]
                    continue
                if pending is not None:
                    yield pending
                pending = part
        if pending is not None:
            yield pending

    async def find_journals_by_reference(
        self, reference: str, *, period: str, line_reference: str | None = None
    ) -> list[JournalTransaction]:
        """GL batches of `period` that carry `reference`, exactly (journal_matches: Z 3's key
        never finds Z 30's batch). `module=GL` and `periodId` narrow the listing on Visma's
        side, so the batches other modules made (invoices, stock issues) are never read."""
        return [
            batch
            async for batch in self.list_journals(period=period, module="GL")
            if journal_matches(batch, reference, line_reference)
        ]

    async def clear_journal_hold(self, number: str) -> None:
        await self._clear_hold(f"/v2/journaltransaction/{_seg(number)}")

    async def release_journal(self, number: str) -> ActionResult:
        return await self._action(f"/v2/journaltransaction/{_seg(number)}/action/release")

    # -- reference data -------------------------------------------------------------------

    async def list_vat(self) -> list[Vat]:
        return await self._get_list("/v1/vat", Vat)

    async def get_vat(self, vat_id: str) -> Vat:
        return self._parse(await self._call("GET", f"/v1/vat/{_seg(vat_id)}"), Vat)

    async def list_vat_categories(self) -> list[VatCategory]:
        return await self._get_list("/v1/vatCategory", VatCategory)

    async def get_vat_category(self, category_id: str) -> VatCategory:
        resp = await self._call("GET", f"/v1/vatCategory/{_seg(category_id)}")
        return self._parse(resp, VatCategory)

    async def list_vat_zones(self) -> list[VatZone]:
        return [z async for z in self._list("/v1/vatZone", VatZone)]

    async def list_accounts(self, *, active: bool | None = None) -> list[Account]:
        params = {"active": str(active).lower()} if active is not None else None
        return await self._get_list("/v1/account", Account, params)

    async def get_account(self, account: str) -> Account:
        return self._parse(await self._call("GET", f"/v1/account/{_seg(account)}"), Account)

    async def list_branches(self) -> list[Branch]:
        return await self._get_list("/v1/branch", Branch)

    async def get_branch(self, number: str) -> Branch:
        return self._parse(await self._call("GET", f"/v1/branch/{_seg(number)}"), Branch)

    async def list_financial_periods(self, *, after: str | None = None) -> list[FinancialPeriod]:
        """The company's financial periods, unpaged (GET /v1/financialPeriod takes only
        `greaterThanValue`, a year YYYY or period YYYYPP: Pionect SDK, findings S10)."""
        params = {"greaterThanValue": after} if after else None
        return await self._get_list("/v1/financialPeriod", FinancialPeriod, params)

    async def list_subaccounts(self) -> list[Subaccount]:
        return [s async for s in self._list("/v1/subaccount", Subaccount)]

    async def list_item_classes(self) -> list[ItemClass]:
        """The company's item classes: a new item must name one (S11: itemClass "Mandatory")."""
        return [c async for c in self._list("/v1/inventory/itemClass", ItemClass)]

    async def list_warehouses(self) -> list[Warehouse]:
        """The company's warehouses (GET /v1/warehouse, paged: S10 WarehouseGetAllRequest)."""
        return [w async for w in self._list("/v1/warehouse", Warehouse)]

    async def list_dimensions(self) -> list[str]:
        resp = await self._call("GET", "/v1/dimension")
        try:
            data = json_body(resp)
        except ValueError as exc:
            raise self._malformed(resp, exc) from None
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise self._malformed(resp, "expected a JSON array of dimension ids")
        return data

    async def get_dimension(self, dimension_id: str = "SUBACCOUNT") -> Dimension:
        resp = await self._call(
            "GET",
            f"/v1/dimension/{_seg(dimension_id)}",
            params={"expandSegmentsValues": "true"},
        )
        return self._parse(resp, Dimension)

    # -- inventory issues -----------------------------------------------------------------

    async def create_issue(self, issue: IssueWrite) -> str:
        return await self._create("/v1/inventoryissue", wire.body(issue))

    def list_issues(
        self,
        *,
        modified_since: str | None = None,
        condition: str = ">=",
        dated_from: date | None = None,
        **filters: Any,
    ) -> AsyncIterator[InventoryIssue]:
        """`dated_from`: issues dated that day or later (the list has no reference filter)."""
        params = {**filters, **self._delta(modified_since, condition)}
        if dated_from is not None:
            params |= {"date": dated_from.isoformat(), "dateCondition": ">="}
        return self._list("/v1/inventoryissue", InventoryIssue, params)

    async def find_issues_by_external_reference(
        self, reference: str, *, dated_from: date, status: str | None = None
    ) -> list[InventoryIssue]:
        """Issues whose external reference equals `reference`, among those dated `dated_from`
        or later (and of `status`, if given): the list has no reference filter, so the date
        and status filters narrow it and the reference is compared here, exactly."""
        return [
            i
            async for i in self.list_issues(dated_from=dated_from, status=status)
            if i.external_reference == reference
        ]

    async def release_issue(self, number: str) -> ActionResult:
        return await self._action(f"/v1/inventoryissue/{_seg(number)}/action/release")

    # -- webhooks -------------------------------------------------------------------------

    async def post_feedback(self, feedback: WebhookFeedback) -> None:
        # The feedback DTO is sent bare (no value wrappers), as the spec's README notes.
        await self._call(
            "POST",
            "/v1/webhooknotificationfeedback",
            body=feedback.model_dump(by_alias=True, exclude_none=True),
            repeatable=True,
        )


def open_visma(
    creds: VismaCredentials,
    *,
    visma_url: str,
    connect_url: str,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    http_log: HttpLog | None = None,
    context: CallContext | None = None,
    page_size: int = 1000,
    retry: RetryPolicy | None = None,
    held: HeldToken | None = None,
    pacer: Pacer | None = None,
) -> VismaClient:
    """A VismaClient with its own Visma and Connect services, configured from Settings.
    `held` keeps the token beyond this client (the runner's next round reuses it); `pacer`
    is the (client, tenant) budget's, shared with every client of it (core/connections.py)."""
    from dataclasses import replace

    from core.http import HttpService, Pacer, retry_policy, service_config
    from core.visma.auth import service_scopes

    creds = replace(creds, scopes=service_scopes(settings.visma_scopes))
    retry = retry or retry_policy(settings)
    connect = HttpService(
        service_config("connect", connect_url, settings, retry=retry),
        transport=transport,
        http_log=http_log,
    )
    tokens = TokenProvider(connect, creds, held=held, context=context)
    visma = HttpService(
        service_config(
            "visma", visma_url, settings, retry=retry, budget_per_hour=settings.visma_rate_budget
        ),
        transport=transport,
        http_log=http_log,
        pacer=pacer or Pacer(settings.visma_rate_budget),
        auth=tokens,
    )
    return VismaClient(visma, tokens, page_size=page_size, context=context)
