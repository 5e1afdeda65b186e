"""`duvi sandbox serve|world|saft`: the built-in simulation of DUELL and Visma.net."""

from __future__ import annotations

from typing import Annotated

import typer

from core.cli.context import BadValue
from core.errors import ConfigError, write_failed
from core.i18n import N_, _, ngettext

app = typer.Typer(help=N_("The built-in simulation of DUELL and Visma.net."))


@app.command(
    "serve", help=N_("Serve the sandbox on loopback and print the settings that point duvi at it.")
)
def sandbox_serve(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535)] = 8700,
    host: Annotated[str, typer.Option("--host", help=N_("A loopback address."))] = "127.0.0.1",
    seed: Annotated[int, typer.Option("--seed", help=N_("The world's seed."))] = 0,
    rate_limit: Annotated[
        int,
        typer.Option(
            "--rate-limit", min=1, help=N_("Visma requests per window per (client, tenant).")
        ),
    ] = 15000,
    rate_window: Annotated[
        float,
        typer.Option(
            "--rate-window", min=0.5, help=N_("Seconds of Visma's fixed rate window (an hour).")
        ),
    ] = 3600.0,
    error_rate: Annotated[float, typer.Option(min=0, max=1, help=N_("Share of 5xx."))] = 0.0,
    rate_429: Annotated[
        float, typer.Option(min=0, max=1, help=N_("Share of spurious 429s."))
    ] = 0.0,
    drop_rate: Annotated[
        float, typer.Option(min=0, max=1, help=N_("Share of cut connections."))
    ] = 0.0,
    malformed_rate: Annotated[
        float, typer.Option(min=0, max=1, help=N_("Share of 2xx bodies cut short."))
    ] = 0.0,
    gateway_rate: Annotated[
        float,
        typer.Option(
            min=0,
            max=1,
            help=N_("Share of answers replaced by a gateway's 520/522/524 after acting."),
        ),
    ] = 0.0,
    latency: Annotated[float, typer.Option(min=0, help=N_("Seconds added to each request."))] = 0.0,
    cut_phase: Annotated[
        str,
        typer.Option(help=N_("Cut connections 'before' or 'after' the service acts, or 'random'.")),
    ] = "random",
    fault_paths: Annotated[
        str, typer.Option(help=N_("Comma-separated path prefixes the faults hit (default: all)."))
    ] = "",
    action_result: Annotated[
        str,
        typer.Option(
            help=N_(
                "Visma's answer to every release: Done, Queued or InProcess (released at the "
                "company's next request), Failed (not released)."
            )
        ),
    ] = "Done",
    omit_metadata_rate: Annotated[
        float, typer.Option(min=0, max=1, help=N_("Share of Visma list pages without metadata."))
    ] = 0.0,
    null_lists_rate: Annotated[
        float,
        typer.Option(min=0, max=1, help=N_("Share of Visma answers with null for empty lists.")),
    ] = 0.0,
    products: Annotated[int, typer.Option(min=0, help=N_("Products in the world."))] = 3000,
    customers: Annotated[int, typer.Option(min=0, help=N_("Customers in the world."))] = 1000,
    world: Annotated[
        str,
        typer.Option(
            help=N_(
                "'default', or 'adversarial': department 1 with colliding Z numbers, three "
                "registers, an outage caught up and a late correction."
            )
        ),
    ] = "default",
    duell_bad_rows: Annotated[
        bool,
        typer.Option(
            "--duell-bad-rows",
            help=N_("DUELL's product and customer lists carry rows no client can read."),
        ),
    ] = False,
    duell_waf: Annotated[
        str,
        typer.Option(
            "--duell-waf",
            help=N_("'captcha' (405) or 'challenge' (202): DUELL's firewall blocks every call."),
        ),
    ] = "",
    customers_n: Annotated[
        int,
        typer.Option(
            "--customers-n",
            min=0,
            help=N_(
                "The scale world: this many DUELL customers, each its own DUELL client and "
                "Visma company (with --departments-n; 0: the default world)."
            ),
        ),
    ] = 0,
    departments_n: Annotated[
        int,
        typer.Option(
            "--departments-n",
            min=0,
            help=N_(
                "The scale world: this many departments in all, spread over the customers (at "
                "least one each, at most 99)."
            ),
        ),
    ] = 0,
    z_initial: Annotated[
        int,
        typer.Option(
            min=0, help=N_("The scale world: Z-reports each department has at the start.")
        ),
    ] = 1,
    z_every: Annotated[
        float,
        typer.Option(
            min=0,
            help=N_(
                "The scale world: seconds per new Z-report of every department (0: only on "
                "POST /sandbox/close-day)."
            ),
        ),
    ] = 0.0,
) -> None:
    from core.sandbox.faults import Faults
    from core.sandbox.serve import serve

    if cut_phase not in ("before", "after", "random"):
        raise BadValue(_("use before, after or random"), param_hint="--cut-phase")
    if action_result not in ("Done", "Queued", "InProcess", "Failed"):
        raise BadValue(_("use Done, Queued, InProcess or Failed"), param_hint="--action-result")
    if world not in ("default", "adversarial"):
        raise BadValue(_("use default or adversarial"), param_hint="--world")
    if duell_waf not in ("", "captcha", "challenge"):
        raise BadValue(_("use captcha or challenge"), param_hint="--duell-waf")
    scale = _scale(customers_n, departments_n, world)
    faults = Faults(
        error_rate=error_rate,
        rate_429=rate_429,
        drop_rate=drop_rate,
        malformed_rate=malformed_rate,
        gateway_rate=gateway_rate,
        latency=latency,
        cut_phase=cut_phase,
        action_result=action_result,
        omit_metadata_rate=omit_metadata_rate,
        null_lists_rate=null_lists_rate,
        seed=seed,
        only=tuple(p.strip() for p in fault_paths.split(",") if p.strip()),
    )
    serve(
        host,
        port,
        seed,
        faults,
        rate_limit=rate_limit,
        rate_window=rate_window,
        products=products,
        customers=customers,
        adversarial=world == "adversarial",
        duell_bad_rows=duell_bad_rows,
        duell_waf=duell_waf,
        scale=scale,
        z_initial=z_initial,
        z_every=z_every,
    )


