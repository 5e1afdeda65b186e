"""`duvi departments list|setup` as a user runs them: a real `duvi` process on a fresh data
directory (sandbox mode: the sandbox's departments appear on first use); the refusals through
the same command line in this process (its sandbox is built once, not per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import run
from core.config import load_settings
from core.departments import Departments
from core.runtime import Runtime
from core.sandbox.world import sandbox_credentials

ROOT = Path(__file__).parent.parent
DEPT3 = sandbox_credentials(0)[2]


def duvi(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


class Cli:
    """`duvi` in this process: exit code, stdout and stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys, self.monkeypatch = capsys, monkeypatch

    def setup3(self, *extra: str, stdin: str = "", **env: str) -> tuple[int, str, str]:
        import io

        for key in ("DUVI_VISMA_CLIENT_SECRET", "DUVI_DUELL_CLIENT_TOKEN"):
            self.monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        code = run(
            [
                "departments",
                "setup",
                "3",
                "--visma-client-id",
                DEPT3.visma_client_id,
                "--visma-tenant",
                DEPT3.visma_tenant_id,
                *extra,
            ]
        )
        out = self.capsys.readouterr()
        return code, out.out, out.err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def test_setup_refusals_exit_with_their_code_and_save_nothing(cli: Cli) -> None:
    ok_secret = {"DUVI_VISMA_CLIENT_SECRET": DEPT3.visma_client_secret}
    code, _, err = cli.setup3("--vat", "25=31", **ok_secret)  # the 15 % code for 25 %
    assert code == 3 and "its rate is 15 %" in err and "Traceback" not in err
    code, _, err = cli.setup3("--branch", "9", **ok_secret)
    assert code == 3 and "has no branch '9'" in err
    code, _, err = cli.setup3("--cost-bearer", "1=77", **ok_secret)
    assert code == 3 and "'77' is not an active value of SUBACCOUNT segment 1" in err
    code, _, err = cli.setup3("--cost-bearer", "1", **ok_secret)
    assert code == 2 and "SEGMENT=VALUE" in err
    code, _, err = cli.setup3("--vat", "high=3", **ok_secret)
    assert code == 2 and "RATE=VATID" in err
    code, _, err = cli.setup3()  # no secret given and none saved
    assert code == 3 and "no saved Visma client secret" in err
    assert "DUVI_VISMA_CLIENT_SECRET or on standard input" in err  # how, on the command line
    code, _, err = cli.setup3("--secrets-from-stdin", stdin="wrong\n")
    assert code == 5 and "Visma Connect refused" in err  # checked against Visma
    code, _, err = cli.setup3(
        "--duell-client-number", "1", DUVI_DUELL_CLIENT_TOKEN="x", **ok_secret
    )
    assert code == 3 and "sandbox's own" in err
    with Runtime.open(load_settings()) as rt:
        assert not Departments(rt.store, rt.secrets).is_set_up("3")
        assert not rt.store.query(
            "SELECT 1 FROM audit WHERE department_id = '3' AND action != 'department.add'"
        )


def test_the_secret_from_standard_input_then_kept_when_left_out(cli: Cli) -> None:
    code, _, err = cli.setup3(
        "--cost-bearer", "1=03", "--secrets-from-stdin", stdin=f"{DEPT3.visma_client_secret}\n"
    )
    assert code == 0, err
    code, _, err = cli.setup3()  # the saved secret is kept; no cost bearer this time
    assert code == 0, err
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        saved = depts.credentials("3")
        assert saved is not None and saved[1].get_secret_value() == DEPT3.visma_client_secret
        s = depts.get("3").settings  # type: ignore[union-attr]
        assert s.cost_bearer_value is None and not s.several_departments  # as given


