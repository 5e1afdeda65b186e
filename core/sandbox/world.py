"""The seeded Norwegian world, deterministic from a seed, that fills both sandboxes:
DUELL's departments, products, customers (with planted duplicates of every kind), 30 days of
Z-reports per department with a real payment mix, and invoice bases; on the Visma side the
companies, the per-department integration clients, and a share of the items and customers
already present (some with no name, some with the webhook flag off).

Faker's Norwegian locale is `no_NO` (Bokmål) in the Faker release we pin; there is no `nb_NO`.
"""

from __future__ import annotations

import calendar
import copy
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import phonenumbers
from faker import Faker
from stdnum import ean

from core.money import KRONE, round_money
from core.sandbox.app import Sandbox
from core.sandbox.common import json_default
from core.sandbox.duell_api import DuellSandbox, DuellState
from core.sandbox.faults import Faults
from core.sandbox.periods import FinancialYears
from core.sandbox.visma_state import Company, build_invoice, build_journal

COMPANY_TENANT = "5c7e1a2b-0d4f-4b8e-9a61-3f2d8c9e0a11"
SECOND_TENANT = "8a1f3c5d-2e4b-4c6d-8f0a-1b3c5d7e9f20"
SECOND_CLOSED = "202703"  # the second company's September 2026 (its year starts in July)
CUSTOMER_TENANT = "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f"  # the contract tenant: a classic mistake
DUELL_CLIENT_NUMBER = "100234"
DEPARTMENTS = (
    ("1", "Oslo sentrum", "Oslo"),
    ("2", "Bergen Galleriet", "Bergen"),
    ("3", "Trondheim Solsiden", "Trondheim"),
)
VAT_WEIGHTS = ((Decimal(25), 80), (Decimal(15), 10), (Decimal(12), 3), (Decimal(0), 7))
PAYMENT_MIX = (("bankaxept", 45), ("card", 25), ("vipps", 15), ("cash", 10), ("giftcard", 5))
GROUPS = (
    ("10", "Garn"),
    ("20", "Strikkepinner"),
    ("30", "Oppskrifter"),
    ("40", "Gaver"),
    ("50", "Kaffe og kaker"),
    ("60", "Kurs"),
)
WORDS = (
    "Merino",
    "Alpakka",
    "Ull",
    "Bomull",
    "Lin",
    "Silke",
    "Tweed",
    "Mohair",
    "Sokkegarn",
    "Babygarn",
    "Pinnesett",
    "Rundpinne",
    "Heklenål",
    "Mønsterbok",
    "Gavekurv",
    "Kopp",
)


@dataclass(frozen=True)
class DepartmentCredentials:
    department_id: str
    name: str
    visma_client_id: str
    visma_client_secret: str
    visma_tenant_id: str


@dataclass
class World:
    seed: int
    departments: list[dict[str, Any]]
    products: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    zreports: dict[str, list[dict[str, Any]]]
    invoices: dict[str, list[dict[str, Any]]]
    visma_items: list[dict[str, Any]]
    visma_customers: list[dict[str, Any]]
    webhook_off: list[list[str]]
    planted: dict[str, list[list[int]]] = field(default_factory=dict)
    # Z-reports DUELL lists only from a department's second listing on (DuellState.later): a
    # register's days caught up after an outage, and late corrections (a Z-report listed
    # again, same register and number, other figures). Only the adversarial world has them.
    later: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    variant: str = "default"
    # Open GL batches another integration made (DUELL's own Visma module with its Z-rapport
    # switch on): the double-posting guard's case. One day of department 3, whose company is
    # its own (FOREIGN_BATCH_DEPARTMENT).
    foreign_batches: list[dict[str, Any]] = field(default_factory=list)
    # Customer invoices another integration made (the module's "Faktura" switch on): one of
    # department 3's invoice bases, to the same customer (in that company too), date and amount.
    foreign_invoices: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def adversarial(cls, seed: int = 0, **sizes: Any) -> World:
        """The world of `seed` whose department 1 attacks the Z-report keys (see
        ADVERSARIAL)."""
        return generate(seed, adversarial=True, **sizes)

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, value in asdict(self).items():
            path = out / f"{name}.json"
            text = json.dumps(value, default=json_default, ensure_ascii=False, indent=1)
            path.write_text(text, "utf-8")
            written.append(path)
        return written


def _money(value: float | Decimal) -> Decimal:
    return round_money(Decimal(str(value)))


T = TypeVar("T")


