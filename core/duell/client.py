"""The async DUELL client. DUELL's warts, handled here once:
- `getaccesstokens` gives a bearer token for 72 hours (bound to the caller's IP); re-login
  once on 401/403 (an httpx auth flow, DuellLogin);
- every answer is `{status, ...}`, and `status: false` is a failure even with HTTP 200;
- list pages hold at most 100 rows whatever `length` asks: advance `start` by the rows
  received and stop on `total_count`;
- `product_number` is not unique: products are keyed on `product_id`;
- a blocked host gets an HTML captcha page.

Z-reports and invoice bases have no public DUELL endpoint (docs/duell-api.md A.1). They are
read from ASSUMED_ZREPORT_PATH and ASSUMED_INVOICE_BASIS_PATH, an assumption the sandbox
mirrors; a SAF-T Cash Register export (core/saft.py) is the documented way in.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationError

from core.bearer import BearerAuth, HeldToken
from core.duell.errors import (
    AUTH_CODES,
    BLOCKED_REMEDY,
    NOT_FOUND_REMEDY,
    DuellBlockedError,
    DuellError,
    DuellPartialError,
    remedy_for,
)
from core.http import CallContext, HttpService, json_body
from core.i18n import N_
from core.models import (
    ArticleGroup,
    CashMovement,
    Customer,
    InvoiceBasis,
    InvoiceLine,
    ItemSold,
    Payment,
    Product,
    VatSale,
    ZReport,
)
from core.redact import redactor

if TYPE_CHECKING:
    from core.config import Settings
    from core.http import Pacer, RetryPolicy
    from core.httplog import HttpLog

PAGE_CAP = 100  # DUELL returns at most this many rows per page
READ_ATTEMPTS = 3  # a read DUELL refused without a validation message
TOKEN_LIFETIME = 72 * 3600
ASSUMED_ZREPORT_PATH = "/settlement/zreport/list"  # ASSUMPTION: no public endpoint known
ASSUMED_INVOICE_BASIS_PATH = "/settlement/invoicebasis/list"  # ASSUMPTION, as above


class _Wire(BaseModel):
    # Real rows carry numbers as JSON strings ("129.00") and ids as numbers or strings; a
    # number where text belongs (a numeric product_number) is read as its text.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


def _blank_is_none(value: Any) -> Any:
    """DUELL sends "" for a number it does not have."""
    return None if isinstance(value, str) and not value.strip() else value


# A number DUELL may send as a string, or as "" for none (money stays Decimal).
Number = Annotated[Decimal, BeforeValidator(_blank_is_none)]
MaybeNumber = Annotated[Decimal | None, BeforeValidator(_blank_is_none)]


SET_ASIDE = "duell.set_aside"  # warning_states kind: the rows set aside now
SET_ASIDE_ENTITY = {"/product/list": "products", "/customer/list": "customers"}
SET_ASIDE_REMEDY = N_(
    "correct the row in DUELL Admin (a number where a number belongs, a price, a VAT rate); "
    "the next sync reads it"
)


@dataclass(frozen=True)
class SetAside:
    """A row of a DUELL listing duvi cannot read: left out, the rest of the listing goes on,
    and the event log and doctor name it."""

    path: str
    row: str  # how DUELL names the row: "product_id 17 (product_number 10-10017)"
    problem: str


class DuellDepartment(_Wire):
    department_id: int
    department_name: str
    api_token: str | None = None
    city: str | None = None


class DuellProduct(_Wire):
    product_id: int
    product_number: str
    product_name: str | None = None
    barcode: str | None = None
    vatrate_percent: Number
    price_inc_vat: Number = Decimal(0)
    cost_price: MaybeNumber = None
    category_name: str | None = None
    is_deleted: bool | int = False

    def to_product(self) -> Product:
        return Product(
            product_id=self.product_id,
            product_number=self.product_number,
            name=self.product_name or self.product_number,
            barcode=self.barcode or None,
            vat_rate=self.vatrate_percent,
            price_inc_vat=self.price_inc_vat,
            cost_price=self.cost_price,
            category=self.category_name,
        )


class DuellCustomer(_Wire):
    customer_id: int
    customer_name: str
    org_number: str | None = None
    phone: str | None = None
    email: str | None = None
    primary_address: str | None = None
    primary_zip: str | None = None
    city: str | None = None

    def to_customer(self) -> Customer:
        return Customer(
            customer_id=self.customer_id,
            name=self.customer_name,
            org_no=self.org_number or None,
            phone=self.phone or None,
            email=self.email or None,
            address=self.primary_address,
            zip=self.primary_zip,
            city=self.city,
        )


class StockRow(_Wire):
    product_id: int
    product_number: str
    stock: Number


_W = TypeVar("_W", bound=_Wire)
_ROW_IDS = ("product_id", "product_number", "customer_id", "customer_name")


def _problem(exc: Exception) -> str:
    """One line: which field and what is wrong with it."""
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the row"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{where}: {first['msg']} (got {first.get('input')!r:.40}){more}"
    return f"{type(exc).__name__}: {str(exc)[:80]}"


def _row_name(raw: Any, model: type[_Wire]) -> str:
    """The row as DUELL names it (its id and number, as sent), for the log and doctor."""
    if not isinstance(raw, dict):
        return f"a {model.__name__} row that is not an object"
    named = [f"{k} {str(raw[k])[:40]}" for k in _ROW_IDS if raw.get(k) not in (None, "")]
    return " ".join(named[:2]) or f"a {model.__name__} row without an id"


def _token_expiry(token: str) -> float:
    """Seconds from now until the JWT's `exp`; 72 h when the token is not a readable JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return max(0.0, float(claims["exp"]) - time.time())
    except (IndexError, ValueError, KeyError, TypeError):
        return TOKEN_LIFETIME


