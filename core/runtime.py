"""What a duvi process holds open: its settings, the store and the event log; and the check
that the store belongs to what the settings point at (its `installation` row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.config import Settings, config_file_path
from core.errors import ConfigError
from core.eventlog import EventLog, Level
from core.fsutil import shown
from core.secrets import SecretsFile
from core.store import Store, utcnow

Mode = Literal["sandbox", "live"]


@dataclass
class Runtime:
    settings: Settings
    store: Store
    log: EventLog
    secrets: SecretsFile = field(init=False)

    def __post_init__(self) -> None:
        self.secrets = SecretsFile(self.settings.secrets)

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        """Open the store, refused (ConfigError) when it is the other mode's: a sandbox-mode
        run on a live database, or a live run on the sandbox's."""
        store = Store(settings.database)
        try:
            check_mode(store, settings, SecretsFile(settings.secrets))
        except BaseException:
            store.close()
            raise
        return cls(settings, store, EventLog(store, min_level=Level.parse(settings.log_level)))

    def close(self) -> None:
        self.log.close()
        self.store.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- what the database is -------------------------------------------------------------------


@dataclass(frozen=True)
class Installation:
    """The `installation` row: the mode, and in live mode the services the data came from."""

    mode: Mode
    visma_base_url: str | None
    connect_base_url: str | None
    duell_base_url: str | None
    tenants: tuple[tuple[str, str], ...]  # (department, Visma tenant) as set up, ever

    @property
    def urls(self) -> tuple[str | None, str | None, str | None]:
        return self.visma_base_url, self.connect_base_url, self.duell_base_url

    def describe(self) -> str:
        if self.mode == "sandbox":
            return "the sandbox"
        if self.visma_base_url is None:
            return "a live installation"
        return (
            f"a live installation (Visma {self.visma_base_url}, Visma Connect "
            f"{self.connect_base_url}, DUELL {self.duell_base_url})"
        )


def installation(store: Store) -> Installation | None:
    rows = store.query("SELECT * FROM installation WHERE id = 1")
    if not rows:
        return None
    row = rows[0]
    tenants = store.query(
        "SELECT department_id, visma_tenant_id FROM installation_tenants "
        "ORDER BY department_id, recorded_at"
    )
    return Installation(
        row["mode"],
        row["visma_base_url"],
        row["connect_base_url"],
        row["duell_base_url"],
        tuple((t["department_id"], t["visma_tenant_id"]) for t in tenants),
    )


def service_urls(settings: Settings) -> tuple[str, str, str]:
    """The settings' service URLs as recorded: a trailing slash is no other service."""
    return (
        settings.visma_base_url.rstrip("/"),
        settings.connect_base_url.rstrip("/"),
        settings.duell_base_url.rstrip("/"),
    )


def check_mode(store: Store, settings: Settings, secrets: SecretsFile) -> None:
    """Record the mode on first use; refuse the other mode once the database holds departments.

    A database without departments has nothing to protect: it takes the mode it is used in.
    One from before this record (no row) with departments and a DUELL account is a live one:
    the sandbox never stores a DUELL account."""
    wanted: Mode = "sandbox" if settings.sandbox else "live"
    found = installation(store)
    if found is not None and found.mode == wanted:
        return  # the common case: a read, no write lock
    with store.write():
        found = installation(store)  # again, under the lock: another process may have written
        if found is not None and found.mode == wanted:
            return
        departments = bool(store.query("SELECT 1 FROM departments LIMIT 1"))
        if found is None:
            if departments and wanted == "sandbox" and _holds_duell_account(secrets):
                raise _mode_mismatch(store, settings, "live", None)
            store.conn.execute(
                "INSERT INTO installation (id, mode, recorded_at) VALUES (1, ?, ?)",
                [wanted, utcnow()],
            )
            return
        if departments:
            raise _mode_mismatch(store, settings, found.mode, found)
        store.conn.execute(
            "UPDATE installation SET mode = ?, visma_base_url = NULL, connect_base_url = NULL, "
            "duell_base_url = NULL, recorded_at = ?, urls_recorded_at = NULL WHERE id = 1",
            [wanted, utcnow()],
        )
        store.conn.execute("DELETE FROM installation_tenants")


