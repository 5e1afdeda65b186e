"""Alerts: sent through apprise (here its `json://` channel to a local HTTP catcher) once per
change of state, with the remedy and the command that shows more; acknowledged (audited) so
they do not repeat; kept in the store from schema version 11 on."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.alert_states import send_due
from core.cli import run
from core.config import load_settings
from core.departments import Departments
from core.ledger import Ledger, State
from core.runner import Runner
from core.runtime import Runtime
from core.store import Store
from tests.helpers.catcher import catcher
from tests.sandbox_fixtures import Installation

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
async def test_a_failing_day_alerts_once_with_its_remedy_until_its_state_changes(
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rt = installation.rt
    depts = Departments(rt.store, rt.secrets)
    depts.set_vat_mapping("1", Decimal(15), None)  # the days with 15 % sales are held
    runner = Runner(rt, connections=installation.connections)
    with catcher() as inbox:
        rt.settings.alert_urls = SecretStr(inbox.url)
        monkeypatch.setenv("DUVI_ALERT_URLS", inbox.url)  # for the command line's own runtime

        await runner.run_once()
        held = Ledger(rt.store).rows("1", states=(State.ATTENTION,))
        assert held  # the failing days
        got = inbox.take()
        assert len(got) == 1  # one alert, not one per document
        notice = got[0]
        assert notice["title"] == "duvi: department 1: Documents need attention"
        assert notice["type"] == "failure"
        docs = "document" if len(held) == 1 else "documents"
        assert f"{len(held)} {docs} not in Visma: {len(held)} held" in notice["message"]
        assert "VAT 15 % has no Visma VAT id" in notice["message"]
        assert "Remedy: held: map what is named (VAT or account)" in notice["message"]
        assert "More: duvi transfers -d 1 --state held" in notice["message"]
        assert "duvi alerts ack transfers.attention:1" in notice["message"]

        await runner.run_once()  # the same state: nothing
        await runner.run_once()
        assert inbox.take() == []

        later = datetime.now(UTC) + timedelta(hours=25)  # past alert_repeat_hours (24)
        assert [n.title for n in await send_due(rt, later)] == [
            "duvi: department 1: still: Documents need attention"
        ]
        assert len(inbox.take()) == 1

        assert run(["alerts", "list", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(a["id"], a["acknowledged"]) for a in listed] == [("transfers.attention:1", False)]
        assert run(["alerts", "ack", "transfers.attention:1", "--reason", "accountant on it"]) == 0
        audit = rt.store.query("SELECT target, after FROM audit WHERE action = 'alerts.ack'")
        assert [a["target"] for a in audit] == ["transfers.attention:1"]
        assert json.loads(audit[0]["after"])["reason"] == "accountant on it"
        assert await send_due(rt, later + timedelta(hours=25)) == []  # acknowledged: no repeat
        assert inbox.take() == []

        depts.set_vat_mapping("1", Decimal(15), "31")  # fixed: the next round sends them
        await runner.run_once()
        assert {r.state for r in Ledger(rt.store).rows("1", kind="zreport")} == {State.CONFIRMED}
        got = inbox.take()
        assert [(n["title"], n["type"]) for n in got] == [
            ("duvi: department 1: resolved: transfers.attention", "success")
        ]
        await runner.run_once()
        assert inbox.take() == []

        with rt.store.write() as db:  # two settlements lost from the middle of the sequence
            db.execute("DELETE FROM ledger WHERE key IN ('DUELL-Z-1-10', 'DUELL-Z-1-11')")
        await send_due(rt)
        got = inbox.take()
        assert [n["title"] for n in got] == ["duvi: department 1: Z number missing"]
        assert "Z numbers 10, 11 missing" in got[0]["message"]
        assert "More: duvi calendar -d 1" in got[0]["message"]
        await send_due(rt)
        assert inbox.take() == []


async def test_a_department_backing_off_alerts_once_and_a_dead_channel_is_tried_again(
    installation: Installation,
) -> None:
    rt = installation.rt
    rt.settings.retry_base_delay = 0.001
    installation.sandbox.faults.down = True
    now = [1000.0]
    runner = Runner(rt, connections=installation.connections, clock=lambda: now[0])
    with catcher() as inbox:
        rt.settings.alert_urls = SecretStr(inbox.url)
        inbox.status = 500  # the channel refuses: due again next round
        await runner.run_once()
        assert len(inbox.take()) == 1
        rt.log.flush()
        warned = rt.store.query("SELECT message FROM events WHERE level = 30")
        assert any("alert runner.backoff:1 could not be sent" in w["message"] for w in warned)
        inbox.status = 200
        now[0] += 5 * 60
        await runner.run_once()  # backs off again: the same state, the notice still due
        got = inbox.take()
        assert [n["title"] for n in got] == ["duvi: department 1: Automatic transfer backs off"]
        assert "More: duvi doctor -d 1" in got[0]["message"]
        now[0] += 10 * 60
        await runner.run_once()
        assert inbox.take() == []


def test_alerts_test_sends_a_notice_and_says_when_it_cannot(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["alerts", "test"]) == 3  # no channels set up
    assert "set alert_urls" in capsys.readouterr().err
    with catcher() as inbox:
        monkeypatch.setenv("DUVI_ALERT_URLS", f"{inbox.url}, {inbox.url}")
        assert run(["alerts", "test"]) == 0
        got = inbox.take()
        assert [n["title"] for n in got] == ["duvi: test notice"] * 2
        inbox.status = 500
        assert run(["alerts", "test"]) == 5
    monkeypatch.setenv("DUVI_ALERT_URLS", "nosuchscheme://x")
    assert run(["alerts", "test"]) == 3


def test_alert_urls_are_masked_in_config(home: Path) -> None:
    env = {
        **os.environ,
        "DUVI_ALERT_URLS": "json://ola:Sup3rHemmelig@alerts.example/",
        "PYTHONPATH": str(ROOT),
    }
    r = subprocess.run(
        [sys.executable, "-m", "tui.cli", "config", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["alert_urls"]["value"] == "**********"
    assert "Sup3rHemmelig" not in r.stdout


def test_ack_of_an_alert_that_does_not_hold_exits_2(home: Path) -> None:
    assert run(["alerts", "ack", "transfers.attention:1"]) == 2


def test_alert_states_come_with_schema_version_11(tmp_path: Path) -> None:
    path = tmp_path / "duvi.db"
    old = Store(path, migrate=False)
    old.migrate(10)
    with old.write() as db:
        db["departments"].insert({"id": "1", "name": "Bergen", "created_at": "x"})
        db["ledger"].insert(
            {
                "key": "K",
                "department_id": "1",
                "kind": "zreport",
                "state": "failed",
                "source_id": "7",
            }
        )
    old.close()
    with Runtime.open(load_settings(db_path=path)) as rt:  # opening migrates
        assert rt.store.version >= 11  # later versions keep it (12: financial periods)
        assert rt.store.query("SELECT count(*) AS n FROM ledger")[0]["n"] == 1
        rt.settings.alert_urls = None
        asyncio.run(send_due(rt))  # no channels: the state is kept, nothing sent
        states = rt.store.query("SELECT id, sent_at FROM alert_states")
        assert states == [{"id": "transfers.attention:1", "sent_at": None}]


async def test_alert_urls_never_reach_the_support_bundle(
    installation: Installation, tmp_path: Path
) -> None:
    import tarfile

    from core.bundle import build_bundle

    rt = installation.rt
    secret = "Sup3rHemmelig-bundle-1e6f"
    url = f"json://ola:{secret}@127.0.0.1:9/"
    rt.settings.alert_urls = SecretStr(url)
    rt.log.error(f"a channel said no: {url}")  # written before anything knew it as a secret
    rt.log.error(f"login with {secret} refused")  # the password alone, too
    rt.log.flush()
    out = build_bundle(
        rt, tmp_path / "b.tar.gz", department_id=None, since=timedelta(days=1), doctor=[]
    )
    with tarfile.open(out) as tar:
        blobs = [tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()]  # type: ignore[union-attr]
    assert blobs and not any(secret.encode() in b for b in blobs)


async def test_a_silent_webhook_alerts_again_only_when_what_it_missed_changes(
    installation: Installation,
) -> None:
    rt = installation.rt

    def unannounced(visma_id: str) -> None:  # as delta polling records a change with no webhook
        with rt.store.write() as db:
            db["unannounced"].insert(
                {"department_id": "1", "entity": "product", "visma_id": visma_id, "found_at": "x"}
            )

    with catcher() as inbox:
        rt.settings.alert_urls = SecretStr(inbox.url)
        unannounced("ITEM-1")
        await send_due(rt)
        got = inbox.take()
        assert [n["title"] for n in got] == ["duvi: department 1: Webhook silent about changes"]
        assert "1 item changed in Visma without a webhook notification" in got[0]["message"]
        assert "More: duvi doctor webhooks -d 1" in got[0]["message"]
        await send_due(rt)
        assert inbox.take() == []
        unannounced("ITEM-2")  # another record missed: a new state
        await send_due(rt)
        got = inbox.take()
        assert len(got) == 1 and "2 items changed" in got[0]["message"]


async def test_a_refused_notice_is_logged_in_english_whatever_the_language(
    installation: Installation,
) -> None:
    """The event log keeps one language: a channel's refusal, said to a person in Norwegian
    (`duvi alerts test`), is logged in English (core/i18n.py: said() and english())."""
    from core.i18n import set_language

    rt = installation.rt
    rt.settings.retry_base_delay = 0.001
    installation.sandbox.faults.down = True
    runner = Runner(rt, connections=installation.connections, clock=lambda: 1000.0)
    set_language("nb")
    try:
        with catcher() as inbox:
            rt.settings.alert_urls = SecretStr(inbox.url)
            inbox.status = 500
            await runner.run_once()
            assert len(inbox.take()) == 1
    finally:
        set_language("en")
    rt.log.flush()
    warned = [
        w["message"]
        for w in rt.store.query("SELECT message FROM events WHERE level = 30")
        if w["message"].startswith("alert runner.backoff:1 ")
    ]
    assert len(warned) == 1
    assert warned[0].startswith(
        "alert runner.backoff:1 could not be sent: an alert channel did not take the notice '"
    )
    assert warned[0].endswith("'; tried again next round")


def test_alerts_test_without_channels_says_so_in_the_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    assert run(["alerts", "test"]) == 3
    assert capsys.readouterr().err == (
        "duvi: feil: ingen varslingskanaler er satt opp\n"
        "  → sett alert_urls (DUVI_ALERT_URLS) til én eller flere apprise-URL-er, f.eks. "
        "mailtos://bruker:passord@example.com eller slack://TOKEN_A/TOKEN_B/TOKEN_C\n"
    )
    from core.i18n import set_language

    set_language("en")