def _pick(rng: random.Random, weighted: tuple[tuple[T, int], ...]) -> T:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _gtin(pid: int, first12: str) -> str:
    """An EAN-13; every 50th product's as DUELL holds some barcodes: a GTIN-14 with a leading
    0 (the same check digit; S3 STATUS 06.09), which must never lose its zero."""
    ean13 = first12 + ean.calc_check_digit(first12)
    return "0" + ean13 if pid % 50 == 0 else ean13


def _orgnr(rng: random.Random) -> str:
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    while True:
        digits = [rng.randint(8, 9)] + [rng.randint(0, 9) for _ in range(7)]
        check = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check == 10:
            continue
        return "".join(map(str, digits)) + str(0 if check == 11 else check)


def _mobile(rng: random.Random) -> str:
    """A Norwegian mobile number the numbering plan allocates (phonenumbers decides)."""
    while True:
        digits = f"{rng.choice((4, 9))}{rng.randrange(10**7):07d}"
        number = phonenumbers.PhoneNumber(country_code=47, national_number=int(digits))
        if len(set(digits)) > 1 and phonenumbers.is_valid_number(number):
            return digits


def _phone_variants(digits: str) -> list[str]:
    return [
        digits,
        f"+47 {digits[:3]} {digits[3:5]} {digits[5:]}",
        f"0047 {digits}",
        f"+47{digits}",
        f"{digits[:3]} {digits[3:5]} {digits[5:]}",
    ]


WORLDS = ("default", "adversarial")
ADVERSARIAL = """Department 1 of the adversarial world has three cash registers:
- 101, the first: Z 1 to Z 30, one a day of the month of the world's last day (so Z 3 beside
  Z 30 in one period: a look-up by prefix or substring of DUELL-Z-1-3 finds Z 30's batch);
- 102, opened halfway: Z 1, 2, 3 … too (equal Z numbers on two registers); its last 8 days
  are offline until DUELL's second listing of the department, then all appear at once, out
  of date order (an outage caught up);
- 103, a café till moved from another shop: its counter ends at Z 300 on the last day;
and register 101's Z 20 is corrected in DUELL after it was first listed (a late correction:
a forgotten 125.00 sale paid in cash, from the second listing on)."""


def generate(
    seed: int = 0,
    *,
    products: int = 3000,
    customers: int = 1000,
    days: int = 30,
    invoices: int = 50,
    end: date = date(2026, 11, 27),
    adversarial: bool = False,
) -> World:
    rng = random.Random(seed)
    fake = Faker("no_NO")
    fake.seed_instance(seed)
    depts = [
        {
            "department_id": int(d),
            "department_name": n,
            "city": c,
            "api_token": f"dept-{d}-" + "".join(rng.choices("abcdef0123456789", k=32)),
        }
        for d, n, c in DEPARTMENTS
    ]

    prods: list[dict[str, Any]] = []
    for pid in range(1, products + 1):
        rate = _pick(rng, VAT_WEIGHTS)
        price = _money(
            rng.choice((19, 29, 49, 59, 79, 89, 99, 129, 149, 199, 249, 349, 499))
            + rng.choice((0, 0, 0.9))
        )
        net = price * 100 / (100 + rate)
        group = rng.choice(GROUPS)
        number = f"{group[0]}-{10000 + pid}"
        if pid > 10 and rng.random() < 0.03:  # DUELL's product_number is not unique
            number = prods[rng.randrange(len(prods))]["product_number"]
        prods.append(
            {
                "product_id": pid,
                "product_number": number,
                "product_name": f"{rng.choice(WORDS)} {fake.color_name().lower()} {pid}",
                "barcode": _gtin(pid, f"7040{rng.randrange(10**8):08d}"),
                "vatrate_percent": rate,
                "price_inc_vat": price,
                "cost_price": (_money(net * Decimal(rng.uniform(0.35, 0.65)))),
                "category_id": int(group[0]),
                "category_name": group[1],
                "is_deleted": False,
            }
        )

    custs, planted = _customers(rng, fake, customers)
    zreports = {
        str(d["department_id"]): _zreports(rng, str(d["department_id"]), days, end) for d in depts
    }
    _second_register(zreports["2"])
    for reports in zreports.values():
        _counts(reports)
    _till_elements(zreports[TILL_DEPARTMENT])
    shared = {n for n, c in Counter(p["product_number"] for p in prods).items() if c > 1}
    sold_from = [p["product_number"] for p in prods[:200] if p["product_number"] not in shared]
    for reports in zreports.values():
        for z in reports:  # what left the shelves: the stock update's input
            counts: dict[str, int] = {}
            for number in rng.sample(sold_from, min(len(sold_from), rng.randint(3, 8))):
                counts[number] = counts.get(number, 0) + rng.randint(1, 5)
            z["items_sold"] = [{"product_number": n, "quantity": q} for n, q in counts.items()]
    invs = _invoices(rng, custs, prods, invoices, end)
    _sale_on_account(zreports[ON_ACCOUNT_DEPARTMENT], invs[ON_ACCOUNT_DEPARTMENT])

    unique_numbers: dict[str, dict[str, Any]] = {}
    for p in prods:
        unique_numbers.setdefault(p["product_number"], p)
    visma_items, webhook_off = [], []
    for number, p in unique_numbers.items():
        if rng.random() < 0.6:
            nameless = rng.random() < 0.03
            visma_items.append(
                {
                    "inventoryNumber": number,
                    "description": None if nameless else p["product_name"],
                    "vatRate": p["vatrate_percent"],
                    "defaultPrice": p["price_inc_vat"],
                    "barcode": p["barcode"],
                    "lastCost": p["cost_price"],
                    "averageCost": _money(p["cost_price"] * Decimal(rng.uniform(0.9, 1.1))),
                }
            )
            if rng.random() < 0.05:
                webhook_off.append(["item", number])
    visma_customers = []
    for c in custs:
        if rng.random() < 0.4:
            visma_customers.append(
                {
                    "number": str(20000 + c["customer_id"]),
                    "name": c["customer_name"],
                    "corporateId": c.get("org_number"),
                    "email": c.get("email"),
                    "phone": c.get("phone"),
                }
            )
            if rng.random() < 0.05:
                webhook_off.append(["customer", str(20000 + c["customer_id"])])
    world = World(
        seed,
        depts,
        prods,
        custs,
        zreports,
        invs,
        visma_items,
        visma_customers,
        webhook_off,
        planted,
    )
    if zreports[FOREIGN_BATCH_DEPARTMENT]:
        world.foreign_batches = [_foreign_batch(zreports[FOREIGN_BATCH_DEPARTMENT])]
    if invs[FOREIGN_BATCH_DEPARTMENT]:
        world.foreign_invoices = [_foreign_invoice(invs[FOREIGN_BATCH_DEPARTMENT][0])]
    if adversarial:  # after the rest, from its own random source: the rest stays as it was
        _adversarial(world, random.Random(f"adversarial-{seed}"), end, sold_from)
    return world


