"""The sync status panel's data: per department and entity, the state, last success, last
error in short, pending count and next automatic run. Read from the store only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the console imports this module before its first frame: keep it light
    from core.runtime import Runtime


class Entity(StrEnum):
    """What the status panel shows a row for. The value is the store's name (ledger kind,
    conflict and event entity); the plural is what `duvi sync --entity` runs."""

    ZREPORT = "zreport"
    INVOICE = "invoice"
    PRODUCT = "product"
    CUSTOMER = "customer"
    STOCK = "stock"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def plural(self) -> str:
        return "stock" if self is Entity.STOCK else f"{self.value}s"

    @classmethod
    def from_plural(cls, name: str) -> Entity:
        """The entity a plural names ("products", "stock"); a ValueError for any other name."""
        for entity in cls:
            if entity.plural == name:
                return entity
        raise ValueError(f"{name!r} is not the plural of an entity")


_LABELS = {
    Entity.ZREPORT: "Z-reports",
    Entity.INVOICE: "Invoices",
    Entity.PRODUCT: "Products",
    Entity.CUSTOMER: "Customers",
    Entity.STOCK: "Stock",
    Entity.WEBHOOK: "Webhooks",
}

# What a person can ask to run for a department: the status panel's entities, plus "all".
RUNNABLE = {
    "products": ("products",),
    "customers": ("customers",),
    "zreports": ("zreport",),
    "invoices": ("invoice",),
    "stock": ("stock",),
    "webhooks": ("webhooks",),
    "transfers": ("zreport", "invoice", "stock"),
    "all": ("webhooks", "products", "customers", "zreport", "invoice", "stock"),
}
# The status panel's row keys, to what they run.
PANEL_ENTITY: dict[str, str] = {e: e.plural for e in Entity}


@dataclass(frozen=True)
class EntityStatus:
    entity: Entity
    label: str
    state: str  # ok / attention / failing / off / idle
    last_success: str | None
    last_error: str | None
    pending: int
    next_run: str | None


@dataclass(frozen=True)
class DepartmentStatus:
    id: str
    name: str
    set_up: bool
    company: str | None
    settings_summary: str
    rows: list[EntityStatus]
    backoff: str | None = None  # the runner's rounds fail for it: why, since when, next try


def runner_waiting(info: str | None) -> dict[str, dict[str, Any]]:
    """The departments the runner backs off for, from its heartbeat's info: department ->
    failures, since, next_try (ISO UTC) and error. Nothing when the info is unreadable."""
    import json

    try:
        waiting = json.loads(info or "{}").get("waiting") or {}
    except (ValueError, AttributeError):
        return {}
    return waiting if isinstance(waiting, dict) else {}


def round_figures(info: str | None) -> str | None:
    """The runner's last round in a line, from its round heartbeat (core/runner.py): how long
    it and its slowest department took, and which departments waited for rate budget."""
    import json

    try:
        r = json.loads(info or "")
        took: dict[str, float] = r.get("department_seconds") or {}
        waits: dict[str, float] = r.get("budget_waits") or {}
        line = f"last round {len(took)} departments in {float(r['seconds']):.1f} s"
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if r.get("concurrency"):
        line += f" ({r['concurrency']} at once)"
    if took:
        slowest = max(took, key=took.__getitem__)
        line += f"; slowest department {slowest} ({took[slowest]:.1f} s)"
    if waits:
        top = sorted(waits.items(), key=lambda kv: -kv[1])
        line += "; waited for rate budget: " + ", ".join(f"{d} ({w:.1f} s)" for d, w in top[:5])
        line += f" and {len(top) - 5} more" if len(top) > 5 else ""
    return line


def _short(text: str | None, width: int = 60) -> str | None:
    if not text:
        return None
    line = text.splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def department_status(rt: Runtime, dept_id: str) -> DepartmentStatus:
    from core.departments import Departments

    depts = Departments(rt.store, rt.secrets)
    dept = depts.get(dept_id)
    assert dept is not None
    s = dept.settings
    enabled = {
        "zreport": s.zreports,
        "invoice": s.invoices,
        "product": True,
        "customer": True,
        "stock": s.stock_update,
        "webhook": True,
    }
    beat = rt.store.query("SELECT ts, info FROM heartbeats WHERE component = 'runner'")
    waiting = runner_waiting(beat[0]["info"]).get(dept_id) if beat else None
    next_run = backoff = None
    if s.automatic_transfer and waiting:
        retry = _hhmm(waiting["next_try"])
        next_run = f"retry {retry}"
        backoff = (
            f"The runner's automatic transfer fails for this department: {waiting['error']} "
            f"({waiting['failures']} rounds in a row since {_hhmm(waiting['since'])}). It tries "
            f"again at {retry} by itself; `duvi doctor --dept {dept_id}` checks it now."
        )
    elif s.automatic_transfer and beat:
        last = datetime.fromisoformat(beat[0]["ts"].replace("Z", "+00:00"))
        nxt = last + timedelta(minutes=rt.settings.sync_interval_minutes)
        next_run = nxt.astimezone().strftime("%H:%M") if nxt > datetime.now(UTC) else "due"
    elif s.automatic_transfer:
        next_run = "runner off"
    rows = []
    for entity in Entity:
        if entity in ("zreport", "invoice", "stock"):
            counts = {
                r["state"]: r["n"]
                for r in rt.store.query(
                    "SELECT state, count(*) AS n FROM ledger WHERE department_id = ? AND kind = ? "
                    "GROUP BY state",
                    [dept_id, entity],
                )
            }
            pending = counts.get("pending", 0) + counts.get("sent", 0)
            bad = counts.get("failed", 0) + counts.get("attention", 0)
            last_ok = rt.store.query(
                "SELECT max(updated_at) AS t FROM ledger WHERE department_id = ? AND kind = ? "
                "AND state IN ('confirmed', 'released')",
                [dept_id, entity],
            )[0]["t"]
            err = rt.store.query(
                "SELECT last_error FROM ledger WHERE department_id = ? AND kind = ? AND state IN "
                "('failed', 'attention') ORDER BY updated_at DESC LIMIT 1",
                [dept_id, entity],
            )
            last_error = err[0]["last_error"] if err else None
            state = (
                "failing"
                if counts.get("failed")
                else "attention"
                if bad
                else ("ok" if last_ok else "idle")
            )
        elif entity == "webhook":
            pending = rt.store.query(
                "SELECT count(*) AS n FROM webhook_inbox WHERE state = 'pending' AND tenant_id = ?",
                [s.visma_tenant_id or ""],
            )[0]["n"]
            last_ok = rt.store.query(
                "SELECT max(processed_at) AS t FROM webhook_inbox WHERE state = 'applied' AND "
                "tenant_id = ?",
                [s.visma_tenant_id or ""],
            )[0]["t"]
            last_error, state = None, "ok" if last_ok else "idle"
        else:
            conflicts = rt.store.query(
                "SELECT count(*) AS n FROM conflicts WHERE department_id = ? AND entity = ? AND "
                "state = 'open'",
                [dept_id, entity],
            )[0]["n"]
            pending = conflicts
            # Newest first along the (department, level, id) index: stops at the first match.
            found = rt.store.query(
                "SELECT ts FROM events WHERE department_id = ? AND level = 20 AND entity = ? "
                "ORDER BY id DESC LIMIT 1",
                [dept_id, entity],
            )
            last_ok = found[0]["ts"] if found else None
            err = rt.store.query(
                "SELECT message FROM events WHERE department_id = ? AND entity = ? AND "
                "level >= 40 ORDER BY id DESC LIMIT 1",
                [dept_id, entity],
            )
            last_error = err[0]["message"] if err else None
            state = "attention" if conflicts else ("ok" if last_ok else "idle")
        if not enabled[entity]:
            state = "off"
        rows.append(
            EntityStatus(
                entity,
                entity.label,
                state,
                _when(last_ok),
                _short(last_error),
                pending,
                next_run if enabled[entity] else None,
            )
        )

    def onoff(flag: bool) -> str:
        return "on" if flag else "off"

    summary = (
        f"Company: {s.visma_company_name or '-'}   Z-reports {onoff(s.zreports)}, invoices "
        f"{onoff(s.invoices)}, automatic {onoff(s.automatic_transfer)}, stock "
        f"{onoff(s.stock_update)}   Masters: products {s.product_master}, customers "
        f"{s.customer_master}"
    )
    return DepartmentStatus(
        dept.id, dept.name, depts.is_set_up(dept.id), s.visma_company_name, summary, rows, backoff
    )


def _when(ts: str | None) -> str | None:
    if not ts:
        return None
    dt = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone()
    return dt.strftime("%d.%m %H:%M")


def _hhmm(ts: str) -> str:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone().strftime("%H:%M")


def all_status(rt: Runtime) -> list[DepartmentStatus]:
    from core.departments import Departments

    return [department_status(rt, d.id) for d in Departments(rt.store, rt.secrets).list()]
