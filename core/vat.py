"""The VAT mapping checked against Visma: a DUELL rate may map only to a Visma VAT id of that
rate (25 % to the 15 % code books the wrong VAT). One check, used by the console's editor,
the command line's setup and doctor; one save, used by the editor and the setup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from core.departments import SAFT_CODES, Departments, rate_key
from core.errors import ConfigError

if TYPE_CHECKING:
    from core.runtime import Runtime
    from core.visma.client import VismaClient
    from core.visma.models import VatRate


@dataclass(frozen=True)
class VismaVat:
    """One of the company's VAT ids and the rate(s) it books today."""

    vat_id: str
    description: str
    rates: frozenset[Decimal]  # empty: Visma gives this id no rate

    def rate_text(self) -> str:
        return " / ".join(f"{rate_key(r)} %" for r in sorted(self.rates)) or "no rate"


def _current(rates: list[VatRate], today: str) -> Decimal | None:
    """The rate in force today: the latest that has started (start dates are ISO text)."""
    started = [r for r in rates if r.vat_rate is not None and (r.start_date or "") <= today]
    if not started:
        return None
    return max(started, key=lambda r: r.start_date or "").vat_rate


async def read_visma_vat(visma: VismaClient) -> dict[str, VismaVat]:
    """The company's VAT ids with their rates. `/v1/vat` has no rate; a VAT category's lines
    carry each id's rates (docs/visma-net-api.md, VAT)."""
    today = date.today().isoformat()
    rates: dict[str, set[Decimal]] = {}
    for category in await visma.list_vat_categories():
        for line in category.vat_category_lines:
            rate = _current(line.vat_rates, today + "T99")  # a start later today has started
            if line.vat_id and rate is not None:
                rates.setdefault(line.vat_id, set()).add(rate)
    return {
        v.vat_id: VismaVat(v.vat_id, v.description or "", frozenset(rates.get(v.vat_id, ())))
        for v in await visma.list_vat()
        if v.vat_id
    }


def mismatch(rate: Decimal, vat_id: str, codes: Mapping[str, VismaVat]) -> str | None:
    """Why `rate` cannot map to `vat_id`, or None when it can."""
    code = codes.get(vat_id)
    if code is None:
        return f"VAT rate {rate_key(rate)} %: Visma has no VAT id {vat_id}"
    if rate not in code.rates:
        # An id Visma gives no rate cannot be checked: refused, not trusted (inferred).
        return (
            f"VAT rate {rate_key(rate)} % cannot map to Visma VAT id {vat_id}: "
            f"its rate is {code.rate_text()}"
        )
    return None


def suggested(rate: Decimal, codes: Mapping[str, VismaVat]) -> str | None:
    """The id a rate should map to: the one named by the rate's SAF-T standard code when the
    company has it at that rate (Visma's Norwegian VAT ids follow the SAF-T codes: inferred
    from the documentation's examples), else the first id of that rate."""
    saft = SAFT_CODES.get(rate)
    if saft is not None and saft in codes and rate in codes[saft].rates:
        return saft
    return next((c.vat_id for c in codes.values() if rate in c.rates), None)


def refuse_mismatches(mapping: Mapping[Decimal, str | None], codes: Mapping[str, VismaVat]) -> None:
    """Refuse (ConfigError) a mapping that maps a rate to an id of another rate."""
    wrong = [m for r, v in mapping.items() if v and (m := mismatch(r, v, codes))]
    if wrong:
        raise ConfigError(
            "; ".join(wrong),
            "map each rate to a Visma VAT id of the same rate (the suggested one is the "
            "SAF-T code's); nothing was saved",
        )


def save_mapping(
    rt: Runtime,
    dept_id: str,
    mapping: Mapping[Decimal, str | None],
    codes: Mapping[str, VismaVat],
) -> str:
    """Check every rate given against Visma's VAT ids, then save what changed (each change
    audited); the held transfers the mapping blocked go back in the queue. Returns a line
    for a person."""
    from core.accounting import held_for_mapping
    from core.ledger import Ledger, State
    from core.service import refuse_if_read_only

    refuse_if_read_only(rt, "saving the VAT mapping")
    refuse_mismatches(mapping, codes)
    depts = Departments(rt.store, rt.secrets)
    current = depts.vat_mappings(dept_id)
    for rate, vat_id in mapping.items():
        if (current[rate].visma_vat_id if rate in current else None) != vat_id:
            depts.set_vat_mapping(dept_id, rate, vat_id)
    ledger = Ledger(rt.store)
    unblocked = 0
    for row in ledger.rows(dept_id, states=(State.ATTENTION,)):
        if held_for_mapping(row.last_error):
            unblocked += ledger.retry(row.key)
    mapped = {**{r: m.visma_vat_id for r, m in current.items()}, **mapping}
    missing = [r for r, v in mapped.items() if not v]
    state = (
        "still blocked: " + ", ".join(f"{rate_key(r)} %" for r in missing)
        if missing
        else "complete"
    )
    return f"VAT mapping saved ({state}); {unblocked} held transfer(s) queued again" + (
        "; the next run (r, or the runner) sends them" if unblocked else ""
    )


def vat_status(rate: Decimal, vat_id: str, codes: Mapping[str, VismaVat]) -> str:
    """The editor's status of a mapped rate against Visma's ids (read)."""
    if vat_id not in codes:
        return "invalid"
    return "ok" if rate in codes[vat_id].rates else "wrong rate"
