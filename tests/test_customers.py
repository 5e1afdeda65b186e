"""Issue 21, item 3: many DUELL customers in one installation. Departments are grouped by
customer (DUELL client) and Visma company; the secrets file keeps what a customer's
departments share once (customer:<id>), still reading department sections first (a file from
before customers reads as it did, and consolidating it loses nothing); doctor and the support
bundle take --customer; `departments list` shows the customer and company columns."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.cli import run
from core.config import load_settings
from core.departments import Departments
from core.models import DepartmentSettings
from core.runtime import Runtime
from core.secrets import SecretsFile

EXIT_CONFIG = 3

# A secrets file from before customers: departments 1 and 2 share one Visma integration
# client (the same id and secret), department 3 has the same id but its own secret, and
# department 4 (another customer) its own client; the installation's DUELL account.
OLD_FILE = {
    "duell": {"client_number": "100234", "client_token": "tok-duell"},
    "1": {"visma_client_id": "isv_garnbua", "visma_client_secret": "s-shared"},
    "2": {"visma_client_id": "isv_garnbua", "visma_client_secret": "s-shared"},
    "3": {"visma_client_id": "isv_garnbua", "visma_client_secret": "s-three"},
    "4": {"visma_client_id": "isv_strikk", "visma_client_secret": "s-four"},
}


def write_old(path: Path) -> SecretsFile:
    path.write_text(json.dumps(OLD_FILE))
    os.chmod(path, 0o600)
    return SecretsFile(path)


def test_consolidating_keeps_once_what_a_customers_departments_share(tmp_path: Path) -> None:
    secrets = write_old(tmp_path / "secrets.json")
    moved = secrets.consolidate({"100234": ["1", "2"], "200001": ["4"]})
    assert moved == [
        "customer:100234/visma_client_id",
        "customer:100234/visma_client_secret",
        "customer:200001/visma_client_id",
        "customer:200001/visma_client_secret",
    ]
    assert json.loads((tmp_path / "secrets.json").read_text()) == {
        "duell": {"client_number": "100234", "client_token": "tok-duell"},
        "3": {"visma_client_id": "isv_garnbua", "visma_client_secret": "s-three"},
        "customer:100234": {"visma_client_id": "isv_garnbua", "visma_client_secret": "s-shared"},
        "customer:200001": {"visma_client_id": "isv_strikk", "visma_client_secret": "s-four"},
    }


def test_a_value_that_differs_stays_with_its_department(tmp_path: Path) -> None:
    """Department 3 shares the client id with 1 and 2 but not the secret: the id is kept once,
    each secret stays where it was."""
    secrets = write_old(tmp_path / "secrets.json")
    assert secrets.consolidate({"100234": ["1", "2", "3"]}) == ["customer:100234/visma_client_id"]
    data = json.loads((tmp_path / "secrets.json").read_text())
    assert data["customer:100234"] == {"visma_client_id": "isv_garnbua"}
    assert data["1"] == {"visma_client_secret": "s-shared"}
    assert data["3"] == {"visma_client_secret": "s-three"}
    assert sorted(set(secrets.all_values())) == sorted(
        {"100234", "tok-duell", "isv_garnbua", "s-shared", "s-three", "isv_strikk", "s-four"}
    )


def test_migrating_an_old_file_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each department reads the credentials it read before the file was consolidated."""
    monkeypatch.setenv("DUVI_SANDBOX", "false")
    with Runtime.open(load_settings()) as rt:
        secrets = write_old(rt.settings.secrets)
        depts = Departments(rt.store, secrets)
        for d, tenant in (("1", "t-a"), ("2", "t-a"), ("3", "t-b"), ("4", "t-c")):
            depts.add(d, f"Butikk {d}")
            depts.save_settings(d, DepartmentSettings(visma_tenant_id=tenant))
        before = {d: depts.credentials(d) for d in "1234"}
        assert before["3"] == ("isv_garnbua", SecretStr("s-three"))
        depts.set_customer(["1", "2", "3"], "100234", "Garnbua AS")
        depts.set_customer(["4"], "200001", "Strikkestua AS")
        assert {d: depts.credentials(d) for d in "1234"} == before
        assert all(depts.is_set_up(d) for d in "1234")
        # No customer has a DUELL account of its own: the installation's serves them all.
        assert depts.duell_account("1") == ("100234", SecretStr("tok-duell"))
        secrets.set("customer:200001", "client_number", SecretStr("200001"))
        secrets.set("customer:200001", "client_token", SecretStr("tok-strikk"))
        assert depts.duell_account("4") == ("200001", SecretStr("tok-strikk"))
        assert depts.duell_account("1") == ("100234", SecretStr("tok-duell"))
        assert [d.id for d in depts.customers()["100234"]] == ["1", "2", "3"]


