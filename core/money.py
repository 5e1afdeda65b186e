"""The one rounding rule for money: half up (ROUND_HALF_UP), to the øre unless a coarser step
is asked (cash in whole kroner).

Why half up: it is Norwegian practice for amounts and VAT (0.005 kr rounds to 0.01, as on a
receipt and in a regnskapsfører's hand computation; accounting-no.md C.4 "rounded per rate"),
and DUELL's own per-receipt VAT is half up (findings 2026-12-acct.md section 7: every sandbox
figure equals the half-up recomputation). Banker's rounding (HALF_EVEN, Python's default
context) made the SAF-T export and the journal disagree by an øre (findings #13: gross 0.42 at
12 % gave VAT 0.04 in the export, 0.05 in the journal). Every quantize of money in core/ goes
through here, so no second rule can creep in (tests/test_money.py checks)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
KRONE = Decimal(1)


def round_money(value: Decimal, step: Decimal = CENT) -> Decimal:
    """`value` rounded half up to `step` (the øre by default)."""
    return value.quantize(step, ROUND_HALF_UP)


def vat_of(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT in a VAT-inclusive `gross` at `rate` %: gross x r / (100 + r), half up to øre."""
    return round_money(gross * rate / (100 + rate))


def money_json(value: Decimal) -> str:
    """An amount in JSON output: a decimal string with two decimals ("753.00", never "753.0"
    or a float), rounded by the one rule."""
    return str(round_money(value))