WAF_HEADER = "x-amzn-waf-action"  # AWS WAF: "captcha" (HTTP 405) or "challenge" (HTTP 202)


def as_int(value: Any) -> int | None:
    """A whole number DUELL sent as a number or as a string of one; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def body_code(data: Any) -> int | None:
    """The envelope's `code` (an int, or a string of one), if any."""
    return as_int(data.get("code")) if isinstance(data, dict) else None


def refused_token(resp: httpx.Response) -> bool:
    """DUELL refused the access token: HTTP 401/403 with a JSON body, or `status: false` with
    `code` 401/403 under any status (HTTP 200 included), as DUELL's own plugin tests it.
    Never the WAF's block, which no login gets past."""
    if resp.headers.get(WAF_HEADER) or resp.content.lstrip()[:1] == b"<":
        return False
    if resp.status_code in AUTH_CODES:
        return True
    try:
        data = json_body(resp)
    except ValueError:
        return False
    return (
        isinstance(data, dict) and data.get("status") is not True and body_code(data) in AUTH_CODES
    )


def _blocked(resp: httpx.Response, path: str) -> DuellError | None:
    """AWS WAF's answer, told apart from DUELL's: the `x-amzn-waf-action` header (a CAPTCHA
    is HTTP 405, a Challenge 202; the HTML page comes only for `Accept: text/html`), or an HTML
    page. An HTML 404 is an endpoint DUELL does not have, not a block."""
    action = resp.headers.get(WAF_HEADER)
    if action:
        return DuellBlockedError(
            f"DUELL's firewall (AWS WAF) stopped {path} with a {action} (HTTP {resp.status_code})",
            BLOCKED_REMEDY,
            status=resp.status_code,
            path=path,
        )
    if resp.content.lstrip()[:1] != b"<":
        return None
    if resp.status_code == 404:
        return DuellError(
            f"DUELL has no endpoint {path} (HTTP 404, an HTML page)",
            NOT_FOUND_REMEDY,
            status=404,
            path=path,
        )
    return DuellBlockedError(
        f"DUELL answered {path} with an HTML page (HTTP {resp.status_code})",
        BLOCKED_REMEDY,
        status=resp.status_code,
        path=path,
    )


