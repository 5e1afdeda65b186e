"""The sync status panel's data: per department and entity, the state, last success, last
error in short, pending count and next automatic run. Read from the store only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.i18n import N_, _, ngettext

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
        """Its name in the current language (nb: Dagsoppgjør, Fakturagrunnlag, Varer …)."""
        return _(_LABELS[self])

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
    Entity.ZREPORT: N_("Z-reports"),
    Entity.INVOICE: N_("Invoices"),
    Entity.PRODUCT: N_("Products"),
    Entity.CUSTOMER: N_("Customers"),
    Entity.STOCK: N_("Stock"),
    Entity.WEBHOOK: N_("Webhooks"),
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
        next_run = _("retry {time}").format(time=retry)
        # The runner's error is the text it stored (English).
        backoff = _(
            "The runner's automatic transfer fails for this department: {error} ({n} rounds in "
            "a row since {since}). It tries again at {time} by itself; `duvi doctor --dept "
            "{dept}` checks it now."
        ).format(
            error=waiting["error"],
            n=waiting["failures"],
            since=_hhmm(waiting["since"]),
            time=retry,
            dept=dept_id,
        )
    elif s.automatic_transfer and beat:
        last = datetime.fromisoformat(beat[0]["ts"].replace("Z", "+00:00"))
        nxt = last + timedelta(minutes=rt.settings.sync_interval_minutes)
        next_run = nxt.astimezone().strftime("%H:%M") if nxt > datetime.now(UTC) else _("due")
    elif s.automatic_transfer:
        # The setting is on (the summary's "automatic transfer on"); the runner, which would
        # do it, is not running: one word for each fact (nb "automatisk overføring" is the
        # setting, "automatikk" the runner), never the setting's word for the runner's state.
        next_run = _("no runner")
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
        return _("on") if flag else _("off")

    # DUELL's word first, Visma's second (issue 22): which Visma branch the department's
    # documents go to; a company of one branch is sent no branch (setup: Several clients).
    branch = (
        _("branch {number}").format(number=s.branch_number)
        if s.several_clients and s.branch_number
        else _("(one branch)")
    )
    summary = _(
        "Department {dept} → Visma {branch}   Company: {company}   Z-reports {zreports}, "
        "invoices {invoices}, automatic transfer {automatic}, stock {stock}   Product master "
        "{products}, customer master {customers}"
    ).format(
        dept=dept.id,
        branch=branch,
        company=s.visma_company_name or "-",
        zreports=onoff(s.zreports),
        invoices=onoff(s.invoices),
        automatic=onoff(s.automatic_transfer),
        stock=onoff(s.stock_update),
        products=MASTER_NAMES[s.product_master],
        customers=MASTER_NAMES[s.customer_master],
    )
    return DepartmentStatus(
        dept.id, dept.name, depts.is_set_up(dept.id), s.visma_company_name, summary, rows, backoff
    )


# The system that owns products or customers (core.models.Master's values), by its own name:
# a proper name in both languages. Keyed by value: core.models is not imported here.
MASTER_NAMES = {"duell": "DUELL", "visma": "Visma"}


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


# -- every department at once: the picker's list ---------------------------------------------

# Whole sentences per kind and state (singular, plural), so that each language can say them.
_FAILED = {
    "zreport": (N_("{n} Z-report failed"), N_("{n} Z-reports failed")),
    "invoice": (N_("{n} invoice failed"), N_("{n} invoices failed")),
    "stock": (N_("{n} stock issue failed"), N_("{n} stock issues failed")),
}
_ATTENTION = {
    "zreport": (N_("{n} Z-report needs attention"), N_("{n} Z-reports need attention")),
    "invoice": (N_("{n} invoice needs attention"), N_("{n} invoices need attention")),
    "stock": (N_("{n} stock issue needs attention"), N_("{n} stock issues need attention")),
}


def _count_text(texts: tuple[str, str], n: int) -> str:
    # Each form its own msgid (N_ cannot mark a plural pair); nb and en share the rule n != 1.
    return _(texts[0] if n == 1 else texts[1]).format(n=n)


# A department's worst state, worst first: the order the picker lists them in. `idle` (nothing
# transferred yet) and `off` are not problems, so a department is `ok` or `idle` only when none
# of its rows is failing or needs attention.
WORST_FIRST = ("failing", "attention", "ok", "idle")

# The settings keys a customer (DUELL client) or an org. number may be saved under: read
# getattr-safe, so the picker shows them as soon as DepartmentSettings carries them.
CUSTOMER_KEYS = ("customer", "customer_name", "duell_client_name", "duell_client")
ORG_KEYS = ("org_number", "visma_org_number", "company_org_number", "organization_number")

# One statement for every department: each correlated subquery is a few seeks along the
# ledger's (department_id, state) and the conflicts' (department_id, state) indexes, so the
# cost grows with the number of departments, not with the ledger's millions of rows.
# Only the settings the picker shows or needs, read out by SQLite in one parse per department
# (a JSON array in _PICKED's order): json.loads of every department's whole settings was a
# third of the listing's time at 5,000 departments.
_PICKED = (
    "zreports",
    "invoices",
    "stock_update",
    "automatic_transfer",
    "visma_tenant_id",
    "visma_company_name",
    "customer_id",  # whose customer:<id> secrets section may hold the Visma client
    *CUSTOMER_KEYS,
    *ORG_KEYS,
)
# What json_extract picks of one settings text (NULL: not a JSON object: "settings unreadable").
_PICK = (
    "CASE WHEN json_valid({t}) AND json_type({t}) = 'object' THEN json_extract({t}, "
    + ", ".join(f"'$.{k}'" for k in _PICKED)
    + ") END"
)
_INDEX = (
    "SELECT d.id, d.name, s.settings IS NULL AS defaults, s.settings AS settings, "
    # by the (department_id, state) index: a seek to the few failed or held rows (the
    # planner's own choice, the list's covering index, reads every row of the department)
    "(SELECT group_concat(kind || ' ' || state || ' ' || n, ',') FROM "
    " (SELECT kind, state, count(*) AS n FROM ledger l INDEXED BY "
    " idx_ledger_department_id_state WHERE l.department_id = d.id "
    "  AND l.state IN ('failed', 'attention') GROUP BY kind, state)) AS bad, "
    "EXISTS (SELECT 1 FROM ledger l WHERE l.department_id = d.id "
    " AND l.state IN ('confirmed', 'released')) AS done, "
    "(SELECT count(*) FROM conflicts c WHERE c.department_id = d.id AND c.state = 'open') "
    " AS conflicts "
    "FROM departments d LEFT JOIN department_settings s ON s.department_id = d.id"
)
# The settings texts not seen before, picked in one statement (a JSON array of them).
_PICK_NEW = "SELECT value, " + _PICK.format(t="value") + " FROM json_each(?)"


@dataclass(frozen=True)
class DepartmentEntry:
    """One line of the department picker: who the department is and its worst state."""

    id: str
    name: str
    state: str  # one of WORST_FIRST
    note: str  # why, in short: "2 Z-reports failed, 3 conflicts", "not set up"
    customer: str | None = None
    company: str | None = None
    org_number: str | None = None
    set_up: bool = True


def _setting(settings: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = settings.get(key)
        if isinstance(value, dict):  # a customer saved as an object: its name
            value = value.get("name")
        if value not in (None, ""):
            return str(value)
    return None


def _id_order(dept_id: str) -> tuple[int, int | str]:
    return (0, int(dept_id)) if dept_id.isdigit() else (1, dept_id)


def department_index(rt: Runtime) -> list[DepartmentEntry]:
    """Every department with its worst state, worst first (then by number): the states the
    status panel gives its rows, from one query however many departments there are."""

    from core.departments import VISMA_CLIENT_ID, VISMA_CLIENT_SECRET
    from core.secrets import customer_section

    beat = rt.store.query("SELECT info FROM heartbeats WHERE component = 'runner'")
    waiting = runner_waiting(beat[0]["info"]) if beat else {}
    # Each value from the department's own section, else its customer's (as
    # Departments.credentials reads them): a customer's departments share one client.
    held = rt.secrets.holding(VISMA_CLIENT_ID, VISMA_CLIENT_SECRET)  # one read of the file
    ids, keys = held[VISMA_CLIENT_ID], held[VISMA_CLIENT_SECRET]

    def signed_in(dept_id: str, customer: object) -> bool:
        section = customer_section(str(customer)) if customer else None
        return (dept_id in ids or section in ids) and (dept_id in keys or section in keys)

    out = []
    rows = rt.store.query(_INDEX)
    stored = {r["settings"] for r in rows if r["settings"] is not None}
    known = {t: _PICKED_SEEN[t] for t in stored if t in _PICKED_SEEN}
    if len(known) < len(stored):
        new = sorted(stored - known.keys())
        if len(_PICKED_SEEN) + len(new) > 50_000:  # departments come and go: a few sets
            _PICKED_SEEN.clear()
        for text, picked in rt.store.tuples(_PICK_NEW, [json.dumps(new)]):
            known[text] = _PICKED_SEEN[text] = None if picked is None else _picked(picked)
    for r in rows:
        if r["defaults"]:
            s: dict[str, Any] = {}
        else:
            seen = known.get(r["settings"])
            if seen is None:
                entry = DepartmentEntry(r["id"], r["name"], "attention", "settings unreadable")
                out.append(entry)
                continue
            s = seen
        failed: list[str] = []
        attention: list[str] = []
        if r["bad"]:
            enabled = {
                "zreport": s.get("zreports", True),
                "invoice": s.get("invoices", True),
                "stock": s.get("stock_update", False),
            }
            for part in r["bad"].split(","):
                if not part:
                    continue
                kind, state, n = part.split(" ")
                if enabled.get(kind, True):
                    texts = (_FAILED if state == "failed" else _ATTENTION).get(kind)
                    if texts is None:  # a kind this version does not know: said as stored
                        texts = (f"{{n}} {kind} {state}", f"{{n}} {kind} {state}")
                    (failed if state == "failed" else attention).append(_count_text(texts, int(n)))
        if r["conflicts"]:
            n = r["conflicts"]
            attention.append(ngettext("{n} open conflict", "{n} open conflicts", n).format(n=n))
        set_up = bool(s.get("visma_tenant_id")) and signed_in(r["id"], s.get("customer_id"))
        if not set_up:
            attention.append(_("not set up"))
        backoff = waiting.get(r["id"]) if s.get("automatic_transfer") else None
        if isinstance(backoff, dict):
            failed.insert(
                0,
                _("runner retries ({n} rounds failed)").format(n=backoff.get("failures", "?")),
            )
        state = "failing" if failed else "attention" if attention else "ok" if r["done"] else "idle"
        out.append(
            DepartmentEntry(
                r["id"],
                r["name"],
                state,
                ", ".join(failed + attention),
                s.get("\0customer"),
                s.get("visma_company_name") or None,
                s.get("\0org"),
                set_up,
            )
        )
    worst = {state: i for i, state in enumerate(WORST_FIRST)}
    out.sort(key=lambda e: (worst[e.state], _id_order(e.id)))
    return out


# The settings a department index read, by their stored text: picked once (by SQLite, as
# _PICK says) while the text stays the same (f5 reads every department's again; few change
# between two); None for a text that is not a JSON object. Read only.
_PICKED_SEEN: dict[str, dict[str, Any] | None] = {}


def _picked(picked: str) -> dict[str, Any]:
    """The picked settings (those set, from _PICK's JSON array), with the customer and org.
    number the picker shows under the keys "\0customer" and "\0org" (no setting is named
    so)."""
    s = {k: v for k, v in zip(_PICKED, json.loads(picked), strict=True) if v is not None}
    s["\0customer"], s["\0org"] = _setting(s, CUSTOMER_KEYS), _setting(s, ORG_KEYS)
    return s
