"""`duvi conflicts list|resolve`: duplicate-customer and product-number conflicts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from core import boot
from core.cli.context import run_async, runtime, stored_int

if TYPE_CHECKING:
    from core.conflicts import Conflict

app = typer.Typer(help="Duplicate-customer and product-number conflicts.")


@app.command("list")
def conflicts_list(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Decided ones too: how, when and by whom.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The open conflicts: the incoming record, its candidates and the key that matched."""
    from core.conflicts import Conflicts

    with runtime(ctx) as rt:
        items = Conflicts(rt.store).list(dept, state=None if every else "open")
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
            f"same {c.match_key} as {cands}{_decided(c)}"
        )


def _decided(c: Conflict) -> str:
    """How, when and by whom a conflict was decided; nothing for an open one."""
    if c.state == "open":
        return ""
    how = (c.resolution or {}).get("action", "?")
    chosen = (c.resolution or {}).get("candidate")
    fields = (c.resolution or {}).get("fields") or {}
    what = how + (f" {chosen}" if chosen else "")
    what += "".join(f" {k}={v}" for k, v in fields.items())
    return f"  [{c.state}: {what}, {c.resolved_at or '?'} by {c.resolved_by or '?'}]"


@app.command("resolve")
def conflicts_resolve(
    ctx: typer.Context,
    conflict_id: Annotated[
        int,
        typer.Argument(
            help="The conflict number (#).",
            callback=stored_int("no conflict has that number; see `duvi conflicts list`"),
        ),
    ],
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
    with runtime(ctx) as rt, boot.connections(rt) as conns:
        try:
            c = run_async(
                resolve_conflict(
                    rt,
                    conflict_id,
                    chosen[0],
                    candidate=link or merge,
                    fields=fields,
                    apply_now=now,
                    connections=conns,
                )
            )
        except KeyError:
            raise typer.BadParameter(f"no conflict #{conflict_id}") from None
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    typer.echo(f"#{c.id}: {c.state} ({chosen[0]})")
