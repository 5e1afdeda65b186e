"""The command line at par with the console, as a user runs it (a real `duvi` process per
command, on a fresh data directory in sandbox mode): every command works from the first one,
the log answers per run and says when a filter names nothing, conflicts show decided ones and
refuse what a merge cannot do."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.test_cli import duvi


def events(home: Path) -> list[tuple[int | None, str | None]]:
    with sqlite3.connect(home / "duvi.db") as db:
        return list(db.execute("SELECT run_id, department_id FROM events ORDER BY id"))


def test_a_fresh_home_syncs_and_doctor_sees_the_sandbox_departments(home: Path) -> None:
    """No console first: the first command creates the sandbox's departments."""
    r = duvi("sync", "-d", "1", "-e", "zreports", "--json")
    assert r.returncode in (0, 1), r.stderr
    states = {t["state"] for t in json.loads(r.stdout)["transfers"]}
    assert "confirmed" in states
    r = duvi("doctor", "--json", "-d", "2")
    assert r.returncode in (0, 1), r.stderr
    assert {c["department_id"] for c in json.loads(r.stdout)} >= {"2"}


def test_readme_s_import_saft_works_on_a_fresh_home(tmp_path: Path) -> None:
    saft = tmp_path / "dept1.xml"
    assert duvi("sandbox", "saft", "--dept", "1", "--out", str(saft)).returncode == 0
    r = duvi("import", "saft", str(saft), "-d", "1", "--json")
    assert r.returncode in (0, 1), r.stderr
    rows = json.loads(r.stdout)
    assert rows and all(row["key"].startswith("DUELL-Z-1-") for row in rows)
    assert "confirmed" in {row["state"] for row in rows}


def test_log_run_shows_exactly_each_run_s_events(home: Path) -> None:
    for entity in ("zreports", "invoices"):
        r = duvi("sync", "-d", "1", "-e", entity)
        assert r.returncode in (0, 1), r.stderr
    rows = events(home)
    runs = sorted({run for run, dept in rows if dept == "1"})
    assert len(runs) == 2 and None not in runs  # every event of a run carries its id
    for run in runs:
        r = duvi("log", "--run", str(run), "--json", "-n", "100000")
        assert r.returncode == 0, r.stderr
        shown = [json.loads(line) for line in r.stdout.splitlines()]
        assert {e["run_id"] for e in shown} == {run}
        assert len(shown) == sum(1 for got, _ in rows if got == run)
        assert f"run {run} " in duvi("log", "--run", str(run), "-n", "1").stdout


def test_log_filters_that_name_nothing_say_so_in_one_line() -> None:
    assert duvi("log", "-d", "1").returncode == 0  # the sandbox departments exist
    r = duvi("log", "-e", "foo")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no entity 'foo'" in r.stderr
    assert "zreport" in r.stderr and "Traceback" not in r.stderr
    r = duvi("log", "-d", "9")
    assert r.returncode == 3
    assert r.stderr.strip() == "duvi: error: there is no department '9' (known: 1, 2, 3)"
    r = duvi("log", "--run", "4")
    assert r.returncode == 2 and "there is no run 4" in r.stderr
    r = duvi("doctor", "-d", "9")  # as every command says it
    assert r.returncode == 3
    assert r.stderr.strip() == "duvi: error: there is no department '9' (known: 1, 2, 3)"
    assert duvi("log", "-e", "zreports").returncode == 0  # the plural is the same entity


def test_conflicts_list_all_shows_decided_ones_and_merge_refuses_unknown_fields() -> None:
    from core.boot import open_runtime
    from core.config import load_settings
    from core.conflicts import Conflicts

    with open_runtime(load_settings()) as rt:  # what a customer sync leaves for a person
        c = Conflicts(rt.store).raise_conflict(
            "1",
            "customer",
            "duell",
            "11",
            {"name": "Knudsen AS", "orgnr": "912345678", "zip": "0150"},
            [{"id": "20011", "name": "Knudsen AS"}, {"id": "20865", "name": "Knudsen AS"}],
            "orgnr",
        )
    candidate = "20011"

    r = duvi("conflicts", "resolve", str(c.id), "--merge", candidate, "--field", "foo=bar")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no field 'foo'" in r.stderr
    assert "name, orgnr, phone, email, address, zip, city" in r.stderr
    r = duvi("conflicts", "resolve", str(c.id), "--merge", candidate, "--field", "zip=0150")
    assert r.returncode == 0, r.stderr

    listed = duvi("conflicts", "list", "-d", "1").stdout
    assert f"#{c.id} " not in listed
    every = duvi("conflicts", "list", "-d", "1", "--all").stdout
    line = next(x for x in every.splitlines() if x.startswith(f"#{c.id} "))
    assert f"[resolved: merge {candidate} zip=0150, " in line and " by " in line
    with open_runtime(load_settings()) as rt:
        decided = Conflicts(rt.store).list("1", state=None)
    assert [(x.state, bool(x.resolved_by), bool(x.resolved_at)) for x in decided] == [
        ("resolved", True, True)
    ]