def envelope(resp: httpx.Response) -> dict[str, Any]:
    """The answer's object; DUELL's firewall, an empty or unreadable body and `status: false`
    (even with HTTP 200) are DuellErrors, and `status: true` beside a validation message is a
    DuellPartialError (part of a write was refused)."""
    path = resp.request.url.path
    blocked = _blocked(resp, path)
    if blocked is not None:
        raise blocked
    if not resp.content.strip():
        raise DuellError(
            f"DUELL sent an empty answer to {path} (HTTP {resp.status_code})",
            "DUELL is temporarily unavailable: duvi tries again on the next run",
            status=resp.status_code,
            path=path,
        )
    try:
        data = json_body(resp)
    except (ValueError, RecursionError):
        raise DuellError(
            f"DUELL sent a body duvi cannot read on {path}",
            "retry later; if it persists, report it with `duvi support-bundle`",
            status=resp.status_code,
            path=path,
        ) from None
    if not isinstance(data, dict):
        raise DuellError(
            f"DUELL sent a body duvi cannot read on {path}: not an object",
            "retry later; if it persists, report it with `duvi support-bundle`",
            status=resp.status_code,
            path=path,
        )
    validation = data.get("validation_message")
    code = body_code(data)
    if data.get("status") is not True:
        message = str(data.get("message") or f"HTTP {resp.status_code}")
        detail = f": {validation}" if validation else ""
        said = f" (code {code})" if code is not None else ""
        raise DuellError(
            f"DUELL refused {path}: {message}{detail}{said}",
            remedy_for(resp.status_code, validation, code),
            status=resp.status_code,
            validation=str(validation or "") or None,
            path=path,
            code=code,
        )
    if validation:
        raise DuellPartialError(
            f"DUELL did only part of {path}: {validation}",
            "correct the rows DUELL names and send again (the rest was saved: the next sync "
            "finds it before saving again)",
            status=resp.status_code,
            validation=str(validation),
            path=path,
            code=code,
        )
    return data


class DuellLogin(BearerAuth):
    """DUELL's auth flow: a `getaccesstokens` login (its own HttpService, so that a login
    never waits for a connection slot held by the request that needs it), a bearer token for
    its lifetime, and one new login when DUELL refuses it (HTTP 401/403, or `code` 401/403 in
    the body under HTTP 200, but not its firewall, which no login gets past); refused again,
    the call fails with the credentials' remedy."""

    def __init__(
        self,
        service: HttpService,
        client_number: str,
        client_token: SecretStr,
        *,
        held: HeldToken | None = None,
        context: CallContext | None = None,
    ) -> None:
        super().__init__(held)
        self.service = service
        self.client_number = client_number
        self.client_token = client_token
        self.context = context
        self.logins = 0
        redactor.add(client_token.get_secret_value())

    def refused(self, response: httpx.Response) -> bool:
        return refused_token(response)

    async def fetch(self) -> tuple[str, float]:
        resp = await self.service.request(
            "POST",
            "/getaccesstokens",
            form={
                "client_number": self.client_number,
                "client_token": self.client_token.get_secret_value(),
            },
            repeatable=True,
            context=self.context,
        )
        data = envelope(resp)
        token = data.get("token")
        if not isinstance(token, str) or len(token) <= 30:  # as DUELL's own plugin
            raise DuellError(
                "DUELL sent no usable access token",
                "check the client number and API token in DUELL Admin -> API-oppsett",
                status=resp.status_code,
            )
        redactor.add_token(token)
        self.logins += 1
        return token, _token_expiry(token) - 300


