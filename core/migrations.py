"""The store's schema, as an ordered list of migrations.

`PRAGMA user_version` holds how many have been applied. A migration is never edited once
released: change the schema by appending one. Each runs in its own write transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.table("departments").create(
        {
            "id": str,  # DUELL department id, as text
            "name": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"name"},
    )
    db.table("department_settings").create(
        {"department_id": str, "settings": str, "updated_at": str},
        pk="department_id",
        foreign_keys=[("department_id", "departments", "id")],
        not_null={"settings"},
    )
    db.table("vat_mappings").create(
        {
            "department_id": str,
            "duell_rate": str,  # Decimal as text, e.g. "25" or "11.11"
            "visma_vat_id": str,
            "saft_code": str,
            "updated_at": str,
        },
        pk=("department_id", "duell_rate"),
        foreign_keys=[("department_id", "departments", "id")],
    )
    db.table("account_maps").create(
        {
            "department_id": str,
            "key": str,  # e.g. "payment:cash", "revenue:25", "rounding"
            "account": str,
            "subaccount": str,
            "updated_at": str,
        },
        pk=("department_id", "key"),
        foreign_keys=[("department_id", "departments", "id")],
    )
    db.table("sync_runs").create(
        {
            "id": int,
            "department_id": str,
            "entity": str,
            "trigger": str,  # manual / schedule / webhook / cli
            "state": str,  # running / ok / failed / cancelled
            "started_at": str,
            "finished_at": str,
            "counts": str,  # JSON
            "error": str,
        },
        pk="id",
    )
    db.table("sync_runs").create_index(["department_id", "entity", "id"])
    db.table("events").create(
        {
            "id": int,
            "ts": str,
            "level": int,
            "department_id": str,
            "entity": str,
            "run_id": int,
            "message": str,
            "data": str,  # JSON, optional
        },
        pk="id",
        not_null={"ts", "level", "message"},
    )
    # Keyset reads: every filter combination the log screen offers walks one of these
    # backwards by id (see core/eventlog.py for how the level filter uses them).
    db.table("events").create_index(["department_id", "level", "id"])
    db.table("events").create_index(["level", "id"])
    db.table("events").create_index(["run_id", "id"])
    db.table("events").enable_fts(["message"], fts_version="FTS5", create_triggers=True)
    db.table("http_calls").create(
        {
            "id": int,
            "ts": str,
            "system": str,  # visma / connect / duell
            "department_id": str,
            "run_id": int,
            "method": str,
            "path": str,
            "status": int,
            "duration_ms": float,
            "bytes_out": int,
            "bytes_in": int,
            "visma_id": str,
            "trace_id": str,
            "error": str,
            "request": str,  # redacted
            "response": str,  # redacted, truncated
        },
        pk="id",
    )
    db.table("http_calls").create_index(["department_id", "id"])
    db.table("ledger").create(
        {
            "key": str,  # DUELL-Z-<dept>-<z>, DUELL-INV-<dept>-<id>, DUELL-STOCK-<dept>-<date>
            "department_id": str,
            "kind": str,  # zreport / invoice / stock
            "source_id": str,
            "state": str,  # pending / sent / confirmed / failed / attention
            "visma_number": str,
            "attempts": int,
            "payload": str,  # JSON of what was (or will be) sent
            "last_error": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="key",
        not_null={"department_id", "kind", "state"},
    )
    db.table("ledger").create_index(["department_id", "state"])
    db.table("entity_links").create(
        {
            "department_id": str,
            "entity": str,  # product / customer
            "duell_id": str,
            "visma_id": str,
            "content_hash": str,
            "updated_at": str,
        },
        pk=("department_id", "entity", "duell_id"),
    )
    db.table("entity_links").create_index(["department_id", "entity", "visma_id"], unique=True)
    db.table("sync_cursors").create(
        {"department_id": str, "entity": str, "cursor": str, "updated_at": str},
        pk=("department_id", "entity"),
    )
    db.table("conflicts").create(
        {
            "id": int,
            "department_id": str,
            "entity": str,
            "source": str,  # which system the incoming record came from
            "incoming_id": str,
            "incoming": str,  # JSON
            "candidates": str,  # JSON list
            "match_key": str,  # orgnr / phone / email / sku
            "state": str,  # open / resolved / ignored
            "resolution": str,  # JSON
            "created_at": str,
            "resolved_at": str,
        },
        pk="id",
    )
    db.table("conflicts").create_index(["department_id", "state"])
    db.table("audit").create(
        {
            "id": int,
            "ts": str,
            "actor": str,
            "ssh_client": str,
            "department_id": str,
            "action": str,
            "target": str,
            "before": str,
            "after": str,
        },
        pk="id",
        not_null={"ts", "actor", "action"},
    )
    db.table("audit").create_index(["department_id", "id"])


def _v2_runner_state(db: sqlite_utils.Database) -> None:
    """Leases keep two runners off one department; heartbeats let doctor see a live runner."""
    db.table("leases").create(
        {"name": str, "holder": str, "acquired_at": str, "expires_at": str}, pk="name"
    )
    db.table("heartbeats").create(
        {"component": str, "pid": int, "host": str, "ts": str, "info": str}, pk="component"
    )


def _v3_links_many_to_one(db: sqlite_utils.Database) -> None:
    """Several DUELL customers (DUELL's own duplicates) may be linked to one Visma customer."""
    db.execute("DROP INDEX IF EXISTS idx_entity_links_department_id_entity_visma_id")
    db.table("entity_links").create_index(
        ["department_id", "entity", "visma_id"], index_name="idx_entity_links_visma"
    )


def _v4_webhooks(db: sqlite_utils.Database) -> None:
    """Visma's webhook notifications as received, and changes that came without one."""
    db.table("webhook_inbox").create(
        {
            "context_id": str,  # Visma's notification id: duplicates are dropped on it
            "received_at": str,
            "tenant_id": str,
            "event_id": str,
            "action": str,
            "resource_uri": str,
            "state": str,  # pending / applied / failed
            "processed_at": str,
            "error": str,
        },
        pk="context_id",
    )
    db.table("webhook_inbox").create_index(["state", "received_at"])
    db.table("webhook_inbox").create_index(["resource_uri", "received_at"])
    db.table("unannounced").create(
        {
            "department_id": str,
            "entity": str,
            "visma_id": str,
            "last_modified": str,
            "found_at": str,
        },
        pk=("department_id", "entity", "visma_id"),
    )


def _v5_http_subject(db: sqlite_utils.Database) -> None:
    """The transfer an HTTP call was made for: the console shows Visma's raw answer to it."""
    db.execute("ALTER TABLE http_calls ADD COLUMN subject TEXT")
    db.execute(
        "CREATE INDEX idx_http_calls_subject ON http_calls (subject, id) WHERE subject IS NOT NULL"
    )


def _v6_create_intents(db: sqlite_utils.Database) -> None:
    """A record Visma numbers itself is noted before its create is sent, so that a crash
    between Visma's answer and the link cannot lead to a second create (core/sync/links.py)."""
    db.table("create_intents").create(
        {
            "department_id": str,
            "entity": str,
            "duell_id": str,
            "name": str,
            "started_at": str,
        },
        pk=("department_id", "entity", "duell_id"),
    )


def _v7_lease_generation(db: sqlite_utils.Database) -> None:
    """A lease's generation, bumped on every acquire: the fence each ledger transition shows
    (core/leases.py). Released leases keep their row (holder '') so it only ever grows."""
    db.execute("ALTER TABLE leases ADD COLUMN generation INTEGER NOT NULL DEFAULT 0")


def _v8_installation(db: sqlite_utils.Database) -> None:
    """What the database is: the sandbox's or a live installation's, and the services and
    Visma tenants it was set up with, so that a run with other settings is refused before it
    fetches the wrong world into the ledger (core/runtime.py). One row, written on first use."""
    db.execute(
        """CREATE TABLE installation (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
            visma_base_url TEXT,
            connect_base_url TEXT,
            duell_base_url TEXT,
            recorded_at TEXT NOT NULL,
            urls_recorded_at TEXT
        )"""
    )
    db.table("installation_tenants").create(
        {"department_id": str, "visma_tenant_id": str, "recorded_at": str},
        pk=("department_id", "visma_tenant_id"),
    )


def _v9_warning_states(db: sqlite_utils.Database) -> None:
    """A warning repeated by every run (a product number DUELL uses twice) is logged once per
    state: its fingerprint is kept until it changes or goes away (core/eventlog.py). And who
    decided a conflict, shown by `duvi conflicts list --all`."""
    db.table("warning_states").create(
        {
            "department_id": str,
            "entity": str,
            "kind": str,
            "key": str,
            "fingerprint": str,
            "logged_at": str,
        },
        pk=("department_id", "entity", "kind", "key"),
    )
    db.execute("ALTER TABLE conflicts ADD COLUMN resolved_by TEXT")


def _v10_zreport_days(db: sqlite_utils.Database) -> None:
    """A department's Z-reports by business date: the settlement calendar reads a few weeks of
    them with one range read, however long the ledger grows (core/calendar.py). A damaged
    payload has no day rather than failing the index (and with it every later write)."""
    db.execute(
        "CREATE INDEX idx_ledger_zreport_day ON ledger "
        "(department_id, (CASE WHEN json_valid(payload) "
        "THEN json_extract(payload, '$.business_date') END)) WHERE kind = 'zreport'"
    )


def _v11_alert_states(db: sqlite_utils.Database) -> None:
    """Each alert's state as last seen and sent (core/alerts.py): a notice goes out once per
    change of state, whichever process evaluates it, and an acknowledged state is not repeated."""
    db.table("alert_states").create(
        {
            "id": str,  # check:department, e.g. transfers.attention:1
            "department_id": str,
            "kind": str,
            "fingerprint": str,  # the state the alert is in now
            "found": str,
            "first_seen": str,
            "sent_fingerprint": str,  # the state last sent, and when
            "sent_at": str,
            "cleared_at": str,  # set when the condition went away
            "acked_fingerprint": str,  # the state a person acknowledged (audited)
        },
        pk="id",
    )


def _v12_financial_periods(db: sqlite_utils.Database) -> None:
    """Visma's financial periods as last read per department (core/period_close.py): the alert
    of a period about to close with documents unreleased is evaluated every round, by any
    process, without a request."""
    db.table("financial_periods").create(
        {"department_id": str, "period": str, "data": str, "read_at": str},
        pk=("department_id", "period"),
    )


def _v13_rate_windows(db: sqlite_utils.Database) -> None:
    """Request budgets shared by every process on the store (core/budgets.py): one row per
    fixed window (a Visma client and tenant, a DUELL account), and the requests each pacer has
    in flight against it (counted until `expires`, so a dead process holds nothing for long)."""
    db.table("rate_windows").create(
        {"key": str, "lim": int, "remaining": int, "reset_at": float, "last_send": float},
        pk="key",
        not_null={"lim", "remaining", "reset_at", "last_send"},
    )
    db.table("rate_in_flight").create(
        {"key": str, "holder": str, "n": int, "expires": float},
        pk=("key", "holder"),
        not_null={"n", "expires"},
    )


LIST_INDEX = (
    "department_id, created_at, key, kind, state, visma_number, updated_at, day, z_number, "
    "register, amount, last_error"
)


def _v14_ledger_facts(db: sqlite_utils.Database) -> None:
    """What the transfers list shows of each document (business date, Z number, register,
    amount) in the ledger's own columns, worked out when the payload is recorded
    (core/ledger_facts.py): a department's list of thousands of documents reads columns instead
    of parsing every payload. Rows written before are filled here by the same function
    (`extracted_facts`, called by SQLite on the fields json_extract reads: one statement, the
    payloads untouched). A payload changed by anything but the ledger (sqlite3 by hand) drops
    its row's facts (`register` NULL): the list then reads them from the payload again."""
    from core.ledger_facts import FACT_FIELDS, FACT_LISTS, extracted_facts

    for column, kind in (("day", "TEXT"), ("z_number", "INTEGER"), ("register", "TEXT")):
        db.execute(f"ALTER TABLE ledger ADD COLUMN {column} {kind}")
    db.execute("ALTER TABLE ledger ADD COLUMN amount TEXT")  # a Decimal as text: exact
    db.conn.create_function(
        "duvi_facts", 1 + len(FACT_FIELDS) + len(FACT_LISTS), extracted_facts, deterministic=True
    )
    fields = ", ".join(
        f"CASE WHEN ledger.kind = 'invoice' THEN json_extract(p, '$.{k}') END"
        if k == "lines"
        else f"json_extract(p, '$.{k}')"
        for k in (*FACT_FIELDS, *FACT_LISTS)
    )
    db.execute(
        "UPDATE ledger SET (day, z_number, register, amount) = (SELECT json_extract(f, '$[0]'), "
        "json_extract(f, '$[1]'), json_extract(f, '$[2]'), json_extract(f, '$[3]') FROM "
        f"(SELECT duvi_facts(ledger.kind, {fields}) AS f FROM (SELECT CASE WHEN "
        "json_valid(ledger.payload) THEN ledger.payload ELSE '{}' END AS p)))"
    )
    # The list of one department, oldest first, from this index alone (no row is read, nothing
    # is sorted): a Z-report's row carries its payload, which the list never needs.
    db.execute(f"CREATE INDEX idx_ledger_list ON ledger ({LIST_INDEX})")
    db.execute(
        "CREATE TRIGGER ledger_facts_stale AFTER UPDATE OF payload ON ledger "
        "WHEN new.payload IS NOT old.payload AND new.register IS old.register "
        "AND new.day IS old.day AND new.z_number IS old.z_number AND new.amount IS old.amount "
        "BEGIN UPDATE ledger SET register = NULL WHERE key = new.key; END"
    )


def _v15_event_templates(db: sqlite_utils.Database) -> None:
    """An event's template by number (`core.eventtext.template_key`), indexed: the log's
    search finds the events whose sentence reads a word in the reader's language (issue 22)
    without reading their data. Events written before are numbered here by the same function
    from the template their data keeps; an event without one stays out of the index."""
    from core.eventtext import template_key

    db.execute("ALTER TABLE events ADD COLUMN template_key INTEGER")
    db.conn.create_function("duvi_template_key", 1, template_key, deterministic=True)
    db.execute(
        "UPDATE events SET template_key = duvi_template_key(json_extract(data, '$.template')) "
        "WHERE data LIKE '%\"template\"%' AND json_valid(data) "
        "AND json_type(data, '$.template') = 'text'"
    )
    db.execute(
        "CREATE INDEX idx_events_template ON events (template_key, id) "
        "WHERE template_key IS NOT NULL"
    )


def _v16_ledger_suspects(db: sqlite_utils.Database) -> None:
    """The ledger rows duvi cannot read (core.ledger: an unknown state, no source, confirmed
    without Visma's number, a payload that is not a JSON object) in an index of their own,
    kept by SQLite whatever writes the row (sqlite3 by hand too): a department's list checks
    those rows (usually none) instead of parsing every payload it has. The condition is
    core.ledger's `_SUSPECT`, to the character (the planner uses a partial index only for a
    query that names its condition; tests/test_ledger_suspects.py holds the two together)."""
    db.execute(
        "CREATE INDEX idx_ledger_suspect ON ledger (department_id, key) WHERE "
        "(state NOT IN ('pending', 'sent', 'confirmed', 'failed', 'attention', 'released') "
        "OR source_id IS NULL OR (state = 'confirmed' AND COALESCE(visma_number, '') = '') "
        "OR (payload IS NOT NULL AND "
        "CASE WHEN json_valid(payload) THEN json_type(payload) <> 'object' ELSE 1 END))"
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial,
    _v2_runner_state,
    _v3_links_many_to_one,
    _v4_webhooks,
    _v5_http_subject,
    _v6_create_intents,
    _v7_lease_generation,
    _v8_installation,
    _v9_warning_states,
    _v10_zreport_days,
    _v11_alert_states,
    _v12_financial_periods,
    _v13_rate_windows,
    _v14_ledger_facts,
    _v15_event_templates,
    _v16_ledger_suspects,
]
SCHEMA_VERSION = len(MIGRATIONS)
