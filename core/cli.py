"""The command line (typer). The console itself is attached by tui/cli.py, so core never
imports Textual; every other command lives here.

Exit codes: 0 ok, 1 warnings, 2 bad arguments, 3 configuration, 4 database, 5 remote service.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.errors import DuviError

if TYPE_CHECKING:  # the settings stack (pydantic) is imported when first needed
    from core.config import Settings

app = typer.Typer(
    name="duvi",
    help="Console and engine for the DUELL <-> Visma.net ERP integration.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class CliState:
    """Options given before the subcommand; they become init overrides of Settings."""

    overrides: dict[str, Any] = {}  # noqa: RUF012 - one per process, set by the callback

    @classmethod
    def settings(cls) -> Settings:
        from core.config import load_settings

        return load_settings(**cls.overrides)


def version() -> str:
    from importlib.metadata import version as package_version

    return package_version("duvi")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"duvi {version()}")
        raise typer.Exit()


# The console gets how to load the settings, not the settings: it paints its first frame
# first, then loads them (pydantic is a third of the start-up time).
ConsoleLauncher = Callable[[Callable[[], "Settings"]], None]
console_launcher: ConsoleLauncher | None = None  # set by tui/cli.py; core cannot import it


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    readonly: Annotated[
        bool, typer.Option("--readonly", help="Refuse every changing action.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Without a command: open the console."""
    CliState.overrides = {"read_only": True} if readonly else {}
    if ctx.invoked_subcommand is None:
        if console_launcher is None:
            typer.echo(ctx.get_help())
            return
        console_launcher(CliState.settings)


@app.command("config")
def config_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the effective settings and where each value came from (secrets masked)."""
    settings = CliState.settings()
    from core.config import explain

    rows = explain(settings, CliState.overrides)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    width = max(len(r.name) for r in rows)
    for r in rows:
        typer.echo(f"{r.name:<{width}}  {r.value}  [{r.source}]")


def _level(value: str | None) -> Any:
    from core.eventlog import Level

    if value is None:
        return None
    try:
        return Level.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _format(ev: Any) -> str:
    where = "/".join(x for x in (ev.department_id, ev.entity) if x)
    run = f" run {ev.run_id}" if ev.run_id is not None else ""
    return f"{ev.ts} {ev.level.name:<8} {where or '-'}{run}  {ev.message}"


@app.command("log")
def log_cmd(
    dept: Annotated[str | None, typer.Option("--dept", "-d", help="Department id.")] = None,
    level: Annotated[
        str | None, typer.Option("--level", "-l", help="Lowest level: debug..critical.")
    ] = None,
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", help="zreport, invoice, product...")
    ] = None,
    run: Annotated[int | None, typer.Option("--run", help="Sync run id.")] = None,
    grep: Annotated[str | None, typer.Option("--grep", "-g", help="Full-text search.")] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="How many events.")] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show the event log, newest last; --follow keeps printing as events arrive."""
    from core.eventlog import LogFilter
    from core.runtime import Runtime

    flt = LogFilter(dept, _level(level), entity, run, grep)
    emit = (
        (lambda e: typer.echo(json.dumps(e.as_dict(), ensure_ascii=False)))
        if as_json
        else (lambda e: typer.echo(_format(e)))
    )
    with Runtime.open(CliState.settings()) as rt:
        events = rt.log.page(flt, limit=lines)
        for ev in reversed(events):
            emit(ev)
        if not follow:
            return
        last = events[0].id if events else rt.log.last_id()
        try:
            while True:
                new = rt.log.since(flt, last)
                for ev in new:
                    emit(ev)
                if new:
                    last = new[-1].id
                    sys.stdout.flush()
                else:
                    time.sleep(0.5)  # polling a local file; 2 cheap index probes a second
        except KeyboardInterrupt:
            pass


def _run_async(coro):
    import asyncio

    return asyncio.run(coro)