def test_list_on_a_fresh_directory_and_setup_with_the_secret_from_the_environment(
    cli: Cli,
) -> None:
    r = duvi("departments", "list", "--json")
    assert r.returncode == 0, r.stderr
    listed = {d["id"]: d for d in json.loads(r.stdout)}
    assert listed["3"]["set_up"] is False and listed["1"]["set_up"] is True
    assert listed["1"]["cost_bearer"] == {"segment": 1, "value": "01"}
    code, out, err = cli.setup3(
        "--branch",
        "2",
        "--cost-bearer",
        "1=03",
        "--vat",
        "25=3",
        "--vat",
        "15 %=31",
        "--automatic",
        DUVI_VISMA_CLIENT_SECRET=DEPT3.visma_client_secret,
    )
    assert code == 0, err
    assert "set up with Garnbua Trøndelag AS, branch 2, cost bearer 1=03" in out
    r = duvi("departments", "list", "--json")
    three = next(d for d in json.loads(r.stdout) if d["id"] == "3")
    assert three["set_up"] and three["branch"] == "2" and three["several_clients"]
    assert three["cost_bearer"] == {"segment": 1, "value": "03"} and three["automatic"]
    assert three["client_secret"] == "saved"
    assert DEPT3.visma_client_secret not in r.stdout  # never a secret
    text = duvi("departments", "list").stdout
    assert (
        "Trondheim Solsiden" in text
        and "branch 2, cost bearer 1=03 (subaccount 03-100), no item class, automatic" in text
    )
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        assert {str(r): m.visma_vat_id for r, m in depts.vat_mappings("3").items()} == {
            "25": "3",
            "15": "31",
        }
        audit = rt.store.query("SELECT target FROM audit WHERE action = 'department.setup'")
        assert audit == [{"target": "cli"}]


def test_setup_offers_the_item_classes_and_warehouses_and_saves_the_whole_subaccount(
    cli: Cli,
) -> None:
    ok_secret = {"DUVI_VISMA_CLIENT_SECRET": DEPT3.visma_client_secret}
    code, _, err = cli.setup3("--item-class", "NOPE", **ok_secret)
    assert code == 3 and "Garnbua Trøndelag AS has no item class 'NOPE'" in err
    assert "--item-class: VARER Handelsvarer, TJENESTE Tjenester og kurs" in err  # the list
    code, _, err = cli.setup3("--warehouse", "MAIN", **ok_secret)
    assert code == 3 and "has no active warehouse 'MAIN'" in err
    assert "--warehouse: TRH Lager Solsiden" in err and "GAMMEL" not in err  # active ones
    code, _, err = cli.setup3("--warehouse", "GAMMEL", **ok_secret)
    assert code == 3 and "has no active warehouse 'GAMMEL'" in err
    code, _, err = cli.setup3("--warehouse", "TRH", "--no-warehouse", **ok_secret)
    assert code == 2 and "not both" in err
    code, out, err = cli.setup3(
        "--cost-bearer", "1=03", "--item-class", "TJENESTE", "--warehouse", "TRH", **ok_secret
    )
    assert code == 0, err
    # Trøndelag has made 03-100 only: project 100 rather than the default subaccount's 000.
    assert "cost bearer 1=03 (subaccount 03-100), item class TJENESTE, warehouse TRH" in out
    r = duvi("departments", "list", "--json")
    three = next(d for d in json.loads(r.stdout) if d["id"] == "3")
    assert (three["subaccount"], three["item_class"], three["warehouse"]) == (
        "03-100",
        "TJENESTE",
        "TRH",
    )
    code, out, err = cli.setup3("--cost-bearer", "1=03", "--no-warehouse")  # item class kept
    assert code == 0, err
    assert "item class TJENESTE, each item's default warehouse" in out
    with Runtime.open(load_settings()) as rt:
        s = Departments(rt.store, rt.secrets).get("3").settings  # type: ignore[union-attr]
        assert (s.item_class, s.warehouse, s.subaccount_defaults) == ("TJENESTE", None, {2: "100"})


