"""`duvi departments list|setup`: what each department is set up with, and setting one up from
the command line, checked against Visma as the console's setup is (core.setup).

Secrets never come as arguments (`ps` shows arguments): the Visma client secret and the DUELL
API token are read from DUVI_VISMA_CLIENT_SECRET / DUVI_DUELL_CLIENT_TOKEN, or from standard
input with --secrets-from-stdin (one a line: the Visma secret, then the DUELL token when a
DUELL client number is given); left out, the saved ones are kept."""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli.context import BadValue, echo_data, run_async, settings
from core.i18n import N_, _

if TYPE_CHECKING:
    from pydantic import SecretStr

app = typer.Typer(help=N_("The departments and their setup."))

VISMA_SECRET_ENV = "DUVI_VISMA_CLIENT_SECRET"
DUELL_TOKEN_ENV = "DUVI_DUELL_CLIENT_TOKEN"


@app.command(
    "list",
    help=N_(
        "Each department: its customer (DUELL client), set up or not, its company, branch, "
        "cost bearer (and whole subaccount), item class, warehouse, automatic transfer."
    ),
)
def departments_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help=N_("As JSON (never a secret)."))] = False,
) -> None:
    from core import boot
    from core.departments import Departments
    from core.runtime import Runtime
    from core.setup import saved_setup

    with Runtime.open(settings(ctx)) as rt:
        boot.ensure_installation(rt)  # the sandbox's departments, on a fresh data directory
        rows = [saved_setup(rt, d.id) for d in Departments(rt.store, rt.secrets).list()]
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        customer = r.customer_name or r.customer or "-"
        lead = f"{r.department_id:<4} {customer:<28} {r.name:<24}"
        if not r.set_up:
            not_set_up = _("not set up")  # outside the f-string: Babel extracts it there only
            echo_data(f"{lead} {not_set_up}")
            continue
        extra = [_("branch {branch}").format(branch=r.branch)] if r.branch else []
        if r.cost_bearer:
            extra.append(
                _("cost bearer {segment}={value} (subaccount {subaccount})").format(
                    segment=r.cost_bearer[0], value=r.cost_bearer[1], subaccount=r.subaccount
                )
            )
        extra.append(
            _("item class {id}").format(id=r.item_class) if r.item_class else _("no item class")
        )
        if r.warehouse:
            extra.append(_("warehouse {id}").format(id=r.warehouse))
        extra.append(_("automatic") if r.automatic else _("manual"))
        if r.zreport_source == "saft-inbox":
            extra.append(_("Z-reports from the SAF-T inbox {dir}").format(dir=r.inbox_dir))
        extra.append(_("cut-off {hour}").format(hour=f"{r.cutoff_hour:02d}:00"))
        echo_data(f"{lead} {r.company} ({r.tenant})  " + ", ".join(extra))


@app.command(
    "customer",
    help=N_(
        "Put departments under a DUELL customer (audited). What their secrets hold alike (the "
        "Visma integration client) is then kept once, for the customer; nothing is lost."
    ),
)
def departments_customer(
    ctx: typer.Context,
    depts: Annotated[list[str], typer.Argument(help=N_("The departments' ids."))],
    customer: Annotated[
        str, typer.Option("--id", help=N_("The DUELL customer: its DUELL client number."))
    ],
    name: Annotated[
        str | None, typer.Option("--name", help=N_("The customer's name (default: kept)."))
    ] = None,
) -> None:
    from core import boot
    from core.departments import Departments
    from core.runtime import Runtime

    if not customer.strip():
        raise BadValue(_("the customer's id is empty"), param_hint="--id")
    with Runtime.open(settings(ctx)) as rt:
        boot.ensure_installation(rt)
        found = Departments(rt.store, rt.secrets)
        found.set_customer(depts, customer.strip(), name)
        members = found.of_customer(customer.strip())
    echo_data(
        _("customer {customer}: departments {departments}").format(
            customer=customer.strip(), departments=", ".join(members)
        )
    )


