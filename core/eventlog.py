"""The event log: what duvi did and why, in the store.

Writes are buffered and committed in batches (a busy sync logs thousands of events; one
commit per event would make the log the bottleneck and hog the write lock). A buffered
event reaches the database within `flush_interval` seconds, on `flush()`, or on `close()`.

Reads are keyset-paginated on the event id (never OFFSET, which gets slower the further
back one pages), newest first, with filters on department, level, entity, run and text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any

from core.batchwriter import BatchWriter
from core.eventtext import Msg, template_key, templates_saying, values_saying
from core.i18n import N_, _
from core.redact import redactor
from core.store import Store, utcnow

# The run the current task works for: every event emitted inside `EventLog.run` carries its id,
# whichever module emits it (a context variable, so that two departments running at once on one
# event loop, each in its own task, never mix their ids).
_RUN: ContextVar[int | None] = ContextVar("duvi_run_id", default=None)


def current_run() -> int | None:
    """The id of the run this task works for, if any."""
    return _RUN.get()


class Level(IntEnum):
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50

    @classmethod
    def parse(cls, name: str | int) -> Level:
        if isinstance(name, int):
            return cls(name)
        key = name.strip().upper()
        key = _LEVEL_ALIASES.get(key, key)
        said = {level_text(m).upper(): m.name for m in cls}  # nb ADVARSEL, FEIL, KRITISK
        key = said.get(key, key)
        if key not in cls.__members__:
            raise ValueError(
                _("unknown level {name}: use one of {levels}").format(
                    name=repr(name), levels=", ".join(m.name.lower() for m in cls)
                )
            )
        return cls[key]


_LEVEL_ALIASES = {"WARN": "WARNING", "ERR": "ERROR", "CRIT": "CRITICAL"}
_LEVEL_WORDS = {"WARNING": N_("WARNING"), "ERROR": N_("ERROR"), "CRITICAL": N_("CRITICAL")}


def level_text(level: Level) -> str:
    """A level's name in the language (nb ADVARSEL, FEIL, KRITISK; INFO and DEBUG as they
    are), as the console's log says it."""
    return _(_LEVEL_WORDS[level.name]) if level.name in _LEVEL_WORDS else level.name


@dataclass(frozen=True)
class LogFilter:
    department_id: str | None = None
    min_level: Level | None = None
    entity: str | None = None
    run_id: int | None = None
    text: str | None = None


def event_entities() -> tuple[str, ...]:
    """What the engine records in an event's entity: the status panel's entities, and the
    steps and parts that are none of them."""
    from core.status import Entity

    return (*(e.value for e in Entity), "notification", "transfer", "runner")


def entity_named(name: str) -> str:
    """The events' entity a person means ("products" or "product"); UsageError, with the
    entities there are, for a name the engine never logs under."""
    from core.errors import UsageError
    from core.readmodels import entity_text

    known = event_entities()
    key = name.strip().lower()
    for entity in known:
        # The stored name, its plural, or either in the language (nb kunde, kunder, dagsoppgjør)
        said = (entity, f"{entity}s", entity_text(entity), entity_text(f"{entity}s"))
        if key in (word.lower() for word in said):
            return entity
    raise UsageError(
        _("there is no entity {name} in the log (the entities: {entities})").format(
            name=repr(name), entities=", ".join(known)
        )
    )


@dataclass(frozen=True)
class Event:
    id: int
    ts: str
    level: Level
    department_id: str | None
    entity: str | None
    run_id: int | None
    message: str
    data: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(
            id=row["id"],
            ts=row["ts"],
            level=Level(row["level"]),
            department_id=row["department_id"],
            entity=row["entity"],
            run_id=row["run_id"],
            message=row["message"],
            data=json.loads(row["data"]) if row["data"] else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "level": self.level.name}


