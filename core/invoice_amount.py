"""An invoice basis's total incl. VAT, from its lines as stored.

Its own module: the transfers list (core.transferview) shows it and the invoice transfer
(core.transfers.invoices) compares it against Visma's, and transferview imports
core.transfers, so neither may import it from the other (a console that opened the
transfers list first failed with a circular import)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.money import round_money


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def invoice_total(lines: list[dict[str, Any]]) -> Decimal:
    """An invoice basis's total incl. VAT: each line's net and VAT rounded to the øre
    (inferred: Visma computes the VAT per document from the VAT code, so its total may differ
    by an øre on an invoice of many lines)."""
    total = Decimal(0)
    for ln in lines:
        net = _line_net(ln)
        total += net + round_money(net * _money(ln.get("vat_rate")) / 100)
    return total


def _line_net(ln: dict[str, Any]) -> Decimal:
    gross = _money(ln.get("quantity")) * _money(ln.get("unit_price_ex_vat"))
    discount = _money(ln.get("discount_percent"))
    return round_money(gross * (100 - discount) / 100)