def _cost_bearer(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    segment, eq, value = text.partition("=")
    if not eq or not segment.strip().isdigit() or not value.strip():
        raise BadValue(
            _("{text} is not SEGMENT=VALUE (e.g. 1=03)").format(text=repr(text)),
            param_hint="--cost-bearer",
        )
    return int(segment), value.strip()


def _vat(items: list[str] | None) -> dict[Decimal, str] | None:
    if not items:
        return None
    mapping: dict[Decimal, str] = {}
    for item in items:
        rate, eq, vat_id = item.partition("=")
        try:
            value = Decimal(rate.strip().rstrip("%").strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not eq or not vat_id.strip() or not value.is_finite() or value < 0:
            raise BadValue(
                _("{item} is not RATE=VATID (e.g. 25=3)").format(item=repr(item)),
                param_hint="--vat",
            )
        mapping[value] = vat_id.strip()
    return mapping


def _secrets(from_stdin: bool, wants_duell: bool) -> tuple[SecretStr | None, SecretStr | None]:
    """The Visma client secret and the DUELL token: environment first, then standard input
    (with --secrets-from-stdin); None keeps the saved one."""
    from pydantic import SecretStr

    visma = os.environ.get(VISMA_SECRET_ENV) or None
    duell = os.environ.get(DUELL_TOKEN_ENV) or None
    if from_stdin:
        lines = iter(sys.stdin.read().splitlines())
        if visma is None:
            visma = next(lines, "").strip() or None
        if duell is None and wants_duell:
            duell = next(lines, "").strip() or None
    return (SecretStr(visma) if visma else None), (SecretStr(duell) if duell else None)


@app.command(
    "setup",
    help=N_(
        "Set a department up: checked against Visma (and DUELL), then saved and "
        "audited.\n\nThe Visma client secret and DUELL API token come from "
        "DUVI_VISMA_CLIENT_SECRET and DUVI_DUELL_CLIENT_TOKEN or, with --secrets-from-stdin, "
        "from standard input; never from an argument. Left out, the saved ones are kept."
    ),
)
def departments_setup(
    ctx: typer.Context,
    dept: Annotated[str, typer.Argument(help=N_("The department's id."))],
    client_id: Annotated[
        str,
        typer.Option("--visma-client-id", help=N_("The Visma integration client id (isv_...).")),
    ],
    tenant: Annotated[
        str,
        typer.Option("--visma-tenant", help=N_("The company's tenant id (not the customer one).")),
    ],
    branch: Annotated[
        str | None,
        typer.Option("--branch", help=N_("The Visma branch (implies Flere klienter).")),
    ] = None,
    cost_bearer: Annotated[
        str | None,
        typer.Option(
            "--cost-bearer",
            help=N_("SEGMENT=VALUE of SUBACCOUNT (implies Flere avdelinger), e.g. 1=03."),
        ),
    ] = None,
    item_class: Annotated[
        str | None,
        typer.Option(
            "--item-class",
            help=N_("The Visma item class of the items duvi creates (default: the saved one)."),
        ),
    ] = None,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse", help=N_("The Visma warehouse of stock issues (default: the saved one).")
        ),
    ] = None,
    no_warehouse: Annotated[
        bool,
        typer.Option("--no-warehouse", help=N_("No warehouse: each item's default warehouse.")),
    ] = False,
    vat: Annotated[
        list[str] | None,
        typer.Option("--vat", help=N_("RATE=VATID, repeatable: a DUELL rate to a Visma VAT id.")),
    ] = None,
    automatic: Annotated[
        bool | None,
        typer.Option(
            "--automatic/--no-automatic", help=N_("Automatic transfer (default: left as it is).")
        ),
    ] = None,
    inventory_change: Annotated[
        bool | None,
        typer.Option(
            "--inventory-change/--no-inventory-change",
            help=N_(
                "Beholdningsendring: cost-of-goods lines in each journal (not with "
                "--stock-update; default: left as it is)."
            ),
        ),
    ] = None,
    stock_update: Annotated[
        bool | None,
        typer.Option(
            "--stock-update/--no-stock-update",
            help=N_(
                "Lager: each day's sales as a Visma stock issue (not with --inventory-change; "
                "default: left as it is)."
            ),
        ),
    ] = None,
    duell_client_number: Annotated[
        str | None,
        typer.Option("--duell-client-number", help=N_("The DUELL API client number.")),
    ] = None,
    zreport_source: Annotated[
        str | None,
        typer.Option(
            "--zreport-source",
            help=N_(
                "Where Z-reports come from: duell (assumed endpoint) or saft-inbox (default: "
                "left as it is)."
            ),
        ),
    ] = None,
    inbox: Annotated[
        str | None,
        typer.Option("--inbox", help=N_("The SAF-T inbox directory (with saft-inbox).")),
    ] = None,
    cutoff_hour: Annotated[
        int | None,
        typer.Option(
            "--cutoff-hour",
            help=N_(
                "SAF-T: the hour (0-23) the business day starts; a sale before it is the day "
                "before's (default: left as it is; new departments 5)."
            ),
        ),
    ] = None,
    secrets_from_stdin: Annotated[
        bool,
        typer.Option(
            "--secrets-from-stdin",
            help=N_("Read the Visma client secret, then the DUELL token, one a line, from stdin."),
        ),
    ] = False,
) -> None:
    from core import boot
    from core.departments import Departments
    from core.errors import ConfigError
    from core.readmodels import SetupChoice
    from core.runtime import Runtime
    from core.setup import set_up_department

    if no_warehouse and warehouse is not None:
        raise BadValue(_("give --warehouse or --no-warehouse, not both"))
    secret, token = _secrets(secrets_from_stdin, duell_client_number is not None)
    choice = SetupChoice(
        client_id=client_id,
        tenant_id=tenant,
        secret=secret,
        branch=branch,
        cost_bearer=_cost_bearer(cost_bearer),
        item_class=item_class,
        warehouse="" if no_warehouse else warehouse,
        automatic=automatic,
        duell_client_number=duell_client_number,
        duell_client_token=token,
        vat=_vat(vat),
        zreport_source=zreport_source,
        inbox_dir=inbox,
        inventory_change=inventory_change,
        stock_update=stock_update,
        cutoff_hour=cutoff_hour,
    )
    with Runtime.open(settings(ctx)) as rt:
        boot.ensure_installation(rt)
        depts = Departments(rt.store, rt.secrets)
        if secret is None and depts.get(dept) and depts.credentials(dept) is None:
            # core.setup's remedy speaks of the console's field; here it comes another way.
            raise ConfigError(
                _("department {dept} has no saved Visma client secret").format(dept=dept),
                _(
                    "give the integration client's secret in {env} or on standard input with "
                    "--secrets-from-stdin"
                ).format(env=VISMA_SECRET_ENV),
            )
        with boot.connections(rt) as conns:
            line = run_async(set_up_department(rt, conns, dept, choice, origin="cli"))
    echo_data(line)
