"""Issue 20, item 3: the database knows what it is (findings D3, D6's database paths, U1).

Repros after ../shared/docs/findings/2026-12-red.md (its harness: ../shared/tools/red/
env.sh and setup_home_seed.py, whose set-up `live_home` repeats): a live database (a served
sandbox with seed 5 standing in for the real services), then a run whose settings lost
DUVI_SANDBOX or the service URLs; damaged, empty and foreign database files; `duvi backup`.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from core.boot import ensure_sandbox_setup
from core.cli import run as cli
from core.config import load_settings
from core.connections import DUELL_SECRETS
from core.departments import Departments
from core.errors import EXIT_CONFIG, EXIT_STORE, ConfigError
from core.ledger import Ledger
from core.runtime import Runtime
from core.sandbox.world import DUELL_CLIENT_NUMBER, sandbox_credentials
from core.store import Store
from tests.helpers import reliability
from tests.served import ROOT, served_env, served_sandbox

SEED = 5  # "the real services": not the in-process sandbox's seed 0
SMALL = ("--products", "300", "--customers", "300")
URL_SETTINGS = ("DUVI_VISMA_BASE_URL", "DUVI_CONNECT_BASE_URL", "DUVI_DUELL_BASE_URL")


def duvi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in names}


def live_home(seed: int) -> None:
    """setup_home_seed.py: the departments and the DUELL account, as setup leaves them."""
    with Runtime.open(load_settings(sandbox=False)) as rt:
        ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(seed))
        rt.secrets.set(DUELL_SECRETS, "client_number", SecretStr(DUELL_CLIENT_NUMBER))
        rt.secrets.set(DUELL_SECRETS, "client_token", SecretStr(f"duell-api-token-{seed}-sandbox"))


def ledger_and_cursors(home: Path) -> tuple[list[Any], list[Any]]:
    conn = sqlite3.connect(home / "duvi.db")
    try:
        return (
            conn.execute("SELECT * FROM ledger ORDER BY key").fetchall(),
            conn.execute("SELECT * FROM sync_cursors ORDER BY 1, 2").fetchall(),
        )
    finally:
        conn.close()


# -- D3: a run with the setting missing on a live database --------------------------------


@pytest.mark.slow  # 15 s: a served sandbox and six runs
def test_a_live_database_refuses_a_run_that_lost_its_settings(home: Path) -> None:
    """D3: `env -u DUVI_SANDBOX -u DUVI_*_BASE_URL duvi sync -d 1 -e zreports` pulled the
    simulator's Z-reports into the real ledger and moved the cursor to 1129. Now refused
    (exit 3, with the remedy) before anything is fetched: ledger and cursors untouched."""
    with served_sandbox("--seed", str(SEED), *SMALL) as base:
        env = served_env(base)
        accident = without(env, "DUVI_SANDBOX", *URL_SETTINGS)  # sandbox mode, the default
        zreports = ("sync", "-d", "1", "-e", "zreports")
        live_home(SEED)

        # The accident before the first proper run (the finding's exact order).
        r = duvi(accident, *zreports)
        assert r.returncode == EXIT_CONFIG, r.stderr
        assert "belongs to a live installation" in r.stderr and "sandbox mode" in r.stderr
        assert "DUVI_SANDBOX=false" in r.stderr
        assert ledger_and_cursors(home) == ([], [])

        assert duvi(env, *zreports).returncode == 0  # the proper run records its services
        before = ledger_and_cursors(home)
        assert before[0] and before[1]

        r = duvi(accident, *zreports)
        assert r.returncode == EXIT_CONFIG, r.stderr
        assert f"Visma {base}/visma" in r.stderr  # says which installation it is
        assert ledger_and_cursors(home) == before

        # DUVI_SANDBOX=false kept, the URLs lost: the defaults (the real services' addresses)
        # are not the ones this database's data came from. Refused before any request.
        r = duvi(without(env, *URL_SETTINGS), *zreports)
        assert r.returncode == EXIT_CONFIG, r.stderr
        assert "other services" in r.stderr and "visma_base_url https://" in r.stderr
        assert ledger_and_cursors(home) == before

        assert duvi(env, *zreports).returncode == 0  # its own settings still work
        assert ledger_and_cursors(home)[0] == before[0]
    reliability.record(
        "Attacks: D3, a run that lost its settings on a live database",
        "A live installation (a served sandbox with seed 5 standing in for the real services) "
        "and five `duvi sync` processes: three with DUVI_SANDBOX or the service URLs removed "
        "(the accident), before and after proper runs (tests/test_attacks_db.py). Each "
        "accident exits 3 before any request; the ledger and cursors are unchanged. Before "
        "the fix: the simulator's 30 Z-reports entered the real ledger and the cursor moved "
        "to 1129.",
        duvi_runs=5,
        accidents_refused=3,
        ledger_rows=len(before[0]),
        rows_changed_by_accidents=0,
        duplicates=0,
        losses=0,
    )


def test_a_database_from_before_the_record_with_a_duell_account_is_live(home: Path) -> None:
    """A database an older duvi wrote has no `installation` row: departments with a DUELL
    account are a live installation (the sandbox never stores one), so sandbox mode is
    refused; without one it is the sandbox's."""
    from core.runtime import installation

    live_home(SEED)
    with Store(load_settings().database) as store, store.write():
        store.conn.execute("DELETE FROM installation")
    with pytest.raises(ConfigError, match="belongs to a live installation"):
        Runtime.open(load_settings(sandbox=True))
    with Runtime.open(load_settings(sandbox=False)) as rt:
        assert (found := installation(rt.store)) is not None and found.mode == "live"