_INSERT = (
    "INSERT INTO events (ts, level, department_id, entity, run_id, message, data, template_key) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_COLUMNS = "id, ts, level, department_id, entity, run_id, message, data"


class EventLog:
    def __init__(
        self,
        store: Store,
        *,
        batch_size: int = 2000,
        flush_interval: float = 0.5,
        min_level: Level = Level.DEBUG,
    ) -> None:
        self.store = store
        self.min_level = min_level
        self._writer = BatchWriter(
            store, _INSERT, batch_size=batch_size, flush_interval=flush_interval
        )

    # -- writing --------------------------------------------------------------------------

    def emit(
        self,
        level: Level,
        message: str | Msg,
        *,
        department_id: str | None = None,
        entity: str | None = None,
        run_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        if level < self.min_level:
            return
        message, data = _with_template(message, data)
        template = data.get("template") if data else None
        self._writer.add(
            (
                utcnow(),
                int(level),
                department_id,
                entity,
                run_id if run_id is not None else _RUN.get(),
                redactor.text(message),
                redactor.dumps(data, default=str) if data else None,
                template_key(template) if isinstance(template, str) else None,
            )
        )

    def debug(self, message: str | Msg, **kw: Any) -> None:
        self.emit(Level.DEBUG, message, **kw)

    def info(self, message: str | Msg, **kw: Any) -> None:
        self.emit(Level.INFO, message, **kw)

    def warning(self, message: str | Msg, **kw: Any) -> None:
        self.emit(Level.WARNING, message, **kw)

    def error(self, message: str | Msg, **kw: Any) -> None:
        self.emit(Level.ERROR, message, **kw)

    @contextmanager
    def run(self, department_id: str, what: str, *, origin: str | None = None) -> Iterator[int]:
        """A run of one department (a sync, a runner's turn, an import, a pull, a resolve
        applied at once...): a `sync_runs` row, and its id on every event emitted inside (see
        `duvi log --run`). Inside another run it is that run: one run per top-level action."""
        outer = _RUN.get()
        if outer is not None:
            yield outer
            return
        with self.store.write():
            cur = self.store.conn.execute(
                "INSERT INTO sync_runs (department_id, entity, trigger, state, started_at) "
                "VALUES (?, ?, ?, 'running', ?)",
                [department_id, what, origin, utcnow()],
            )
        run_id = cur.lastrowid
        assert run_id is not None
        token = _RUN.set(run_id)
        try:
            yield run_id
        except BaseException as exc:
            _RUN.reset(token)
            state = "failed" if isinstance(exc, Exception) else "cancelled"
            with suppress(Exception):  # the run's own error is the one to see
                self._finish_run(run_id, state, f"{type(exc).__name__}: {exc}")
            raise
        _RUN.reset(token)
        self._finish_run(run_id, *self._outcome(run_id))

    def _outcome(self, run_id: int) -> tuple[str, str | None]:
        """How a run that raised nothing went: "failed" when a step of it logged an error
        (a sync goes on with its other steps after one fails), with how many and the first;
        else "ok"."""
        self.flush()
        errors = self.store.query(
            "SELECT message FROM events WHERE run_id = ? AND level >= ? ORDER BY id",
            [run_id, int(Level.ERROR)],
        )
        if not errors:
            return "ok", None
        first = errors[0]["message"].splitlines()[0]
        return "failed", f"{len(errors)} error(s) logged; the first: {first}"

    def interrupt_runs(self, department_id: str) -> int:
        """Mark the department's runs still "running" as "interrupted" (a run's states: running,
        ok, failed, cancelled, interrupted): called by the worker
        that has just taken the department's lease, which every leased run holds to its end,
        so their holder is gone (a killed process never finishes its run). Returns how many.
        A run registering a SAF-T file without sending takes no lease: should one be under way
        at this instant, its own end writes its real state over this one."""
        with self.store.write():
            cur = self.store.conn.execute(
                "UPDATE sync_runs SET state = 'interrupted', finished_at = ?, error = ? "
                "WHERE department_id = ? AND state = 'running'",
                [utcnow(), "its process ended before the run did", department_id],
            )
        return cur.rowcount

    def _finish_run(self, run_id: int, state: str, error: str | None) -> None:
        with self.store.write():
            self.store.conn.execute(
                "UPDATE sync_runs SET state = ?, finished_at = ?, error = ? WHERE id = ?",
                [state, utcnow(), error, run_id],
            )

    def run_exists(self, run_id: int) -> bool:
        return bool(self.store.query("SELECT 1 FROM sync_runs WHERE id = ?", [run_id]))

    @contextmanager
    def warnings_once(self, department_id: str, entity: str, kind: str) -> Iterator[WarnOnce]:
        """One full pass over what can raise warnings of `kind` (every product of a
        department, say): inside it, `warn(key, fingerprint, message)` logs a warning only
        when its key is new or its fingerprint changed since it was last logged. A pass that
        ends normally forgets the keys it did not warn about (the cause went away), so a
        warning that comes back after it was resolved is logged again. A pass cut short
        forgets nothing: what it did not reach may still stand."""
        found = self.store.query(
            "SELECT key, fingerprint FROM warning_states "
            "WHERE department_id = ? AND entity = ? AND kind = ?",
            [department_id, entity, kind],
        )
        once = WarnOnce(self, department_id, entity, {r["key"]: r["fingerprint"] for r in found})
        try:
            yield once
        except BaseException:
            with suppress(Exception):  # the pass's own error is the one to see
                once.save(complete=False, kind=kind)
            raise
        once.save(complete=True, kind=kind)

    def flush(self) -> int:
        """Commit everything buffered in one transaction; returns how many events."""
        return self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    # -- reading --------------------------------------------------------------------------

    def page(
        self, flt: LogFilter = LogFilter(), *, before_id: int | None = None, limit: int = 100
    ) -> list[Event]:
        """Up to `limit` events older than `before_id` (or the newest), newest first. A text
        finds the events whose stored English holds it (full text) and, in another language,
        those whose sentence reads it there (`templates_saying`: by the template's index)."""
        keys = templates_saying(flt.text) if flt.text else ()
        flt = self._quoted(flt)
        sql, params = _page_sql(flt, before_id=before_id, limit=limit)
        rows = self.store.query(sql, params)
        if not flt.text or not keys:
            return [Event.from_row(r) for r in rows]
        found = {r["id"]: r for r in rows}
        sql, params = _template_sql(flt, before_id=before_id, limit=limit)
        for key in keys:  # one cached statement, one index walk a template (most find none)
            found.update((r["id"], r) for r in self.store.query(sql, [key, *params]))
        newest = sorted(found, reverse=True)[:limit]
        return [Event.from_row(found[i]) for i in newest]

    def since(self, flt: LogFilter, after_id: int, *, limit: int = 1000) -> list[Event]:
        """Events newer than `after_id`, oldest first: what `--follow` prints next."""
        keys = templates_saying(flt.text) if flt.text else ()
        flt = self._quoted(flt)
        where, params = _where(flt, levels_inline=True)
        where.append("id > ?")
        params.append(after_id)
        if flt.text:
            said = "id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)"
            if keys:  # whole numbers of ours, written out: a list of any length in one term
                said = f"({said} OR template_key IN ({', '.join(str(int(k)) for k in keys)}))"
            where.append(said)
            params.append(flt.text)
        sql = f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        return [Event.from_row(r) for r in self.store.query(sql, [*params, limit])]

    def follow(
        self,
        flt: LogFilter,
        after_id: int,
        *,
        poll_interval: float = 0.5,
        wait: Callable[[float], None] = time.sleep,
    ) -> Iterator[Event]:
        """Every event newer than `after_id`, oldest first, and then each new one as it is
        written, for as long as the caller reads (`duvi log --follow`). Between empty reads it
        waits `poll_interval`: a local file, two cheap index probes a second."""
        last = after_id
        while True:
            new = self.since(flt, last)
            yield from new
            if new:
                last = new[-1].id
            else:
                wait(poll_interval)

    def _quoted(self, flt: LogFilter) -> LogFilter:
        """The text filter as a literal FTS query (user text never is FTS syntax); in another
        language than English, or any of duvi's own words among the values that reads it there
        (`values_saying`: nb `varer` finds the stored "products")."""
        if flt.text is None:
            return flt
        quoted = self.store.db.quote_fts(flt.text).strip()
        if not quoted:
            return replace(flt, text=None)
        values = [self.store.db.quote_fts(v) for v in values_saying(flt.text)]
        if values:
            quoted = " OR ".join([f"({quoted})", *values])
        return replace(flt, text=quoted)

    def last_id(self) -> int:
        rows = self.store.query("SELECT max(id) AS m FROM events")
        return rows[0]["m"] or 0

    def count(self) -> int:
        return self.store.query("SELECT count(*) AS n FROM events")[0]["n"]


def _with_template(message: str | Msg, data: dict[str, Any] | None) -> tuple[str, Any]:
    """The English message an event stores, and its data with the sentence's template and
    values when it has one (core/eventtext.py says it again in the reader's language)."""
    if not isinstance(message, Msg):
        msgid = getattr(message, "msgid", None)  # core.i18n.said(): said again from its msgid
        if not isinstance(msgid, str):
            return message, data
        message = Msg(msgid, getattr(message, "params", {}))
    return message.english(), {**(data or {}), **message.stored()}


class WarnOnce:
    """The warnings of one pass (EventLog.warnings_once): each logged once per state."""

    def __init__(
        self, log: EventLog, department_id: str, entity: str, known: dict[str, str]
    ) -> None:
        self.log, self.department_id, self.entity = log, department_id, entity
        self.known = known  # key -> fingerprint, as last logged
        self.seen: set[str] = set()
        self.changed: dict[str, str] = {}
        self.logged = self.repeated = 0

    def warn(
        self,
        key: str,
        fingerprint: str,
        message: str | Msg,
        *,
        data: dict[str, Any] | None = None,
    ) -> bool:
        """Log `message` unless this key's warning with this fingerprint was logged before;
        returns whether it was logged."""
        self.seen.add(key)
        if self.known.get(key) == fingerprint or self.changed.get(key) == fingerprint:
            self.repeated += 1
            return False
        self.changed[key] = fingerprint
        self.logged += 1
        self.log.warning(message, department_id=self.department_id, entity=self.entity, data=data)
        return True

    def save(self, *, complete: bool, kind: str) -> None:
        gone = [k for k in self.known if k not in self.seen] if complete else []
        if not self.changed and not gone:
            return  # the common case, a pass with nothing new: no write
        where = [self.department_id, self.entity, kind]
        now = utcnow()
        with self.log.store.write():
            self.log.store.conn.executemany(
                "INSERT OR REPLACE INTO warning_states "
                "(department_id, entity, kind, key, fingerprint, logged_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(*where, k, fp, now) for k, fp in self.changed.items()],
            )
            self.log.store.conn.executemany(
                "DELETE FROM warning_states "
                "WHERE department_id = ? AND entity = ? AND kind = ? AND key = ?",
                [(*where, k) for k in gone],
            )


def _where(flt: LogFilter, *, levels_inline: bool) -> tuple[list[str], list[Any]]:
    where: list[str] = ["1"]
    params: list[Any] = []
    if flt.department_id is not None:
        where.append("department_id = ?")
        params.append(flt.department_id)
    if flt.entity is not None:
        where.append("entity = ?")
        params.append(flt.entity)
    if flt.run_id is not None:
        where.append("run_id = ?")
        params.append(flt.run_id)
    if levels_inline and flt.min_level is not None:
        where.append("level >= ?")
        params.append(int(flt.min_level))
    return where, params


def _page_sql(flt: LogFilter, *, before_id: int | None, limit: int) -> tuple[str, list[Any]]:
    if flt.text:
        # Driven by the full-text index, which walks matches newest first and stops at `limit`.
        where, params = _where(flt, levels_inline=True)
        where = [f"e.{w}" if w != "1" else w for w in where]
        fts_where = "events_fts MATCH ?"
        fts_params: list[Any] = [flt.text]
        if before_id is not None:
            fts_where += " AND f.rowid < ?"
            fts_params.append(before_id)
        cols = ", ".join(f"e.{c.strip()}" for c in _COLUMNS.split(","))
        sql = (
            f"SELECT {cols} FROM events_fts f JOIN events e ON e.id = f.rowid "
            f"WHERE {fts_where} AND {' AND '.join(where)} ORDER BY f.rowid DESC LIMIT ?"
        )
        return sql, [*fts_params, *params, limit]

    where, params = _where(flt, levels_inline=False)
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    if flt.min_level is None and flt.department_id is None:
        sql = f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
        return sql, [*params, limit]
    # "Level X or worse" (or a department's every level): one index range per level
    # (department, level, id), merged. A single range would make SQLite sort every match.
    parts, all_params = [], []
    lowest = flt.min_level if flt.min_level is not None else min(Level)
    for level in (lv for lv in Level if lv >= lowest):
        parts.append(
            f"SELECT * FROM (SELECT {_COLUMNS} FROM events WHERE {' AND '.join(where)} "
            "AND level = ? ORDER BY id DESC LIMIT ?)"
        )
        all_params += [*params, int(level), limit]
    sql = f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY id DESC LIMIT ?"
    return sql, [*all_params, limit]


def _template_sql(flt: LogFilter, *, before_id: int | None, limit: int) -> tuple[str, list[Any]]:
    """The newest `limit` events of one template (its key the first parameter, given by the
    caller) that pass the filter's other conditions: a walk of the template index
    (template_key, id) backwards. One statement run once per template: the same text each
    time, so SQLite prepares it once (a UNION ALL of hundreds of templates took longer to
    prepare than to run)."""
    where, params = _where(flt, levels_inline=True)
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    sql = (
        f"SELECT {_COLUMNS} FROM events INDEXED BY idx_events_template "
        f"WHERE template_key = ? AND {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
    )
    return sql, [*params, limit]


def prune_oldest(
    store: Store, table: str, ts_column: str, before: str, *, batch: int = 500, max_rows: int = 5000
) -> int:
    """Deletes `table`'s rows older than `before`, oldest first, `batch` rows per short write
    transaction and at most `max_rows` per call: called once per round, it keeps up with any
    log's growth without ever holding the write lock for long (and without VACUUM). Rows are
    taken in id order, which is time order, so each batch reads only the table's first rows."""
    removed = 0
    while removed < max_rows:
        take = min(batch, max_rows - removed)
        with store.write():
            cur = store.conn.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM (SELECT id, {ts_column} "
                f"FROM {table} ORDER BY id LIMIT ?) WHERE {ts_column} < ?)",
                [take, before],
            )
        removed += cur.rowcount
        if cur.rowcount < take:  # the oldest rows left are within the retention
            break
    return removed


def prune_events(store: Store, keep_days: int, **kw: int) -> int:
    """The events older than `keep_days` (the audit trail is another table, kept for ever)."""
    return prune_oldest(store, "events", "ts", days_ago(keep_days), **kw)


def days_ago(days: int) -> str:
    """A store timestamp `days` ago (timestamps sort as text)."""
    from datetime import UTC, datetime, timedelta

    then = datetime.now(UTC) - timedelta(days=days)
    return then.isoformat(timespec="milliseconds").replace("+00:00", "Z")