def _scale(customers_n: int, departments_n: int, world: str) -> tuple[int, int] | None:
    """(customers, departments) of the scale world, or None for the default one."""
    if not customers_n and not departments_n:
        return None
    if world != "default":
        raise BadValue(_("the scale world is its own world"), param_hint="--world")
    if not 1 <= customers_n <= departments_n <= customers_n * 99:
        raise BadValue(
            _("give both, at least one customer, a department for each and at most 99 a customer"),
            param_hint="--customers-n/--departments-n",
        )
    return customers_n, departments_n


@app.command(
    "setup-scale",
    help=N_(
        "Set up every department of the scale world that `sandbox serve --customers-n N "
        "--departments-n M` serves (same N, M and seed), as setup would: under its customer, "
        "with the customer's DUELL account and Visma client saved once. Run it with the "
        "settings `serve` printed, so that the departments talk to that sandbox."
    ),
)
def sandbox_setup_scale(
    ctx: typer.Context,
    customers_n: Annotated[int, typer.Option("--customers-n", help=N_("DUELL customers."))],
    departments_n: Annotated[
        int, typer.Option("--departments-n", help=N_("Departments, spread over the customers."))
    ],
    seed: Annotated[int, typer.Option("--seed", help=N_("The same as `serve --seed`."))] = 0,
) -> None:
    from core import boot
    from core.cli.context import settings
    from core.departments import Departments
    from core.runtime import Runtime
    from core.sandbox.scale_world import generate_scale

    scale = _scale(customers_n, departments_n, "default")
    assert scale is not None
    current = settings(ctx)
    if current.sandbox:
        raise ConfigError(
            _(
                "setup-scale sets departments up against a served sandbox, but DUVI_SANDBOX is "
                "on (the built-in sandbox has its own three departments)"
            ),
            _(
                "export the settings `duvi sandbox serve --customers-n … --departments-n …` "
                "printed (DUVI_SANDBOX=false and the three base URLs), then run this again"
            ),
        )
    world = generate_scale(seed, customers_n=scale[0], departments_n=scale[1])
    with Runtime.open(current) as rt:
        count = boot.set_up_scale_world(Departments(rt.store, rt.secrets), world)
    typer.echo(
        ngettext(
            "{count} departments of {customers} customer set up",
            "{count} departments of {customers} customers set up",
            scale[0],
        ).format(count=count, customers=scale[0])
    )


@app.command("world", help=N_("Write the seeded world (both sides) as JSON files."))
def sandbox_world(
    out: Annotated[str, typer.Option("--out", help=N_("Directory to write the JSON files to."))],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    products: Annotated[int, typer.Option(min=0)] = 3000,
    customers: Annotated[int, typer.Option(min=0)] = 1000,
    days: Annotated[int, typer.Option(min=1)] = 30,
    invoices: Annotated[int, typer.Option(min=0)] = 50,
) -> None:
    from pathlib import Path

    from core.sandbox.world import generate

    world = generate(seed, products=products, customers=customers, days=days, invoices=invoices)
    try:
        written = world.write(Path(out))
    except OSError as exc:
        raise write_failed(
            exc,
            _("the world to {out}").format(out=repr(out)),
            _("name a directory (new, or one of yours) to write into"),
        ) from None
    for path in written:
        typer.echo(str(path))


@app.command(
    "saft",
    help=N_(
        "Export a sandbox department's Z-reports as a SAF-T Cash Register file (the figures "
        "are those of `sandbox serve` with the same seed and sizes)."
    ),
)
def sandbox_saft(
    dept: Annotated[str, typer.Option("--dept", help=N_("Department id (1, 2 or 3)."))],
    out: Annotated[str, typer.Option("--out", help=N_("The file to write."))],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    products: Annotated[
        int, typer.Option(min=0, help=N_("Products in the world (as `sandbox serve` was given)."))
    ] = 3000,
    customers: Annotated[
        int, typer.Option(min=0, help=N_("Customers in the world (as `sandbox serve` was given)."))
    ] = 1000,
) -> None:
    from pathlib import Path

    from core.duell.client import zreport_from_wire
    from core.saft import export_zreports
    from core.sandbox.world import generate

    world = generate(seed, products=products, customers=customers)
    if dept not in world.zreports:
        raise BadValue(_("no department {dept}").format(dept=repr(dept)), param_hint="--dept")
    reports = [zreport_from_wire(r, dept) for r in world.zreports[dept]]
    company = world.zreports[dept][0]["company"]
    data = export_zreports(
        reports, company_ident=company["org_number"], company_name=company["name"]
    )
    if not out.strip():  # Path("") is the working directory
        raise ConfigError(_("--out is empty"), _("name the file to write"))
    try:
        Path(out).write_bytes(data)
    except OSError as exc:
        raise write_failed(
            exc,
            _("the SAF-T file {out}").format(out=repr(out)),
            _("name a file in an existing directory you can write"),
        ) from None
    typer.echo(
        ngettext(
            "{out}: {n} Z-report of department {dept}",
            "{out}: {n} Z-reports of department {dept}",
            len(reports),
        ).format(out=out, n=len(reports), dept=dept)
    )