def test_a_customers_visma_client_is_saved_once_and_another_is_a_departments_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUVI_SANDBOX", "false")
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        for d in ("1", "2"):
            depts.add(d, f"Butikk {d}")
        depts.set_customer(["1", "2"], "100234", "Garnbua AS")
        depts.set_credentials("1", "isv_new", SecretStr("s-new"))
        assert depts.credentials("2") == ("isv_new", SecretStr("s-new"))
        assert rt.secrets.names("1") == [] and rt.secrets.names("customer:100234") == [
            "visma_client_id",
            "visma_client_secret",
        ]
        # Another client for one department is its own: it changes no other department's.
        depts.set_credentials("2", "isv_other", SecretStr("s-other"))
        assert depts.credentials("1") == ("isv_new", SecretStr("s-new"))
        assert depts.credentials("2") == ("isv_other", SecretStr("s-other"))
        depts.set_credentials("1", "isv_new", SecretStr("s-rotated"))  # the shared one's
        assert rt.secrets.get("customer:100234", "visma_client_secret") == SecretStr("s-rotated")
        assert depts.credentials("2") == ("isv_other", SecretStr("s-other"))


def assign(capsys: pytest.CaptureFixture[str]) -> None:
    """The sandbox installation's departments 1 and 2 under one customer, 3 under another."""
    assert run(["departments", "customer", "1", "2", "--id", "100234", "--name", "Garnbua AS"]) == 0
    assert "customer 100234: departments 1, 2" in capsys.readouterr().out
    assert run(["departments", "customer", "3", "--id", "100777", "--name", "Trøndelag AS"]) == 0
    capsys.readouterr()


def test_departments_list_shows_the_customer_and_company(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assign(capsys)
    assert run(["departments", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    one = next(ln for ln in lines if ln.startswith("1 "))
    assert one.split()[:5] == ["1", "Garnbua", "AS", "Oslo", "sentrum"]
    assert "Garnbua AS (5c7e1a2b-0d4f-4b8e-9a61-3f2d8c9e0a11)" in one
    three = next(ln for ln in lines if ln.startswith("3 "))
    assert three.split()[:3] == ["3", "Trøndelag", "AS"] and three.endswith("not set up")
    assert run(["departments", "list", "--json"]) == 0
    listed = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    assert (listed["2"]["customer"], listed["2"]["customer_name"]) == ("100234", "Garnbua AS")


def test_doctor_for_one_customer_checks_its_departments_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assign(capsys)
    run(["doctor", "--customer", "100777", "--json"])
    checked = {c["department_id"] for c in json.loads(capsys.readouterr().out)}
    assert checked - {None} == {"3"}
    assert run(["doctor", "--customer", "999"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "no customer '999'" in err and "100234, 100777" in err


def test_the_support_bundle_of_one_customer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assign(capsys)
    out = tmp_path / "b.tar.gz"
    assert run(["support-bundle", "--customer", "100234", "--out", str(out)]) == 0
    with tarfile.open(out) as tar:
        member = tar.extractfile("duvi-support/departments.json")
        assert member is not None
        departments = json.loads(member.read())
        doctor = tar.extractfile("duvi-support/doctor.json")
        assert doctor is not None
        checked = {c["department_id"] for c in json.loads(doctor.read())}
    assert [d["id"] for d in departments] == ["1", "2"]
    assert checked - {None} == {"1", "2"}


def test_a_customers_duell_account_marks_a_live_installation(tmp_path: Path) -> None:
    """The mode check's sign of a live database: a DUELL account, the installation's or (now)
    a customer's."""
    secrets = SecretsFile(tmp_path / "secrets.json")
    assert not secrets.holds_duell_account()
    secrets.set("customer:200001", "client_number", SecretStr("200001"))
    assert secrets.holds_duell_account()
