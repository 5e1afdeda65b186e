"""What the outside systems hold at the end of a run, in a form two runs can be compared by:
the sandbox's own records (not what duvi says it did), with what the services assign
themselves (numbers, ids, timestamps, versions) taken out, and customers referred to by
what they are rather than by the number Visma happened to give them."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

# Top-level keys the service assigns: they differ between two runs that did the same thing.
ASSIGNED = {
    "internalId",
    "inventoryId",
    "number",
    "referenceNumber",
    "batchNumber",
    "lastModifiedDateTime",
    "createdDateTime",
    "timeStamp",
    "timestamp",
    "_created",
}
NESTED_IDS = {"addressId", "contactId"}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in sorted(value.items()) if k not in NESTED_IDS}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _canon(record: dict[str, Any]) -> str:
    return json.dumps(
        _clean({k: v for k, v in record.items() if k not in ASSIGNED}), default=str, sort_keys=True
    )


@dataclass
class EndState:
    visma: dict[str, dict[str, Counter[str]]]  # tenant -> kind -> canonical record -> count
    duell: dict[str, Counter[str]]

    def duplicates(self) -> list[str]:
        """Records that exist more than once where once is the rule."""
        out = []
        for tenant, kinds in self.visma.items():
            for kind in ("journals", "invoices", "issues", "items"):
                out += [f"{tenant}/{kind}: {r[:120]}" for r, n in kinds[kind].items() if n > 1]
        return out

    def records(self) -> int:
        return sum(sum(c.values()) for k in self.visma.values() for c in k.values()) + sum(
            sum(c.values()) for c in self.duell.values()
        )


def end_state(sandbox: Any) -> EndState:
    visma: dict[str, dict[str, Counter[str]]] = {}
    for tenant, co in sandbox.visma.companies.items():
        who = {
            n: _canon(c) for n, c in co.customers.items()
        }  # a customer number -> the customer itself

        def named(record: dict[str, Any], who: dict[str, str] = who) -> dict[str, Any]:
            customer = record.get("customer")
            if isinstance(customer, dict) and customer.get("number") in who:
                return {**record, "customer": who[customer["number"]]}
            return record

        visma[tenant] = {
            "customers": Counter(who.values()),
            "items": Counter(_canon(i) for i in co.items.values()),
            "invoices": Counter(_canon(named(i)) for i in co.invoices.values()),
            "journals": Counter(_canon(j) for j in co.journals.values()),
            "issues": Counter(_canon(i) for i in co.issues.values()),
            "stock": Counter(f"{k}={v}" for k, v in co.stock.items()),
        }
    st = sandbox.duell.state
    duell = {
        "products": Counter(_canon(p) for p in st.products.values()),
        "customers": Counter(_canon(c) for c in st.customers.values()),
        "stock": Counter(f"{k}={v}" for k, v in st.stock.items()),
    }
    return EndState(visma, duell)


def differences(a: EndState, b: EndState) -> list[str]:
    """What one side holds that the other does not (or not as often)."""
    out = []
    for tenant in sorted(set(a.visma) | set(b.visma)):
        for kind in sorted(set(a.visma.get(tenant, {})) | set(b.visma.get(tenant, {}))):
            x, y = (
                a.visma.get(tenant, {}).get(kind, Counter()),
                b.visma.get(tenant, {}).get(kind, Counter()),
            )
            out += [f"only in first {tenant}/{kind}: {r[:160]}" for r in (x - y)]
            out += [f"only in second {tenant}/{kind}: {r[:160]}" for r in (y - x)]
    for kind in sorted(set(a.duell) | set(b.duell)):
        x, y = a.duell.get(kind, Counter()), b.duell.get(kind, Counter())
        out += [f"only in first duell/{kind}: {r[:160]}" for r in (x - y)]
        out += [f"only in second duell/{kind}: {r[:160]}" for r in (y - x)]
    return out
