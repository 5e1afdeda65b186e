"""One worker per department, provably (issue 20, findings D1 and D2 of
docs/findings/2026-12-red.md): every path that sends or changes master data holds the
department's lease; the lease is renewed while its holder works and never taken from a live
holder on this host; ledger transitions are compare-and-set under the lease's generation.

The two-process cases follow the finding's repros (shared/tools/red: a `duvi sync` against
`duvi sandbox serve --latency … --fault-paths /visma/v2/journaltransaction`, a second command
started once the first is sending), with a smaller world and the first process's progress
read from the database instead of `sleep 4`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.boot import ensure_sandbox_setup
from core.config import load_settings
from core.departments import Departments
from core.errors import DepartmentBusy
from core.leases import LeaseLost, Leases
from core.ledger import Ledger, State
from core.runtime import Runtime
from core.sandbox.world import COMPANY_TENANT, sandbox_credentials
from core.visma.auth import VismaCredentials
from core.visma.client import open_visma
from tests.helpers import reliability
from tests.sandbox_fixtures import FAST_RETRY
from tests.served import free_port, served_env, served_sandbox, store_duell_secrets

SMALL = ("--products", "300", "--customers", "300")
SLOW_JOURNALS = ("--latency", "0.25", "--fault-paths", "/visma/v2/journaltransaction")
LEASE = "department:1"


def set_up() -> None:
    """Departments as setup leaves them, for the served sandbox (as tests/test_crash.py)."""
    with Runtime.open(load_settings(sandbox=False)) as rt:
        ensure_sandbox_setup(Departments(rt.store, rt.secrets), sandbox_credentials(0))
        store_duell_secrets(rt)


def duvi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r


def start_sync(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "sync", "-d", "1", "-e", "zreports"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(what: str, proc: subprocess.Popen[str], done: Callable[[Runtime], bool]) -> None:
    """Bounded wait on the database (read in WAL, beside the writer) while `proc` runs."""
    deadline = time.monotonic() + 240  # a bound for a loaded machine, not a timing
    with Runtime.open(load_settings(sandbox=False)) as rt:
        while not done(rt):
            assert proc.poll() is None, f"the sync ended before {what}: {proc.communicate()}"
            assert time.monotonic() < deadline, f"no {what} within 240 s"
            time.sleep(0.05)


@contextlib.contextmanager
def paused_outside_a_write(proc: subprocess.Popen[str]) -> Iterator[None]:
    """SIGSTOP `proc` at an instant it holds no write transaction (the test takes the write
    lock first: `proc` is then idle or waiting for it), SIGCONT after the block."""
    db = sqlite3.connect(load_settings(sandbox=False).db_path, timeout=60, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        os.kill(proc.pid, signal.SIGSTOP)
        db.execute("ROLLBACK")
    finally:
        db.close()
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def sending(rt: Runtime) -> bool:
    """The first process holds the lease and has begun to POST Z-reports."""
    rows = Ledger(rt.store).rows("1", kind="zreport", states=(State.SENT, State.CONFIRMED))
    return len(rows) >= 2


def batches_per_zreport(base: str) -> Counter[str]:
    async def count() -> Counter[str]:
        creds = sandbox_credentials(0)[0]
        visma = open_visma(
            VismaCredentials(
                creds.visma_client_id, SecretStr(creds.visma_client_secret), COMPANY_TENANT
            ),
            visma_url=f"{base}/visma",
            connect_url=f"{base}/connect",
            settings=load_settings(sandbox=False),
            retry=FAST_RETRY,
        )
        found: Counter[str] = Counter()
        try:
            with Runtime.open(load_settings(sandbox=False)) as rt:
                rows = Ledger(rt.store).rows("1", kind="zreport")
            periods = {r.payload["business_date"][:7].replace("-", "") for r in rows}
            for period in sorted(periods):
                async for b in visma.list_journals(period=period):
                    key = (b.description or "").split()[0] if b.description else "?"
                    if key.startswith("DUELL-Z-1-"):
                        found[key] += 1
        finally:
            await visma.aclose()
        return found

    return asyncio.run(count())


def zreport_keys() -> set[str]:
    with Runtime.open(load_settings(sandbox=False)) as rt:
        return {r.key for r in Ledger(rt.store).rows("1", kind="zreport")}


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, str]]]:
    with served_sandbox(*SMALL, *SLOW_JOURNALS) as base:
        set_up()
        yield base, served_env(base)


# -- (a) D1: `duvi import saft` beside a running `duvi sync` -----------------------------------


@pytest.mark.slow
def test_import_saft_beside_a_running_sync_is_refused_and_each_z_is_posted_once(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, env = served
    saft = tmp_path / "d1.xml"
    r = duvi(env, "sandbox", "saft", "--dept", "1", "--out", str(saft), *SMALL)
    assert r.returncode == 0, r.stderr

    first = start_sync(env)
    wait_for("Z-report sent", first, sending)
    # The sync is paused while the import runs, so the import meets it at work however
    # loaded the machine (unpaused, a slow start of the import could find the sync done).
    # Paused outside a write: the test holds the write lock while it stops the sync.
    with paused_outside_a_write(first):
        second = duvi(env, "import", "saft", str(saft), "-d", "1")
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err

    assert second.returncode == 7, second.stdout + second.stderr
    assert f"being worked on by {socket.gethostname()}:{first.pid}" in second.stderr
    found = batches_per_zreport(base)
    assert found and set(found.values()) == {1}, {k: n for k, n in found.items() if n > 1}
    assert set(found) == zreport_keys()  # none lost either
    reliability.record(
        "Attacks: D1, `duvi import saft` beside a running `duvi sync`",
        "Two processes against `duvi sandbox serve` (slow journal POSTs): a `duvi sync -d 1 "
        "-e zreports`, and once it is posting, `duvi import saft` of the same department's "
        "month (tests/test_attacks_lease.py). The import is refused (exit 7, the holder "
        "named); Visma's batches counted per key afterwards. Before the fix: 51 batches for "
        "30 Z-reports.",
        processes=2,
        import_exit_code=second.returncode,
        z_reports=len(zreport_keys()),
        batches=sum(found.values()),
        duplicates=sum(n - 1 for n in found.values()),
        losses=len(zreport_keys() - set(found)),
    )


# -- (b) D2: a lease that expires while its holder works ---------------------------------------


@pytest.mark.slow
def test_an_expired_lease_of_a_live_holder_is_renewed_and_never_taken(
    served: tuple[str, dict[str, str]],
) -> None:
    """The finding's 905 s (or faketime +16 min) overrun, made at once: the running sync's
    lease is set to have expired, as a second process with its clock ahead sees it."""
    base, env = served
    first = start_sync(env)
    wait_for("Z-report sent", first, sending)
    past = (datetime.now(UTC) - timedelta(minutes=16)).isoformat().replace("+00:00", "Z")
    # The first is held while the second starts: on a loaded machine it could otherwise
    # finish (and let go of its lease) before the second, which takes seconds to import,
    # looks at it. Stopped, it is as alive as a holder that is slow.
    with paused_outside_a_write(first):
        with Runtime.open(load_settings(sandbox=False)) as rt, rt.store.write():
            rt.store.conn.execute("UPDATE leases SET expires_at = ? WHERE name = ?", [past, LEASE])
        second = duvi(env, "sync", "-d", "1", "-e", "zreports")
    assert second.returncode == 7, second.stdout + second.stderr
    assert f"being worked on by {socket.gethostname()}:{first.pid}" in second.stderr

    def renewed(rt: Runtime) -> bool:
        row = rt.store.query("SELECT expires_at FROM leases WHERE name = ?", [LEASE])[0]
        return bool(row["expires_at"] > datetime.now(UTC).isoformat())

    wait_for("renewal of the lease", first, renewed)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    found = batches_per_zreport(base)
    assert found and set(found.values()) == {1}, {k: n for k, n in found.items() if n > 1}
    assert set(found) == zreport_keys()
    reliability.record(
        "Attacks: D2, a lease that expires while its holder works",
        "A `duvi sync` posting against `duvi sandbox serve` (slow journal POSTs) has its lease "
        "set 16 minutes into the past (the finding's 905 s overrun, or faketime +16 min); a "
        "second `duvi sync` is started (tests/test_attacks_lease.py). It is refused (exit 7), "
        "the first renews its lease and finishes; Visma's batches counted per key. Before the "
        "fix: Z 1126-1129 posted twice.",
        processes=2,
        second_exit_code=second.returncode,
        z_reports=len(zreport_keys()),
        batches=sum(found.values()),
        duplicates=sum(n - 1 for n in found.values()),
        losses=len(zreport_keys() - set(found)),
    )


async def test_a_held_lease_is_renewed_while_its_block_runs(home: Path) -> None:
    """The heartbeat: with a 0.3 s time to live, the block outlives many of them, and another
    host (whose expiry is trusted) is refused all along."""
    with Runtime.open(load_settings()) as rt:
        leases = Leases(rt.store)
        other_host = Leases(rt.store, "otherhost:4242")
        async with leases.hold(LEASE, ttl=0.3) as lease:
            first = rt.store.query("SELECT expires_at FROM leases WHERE name = ?", [LEASE])[0]
            deadline = time.monotonic() + 30
            renewals = 0
            last = first["expires_at"]
            while renewals < 3:  # three beats: the block has outlived its first time to live
                assert time.monotonic() < deadline, "the lease was not renewed"
                await asyncio.sleep(0.02)
                now = rt.store.query("SELECT expires_at FROM leases WHERE name = ?", [LEASE])
                if now[0]["expires_at"] != last:
                    renewals, last = renewals + 1, now[0]["expires_at"]
                assert other_host.acquire(LEASE, ttl=600) is None
            assert Leases(rt.store, "x:1").holder_of(LEASE) == lease.holder
        assert leases.holder_of(LEASE) is None  # released at the end of the block
        assert other_host.acquire(LEASE, ttl=600) is not None


def test_a_live_holder_on_this_host_is_never_taken_whatever_the_clock(home: Path) -> None:
    """faketime's shape: the second worker's clock is 16 minutes ahead of a 15-minute lease."""
    with Runtime.open(load_settings()) as rt:
        mine = Leases(rt.store)  # this process: alive
        assert mine.acquire(LEASE, ttl=900)
        ahead = Leases(
            rt.store,
            f"{socket.gethostname()}:{os.getppid()}",
            clock=lambda: datetime.now(UTC) + timedelta(minutes=16),
        )
        assert ahead.acquire(LEASE, ttl=900) is None
        assert ahead.holder_of(LEASE) == mine.holder
        # Another host's expired lease is free: its holder cannot be asked whether it lives.
        mine.release(LEASE)
        assert Leases(rt.store, "otherhost:1").acquire(LEASE, ttl=900)
        assert ahead.acquire(LEASE, ttl=900)


def test_an_expired_lease_whose_process_id_was_reused_is_free(home: Path) -> None:
    """A holder killed long ago whose process id now belongs to a newer process: that process
    started after the lease was taken, so it is not the holder."""
    newer = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        host = socket.gethostname()
        with Runtime.open(load_settings()) as rt:
            for acquired, free in ((timedelta(hours=2), True), (timedelta(0), False)):
                at = datetime.now(UTC) - acquired
                with rt.store.write():
                    rt.store.conn.execute(
                        "INSERT OR REPLACE INTO leases (name, holder, acquired_at, expires_at, "
                        "generation) VALUES (?, ?, ?, ?, 1)",
                        [
                            LEASE,
                            f"{host}:{newer.pid}",
                            at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                            "2000-01-01T00:00:00.000Z",  # expired: the holder stalled or died
                        ],
                    )
                got = Leases(rt.store).acquire(LEASE, ttl=900)
                assert (got is not None) is free, (acquired, got)
    finally:
        newer.communicate(b"")


def test_a_second_worker_in_the_same_process_is_refused(home: Path) -> None:
    """The console runs its actions in worker threads of one process: one holder name."""
    with Runtime.open(load_settings()) as rt:
        assert Leases(rt.store).acquire(LEASE, ttl=900)
        assert Leases(rt.store).acquire(LEASE, ttl=900) is None


# -- (c) the fence: a worker that lost the lease cannot mark ----------------------------------


def test_a_stale_fence_cannot_mark_sent_and_two_readers_send_once(home: Path) -> None:
    with Runtime.open(load_settings()) as rt:
        ledger = Ledger(rt.store)
        key = "DUELL-Z-1-1109"
        assert ledger.register(key, "1", "zreport", "1109", {"z_number": 1109})
        read = ledger.get(key)
        assert read is not None and read.state == State.PENDING

        # Worker A's lease ran out on another host's terms and worker B took the department.
        a = Leases(rt.store, "hosta:1").acquire(LEASE, ttl=-1)
        b = Leases(rt.store, "hostb:1").acquire(LEASE, ttl=900)
        assert a is not None and b is not None and b.generation == a.generation + 1

        with pytest.raises(LeaseLost, match="taken over by hostb:1") as lost:
            Ledger(rt.store, a).mark_sent(read)
        assert lost.value.exit_code == 7
        with pytest.raises(LeaseLost):
            Ledger(rt.store, a).confirm(key, "1234")
        after = ledger.get(key)
        assert after is not None and (after.state, after.attempts) == (State.PENDING, 0)

        # B and a second worker of B's (same fence) both read the row as pending: one marks it.
        assert Ledger(rt.store, b).mark_sent(read) is True
        assert Ledger(rt.store, b).mark_sent(read) is False
        sent = ledger.get(key)
        assert sent is not None and (sent.state, sent.attempts) == (State.SENT, 1)
        # A confirmed row is never moved back by a late worker.
        assert Ledger(rt.store, b).confirm(key, "1234") is True
        assert Ledger(rt.store, b).fail(key, "late") is False
        done = ledger.get(key)
        assert done is not None and (done.state, done.visma_number) == (State.CONFIRMED, "1234")

        with pytest.raises(RuntimeError, match="needs the department's lease"):
            ledger.mark_sent(read)  # no fence, no POST


def test_a_lost_lease_stops_its_holder(home: Path) -> None:
    """Taken from another host after a stall: the heartbeat finds it gone, the block is
    cancelled and raises LeaseLost."""

    async def work(rt: Runtime) -> None:
        leases = Leases(rt.store, "hosta:1")
        async with leases.hold(LEASE, ttl=0.3):
            with rt.store.write():  # another host took it over
                rt.store.conn.execute(
                    "UPDATE leases SET holder = 'hostb:1', generation = generation + 1 "
                    "WHERE name = ?",
                    [LEASE],
                )
            await asyncio.Event().wait()  # would run for ever

    with Runtime.open(load_settings()) as rt, pytest.raises(LeaseLost, match="hostb:1"):
        asyncio.run(asyncio.wait_for(work(rt), timeout=30))


# -- (d) pull and conflicts resolve --now take the lease too ----------------------------------


def hold_department_elsewhere() -> None:
    with Runtime.open(load_settings(sandbox=False)) as rt:
        assert Leases(rt.store, "somehost:1").acquire(LEASE, ttl=600)


def test_pull_refuses_a_busy_department(home: Path) -> None:
    set_up()
    hold_department_elsewhere()
    # Nobody listens there: a refusal must come before any call.
    env = served_env(f"http://127.0.0.1:{free_port()}")
    r = duvi(env, "pull", "customers", "-d", "1")
    assert r.returncode == 7, r.stdout + r.stderr
    assert "being worked on by somehost:1" in r.stderr


def test_conflicts_resolve_now_refuses_a_busy_department_and_decides_nothing(
    home: Path,
) -> None:
    from core.conflicts import Conflicts

    set_up()
    with Runtime.open(load_settings(sandbox=False)) as rt:
        c = Conflicts(rt.store).raise_conflict(
            "1", "customer", "duell", "77", {"name": "Ola"}, [{"id": "C1"}], "name"
        )
    hold_department_elsewhere()
    env = served_env(f"http://127.0.0.1:{free_port()}")
    r = duvi(env, "conflicts", "resolve", str(c.id), "--link", "C1", "--now")
    assert r.returncode == 7, r.stdout + r.stderr
    assert "being worked on by somehost:1" in r.stderr
    with Runtime.open(load_settings(sandbox=False)) as rt:
        assert [x.id for x in Conflicts(rt.store).list("1")] == [c.id]  # still open
        assert rt.store.query("SELECT count(*) AS n FROM entity_links")[0]["n"] == 0


async def test_every_changing_engine_function_refuses_a_busy_department(
    home: Path,
) -> None:
    """The engine functions themselves (what the console's run-now, resend and release call),
    not only the command line."""
    from core.service import process_webhooks, release, sync_master_data, transfer

    set_up()
    hold_department_elsewhere()
    with Runtime.open(load_settings(sandbox=False)) as rt:
        Ledger(rt.store).register("DUELL-Z-1-5", "1", "zreport", "5", {})
        with rt.store.write():
            rt.store.conn.execute(
                "UPDATE ledger SET state = 'confirmed', visma_number = '9' WHERE key = ?",
                ["DUELL-Z-1-5"],
            )
        for call in (
            transfer(rt, "1"),
            sync_master_data(rt, "1", "products"),
            process_webhooks(rt, "1"),
            release(rt, "DUELL-Z-1-5"),
        ):
            with pytest.raises(DepartmentBusy, match="somehost:1"):
                await call


async def test_a_refused_resend_is_neither_audited_nor_retried(home: Path) -> None:
    """The console's resend (`s` on a transfer) takes the lease before it writes its audit
    entry or puts the row back in the queue: a busy department gets neither."""
    from core.service import resend

    set_up()
    hold_department_elsewhere()
    with Runtime.open(load_settings(sandbox=False)) as rt:
        Ledger(rt.store).register("DUELL-Z-1-6", "1", "zreport", "6", {})
        with rt.store.write():
            rt.store.conn.execute(
                "UPDATE ledger SET state = 'failed', last_error = 'x' WHERE key = ?",
                ["DUELL-Z-1-6"],
            )
        with pytest.raises(DepartmentBusy, match="somehost:1"):
            await resend(rt, "DUELL-Z-1-6")
        row = Ledger(rt.store).get("DUELL-Z-1-6")
        assert row is not None and str(row.state) == "failed"
        audited = rt.store.query("SELECT action FROM audit WHERE target = 'DUELL-Z-1-6'")
        assert audited == []


# -- a run whose process was killed is not "running" for ever -----------------------------------

HOLD_A_RUN = """
import asyncio, sys
from core.config import load_settings
from core.runtime import Runtime
from core.session import department_session

async def main():
    with Runtime.open(load_settings()) as rt:
        async with department_session(rt, "1", lease=True, what="all", origin="cli") as s:
            print(s.run_id, flush=True)
            sys.stdin.read()  # until killed

asyncio.run(main())
"""


async def test_the_run_of_a_killed_process_is_interrupted_by_the_next_run(home: Path) -> None:
    from core.boot import ensure_installation
    from core.session import department_session

    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)  # the sandbox's departments
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_RUN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    killed = int(holder.stdout.readline())  # its run has begun, under the lease
    holder.kill()
    holder.wait()
    with Runtime.open(load_settings()) as rt:
        state = "SELECT state, error FROM sync_runs WHERE id = ?"
        assert rt.store.query(state, [killed])[0]["state"] == "running"  # as the kill left it
        async with department_session(rt, "1", lease=True, what="all") as s:
            assert s.run_id != killed
            assert rt.store.query(state, [killed])[0] == {
                "state": "interrupted",
                "error": "its process ended before the run did",
            }
        assert rt.store.query(state, [s.run_id])[0] == {"state": "ok", "error": None}