ON_ACCOUNT_DEPARTMENT = "2"


def _sale_on_account(reports: list[dict[str, Any]], bases: list[dict[str, Any]]) -> None:
    """A day with sales on account: the Z-report of the department's last day that has
    invoice bases is paid "invoice" with their total, and its sales per rate include theirs
    (gross line by line, quantity x price incl. VAT; VAT per basis and rate, half up), as
    DUELL counts a sale on account in the day's sales. Draws nothing from the random source:
    every other figure of the world stays as it was."""
    by_day = {z["business_date"]: z for z in reports}
    days = sorted({b["invoice_date"] for b in bases if b["invoice_date"] in by_day})
    if not days:
        return
    z = by_day[days[-1]]
    gross: dict[Decimal, Decimal] = {}
    vat: dict[Decimal, Decimal] = {}
    for b in bases:
        if b["invoice_date"] != days[-1]:
            continue
        mine: dict[Decimal, Decimal] = {}
        for ln in b["lines"]:
            rate = Decimal(str(ln["vatrate_percent"]))
            mine[rate] = mine.get(rate, Decimal(0)) + round_money(
                ln["quantity"] * Decimal(str(ln["price_inc_vat"]))
            )
        for rate, g in mine.items():
            gross[rate] = gross.get(rate, Decimal(0)) + g
            vat[rate] = vat.get(rate, Decimal(0)) + round_money(g * rate / (100 + rate))
    for rate, g in gross.items():
        sale = next((s for s in z["sales"] if s["vatrate_percent"] == rate), None)
        if sale is None:
            sale = {
                "vatrate_percent": rate,
                "amount_inc_vat": Decimal(0),
                "amount_ex_vat": Decimal(0),
                "vat_amount": Decimal(0),
                "returns": Decimal(0),
            }
            z["sales"].append(sale)
        sale["amount_inc_vat"] += g
        sale["vat_amount"] += vat[rate]
        sale["amount_ex_vat"] += g - vat[rate]
    total = sum(gross.values(), Decimal(0))
    z["payments"].append({"payment_type": "invoice", "amount": total})
    z["article_groups"][-1]["amount_inc_vat"] += total


