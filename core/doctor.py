"""Doctor: "what is wrong with this department?" in one run. Each check says ok / warn /
fail, what it found (with the records concerned) and the remedy in plain words.
`duvi doctor` exits 0 when all is ok, 1 on warnings, 2 on failures (cron, monitoring).

A warning a person has looked at can be acknowledged (`acknowledge`, audited): it then no
longer raises the exit code, until its state changes. The audit row is the record of it: the
check's id, its department, and a fingerprint of what it found (`Check.fingerprint`)."""

from __future__ import annotations

import email.utils
import hashlib
import json
import stat
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from core.accounting import both_cost_of_goods, rate_text, subaccount_segments
from core.config import config_file_path
from core.connections import Connections, connections_for
from core.departments import (
    COGS_BOTH_MESSAGE,
    COGS_BOTH_REMEDY,
    DEFAULT_ACCOUNTS,
    LEGACY_ACCOUNTS,
    Departments,
)
from core.duell.errors import DuellBlockedError
from core.errors import ConfigError, DuviError
from core.fsutil import shown
from core.i18n import N_, _, babel_locale, count_text, date_text, datetime_text, ngettext
from core.ledger import Ledger, State
from core.models import AccountDefaults, Department, DepartmentSettings, Master, ZReport
from core.reasons import Reason, rate_shown, reason_text
from core.runtime import Runtime
from core.status import round_figures, runner_waiting
from core.transfers.periods import Periods
from core.vat import VismaVat, mismatch, read_visma_vat
from core.visma.auth import SCOPE_PREFIX, missing_scopes
from core.visma.client import VismaClient
from core.visma.errors import VismaError
from core.visma.models import Dimension

CLOCK_SKEW_LIMIT = 120  # seconds; token lifetimes and date filters tolerate less than this


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class Fix(StrEnum):
    """The console screen where a finding is fixed (the console names its key and opens it)."""

    SETUP = "setup"
    VAT = "vat"
    ACCOUNTS = "accounts"
    CONFLICTS = "conflicts"
    TRANSFERS = "transfers"
    LOG = "log"
    SETTINGS = "settings"


@dataclass
class Check:
    id: str
    title: str
    status: Status
    found: str
    remedy: str = ""
    department_id: str | None = None
    records: list[Any] = field(default_factory=list)
    fix: Fix | None = None
    # What the fingerprint is taken of when `found` and `records` hold figures that move
    # without the finding changing (minutes since a heartbeat, requests left)
    basis: Any = None
    acknowledged: dict[str, Any] | None = None  # who, when, why; only while the state holds
    # The documents' days the finding concerns: the console opens Transfers on them
    days: tuple[date, date] | None = None
    # What the finding is, as data, when it has no records and no basis but its sentence
    # says more than its id (which records Visma changed unannounced): the fingerprint's
    key: Any = None
    # The records as a person reads them, in the language (days, words); `records` are data
    # (ISO days, English as stored): what --json lists and the fingerprint is taken of
    shown: list[str] | None = None

    @property
    def shown_records(self) -> list[str]:
        return self.shown if self.shown is not None else [str(r) for r in self.records]

    @property
    def fingerprint(self) -> str:
        """The finding's state: an acknowledgement holds while this stays the same. Taken of
        the check's id, department, status and its data (`basis`, else `records`), never of
        its words: the same finding in nb and en has one fingerprint."""
        basis = self.basis if self.basis is not None else (self.records or self.key)
        return _digest([self.id, self.department_id, str(self.status), basis])

    @property
    def legacy_fingerprint(self) -> str:
        """The fingerprint as duvi took it before it was language-independent (of the words
        found when there was no basis and no record): an acknowledgement stored then still
        holds while the finding reads as it did (in English, the only language then)."""
        basis = self.basis if self.basis is not None else (self.records or self.found)
        return _digest([self.id, self.department_id, str(self.status), basis])

    def as_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "status": str(self.status), "fingerprint": self.fingerprint}
        out["fix"] = str(self.fix) if self.fix else None
        out["days"] = [d.isoformat() for d in self.days] if self.days else None
        del out["basis"], out["shown"], out["key"]
        return out


