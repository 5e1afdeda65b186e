"""Each doctor check made to fail on the sandbox, with its finding and remedy, and shown ok."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.departments import Departments
from core.doctor import Status, exit_code, run_doctor
from core.ledger import Ledger
from core.service import transfer
from tests.sandbox_fixtures import Installation

ROOT = Path(__file__).parent.parent


async def doctor(inst: Installation, dept: str = "1", **kw) -> dict[str, object]:
    checks = await run_doctor(inst.rt, [dept], connections=inst.connections, **kw)
    return {c.id: c for c in checks}


async def transferred(inst: Installation) -> None:
    await transfer(inst.rt, "1", kinds=("zreport",), connections=inst.connections)


async def test_a_healthy_department_is_ok(installation: Installation) -> None:
    await transferred(installation)
    installation.rt.store.heartbeat("runner")
    checks = await doctor(installation, integrity=True)
    for cid in (
        "duell.login",
        "visma.token",
        "visma.company",
        "visma.rate",
        "clock.Visma",
        "clock.DUELL",
        "zreport.gaps",
        "zreport.stale",
        "transfers.attention",
        "mapping.vat",
        "mapping.accounts",
        "mapping.fallback",
        "masterdata.webhooks",
        "files.modes",
        "runner.alive",
        "db.integrity",
    ):
        assert checks[cid].status == Status.OK, (cid, checks[cid].found)


async def test_a_missing_vat_mapping_and_a_removed_account(installation: Installation) -> None:
    await transferred(installation)
    Departments(installation.rt.store, installation.rt.secrets).set_vat_mapping(
        "1", Decimal(15), None
    )
    del installation.company.accounts["7740"]
    checks = await doctor(installation)
    assert checks["mapping.vat"].status == Status.FAIL
    assert "map VAT rate 15 % to a Visma VAT code" in checks["mapping.vat"].found
    assert checks["mapping.accounts"].status == Status.FAIL
    assert "rounding -> 7740 (missing)" in checks["mapping.accounts"].found
    assert "create or activate" in checks["mapping.accounts"].remedy


async def test_a_rate_mapped_to_a_vat_id_of_another_rate_fails(installation: Installation) -> None:
    # Written straight to the store (as an older setup could): 25 % to the 15 % code (D3).
    Departments(installation.rt.store, installation.rt.secrets).set_vat_mapping(
        "1", Decimal(25), "31"
    )
    check = (await doctor(installation))["mapping.vat"]
    assert check.status == Status.FAIL
    assert "VAT rate 25 % cannot map to Visma VAT id 31: its rate is 15 %" in check.found
    assert "same rate" in check.remedy


async def test_a_branch_or_cost_bearer_without_its_flag_fails(installation: Installation) -> None:
    depts = Departments(installation.rt.store, installation.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings(  # what setup saved before it implied the flags (D2)
        "1",
        dept.settings.model_copy(update={"branch_number": "2", "several_departments": False}),
    )
    check = (await doctor(installation))["visma.company"]
    assert check.status == Status.FAIL
    assert "branch 2 is saved but Flere klienter is off" in check.found
    assert "cost bearer 01 is saved but Flere avdelinger is off" in check.found


async def test_a_skipped_z_number_is_a_lost_settlement(installation: Installation) -> None:
    await transferred(installation)
    with installation.rt.store.write() as db:
        db.execute("DELETE FROM ledger WHERE key IN ('DUELL-Z-1-11', 'DUELL-Z-1-12')")
    check = (await doctor(installation))["zreport.gaps"]
    assert check.status == Status.FAIL and check.records == [11, 12]
    assert "lost settlement" in check.found and "duvi import saft" in check.remedy


async def test_the_firewall_and_a_skewed_clock(installation: Installation) -> None:
    installation.sandbox.date_skew = 900
    checks = await doctor(installation)
    assert checks["clock.Visma"].status == Status.FAIL
    skew = int(checks["clock.Visma"].found.split(" is ")[1].split(" s ")[0])
    assert -901 <= skew <= -899 and "time sync" in checks["clock.Visma"].remedy
    installation.sandbox.duell.state.waf_blocked = True
    checks = await doctor(installation)
    assert checks["duell.firewall"].status == Status.FAIL
    assert "whitelist this host's IP" in checks["duell.firewall"].remedy


async def test_wrong_tenant_licence_and_a_vanished_cost_bearer(installation: Installation) -> None:
    seg = installation.company.dimensions["SUBACCOUNT"]["segments"][0]["segmentValues"]
    seg[:] = [v for v in seg if v["valueId"] != "01"]
    checks = await doctor(installation)
    assert checks["visma.company"].status == Status.FAIL
    assert "cost bearer 01" in checks["visma.company"].found
    installation.company.licensed = False
    checks = await doctor(installation)
    assert checks["visma.licence"].status == Status.FAIL
    assert "no licence" in checks["visma.licence"].remedy
    installation.company.licensed = True
    installation.sandbox.visma.customer_tenants.add(installation.company.tenant_id)
    checks = await doctor(installation)
    assert checks["visma.token"].status == Status.FAIL
    assert "Company tenant id" in checks["visma.token"].remedy


async def test_an_application_lacking_a_scope_duvi_asks_for(installation: Installation) -> None:
    """The Developer Portal's application lacks "update": Connect gives no token (invalid_scope)
    and doctor names the scope, what duvi needs it for and the remedy."""
    from core.sandbox.connect import APP_SCOPES
    from core.sandbox.world import sandbox_credentials

    checks = await doctor(installation)
    assert checks["visma.scopes"].status == Status.OK
    assert checks["visma.scopes"].found == "granted: read, create, update"

    client_id = sandbox_credentials(7)[0].visma_client_id
    connect = installation.sandbox.connect
    connect.granted[client_id] = APP_SCOPES - {"vismanet_erp_service_api:update"}
    connect.revoke_all()  # the kept token goes: doctor asks Connect again
    checks = await doctor(installation)
    scopes = checks["visma.scopes"]
    assert scopes.status == Status.FAIL
    assert scopes.records == ["vismanet_erp_service_api:update"]
    assert scopes.found.startswith(
        "the Visma application is not granted vismanet_erp_service_api:update"
    )
    assert "add vismanet_erp_service_api:update to the application's scopes" in scopes.remedy
    assert 'remove "update" from the visma_scopes setting' in scopes.remedy
    assert checks["visma.token"].status == Status.FAIL


async def test_attention_stale_fallback_and_month_boundary(installation: Installation) -> None:
    ledger = Ledger(installation.rt.store)
    ledger.register(
        "DUELL-Z-1-1",
        "1",
        "zreport",
        "1",
        {
            "department_id": "1",
            "z_number": 1,
            "business_date": "2026-09-30",
            "closed_at": "2026-10-01T00:10:00",
            "sales": [{"rate": "25", "gross": "100"}],
            "payments": [{"type": "stripe", "amount": "100"}],
        },
    )
    ledger.fail("DUELL-Z-1-1", "Branch '9' cannot be found")
    checks = await doctor(installation)
    assert checks["transfers.attention"].status == Status.FAIL
    assert "Branch '9'" in checks["transfers.attention"].found
    assert checks["zreport.stale"].status == Status.WARN
    assert checks["mapping.fallback"].status == Status.WARN
    assert "Z 1: stripe" in checks["mapping.fallback"].found
    assert checks["zreport.month"].status == Status.WARN


async def test_conflicts_unannounced_changes_and_nameless_items(installation: Installation) -> None:
    from core.sync.webhooks import record_unannounced

    record_unannounced(installation.rt.store, "1", "product", None, [("50-10001", "x")])
    checks = await doctor(installation)
    assert checks["masterdata.webhooks"].status == Status.WARN
    assert "the webhook flag is probably off" in checks["masterdata.webhooks"].found
    assert checks["masterdata.nameless"].status == Status.WARN
    assert checks["masterdata.nameless"].records


async def test_local_file_modes_and_a_dead_runner(installation: Installation) -> None:
    secrets = installation.rt.settings.secrets
    os.chmod(secrets, 0o644)
    installation.rt.store.heartbeat("runner")
    with installation.rt.store.write() as db:
        db.execute("UPDATE heartbeats SET ts = '2026-01-01T00:00:00.000Z'")
    checks = await doctor(installation)
    assert checks["files.modes"].status == Status.FAIL
    assert checks["files.modes"].remedy == f"run: chmod 600 {secrets}"
    assert checks["runner.alive"].status == Status.WARN
    assert checks["department.setup"].status == Status.FAIL  # refused, reported, not a crash


def test_exit_codes() -> None:
    from core.doctor import Check

    def c(s: Status) -> Check:
        return Check("x", "x", s, "")

    assert exit_code([c(Status.OK)]) == 0
    assert exit_code([c(Status.OK), c(Status.WARN)]) == 1
    assert exit_code([c(Status.WARN), c(Status.FAIL)]) == 2


async def test_support_bundle_holds_no_secret(
    installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.bundle import build_bundle

    depts = Departments(installation.rt.store, installation.rt.secrets)
    unique = "uNiQuE-sEcReT-4f9a2c71"
    depts.set_credentials("2", "isv_unique_client", SecretStr(unique))
    installation.rt.secrets.set("duell", "client_token", SecretStr("duell-tok-9b1e77aa"))
    installation.rt.settings.webhook_secret = SecretStr("hook-sekret-5d3c11")
    await transferred(installation)
    installation.rt.log.error(f"oops {unique} leaked into a message")  # scrubbed on write
    installation.rt.log.flush()
    checks = [
        c.as_dict()
        for c in await run_doctor(installation.rt, ["1"], connections=installation.connections)
    ]
    out = build_bundle(
        installation.rt,
        tmp_path / "b.tar.gz",
        department_id=None,
        since=timedelta(days=1),
        doctor=checks,
    )
    with tarfile.open(out) as tar:
        blobs = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    assert {
        "duvi-support/doctor.json",
        "duvi-support/events.jsonl",
        "duvi-support/http_calls.jsonl",
        "duvi-support/versions.json",
    } <= set(blobs)
    secrets = [
        unique,
        "duell-tok-9b1e77aa",
        "hook-sekret-5d3c11",
        "sandbox-secret-7-1",
        installation.sandbox.duell.state.client_token,
    ]
    secrets += list(installation.sandbox.connect.tokens)  # every Visma token issued
    for name, blob in blobs.items():
        for secret in secrets:
            assert secret.encode() not in blob, (name, secret[:6])
    assert json.loads(blobs["duvi-support/departments.json"])[1]["credentials"] == {"set": True}
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_audit_command_shows_who_and_from_where(home: Path) -> None:
    from core.config import load_settings
    from core.runtime import Runtime

    with Runtime.open(load_settings()) as rt:
        Departments(rt.store, rt.secrets).add("9", "Test")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "USER": "ola",
        "SSH_CONNECTION": "192.0.2.7 50000 10.0.0.2 22",
    }
    r = subprocess.run(
        [sys.executable, "-m", "tui.cli", "audit", "--json", "--since", "1h"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    rows = json.loads(r.stdout)
    assert rows[-1]["action"] == "department.add"
    r = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--readonly", "sync"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 3 and "read-only mode" in r.stderr