def _second_register(reports: list[dict[str, Any]]) -> None:
    """Department 2's till is replaced halfway: the second half of its days come from
    register 202, whose Z numbers start again at 1. So the default world has keys of two
    registers (DUELL-Z-2-3 beside DUELL-Z-2-3-K202) in one period, besides Z 3 and Z 30."""
    half = len(reports) // 2
    for i, z in enumerate(reports[half:], start=1):
        z["register_id"], z["z_number"] = "202", i


def _counts(reports: list[dict[str, Any]]) -> None:
    """How many receipts each Z-report closed, and how many were paid in cash (inferred:
    `receipt_count`, `cash_receipt_count`): one cash receipt per 300 kr of cash, at least one
    where there is cash or rounding; one other receipt per 400 kr of each other means. Derived
    from the figures (no draw from the random source: the rest of the world stays as it was)."""
    for z in reports:
        cash = sum(
            abs(Decimal(str(p["amount"]))) for p in z["payments"] if p["payment_type"] == "cash"
        )
        some = 1 if cash or z["round_off_amount"] else 0
        z["cash_receipt_count"] = max(some, int(cash) // 300)
        z["receipt_count"] = z["cash_receipt_count"] + sum(
            int(abs(Decimal(str(p["amount"])))) // 400 + 1
            for p in z["payments"]
            if p["payment_type"] != "cash" and p["amount"]
        )


# The department whose days carry the till's other elements (tips, a cash difference, pant,
# pay-ins and pay-outs), so the seeded world exercises them; not department 1, whose 30 days
# the reconciliation and VAT tests read by hand.
TILL_DEPARTMENT = "3"


def _till_elements(reports: list[dict[str, Any]]) -> None:
    """A few of the department's days, with figures written here (no random draw):
    the 3rd a 150.00 tip paid by card and a cash shortage of 20.00; the 7th pant sold at 15 %
    (48.00, VAT 6.26) and 30.00 of panteautomat vouchers paid back, the 18.00 between them paid
    in cash; the 11th 2,000.00 of float fetched from the bank and 5,000.00 taken to the bank."""
    if len(reports) < 11:
        return

    def pay(z: dict[str, Any], kind: str, amount: Decimal) -> None:
        line = next(p for p in z["payments"] if p["payment_type"] == kind)
        line["amount"] = Decimal(str(line["amount"])) + amount

    tip, short = reports[2], reports[2]
    tip["tips_amount"] = Decimal("150.00")
    pay(tip, "card", Decimal("150.00"))
    short["cash_difference"] = Decimal("-20.00")
    pant = reports[6]
    pant["deposits_sold"] = [
        {
            "vatrate_percent": Decimal(15),
            "amount_inc_vat": Decimal("48.00"),
            "amount_ex_vat": Decimal("41.74"),
            "vat_amount": Decimal("6.26"),
        }
    ]
    pant["deposits_refunded"] = Decimal("30.00")
    pay(pant, "cash", Decimal("18.00"))
    moves = reports[10]
    moves["pay_ins"] = [{"type": "float", "amount": Decimal("2000.00"), "description": "Veksel"}]
    moves["pay_outs"] = [{"type": "bank", "amount": Decimal("5000.00"), "description": "Bank"}]


FOREIGN_BATCH_DEPARTMENT = "3"


FOREIGN_INVOICE_NUMBER = "900001"


def _foreign_invoice(basis: dict[str, Any]) -> dict[str, Any]:
    """DUELL's own Visma module's invoice of the department's first invoice basis: same
    customer (whom the module made in Visma: customer 20000 + DUELL's id, with its org
    number, e-mail and phone, so duvi matches it), date and lines; no duvi key. Its wording is
    inferred."""
    cust = basis["customer"]
    return {
        "department_id": basis["department_id"],
        "number": FOREIGN_INVOICE_NUMBER,
        "customer": {
            "number": str(20000 + cust["customer_id"]),
            "name": cust["customer_name"],
            "corporateId": cust.get("org_number"),
            "email": cust.get("email"),
            "phone": cust.get("phone"),
        },
        "date": basis["invoice_date"],
        "text": f"Faktura {basis['invoice_id']}",
        "lines": [
            {
                "description": ln["description"][:30],
                "quantity": ln["quantity"],
                "price_ex_vat": ln["price_ex_vat"],
                "price_inc_vat": ln.get("price_inc_vat"),
                "vatrate_percent": ln["vatrate_percent"],
            }
            for ln in basis["lines"]
        ],
    }


def _foreign_batch(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """DUELL's own Visma module's batch of one of the department's days (the fifth from the
    last, or the first of a shorter world): an open batch of the day's sales, on the revenue
    and bank accounts. Its wording is inferred (DUELL does not publish it); what matters is
    that it is not duvi's."""
    z = reports[-5] if len(reports) >= 5 else reports[0]
    gross = sum(Decimal(str(s["amount_inc_vat"])) for s in z["sales"])
    return {
        "department_id": FOREIGN_BATCH_DEPARTMENT,
        "batch_number": "000001",
        "business_date": z["business_date"],
        "description": f"Dagsoppgjør {z['business_date']} Z {z['z_number']}",
        "amount": _money(gross),
        # "Flere avdelinger": the department's cost bearer, as the sandbox's setup chooses it
        # (bootstrap.department_setup: segment 1, the department's number in two digits), and
        # every other segment, as its company requires: Garnbua Trøndelag AS takes only the
        # subaccount it has made for Trondheim, 03-100 (_second_company).
        "subaccount": [[1, FOREIGN_BATCH_DEPARTMENT.zfill(2)], [2, "100"]],
    }


def _adversarial(world: World, rng: random.Random, end: date, sold_from: list[str]) -> None:
    """ADVERSARIAL, for department 1: every day of the month of `end`, so that all its
    Z-reports are in one financial period, where the look-ups list them together (a key
    confused with another of its period is what loses a settlement)."""
    last = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    days = last.day
    if days < 30:
        raise ValueError("the adversarial world needs a month of 30 or 31 days")

    def till(register: str, n: int, first_z: int) -> list[dict[str, Any]]:
        reports = _zreports(rng, "1", n, last)
        for i, z in enumerate(reports):
            z["z_number"], z["register_id"] = first_z + i, register
            counts: dict[str, int] = {}
            for number in rng.sample(sold_from, min(len(sold_from), rng.randint(3, 8))):
                counts[number] = counts.get(number, 0) + rng.randint(1, 5)
            z["items_sold"] = [{"product_number": k, "quantity": q} for k, q in counts.items()]
        return reports

    main, second, cafe = till("101", days, 1), till("102", days // 2, 1), till("103", 10, 291)
    offline = second[-8:]
    late = offline[:]
    while [z["z_number"] for z in late] == sorted(z["z_number"] for z in late):
        rng.shuffle(late)
    corrected = copy.deepcopy(next(z for z in main if z["z_number"] == 20))
    sale = next(s for s in corrected["sales"] if s["vatrate_percent"] == 25)
    sale["amount_inc_vat"] += Decimal("125.00")
    sale["amount_ex_vat"] += Decimal("100.00")
    sale["vat_amount"] += Decimal("25.00")
    cash = next(p for p in corrected["payments"] if p["payment_type"] == "cash")
    cash["amount"] += Decimal("125.00")
    world.zreports["1"] = main + second[:-8] + cafe
    world.later = {"1": [*late, corrected]}
    world.variant = "adversarial"


def _customers(
    rng: random.Random, fake: Faker, n: int
) -> tuple[list[dict[str, Any]], dict[str, list[list[int]]]]:
    custs: list[dict[str, Any]] = []
    for cid in range(1, n + 1):
        company = rng.random() < 0.45
        name = fake.company() if company else fake.name()
        digits = _mobile(rng)
        custs.append(
            {
                "customer_id": cid,
                "customer_name": name,
                "org_number": _orgnr(rng) if company else None,
                "phone": rng.choice(_phone_variants(digits)),
                "email": f"{fake.user_name()}{cid}@{fake.free_email_domain()}",
                "primary_address": fake.street_address(),
                "primary_zip": fake.postcode(),
                "city": fake.city(),
            }
        )
    planted: dict[str, list[list[int]]] = {"orgnr": [], "phone": [], "placeholder": [], "email": []}
    share = max(1, n * 5 // 100)  # at least 5 % of every kind
    ids = list(range(n))
    rng.shuffle(ids)
    pairs = [(ids[2 * i], ids[2 * i + 1]) for i in range(min(len(ids) // 2, 3 * share))]
    for kind, chunk in zip(
        ("orgnr", "phone", "email"),
        (pairs[:share], pairs[share : 2 * share], pairs[2 * share :]),
        strict=True,
    ):
        for a, b in chunk:
            src, dup = custs[a], custs[b]
            if kind == "orgnr":
                src["org_number"] = src["org_number"] or _orgnr(rng)
                dup["org_number"] = src["org_number"]
                dup["customer_name"] = src["customer_name"] + rng.choice((" AS", "", " avd. Oslo"))
            elif kind == "phone":
                digits = "".join(ch for ch in src["phone"] if ch.isdigit())[-8:]
                variants = [v for v in _phone_variants(digits) if v != src["phone"]]
                dup["phone"] = rng.choice(variants)
            else:
                dup["email"] = src["email"].upper() if rng.random() < 0.5 else src["email"].title()
            planted[kind].append([src["customer_id"], dup["customer_id"]])
    in_pairs = {cid for pairs in planted.values() for pair in pairs for cid in pair}
    free = [i for i in range(n) if custs[i]["customer_id"] not in in_pairs]
    for i in rng.sample(free, min(len(free), share * 2)):
        custs[i]["phone"] = "99999999"  # DUELL's "no phone"
        planted["placeholder"].append([custs[i]["customer_id"]])
    return custs, planted


def _zreports(rng: random.Random, dept: str, days: int, end: date) -> list[dict[str, Any]]:
    out = []
    z = 1  # every department's Z numbers run 1, 2, 3 …: Z 3 beside Z 30, Z 1 beside Z 10
    for offset in range(days, 0, -1):
        day = end - timedelta(days=offset - 1)
        sales = []
        for rate, weight in VAT_WEIGHTS:
            if rng.random() < (0.97 if weight > 5 else 0.6):
                gross = _money(rng.uniform(200, 25000) * weight / 80)
                returns = (
                    _money(gross * Decimal(rng.uniform(0, 0.04)))
                    if rng.random() < 0.3
                    else Decimal(0)
                )
                gross -= returns
                vat = _money(gross * rate / (100 + rate))
                sales.append(
                    {
                        "vatrate_percent": rate,
                        "amount_inc_vat": gross,
                        "amount_ex_vat": gross - vat,
                        "vat_amount": vat,
                        "returns": returns,
                    }
                )
        gift_sold = _money(rng.choice((0, 0, 0, 250, 500, 1000)))
        total = sum((Decimal(str(s["amount_inc_vat"])) for s in sales), Decimal(0)) + gift_sold
        payments, left = [], total
        for ptype, share in PAYMENT_MIX[:-1]:
            if ptype == "cash":
                continue
            amount = _money(total * Decimal(share) / 100 * Decimal(rng.uniform(0.7, 1.3)))
            amount = min(amount, left)
            payments.append({"payment_type": ptype, "amount": amount})
            left -= amount
        giftcard = min(left, _money(rng.choice((0, 0, 200, 450))))
        if giftcard:
            payments.append({"payment_type": "giftcard", "amount": giftcard})
            left -= giftcard
        cash = round_money(left, KRONE)  # cash is paid in whole kroner
        payments.append({"payment_type": "cash", "amount": cash})
        rounding = left - cash
        closed = datetime.combine(day, time(21, rng.randint(0, 59)))
        if day.month != (day + timedelta(days=1)).month or rng.random() < 0.05:
            closed = datetime.combine(day + timedelta(days=1), time(0, rng.randint(5, 40)))
        net_total = sum((Decimal(str(s["amount_ex_vat"])) for s in sales), Decimal(0))
        groups, rest = [], total - gift_sold
        for gid, gname in GROUPS[:-1]:
            part = _money(rest * Decimal(rng.uniform(0.05, 0.3)))
            groups.append({"group_id": gid, "name": gname, "amount_inc_vat": part})
            rest -= part
        groups.append({"group_id": GROUPS[-1][0], "name": GROUPS[-1][1], "amount_inc_vat": rest})
        out.append(
            {
                "department_id": dept,
                "z_number": z,
                "register_id": f"{dept}01",
                "business_date": day.isoformat(),
                "closed_at": closed.isoformat(),
                "sales": sales,
                "returns_inc_vat": sum((s["returns"] for s in sales), Decimal(0)),
                "payments": payments,
                "giftcards_sold": gift_sold,
                "round_off_amount": rounding,
                "cost_of_goods": _money(net_total * Decimal(rng.uniform(0.45, 0.55))),
                "article_groups": groups,
                "company": {"org_number": "998877665", "name": "Garnbua AS"},
            }
        )
        z += 1
    return out


def _invoices(
    rng: random.Random, custs: list[dict[str, Any]], prods: list[dict[str, Any]], n: int, end: date
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {d: [] for d, _, _ in DEPARTMENTS}
    for i in range(1, n + 1):
        dept = DEPARTMENTS[i % len(DEPARTMENTS)][0]
        cust = rng.choice([c for c in custs[:200] if c.get("org_number")] or custs)
        lines = []
        for p in rng.sample(prods, rng.randint(1, 4)):
            rate = Decimal(str(p["vatrate_percent"]))
            ex = _money(Decimal(str(p["price_inc_vat"])) * 100 / (100 + rate))
            lines.append(
                {
                    "product_number": p["product_number"],
                    "description": p["product_name"],
                    "quantity": rng.randint(1, 10),
                    "price_ex_vat": ex,
                    "price_inc_vat": Decimal(str(p["price_inc_vat"])),
                    "vatrate_percent": rate,
                }
            )
        out[dept].append(
            {
                "department_id": dept,
                "invoice_id": i,  # 1 … n: DUELL-INV-1-3 beside DUELL-INV-1-30
                "invoice_date": (end - timedelta(days=rng.randrange(30))).isoformat(),
                "customer": dict(cust),
                "reference": f"Ordre {7000 + i}",
                "lines": lines,
            }
        )
    return out


def sandbox_credentials(seed: int = 0) -> list[DepartmentCredentials]:
    """The Visma integration client of each sandbox department (as `build_sandbox` registers)."""
    return [
        DepartmentCredentials(
            dept,
            name,
            f"isv_duvi_sandbox_dept{dept}",
            f"sandbox-secret-{seed}-{dept}",
            COMPANY_TENANT if dept != "3" else SECOND_TENANT,
        )
        for dept, name, _city in DEPARTMENTS
    ]


def build_sandbox(
    seed: int = 0,
    *,
    faults: Faults | None = None,
    rate_limit: int = 15000,
    rate_window: float = 3600,
    world: World | None = None,
) -> tuple[Sandbox, list[DepartmentCredentials]]:
    """Both simulated services, filled with the world of `seed`."""
    world = world or generate(seed)
    state = DuellState(
        client_number=DUELL_CLIENT_NUMBER, client_token=f"duell-api-token-{seed}-sandbox"
    )
    state.departments = world.departments
    state.products = {p["product_id"]: dict(p) for p in world.products}
    state.categories = {int(p["category_id"]): str(p["category_name"]) for p in world.products}
    state.customers = {c["customer_id"]: dict(c) for c in world.customers}
    state.zreports = world.zreports
    state.later = world.later
    state.invoices = world.invoices
    rng = random.Random(seed + 1)
    for d in world.departments:
        for p in world.products:
            state.stock[(d["department_id"], p["product_id"])] = rng.randint(0, 40)
    sb = Sandbox(
        faults=faults, rate_limit=rate_limit, rate_window=rate_window, duell=DuellSandbox(state)
    )
    creds = sandbox_credentials(seed)
    for c in creds:
        if c.visma_tenant_id not in sb.visma.companies:
            name = "Garnbua AS" if c.visma_tenant_id == COMPANY_TENANT else "Garnbua Trøndelag AS"
            sb.add_company(
                c.visma_tenant_id,
                name,
                departments=[d for d, _, _ in DEPARTMENTS],
                client_id=c.visma_client_id,
                client_secret=c.visma_client_secret,
            )
        else:
            sb.connect.register(c.visma_client_id, c.visma_client_secret, {c.visma_tenant_id})
        sb.connect.clients[c.visma_client_id][1].add(CUSTOMER_TENANT)
    sb.visma.customer_tenants.add(CUSTOMER_TENANT)
    _second_company(sb.visma.companies[SECOND_TENANT])
    # The second company keeps a financial year from July (period 01 = July; 2027 = July
    # 2026 to June 2027) and has closed September 2026, before the world's days, in its
    # general and customer ledgers, as an accountant closes a finished period.
    sb.visma.companies[SECOND_TENANT].years = FinancialYears(
        start_month=7, closed={SECOND_CLOSED: {"GeneralLedger", "CustomerLedger"}}
    )
    _fill_visma(sb, world, creds)
    return sb, creds


def _second_company(company: Company) -> None:
    """Garnbua Trøndelag AS keeps its books stricter than Garnbua AS: its own warehouse ids,
    and only the subaccounts it has made are valid (validated combinations). Trondheim's
    subaccount carries project 100, so the default subaccount's 000 filled in beside its
    department would be refused (findings B12, B18)."""
    company.warehouses = {
        "TRH": {"warehouseID": "TRH", "description": "Lager Solsiden", "active": True},
        "GAMMEL": {"warehouseID": "GAMMEL", "description": "Nedlagt lager", "active": False},
    }
    company.validate_subaccounts = True
    segments = company.dimensions["SUBACCOUNT"]["segments"]
    segments[1]["segmentValues"].append({"valueId": "100", "description": "Butikk", "active": True})
    trondheim = company.subaccounts.pop("03-000")
    trondheim["subaccountNumber"] = "03-100"
    trondheim["segments"][1].update(segmentValue="100", segmentValueDescription="Butikk")
    company.subaccounts["03-100"] = trondheim


def _fill_visma(sb: Sandbox, world: World, creds: list[DepartmentCredentials]) -> None:
    company = sb.visma.companies[COMPANY_TENANT]
    cat_by_rate = {
        Decimal(str(r["vatCategoryLines"][0]["vatRates"][0]["vatRate"])): cid
        for cid, r in company.vat_categories.items()
        if cid in ("1", "2", "3", "4")
    }
    for i, item in enumerate(world.visma_items):
        number = item["inventoryNumber"]
        cat = cat_by_rate.get(Decimal(str(item["vatRate"])), "1")
        record: dict[str, Any] = {
            "inventoryId": 50000 + i,
            "inventoryNumber": number,
            "status": "Active",
            "type": "FinishedGoodItem",
            "stockItem": True,
            "baseUnit": "STK",
            "salesUnit": "STK",
            "vatCode": {"id": cat, "description": company.vat_categories[cat]["description"]},
            "defaultPrice": Decimal(str(item["defaultPrice"])),
            "lastCost": Decimal(str(item["lastCost"])),
            "costPriceStatistics": {
                "lastCost": Decimal(str(item["lastCost"])),
                "averageCost": Decimal(str(item["averageCost"])),
            },
            "crossReferences": [{"alternateType": "Barcode", "alternateID": item["barcode"]}],
        }
        if item["description"] is not None:
            record["description"] = item["description"]
        company.items[number] = record
        company.touch("item", number, record)
    for i, cust in enumerate(world.visma_customers):
        number = cust["number"]
        record = {
            "internalId": 80000 + i,
            "number": number,
            "name": cust["name"],
            "status": "Active",
            "currencyId": "NOK",
            "mainContact": {
                "contactId": 90000 + i,
                "email": cust["email"],
                "phone1": cust["phone"],
            },
        }
        if cust.get("corporateId"):
            record["corporateId"] = cust["corporateId"]
        company.customers[number] = record
        company.touch("customer", number, record)
    company.webhook_off |= {(k, n) for k, n in world.webhook_off}
    for f in world.foreign_batches:
        tenant = next(c.visma_tenant_id for c in creds if c.department_id == f["department_id"])
        other = sb.visma.companies[tenant]
        amount = str(f["amount"])
        bearer = [{"segmentId": i, "segmentValue": v} for i, v in f["subaccount"]]
        fields = {
            "hold": True,  # "åpen bunt": DUELL's module leaves it for the accountant
            "transactionDate": f["business_date"],
            "description": f["description"],
            "journalTransactionLines": [
                {"accountNumber": "1920", "debitAmountInCurrency": amount, "subaccount": bearer},
                {"accountNumber": "3000", "creditAmountInCurrency": amount, "subaccount": bearer},
            ],
        }
        record = build_journal(other, fields, f["batch_number"])
        other.journals[f["batch_number"]] = record
        other.touch("journal", f["batch_number"], record)
    for f in world.foreign_invoices:
        tenant = next(c.visma_tenant_id for c in creds if c.department_id == f["department_id"])
        _put_foreign_invoice(sb.visma.companies[tenant], f)


def _put_foreign_invoice(company: Company, f: dict[str, Any]) -> None:
    """The foreign invoice and its customer, as DUELL's module would have made them."""
    cust = f["customer"]
    if cust["number"] not in company.customers:
        record = {
            "internalId": 89999,
            "number": cust["number"],
            "name": cust["name"],
            "status": "Active",
            "currencyId": "NOK",
            "mainContact": {"contactId": 99999, "email": cust["email"], "phone1": cust["phone"]},
        }
        if cust.get("corporateId"):
            record["corporateId"] = cust["corporateId"]
        company.customers[cust["number"]] = record
        company.touch("customer", cust["number"], record)
    by_rate = {
        Decimal(str(r["vatCategoryLines"][0]["vatRates"][0]["vatRate"])): cid
        for cid, r in company.vat_categories.items()
        if r.get("vatCategoryLines")
    }
    fields = {
        "customerNumber": cust["number"],
        "hold": True,
        "documentDate": f["date"],
        "invoiceText": f["text"],
        "invoiceLines": [
            {
                "description": ln["description"],
                "quantity": str(ln["quantity"]),
                # the seeded categories take prices VAT included (ExtractFromItemAmount)
                "unitPriceInCurrency": str(ln.get("price_inc_vat") or ln["price_ex_vat"]),
                "vatCodeId": by_rate.get(Decimal(str(ln["vatrate_percent"]))),
            }
            for ln in f["lines"]
        ],
    }
    record = build_invoice(company, fields, f["number"])
    company.invoices[f["number"]] = record
    company.touch("invoice", f["number"], record)
