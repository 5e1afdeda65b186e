"""Transfers as a person asks about them ("did Tuesday's Z-report arrive?"): each ledger row
with its business date, Z number and register, amount, state, Visma's number and status and
age; one document as it was sent to Visma (or as it will be), with Visma's answers. Read only:
the console (core/api.py) and `duvi transfers` call the same functions."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from core.accounting import JournalRefused, build_journal, held_for_mapping, rate_text
from core.departments import Departments
from core.errors import DataError
from core.httplog import split_response
from core.i18n import N_, _
from core.ledger import UNREADABLE_REMEDY, Ledger, LedgerRow, State
from core.ledger_facts import (
    FACT_FIELDS,
    FACT_LISTS,
    Facts,
    document_facts,
    extracted_payload,
)
from core.models import InvoiceBasis, ZReport
from core.money import money_json
from core.readmodels import (
    UNREADABLE,
    DocumentLine,
    TransferDocument,
    TransferRow,
    VismaAnswer,
)
from core.readmodels import transfer_row as new_transfer_row
from core.reasons import (
    DEPARTMENT_GONE,
    HELD_LACKS,
    HELD_NO_PERIOD,
    HELD_ON_ACCOUNT,
    HELD_PERIOD_CLOSED,
    LACKS_ACCOUNT,
    LACKS_VAT_ID,
    STOCK_UNREADABLE,
    ZREPORT_UNREADABLE,
)
from core.store import Store

# core.transfers (the engine's package: its clients, httpx) is imported where a held document
# or one document's view needs it, not by every list: `duvi transfers --json` starts faster.
from core.visma import wire

_SHOWN = {
    State.PENDING: "pending",
    State.SENT: "sent",
    State.CONFIRMED: "confirmed",
    State.RELEASED: "released",
    State.FAILED: "refused",
}
# Where each kind is created in Visma (the logged path ends so): its request is "as sent".
_CREATED_AT = {
    "zreport": "/v2/journaltransaction",
    "invoice": "/v2/customerinvoice",
    "stock": "/v1/inventoryissue",
}
_HELD_VAT = re.compile(r"map VAT rate (\S+) %")
_HELD_ACCOUNT = re.compile(r"no account is mapped for (\S+)")
_HELD_PERIOD = re.compile(r"financial period (\S+) \(")


def shown_state(state: str, last_error: str | None) -> str:
    """The ledger's state in a person's words: a document held for a missing mapping is
    "held" (each run checks it again), as is one whose period is closed or whose sales on
    account wait for the day's invoice bases; one held for anything else needs "attention",
    and one Visma refused is "refused"."""
    if state == State.ATTENTION:
        from core.transfers.on_account import held_for_on_account
        from core.transfers.periods import held_for_period

        held = (
            held_for_mapping(last_error)
            or held_for_period(last_error)
            or held_for_on_account(last_error)
        )
        return "held" if held else "attention"
    return _SHOWN.get(State(state), str(state))


def visma_status(kind: str, state: str) -> str:
    """Visma's word for a document as duvi's own actions left it (inferred: the list does not
    ask Visma row by row; a release reads Visma's record first). Journals and invoices are
    sent on hold; a release makes a batch Posted and an invoice Open (core/sandbox, after
    Visma's docs); a stock issue counts, and is confirmed, only once Released. "?" for one in
    doubt: looked up in Visma before anything is sent again."""
    if state == State.CONFIRMED:
        return "Released" if kind == "stock" else "Hold"
    if state == State.RELEASED:
        return "Posted" if kind == "zreport" else "Open"
    return "?" if state == State.SENT else ""


def reason_of(state: str, last_error: str | None) -> str:
    """Why a document waits and what to do, in full; for a held one, what it lacks first."""
    if not last_error or state not in (State.ATTENTION, State.FAILED, State.SENT):
        return ""
    if state != State.ATTENTION:
        return last_error
    from core.transfers.on_account import held_for_on_account
    from core.transfers.periods import held_for_period

    # Stored words (JSON keeps them), each line a sentence core/reasons.py registers: a
    # person reads them through reason_text, in the language.
    if held_for_mapping(last_error):
        lacks = [LACKS_VAT_ID.format(rate=r) for r in _HELD_VAT.findall(last_error)]
        lacks += [LACKS_ACCOUNT.format(name=a) for a in _HELD_ACCOUNT.findall(last_error)]
        return f"{HELD_LACKS.format(problems='; '.join(lacks))}\n{last_error}"
    if held_for_period(last_error):
        closed = _HELD_PERIOD.search(last_error)
        why = HELD_PERIOD_CLOSED.format(period=closed[1]) if closed else HELD_NO_PERIOD
        return f"{why}\n{last_error}"
    if held_for_on_account(last_error):
        return f"{HELD_ON_ACCOUNT}\n{last_error}"
    return last_error


def _when(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts) if ts else None


def _row(
    key: str,
    department_id: str,
    kind: str,
    state: str,
    visma_number: str | None,
    last_error: str | None,
    created_at: str | None,
    updated_at: str | None,
    facts: Facts,
) -> TransferRow:
    day, z, register, amount = facts
    shown, error, status, reason, confirmable = _judged(kind, state, last_error)
    return new_transfer_row(
        key,
        kind,
        shown,
        visma_number or "",
        error,
        day,
        z,
        register,
        amount,
        status,
        _when(created_at),
        _when(updated_at),
        reason,
        department_id,
        confirmable,
    )


@lru_cache(maxsize=1024)
def _judged(kind: str, state: str, last_error: str | None) -> tuple[str, str, str, str, bool]:
    """What a row's kind, state and last error show (the same for most of a list's rows:
    worked out once)."""
    held = state == State.ATTENTION
    if held:  # core.transfers (the engine) only for a held row
        from core.transfers.foreign import held_for_foreign

        held = held_for_foreign(last_error)
    return (
        shown_state(state, last_error),
        last_error.splitlines()[0] if last_error else "",
        visma_status(kind, state),
        reason_of(state, last_error),
        held,
    )


def transfer_row(row: LedgerRow) -> TransferRow:
    return _row(
        row.key,
        row.department_id,
        row.kind,
        row.state,
        row.visma_number,
        row.last_error,
        row.created_at,
        row.updated_at,
        document_facts(row.kind, row.payload),
    )


# What the list shows, from the ledger's own columns (migration 14: worked out when the payload
# was recorded, core/ledger_facts.py); no payload is read.
_COLUMNS = (
    "SELECT key, department_id, kind, state, visma_number, last_error, created_at, updated_at, "
    "day, z_number, register, amount FROM ledger WHERE 1"
)
# A row whose facts are not in its columns (`register` NULL: written or changed by something
# other than the ledger) has them read out of its payload, only what the list shows (SQLite's
# JSON functions: a Z-report's payload carries every item sold, which the list never needs).
_LIST = (
    "SELECT key, kind, "
    "json_extract(p, '$.business_date') AS business_date, "
    "json_extract(p, '$.date') AS date, "
    "json_extract(p, '$.z_number') AS z_number, "
    "json_extract(p, '$.register_id') AS register_id, "
    "json_extract(p, '$.gift_cards_sold') AS gift_cards_sold, "
    "json_extract(p, '$.tips') AS tips, "
    "json_extract(p, '$.pant_refunded') AS pant_refunded, "
    "json_extract(p, '$.sales') AS sales, "
    "json_extract(p, '$.pant_sold') AS pant_sold, "
    "CASE WHEN kind = 'invoice' THEN json_extract(p, '$.lines') END AS lines "
    # A payload that is not JSON (never written so) is listed without its facts, not hidden.
    "FROM (SELECT *, CASE WHEN json_valid(payload) THEN payload ELSE '{}' END AS p "
    "FROM ledger) WHERE register IS NULL"
)


def _from_payload(store: Store, department_id: str | None) -> dict[str, Facts]:
    """The facts of the rows that do not have them in their columns, read from payloads."""
    sql, params = _LIST, list[str]()
    if department_id is not None:
        sql += " AND department_id = ?"
        params.append(department_id)
    out = {}
    for r in store.query(sql, params):
        fields = [r[k] for k in FACT_FIELDS] + [r[k] for k in FACT_LISTS]
        out[r["key"]] = document_facts(r["kind"], extracted_payload(fields))
    return out


def transfer_rows(
    store: Store, department_id: str | None = None, *, day: date | None = None
) -> list[TransferRow]:
    """Every document of a department (or of all), as the list shows it, oldest first;
    `day`: only those of that business day."""
    sql, params = _COLUMNS, list[str]()
    if department_id is not None:
        sql += " AND department_id = ?"
        params.append(department_id)
    if day is not None:
        sql += " AND (day = ? OR register IS NULL)"
        params.append(day.isoformat())
    # Rows the ledger cannot read (an unknown state, a payload that is not an object…) are
    # listed as such with what is wrong, so a person sees them; the engine never sends them.
    bad = {b.key: b.problem for b in Ledger(store).unreadable(department_id)}
    # tuples, not a dict per row (the columns in _COLUMNS' order)
    rows = store.tuples(sql + " ORDER BY created_at, key", params)
    stale = _from_payload(store, department_id) if any(r[10] is None for r in rows) else {}
    out = []
    judged, when, on_day, dec = _judged, datetime.fromisoformat, date.fromisoformat, Decimal
    for key, dept, kind, state, number, error, created, updated, day_, z, reg, amount in rows:
        if key in bad:
            if day is None:
                out.append(
                    TransferRow(
                        key,
                        kind,
                        UNREADABLE,
                        number or "",
                        bad[key],
                        reason=f"{bad[key]}: {UNREADABLE_REMEDY.format(key=key)}",
                        department_id=dept,
                        created_at=_when(created),
                        changed_at=_when(updated),
                    )
                )
            continue
        if reg is None:
            bd, z, reg, amt = stale.get(key) or (None, None, "", None)
        else:
            bd = on_day(day_) if day_ else None
            amt = None if amount is None else dec(amount)
        if day is not None and bd != day:
            continue
        # _row's, written out: a function call less for each of thousands of rows
        shown, err, status, reason, confirmable = judged(kind, state, error)
        out.append(
            new_transfer_row(
                key,
                kind,
                shown,
                number or "",
                err,
                bd,
                z,
                reg,
                amt,
                status,
                when(created) if created else None,
                when(updated) if updated else None,
                reason,
                dept,
                confirmable,
            )
        )
    return out


# The list's first order (readmodels.sort_transfers by "date": newest business date first, then
# Z number, then key), in SQL, so that a page of it is read without the department's other rows.
_NEWEST_FIRST = "coalesce(day, '') DESC, coalesce(z_number, 0) DESC, key DESC"


def transfer_page(
    store: Store, department_id: str, limit: int
) -> tuple[list[TransferRow], int] | None:
    """The department's first `limit` documents in the list's first order (newest business
    date first), as transfer_rows makes them, and how many it has: what the console shows
    on opening a department, read from idx_ledger_list without a row object for the others.
    None when a row is not as the ledger writes it (one of the page unreadable, or any with
    its facts only in its payload): its place in the order is then known only once every row
    is read. (An unreadable row outside the page is listed last, having no date: the page is
    the same.)"""
    exists = (
        "SELECT EXISTS (SELECT 1 FROM ledger WHERE department_id = ? AND register IS NULL), "
        "(SELECT count(*) FROM ledger WHERE department_id = ?)"
    )
    ((stale, total),) = store.tuples(exists, [department_id, department_id])
    if stale:
        return None
    rows = store.tuples(
        f"{_COLUMNS} AND department_id = ? ORDER BY {_NEWEST_FIRST} LIMIT ?",
        [department_id, limit],
    )
    if rows and Ledger(store).unreadable(department_id, [r[0] for r in rows]):
        return None
    out = [
        _row(
            key,
            dept,
            kind,
            state,
            number,
            error,
            created,
            updated,
            (
                date.fromisoformat(day) if day else None,
                z,
                reg,
                None if amount is None else Decimal(amount),
            ),
        )
        for key, dept, kind, state, number, error, created, updated, day, z, reg, amount in rows
    ]
    return out, total


# -- the list as JSON, written by SQLite ------------------------------------------------------

# A stamp of the store's shape (core.store.utcnow: UTC, milliseconds, "Z"; or without its
# milliseconds): datetime.fromisoformat(stamp).isoformat() is then worked out in SQL. The
# shape only (GLOB's "?" is cheap; its character classes are not): a stamp with letters for
# digits was never written by the store, and the slow way cannot read it either.
_STAMP = "????-??-??T??:??:??"


_KINDS_WRITTEN = ("zreport", "invoice", "stock")  # as JSON text without a call per row
# What SQLite writes where a column holds what the ledger never writes (a date or stamp of
# another shape, a Z number that is not whole, facts only in the payload, an amount that is not
# a number): a control character, which JSON text never holds as such (json_quote and Python's
# json escape every one), so a list that has one is made the slow way.
_ODD = "\x01"


def _iso_json(col: str) -> str:
    """`datetime.fromisoformat(col).isoformat()` as a JSON string (null for none): one printf
    for a stamp of the store's shapes, _ODD for another."""
    return (
        f"CASE WHEN {col} GLOB '{_STAMP}.000Z' THEN printf('\"%!.19s+00:00\"', {col}) "
        f"WHEN {col} GLOB '{_STAMP}.???Z' THEN printf('\"%!.23s000+00:00\"', {col}) "
        f"WHEN {col} GLOB '{_STAMP}Z' THEN printf('\"%!.19s+00:00\"', {col}) "
        f"WHEN {col} IS NULL OR {col} = '' THEN 'null' ELSE '{_ODD}' END"
    )


# Seconds since the last change (age_text's): now and the stamp in whole microseconds.
_AGE_S = (
    "max(0, (:now - (strftime('%s', updated_at) * 1000000 "
    "+ CASE WHEN length(updated_at) = 24 THEN substr(updated_at, 21, 3) * 1000 ELSE 0 END)) "
    "/ 1000000)"
)
# An amount as exact decimal text with two decimals, as f"{Decimal(amount):.2f}" writes it: the
# text printf writes for it is the text itself (printf's binary double only decides that it is
# plain; what is written is the stored text); any other is formatted by Python.
_PLAIN_AMOUNT = "printf('%.2f', amount) = amount"
# Each row of row_json's dict as flat_json writes it: one printf per row (one growing buffer,
# each part copied once, where a chain of || copies the row's text so far at each step), the
# parts Python judges from its kind, state and last error (state; Visma's status; error and
# reason) by _judged_sql.
_JSON_FORMAT = "  {\n" + ",\n".join(
    f'    "{name}": %s'
    for name in (
        "key",
        "department_id",
        "kind",
        "business_date",
        "z_number",
        "register",
        "amount",
        "state",
        "visma_number",
        "visma_status",
        "created_at",
        "changed_at",
        "age",
        "error",
    )
)
_JSON_PARTS = (
    "json_quote(key)",
    "{department}",
    "CASE kind "
    + " ".join(f"WHEN '{k}' THEN '\"{k}\"'" for k in _KINDS_WRITTEN)
    + " ELSE json_quote(kind) END",
    "CASE WHEN day GLOB '????-??-??' THEN printf('\"%s\"', day) "
    f"WHEN day IS NULL OR day = '' THEN 'null' ELSE '{_ODD}' END",
    "CASE typeof(z_number) WHEN 'integer' THEN z_number WHEN 'null' THEN 'null' "
    f"WHEN 'text' THEN json_quote(z_number) ELSE '{_ODD}' END",
    f"CASE WHEN register IS NULL THEN '{_ODD}' WHEN register = '' THEN 'null' "
    "ELSE json_quote(register) END",
    f"CASE WHEN amount IS NULL THEN 'null' WHEN {_PLAIN_AMOUNT} THEN printf('\"%s\"', amount) "
    f"ELSE coalesce(duvi_money_json(amount), '{_ODD}') END",
    "{judged0}",
    "CASE WHEN visma_number IS NULL OR visma_number = '' THEN 'null' "
    "ELSE json_quote(visma_number) END",
    "{judged1}",
    _iso_json("created_at"),
    _iso_json("updated_at"),
    "CASE WHEN updated_at IS NULL OR updated_at = '' THEN '\"\"' "
    "WHEN s >= 86400 THEN printf('\"%d d\"', s / 86400) "
    "WHEN s >= 3600 THEN printf('\"%d h\"', s / 3600) "
    "WHEN s >= 60 THEN printf('\"%d min\"', s / 60) ELSE printf('\"%d s\"', s) END",
    "{judged2}",
)
# What Python judges from a row's kind, state and last error (_judged), as JSON text: 0 the
# shown state, 1 Visma's status, 2 the error and the reason to the row's end. A row without an
# error has it from a CASE written out here for every kind and state (no call per row); one
# with an error (a few) from duvi_judged, which calls _judged.
_KINDS = tuple(_CREATED_AT)


def _judged_json(kind: str, state: str, last_error: str | None) -> tuple[str, str, str]:
    shown, error, status, reason, _c = _judged(kind, state, last_error)
    return (
        _text_json(shown),
        _text_json(status),
        f'{_text_json(error)},\n    "reason": {_text_json(reason)}\n  }}',
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@lru_cache(maxsize=3)
def _judged_sql(part: int) -> str:
    """Part `part` of _judged_json of a row, in SQL (held rows, whose judging needs the
    engine's package, and rows of another kind by duvi_judged too)."""
    kinds = " ".join(
        f"WHEN {_sql_text(kind)} THEN CASE state "
        + " ".join(
            f"WHEN {_sql_text(state)} THEN {_sql_text(_judged_json(kind, state, None)[part])}"
            for state in State
            if state != State.ATTENTION
        )
        + " END"
        for kind in _KINDS
    )
    return (
        f"coalesce(CASE WHEN last_error IS NULL THEN CASE kind {kinds} END END, "
        f"duvi_judged(kind, state, last_error, {part}))"
    )


def _duvi_judged(kind: str, state: str, last_error: str | None, part: int) -> str:
    return _judged_json(kind, state, last_error)[part]


@lru_cache(maxsize=2)
def _json_rows(one_department: bool) -> str:
    """Each row as flat_json writes it (_ODD in it where a column holds what the ledger never
    writes: the caller then makes the list the slow way), read from idx_ledger_list; {where}:
    its filters. One department's JSON text is a parameter (:dept_json), not a call per row."""
    parts = ", ".join(_JSON_PARTS).format(
        department=":dept_json" if one_department else "json_quote(department_id)",
        judged0=_judged_sql(0),
        judged1=_judged_sql(1),
        judged2=_judged_sql(2),
    )
    return (
        f"SELECT printf({_sql_text(_JSON_FORMAT)}, {parts}) FROM ("
        "SELECT key, department_id, kind, state, visma_number, last_error, created_at, "
        f"updated_at, day, z_number, register, amount, {_AGE_S} AS s FROM ledger WHERE 1"
        "{where}) "
        "ORDER BY coalesce(day, ''), coalesce(z_number, 0), key"
    )


def _money_json(amount: str) -> str | None:
    try:
        return f'"{Decimal(amount):.2f}"'
    except ArithmeticError:  # not a number: the list is made the slow way
        return None


def _text_json(value: str) -> str:
    return "null" if not value else json.encoder.encode_basestring(value)


def transfers_json(
    store: Store,
    department_id: str | None,
    now: datetime,
    *,
    states: frozenset[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> str | None:
    """`duvi transfers --json`: the rows of transfer_rows, filtered as filter_transfers and
    ordered as the command orders them (business date, Z number, key), written as
    `json.dumps([row_json(r, now) …], indent=2, ensure_ascii=False)` writes them, byte for
    byte, most of it by SQLite from the list's covering index (no row object per document).
    None when a row is not as the ledger writes it (an unreadable row, facts to be read from
    its payload, a stamp from elsewhere): the caller makes the list the slow way."""
    if Ledger(store).unreadable(department_id):
        return None
    sql = ""
    params: dict[str, Any] = {"now": (now - _EPOCH) // _MICROSECOND}
    if department_id is not None:
        sql += " AND department_id = :dept"
        params["dept"] = department_id
        params["dept_json"] = _text_json(department_id) if department_id else '""'
    if since is not None or until is not None:
        sql += " AND coalesce(day, '') <> ''"  # a row whose date is unknown is left out
    if since is not None:
        sql += " AND day >= :since"
        params["since"] = since.isoformat()
    if until is not None:
        sql += " AND day <= :until"
        params["until"] = until.isoformat()
    if states is not None:
        sql += f" AND {_judged_sql(0)} IN ({', '.join(_sql_text(_text_json(s)) for s in states)})"
    store.conn.create_function("duvi_money_json", 1, _money_json, deterministic=True)
    store.conn.create_function("duvi_judged", 4, _duvi_judged, deterministic=True)
    rows = store.tuples(_json_rows(department_id is not None).replace("{where}", sql), params)
    if not rows:
        return "[]"
    text = "[\n" + ",\n".join([r[0] for r in rows]) + "\n]"
    return None if _ODD in text else text


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


# -- one document ----------------------------------------------------------------------------


def exchanges(store: Store, key: str, limit: int = 50) -> list[dict[str, Any]]:
    """The logged calls made for one document (its HTTP-log subject), oldest first."""
    calls = store.query(
        "SELECT * FROM http_calls WHERE subject = ? ORDER BY id DESC LIMIT ?", [key, limit]
    )
    return calls[::-1]


def transfer_document(store: Store, departments: Departments, key: str) -> TransferDocument:
    """The document as it was sent (the request the HTTP log kept), or as it will be sent
    (built now from the DUELL document and today's mapping), with Visma's answers."""
    from core.transfers.stock import issue_write, left_out

    row = Ledger(store).get(key)
    if row is None:
        raise DataError(
            _("there is no transfer {key}").format(key=repr(key)),
            _("list them with `duvi transfers`"),
        )
    calls = exchanges(store, key)
    answers = tuple(_answer(c) for c in calls)
    created = [
        c
        for c in calls
        if c["method"] == "POST" and c["path"].endswith(_CREATED_AT.get(row.kind, "?"))
    ]
    went = row.state in (State.SENT, State.CONFIRMED, State.RELEASED, State.FAILED)
    if went and created and created[-1]["request"]:
        try:
            sent = _unwrap(created[-1]["request"])
        except ValueError:  # clipped by the log's body limit: built again below
            sent = None
        if sent is not None:
            header, lines = _read_write(row.kind, sent)
            return _document(row, f"as sent {created[-1]['ts']}", header, lines, (), None, answers)
    # English (JSON keeps it so); readmodels.source_text says it in the current language
    source = (
        N_("as it will be sent")
        if not went
        else N_(
            "rebuilt from the DUELL document with today's mapping (the request sent is no "
            "longer in the HTTP log)"
        )
    )
    problem = reason_of(row.state, row.last_error) or None
    if row.kind == "zreport":
        return _zreport(row, departments, source, problem, answers, Ledger(store))
    if row.kind == "invoice":
        header, lines = _invoice(row, departments)
        return _document(row, source, header, lines, (), problem, answers)

    try:
        dept = departments.get(row.department_id)
        settings = dept.settings if dept else None
        write = issue_write(
            row.key,
            row.payload["date"],
            row.payload["items"],
            settings.warehouse if settings else None,
            settings.branch_number if settings and settings.several_clients else None,
            left_out(Ledger(store), row.key),
        )
    except (KeyError, ValueError, TypeError) as exc:
        return _document(row, source, (), (), (), STOCK_UNREADABLE.format(error=exc), answers)
    header, lines = _read_write(row.kind, wire.unwrap(wire.body(write)))
    return _document(row, source, header, lines, (), problem, answers)


def _document(
    row: LedgerRow,
    source: str,
    header: list[tuple[str, str]] | tuple[()],
    lines: list[DocumentLine] | tuple[()],
    flags: list[str] | tuple[()],
    problem: str | None,
    answers: tuple[VismaAnswer, ...],
) -> TransferDocument:
    journal = row.kind == "zreport" and bool(lines)
    return TransferDocument(
        row=transfer_row(row),
        source=source,
        header=tuple(header),
        lines=tuple(lines),
        debit=sum((ln.debit or Decimal(0) for ln in lines), Decimal(0)) if journal else None,
        credit=sum((ln.credit or Decimal(0) for ln in lines), Decimal(0)) if journal else None,
        flags=tuple(flags),
        problem=problem,
        answers=answers,
    )


def _answer(call: dict[str, Any]) -> VismaAnswer:
    location, body = split_response(call.get("response"))
    return VismaAnswer(
        call["ts"],
        call["method"],
        call["path"],
        str(call["status"] or call["error"] or "no answer"),
        location,
        body,
    )


def _unwrap(request: str) -> dict[str, Any]:

    body = json.loads(request, parse_float=Decimal)
    if not isinstance(body, dict):
        raise ValueError("not a write body")
    plain = wire.unwrap(body)
    assert isinstance(plain, dict)
    return plain


def _amount(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _read_write(
    kind: str, body: dict[str, Any]
) -> tuple[list[tuple[str, str]], list[DocumentLine]]:
    """A Visma write body (plain fields, camelCase) as a header and lines."""
    labels: dict[str, list[tuple[str, str]]] = {
        "zreport": [
            ("transactionDate", N_("Date")),
            ("financialPeriod", N_("Period")),
            ("description", N_("Description")),
            ("branch", N_("Branch")),
            ("hold", N_("On hold")),
            ("createVatTransaction", N_("VAT transactions")),
            ("skipVatAmountValidation", N_("Skip VAT check")),
        ],
        "invoice": [
            ("customerNumber", N_("Customer")),
            ("documentDate", N_("Date")),
            ("externalReference", N_("External reference")),
            ("invoiceText", N_("Text")),
            ("branchNumber", N_("Branch")),
            ("hold", N_("On hold")),
        ],
        "stock": [
            ("date", N_("Date")),
            ("externalReference", N_("External reference")),
            ("description", N_("Description")),
            ("hold", N_("On hold")),
        ],
    }
    header = [(label, _text(body[k])) for k, label in labels[kind] if body.get(k) is not None]
    lines: list[DocumentLine] = []
    if kind == "zreport":
        for ln in body.get("journalTransactionLines") or []:
            lines.append(
                DocumentLine(
                    text=_text(ln.get("transactionDescription")),
                    account=_text(ln.get("accountNumber")),
                    subaccount=_segments(ln.get("subaccount")),
                    debit=_amount(ln.get("debitAmountInCurrency")),
                    credit=_amount(ln.get("creditAmountInCurrency")),
                    # the VAT id on a VAT line; a base's VAT category marked as one
                    vat=_text(ln["vatId"])
                    if ln.get("vatId") is not None
                    else (f"cat. {ln['vatCodeId']}" if ln.get("vatCodeId") is not None else ""),
                )
            )
    elif kind == "invoice":
        for ln in body.get("invoiceLines") or []:
            lines.append(
                DocumentLine(
                    text=_text(ln.get("description")),
                    account=_text(ln.get("accountNumber")),
                    subaccount=_segments(ln.get("subaccount")),
                    item=_text(ln.get("inventoryNumber")),
                    quantity=_amount(ln.get("quantity")),
                    unit_price=_amount(ln.get("unitPriceInCurrency")),
                    discount_percent=_amount(ln.get("discountPercent")),
                    vat=_text(ln.get("vatCodeId")),
                )
            )
    else:
        for ln in body.get("issueLines") or []:
            lines.append(
                DocumentLine(
                    text=_text(ln.get("tranType")),
                    item=_text(ln.get("inventoryNumber")),
                    quantity=_amount(ln.get("quantity")),
                    warehouse=_text(ln.get("warehouseId")),
                )
            )
    return header, lines


def _segments(value: Any) -> str:
    """Subaccount segments as a subaccount number: the values as sent (duvi sends them in
    segment order) joined by "-", e.g. "01-000" (the separator is inferred: a company may
    define its own)."""
    if not isinstance(value, list):
        return ""
    return "-".join(str(s.get("segmentValue")) for s in value)


def _zreport(
    row: LedgerRow,
    departments: Departments,
    source: str,
    problem: str | None,
    answers: tuple[VismaAnswer, ...],
    ledger: Ledger,
) -> TransferDocument:

    from core.transfers.on_account import booked_zreport
    from core.transfers.zreports import journal_write

    dept = departments.get(row.department_id)
    try:
        z = ZReport.model_validate(row.payload)
    except ValueError as exc:
        return _document(row, source, (), (), (), ZREPORT_UNREADABLE.format(error=exc), answers)
    facts = [
        (N_("Business date"), z.business_date.isoformat()),
        (N_("Z number"), str(z.z_number)),
        (N_("Register"), z.register_id),
        (N_("Taken"), f"{z.closed_at:%Y-%m-%d %H:%M}"),
    ]
    if dept is None:
        return _document(
            row,
            source,
            facts,
            (),
            (),
            DEPARTMENT_GONE.format(dept=row.department_id),
            answers,
        )
    vat_ids = {
        r: m.visma_vat_id for r, m in departments.vat_mappings(dept.id).items() if m.visma_vat_id
    }
    try:
        # Its sales on account left to the day's invoices, as the transfer builds it.
        booked, _ = booked_zreport(ledger, dept.settings, row.key, z)
        j = build_journal(
            booked,
            departments.account_map(dept.id),
            vat_ids,
            dept.settings,
            saft_codes=departments.saft_codes(dept.id),
        )
    except JournalRefused as exc:
        # What DUELL settled, so the person sees the document the mapping holds back.
        # Decimal strings, as JSON keeps amounts; said with the currency where a person reads
        # them (readmodels.header_value)
        sales = [(f"Sales {rate_text(s.rate)} %", money_json(s.gross)) for s in z.sales if s.gross]
        paid = [(f"Paid {p.type}", money_json(p.amount)) for p in z.payments if p.amount]
        return _document(row, source, facts + sales + paid, (), (), problem or str(exc), answers)
    header, lines = _read_write("zreport", wire.unwrap(wire.body(journal_write(j))))
    # The period is Visma's for the date, read when the journal is sent (transfers/periods.py):
    # the calendar month would be wrong in a financial year that starts in another month.
    header = [
        (k, f"Visma's for {z.business_date.isoformat()} (read when sent)" if k == "Period" else v)
        for k, v in header
    ]
    return _document(row, source, facts[:3] + header, lines, j.flags, problem, answers)


def _invoice(
    row: LedgerRow, departments: Departments
) -> tuple[list[tuple[str, str]], list[DocumentLine]]:
    """An invoice basis as duvi will send it: the customer is matched (or created) in Visma
    only when it is sent, and each line's VAT code comes from the rate's mapped VAT id."""

    try:
        inv = InvoiceBasis.model_validate(row.payload)
    except ValueError as exc:
        return [(N_("Problem"), f"the invoice basis cannot be read: {exc}")], []
    vat_ids = {
        r: m.visma_vat_id
        for r, m in departments.vat_mappings(row.department_id).items()
        if m.visma_vat_id
    }
    c = inv.customer
    header = [
        (N_("Customer"), f"{c.name} (DUELL {c.customer_id}; matched in Visma when sent)"),
        ("Org. number", c.org_no or ""),
        (N_("Date"), inv.date.isoformat()),
        (N_("External reference"), row.key),
        (N_("Text"), (inv.reference or f"Fakturagrunnlag {inv.invoice_id}")[:255]),
        (N_("On hold"), "True"),
    ]
    lines = [
        DocumentLine(
            text=ln.description[:255],
            item=ln.product_number,
            quantity=ln.quantity,
            unit_price=ln.unit_price_ex_vat,
            discount_percent=ln.discount_percent or None,
            vat=vat_ids.get(ln.vat_rate) or f"{rate_text(ln.vat_rate)} % unmapped",
        )
        for ln in inv.lines
    ]
    return [(k, v) for k, v in header if v], lines