def _print_outcomes(outcomes: list, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([o.as_dict() for o in outcomes], indent=2, default=str))
        return
    for o in outcomes:
        number = f" -> {o.visma_number}" if o.visma_number else ""
        error = f"  ({o.error})" if o.error else ""
        typer.echo(f"{o.key:<28} {o.state:<10}{number}{error}")


@app.command("sync")
def sync_cmd(
    dept: Annotated[str | None, typer.Option("--dept", "-d", help="One department.")] = None,
    entity: Annotated[
        str,
        typer.Option(
            "--entity",
            "-e",
            help="zreports, invoices, stock, products, customers, webhooks, transfers, or all.",
        ),
    ] = "all",
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Send failed transfers again.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Products and customers per their master; Z-reports and invoice bases to Visma, once."""
    from core.runtime import Runtime
    from core.service import (
        RUNNABLE,
        RunError,
        RunResult,
        department_ids,
        refuse_if_read_only,
        run_department,
    )

    if entity not in RUNNABLE:
        raise typer.BadParameter(f"use one of {', '.join(RUNNABLE)}", param_hint="--entity")
    total = RunResult()
    with Runtime.open(CliState.settings()) as rt:
        refuse_if_read_only(rt, "syncing")
        for d in department_ids(rt, dept):
            try:
                r = _run_async(run_department(rt, d, entity, retry_failed=retry_failed))
            except RunError as exc:  # the other steps ran; say what failed, go on
                r = exc.result
                typer.echo(f"error: {exc.message}\n  → {exc.remedy}", err=True)
            total.reports.update(r.reports)
            total.outcomes += r.outcomes
            total.failures += r.failures
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "master_data": {k: r.as_dict() for k, r in total.reports.items()},
                    "transfers": [o.as_dict() for o in total.outcomes],
                    "failed_steps": [
                        {"step": step, "error": e.message, "remedy": e.remedy}
                        for step, e in total.failures
                    ],
                },
                indent=2,
                default=str,
            )
        )
    else:
        for name, r in total.reports.items():
            typer.echo(
                f"{name}: {r.created} created, {r.updated} updated, {r.unchanged} "
                f"unchanged, {r.conflicts} conflicts, {len(r.failed)} failed"
            )
        _print_outcomes(total.outcomes, False)
    if total.troubled:
        raise typer.Exit(1)


@app.command("pull")
def pull_cmd(
    entity: Annotated[str, typer.Argument(help="products or customers")],
    dept: Annotated[str, typer.Option("--dept", "-d", help="The department.")],
) -> None:
    """First-time pull of everything from Visma into DUELL (before switching the master)."""
    from core.audit import record
    from core.runtime import Runtime
    from core.service import refuse_if_read_only, sync_master_data

    if entity not in ("products", "customers"):
        raise typer.BadParameter("use products or customers", param_hint="ENTITY")
    with Runtime.open(CliState.settings()) as rt:
        refuse_if_read_only(rt, "pulling")
        record(rt.store, "pull.first_time", department_id=dept, target=entity)
        r = _run_async(sync_master_data(rt, dept, entity, first_time=True))
    typer.echo(
        f"{entity}: {r.created} created, {r.updated} updated, {r.unchanged} unchanged, "
        f"{r.conflicts} conflicts"
    )


import_app = typer.Typer(help="Bring documents in from files.")
app.add_typer(import_app, name="import")


@import_app.command("saft")
def import_saft_cmd(
    file: Annotated[str, typer.Argument(help="A SAF-T Cash Register file.")],
    dept: Annotated[str, typer.Option("--dept", "-d", help="The department it belongs to.")],
    no_transfer: Annotated[bool, typer.Option("--no-transfer", help="Only register them.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The ledger rows as JSON.")] = False,
) -> None:
    """Z-reports from a SAF-T Cash Register file, through the same never-twice path."""
    from pathlib import Path

    from core.audit import record
    from core.runtime import Runtime
    from core.service import import_saft, refuse_if_read_only

    with Runtime.open(CliState.settings()) as rt:
        refuse_if_read_only(rt, "importing")
        record(rt.store, "import.saft", department_id=dept, target=file)
        outcomes = _run_async(import_saft(rt, Path(file), dept, send=not no_transfer))
    _print_outcomes(outcomes, as_json)


@app.command("transfers")
def transfers_cmd(
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="pending, sent, confirmed, failed, attention.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The transfer ledger: every Z-report and invoice with its state and Visma number."""
    from core.ledger import Ledger, State
    from core.runtime import Runtime

    states = None
    if state is not None:
        try:
            states = (State(state),)
        except ValueError:
            raise typer.BadParameter(f"unknown state {state!r}", param_hint="--state") from None
    with Runtime.open(CliState.settings()) as rt:
        rows = Ledger(rt.store).rows(dept, states=states)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        k: (str(v) if k == "state" else v)
                        for k, v in r.__dict__.items()
                        if k != "payload"
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    for r in rows:
        typer.echo(f"{r.key:<28} {r.state:<10} {r.visma_number or '':<8} {r.last_error or ''}")


@app.command("release")
def release_cmd(
    key: Annotated[str, typer.Argument(help="The transfer key, e.g. DUELL-Z-1-1100.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: post it in Visma for good.")] = False,
) -> None:
    """Release (bokføre) a confirmed batch or invoice in Visma. Asks for --yes."""
    from core.runtime import Runtime
    from core.service import release

    if not yes:
        typer.echo(f"Releasing {key} posts it in Visma for good. Run again with --yes.", err=True)
        raise typer.Exit(1)
    with Runtime.open(CliState.settings()) as rt:
        typer.echo(_run_async(release(rt, key)))


@app.command("run")
def run_cmd(
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
) -> None:
    """The automatic transfer scheduler (departments with automatic transfer on)."""
    import asyncio
    import signal

    from core.runner import Runner
    from core.runtime import Runtime
    from core.service import refuse_if_read_only

    with Runtime.open(CliState.settings()) as rt:
        refuse_if_read_only(rt, "the automatic transfer")
        if not once:
            from core.sync.webhooks import refuse_open_receiver

            refuse_open_receiver(rt.settings.webhook_host, rt.settings.webhook_secret)
        runner = Runner(rt)
        if once:
            report = asyncio.run(runner.run_once())
            for dept, outcomes in report.transferred.items():
                typer.echo(f"department {dept}: {len(outcomes)} transfers")
            for dept in report.busy:
                typer.echo(f"department {dept}: busy (another runner holds it)")
            for dept, error in report.errors.items():
                typer.echo(f"department {dept}: {error}", err=True)
            return

        async def main() -> None:
            import uvicorn

            from core.departments import Departments
            from core.sync.webhooks import receiver_app

            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            depts = Departments(rt.store, rt.secrets)
            tenants = {
                d.settings.visma_tenant_id for d in depts.list() if d.settings.visma_tenant_id
            }
            s = rt.settings
            server = uvicorn.Server(
                uvicorn.Config(
                    receiver_app(rt.store, tenants, s.webhook_secret),
                    host=s.webhook_host,
                    port=s.webhook_port,
                    log_level="warning",
                    access_log=False,
                )
            )
            server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
            typer.echo(
                f"duvi run: transfers every {s.sync_interval_minutes} min; webhooks on "
                f"http://{s.webhook_host}:{s.webhook_port}/webhooks/visma; ctrl+c stops"
            )

            async def stop_server() -> None:
                await stop.wait()
                server.should_exit = True

            await asyncio.gather(server.serve(), runner.run_forever(stop), stop_server())

        asyncio.run(main())


conflicts_app = typer.Typer(help="Duplicate-customer and product-number conflicts.")
app.add_typer(conflicts_app, name="conflicts")


@conflicts_app.command("list")
def conflicts_list(
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The open conflicts: the incoming record, its candidates and the key that matched."""
    from core.conflicts import Conflicts
    from core.runtime import Runtime

    with Runtime.open(CliState.settings()) as rt:
        items = Conflicts(rt.store).list(dept)
    if as_json:
        typer.echo(
            json.dumps([c.__dict__ for c in items], indent=2, default=str, ensure_ascii=False)
        )
        return
    for c in items:
        name = c.incoming.get("name") or c.incoming.get("customer_name") or c.incoming_id
        cands = "; ".join(f"{x.get('id')} {x.get('name') or ''}".strip() for x in c.candidates)
        typer.echo(
            f"#{c.id} dept {c.department_id} {c.entity} {c.incoming_id} '{name}': "
            f"same {c.match_key} as {cands}"
        )


@conflicts_app.command("resolve")
def conflicts_resolve(
    conflict_id: Annotated[int, typer.Argument(help="The conflict number (#).")],
    link: Annotated[str | None, typer.Option(help="Link to this candidate.")] = None,
    merge: Annotated[str | None, typer.Option(help="Merge into this candidate.")] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="With --merge: name=value (repeatable).")
    ] = None,
    create: Annotated[bool, typer.Option("--create", help="Create a new record.")] = False,
    ignore: Annotated[bool, typer.Option("--ignore", help="Leave this record alone.")] = False,
    now: Annotated[bool, typer.Option("--now", help="Apply at once (else: next sync).")] = False,
) -> None:
    """Decide a conflict: --link X, --create, --merge X --field name=value, or --ignore."""
    from core.runtime import Runtime
    from core.service import resolve_conflict

    chosen = [
        a
        for a, on in (("link", link), ("merge", merge), ("create", create), ("ignore", ignore))
        if on
    ]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --link, --merge, --create, --ignore")
    fields = {}
    for f in field or []:
        name, eq, value = f.partition("=")
        if not eq:
            raise typer.BadParameter(f"{f!r} is not name=value", param_hint="--field")
        fields[name] = value
    with Runtime.open(CliState.settings()) as rt:
        try:
            c = _run_async(
                resolve_conflict(
                    rt,
                    conflict_id,
                    chosen[0],
                    candidate=link or merge,
                    fields=fields,
                    apply_now=now,
                )
            )
        except KeyError:
            raise typer.BadParameter(f"no conflict #{conflict_id}") from None
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    typer.echo(f"#{c.id}: {c.state} ({chosen[0]})")


doctor_app = typer.Typer(help="Diagnostics: what is wrong with this department?")
app.add_typer(doctor_app, name="doctor")


def _doctor_checks(rt: Any, dept: str | None, integrity: bool, stale_hours: int) -> list:
    from core.departments import Departments
    from core.doctor import run_doctor

    depts = Departments(rt.store, rt.secrets)
    ids = [d.id for d in depts.list()] if dept is None else [dept]
    if dept is not None and depts.get(dept) is None:
        raise typer.BadParameter(f"there is no department {dept!r}", param_hint="--dept")
    return _run_async(run_doctor(rt, ids, integrity=integrity, stale_hours=stale_hours))


@doctor_app.callback(invoke_without_command=True)
def doctor_cmd(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d", help="One department.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    integrity: Annotated[
        bool, typer.Option("--integrity", help="Also run PRAGMA integrity_check.")
    ] = False,
    stale_hours: Annotated[
        int, typer.Option(help="Z-reports older than this should be confirmed.")
    ] = 36,
) -> None:
    """Every check with its remedy. Exit 0 ok, 1 warnings, 2 failures."""
    if ctx.invoked_subcommand is not None:
        return
    from core.doctor import Status, exit_code
    from core.runtime import Runtime

    with Runtime.open(CliState.settings()) as rt:
        checks = _doctor_checks(rt, dept, integrity, stale_hours)
    if as_json:
        typer.echo(
            json.dumps([c.as_dict() for c in checks], indent=2, default=str, ensure_ascii=False)
        )
    else:
        marks = {Status.OK: "ok  ", Status.WARN: "WARN", Status.FAIL: "FAIL"}
        for c in checks:
            where = f"[{c.department_id}] " if c.department_id else ""
            typer.echo(f"{marks[c.status]} {where}{c.title}: {c.found}")
            if c.status != Status.OK and c.remedy:
                typer.echo(f"       -> {c.remedy}")
    raise typer.Exit(exit_code(checks))


@doctor_app.command("webhooks")
def doctor_webhooks(
    dept: Annotated[str, typer.Option("--dept", "-d", help="The department.")],
) -> None:
    """Records changed in Visma that no webhook announced (their flag is probably off)."""
    from core.runtime import Runtime
    from core.sync.webhooks import unannounced_finding

    with Runtime.open(CliState.settings()) as rt:
        finding = unannounced_finding(rt.store, dept)
    if finding is None:
        typer.echo("ok: every change found by polling was announced by a webhook")
        return
    typer.echo(f"warn: {finding}")
    raise typer.Exit(1)


@doctor_app.command("duplicates")
def doctor_duplicates(
    dept: Annotated[str, typer.Option("--dept", "-d", help="The department.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Duplicate customer clusters inside Visma and inside DUELL (before choosing a master)."""
    from core.runtime import Runtime
    from core.service import duplicate_report

    with Runtime.open(CliState.settings()) as rt:
        report = _run_async(duplicate_report(rt, dept))
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return
    for side in ("visma", "duell"):
        clusters = report[side]
        typer.echo(f"{side.upper()}: {len(clusters)} duplicate clusters")
        for c in clusters:
            members = "; ".join(f"{m['id']} {m['name']}" for m in c["members"])
            typer.echo(f"  same {c['key']} {c['value']}: {members}")
    if report["visma"] or report["duell"]:
        raise typer.Exit(1)


def _since(value: str) -> Any:
    """7d, 12h, 30m -> a timedelta."""
    from datetime import timedelta

    units = {"d": "days", "h": "hours", "m": "minutes"}
    try:
        return timedelta(**{units[value[-1]]: float(value[:-1])})
    except (KeyError, ValueError):
        raise typer.BadParameter(
            f"{value!r}: use e.g. 7d, 12h or 30m", param_hint="--since"
        ) from None


@app.command("audit")
def audit_cmd(
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    since: Annotated[str, typer.Option(help="How far back: 7d, 12h, 30m.")] = "30d",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Who changed what, when, from where (with before and after)."""
    from datetime import UTC, datetime

    from core.runtime import Runtime

    cutoff = (datetime.now(UTC) - _since(since)).isoformat(timespec="milliseconds")
    cutoff = cutoff.replace("+00:00", "Z")
    sql, params = "SELECT * FROM audit WHERE ts >= ?", [cutoff]
    if dept:
        sql += " AND department_id = ?"
        params.append(dept)
    with Runtime.open(CliState.settings()) as rt:
        rows = rt.store.query(sql + " ORDER BY id", params)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        origin = f" from {r['ssh_client']}" if r["ssh_client"] else ""
        change = f" {r['before']} -> {r['after']}" if r["before"] or r["after"] else ""
        typer.echo(
            f"{r['ts']} {r['actor']}{origin} [{r['department_id'] or '-'}] "
            f"{r['action']} {r['target'] or ''}{change}"
        )


@app.command("support-bundle")
def support_bundle_cmd(
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    since: Annotated[str, typer.Option(help="How much log: 7d, 12h, 30m.")] = "7d",
    out: Annotated[str | None, typer.Option("--out", help="The archive to write.")] = None,
) -> None:
    """One archive for escalation; every secret masked."""
    from pathlib import Path

    from core.bundle import build_bundle, bundle_target
    from core.runtime import Runtime

    window = _since(since)
    with Runtime.open(CliState.settings()) as rt:
        target = None if out is None else bundle_target(rt.settings, Path(out))  # before doctor
        checks = [c.as_dict() for c in _doctor_checks(rt, dept, False, 36)]
        path = build_bundle(rt, target, department_id=dept, since=window, doctor=checks)
    typer.echo(str(path))


sandbox_app = typer.Typer(help="The built-in simulation of DUELL and Visma.net.")
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535)] = 8700,
    host: Annotated[str, typer.Option("--host", help="A loopback address.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option("--seed", help="The world's seed.")] = 0,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", min=1, help="Visma requests per hour per client.")
    ] = 15000,
    error_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of 5xx.")] = 0.0,
    rate_429: Annotated[float, typer.Option(min=0, max=1, help="Share of spurious 429s.")] = 0.0,
    drop_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of cut connections.")] = 0.0,
    malformed_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of 2xx bodies cut short.")
    ] = 0.0,
    latency: Annotated[float, typer.Option(min=0, help="Seconds added to each request.")] = 0.0,
    cut_phase: Annotated[
        str, typer.Option(help="Cut connections 'before' or 'after' the service acts, or 'random'.")
    ] = "random",
    fault_paths: Annotated[
        str, typer.Option(help="Comma-separated path prefixes the faults hit (default: all).")
    ] = "",
    products: Annotated[int, typer.Option(min=0, help="Products in the world.")] = 3000,
    customers: Annotated[int, typer.Option(min=0, help="Customers in the world.")] = 1000,
) -> None:
    """Serve the sandbox on loopback and print the settings that point duvi at it."""
    from core.sandbox.faults import Faults
    from core.sandbox.serve import serve

    if cut_phase not in ("before", "after", "random"):
        raise typer.BadParameter("use before, after or random", param_hint="--cut-phase")
    faults = Faults(
        error_rate=error_rate,
        rate_429=rate_429,
        drop_rate=drop_rate,
        malformed_rate=malformed_rate,
        latency=latency,
        cut_phase=cut_phase,
        seed=seed,
        only=tuple(p.strip() for p in fault_paths.split(",") if p.strip()),
    )
    serve(host, port, seed, faults, rate_limit=rate_limit, products=products, customers=customers)


@sandbox_app.command("world")
def sandbox_world(
    out: Annotated[str, typer.Option("--out", help="Directory to write the JSON files to.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    products: Annotated[int, typer.Option(min=0)] = 3000,
    customers: Annotated[int, typer.Option(min=0)] = 1000,
    days: Annotated[int, typer.Option(min=1)] = 30,
    invoices: Annotated[int, typer.Option(min=0)] = 50,
) -> None:
    """Write the seeded world (both sides) as JSON files."""
    from pathlib import Path

    from core.sandbox.world import generate

    world = generate(seed, products=products, customers=customers, days=days, invoices=invoices)
    for path in world.write(Path(out)):
        typer.echo(str(path))


@sandbox_app.command("saft")
def sandbox_saft(
    dept: Annotated[str, typer.Option("--dept", help="Department id (1, 2 or 3).")],
    out: Annotated[str, typer.Option("--out", help="The file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Export a sandbox department's Z-reports as a SAF-T Cash Register file."""
    from pathlib import Path

    from core.duell.client import zreport_from_wire
    from core.saft import export_zreports
    from core.sandbox.world import generate

    world = generate(seed)
    if dept not in world.zreports:
        raise typer.BadParameter(f"no department {dept!r}", param_hint="--dept")
    reports = [zreport_from_wire(r, dept) for r in world.zreports[dept]]
    company = world.zreports[dept][0]["company"]
    data = export_zreports(
        reports, company_ident=company["org_number"], company_name=company["name"]
    )
    Path(out).write_bytes(data)
    typer.echo(f"{out}: {len(reports)} Z-reports of department {dept}")


def run(argv: list[str] | None = None) -> int:
    """Run the command line; DuviErrors become their message, remedy and exit code.

    Usage errors are click's own (message, usage line, exit code 2).
    """
    try:
        app(args=argv, prog_name="duvi", standalone_mode=True)
    except DuviError as exc:
        typer.echo(f"duvi: error: {exc}", err=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