def check_services(store: Store, settings: Settings) -> None:
    """Live mode, before the first request of a run: record the service URLs and Visma tenants
    on first use; refuse other URLs once the database holds what those services sent (ledger
    rows, cursors, links). Until then a changed URL (a typo fixed during setup) is taken."""
    if settings.sandbox:
        return
    urls = service_urls(settings)
    tenants = _tenants(store)
    found = installation(store)
    if found is not None and found.urls == urls and tenants <= set(found.tenants):
        return
    with store.write():
        found = installation(store)
        if found is None:  # Runtime.open records the mode; a bare Store may not have
            store.conn.execute(
                "INSERT INTO installation (id, mode, recorded_at) VALUES (1, 'live', ?)",
                [utcnow()],
            )
            found = installation(store)
            assert found is not None
        if found.mode != "live":
            raise _mode_mismatch(store, settings, found.mode, found)
        if found.urls != urls:
            if found.visma_base_url is not None and _holds_service_data(store):
                raise _urls_mismatch(store, settings, found)
            store.conn.execute(
                "UPDATE installation SET visma_base_url = ?, connect_base_url = ?, "
                "duell_base_url = ?, urls_recorded_at = ? WHERE id = 1",
                [*urls, utcnow()],
            )
        now = utcnow()
        for department_id, tenant in sorted(tenants - set(found.tenants)):
            store.conn.execute(
                "INSERT OR IGNORE INTO installation_tenants VALUES (?, ?, ?)",
                [department_id, tenant, now],
            )


def _tenants(store: Store) -> set[tuple[str, str]]:
    rows = store.query(
        "SELECT department_id, json_extract(settings, '$.visma_tenant_id') AS tenant "
        "FROM department_settings WHERE json_valid(settings)"
    )
    return {(r["department_id"], r["tenant"]) for r in rows if r["tenant"]}


def _holds_duell_account(secrets: SecretsFile) -> bool:
    try:
        return secrets.holds_duell_account()  # the installation's or a customer's
    except ConfigError:
        return True  # an unreadable secrets file is no sign of the sandbox: refuse, to be safe


def _holds_service_data(store: Store) -> bool:
    return any(
        store.query(f"SELECT 1 FROM {table} LIMIT 1")  # our own table names
        for table in ("ledger", "sync_cursors", "entity_links")
    )


def _settings_source() -> str:
    path = config_file_path()
    return f"its config file ({path}{'' if path.exists() else ', which does not exist'})"


def _mode_mismatch(
    store: Store, settings: Settings, recorded: Mode, found: Installation | None
) -> ConfigError:
    db = shown(store.path)
    if recorded == "live":
        what = found.describe() if found else "a live installation (departments, DUELL account)"
        return ConfigError(
            f"database {db} belongs to {what}, but this run is in sandbox mode",
            "run with the installation's own settings, DUVI_SANDBOX=false and its service "
            f"URLs, from {_settings_source()} or the service's environment (`duvi config` shows "
            "what this run read); nothing was fetched or sent",
        )
    return ConfigError(
        f"database {db} holds the sandbox's departments, but this run names the real services "
        "(sandbox = false)",
        "set DUVI_SANDBOX=true to use it; for the real services give the installation its own "
        "DUVI_HOME (or db_path), or move this sandbox database away; nothing was fetched or sent",
    )


def _urls_mismatch(store: Store, settings: Settings, found: Installation) -> ConfigError:
    names = ("visma_base_url", "connect_base_url", "duell_base_url")
    differ = [
        f"{name} {now} (the database's: {then})"
        for name, then, now in zip(names, found.urls, service_urls(settings), strict=True)
        if then != now
    ]
    return ConfigError(
        f"database {shown(store.path)} holds data from {found.describe()}, but this run names "
        "other services: " + "; ".join(differ),
        "run with the installation's own settings (DUVI_VISMA_BASE_URL, DUVI_CONNECT_BASE_URL, "
        f"DUVI_DUELL_BASE_URL) from {_settings_source()} or the service's environment; a "
        "database holds one installation's data: for other services use another DUVI_HOME. "
        "Nothing was fetched or sent",
    )
