"""What is alerted: the conditions a support desk wants to hear of before the shop calls, read
from the store so that any process finds the same ones. Each alert names its department, what
was found, the remedy and the `duvi` command that shows more; its fingerprint is the state it
is in (core/alert_states.py sends it once per change of that state).

- transfers.attention: a Z-report, invoice or stock issue held (a mapping missing), needing
  attention, or refused by Visma;
- zreport.gaps: a Z number missing from a register's sequence (doctor's check);
- runner.backoff: the runner backs off from the department (its services down, or a setting
  it cannot work with), from the runner's heartbeat;
- masterdata.webhooks: Visma changed records and no webhook announced them (the webhook is
  silent about them; delta polling found them);
- transfers.period_close: a financial period (Visma's) ending within `period_close_warn_days`
  or ended and not closed holds documents not released in Visma (core/period_close.py), from
  the period list the last run kept: no request."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.i18n import _, ngettext
from core.reasons import reason_text
from core.runtime import Runtime

KINDS = (
    "transfers.attention",
    "transfers.period_close",
    "zreport.gaps",
    "runner.backoff",
    "masterdata.webhooks",
)
LISTED = 5  # records named in a notice; the command shows them all


@dataclass(frozen=True)
class Alert:
    kind: str  # one of KINDS (doctor's check ids)
    department_id: str
    title: str
    found: str
    remedy: str
    command: str  # the `duvi` command that shows more
    basis: Any  # what the state is: the fingerprint is taken of it

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.department_id}"

    @property
    def fingerprint(self) -> str:
        text = json.dumps([self.kind, self.department_id, self.basis], default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def current_alerts(rt: Runtime, today: date | None = None) -> list[Alert]:
    """Every alert that holds now (`today`: the day periods are counted from), by department."""
    from core.status import runner_waiting

    beat = rt.store.query("SELECT info FROM heartbeats WHERE component = 'runner'")
    waiting = runner_waiting(beat[0]["info"]) if beat else {}
    out: list[Alert] = []
    for row in rt.store.query("SELECT id FROM departments ORDER BY id"):
        dept = row["id"]
        found = [
            _attention(rt, dept),
            _period_close(rt, dept, today or date.today()),
            _gaps(rt, dept),
            _webhooks(rt, dept),
        ]
        if dept in waiting:
            found.append(_backoff(dept, waiting[dept]))
        out += [a for a in found if a is not None]
    return sorted(out, key=lambda a: (a.department_id, KINDS.index(a.kind)))


def _attention(rt: Runtime, dept: str) -> Alert | None:
    from core.ledger import Ledger, State
    from core.transferview import reason_of, shown_state

    rows = Ledger(rt.store).rows(dept, states=(State.FAILED, State.ATTENTION))
    if not rows:
        return None
    shown = [(r, shown_state(r.state, r.last_error)) for r in rows]
    states = sorted({s for _r, s in shown})
    from core.readmodels import state_text

    counts = ", ".join(f"{sum(s == st for _r, s in shown)} {state_text(st)}" for st in states)
    # The reason is the ledger's stored text (English), said in the language (core/reasons.py)
    lines = [
        f"{r.key} {state_text(s)}: {_first_line(reason_of(r.state, r.last_error))}"
        for r, s in shown[:LISTED]
    ]
    more = "\n" + _("(and {n} more)").format(n=len(rows) - LISTED) if len(rows) > LISTED else ""
    state_option = f" --state {states[0]}" if len(states) == 1 else ""
    remedies = []
    if "held" in states:
        remedies.append(
            _("{held}: map what is named (VAT or account) and the next run sends it").format(
                held=state_text("held")
            )
        )
    if set(states) - {"held"}:
        others = _(" or ").join(state_text(s) for s in states if s != "held")
        remedies.append(
            _("{states}: fix the cause named, then `duvi sync -d {dept} --retry-failed`").format(
                states=others, dept=dept
            )
        )
    found = ngettext(
        "{n} document not in Visma: {counts}", "{n} documents not in Visma: {counts}", len(rows)
    ).format(n=len(rows), counts=counts)
    return Alert(
        "transfers.attention",
        dept,
        _("Documents need attention"),
        f"{found}\n" + "\n".join(lines) + more,
        "; ".join(remedies),
        f"duvi transfers -d {dept}{state_option}",
        sorted((r.key, s) for r, s in shown),
    )


def _first_line(reason: str) -> str:
    return reason_text(reason.splitlines()[0]) if reason else _("no reason recorded")


def _period_close(rt: Runtime, dept: str, today: date) -> Alert | None:
    from core.ledger import Ledger
    from core.period_close import REMEDY, closings, stored_periods

    days = rt.settings.period_close_warn_days
    if not days:
        return None
    found = closings(Ledger(rt.store), dept, stored_periods(rt.store, dept), today, days)
    if not found:
        return None
    lines = [c.summary() + ": " + ", ".join(c.keys[:LISTED]) for c in found]
    more = sum(max(c.count - LISTED, 0) for c in found)
    return Alert(
        "transfers.period_close",
        dept,
        _("Period about to close with documents not released"),
        "\n".join(lines) + ("\n" + _("(and {n} more)").format(n=more) if more else ""),
        _(REMEDY),
        f"duvi transfers -d {dept} --period-closing",
        [(c.period, c.ended, c.keys) for c in found],
    )


def _gaps(rt: Runtime, dept: str) -> Alert | None:
    from core.doctor import Status, ledger_checks

    check = next(c for c in ledger_checks(rt, dept) if c.id == "zreport.gaps")
    if check.status == Status.OK:
        return None
    return Alert(
        "zreport.gaps",
        dept,
        _("Z number missing"),
        check.found,
        check.remedy,
        f"duvi calendar -d {dept}",
        check.records,
    )


def _backoff(dept: str, waiting: dict[str, Any]) -> Alert:
    error = str(waiting.get("error", "")).splitlines()[0] if waiting.get("error") else "?"
    return Alert(
        "runner.backoff",
        dept,
        _("Automatic transfer backs off"),
        _(
            "the runner's rounds fail for this department: {error} (since {since}; next try "
            "{next_try})"
        ).format(error=error, since=waiting.get("since"), next_try=waiting.get("next_try")),
        _(
            "the runner tries again by itself, less often while it fails, and catches up when "
            "the service answers; check the connection now with `duvi doctor`"
        ),
        f"duvi doctor -d {dept}",
        error,
    )


def _webhooks(rt: Runtime, dept: str) -> Alert | None:
    from core.sync.webhooks import unannounced_finding

    found = unannounced_finding(rt.store, dept)
    if not found:
        return None
    ids = rt.store.query(
        "SELECT entity, visma_id FROM unannounced WHERE department_id = ? ORDER BY entity, "
        "visma_id",
        [dept],
    )
    return Alert(
        "masterdata.webhooks",
        dept,
        _("Webhook silent about changes"),
        found,
        _(
            "ask your Visma partner to turn the webhook flag on (polling keeps the records in "
            "sync meanwhile)"
        ),
        f"duvi doctor webhooks -d {dept}",
        [(r["entity"], r["visma_id"]) for r in ids],
    )