class DuellClient:
    def __init__(
        self,
        http: HttpService,
        login: DuellLogin,
        *,
        context: CallContext | None = None,
    ) -> None:
        self.http = http  # authenticated by `login` (its auth flow)
        self.login = login
        self.context = context or CallContext()
        # Told, after a whole listing, which of its rows were set aside (the session logs them).
        self.on_set_aside: Callable[[str, list[SetAside]], None] | None = None
        self.new_product_category = "DIVERSE"  # settings.duell_product_category
        self._categories: dict[str, int] = {}

    @property
    def logins(self) -> int:
        return self.login.logins

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.login.service.aclose()

    async def __aenter__(self) -> DuellClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- plumbing -----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        repeatable: bool | None = None,
    ) -> dict[str, Any]:
        content = json.dumps(body, default=_json_default).encode() if body is not None else None
        if method != "GET":
            return await self._call_once(method, path, params, content, repeatable)
        # DUELL answers its passing troubles with HTTP 200 and `status: false` (no validation
        # message): a read is tried again, a little later, before the run gives up on it.
        policy = self.http.config.retry
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                return await self._call_once(method, path, params, content, repeatable)
            except DuellBlockedError:
                raise
            except DuellError as exc:
                if exc.validation or exc.unauthorised or attempt == READ_ATTEMPTS:
                    raise
                await asyncio.sleep(policy.backoff(attempt))
        raise AssertionError("unreachable")

    async def _call_once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        content: bytes | None,
        repeatable: bool | None,
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"} if content is not None else {}
        resp = await self.http.request(
            method,
            path,
            params=params,
            content=content,
            headers=headers,
            repeatable=repeatable,
            context=self.context,
        )
        return envelope(resp)

    async def _pages(
        self, path: str, key: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        start = 0
        previous: list[Any] | None = None
        while True:
            data = await self._call(
                "GET", path, params={**(params or {}), "start": start, "length": PAGE_CAP}
            )
            rows = data.get(key) or []
            if not isinstance(rows, list):
                raise DuellError(
                    f"DUELL sent '{key}' that is not a list on {path}",
                    "retry later; if it persists, report it",
                )
            if rows and rows == previous:  # it ignores `start`: paging on would never end
                raise DuellError(
                    f"DUELL sent the same page again on {path} (from row {start})",
                    "retry later; if it persists, report it with `duvi support-bundle`",
                    path=path,
                )
            previous = rows
            yield rows
            start += len(rows)  # by what arrived, never by what was asked
            total = as_int(data.get("total_count"))
            if not rows or (total is not None and start >= total):
                return

    @staticmethod
    def _parse(model: type[Any], raw: Any, path: str) -> Any:
        try:
            return model.model_validate(raw)
        except (ValidationError, TypeError, ValueError) as exc:
            raise DuellError(
                f"DUELL sent a record duvi cannot read on {path}: {_problem(exc)}",
                "check the record in DUELL Admin; report it if it looks right",
            ) from None

    async def _rows(
        self, path: str, key: str, model: type[_W], params: dict[str, Any], *, whole: bool
    ) -> AsyncIterator[_W]:
        """A listing's rows as `model`; a row that cannot be read is set aside and the rest
        goes on. A `whole` listing (no filter) read to its end reports what it set aside to
        `on_set_aside` (so a row read fine again is no longer reported)."""
        aside: list[SetAside] = []
        async for rows in self._pages(path, key, params):
            for raw in rows:
                try:
                    parsed = model.model_validate(raw)
                except (ValidationError, TypeError, ValueError, ArithmeticError) as exc:
                    aside.append(SetAside(path, _row_name(raw, model), _problem(exc)))
                    continue
                yield parsed
        if whole and self.on_set_aside is not None:
            self.on_set_aside(path, aside)

    # -- departments ------------------------------------------------------------------------

    async def departments(self) -> list[DuellDepartment]:
        data = await self._call("GET", "/department/list")
        rows = data.get("departments") or []
        if not isinstance(rows, list):
            raise DuellError(
                "DUELL sent 'departments' that is not a list on /department/list",
                "retry later; if it persists, report it",
            )
        return [self._parse(DuellDepartment, d, "/department/list") for d in rows]

    # -- products --------------------------------------------------------------------------

    async def list_products(self, **filters: Any) -> AsyncIterator[Product]:
        params = {f"filter[{k}]": v for k, v in filters.items()}
        params.update(sort_by="product_id", sort_order="ASC")
        async for p in self._rows(
            "/product/list", "products", DuellProduct, params, whole=not filters
        ):
            if not p.is_deleted:
                yield p.to_product()

    async def category_id(self, name: str) -> int:
        """The id of the product category `name`, made when DUELL has none (DUELL's own plugin
        does so with `DIVERSE` before every create); asked once per client."""
        if name in self._categories:
            return self._categories[name]
        path = "/product/category/list/product"
        data = await self._call("GET", path, params={"filter[category_name]": name})
        rows = data.get("categories")
        found = [
            r.get("category_id")
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, dict) and str(r.get("category_name", name)).strip() == name
        ]
        if not found:
            saved = await self._call(
                "POST",
                "/product/category/save",
                body={"category_data": [{"category_name": name, "category_type": "product"}]},
            )
            made = saved.get("data")
            found = [made[0].get("category_id")] if isinstance(made, list) and made else []
        try:
            self._categories[name] = int(str(found[0]))
        except (IndexError, TypeError, ValueError):
            raise DuellError(
                f"DUELL gave no id for the product category {name!r}",
                "create the category in DUELL Admin, or set `duell_product_category` to one "
                "that exists",
                path=path,
            ) from None
        return self._categories[name]

    async def save_products(
        self, products: list[dict[str, Any]], *, batch_size: int = 100
    ) -> list[int]:
        """Create or update products in batches; returns their product ids, in order.

        An entry with `product_id` updates that product; one without creates a new one, in
        its `category_id` or else the category `new_product_category` (DUELL's own plugin
        always sends one on create; inferred that DUELL needs it)."""
        if any("product_id" not in p and "category_id" not in p for p in products):
            category = await self.category_id(self.new_product_category)
            products = [
                p if "product_id" in p or "category_id" in p else {**p, "category_id": category}
                for p in products
            ]
        ids: list[int] = []
        for i in range(0, len(products), batch_size):
            data = await self._call(
                "POST", "/product/save", body={"product_data": products[i : i + batch_size]}
            )
            batch = products[i : i + batch_size]
            try:
                got = [int(r["product_id"]) for r in data.get("data") or []]
            except (KeyError, TypeError, ValueError):
                got = []
            if len(got) != len(batch):  # a wrong count would link the wrong products
                raise DuellError(
                    f"DUELL saved {len(batch)} products but its answer did not give their ids",
                    "the next sync finds them by product number before saving again",
                    path="/product/save",
                )
            ids += got
        return ids

    # -- customers -------------------------------------------------------------------------

    async def list_customers(
        self, *, phone: str | None = None, email: str | None = None
    ) -> AsyncIterator[Customer]:
        params: dict[str, Any] = {}
        if phone:
            params["filter[customer_phone]"] = phone
        if email:
            params["filter[customer_email]"] = email
        async for c in self._rows(
            "/customer/list", "customers", DuellCustomer, params, whole=not params
        ):
            yield c.to_customer()

    async def save_customer(self, customer: Customer | dict[str, Any]) -> int:
        """Create (no customer_id) or update a customer. DUELL takes the fields as a query
        string on PUT /customer, as its own plugin sends them."""
        if isinstance(customer, Customer):
            fields = {
                "customer_id": customer.customer_id or None,
                "customer_name": customer.name,
                "org_number": customer.org_no,
                "phone": customer.phone,
                "email": customer.email,
                "primary_address": customer.address,
                "primary_zip": customer.zip,
                "city": customer.city,
            }
        else:
            fields = customer
        params = {k: v for k, v in fields.items() if v is not None}
        repeatable = "customer_id" in params  # an update may be repeated; a create may not
        data = await self._call("PUT", "/customer", params=params, repeatable=repeatable)
        try:
            return int(data["customers"])
        except (KeyError, TypeError, ValueError):
            raise DuellError(
                "DUELL saved the customer but sent no customer id",
                "look the customer up in DUELL before saving again",
            ) from None

    # -- stock -----------------------------------------------------------------------------

    async def list_stock(self, department_token: str) -> AsyncIterator[StockRow]:
        async for rows in self._pages(
            "/all/product/stock", "data", {"department": department_token}
        ):
            for raw in rows:
                depts = raw.get("department") if isinstance(raw, dict) else None
                if not isinstance(depts, list) or not all(isinstance(d, dict) for d in depts):
                    raise DuellError(
                        "DUELL sent a stock row duvi cannot read on /all/product/stock",
                        "retry later; if it persists, report it with `duvi support-bundle`",
                    )
                for dept in depts:
                    yield self._parse(
                        StockRow,
                        {
                            "product_id": raw.get("product_id"),
                            "product_number": raw.get("product_number"),
                            "stock": dept.get("stock"),
                        },
                        "/all/product/stock",
                    )

    async def adjust_stock(self, department_token: str, changes: list[tuple[str, Decimal]]) -> None:
        """Stock changes of one department by product number. A positive quantity DEDUCTS
        stock, as DUELL's own plugin sends what an order took ("whenever order placed stock
        deducted at Duell", Kasseservice/woocommerce-3x f964dcf); a negative one adds."""
        await self._call(
            "POST",
            "/product/adjust-stock",
            body={
                "department_token": department_token,
                "product_data": [{"product_number": n, "quantity": q} for n, q in changes],
            },
        )

    # -- Z-reports and invoice bases (assumed endpoints) -----------------------------------

    async def list_zreports(
        self, department_id: str, *, after_z: int = 0
    ) -> AsyncIterator[ZReport]:
        params = {"department_id": department_id, "filter[z_number_from]": after_z + 1}
        async for rows in self._pages(ASSUMED_ZREPORT_PATH, "zreports", params):
            for raw in rows:
                yield zreport_from_wire(raw, department_id)

    async def get_zreport(self, department_id: str, z_number: int) -> ZReport:
        async for z in self.list_zreports(department_id, after_z=z_number - 1):
            if z.z_number == z_number:
                return z
            break
        raise DuellError(
            f"DUELL has no Z-report {z_number} for department {department_id}",
            "check the number in DUELL Admin -> Dagsoppgjør",
        )

    async def list_invoice_bases(
        self, department_id: str, *, after_id: int = 0
    ) -> AsyncIterator[InvoiceBasis]:
        params = {"department_id": department_id, "filter[invoice_id_from]": after_id + 1}
        async for rows in self._pages(ASSUMED_INVOICE_BASIS_PATH, "invoices", params):
            for raw in rows:
                yield _invoice_basis(raw, department_id)

    async def get_invoice_basis(self, department_id: str, invoice_id: int) -> InvoiceBasis:
        async for inv in self.list_invoice_bases(department_id, after_id=invoice_id - 1):
            if inv.invoice_id == invoice_id:
                return inv
            break
        raise DuellError(
            f"DUELL has no invoice basis {invoice_id} for department {department_id}",
            "check the id in DUELL Admin",
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # quantised amounts: float() is exact, see core/visma/wire.py
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def zreport_from_wire(raw: Any, department_id: str) -> ZReport:
    try:
        return ZReport(
            department_id=str(raw.get("department_id", department_id)),
            z_number=int(raw["z_number"]),
            register_id=str(raw.get("register_id", "1")),
            business_date=date.fromisoformat(raw["business_date"]),
            closed_at=datetime.fromisoformat(raw["closed_at"]),
            sales=[_vat_sale(s) for s in raw.get("sales") or []],
            returns_gross=Decimal(str(raw.get("returns_inc_vat", 0))),
            payments=[
                Payment(type=str(p["payment_type"]), amount=Decimal(str(p["amount"])))
                for p in raw.get("payments") or []
            ],
            gift_cards_sold=Decimal(str(raw.get("giftcards_sold", 0))),
            rounding=Decimal(str(raw.get("round_off_amount", 0))),
            # The till's other elements, under names inferred from DUELL's own (DUELL publishes
            # no Z-report endpoint; its kontoplan has Tips and Terminal differanse mappings):
            # README "The Z-report's elements".
            tips=Decimal(str(raw.get("tips_amount", 0))),
            cash_difference=Decimal(str(raw.get("cash_difference", 0))),
            pant_sold=[_vat_sale(s) for s in raw.get("deposits_sold") or []],
            pant_refunded=Decimal(str(raw.get("deposits_refunded", 0))),
            pay_ins=_movements(raw.get("pay_ins")),
            pay_outs=_movements(raw.get("pay_outs")),
            receipts=_count(raw.get("receipt_count")),
            cash_receipts=_count(raw.get("cash_receipt_count")),
            cost_of_goods=Decimal(str(raw.get("cost_of_goods", 0))),
            article_groups=[
                ArticleGroup(
                    group_id=str(g["group_id"]),
                    name=str(g["name"]),
                    gross=Decimal(str(g["amount_inc_vat"])),
                )
                for g in raw.get("article_groups") or []
            ],
            items_sold=[
                ItemSold(
                    product_number=str(i["product_number"]), quantity=Decimal(str(i["quantity"]))
                )
                for i in raw.get("items_sold") or []
            ],
            company_ident=(raw.get("company") or {}).get("org_number"),
            company_name=(raw.get("company") or {}).get("name"),
        )
    except (
        KeyError,
        TypeError,
        ValueError,
        ArithmeticError,
        AttributeError,
        ValidationError,
    ) as exc:
        raise DuellError(
            f"DUELL sent a Z-report duvi cannot read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''})",
            "check the Z-report in DUELL Admin; report it if it looks right",
        ) from None


def _vat_sale(s: Any) -> VatSale:
    """One VAT rate's line of a Z-report (sales or pant sold), VAT included."""
    return VatSale(
        rate=Decimal(str(s["vatrate_percent"])),
        gross=Decimal(str(s["amount_inc_vat"])),
        net=_dec(s.get("amount_ex_vat")),
        vat=_dec(s.get("vat_amount")),
    )


def _movements(rows: Any) -> list[CashMovement]:
    """DUELL's pay-ins or pay-outs of the till (inferred: `type`, `amount`, `description`)."""
    return [
        CashMovement(
            type=str(m["type"]),
            amount=Decimal(str(m["amount"])),
            label=str(m["description"]) if m.get("description") else None,
        )
        for m in rows or []
    ]


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _invoice_basis(raw: Any, department_id: str) -> InvoiceBasis:
    try:
        cust = DuellCustomer.model_validate(raw["customer"]).to_customer()
        return InvoiceBasis(
            department_id=str(raw.get("department_id", department_id)),
            invoice_id=int(raw["invoice_id"]),
            date=date.fromisoformat(raw["invoice_date"]),
            customer=cust,
            reference=raw.get("reference"),
            lines=[
                InvoiceLine(
                    product_number=str(ln["product_number"]),
                    description=str(ln.get("description") or ln["product_number"]),
                    quantity=Decimal(str(ln["quantity"])),
                    unit_price_ex_vat=Decimal(str(ln["price_ex_vat"])),
                    vat_rate=Decimal(str(ln["vatrate_percent"])),
                    discount_percent=Decimal(str(ln.get("discount_percent", 0))),
                    unit_price_inc_vat=(
                        Decimal(str(ln["price_inc_vat"]))
                        if ln.get("price_inc_vat") is not None
                        else None
                    ),
                )
                for ln in raw.get("lines") or []
            ],
        )
    except (
        KeyError,
        TypeError,
        ValueError,
        ArithmeticError,
        AttributeError,
        ValidationError,
    ) as exc:
        raise DuellError(
            f"DUELL sent an invoice basis duvi cannot read ({type(exc).__name__})",
            "check the invoice in DUELL Admin; report it if it looks right",
        ) from None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def open_duell(
    client_number: str,
    client_token: SecretStr,
    *,
    base_url: str,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    http_log: HttpLog | None = None,
    context: CallContext | None = None,
    retry: RetryPolicy | None = None,
    held: HeldToken | None = None,
    pacer: Pacer | None = None,
) -> DuellClient:
    """A DuellClient configured from Settings. `held` keeps the token (72 h) beyond this
    client, so the runner's next round logs in only when it is about to expire; `pacer` is
    the account's budget, shared with every client of it (core/connections.py)."""
    from core.http import Pacer, RateHeaders, retry_policy, service_config

    config = service_config(
        "duell",
        base_url,
        settings,
        retry=retry or retry_policy(settings),
        budget_per_hour=settings.duell_rate_budget,
        rate_headers=RateHeaders(
            limit=None,
            remaining="x-duell-ratelimit-remaining",
            reset="x-duell-ratelimit-reset",
            reset_is_epoch=True,
        ),
    )
    # One budget for the logins and the rest (and, given one, every client of the account).
    pacer = pacer or Pacer(settings.duell_rate_budget)
    service = HttpService(config, transport=transport, http_log=http_log, pacer=pacer)
    login = DuellLogin(service, client_number, client_token, held=held, context=context)
    http = HttpService(config, transport=transport, http_log=http_log, pacer=pacer, auth=login)
    client = DuellClient(http, login, context=context)
    client.new_product_category = settings.duell_product_category
    return client
