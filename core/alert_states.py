"""Alerts sent once per change of state, not every round. The `alert_states` table keeps, per
alert, the state it is in (its fingerprint), the state last sent and the state a person
acknowledged; it is in the store, so a restarted runner (or another process) does not send
again what was sent. A state is sent when it first holds; again after `alert_repeat_hours`
while nobody acknowledged it; a condition that goes away is sent as resolved. An acknowledged
state (audited, like `duvi doctor --ack`) is never sent again, not even when it comes back;
another state of the same alert is."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.alert_channels import NoticeType, channel_urls, deliver, register_secrets
from core.alerts import Alert, current_alerts
from core.errors import DuviError, UsageError
from core.eventtext import msg
from core.i18n import N_, _, english, ngettext
from core.runtime import Runtime

ACK_ACTION = "alerts.ack"


@dataclass(frozen=True)
class Notice:
    alert_id: str
    fingerprint: str | None  # the state it tells of; None: the alert was resolved
    title: str
    body: str
    kind: NoticeType


@dataclass(frozen=True)
class AlertStatus:
    """An alert that holds now, with what was done about it."""

    alert: Alert
    first_seen: str | None
    sent_at: str | None  # when its present state was last sent; None: not yet
    acknowledged: bool


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def _states(rt: Runtime) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rt.store.query("SELECT * FROM alert_states")}


def due(rt: Runtime, alerts: list[Alert], now: datetime) -> list[Notice]:
    """Record what holds now in `alert_states`; the notices that are due."""
    repeat = timedelta(hours=rt.settings.alert_repeat_hours)
    rows = _states(rt)
    notices: list[Notice] = []
    with rt.store.write() as db:
        for a in alerts:
            row = rows.get(a.id) or {}
            if row.get("fingerprint") != a.fingerprint or row.get("cleared_at"):
                new = not row or bool(row.get("cleared_at"))
                rt.store.upsert(
                    "alert_states",
                    {
                        "id": a.id,
                        "department_id": a.department_id,
                        "kind": a.kind,
                        "fingerprint": a.fingerprint,
                        "found": a.found,
                        "first_seen": _iso(now) if new else row.get("first_seen"),
                        "cleared_at": None,
                    },
                    "id",
                )
            if row.get("acked_fingerprint") == a.fingerprint:
                continue
            reminder = row.get("sent_fingerprint") == a.fingerprint
            if reminder and (not repeat or now - datetime.fromisoformat(row["sent_at"]) < repeat):
                continue
            notices.append(_notice(a, reminder))
        held = {a.id for a in alerts}
        for alert_id, row in rows.items():
            if alert_id in held:
                continue
            if not row["cleared_at"]:
                db.table("alert_states").update(alert_id, {"cleared_at": _iso(now)})
            if row["sent_fingerprint"]:  # told of: tell that it is over (until that is sent)
                notices.append(_resolved(row))
    return notices


def _notice(a: Alert, reminder: bool) -> Notice:
    body = _(
        "{found}\n\nRemedy: {remedy}\nMore: {command}\nStop repeats: duvi alerts ack {id}\n"
        "(duvi on {host})"
    ).format(found=a.found, remedy=a.remedy, command=a.command, id=a.id, host=socket.gethostname())
    title = (
        _("duvi: department {dept}: still: {title}")
        if reminder
        else _("duvi: department {dept}: {title}")
    ).format(dept=a.department_id, title=a.title)
    return Notice(a.id, a.fingerprint, title, body, "failure")


def _resolved(row: dict[str, Any]) -> Notice:
    return Notice(
        row["id"],
        None,
        _("duvi: department {dept}: resolved: {kind}").format(
            dept=row["department_id"], kind=row["kind"]
        ),
        # `found` as it was stored, in the language of the time it was sent
        _("No longer so (was: {found})\n(duvi on {host})").format(
            found=(row["found"] or "").splitlines()[0], host=socket.gethostname()
        ),
        "success",
    )


def mark_sent(rt: Runtime, notice: Notice, now: datetime) -> None:
    with rt.store.write() as db:
        db.table("alert_states").update(
            notice.alert_id, {"sent_fingerprint": notice.fingerprint, "sent_at": _iso(now)}
        )


async def send_due(rt: Runtime, now: datetime | None = None) -> list[Notice]:
    """Evaluate the alerts and send what is due to the channels; what could not be sent is
    due again next round. Without channels the states are still kept. The notices sent."""
    now = now or datetime.now(UTC)
    register_secrets(rt.settings)  # from the first round on, before anything could quote one
    notices = due(rt, current_alerts(rt, now.date()), now)
    if not notices or not channel_urls(rt.settings):
        return []
    sent = []
    for n in notices:
        try:
            await asyncio.to_thread(deliver, rt.settings, n.title, n.body, n.kind)
        except DuviError as exc:
            rt.log.warning(
                msg(
                    N_("alert {alert_id} could not be sent: {message}; tried again next round"),
                    alert_id=n.alert_id,
                    message=exc.message,
                ),
                entity="runner",
                data={"remedy": english(exc.remedy)},
            )
            continue
        mark_sent(rt, n, now)
        sent.append(n)
        rt.log.info(msg(N_("alert sent: {title}"), title=n.title), entity="runner")
    return sent


def alert_statuses(rt: Runtime) -> list[AlertStatus]:
    """The alerts that hold now, each with when its state was sent and whether a person
    acknowledged it (`duvi alerts list`)."""
    rows = _states(rt)
    out = []
    for a in current_alerts(rt):
        row = rows.get(a.id) or {}
        same = row.get("fingerprint") == a.fingerprint and not row.get("cleared_at")
        out.append(
            AlertStatus(
                a,
                row.get("first_seen") if same else None,
                row.get("sent_at") if row.get("sent_fingerprint") == a.fingerprint else None,
                row.get("acked_fingerprint") == a.fingerprint,
            )
        )
    return out


def acknowledge(rt: Runtime, alert_id: str, reason: str) -> str:
    """A person has seen this alert (audited): its present state is not sent again."""
    from core.audit import record
    from core.service import refuse_if_read_only

    refuse_if_read_only(rt, "acknowledging an alert")
    alerts = {a.id: a for a in current_alerts(rt)}
    a = alerts.get(alert_id)
    if a is None:
        if alerts:
            said = _("there is no alert {id} now (the alerts: {known})")
        else:
            said = _("there is no alert {id} now (no alert holds now)")
        raise UsageError(said.format(id=repr(alert_id), known=", ".join(alerts)))
    record(
        rt.store,
        ACK_ACTION,
        department_id=a.department_id,
        target=a.id,
        after={"fingerprint": a.fingerprint, "reason": reason, "found": a.found},
    )
    with rt.store.write() as db:
        if db.table("alert_states").count_where("id = ?", [a.id]):
            db.table("alert_states").update(a.id, {"acked_fingerprint": a.fingerprint})
        else:
            db.table("alert_states").insert(
                {
                    "id": a.id,
                    "department_id": a.department_id,
                    "kind": a.kind,
                    "fingerprint": a.fingerprint,
                    "found": a.found,
                    "first_seen": _iso(datetime.now(UTC)),
                    "acked_fingerprint": a.fingerprint,
                }
            )
    return _(
        "alert {id} acknowledged: it is not sent again while its state holds; a change of state is"
    ).format(id=a.id)


def send_test_notice(rt: Runtime) -> str:
    """`duvi alerts test`: one notice to every channel."""
    deliver(
        rt.settings,
        _("duvi: test notice"),
        _("A test from `duvi alerts test` on {host}: this channel receives duvi's alerts.").format(
            host=socket.gethostname()
        ),
        "info",
    )
    n = len(channel_urls(rt.settings))
    return ngettext(
        "test notice sent to {n} channel", "test notice sent to {n} channels", n
    ).format(n=n)


def as_json(s: AlertStatus) -> dict[str, Any]:
    a = s.alert
    return {
        "id": a.id,
        "kind": a.kind,
        "department": a.department_id,
        "title": a.title,
        "found": a.found,
        "remedy": a.remedy,
        "command": a.command,
        "fingerprint": a.fingerprint,
        "first_seen": s.first_seen,
        "sent_at": s.sent_at,
        "acknowledged": s.acknowledged,
    }
