from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from core.errors import InsecureFileError, SchemaTooNewError, StoreError
from core.migrations import MIGRATIONS, SCHEMA_VERSION
from core.secrets import SecretsFile
from core.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_database_is_private_wal_with_foreign_keys(tmp_path: Path) -> None:
    with Store(tmp_path / "d" / "duvi.db") as s:
        assert s.version == SCHEMA_VERSION
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert s.conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
        with s.write() as db:
            db["departments"].insert({"id": "1", "name": "Oslo"})
    assert mode(tmp_path / "d" / "duvi.db") == 0o600


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    with (
        Store(tmp_path / "duvi.db") as s,
        pytest.raises(sqlite3.IntegrityError),
        s.write() as db,
    ):
        db["vat_mappings"].insert({"department_id": "nope", "duell_rate": "25"})


def test_open_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "duvi.db"
    Store(path).close()
    with Store(path) as s:
        assert s.version == SCHEMA_VERSION


@pytest.mark.parametrize("start", range(SCHEMA_VERSION))
def test_each_migration_from_the_version_before(tmp_path: Path, start: int) -> None:
    """Build the schema as of `start`, put data in, then migrate: the data survives."""
    path = tmp_path / "duvi.db"
    s = _store_at(path, start)
    if start >= 1:
        with s.write() as db:
            db["departments"].insert({"id": "7", "name": "Bergen", "created_at": "x"})
            db["events"].insert({"ts": "t", "level": 20, "message": "kept across migrations"})
    s.migrate(start + 1)
    assert s.version == start + 1
    if start >= 1:
        assert s.query("SELECT name FROM departments")[0]["name"] == "Bergen"
        hits = s.query("SELECT rowid FROM events_fts WHERE events_fts MATCH 'migrations'")
        assert len(hits) == 1
    s.migrate()  # again: nothing to do, nothing breaks
    assert s.version == SCHEMA_VERSION
    s.close()


def _store_at(path: Path, version: int) -> Store:
    """A store whose schema stops at `version`."""
    s = Store(path, migrate=False)
    s.migrate(version)
    assert s.version == version
    return s


def test_migrations_list_matches_version() -> None:
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "duvi.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError) as exc:
        Store(path)
    assert f"version {SCHEMA_VERSION + 3}" in exc.value.message
    assert "not changed" in exc.value.remedy
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "duvi.db"
    path.write_bytes(b"this is a text file, not sqlite" * 100)
    os.chmod(path, 0o600)
    with pytest.raises(StoreError, match="not a duvi database"):
        Store(path)
    assert path.read_bytes().startswith(b"this is a text file")


def test_group_readable_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "duvi.db"
    Store(path).close()
    os.chmod(path, 0o644)
    with pytest.raises(InsecureFileError) as exc:
        Store(path)
    assert exc.value.remedy == f"run: chmod 600 {path}"


def test_secrets_file_is_private_and_masked(tmp_path: Path) -> None:
    from pydantic import SecretStr

    sf = SecretsFile(tmp_path / "secrets.json")
    sf.set("1", "visma_client_secret", SecretStr("s3cr3t-value"))
    assert mode(sf.path) == 0o600
    got = sf.get("1", "visma_client_secret")
    assert got is not None and got.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t" not in repr(got) and "s3cr3t" not in str(got)
    os.chmod(sf.path, 0o640)
    with pytest.raises(InsecureFileError):
        sf.get("1", "visma_client_secret")


def test_a_failed_write_rolls_back(tmp_path: Path) -> None:
    with Store(tmp_path / "duvi.db") as s:
        with pytest.raises(RuntimeError), s.write() as db:
            db["departments"].insert({"id": "1", "name": "x"})
            raise RuntimeError("boom")
        assert s.db["departments"].count == 0


def test_a_lock_held_too_long_is_a_clear_error_and_loses_no_event(tmp_path: Path) -> None:
    from core.errors import StoreBusyError
    from core.eventlog import EventLog

    path = tmp_path / "duvi.db"
    store = Store(path, busy_seconds=0.3)
    store.conn.execute("PRAGMA busy_timeout = 50")
    log = EventLog(store, flush_interval=3600)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process mid-write, and stuck
    log.info("must survive the lock")
    with pytest.raises(StoreBusyError) as exc:
        log.flush()
    assert "stayed locked" in exc.value.message and "duvi doctor" in exc.value.remedy
    blocker.execute("ROLLBACK")
    blocker.close()
    assert log.flush() == 1
    assert [e.message for e in log.page()] == ["must survive the lock"]
    log.close()
    store.close()


def test_the_secrets_file_is_parsed_again_only_once_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner asks for secrets many times a department: the file is parsed once, and again
    whenever it changed (another process saved it, or a person edited it in place)."""
    import json

    from pydantic import SecretStr

    import core.secrets

    parsed = []
    loads = json.loads
    monkeypatch.setattr(core.secrets.json, "loads", lambda s: parsed.append(1) or loads(s))
    path = tmp_path / "secrets.json"
    mine, other = SecretsFile(path), SecretsFile(path)
    mine.set("1", "client_token", SecretStr("first-token"))
    parsed.clear()
    for _ in range(5):
        got = mine.get("1", "client_token")
        assert got is not None and got.get_secret_value() == "first-token"
    assert len(parsed) == 1
    other.set("1", "client_token", SecretStr("second-token"))  # a new file, renamed over
    got = mine.get("1", "client_token")
    assert got is not None and got.get_secret_value() == "second-token"
    path.write_text(json.dumps({"1": {"client_token": "third-token-longer"}}))  # in place
    got = mine.get("1", "client_token")
    assert got is not None and got.get_secret_value() == "third-token-longer"
    assert mine.names("1") == ["client_token"]
    path.unlink()
    assert mine.get("1", "client_token") is None


def test_upsert_inserts_or_updates_only_the_columns_given(tmp_path: Path) -> None:
    with Store(tmp_path / "duvi.db") as s:
        with s.write():
            s.upsert("sync_cursors", {"department_id": "1", "entity": "z", "cursor": "5",
                                      "updated_at": "a"}, ("department_id", "entity"))  # fmt: skip
            s.upsert("sync_cursors", {"department_id": "1", "entity": "z", "cursor": "6"},
                     ("department_id", "entity"))  # fmt: skip
            s.upsert("sync_cursors", {"department_id": "2", "entity": "z"},
                     ("department_id", "entity"))  # fmt: skip
        rows = s.query("SELECT * FROM sync_cursors ORDER BY department_id")
    assert rows == [
        {"department_id": "1", "entity": "z", "cursor": "6", "updated_at": "a"},
        {"department_id": "2", "entity": "z", "cursor": None, "updated_at": None},
    ]