def _digest(value: Any) -> str:
    text = json.dumps(value, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def decimal_text(value: float, decimals: int = 1) -> str:
    """A measure (megabytes) as the language writes it: nb 6,4, en 6.4."""
    from babel.numbers import format_decimal

    return format_decimal(
        round(value, decimals), format="0." + "0" * decimals, locale=babel_locale()
    )


def ok(cid: str, title: str, found: str, dept: str | None = None) -> Check:
    return Check(cid, title, Status.OK, found, department_id=dept)


def subaccount_problems(s: DepartmentSettings, dim: Dimension) -> list[Reason]:
    """A cost bearer's subaccount must fill every SUBACCOUNT segment with a value the company
    has (findings B12); setups saved before duvi filled them lack the other segments."""
    values = {(sg.segment_id, v.value_id) for sg in dim.segments for v in sg.segment_values}
    sent = dict(subaccount_segments(s))
    out = [
        Reason(
            N_("SUBACCOUNT segment {segment} ({description}) has no value"),
            {"segment": sg.segment_id, "description": sg.description},
        )
        for sg in dim.segments
        if sg.segment_id is not None and sg.segment_id not in sent
    ]
    out += [
        Reason(
            N_("{value} is not a value of SUBACCOUNT segment {segment}"),
            {"value": repr(v), "segment": sid},
        )
        for sid, v in s.subaccount_defaults.items()
        if (sid, v) not in values
    ]
    return out


async def item_class_and_warehouse(
    visma: VismaClient, s: DepartmentSettings, dept_id: str
) -> list[Check]:
    """The item class new items get (needed while DUELL owns products: duvi creates them) and
    the warehouse of stock issues (when stock is updated), against what the company has."""
    checks = []
    if s.product_master == Master.DUELL:
        classes = {c.id for c in await visma.list_item_classes()}
        title, remedy = _("Item class of new items"), _("choose one in the department's setup")
        if not s.item_class:
            checks.append(
                Check(
                    "visma.item_class",
                    title,
                    Status.FAIL,
                    _("no item class is chosen: Visma creates no item without one"),
                    _("{remedy} (duvi departments setup {dept_id} --item-class ID)").format(
                        remedy=remedy, dept_id=dept_id
                    ),
                    dept_id,
                    fix=Fix.SETUP,
                )
            )
        elif s.item_class not in classes:
            checks.append(
                Check(
                    "visma.item_class",
                    title,
                    Status.FAIL,
                    _("item class {item_class} does not exist in the company").format(
                        item_class=s.item_class
                    ),
                    _("{remedy}; the company's: {classes}").format(
                        remedy=remedy, classes=", ".join(sorted(c for c in classes if c))
                    ),
                    dept_id,
                    fix=Fix.SETUP,
                )
            )
        else:
            checks.append(
                ok(
                    "visma.item_class",
                    title,
                    _("item class {item_class}").format(item_class=s.item_class),
                    dept_id,
                )
            )
    if s.stock_update:
        title = _("Warehouse of stock issues")
        if not s.warehouse:
            checks.append(ok("visma.warehouse", title, _("each item's default warehouse"), dept_id))
        else:
            active = {
                w.warehouse_id for w in await visma.list_warehouses() if w.active is not False
            }
            checks.append(
                ok(
                    "visma.warehouse",
                    title,
                    _("warehouse {warehouse}").format(warehouse=s.warehouse),
                    dept_id,
                )
                if s.warehouse in active
                else Check(
                    "visma.warehouse",
                    title,
                    Status.FAIL,
                    _("warehouse {warehouse} is not an active warehouse of the company").format(
                        warehouse=s.warehouse
                    ),
                    _(
                        "choose another in the department's setup (--warehouse), or none for "
                        "each item's default warehouse"
                    ),
                    dept_id,
                    fix=Fix.SETUP,
                )
            )
    return checks


def exit_code(checks: list[Check]) -> int:
    """2 on a failure, 1 on a warning nobody acknowledged (in its present state), else 0."""
    statuses = {c.status for c in checks if c.acknowledged is None}
    return 2 if Status.FAIL in statuses else 1 if Status.WARN in statuses else 0


ACK_ACTION = "doctor.ack"


class Finding(Protocol):
    """What an acknowledgement needs of a finding: a Check, or the console's read model."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def found(self) -> str: ...
    @property
    def department_id(self) -> str | None: ...
    @property
    def fingerprint(self) -> str: ...


def acknowledge(rt: Runtime, check: Finding, reason: str) -> str:
    """Record that a person looked at this warning (audited): it stops raising the exit code
    until its fingerprint changes. Only warnings: a failure stays until it is fixed."""
    from core.audit import record

    if rt.settings.read_only:
        raise ConfigError(
            _("read-only mode: acknowledging a finding is a changing action"),
            _("run without --readonly (and without DUVI_READ_ONLY)"),
        )
    if str(check.status) != Status.WARN:
        raise ConfigError(
            _("{id} is {status}: only a warning can be acknowledged").format(
                id=check.id, status=check.status
            ),
            _("a failure stays until it is fixed; an ok check needs nothing"),
        )
    record(
        rt.store,
        ACK_ACTION,
        department_id=check.department_id,
        target=check.id,
        after={"fingerprint": check.fingerprint, "reason": reason, "found": check.found},
    )
    said = (
        _("{title} of department {dept} acknowledged; it counts again when what it finds changes")
        if check.department_id
        else _("{title} acknowledged; it counts again when what it finds changes")
    )
    return said.format(title=check.title, dept=check.department_id)


def apply_acknowledgements(rt: Runtime, checks: list[Check]) -> None:
    """Mark each warning whose latest acknowledgement has its present fingerprint."""
    rows = rt.store.query(
        "SELECT ts, actor, department_id, target, after FROM audit WHERE action = ? ORDER BY id",
        [ACK_ACTION],
    )
    latest = {(r["department_id"], r["target"]): r for r in rows}  # the last one wins
    for c in checks:
        row = latest.get((c.department_id, c.id))
        if c.status != Status.WARN or row is None:
            continue
        after = json.loads(row["after"] or "{}")
        # A stored acknowledgement of before language-independent fingerprints: the old one
        if after.get("fingerprint") in (c.fingerprint, c.legacy_fingerprint):
            c.acknowledged = {"by": row["actor"], "at": row["ts"], "reason": after.get("reason")}


# -- local ------------------------------------------------------------------------------------


def local_checks(rt: Runtime, *, integrity: bool = False) -> list[Check]:
    checks = []
    db = rt.settings.database
    wal = db.with_name(db.name + "-wal")
    size = db.stat().st_size / 1e6
    wal_size = wal.stat().st_size / 1e6 if wal.exists() else 0.0
    checks.append(
        ok(
            "db.size",
            _("Database size"),
            _("{path}: {size} MB, WAL {wal_size} MB").format(
                path=shown(db), size=decimal_text(size), wal_size=decimal_text(wal_size)
            ),
        )
    )
    if integrity:
        result = rt.store.query("PRAGMA integrity_check")[0]
        value = next(iter(result.values()))
        checks.append(
            ok("db.integrity", _("Database integrity"), _("integrity_check: ok"))
            if value == "ok"
            else Check(
                "db.integrity",
                _("Database integrity"),
                Status.FAIL,
                str(value),
                _("restore the database from a backup; keep this copy for support"),
            )
        )
    loose = []
    for path in (db, rt.settings.secrets, config_file_path()):
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            loose.append(f"{path} ({stat.S_IMODE(path.stat().st_mode):04o})")
    checks.append(
        ok("files.modes", _("File modes"), _("database, secrets and config are 0600"))
        if not loose
        else Check(
            "files.modes",
            _("File modes"),
            Status.FAIL,
            _("readable by other users: {files}").format(files=", ".join(loose)),
            _("run: chmod 600 {files}").format(files=" ".join(x.split(" (")[0] for x in loose)),
            records=loose,
        )
    )
    checks.append(home_mode_check(rt.settings.home))
    checks += unreadable_rows_check(rt)
    checks.append(growth_check(rt))
    checks.append(webhook_receiver_check(rt))
    beat = rt.store.query("SELECT ts, pid, host, info FROM heartbeats WHERE component = 'runner'")
    limit = rt.settings.sync_interval_minutes * 60 * 2
    if not beat:
        checks.append(
            Check(
                "runner.alive",
                _("Automatic transfer runner"),
                Status.WARN,
                _("no runner has ever run on this database"),
                _("start `duvi run` (as a service) for automatic transfers"),
            )
        )
    else:
        ts = datetime.fromisoformat(beat[0]["ts"].replace("Z", "+00:00"))
        age = (datetime.now(UTC) - ts).total_seconds()
        if age > limit:
            checks.append(
                Check(
                    "runner.alive",
                    _("Automatic transfer runner"),
                    Status.WARN,
                    _("last heartbeat {age} min ago (pid {pid} on {host})").format(
                        age=count_text(round(age / 60)), pid=beat[0]["pid"], host=beat[0]["host"]
                    ),
                    _("check that `duvi run` is running; restart it"),
                    basis=f"stopped: pid {beat[0]['pid']} on {beat[0]['host']}",
                )
            )
        else:
            from core.runner import ROUND_COMPONENT

            last = rt.store.query(
                "SELECT info FROM heartbeats WHERE component = ?", [ROUND_COMPONENT]
            )
            figures = round_figures(last[0]["info"]) if last else None
            alive = (
                _("alive: last round {age} s ago (pid {pid}); {figures}")
                if figures
                else _("alive: last round {age} s ago (pid {pid})")
            )
            checks.append(
                ok(
                    "runner.alive",
                    _("Automatic transfer runner"),
                    alive.format(age=f"{age:.0f}", pid=beat[0]["pid"], figures=figures),
                )
            )
        checks.append(_backing_off(beat[0]["info"]))
    return checks


def webhook_receiver_check(rt: Runtime) -> Check:
    """Settings still read under an old name, and bodies the receiver could not read."""
    from core.sync.webhooks import unrecognised, unrecognised_finding

    old = rt.settings.deprecations()
    if old:
        return Check(
            "webhooks.receiver",
            _("Webhook receiver"),
            Status.WARN,
            "; ".join(old),
            _("rename the setting as said; until then its value keeps working as the secret path"),
            key="deprecated settings",
        )
    finding = unrecognised_finding(rt.store)
    if finding:
        return Check(
            "webhooks.receiver",
            _("Webhook receiver"),
            Status.WARN,
            finding,
            _("send this body to support: duvi learns the envelope from it (`duvi bundle`)"),
            key=[len(unread := unrecognised(rt.store)), unread[0]["received_at"]],
        )
    return ok("webhooks.receiver", _("Webhook receiver"), _("settings current; every body read"))


def unreadable_rows_check(rt: Runtime) -> list[Check]:
    """Ledger rows and department settings duvi cannot read (edited or damaged): each is left
    alone while the rest works on. Shown only when there are any (a row of its own, not an
    "ok" line on every doctor screen)."""
    from core.ledger import UNREADABLE_REMEDY

    rows = Ledger(rt.store).unreadable()
    depts = Departments(rt.store, rt.secrets).unreadable()
    if not rows and not depts:
        return []
    found = [
        _("department {dept}: its settings ({problem})").format(
            dept=d.department_id, problem=d.problem
        )
        for d in depts
    ]
    found += [_("ledger row {key}: {problem}").format(key=r.key, problem=r.problem) for r in rows]
    remedy = (depts[0] if depts else rows[0]).remedy
    if rows and depts:
        remedy = _("{remedy}; the same for the settings").format(
            remedy=_(UNREADABLE_REMEDY).format(key=rows[0].key)
        )
    return [
        Check(
            "db.rows",
            _("Stored rows readable"),
            Status.FAIL,
            ngettext(
                "{n} cannot be read and is left alone: {items}",
                "{n} cannot be read and are left alone: {items}",
                len(found),
            ).format(n=len(found), items="; ".join(found)),
            remedy,
            records=[*(d.department_id for d in depts), *(r.key for r in rows)],
        )
    ]


def growth_check(rt: Runtime, *, days: int = 7) -> Check:
    """The database's growth per day, from the event log's and the HTTP log's rows of the last
    `days` days and their average size, and where retention levels it off."""
    import shutil

    s, store = rt.settings, rt.store
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")
    since = since.replace("+00:00", "Z")
    per_day: dict[str, float] = {}
    level: float = 0.0
    for table, size_sql, keep in (
        ("events", "length(message) * 2 + coalesce(length(data), 0)", s.retention_event_days),
        # bodies are kept clipped to 16 KiB each; their sizes are columns, read without them
        ("http_calls", "min(bytes_out, 16384) + min(bytes_in, 16384)", s.retention_http_days),
    ):
        first_id = _first_id_since(store, table, since)
        last = store.query(f"SELECT max(id) AS id, min(ts) AS first FROM {table}")[0]
        if first_id is None or last["id"] is None:
            per_day[table] = 0.0
            continue
        oldest = store.query(
            f"SELECT ts FROM {table} WHERE id >= ? ORDER BY id LIMIT 1", [first_id]
        )
        first = datetime.fromisoformat(oldest[0]["ts"].replace("Z", "+00:00"))
        span = max((datetime.now(UTC) - first).total_seconds() / 86400, 1.0)
        avg = store.query(  # the newest rows, by rowid: no scan of the table
            f"SELECT avg({size_sql}) + 100 AS b FROM "  # ~100 bytes of row and index overhead
            f"(SELECT * FROM {table} ORDER BY id DESC LIMIT 200)"
        )[0]["b"]
        rows = (last["id"] - first_id + 1) / span
        per_day[table] = rows
        per_day[f"{table}_bytes"] = rows * float(avg or 0)
        level += rows * float(avg or 0) * keep
    mb_day = (per_day.get("events_bytes", 0.0) + per_day.get("http_calls_bytes", 0.0)) / 1e6
    found = _(
        "about {events} events and {http_calls} HTTP calls a day (last {days} days): "
        "about {mb_day} MB a day; retention ({retention_event_days} days of events, "
        "{retention_http_days} of HTTP calls) levels the logs off near {level} MB"
    ).format(
        events=count_text(round(per_day["events"])),
        http_calls=count_text(round(per_day["http_calls"])),
        days=days,
        mb_day=decimal_text(mb_day),
        retention_event_days=s.retention_event_days,
        retention_http_days=s.retention_http_days,
        level=count_text(round(level / 1e6)),
    )
    free = shutil.disk_usage(s.database.parent).free
    if level > free / 2:
        return Check(
            "db.growth",
            _("Database growth"),
            Status.WARN,
            _("{found}, and the disk has {free} MB free").format(
                found=found, free=count_text(round(free / 1e6))
            ),
            _("free disk space, or lower retention_event_days / retention_http_days"),
            basis="the logs outgrow the free disk",
        )
    return ok("db.growth", _("Database growth"), found)


def _first_id_since(store: Any, table: str, since: str) -> int | None:
    """The first row at or after `since`, by binary search on the id (ids grow with time): a
    few lookups by rowid instead of a scan of a log that may hold millions of rows."""
    bounds = store.query(f"SELECT min(id) AS lo, max(id) AS hi FROM {table}")[0]
    lo, hi = bounds["lo"], bounds["hi"]
    if lo is None:
        return None
    last = store.query(f"SELECT ts FROM {table} WHERE id = ?", [hi])
    if not last or last[0]["ts"] < since:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        row = store.query(f"SELECT ts FROM {table} WHERE id >= ? ORDER BY id LIMIT 1", [mid])
        if row[0]["ts"] < since:
            lo = mid + 1
        else:
            hi = mid
    return int(lo)


def home_mode_check(home: Path) -> Check:
    """A home others can write lets them swap the database or the secrets file under duvi
    (a rename needs only the directory's write permission), whatever those files' modes."""
    mode = stat.S_IMODE(home.stat().st_mode)
    if mode & 0o022:
        return Check(
            "files.home",
            _("Data directory"),
            Status.FAIL,
            _("{home} can be written by other users (mode {mode:04o})").format(
                home=home, mode=mode
            ),
            _("run: chmod go-w {home}").format(home=home),
        )
    return ok(
        "files.home",
        _("Data directory"),
        _("{path} is writable by its owner only").format(path=shown(home)),
    )


def _backing_off(info: str | None) -> Check:
    """The departments whose rounds the runner backs off from (a service down, or a setting
    it cannot work with), from its last heartbeat."""
    waiting = runner_waiting(info)
    title = _("Departments the runner gets through")
    if not waiting:
        return ok("runner.backoff", title, _("every department's last round went through"))
    lines = [
        f"department {d}: {w['error']} ({w['failures']} rounds in a row since {w['since']}); "
        f"next try {w['next_try']}"
        for d, w in sorted(waiting.items())
    ]
    shown_lines = [
        ngettext(
            "department {dept}: {error} ({n} round in a row since {since}); next try {next_try}",
            "department {dept}: {error} ({n} rounds in a row since {since}); next try {next_try}",
            int(w["failures"] or 0),
        ).format(
            dept=d,
            error=reason_text(str(w["error"])),
            n=w["failures"],
            since=_moment(w["since"]),
            next_try=_moment(w["next_try"]),
        )
        for d, w in sorted(waiting.items())
    ]
    return Check(
        "runner.backoff",
        title,
        Status.WARN,
        "; ".join(shown_lines),
        _(
            "the runner tries again by itself, less often while it fails, and catches up when "
            "the service answers; `duvi doctor --dept N` checks the connection now"
        ),
        records=lines,
        fix=Fix.LOG,
        basis=sorted((d, w["error"]) for d, w in waiting.items()),
        shown=shown_lines,
    )


def _moment(value: Any) -> str:
    """A stored ISO moment (a heartbeat's) as the language writes it; as stored when it is
    not one."""
    try:
        return datetime_text(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return str(value)


# -- per department ---------------------------------------------------------------------------


def _zreports(rows: list[Any]) -> list[tuple[Any, ZReport]]:
    out = []
    for r in rows:
        try:
            out.append((r, ZReport.model_validate(r.payload)))
        except ValueError:
            continue
    return out


def zreport_source_check(rt: Runtime, dept_id: str, has_sales: bool, hours: int) -> Check:
    """Where the department's Z-reports come from, and for a SAF-T inbox when the last file
    arrived: a department with sales days whose inbox got nothing for `hours` warns (the
    cash register's export may have stopped, or writes elsewhere)."""
    from core.departments import Departments
    from core.saft_inbox import last_arrival
    from core.setup import source_text

    cid, title = "zreport.source", _("Z source")
    dept = Departments(rt.store, rt.secrets).get(dept_id)
    s = dept.settings if dept else None
    if s is None or s.zreport_source != "saft-inbox":
        return ok(cid, title, source_text("duell", None), dept_id)
    said = source_text(s.zreport_source, s.inbox_dir)
    last = last_arrival(Ledger(rt.store), dept_id)
    if last is None and not has_sales:
        return ok(cid, title, _("{said}; no file yet").format(said=said), dept_id)
    if last is not None and datetime.now(UTC) - last <= timedelta(hours=hours):
        return ok(
            cid,
            title,
            _("{said}; last file {last} UTC").format(said=said, last=datetime_text(last)),
            dept_id,
        )
    return Check(
        cid,
        title,
        Status.WARN,
        (
            _("{said}; no file since {last} UTC (more than {hours} h)")
            if last
            else _("{said}; no file ever (more than {hours} h)")
        ).format(said=said, last=datetime_text(last), hours=hours),
        _(
            "check that the cash register still exports SAF-T to that directory (`duvi run` "
            "must be running to take files in)"
        ),
        dept_id,
        basis=("no file", s.inbox_dir),
    )


def ledger_checks(rt: Runtime, dept_id: str, *, stale_hours: int = 36) -> list[Check]:
    from core.accounting import month_boundary

    ledger = Ledger(rt.store)
    rows = ledger.rows(dept_id, kind="zreport")
    pairs = _zreports(rows)
    zs = [z for _row, z in pairs]
    checks = []
    # Z numbers run per cash register: a gap is a gap within one register's numbers.
    per_register: dict[str, list[int]] = {}
    for z in zs:
        per_register.setdefault(z.register_id, []).append(z.z_number)
    missing: list[Any] = []  # Z numbers; with several registers, "register R Z n"
    said_missing: list[str] = []  # the same, in the language
    spans, said_spans = [], []
    for register, numbers in sorted(per_register.items()):
        numbers.sort()
        several = len(per_register) > 1
        gone = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
        span = f"{numbers[0]}-{numbers[-1]}"
        missing += [f"register {register} Z {n}" if several else n for n in gone]
        said_missing += [
            _("register {register} Z {n}").format(register=register, n=n) if several else str(n)
            for n in gone
        ]
        spans.append(f"register {register} {span}" if several else span)
        said_spans.append(
            _("register {register} {span}").format(register=register, span=span)
            if several
            else span
        )
    checks.append(
        ok(
            "zreport.gaps",
            _("Z-report number sequence"),
            ngettext("{n} Z-report, no gaps", "{n} Z-reports, no gaps", len(zs)).format(n=len(zs)),
            dept_id,
        )
        if not missing
        else Check(
            "zreport.gaps",
            _("Z-report number sequence"),
            Status.FAIL,
            ngettext(
                "Z number {numbers} missing between {spans}: a lost settlement until proven "
                "otherwise",
                "Z numbers {numbers} missing between {spans}: a lost settlement until proven "
                "otherwise",
                len(missing),
            ).format(numbers=", ".join(said_missing), spans="; ".join(said_spans)),
            _(
                "find these Z-reports in DUELL (Dagsoppgjør); if they exist, import them "
                "(`duvi import saft`), else ask the shop why the number was skipped"
            ),
            dept_id,
            missing,
            shown=said_missing,
        )
    )
    checks.append(zreport_source_check(rt, dept_id, bool(zs), stale_hours))
    now = datetime.now()
    old = [
        z
        for row, z in pairs
        if row.state not in (State.CONFIRMED, State.RELEASED)
        and now - z.closed_at > timedelta(hours=stale_hours)
    ]
    stale = [f"Z {z.z_number} ({z.closed_at:%Y-%m-%d %H:%M})" for z in old]
    said_stale = [f"Z {z.z_number} ({datetime_text(z.closed_at)})" for z in old]
    checks.append(
        ok(
            "zreport.stale",
            _("Z-reports confirmed within {stale_hours} h").format(stale_hours=stale_hours),
            _("nothing old is waiting"),
            dept_id,
        )
        if not stale
        else Check(
            "zreport.stale",
            _("Z-reports confirmed within {stale_hours} h").format(stale_hours=stale_hours),
            Status.WARN,
            _("{n} not confirmed: {items}").format(n=len(stale), items=", ".join(said_stale[:10])),
            _("see `duvi transfers --dept` and the checks below for why"),
            dept_id,
            stale,
            fix=Fix.TRANSFERS,
            shown=said_stale,
        )
    )
    attention = ledger.rows(dept_id, states=(State.FAILED, State.ATTENTION, State.SENT))
    checks.append(
        ok("transfers.attention", _("Transfers needing attention"), _("none"), dept_id)
        if not attention
        else Check(
            "transfers.attention",
            _("Transfers needing attention"),
            Status.FAIL if any(r.state == State.FAILED for r in attention) else Status.WARN,
            # one line per transfer under a count: never one paragraph of ten errors
            ngettext("{n} transfer: {counts}", "{n} transfers: {counts}", len(attention)).format(
                n=len(attention),
                counts=", ".join(
                    _STATE_COUNTS[state](n)
                    for state in (State.FAILED, State.ATTENTION, State.SENT)
                    if (n := sum(r.state == state for r in attention))
                ),
            )
            + "".join(
                "\n"
                + _("{key} {state}: {reason}").format(
                    key=r.key,
                    state=_STATE_WORDS[r.state](),
                    reason=reason_text(r.last_error) if r.last_error else _("in doubt"),
                )
                for r in attention[:10]
            ),
            _(
                "fix the cause named, then `duvi sync --retry-failed`; rows 'sent' are "
                "looked up in Visma before any resend"
            ),
            dept_id,
            [r.key for r in attention],
            fix=Fix.TRANSFERS,
            basis=sorted((r.key, str(r.state)) for r in attention),
        )
    )
    checks.append(period_check(dept_id, attention))
    boundary = [m for z in zs if (m := month_boundary(z))]
    checks.append(
        ok("zreport.month", _("Month boundaries"), _("no Z-report crossed a month"), dept_id)
        if not boundary
        else Check(
            "zreport.month",
            _("Month boundaries"),
            Status.WARN,
            ngettext(
                "{n} Z-report taken after midnight into the next month",
                "{n} Z-reports taken after midnight into the next month",
                len(boundary),
            ).format(n=len(boundary)),
            _(
                "check with the accountant that these belong to the period of their "
                "business date (as booked)"
            ),
            dept_id,
            boundary,  # as stored in the journal's flags (English); shown in the language
            fix=Fix.TRANSFERS,
            shown=[reason_text(m) for m in boundary],
        )
    )
    return checks


# The ledger's states as doctor's transfers line counts and names them
_STATE_COUNTS = {
    State.FAILED: lambda n: ngettext("{n} failed", "{n} failed", n).format(n=n),
    State.ATTENTION: lambda n: ngettext("{n} needs attention", "{n} need attention", n).format(n=n),
    State.SENT: lambda n: ngettext("{n} sent, in doubt", "{n} sent, in doubt", n).format(n=n),
}
_STATE_WORDS = {
    State.FAILED: lambda: _("failed"),
    State.ATTENTION: lambda: _("needs attention"),
    State.SENT: lambda: _("sent, in doubt"),
}


def period_check(dept_id: str, waiting: list[Any]) -> Check:
    """Documents held because their financial period is closed (or missing) in Visma."""
    from core.transfers.periods import held_for_period

    held = [r for r in waiting if r.state == State.ATTENTION and held_for_period(r.last_error)]
    if not held:
        return ok(
            "transfers.period", _("Financial periods"), _("no document waits for one"), dept_id
        )
    return Check(
        "transfers.period",
        _("Financial periods"),
        Status.WARN,
        ngettext("{n} document held, not sent:", "{n} documents held, not sent:", len(held)).format(
            n=len(held)
        )
        + "".join(f"\n{r.key}: {reason_text(r.last_error.splitlines()[0])}" for r in held[:10]),
        _(
            "ask the accountant to reopen the period in Visma (or set up its financial year); "
            "the next run sends them"
        ),
        dept_id,
        [r.key for r in held],
        fix=Fix.TRANSFERS,
        basis=sorted(r.key for r in held),
    )


def period_close_check(
    rt: Runtime, dept_id: str, periods: list[Any] | None, today: date | None = None
) -> Check | None:
    """Documents not released in Visma in a period near or past its end and still open
    (core/period_close.py): release them before the accountant closes it. None when the
    warning is turned off (period_close_warn_days 0). `periods`: None when Visma's could not
    be read this run (the last list read stands)."""
    from core.period_close import REMEDY, closings, stored_periods

    title = _("Periods about to close")
    days = rt.settings.period_close_warn_days
    if not days:
        return None
    if periods is None:
        periods = stored_periods(rt.store, dept_id)
    found = closings(Ledger(rt.store), dept_id, periods, today or date.today(), days)
    if not found:
        return ok(
            "transfers.period_close",
            title,
            ngettext(
                "no open period ending within {days} day holds a document not released",
                "no open period ending within {days} days holds a document not released",
                days,
            ).format(days=days),
            dept_id,
        )
    return Check(
        "transfers.period_close",
        title,
        Status.WARN,
        "\n".join(c.summary() for c in found),
        _("{remedy}; in the console, t opens Transfers on these periods' days").format(
            remedy=_(REMEDY)
        ),
        dept_id,
        [k for c in found for k in c.keys],
        fix=Fix.TRANSFERS,
        basis=[(c.period, c.ended, c.keys) for c in found],
        days=(found[0].start, found[-1].end),
    )


def cost_of_goods_check(dept_id: str, settings: DepartmentSettings) -> Check:
    """ "Beholdningsendring" and "Lager" both on would move 1460 twice: the journals leave
    their inventory-change lines out (the stock issue books cost of goods), but the settings
    say otherwise, so a person turns one off."""
    title = _("Cost of goods")
    if not both_cost_of_goods(settings):
        return ok("settings.cost_of_goods", title, _("booked once"), dept_id)
    return Check(
        "settings.cost_of_goods",
        title,
        Status.FAIL,
        _("{message} (the journals leave their inventory-change lines out meanwhile)").format(
            message=_(COGS_BOTH_MESSAGE)
        ),
        _(COGS_BOTH_REMEDY),
        dept_id,
        fix=Fix.SETTINGS,
    )


def legacy_accounts_check(rt: Runtime, dept_id: str, settings: DepartmentSettings) -> Check | None:
    """A department set up before the standard chart's defaults keeps its old ones (never
    changed under an accountant); this names those that disagree with the standard, so a
    person moves them in the account map editor, or acknowledges them."""
    if settings.account_defaults != AccountDefaults.LEGACY:
        return None
    saved = {
        r["key"]
        for r in rt.store.query("SELECT key FROM account_maps WHERE department_id = ?", [dept_id])
    }
    kept = sorted(
        (key, acc, DEFAULT_ACCOUNTS[key])
        for key, acc in LEGACY_ACCOUNTS.items()
        if key not in saved and key in DEFAULT_ACCOUNTS and DEFAULT_ACCOUNTS[key] != acc
    )
    if not kept:
        return None
    differ = [f"{key} {acc} (standard {std})" for key, acc, std in kept]
    said = [
        _("{key} {account} (standard {standard})").format(key=key, account=acc, standard=std)
        for key, acc, std in kept
    ]
    return Check(
        "mapping.legacy_defaults",
        _("Default accounts"),
        Status.WARN,
        _("set up before the standard chart's defaults, kept as they were: {accounts}").format(
            accounts=", ".join(said)
        ),
        _(
            "check them with the accountant and set each in the account map editor (m), or "
            "acknowledge to keep them (README: Default accounts)"
        ),
        dept_id,
        differ,
        fix=Fix.ACCOUNTS,
        shown=said,
    )


def mapping_checks(
    rt: Runtime,
    dept_id: str,
    settings: DepartmentSettings,
    visma_vat: dict[str, VismaVat] | None,
    accounts: dict[str, Any] | None,
) -> list[Check]:
    depts = Departments(rt.store, rt.secrets)
    zs = [z for _row, z in _zreports(Ledger(rt.store).rows(dept_id, kind="zreport"))]
    mappings = depts.vat_mappings(dept_id)
    rates = sorted({s.rate for z in zs for s in z.sales if s.gross})
    unmapped = [r for r in rates if not (m := mappings.get(r)) or not m.visma_vat_id]
    unknown = [
        f"{r} % -> {mappings[r].visma_vat_id}"
        for r in rates
        if r in mappings and visma_vat is not None and mappings[r].visma_vat_id not in visma_vat
    ]
    # Every mapped rate, in use or not: a wrong one is booked the day a sale uses it.
    wrong = [
        problem
        for r, m in sorted(mappings.items())
        if m.visma_vat_id
        and visma_vat is not None
        and m.visma_vat_id in visma_vat
        and (problem := mismatch(r, m.visma_vat_id, visma_vat))
    ]
    checks = []
    if unmapped or unknown or wrong:
        said = [
            _("map VAT rate {rate} % to a Visma VAT code").format(rate=rate_shown(rate_text(r)))
            for r in unmapped
        ]
        said += [
            _("VAT id no longer in Visma: {id}").format(
                id=f"{rate_shown(r)} % -> {mappings[r].visma_vat_id}"
            )
            for r in rates
            if r in mappings and visma_vat is not None and mappings[r].visma_vat_id not in visma_vat
        ]
        said += [reason_text(w) for w in wrong]
        found = "; ".join(said)
        checks.append(
            Check(
                "mapping.vat",
                _("VAT mapping"),
                Status.FAIL,
                found,
                _(
                    "complete the VAT mapping (console: VAT mapping editor); transfers of "
                    "this department are blocked until then"
                )
                if unmapped or unknown
                else _(
                    "map each rate to a Visma VAT id of the same rate (console: VAT mapping "
                    "editor, v): documents would be booked with the wrong VAT"
                ),
                dept_id,
                [str(r) for r in unmapped] + unknown + wrong,
                fix=Fix.VAT,
                shown=[rate_shown(r) for r in unmapped] + said[len(unmapped) :],
            )
        )
    else:
        checks.append(
            ok(
                "mapping.vat",
                _("VAT mapping"),
                ngettext(
                    "{n} rate in use, mapped to an existing VAT id",
                    "{n} rates in use, all mapped to existing VAT ids",
                    len(rates),
                ).format(n=len(rates)),
                dept_id,
            )
        )
    if accounts is not None:
        amap = depts.account_map(dept_id)
        wrong_accounts = sorted(
            {
                (key, acc, acc in accounts)
                for key, acc in amap.items()
                if acc not in accounts or accounts[acc].active is False
            }
        )
        bad = [
            f"{key} -> {acc}" + (" (inactive)" if there else " (missing)")
            for key, acc, there in wrong_accounts
        ]
        said_bad = [
            (
                _("{key} -> {account} (inactive)") if there else _("{key} -> {account} (missing)")
            ).format(key=key, account=acc)
            for key, acc, there in wrong_accounts
        ]
        checks.append(
            ok(
                "mapping.accounts",
                _("Account map"),
                ngettext(
                    "{n} account present and active", "{n} accounts present and active", len(amap)
                ).format(n=len(amap)),
                dept_id,
            )
            if not bad
            else Check(
                "mapping.accounts",
                _("Account map"),
                Status.FAIL,
                "; ".join(said_bad),
                _("create or activate these accounts in Visma, or change the account map"),
                dept_id,
                bad,
                fix=Fix.ACCOUNTS,
                shown=said_bad,
            )
        )
    fallback = sorted(
        {
            f"Z {z.z_number}: {p.type}"
            for z in zs
            for p in z.payments
            # A SAF-T type duvi has no name for (label) is held, not booked on the fallback.
            if p.amount
            and p.label is None
            and f"payment:{p.type}" not in depts.account_map(dept_id)
        }
    )
    checks.append(
        ok("mapping.fallback", _("Payment types"), _("every payment type has an account"), dept_id)
        if not fallback
        else Check(
            "mapping.fallback",
            _("Payment types"),
            Status.WARN,
            ngettext(
                "{n} payment booked on the fallback account: {items}",
                "{n} payments booked on the fallback account: {items}",
                len(fallback),
            ).format(n=len(fallback), items=", ".join(fallback[:10])),
            _("map these payment types in the account map"),
            dept_id,
            fallback,
            fix=Fix.ACCOUNTS,
        )
    )
    return checks


def unnamed_in_duell(rt: Runtime, dept: Department, nameless: list[str | None]) -> list[str]:
    """Of the Visma items with no name, those DUELL would show by their item number: with
    DUELL as product master, an item linked to a DUELL product carries DUELL's name (duvi
    writes it there; DUELL has its own), so it is left out.

    Without this the count followed which Visma a process saw: the first product push of a
    run names the linked items, and the in-process sandbox starts again from the seed in
    every process, so the console (whose run had pushed) said none and `duvi doctor` (a new
    process, a fresh sandbox, its store saying the push was done) said 41."""
    numbers = [n for n in nameless if n]
    if dept.settings.product_master != Master.DUELL:
        return numbers
    from core.sync.links import Links
    from core.sync.products import ENTITY

    linked = {lk.visma_id for lk in Links(rt.store, dept.id, ENTITY).all()}
    return [n for n in numbers if n not in linked]


def master_data_checks(rt: Runtime, dept_id: str, nameless: list[str] | None) -> list[Check]:
    from core.conflicts import Conflicts
    from core.sync.webhooks import unannounced, unannounced_finding

    checks = []
    open_ = Conflicts(rt.store).list(dept_id)
    checks.append(
        ok("masterdata.conflicts", _("Duplicate conflicts"), _("none open"), dept_id)
        if not open_
        else Check(
            "masterdata.conflicts",
            _("Duplicate conflicts"),
            Status.WARN,
            ngettext(
                "{n} open: this record waits for a person",
                "{n} open: these records wait for a person",
                len(open_),
            ).format(n=len(open_)),
            _("resolve them (console: conflicts, or `duvi conflicts resolve`)"),
            dept_id,
            [c.id for c in open_],
            fix=Fix.CONFLICTS,
        )
    )
    finding = unannounced_finding(rt.store, dept_id)
    checks.append(
        ok(
            "masterdata.webhooks",
            _("Changes without webhook"),
            _("every change found by polling was announced"),
            dept_id,
        )
        if finding is None
        else Check(
            "masterdata.webhooks",
            _("Changes without webhook"),
            Status.WARN,
            finding,
            _("turn the webhook flag on in Visma (polling keeps them in sync meanwhile)"),
            dept_id,
            key=unannounced(rt.store, dept_id),
        )
    )
    checks.append(set_aside_check(rt, dept_id))
    if nameless is not None:
        checks.append(
            ok("masterdata.nameless", _("Items without a name"), _("none"), dept_id)
            if not nameless
            else Check(
                "masterdata.nameless",
                _("Items without a name"),
                Status.WARN,
                ngettext(
                    "{n} Visma item has no name; DUELL shows its item number: {items}",
                    "{n} Visma items have no name; DUELL shows their item number: {items}",
                    len(nameless),
                ).format(n=len(nameless), items=", ".join(nameless[:10])),
                _("give them a description in Visma"),
                dept_id,
                nameless,
            )
        )
    return checks


async def foreign_batch_check(
    rt: Runtime,
    dept: Department,
    visma: VismaClient,
    depts: Departments,
    periods: Periods | None = None,
) -> Check:
    """The double-posting guard, as a finding: a batch another integration made (DUELL's own
    Visma module, inferred) on a day duvi has a Z-report for, this month or last. One journal
    listing per period, as the transfers' look-up reads."""
    from core.transfers.foreign import REMEDY, confirmed, recent_foreign_batches
    from core.transfers.posting import Kind

    title = _("Batches duvi did not make")
    cid = "visma.foreign_batches"
    ledger = Ledger(rt.store)
    keys_by_day: dict[date, list[str]] = {}
    for row, z in _zreports(ledger.rows(dept.id, kind=Kind.ZREPORT)):
        keys_by_day.setdefault(z.business_date, []).append(row.key)
    # The two newest of Visma's periods the department has Z-reports in (none yet: this
    # month and last).
    try:
        found = await recent_foreign_batches(
            visma, dept.settings, depts.account_map(dept.id), keys_by_day, periods
        )
    except DuviError as exc:  # the company's other checks stand; this one could not run
        return Check(
            cid,
            title,
            Status.WARN,
            _("could not list the journals: {message}").format(message=exc.message),
            exc.remedy,
            dept.id,
            basis="listing failed",
        )
    if not found:
        return ok(cid, title, _("no other integration's batch of this department's days"), dept.id)
    clashes = [
        b
        for b in found
        if any(b.number not in confirmed(ledger, dept.id, k) for k in keys_by_day.get(b.day, []))
    ]
    if not clashes:
        return ok(
            cid,
            title,
            ngettext(
                "{n} batch of a day duvi has no unconfirmed Z-report for",
                "{n} batches of days duvi has no unconfirmed Z-report for",
                len(found),
            ).format(n=len(found)),
            dept.id,
        )
    records = [f"batch {b.number} of {b.day} ({b.description})" for b in clashes]
    said = [
        _("batch {number} of {day} ({description})").format(
            number=b.number, day=date_text(b.day), description=b.description
        )
        for b in clashes
    ]
    return Check(
        cid,
        title,
        Status.FAIL,
        ngettext(
            "Visma holds {n} batch duvi did not make on a day it transfers for this "
            "department (inferred: DUELL's own Visma module is still on): {batches}",
            "Visma holds {n} batches duvi did not make on days it transfers for this "
            "department (inferred: DUELL's own Visma module is still on): {batches}",
            len(clashes),
        ).format(n=len(clashes), batches="; ".join(said[:5])),
        _(REMEDY),
        dept.id,
        records,
        fix=Fix.TRANSFERS,
        shown=said,
    )


def set_aside_check(rt: Runtime, dept_id: str) -> Check:
    """The DUELL rows the last whole listing of products and customers could not read (each
    was set aside with a warning in the log; the rest of the listing went on)."""
    from core.duell.client import SET_ASIDE, SET_ASIDE_REMEDY

    rows = rt.store.query(
        "SELECT entity, key, fingerprint FROM warning_states "
        "WHERE department_id = ? AND kind = ? ORDER BY entity, key",
        [dept_id, SET_ASIDE],
    )
    title = _("DUELL rows set aside")
    if not rows:
        return ok("duell.rows", title, _("every product and customer row was read"), dept_id)
    records = [f"{r['entity']}: {r['key']} ({r['fingerprint']})" for r in rows]
    said = [
        _("{entity}: {key} ({fingerprint})").format(
            entity=_(ENTITY_WORDS[r["entity"]]) if r["entity"] in ENTITY_WORDS else r["entity"],
            key=r["key"],
            fingerprint=r["fingerprint"],
        )
        for r in rows
    ]
    return Check(
        "duell.rows",
        title,
        Status.WARN,
        ngettext(
            "{n} DUELL row could not be read and is left out of the sync: {rows}",
            "{n} DUELL rows could not be read and are left out of the sync: {rows}",
            len(rows),
        ).format(n=len(rows), rows="; ".join(said[:5]) + ("; …" if len(said) > 5 else "")),
        _(SET_ASIDE_REMEDY),
        dept_id,
        records,
        fix=Fix.LOG,
        shown=said,
    )


ENTITY_WORDS = {"products": N_("products"), "customers": N_("customers")}  # rows set aside


def _clock(name: str, date_header: str | None, dept_id: str) -> Check:
    if not date_header:
        return ok(
            f"clock.{name}",
            _("Clock against {name}").format(name=name),
            _("no Date header seen"),
            dept_id,
        )
    theirs = email.utils.parsedate_to_datetime(date_header).timestamp()
    skew = time.time() - theirs
    if abs(skew) > CLOCK_SKEW_LIMIT:
        return Check(
            f"clock.{name}",
            _("Clock against {name}").format(name=name),
            Status.FAIL,
            _("this host's clock is {skew:+.0f} s off {name}'s").format(skew=skew, name=name),
            _(
                "turn on time sync (chrony or systemd-timesyncd): tokens and date filters "
                "break on a skewed clock"
            ),
            dept_id,
        )
    return ok(
        f"clock.{name}", _("Clock against {name}").format(name=name), f"{skew:+.0f} s", dept_id
    )


SCOPE_USES = {  # what duvi does with each scope (inferred from the operations' verbs)
    "read": N_("every look-up before a document is sent"),
    "create": N_("sending batches, invoices, stock issues, customers and items"),
    "update": N_("clearing hold, releasing, updating customers and items"),
    "delete": N_("nothing (duvi deletes nothing)"),
}


def scope_check(wanted: tuple[str, ...], missing: list[str] | None, dept_id: str) -> Check:
    """Whether Visma Connect grants every scope duvi asks for (`visma_scopes`): Connect
    refuses a token to an application asking for one it lacks (invalid_scope, findings A3)."""
    title, cid = _("Visma scopes"), "visma.scopes"
    if missing is None:
        return ok(cid, title, _("granted: {scopes}").format(scopes=", ".join(wanted)), dept_id)
    if not missing:
        return Check(
            cid,
            title,
            Status.WARN,
            _("Visma Connect refused the scopes together but grants each alone"),
            _("check the application's scopes in the Visma Developer Portal"),
            dept_id,
            basis="invalid_scope, every scope alone granted",
        )
    names = [m.removeprefix(SCOPE_PREFIX) for m in missing]
    return Check(
        cid,
        title,
        Status.FAIL,
        _(
            "the Visma application is not granted {scopes}: Visma Connect gives duvi no token"
        ).format(
            scopes=", ".join(
                f"{m} ({_(SCOPE_USES[n]) if n in SCOPE_USES else '?'})"
                for m, n in zip(missing, names, strict=True)
            )
        ),
        _(
            "in the Visma Developer Portal, add {scopes} to the application's scopes (and have "
            "the company approve the change); or, if duvi is not to do that, remove {names} "
            "from the visma_scopes setting"
        ).format(scopes=", ".join(missing), names=", ".join(f'"{n}"' for n in names)),
        dept_id,
        missing,
        fix=Fix.SETUP,
    )


async def _periods(rt: Runtime, dept_id: str, periods: Periods) -> list[Any] | None:
    """Visma's financial periods, read once for this run (none when the warning is off) and
    kept for the alerts; None when they could not be read (the check says so)."""
    from core.period_close import read_and_keep

    try:
        return await read_and_keep(
            rt.store, Ledger(rt.store), dept_id, periods, rt.settings.period_close_warn_days
        )
    except DuviError:
        return None


async def remote_checks(
    rt: Runtime, dept_id: str, conns: Connections
) -> tuple[list[Check], dict[str, Any]]:
    """DUELL and Visma reachable and set up right; returns what later checks need."""
    depts = conns.departments
    dept = depts.get(dept_id)
    checks: list[Check] = []
    facts: dict[str, Any] = {"vat": None, "accounts": None, "nameless": None, "periods": None}
    duell = conns.duell(department_id=dept_id)  # not set up: the caller says so
    try:
        async with duell:
            await duell.departments()
        checks.append(ok("duell.login", _("DUELL credentials"), _("logged in"), dept_id))
        remaining = duell.http.pacer.remaining
        checks.append(
            ok(
                "duell.rate",
                _("DUELL rate limit"),
                _("{remaining} requests left").format(remaining=count_text(remaining)),
                dept_id,
            )
        )
        checks.append(_clock("DUELL", duell.http.last_date, dept_id))
    except DuellBlockedError as exc:
        checks.append(
            Check(
                "duell.firewall", _("DUELL firewall"), Status.FAIL, exc.message, exc.remedy, dept_id
            )
        )
    except DuviError as exc:
        checks.append(
            Check(
                "duell.login", _("DUELL credentials"), Status.FAIL, exc.message, exc.remedy, dept_id
            )
        )
    if dept is None or not depts.is_set_up(dept_id):
        checks.append(
            Check(
                "visma.setup",
                _("Visma setup"),
                Status.WARN,
                _("this department is not set up for Visma"),
                _("run the console's setup for it"),
                dept_id,
                fix=Fix.SETUP,
            )
        )
        return checks, facts
    visma = conns.visma(dept_id)
    try:
        async with visma:
            branches = {b.number for b in await visma.list_branches()}
            checks.append(
                ok("visma.token", _("Visma token and tenant"), _("the company answers"), dept_id)
            )
            granted = visma.tokens.granted  # None: a token kept from before, not read now
            short = [c for c in visma.tokens.creds.scopes if granted and c not in granted]
            checks.append(scope_check(rt.settings.visma_scopes, short or None, dept_id))
            s = dept.settings
            problems: list[Reason] = []
            # A choice without its flag is not used, a flag without its choice cannot be:
            # what older setups saved silently (finding D2).
            branch, bearer = {"branch": s.branch_number}, {"value": s.cost_bearer_value}
            if s.several_clients and not s.branch_number:
                problems.append(Reason(N_("Flere klienter is on but no branch is chosen")))
            if s.branch_number and not s.several_clients:
                problems.append(
                    Reason(N_("branch {branch} is saved but Flere klienter is off"), branch)
                )
            if s.several_departments and not s.cost_bearer_value:
                problems.append(Reason(N_("Flere avdelinger is on but no cost bearer is chosen")))
            if s.cost_bearer_value and not s.several_departments:
                problems.append(
                    Reason(N_("cost bearer {value} is saved but Flere avdelinger is off"), bearer)
                )
            if s.several_clients and s.branch_number and s.branch_number not in branches:
                problems.append(Reason(N_("branch {branch} no longer exists"), branch))
            if s.several_departments and s.cost_bearer_value:
                dim = await visma.get_dimension("SUBACCOUNT")
                values = {
                    (sg.segment_id, v.value_id) for sg in dim.segments for v in sg.segment_values
                }
                if (s.cost_bearer_segment, s.cost_bearer_value) not in values:
                    problems.append(
                        Reason(
                            N_("cost bearer {value} is not a value of segment {segment}"),
                            {**bearer, "segment": s.cost_bearer_segment},
                        )
                    )
                problems += subaccount_problems(s, dim)
            checks.append(
                ok(
                    "visma.company",
                    _("Company, branch and cost bearer"),
                    _("what setup saved still exists"),
                    dept_id,
                )
                if not problems
                else Check(
                    "visma.company",
                    _("Company, branch and cost bearer"),
                    Status.FAIL,
                    "; ".join(p.text() for p in problems),
                    _("choose them again in the console's setup"),
                    dept_id,
                    [p.english() for p in problems],
                    fix=Fix.SETUP,
                    shown=[p.text() for p in problems],
                )
            )
            checks += await item_class_and_warehouse(visma, s, dept_id)
            periods = Periods(visma)  # Visma's financial periods: one read for every check
            checks.append(await foreign_batch_check(rt, dept, visma, depts, periods))
            facts["vat"] = await read_visma_vat(visma)
            facts["accounts"] = {a.account_cd: a for a in await visma.list_accounts()}
            facts["nameless"] = unnamed_in_duell(
                rt,
                dept,
                [i.inventory_number async for i in visma.list_items() if not i.description],
            )
            facts["periods"] = await _periods(rt, dept_id, periods)
            pending = len(Ledger(rt.store).rows(dept_id, states=(State.PENDING, State.SENT)))
            remaining = visma.http.pacer.remaining
            checks.append(
                ok(
                    "visma.rate",
                    _("Visma rate limit"),
                    ngettext(
                        "{remaining} requests left for {pending} pending document",
                        "{remaining} requests left for {pending} pending documents",
                        pending,
                    ).format(remaining=count_text(remaining), pending=count_text(pending)),
                    dept_id,
                )
                if remaining >= pending * 2
                else Check(
                    "visma.rate",
                    _("Visma rate limit"),
                    Status.WARN,
                    ngettext(
                        "{remaining} requests left this window for {pending} pending document",
                        "{remaining} requests left this window for {pending} pending documents",
                        pending,
                    ).format(remaining=count_text(remaining), pending=count_text(pending)),
                    _("transfers will wait for the next window by themselves"),
                    dept_id,
                    basis="fewer requests left than pending documents",
                )
            )
            checks.append(_clock("Visma", visma.http.last_date, dept_id))
    except VismaError as exc:
        if exc.fault_code == "invalid_scope":  # which ones: each asked for alone
            async with conns.visma(dept_id) as probe:
                missing = await missing_scopes(probe.tokens)
            if missing is not None:
                checks.append(scope_check(rt.settings.visma_scopes, missing, dept_id))
        cid = "visma.licence" if exc.fault_code == "12027" else "visma.token"
        checks.append(
            Check(
                cid,
                _("Visma token and tenant") if cid == "visma.token" else _("Visma licence"),
                Status.FAIL,
                exc.message,
                exc.remedy,
                dept_id,
                fix=Fix.SETUP if cid == "visma.token" else None,
            )
        )
    except DuviError as exc:
        checks.append(
            Check(
                "visma.token",
                _("Visma token and tenant"),
                Status.FAIL,
                exc.message,
                exc.remedy,
                dept_id,
                fix=Fix.SETUP,
            )
        )
    return checks, facts


async def run_doctor(
    rt: Runtime,
    dept_ids: list[str],
    *,
    connections: Connections | None = None,
    integrity: bool = False,
    stale_hours: int = 36,
    today: date | None = None,
) -> list[Check]:
    """`today`: the day the period checks count from (tests freeze it; default: today)."""
    checks = local_checks(rt, integrity=integrity)
    with connections_for(rt, connections) as conns:
        for dept_id in dept_ids:
            dept = conns.departments.get(dept_id)
            try:
                remote, facts = await remote_checks(rt, dept_id, conns)
            except DuviError as exc:  # e.g. a secrets file others can read: say so, go on
                remote = [
                    Check(
                        "department.setup",
                        _("Department setup"),
                        Status.FAIL,
                        exc.message,
                        exc.remedy,
                        dept_id,
                    )
                ]
                facts = {"vat": None, "accounts": None, "nameless": None, "periods": None}
            checks += remote
            checks += ledger_checks(rt, dept_id, stale_hours=stale_hours)
            closing = period_close_check(rt, dept_id, facts["periods"], today)
            checks += [closing] if closing else []
            if dept is not None:
                checks.append(cost_of_goods_check(dept_id, dept.settings))
                if legacy := legacy_accounts_check(rt, dept_id, dept.settings):
                    checks.append(legacy)
                checks += mapping_checks(
                    rt, dept_id, dept.settings, facts["vat"], facts["accounts"]
                )
            checks += master_data_checks(rt, dept_id, facts["nameless"])
    apply_acknowledgements(rt, checks)
    return checks
