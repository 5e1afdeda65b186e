"""The simulated DUELL API (Starlette), with DUELL's warts: `{status, message, code,
dateTimeBeforeQryExec, ...}` envelopes where a failure comes with HTTP 200, numbers as JSON
strings ("129.00"), pages capped at 100 rows whatever `length` asks, batch product/save (a
create needs a `category_id`), non-unique product_number, x-duell-ratelimit-* headers, a
positive adjust-stock quantity that deducts, `status: true` beside a validation message (part
of a write refused), and AWS WAF's block: HTTP 405 with `x-amzn-waf-action: captcha` (the HTML
page only for `Accept: text/html`). Knobs on DuellState: `waf_blocked` (and `waf_action`),
`auth_refusal_http` (a dead token answered with HTTP 401, or 200 + `code: 401` as DUELL's own
plugin expects), `bad_rows` (rows no client can read, among the good ones).

Sources: ../shared/docs/findings/2026-12-duell.md (S1 DUELL's own WooCommerce plugin, S3 a
client checked against a real account, S4 DTOs of a real product/list answer, S7 AWS WAF).

Z-reports and invoice bases are served at the assumed paths of core/duell/client.py: DUELL
publishes no endpoint for them (docs/duell-api.md A.1)."""

from __future__ import annotations

import base64
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from core.sandbox.common import FixedWindow, forget_expired, json_response, parse_json

PAGE_CAP = 100
VAT_RATES = {0, 12, 15, 25}
CAPTCHA_PAGE = (
    "<!DOCTYPE html><html><head><title>Human Verification</title></head><body>"
    "<h1>Please verify you are a human</h1><div id='captcha-container'></div>"
    "<script src='https://awswaf.example/challenge.js'></script></body></html>"
)

NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>Not Found</body></html>"
)


@dataclass
class DuellState:
    client_number: str
    client_token: str
    departments: list[dict[str, Any]] = field(default_factory=list)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    stock: dict[tuple[int, int], Any] = field(default_factory=dict)  # (dept, product) -> qty
    zreports: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # From a department's second Z-report listing on: Z-reports that were late (appended in
    # the order given) and corrected ones (same register and Z number: replace the listed).
    later: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    zreport_listings: dict[str, int] = field(default_factory=dict)
    invoices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    token_lifetime: int = 72 * 3600
    waf_blocked: bool = False
    waf_action: str = "captcha"  # AWS WAF: "captcha" answers 405, "challenge" 202
    auth_refusal_http: int = 401  # 200: a dead token is HTTP 200 {status:false, code:401}
    bad_rows: bool = False  # product and customer listings carry rows no client can read
    categories: dict[int, str] = field(default_factory=dict)  # category_id -> name
    product_saves: int = 0
    customer_saves: int = 0
    # Further DUELL clients (accounts) served beside `client_number` (the scale world's
    # customers): client number -> API token, and which client each department belongs to (a
    # department missing here is `client_number`'s). A client sees its own departments only.
    accounts: dict[str, str] = field(default_factory=dict)
    department_clients: dict[str, str] = field(default_factory=dict)
    token_clients: dict[str, str] = field(default_factory=dict)  # access token -> client

    def account_token(self, client_number: str) -> str | None:
        if client_number == self.client_number:
            return self.client_token
        return self.accounts.get(client_number)

    def owns(self, client_number: str, department_id: object) -> bool:
        return self.department_clients.get(str(department_id), self.client_number) == client_number


def _jwt(client_number: str, lifetime: int) -> str:
    """A token shaped like DUELL's RS256 JWT (exp, iat, username); not signed for real."""

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {  # as a real token decodes: `typ` JWS, `iat` a string (findings S5)
        "exp": now + lifetime,
        "iat": str(now),
        "username": client_number,
        "ip": "127.0.0.1",
        "jti": secrets.token_hex(8),
    }
    return f"{b64({'alg': 'RS256', 'typ': 'JWS'})}.{b64(claims)}.{secrets.token_urlsafe(32)}"


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def ok(body: dict[str, Any], message: str = "Success") -> Response:
    """A success in DUELL's envelope (S4 Root.cs; the message's wording is inferred)."""
    return json_response(
        {"status": True, "message": message, "code": 200, "dateTimeBeforeQryExec": _stamp(), **body}
    )