def test_setup_chooses_the_z_source_and_doctor_names_it(cli: Cli, tmp_path: Path) -> None:
    """--zreport-source saft-inbox --inbox DIR: an existing directory, named by setup's line
    and by doctor's zreport.source with when its last file arrived (a warning after
    --stale-hours without one on a department with sales days)."""
    from datetime import UTC, datetime, timedelta

    from core.doctor import Status, zreport_source_check
    from core.ledger import Ledger
    from core.saft_inbox import LAST_FILE

    secret = {"DUVI_VISMA_CLIENT_SECRET": DEPT3.visma_client_secret}
    inbox = tmp_path / "kasse"
    code, _, err = cli.setup3("--zreport-source", "saft-inbox", "--inbox", str(inbox), **secret)
    assert code == 3 and f"the SAF-T inbox {inbox} is not a directory" in err
    code, _, err = cli.setup3("--zreport-source", "saft-inbox", **secret)
    assert code == 3 and "give --inbox DIR" in err
    code, _, err = cli.setup3("--zreport-source", "ftp", **secret)
    assert code == 3 and "choose duell or saft-inbox" in err
    code, out, err = cli.setup3(**secret)
    assert code == 0 and "Z-reports from DUELL (assumed endpoint" in out, err
    inbox.mkdir()
    code, out, err = cli.setup3("--zreport-source", "saft-inbox", "--inbox", str(inbox), **secret)
    assert code == 0, err
    assert f"Z-reports from the SAF-T inbox {inbox}" in out
    with Runtime.open(load_settings()) as rt:
        s = Departments(rt.store, rt.secrets).get("3").settings  # type: ignore[union-attr]
        assert (s.zreport_source, s.inbox_dir) == ("saft-inbox", str(inbox))
        check = zreport_source_check(rt, "3", False, 36)
        assert check.status == Status.OK and check.found.endswith("; no file yet")
        check = zreport_source_check(rt, "3", True, 36)  # sales days, never a file
        assert check.status == Status.WARN and "no file ever (more than 36 h)" in check.found
        ledger = Ledger(rt.store)
        two_days = datetime.now(UTC) - timedelta(hours=48)
        ledger.set_cursor("3", LAST_FILE, two_days.isoformat(timespec="seconds"))
        check = zreport_source_check(rt, "3", True, 36)
        assert check.status == Status.WARN and f"no file since {two_days:%Y-%m-%d %H:%M}" in (
            check.found
        )
        hour = datetime.now(UTC) - timedelta(hours=1)
        ledger.set_cursor("3", LAST_FILE, hour.isoformat(timespec="seconds"))
        check = zreport_source_check(rt, "3", True, 36)
        assert check.status == Status.OK and f"last file {hour:%Y-%m-%d %H:%M} UTC" in check.found
    code, _, err = cli.setup3(**secret)  # left out: kept
    with Runtime.open(load_settings()) as rt:
        s = Departments(rt.store, rt.secrets).get("3").settings  # type: ignore[union-attr]
        assert s.zreport_source == "saft-inbox"


def test_setup_refuses_inventory_change_beside_stock_issues(cli: Cli) -> None:
    """Cost of goods once (issue 19): both on would credit 1460 twice; refused before Visma
    is asked, with exit 3 and the remedy, and nothing is saved."""
    ok_secret = {"DUVI_VISMA_CLIENT_SECRET": DEPT3.visma_client_secret}
    code, _, err = cli.setup3("--inventory-change", "--stock-update", **ok_secret)
    assert code == 3 and "cannot both be on" in err and "turn one off" in err
    assert "Traceback" not in err
    code, _, err = cli.setup3("--stock-update", **ok_secret)
    assert code == 0, err
    code, _, err = cli.setup3("--inventory-change", **ok_secret)  # the saved Lager is on
    assert code == 3 and "cannot both be on" in err
    with Runtime.open(load_settings()) as rt:
        s = Departments(rt.store, rt.secrets).get("3").settings  # type: ignore[union-attr]
        assert (s.inventory_change, s.stock_update) == (False, True)


def test_setup_sets_the_saft_cut_off_hour_and_list_shows_it(cli: Cli) -> None:
    """--cutoff-hour H: the department's SAF-T cut-off (0..23, else exit 3 with one line and
    nothing saved); left out, the saved one is kept; `departments list` shows it."""
    secret = {"DUVI_VISMA_CLIENT_SECRET": DEPT3.visma_client_secret}
    for bad in ("24", "-1"):
        code, _, err = cli.setup3("--cutoff-hour", bad, **secret)
        assert code == 3 and "the cut-off hour must be 0 to 23" in err, err
        assert "Traceback" not in err
    code, _, err = cli.setup3("--cutoff-hour", "3", **secret)
    assert code == 0, err
    code, _, err = cli.setup3(**secret)  # left out: kept
    assert code == 0, err
    with Runtime.open(load_settings()) as rt:
        s = Departments(rt.store, rt.secrets).get("3").settings  # type: ignore[union-attr]
        assert s.saft_cutoff_hour == 3
    assert run(["departments", "list", "--json"]) == 0
    listed = {d["id"]: d for d in json.loads(cli.capsys.readouterr().out)}
    assert (listed["3"]["cutoff_hour"], listed["1"]["cutoff_hour"]) == (3, 5)
    assert run(["departments", "list"]) == 0
    lines = cli.capsys.readouterr().out.splitlines()
    assert "cut-off 03:00" in next(ln for ln in lines if ln.startswith("3 "))