def test_the_sandbox_database_is_not_used_for_the_real_services(home: Path) -> None:
    from core.boot import ensure_installation

    with Runtime.open(load_settings(sandbox=True)) as rt:
        assert ensure_installation(rt)
    with pytest.raises(ConfigError, match="holds the sandbox's departments") as exc:
        Runtime.open(load_settings(sandbox=False))
    assert "DUVI_SANDBOX=true" in exc.value.remedy


def test_service_urls_are_recorded_and_bind_once_data_came_from_them(home: Path) -> None:
    """Before any data, a changed URL (a typo fixed in setup) is taken; after, refused."""
    from core import boot
    from core.runtime import installation

    def open_with(port: int) -> Runtime:
        urls = {
            "visma_base_url": f"http://127.0.0.1:{port}/visma",
            "connect_base_url": f"http://127.0.0.1:{port}/connect",
            "duell_base_url": f"http://127.0.0.1:{port}/duell/v1",
        }
        return Runtime.open(load_settings(sandbox=False, **urls))

    live_home(SEED)
    with open_with(1) as rt, boot.connections(rt):
        pass
    with open_with(2) as rt:
        with boot.connections(rt):  # nothing fetched yet: the new address is taken
            pass
        found = installation(rt.store)
        assert found is not None and found.visma_base_url == "http://127.0.0.1:2/visma"
        assert ("1", sandbox_credentials(SEED)[0].visma_tenant_id) in found.tenants
        Ledger(rt.store).set_cursor("1", "zreport", "1100")
    with open_with(3) as rt, pytest.raises(ConfigError, match="other services") as exc:
        boot.connections(rt)
    assert "127.0.0.1:2/visma" in str(exc.value)


# -- D6's database paths: settings and files that are not the database ----------------------


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("duvi: error:") == 1, err
    return code, err


