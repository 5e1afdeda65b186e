"""The seeded world: deterministic, consistent, and with the duplicates the design plants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import phonenumbers
from stdnum.no import orgnr

from core.duell.client import zreport_from_wire
from core.sandbox.world import generate

ROOT = Path(__file__).parent.parent


def test_same_seed_same_world_other_seed_other_world() -> None:
    a, b, c = (
        generate(3, products=300, customers=200),
        generate(3, products=300, customers=200),
        generate(4, products=300, customers=200),
    )
    assert a == b
    assert a.customers != c.customers and a.products != c.products


def test_sizes_are_options() -> None:
    w = generate(1, products=3345, customers=2000, days=10, invoices=7)
    assert len(w.products) == 3345 and len(w.customers) == 2000
    assert all(len(z) == 10 for z in w.zreports.values())
    assert sum(len(v) for v in w.invoices.values()) == 7


def test_every_zreport_adds_up(seeded_world) -> None:
    for dept, reports in seeded_world.zreports.items():
        per_register: dict[str, list[int]] = {}
        for r in reports:
            per_register.setdefault(r["register_id"], []).append(r["z_number"])
        for numbers in per_register.values():  # each till counts 1, 2, 3 … without a gap
            assert numbers == list(range(1, len(numbers) + 1))
        for raw in reports:
            z = zreport_from_wire(raw, dept)
            assert z.inconsistencies() == [], (dept, z.z_number)
            for s in z.sales:  # net + VAT per rate is the gross, VAT as the rate says
                assert s.net is not None and s.vat is not None
                assert s.vat == (s.gross * s.rate / (100 + s.rate)).quantize(Decimal("0.01"))
            assert {p.type for p in z.payments} >= {"bankaxept", "card", "vipps", "cash"}
            assert abs(z.rounding) < 1  # cash rounding to whole kroner
            # The article groups are the sales' (not the gift cards, tips or pant).
            assert sum(g.gross for g in z.article_groups) == sum(s.gross for s in z.sales)


def test_zreports_have_returns_gift_cards_and_after_midnight_closings(seeded_world) -> None:
    reports = [r for rs in seeded_world.zreports.values() for r in rs]
    assert any(r["returns_inc_vat"] > 0 for r in reports)
    assert any(r["giftcards_sold"] > 0 for r in reports)
    assert any(p["payment_type"] == "giftcard" for r in reports for p in r["payments"])
    assert any(r["closed_at"][:10] != r["business_date"] for r in reports)
    assert {s["vatrate_percent"] for r in reports for s in r["sales"]} == {25.0, 15.0, 12.0, 0.0}


def test_planted_duplicates_of_every_kind(seeded_world) -> None:
    custs = {c["customer_id"]: c for c in seeded_world.customers}
    n = len(custs)
    for kind in ("orgnr", "phone", "email"):
        assert len(seeded_world.planted[kind]) >= n * 5 // 100
    for a, b in seeded_world.planted["orgnr"]:
        assert custs[a]["org_number"] == custs[b]["org_number"]
        assert orgnr.is_valid(custs[a]["org_number"])
    for a, b in seeded_world.planted["phone"]:
        assert custs[a]["phone"] != custs[b]["phone"]  # written differently...
        same = {
            phonenumbers.format_number(
                phonenumbers.parse(custs[x]["phone"], "NO"), phonenumbers.PhoneNumberFormat.E164
            )
            for x in (a, b)
        }
        assert len(same) == 1  # ...the same number
    for a, b in seeded_world.planted["email"]:
        assert custs[a]["email"] != custs[b]["email"]
        assert custs[a]["email"].casefold() == custs[b]["email"].casefold()
    assert Counter(c["phone"] for c in custs.values())["99999999"] >= n * 5 // 100


def test_products_and_the_visma_side(seeded_world) -> None:
    prods = seeded_world.products
    assert Counter(p["vatrate_percent"] for p in prods).keys() == {25.0, 15.0, 12.0, 0.0}
    numbers = Counter(p["product_number"] for p in prods)
    assert any(count > 1 for count in numbers.values())  # product_number is not unique
    # EAN-13, and every 50th a GTIN-14 with a leading 0 (as some of DUELL's real barcodes)
    assert all(len(p["barcode"]) == (14 if p["product_id"] % 50 == 0 else 13) for p in prods)
    assert all(p["barcode"][0] == "0" for p in prods if p["product_id"] % 50 == 0)
    items = seeded_world.visma_items
    assert 0.4 * len(numbers) < len(items) < 0.8 * len(numbers)
    assert any(i["description"] is None for i in items)  # nameless items
    kinds = Counter(k for k, _ in seeded_world.webhook_off)
    assert kinds["item"] > 0 and kinds["customer"] > 0


def test_world_command_writes_json(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "sandbox",
            "world",
            "--seed",
            "5",
            "--out",
            str(tmp_path),
            "--products",
            "120",
            "--customers",
            "80",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr
    products = json.loads((tmp_path / "products.json").read_text())
    customers = json.loads((tmp_path / "customers.json").read_text())
    assert len(products) == 120 and len(customers) == 80
    assert (tmp_path / "zreports.json").exists()


def test_the_world_has_colliding_keys(seeded_world) -> None:
    """Keys one of which is a prefix of another (issue 17): Z 3 beside Z 30 and Z 1 beside
    Z 10 in department 1, two registers with equal Z numbers in department 2 (one period),
    and invoice 3 beside invoice 30 of one department."""
    dept1 = {z["z_number"] for z in seeded_world.zreports["1"]}
    assert {1, 3, 10, 30} <= dept1
    dept2 = seeded_world.zreports["2"]
    assert {z["register_id"] for z in dept2} == {"201", "202"}
    nov = {(z["register_id"], z["z_number"]) for z in dept2 if z["business_date"] >= "2026-11"}
    assert {("201", 5), ("202", 5)} <= nov  # DUELL-Z-2-5 beside DUELL-Z-2-5-K202
    assert {3, 30} <= {i["invoice_id"] for i in seeded_world.invoices["1"]}
