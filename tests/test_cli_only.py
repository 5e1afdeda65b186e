"""The served sandbox used with the command line only, as a newcomer without the console would:
`duvi sandbox serve`, `duvi departments setup` (secrets on standard input, never in argv),
`duvi departments list --json`, `duvi sync`, `duvi transfers --json`. A live-mode data
directory that starts empty: the department comes from DUELL's own list at setup."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from core.sandbox.world import DUELL_CLIENT_NUMBER, sandbox_credentials
from tests.served import served_env, served_sandbox

DEPT3 = sandbox_credentials(0)[2]


def duvi(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
        env=env,
    )


@pytest.mark.slow
def test_a_department_set_up_and_synced_from_the_command_line_only() -> None:
    with served_sandbox("--products", "300", "--customers", "150") as base:
        env = served_env(base)
        r = duvi(env, "departments", "list", "--json")
        assert r.returncode == 0 and json.loads(r.stdout) == [], r.stderr  # a fresh directory
        r = duvi(
            env,
            "departments",
            "setup",
            "3",
            "--visma-client-id",
            DEPT3.visma_client_id,
            "--visma-tenant",
            DEPT3.visma_tenant_id,
            "--branch",
            "2",
            "--cost-bearer",
            "1=03",
            *("--vat", "25=3", "--vat", "15=31", "--vat", "12=33", "--vat", "0=5"),
            "--duell-client-number",
            DUELL_CLIENT_NUMBER,
            "--secrets-from-stdin",
            stdin=f"{DEPT3.visma_client_secret}\nduell-api-token-0-sandbox\n",
        )
        assert r.returncode == 0, r.stderr
        assert "department 3 is set up with Garnbua Trøndelag AS, branch 2" in r.stdout
        r = duvi(env, "departments", "list", "--json")
        assert r.returncode == 0, r.stderr
        (three,) = json.loads(r.stdout)
        assert (three["id"], three["name"], three["set_up"]) == ("3", "Trondheim Solsiden", True)
        assert three["branch"] == "2" and three["cost_bearer"] == {"segment": 1, "value": "03"}
        assert three["duell_client_number"] == DUELL_CLIENT_NUMBER
        assert "sandbox-secret" not in r.stdout and "duell-api-token" not in r.stdout
        r = duvi(env, "sync", "-d", "3")
        assert r.returncode in (0, 1), r.stderr  # 1: conflicts left for a person
        r = duvi(env, "transfers", "--json", "-d", "3")
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)
        zreports = [t for t in rows if t["kind"] == "zreport"]
        assert zreports and {t["state"] for t in zreports} == {"confirmed"}
        # "Did Tuesday's Z-report arrive, and for how much?": dates and amounts are there.
        for t in zreports:
            date.fromisoformat(t["business_date"])
            assert Decimal(t["amount"]) > 0 and t["z_number"] is not None, t
        month = max(t["business_date"] for t in zreports)[:7]
        r = duvi(env, "calendar", "-d", "3", "--month", month, "--json")
        assert r.returncode == 0, r.stderr
        days = {d["date"]: d["state"] for d in json.loads(r.stdout)["days"]}
        for t in zreports:
            if t["business_date"].startswith(month):
                # confirmed: in Visma, not released (JSON "unreleased"; "posted" once released)
                assert days[t["business_date"]] == "unreleased", (t, days[t["business_date"]])
        # The sync asked DUELL today: an empty day before it had no sales, not "not fetched".
        assert "unfetched" not in days.values(), days
        r = duvi(env, "calendar", "-d", "3", "--month", month)
        assert r.returncode == 0 and "+ in Visma" in r.stdout, r.stderr
        key = zreports[0]["key"]
        r = duvi(env, "transfers", "show", key, "--json")
        assert r.returncode == 0, r.stderr
        shown = json.loads(r.stdout)
        assert shown["key"] == key and shown["lines"] and shown["debit"] == shown["credit"]
