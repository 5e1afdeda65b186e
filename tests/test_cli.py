"""The command line as a user runs it: a real `duvi` process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core.config import load_settings
from core.duell.client import zreport_from_wire
from core.eventlog import Level
from core.migrations import SCHEMA_VERSION
from core.runtime import Runtime

ROOT = Path(__file__).parent.parent


def duvi(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **kw,
    )


def seed_events() -> None:
    with Runtime.open(load_settings()) as rt:
        rt.log.info("Z-report 41 posted as batch 1007", department_id="1", entity="zreport")
        rt.log.error("map VAT rate 15 % to a Visma VAT code", department_id="2", entity="zreport")
        rt.log.warning("customer 'Ola Nordmann AS' has 3 candidates", department_id="1")


def test_version() -> None:
    r = duvi("--version")
    assert r.returncode == 0 and r.stdout.startswith("duvi ")


def test_config_shows_sources_and_masks_secrets(home: Path) -> None:
    env = {**os.environ, "DUVI_WEBHOOK_SECRET": "abc-secret-123", "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--readonly", "config", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["home"] == {**rows["home"], "value": str(home), "source": "environment"}
    assert rows["read_only"]["value"] == "True" and rows["read_only"]["source"] == "argument"
    assert rows["webhook_secret"]["value"] == "**********"
    assert "abc-secret-123" not in r.stdout


def test_log_filters_and_json() -> None:
    seed_events()
    r = duvi("log", "--json", "--dept", "1")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert [e["department_id"] for e in events] == ["1", "1"]
    assert events[0]["message"].startswith("Z-report 41")  # oldest first, like tail

    r = duvi("log", "--level", "error")
    assert "map VAT rate 15 %" in r.stdout and "Z-report 41" not in r.stdout
    r = duvi("log", "--grep", "nordmann")
    assert "Ola Nordmann AS" in r.stdout and r.stdout.count("\n") == 1


def test_log_follow_prints_new_events() -> None:
    seed_events()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "log", "--follow", "--json", "-n", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["message"].startswith("customer 'Ola")
        with Runtime.open(load_settings()) as rt:
            rt.log.emit(Level.INFO, "arrived while following", department_id="3")
        followed = json.loads(proc.stdout.readline())  # blocks until duvi prints it
        assert followed["message"] == "arrived while following"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bad_arguments_exit_2() -> None:
    assert duvi("nope").returncode == 2
    r = duvi("log", "--level", "loud")
    assert r.returncode == 2 and "unknown level 'loud'" in r.stderr


def test_corrupt_config_exits_3_with_the_file_named(tmp_path: Path) -> None:
    cfg = Path(os.environ["DUVI_CONFIG"])
    cfg.write_text("theme = [\n")
    cfg.chmod(0o600)
    r = duvi("config")
    assert r.returncode == 3
    assert str(cfg) in r.stderr and "Traceback" not in r.stderr
    assert cfg.read_text() == "theme = [\n"


def test_the_console_with_a_corrupt_config_exits_3_and_says_why(tmp_path: Path) -> None:
    """The console paints first and reads the settings after: a bad config still ends it
    with the message, the remedy and exit code 3, not a traceback."""
    cfg = Path(os.environ["DUVI_CONFIG"])
    cfg.write_text("theme = [\n")
    cfg.chmod(0o600)
    r = duvi()
    assert r.returncode == 3
    assert f"config file {cfg} is not valid TOML" in r.stderr and "Traceback" not in r.stderr


def test_newer_database_exits_4_untouched(home: Path) -> None:
    Runtime.open(load_settings()).close()
    db = home / "duvi.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db.read_bytes()
    r = duvi("log")
    assert r.returncode == 4
    assert "upgrade duvi" in r.stderr and "Traceback" not in r.stderr
    assert db.read_bytes() == before


def sandbox_installation(*, unmapped_vat: Decimal | None = None) -> None:
    """The sandbox's first-start setup, as the console does it (the CLI then runs against its
    own in-process sandbox of the same seed); optionally one VAT rate left without a code."""
    from core.boot import ensure_sandbox_setup
    from core.departments import Departments
    from core.sandbox.world import sandbox_credentials

    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        ensure_sandbox_setup(depts, sandbox_credentials())
        if unmapped_vat is not None:
            depts.set_vat_mapping("1", unmapped_vat, None)


def test_a_damaged_saft_file_exits_6_with_the_remedy(tmp_path: Path) -> None:
    bad = tmp_path / "z.xml"
    bad.write_bytes(b"<AuditFile><company>")
    r = duvi("import", "saft", str(bad), "-d", "1")
    assert r.returncode == 6, r.stderr
    assert "not well-formed XML" in r.stderr and "→" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_import_that_leaves_documents_for_a_person_exits_1(tmp_path: Path) -> None:
    from core.saft import export_zreports
    from core.sandbox.world import generate

    sandbox_installation(unmapped_vat=Decimal(15))
    world = generate(0)
    company = world.zreports["1"][0]["company"]
    saft = tmp_path / "dept1.xml"
    saft.write_bytes(
        export_zreports(
            [zreport_from_wire(r, "1") for r in world.zreports["1"]],
            company_ident=company["org_number"],
            company_name=company["name"],
        )
    )
    registered = duvi("import", "saft", str(saft), "-d", "1", "--no-transfer")
    assert registered.returncode == 0, registered.stderr  # pending is not trouble
    r = duvi("import", "saft", str(saft), "-d", "1")
    assert r.returncode == 1, r.stderr
    assert " held " in r.stdout and "map VAT rate 15 %" in r.stdout  # as `duvi transfers` says


def test_sync_that_leaves_documents_for_a_person_exits_1() -> None:
    sandbox_installation(unmapped_vat=Decimal(15))
    r = duvi("sync", "-d", "1", "-e", "zreports", "--json")
    assert r.returncode == 1, r.stderr
    states = {t["state"] for t in json.loads(r.stdout)["transfers"]}
    assert "attention" in states


def test_sync_says_held_as_duvi_transfers_does() -> None:
    sandbox_installation(unmapped_vat=Decimal(15))
    r = duvi("sync", "-d", "1", "-e", "zreports")
    assert r.returncode == 1, r.stderr
    held = [ln for ln in r.stdout.splitlines() if ln.startswith("DUELL-Z-1-")]
    assert held and all(" held " in ln and " attention " not in ln for ln in held), held


def test_a_department_another_run_holds_exits_7_and_names_it() -> None:
    from core.leases import Leases

    sandbox_installation()
    with Runtime.open(load_settings()) as rt:
        assert Leases(rt.store, "somehost:1").acquire("department:1", ttl=600)
    r = duvi("sync", "-d", "1", "-e", "zreports")
    assert r.returncode == 7, r.stderr
    assert "being worked on by somehost:1" in r.stderr and "Traceback" not in r.stderr
