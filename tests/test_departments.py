"""Departments in the store, and the sandbox's first start."""

from __future__ import annotations

import json
import stat
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from core.boot import ensure_sandbox_setup
from core.config import load_settings
from core.departments import DEFAULT_ACCOUNTS, Departments
from core.models import DepartmentSettings, Master
from core.runtime import Runtime
from core.sandbox.world import COMPANY_TENANT, sandbox_credentials


def test_sandbox_first_start_sets_up_two_of_three(home: Path) -> None:
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        assert ensure_sandbox_setup(depts, sandbox_credentials()) is True
        assert ensure_sandbox_setup(depts, sandbox_credentials()) is False  # once only
        assert [d.id for d in depts.list()] == ["1", "2", "3"]
        assert [depts.is_set_up(d) for d in ("1", "2", "3")] == [True, True, False]
        one = depts.get("1")
        assert one is not None and one.settings.visma_tenant_id == COMPANY_TENANT
        assert depts.vat_mappings("1")[Decimal(25)].visma_vat_id == "3"
        assert depts.vat_mappings("1")[Decimal(25)].saft_code == "3"
        assert depts.vat_mappings("3") == {}
    secrets = home / "secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    db = b"".join(p.read_bytes() for p in home.glob("duvi.db*"))
    assert b"sandbox-secret-0-1" not in db  # credentials live in the secrets file only


def test_settings_vat_and_accounts_are_audited(home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "kari")
    monkeypatch.setenv("SSH_CONNECTION", "10.1.2.3 52311 10.0.0.5 22")
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        depts.add("7", "Tromsø")
        depts.save_settings("7", DepartmentSettings(customer_master=Master.VISMA))
        depts.set_vat_mapping("7", Decimal("15.00"), "31")
        depts.set_vat_mapping("7", Decimal("15"), None)
        depts.set_account("7", "rounding", "7741")
        depts.set_credentials("7", "isv_x", SecretStr("hemmelig-123456"))
        assert depts.account_map("7")["rounding"] == "7741"
        assert depts.account_map("7")["payment:cash"] == DEFAULT_ACCOUNTS["payment:cash"]
        assert depts.vat_mappings("7") == {}
        rows = rt.store.query("SELECT * FROM audit WHERE department_id = '7' ORDER BY id")
    actions = [r["action"] for r in rows]
    assert actions == [
        "department.add",
        "settings.save",
        "vat_mapping.set",
        "vat_mapping.set",
        "account_map.set",
        "credentials.set",
    ]
    assert all(r["actor"] == "kari" and r["ssh_client"] == "10.1.2.3" for r in rows)
    vat_set, vat_cleared = rows[2], rows[3]
    assert json.loads(vat_set["after"]) == "31" and vat_set["target"] == "15 %"
    assert json.loads(vat_cleared["before"]) == "31" and vat_cleared["after"] is None
    assert "hemmelig" not in json.dumps(rows)


def test_has_any_reads_past_unreadable_departments(home: Path) -> None:
    """has_any reads the departments a few at a time (each command's start asks it): the first
    readable one counts wherever it is, unreadable ones never do."""
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        assert depts.has_any() is False
        for n in range(1, 81):
            depts.add(f"d{n:02d}", f"Butikk {n}")
        with rt.store.write():
            rt.store.conn.execute(
                "INSERT OR REPLACE INTO department_settings (department_id, settings) "
                "SELECT id, '{bad' FROM departments"
            )
        assert depts.list() == []
        assert depts.has_any() is False
        with rt.store.write():  # the 75th, in the third batch read (8, 64, then 512)
            rt.store.conn.execute(
                "UPDATE department_settings SET settings = '{}' WHERE department_id = 'd75'"
            )
        assert [d.id for d in depts.list()] == ["d75"]
        assert depts.has_any() is True