def fail(
    message: str, validation: str | None = None, status: int = 200, code: int | None = None
) -> Response:
    body: dict[str, Any] = {"status": False, "message": message}
    body["code"] = code or (status if status != 200 else 400)  # inferred: 400 for validation
    if validation:
        body["validation_message"] = validation
    return json_response(body, status)


def _text(value: Any, places: int | None = None) -> Any:
    """A number as DUELL sends it: a JSON string ("129.00"); None stays null."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return f"{Decimal(str(value)):.{places}f}" if places is not None else str(value)


MONEY = ("price_inc_vat", "cost_price", "stock_price", "special_price", "vatrate_percent")


def product_row(p: dict[str, Any]) -> dict[str, Any]:
    """A product as product/list sends it: ids and amounts as strings (S4 Product.cs)."""
    row = dict(p)
    for k in MONEY:
        if k in row:
            row[k] = _text(row[k], 2)
    for k in ("product_id", "category_id"):
        if k in row:
            row[k] = _text(row[k])
    row.pop("last_update_date", None)
    return row


# Rows no client can read, as a fault knob (DuellState.bad_rows): a null price, an empty
# string where a number belongs, an id that is no number (S4: one such row stopped the read).
BAD_PRODUCTS = (
    {"product_id": "990001", "product_number": "BAD-1", "product_name": "Uten pris",
     "price_inc_vat": None, "vatrate_percent": "25.00", "is_deleted": False},
    {"product_id": "990002", "product_number": "BAD-2", "product_name": "Tom mva",
     "price_inc_vat": "49.00", "vatrate_percent": "", "is_deleted": False},
    {"product_id": "x-990003", "product_number": "BAD-3", "product_name": "Id som tekst",
     "price_inc_vat": "49.00", "vatrate_percent": "25.00", "is_deleted": False},
)  # fmt: skip
BAD_CUSTOMERS = (
    {"customer_id": "990004", "customer_name": None, "phone": "90000004"},
    {"customer_id": "", "customer_name": "Uten nummer AS"},
)


class DuellSandbox:
    def __init__(self, state: DuellState, *, rate_limit: int = 6000, window: float = 3600) -> None:
        self.state = state
        self.limiter = FixedWindow(rate_limit, window)
        self.requests = 0
        self.logins = 0  # access tokens handed out (tests count a run's logins)
        self._next_product = max(state.products, default=0) + 1
        self._next_customer = max(state.customers, default=0) + 1

    def routes(self) -> list[Route]:
        e = self._endpoint
        return [
            Route("/v1/getaccesstokens", self.login, methods=["POST"]),
            Route("/v1/department/list", e(self.departments), methods=["GET"]),
            Route("/v1/product/list", e(self.list_products), methods=["GET"]),
            Route("/v1/product/save", e(self.save_products), methods=["POST"]),
            Route("/v1/product/category/list/product", e(self.list_categories), methods=["GET"]),
            Route("/v1/product/category/save", e(self.save_category), methods=["POST"]),
            Route("/v1/customer/list", e(self.list_customers), methods=["GET"]),
            Route("/v1/customer", e(self.save_customer), methods=["PUT"]),
            Route("/v1/all/product/stock", e(self.list_stock), methods=["GET"]),
            Route("/v1/product/adjust-stock", e(self.adjust_stock), methods=["POST"]),
            Route("/v1/settlement/zreport/list", e(self.list_zreports), methods=["GET"]),
            Route("/v1/settlement/invoicebasis/list", e(self.list_invoices), methods=["GET"]),
            # An unknown route: an HTML 404 page (inferred; the real answer is unknown).
            Route("/{rest:path}", self.not_found, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    async def not_found(self, request: Request) -> Response:
        self.requests += 1
        return HTMLResponse(NOT_FOUND_PAGE, 404)

    def _endpoint(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            self.requests += 1
            if self.state.waf_blocked:
                return self._waf(request)
            auth = request.headers.get("authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else ""
            expires = self.state.tokens.get(token)
            if expires is None or time.time() >= expires:
                return fail(
                    "Invalid JWT Token",
                    status=self.state.auth_refusal_http,
                    code=401,
                )
            client = self.state.token_clients.get(token, self.state.client_number)
            request.state.duell_client = client
            allowed, remaining, reset = self.limiter.take(client)
            headers = {
                "x-duell-ratelimit-remaining": str(remaining),
                "x-duell-ratelimit-reset": str(math.ceil(time.time() + reset)),
            }
            if not allowed:
                response = fail("Too many requests", status=429)
                response.headers["Retry-After"] = str(max(1, math.ceil(reset)))
            else:
                response = await handler(request)
            response.headers.update(headers)
            return response

        return endpoint

    def _waf(self, request: Request) -> Response:
        """AWS WAF's CAPTCHA (405) or Challenge (202), with its header; the page itself only
        for a client that accepts HTML (S7)."""
        status = 202 if self.state.waf_action == "challenge" else 405
        headers = {"x-amzn-waf-action": self.state.waf_action}
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(CAPTCHA_PAGE, status, headers=headers)
        return Response(b"", status, headers=headers)

    async def login(self, request: Request) -> Response:
        self.requests += 1
        if self.state.waf_blocked:
            return self._waf(request)
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            form = parse_json(raw) or {}
        else:
            form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        number = str(form.get("client_number", ""))
        expected = self.state.account_token(number)
        if expected is None or not secrets.compare_digest(
            str(form.get("client_token", "")), expected
        ):
            return fail("Invalid client number or token")
        token = _jwt(number, self.state.token_lifetime)
        now = time.time()
        for gone in forget_expired(self.state.tokens, now, float):
            self.state.token_clients.pop(gone, None)
        self.state.tokens[token] = now + self.state.token_lifetime
        if number != self.state.client_number:
            self.state.token_clients[token] = number
        self.logins += 1
        return ok({"token": token})

    def revoke_tokens(self) -> None:
        self.state.tokens.clear()
        self.state.token_clients.clear()

    @staticmethod
    def _page(
        request: Request,
        rows: list[dict[str, Any]],
        key: str,
        shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Response:
        q = request.query_params
        try:
            start = max(0, int(q.get("start", 0)))
            length = max(1, int(q.get("length", 20)))
        except ValueError:
            return fail("Invalid paging", "start and length must be integers")
        chunk = rows[start : start + min(length, PAGE_CAP)]  # capped, whatever was asked
        if shape is not None:
            chunk = [shape(r) for r in chunk]
        return ok({"total_count": len(rows), key: chunk})

    def _with_bad(
        self, rows: list[dict[str, Any]], bad: tuple[dict[str, Any], ...]
    ) -> list[dict[str, Any]]:
        """With the bad_rows knob: the bad rows among the good, one every 50 rows."""
        if not self.state.bad_rows:
            return rows
        out = list(rows)
        for i, row in enumerate(bad):
            out.insert(min(len(out), 7 + 50 * i), dict(row))
        return out

    async def departments(self, request: Request) -> Response:
        client = request.state.duell_client
        rows = [d for d in self.state.departments if self.state.owns(client, d["department_id"])]
        return ok({"departments": rows})

    def _foreign(self, request: Request, department_id: str) -> Response | None:
        """Another client's department: refused as an unknown one (inferred: DUELL scopes
        every call to the client its token was issued to)."""
        if self.state.owns(request.state.duell_client, department_id):
            return None
        return fail("Validation failed", f"department_id: unknown department {department_id}")

    async def list_products(self, request: Request) -> Response:
        q = request.query_params
        rows = [p for p in self.state.products.values() if not p.get("is_deleted")]
        if "filter[product_number]" in q:
            rows = [p for p in rows if p["product_number"] == q["filter[product_number]"]]
        if "filter[category_id]" in q:
            rows = [p for p in rows if str(p.get("category_id")) == q["filter[category_id]"]]
        if "filter[last_update_date]" in q:
            rows = [
                p for p in rows if p.get("last_update_date", "") >= q["filter[last_update_date]"]
            ]
        if not any(k.startswith("filter[") for k in q):
            rows = self._with_bad(rows, BAD_PRODUCTS)
        return self._page(request, rows, "products", product_row)

    async def list_categories(self, request: Request) -> Response:
        name = request.query_params.get("filter[category_name]")
        rows = [
            {"category_id": str(cid), "category_name": n}
            for cid, n in sorted(self.state.categories.items())
            if name is None or n == name
        ]
        return ok({"total_count": len(rows), "categories": rows})

    async def save_category(self, request: Request) -> Response:
        body = parse_json(await request.body()) or {}
        entries = body.get("category_data") if isinstance(body, dict) else None
        if (
            not isinstance(entries, list)
            or not entries
            or not all(isinstance(e, dict) and e.get("category_name") for e in entries)
        ):
            return fail("Validation failed", "category_data[].category_name is required")
        out = []
        for entry in entries:
            cid = max(self.state.categories, default=0) + 1
            self.state.categories[cid] = str(entry["category_name"])
            out.append({"category_id": str(cid), "category_name": entry["category_name"]})
        return ok({"total_affected": len(out), "data": out})

    async def save_products(self, request: Request) -> Response:
        body = parse_json(await request.body()) or {}
        entries = body.get("product_data") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not entries:
            return fail("Nothing to save", "product_data must be a non-empty list")
        for i, entry in enumerate(entries):  # validate the whole batch before changing anything
            if not entry.get("product_id") and not entry.get("product_name"):
                return fail("Validation failed", f"product_data[{i}]: product_name is required")
            rate = entry.get("vatrate_percent")
            if rate is not None and float(rate) not in VAT_RATES:
                return fail(
                    "Validation failed", f"product_data[{i}]: vatrate_percent {rate} is not allowed"
                )
            if entry.get("product_id") and int(entry["product_id"]) not in self.state.products:
                return fail(
                    "Validation failed", f"product_data[{i}]: no product {entry['product_id']}"
                )
            # Inferred: DUELL's own plugin never creates a product without a category_id.
            if not entry.get("product_id") and (
                str(entry.get("category_id", "")).strip()
                not in {str(c) for c in self.state.categories}
            ):
                return fail(
                    "Validation failed",
                    f"product_data[{i}]: category_id {entry.get('category_id')} is not a category",
                )
        out = []
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        for entry in entries:
            if entry.get("product_id"):
                record = self.state.products[int(entry["product_id"])]
                record.update({k: v for k, v in entry.items() if k != "product_id"})
            else:
                record = {"product_id": self._next_product, "is_deleted": False, **entry}
                self.state.products[self._next_product] = record
                self._next_product += 1
            record["last_update_date"] = stamp
            out.append(
                {"product_id": record["product_id"], "product_number": record.get("product_number")}
            )
        self.state.product_saves += 1
        return ok({"total_affected": len(out), "data": out})

    async def list_customers(self, request: Request) -> Response:
        q = request.query_params
        rows = list(self.state.customers.values())
        if "filter[customer_phone]" in q:
            rows = [c for c in rows if c.get("phone") == q["filter[customer_phone]"]]
        if "filter[customer_email]" in q:
            rows = [c for c in rows if c.get("email") == q["filter[customer_email]"]]
        else:
            rows = (
                self._with_bad(rows, BAD_CUSTOMERS) if "filter[customer_phone]" not in q else rows
            )
        return self._page(
            request, rows, "customers", lambda c: {**c, "customer_id": _text(c["customer_id"])}
        )

    async def save_customer(self, request: Request) -> Response:
        fields = dict(request.query_params)  # DUELL takes the customer as a query string
        cid = fields.pop("customer_id", None)
        if cid:
            record = self.state.customers.get(int(cid))
            if record is None:
                return fail("Validation failed", f"no customer {cid}")
            record.update(fields)
        else:
            if not fields.get("customer_name"):
                return fail("Validation failed", "customer_name is required")
            record = {"customer_id": self._next_customer, **fields}
            self.state.customers[self._next_customer] = record
            self._next_customer += 1
        self.state.customer_saves += 1
        return ok({"customers": record["customer_id"]})

    def _department(self, token: str | None) -> dict[str, Any] | None:
        return next((d for d in self.state.departments if d["api_token"] == token), None)

    async def list_stock(self, request: Request) -> Response:
        dept = self._department(request.query_params.get("department"))
        if dept is None:
            return fail("Validation failed", "department: unknown department token")
        did = dept["department_id"]
        rows = [
            {
                "product_id": p["product_id"],
                "product_number": p["product_number"],
                "department": [
                    {
                        "department_id": did,
                        "stock": self.state.stock.get((did, p["product_id"]), 0),
                        "actual_stock": self.state.stock.get((did, p["product_id"]), 0),
                        "location": [],
                    }
                ],
            }
            for p in self.state.products.values()
            if not p.get("is_deleted")
        ]
        return self._page(request, rows, "data")

    async def adjust_stock(self, request: Request) -> Response:
        body = parse_json(await request.body()) or {}
        dept = self._department(body.get("department_token"))
        if dept is None:
            return fail("Validation failed", "department_token: unknown department token")
        unknown = []
        for line in body.get("product_data") or []:
            match = next(
                (
                    p
                    for p in self.state.products.values()
                    if p["product_number"] == line.get("product_number")
                ),
                None,
            )
            if match is None:
                unknown.append(str(line.get("product_number")))
                continue
            key = (dept["department_id"], match["product_id"])
            # A positive quantity deducts: DUELL's own plugin sends what an order took (S1
            # f964dcf, "whenever order placed stock deducted at Duell").
            quantity = Decimal(str(line.get("quantity", 0)))
            self.state.stock[key] = self.state.stock.get(key, 0) - quantity
        if unknown:  # the others were adjusted: a partial success, as S1 reads it
            return ok({"validation_message": f"unknown product_number {', '.join(unknown)}"})
        return ok({})

    async def list_zreports(self, request: Request) -> Response:
        q = request.query_params
        dept = str(q.get("department_id"))
        refused = self._foreign(request, dept)
        if refused is not None:
            return refused
        if int(q.get("start", 0) or 0) == 0:  # a listing starts at its first page
            self.state.zreport_listings[dept] = self.state.zreport_listings.get(dept, 0) + 1
        rows = self.state.zreports.get(dept, [])
        if self.state.later.get(dept) and self.state.zreport_listings.get(dept, 0) >= 2:
            rows = _with_later(rows, self.state.later[dept])
        first = int(q.get("filter[z_number_from]", 0) or 0)
        return self._page(request, [z for z in rows if z["z_number"] >= first], "zreports")

    async def list_invoices(self, request: Request) -> Response:
        q = request.query_params
        refused = self._foreign(request, str(q.get("department_id")))
        if refused is not None:
            return refused
        rows = self.state.invoices.get(str(q.get("department_id")), [])
        first = int(q.get("filter[invoice_id_from]", 0) or 0)
        return self._page(request, [i for i in rows if i["invoice_id"] >= first], "invoices")


def _with_later(rows: list[dict[str, Any]], later: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` as DUELL lists them once `later` arrived: a corrected Z-report in its place,
    the ones that were late after the rest."""

    def ident(z: dict[str, Any]) -> tuple[str, int]:
        return str(z.get("register_id")), int(z["z_number"])

    by_ident = {ident(z): z for z in later}
    out = [by_ident.pop(ident(z), z) for z in rows]
    return out + [z for z in later if ident(z) in by_ident]
