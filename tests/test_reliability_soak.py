"""The soak: on one database, the runner (`duvi run`, automatic transfer on for all three
departments), two consoles driven by Pilot and `duvi log --follow`, all against one served
sandbox, for SOAK seconds (30 in CI; DUVI_RELIABILITY_FULL=1: 10 minutes). Then: no
"database is locked" reached a person (console notifications and screens, command output,
the event log), `duvi log --follow` printed every event written meanwhile (counted by id),
and memory at the start and end of every process is reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.boot import ensure_sandbox_setup, set_up
from core.config import load_settings
from core.departments import Departments
from core.runtime import Runtime
from core.sandbox.world import sandbox_credentials
from tests.helpers import reliability
from tests.served import free_port, served_env, served_sandbox, store_duell_secrets

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

FULL = os.environ.get("DUVI_RELIABILITY_FULL") == "1"
SOAK = 600.0 if FULL else 30.0
DRIVER = Path(__file__).parent / "helpers" / "console_driver.py"
LOCKED = "database is locked"


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def test_soak_runner_two_consoles_and_log_follow_on_one_database(home: Path) -> None:
    with Runtime.open(load_settings(sandbox=False)) as rt:
        depts = Departments(rt.store, rt.secrets)
        creds = sandbox_credentials(0)
        ensure_sandbox_setup(depts, creds)
        set_up(depts, creds[2])
        for d in depts.list():
            depts.save_settings(d.id, d.settings.model_copy(update={"automatic_transfer": True}))
        store_duell_secrets(rt)
        rt.log.info("soak starts", entity="soak")
        rt.log.flush()
        start_id = rt.log.last_id()

    with served_sandbox("--products", "600", "--customers", "300") as base:
        env = served_env(base, DUVI_SYNC_INTERVAL_MINUTES="1", DUVI_WEBHOOK_PORT=str(free_port()))

        def spawn(*args: str) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

        follower = spawn("-m", "tui.cli", "log", "--follow", "--json", "-n", "1")
        followed: list[int] = []
        reader = threading.Thread(
            target=lambda: [
                followed.append(json.loads(line)["id"]) for line in follower.stdout or []
            ],
            daemon=True,
        )
        reader.start()
        runner = spawn("-m", "tui.cli", "run")
        consoles = [spawn(str(DRIVER), str(SOAK), str(seed)) for seed in (1, 2)]
        time.sleep(2)  # not timing: lets the processes load before their memory is read
        rss_start = {"runner": rss_kb(runner.pid), "log --follow": rss_kb(follower.pid)}
        done = threading.Event()
        runner_samples = [rss_start["runner"]]  # every minute, as the consoles sample theirs

        def sample_runner() -> None:
            while not done.wait(60):
                runner_samples.append(rss_kb(runner.pid))

        threading.Thread(target=sample_runner, daemon=True).start()

        console_results = []
        for c in consoles:
            out, err = c.communicate(timeout=SOAK + 240)
            assert c.returncode == 0, err[-3000:]
            assert "Traceback" not in err, err[-3000:]
            console_results.append(json.loads(out.strip().splitlines()[-1]))
        rss_end = {"runner": rss_kb(runner.pid), "log --follow": rss_kb(follower.pid)}
        done.set()
        runner.send_signal(signal.SIGTERM)
        runner_out, runner_err = runner.communicate(timeout=120)

        with Runtime.open(load_settings(sandbox=False)) as rt:
            written = [
                r["id"]
                for r in rt.store.query(
                    "SELECT id FROM events WHERE id > ? ORDER BY id", [start_id]
                )
            ]
            locked_in_log = rt.store.query(
                "SELECT count(*) AS n FROM events WHERE id > ? AND message LIKE ?",
                [start_id, f"%{LOCKED}%"],
            )[0]["n"]
        deadline = time.monotonic() + 30  # the follower polls twice a second
        while (not followed or followed[-1] < written[-1]) and time.monotonic() < deadline:
            time.sleep(0.1)
        # SIGTERM, not SIGINT: a shell that starts a job in the background (as CI may) has
        # it ignore SIGINT, and Python keeps an ignored SIGINT ignored.
        follower.send_signal(signal.SIGTERM)
        _, follower_err = follower.communicate(timeout=30)

    assert runner.returncode in (0, -signal.SIGTERM), runner_err[-3000:]
    for text in (runner_out, runner_err, follower_err):
        assert LOCKED not in text and "Traceback" not in text
    for r in console_results:
        assert not [n for n in r["notifications"] if LOCKED in n]
        assert r["frames_with_lock_errors"] == 0 and r["presses"] > 20
    assert locked_in_log == 0
    followed_new = [i for i in followed if i > start_id]
    assert len(written) > 50  # the runner and the consoles really worked
    assert followed_new == written  # every event, once, in order

    reliability.record(
        "Soak: runner, two consoles and log --follow on one database",
        f"`duvi run` (all three departments automatic, every minute), two consoles driven by "
        f"Pilot (screens, filters, refreshes, run-now) and `duvi log --follow` against one "
        f"served sandbox for {SOAK:.0f} s"
        + ("" if FULL else " (the CI length; DUVI_RELIABILITY_FULL=1 soaks 10 minutes)")
        + " (tests/test_reliability_soak.py).",
        soak_duration_s=round(SOAK),
        events_written=len(written),
        events_read_by_follow=len(followed_new),
        events_lost=len(set(written) - set(followed_new)),
        database_is_locked_seen=0,
        console_keypresses=sum(r["presses"] for r in console_results),
        console_notifications=sum(len(r["notifications"]) for r in console_results),
        rss_runner_kb=f"{rss_start['runner']:,} → {rss_end['runner']:,}",
        rss_log_follow_kb=f"{rss_start['log --follow']:,} → {rss_end['log --follow']:,}",
        rss_consoles_kb=", ".join(
            f"{r['rss_start_kb']:,} → {r['rss_end_kb']:,}" for r in console_results
        ),
        rss_console_each_minute_kb=" → ".join(
            f"{kb // 1024} MB" for kb in console_results[0]["rss_samples_kb"]
        ),
        rss_runner_each_minute_kb=" → ".join(f"{kb // 1024} MB" for kb in runner_samples),
        console_screen_stack_at_end=max(r["screen_stack"] for r in console_results),
    )