def test_a_duvi_config_that_does_not_exist_is_refused(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "etc" / "duvi.toml"
    monkeypatch.setenv("DUVI_CONFIG", str(missing))
    code, err = refused(capsys, "transfers")
    assert code == EXIT_CONFIG and f"config file {missing}" in err and "does not exist" in err
    assert not home.exists()  # nothing ran, no database was made


def test_an_empty_duvi_home_is_refused_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUVI_HOME", "")
    code, err = refused(capsys, "transfers")
    assert code == EXIT_CONFIG and "home: is empty" in err
    assert not (tmp_path / "duvi.db").exists()


def make_database(home: Path) -> Path:
    with Runtime.open(load_settings()) as rt:
        Ledger(rt.store).register("DUELL-Z-1-1100", "1", "zreport", "1100", {"z": 1100})
        for i in range(300):  # a few pages beyond the first
            rt.log.info(f"event {i} " + "x" * 200)
    return load_settings().database


def test_a_zero_byte_database_is_refused_not_a_new_ledger(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_database(home)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"")
    code, err = refused(capsys, "transfers")
    assert code == EXIT_STORE and "is empty (0 bytes)" in err and "restore" in err
    assert db.stat().st_size == 0


def test_a_damaged_database_says_restore_or_recover_not_start_over(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_database(home)
    with db.open("r+b") as fh:  # the first page's content overwritten, its header kept
        fh.seek(100)
        fh.write(b"\xa5" * 3996)
    before = db.read_bytes()
    code, err = refused(capsys, "transfers")
    assert code == EXIT_STORE and "is damaged (database disk image is malformed)" in err
    assert "duvi backup" in err and ".recover" in err and "looks each document up" in err
    assert "point DUVI_HOME" not in err
    assert db.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_not_a_duvi_database(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_database(home)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"\x1f\x8b" + os.urandom(8000))  # a support bundle written over it (D6)
    code, err = refused(capsys, "transfers")
    assert code == EXIT_STORE and "not a duvi database: not an SQLite file" in err
    assert "restore" in err


def test_another_programs_sqlite_file_is_refused_and_left_alone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = home / "duvi.db"
    home.mkdir()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    db.chmod(0o600)
    code, err = refused(capsys, "transfers")
    assert code == EXIT_STORE and "not duvi's" in err
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["photos"]
    conn.close()


def test_a_home_that_cannot_be_made_is_a_store_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUVI_HOME", "/etc/passwd/duvi")
    code, err = refused(capsys, "transfers")
    assert code == EXIT_STORE and "cannot create or read database" in err


@pytest.mark.parametrize(
    "message", ["disk I/O error", "database or disk is full", "unable to open database file"]
)
def test_a_full_or_failing_disk_is_said_so_without_the_move_away_remedy(message: str) -> None:
    from core.store import StorageError, file_error

    error = file_error(Path("/x/duvi.db"), sqlite3.OperationalError(message))
    assert isinstance(error, StorageError) and message in error.message
    assert "DUVI_HOME" not in str(error) and "kept" in error.remedy


# -- duvi backup -----------------------------------------------------------------------------

WRITER = """
import sys, threading
from core.store import Store, utcnow
asked, stop = threading.Event(), threading.Event()
def listen():
    for _ in sys.stdin:  # a line: say so after the next write
        asked.set()
    stop.set()
threading.Thread(target=listen, daemon=True).start()
store = Store(sys.argv[1])
i = 0
while not stop.is_set():  # one event per transaction, as the event log's writer does
    with store.write() as db:
        db.execute("INSERT INTO events (ts, level, message) VALUES (?, 20, ?)", [utcnow(), i])
    i += 1
    if i == 50:
        print("writing", flush=True)
    if asked.is_set():
        asked.clear()
        print("wrote", flush=True)
store.close()
"""


def test_a_backup_while_another_process_writes_is_a_valid_copy(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_database(home)
    out = tmp_path / "backups" / "duvi-backup.db"
    out.parent.mkdir()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        assert cli(["backup", "--out", str(out)]) == 0
        assert writer.poll() is None, "the writer went on during the backup"
        assert writer.stdin is not None
        writer.stdin.write("after the backup\n")
        writer.stdin.flush()
        # a write the copy cannot hold (under load the writer may not have written since)
        assert writer.stdout.readline() == "wrote\n"
    finally:
        assert writer.stdin is not None
        writer.stdin.close()
        assert writer.wait(timeout=60) == 0
    assert "backed up to" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    with Store(out) as copy, Store(db) as live:
        assert copy.query("PRAGMA integrity_check") == [{"integrity_check": "ok"}]
        assert copy.query("SELECT * FROM ledger") == live.query("SELECT * FROM ledger")
        ids = [r["id"] for r in copy.query("SELECT id FROM events ORDER BY id")]
        assert ids == list(range(1, len(ids) + 1))  # one snapshot: no event missing inside it
        assert len(ids) < live.query("SELECT count(*) AS n FROM events")[0]["n"]
    assert [p.name for p in out.parent.iterdir()] == ["duvi-backup.db"]  # no temp left


def test_a_backup_never_replaces_a_file_nor_the_database(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_database(home)
    before = db.read_bytes()
    existing = tmp_path / "existing.db"
    existing.write_text("keep me")
    code, err = refused(capsys, "backup", "--out", str(existing))
    assert code == EXIT_CONFIG and "already exists" in err and existing.read_text() == "keep me"
    for target in (db, Path(f"{db}-wal")):
        code, err = refused(capsys, "backup", "--out", str(target))
        assert code == EXIT_CONFIG and "is the live database itself" in err
    assert db.read_bytes() == before
    code, err = refused(capsys, "backup", "--out", str(tmp_path / "missing" / "x.db"))
    assert code == EXIT_CONFIG
