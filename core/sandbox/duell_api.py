"""The simulated DUELL API (Starlette), with DUELL's warts: `{status, ...}` envelopes where a
failure comes with HTTP 200, pages capped at 100 rows whatever `length` asks, batch
product/save, non-unique product_number, x-duell-ratelimit-* headers, and an HTML captcha
page when the host is "blocked by the WAF".

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
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from core.sandbox.common import FixedWindow, json_response, parse_json

PAGE_CAP = 100
VAT_RATES = {0, 12, 15, 25}
CAPTCHA_PAGE = (
    "<!DOCTYPE html><html><head><title>Human Verification</title></head><body>"
    "<h1>Please verify you are a human</h1><div id='captcha-container'></div>"
    "<script src='https://awswaf.example/challenge.js'></script></body></html>"
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
    product_saves: int = 0
    customer_saves: int = 0


def _jwt(client_number: str, lifetime: int) -> str:
    """A token shaped like DUELL's RS256 JWT (exp, iat, username); not signed for real."""

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "exp": now + lifetime,
        "iat": now,
        "username": client_number,
        "ip": "127.0.0.1",
        "jti": secrets.token_hex(8),
    }
    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims)}.{secrets.token_urlsafe(32)}"


def fail(message: str, validation: str | None = None, status: int = 200) -> Response:
    body: dict[str, Any] = {"status": False, "message": message}
    if validation:
        body["validation_message"] = validation
    return json_response(body, status)


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
            Route("/v1/customer/list", e(self.list_customers), methods=["GET"]),
            Route("/v1/customer", e(self.save_customer), methods=["PUT"]),
            Route("/v1/all/product/stock", e(self.list_stock), methods=["GET"]),
            Route("/v1/product/adjust-stock", e(self.adjust_stock), methods=["POST"]),
            Route("/v1/settlement/zreport/list", e(self.list_zreports), methods=["GET"]),
            Route("/v1/settlement/invoicebasis/list", e(self.list_invoices), methods=["GET"]),
        ]

    def _endpoint(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            self.requests += 1
            if self.state.waf_blocked:
                return HTMLResponse(CAPTCHA_PAGE, 405)
            auth = request.headers.get("authorization", "")
            expires = self.state.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
            if expires is None or time.time() >= expires:
                return fail(
                    "Unauthorized: the access token is missing, expired or revoked", status=401
                )
            allowed, remaining, reset = self.limiter.take(self.state.client_number)
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

    async def login(self, request: Request) -> Response:
        self.requests += 1
        if self.state.waf_blocked:
            return HTMLResponse(CAPTCHA_PAGE, 405)
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            form = parse_json(raw) or {}
        else:
            form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        if form.get("client_number") != self.state.client_number or not secrets.compare_digest(
            str(form.get("client_token", "")), self.state.client_token
        ):
            return fail("Invalid client number or token")
        token = _jwt(self.state.client_number, self.state.token_lifetime)
        now = time.time()
        self.state.tokens = {t: exp for t, exp in self.state.tokens.items() if exp > now}
        self.state.tokens[token] = now + self.state.token_lifetime
        self.logins += 1
        return json_response({"status": True, "token": token})

    def revoke_tokens(self) -> None:
        self.state.tokens.clear()

    @staticmethod
    def _page(request: Request, rows: list[dict[str, Any]], key: str) -> Response:
        q = request.query_params
        try:
            start = max(0, int(q.get("start", 0)))
            length = max(1, int(q.get("length", 20)))
        except ValueError:
            return fail("Invalid paging", "start and length must be integers")
        chunk = rows[start : start + min(length, PAGE_CAP)]  # capped, whatever was asked
        return json_response({"status": True, "total_count": len(rows), key: chunk})

    async def departments(self, request: Request) -> Response:
        return json_response({"status": True, "departments": self.state.departments})

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
        return self._page(request, rows, "products")

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
        return json_response({"status": True, "total_affected": len(out), "data": out})

    async def list_customers(self, request: Request) -> Response:
        q = request.query_params
        rows = list(self.state.customers.values())
        if "filter[customer_phone]" in q:
            rows = [c for c in rows if c.get("phone") == q["filter[customer_phone]"]]
        if "filter[customer_email]" in q:
            rows = [c for c in rows if c.get("email") == q["filter[customer_email]"]]
        return self._page(request, rows, "customers")

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
        return json_response({"status": True, "customers": record["customer_id"]})

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
                return fail(
                    "Validation failed", f"unknown product_number {line.get('product_number')}"
                )
            key = (dept["department_id"], match["product_id"])
            self.state.stock[key] = self.state.stock.get(key, 0) + line.get("quantity", 0)
        return json_response({"status": True})

    async def list_zreports(self, request: Request) -> Response:
        q = request.query_params
        dept = str(q.get("department_id"))
        if int(q.get("start", 0) or 0) == 0:  # a listing starts at its first page
            self.state.zreport_listings[dept] = self.state.zreport_listings.get(dept, 0) + 1
        rows = self.state.zreports.get(dept, [])
        if self.state.later.get(dept) and self.state.zreport_listings.get(dept, 0) >= 2:
            rows = _with_later(rows, self.state.later[dept])
        first = int(q.get("filter[z_number_from]", 0) or 0)
        return self._page(request, [z for z in rows if z["z_number"] >= first], "zreports")

    async def list_invoices(self, request: Request) -> Response:
        q = request.query_params
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
