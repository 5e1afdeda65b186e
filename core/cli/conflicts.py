"""`duvi conflicts list|resolve`: duplicate-customer and product-number conflicts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from core import boot
from core.cli.context import BadValue, echo_data, run_async, runtime, stamp_text, stored_int
from core.i18n import N_, _

if TYPE_CHECKING:
    from core.conflicts import Conflict

app = typer.Typer(help=N_("Duplicate-customer and product-number conflicts."))


@app.command(
    "list",
    help=N_("The open conflicts: the incoming record, its candidates and the key that matched."),
)
def conflicts_list(
    ctx: typer.Context,
    dept: Annotated[str | None, typer.Option("--dept", "-d")] = None,
    every: Annotated[
        bool, typer.Option("--all", help=N_("Decided ones too: how, when and by whom."))
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
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
        echo_data(
            _(
                "#{id} department {dept} {entity} {incoming} '{name}': same {key} as {candidates}"
            ).format(
                id=c.id,
                dept=c.department_id,
                entity=c.entity,
                incoming=c.incoming_id,
                name=name,
                key=c.match_key,
                candidates=cands,
            )
            + _decided(c)
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
    said = (
        _("  [ignored: {what}, {at} by {who}]")
        if c.state == "ignored"
        else _("  [resolved: {what}, {at} by {who}]")
    )
    return said.format(what=what, at=stamp_text(c.resolved_at) or "?", who=c.resolved_by or "?")


@app.command(
    "resolve",
    help=N_("Decide a conflict: --link X, --create, --merge X --field name=value, or --ignore."),
)
def conflicts_resolve(
    ctx: typer.Context,
    conflict_id: Annotated[
        int,
        typer.Argument(
            help=N_("The conflict number (#)."),
            callback=stored_int(N_("no conflict has that number; see `duvi conflicts list`")),
        ),
    ],
    link: Annotated[str | None, typer.Option(help=N_("Link to this candidate."))] = None,
    merge: Annotated[str | None, typer.Option(help=N_("Merge into this candidate."))] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", help=N_("With --merge: name=value (repeatable)."))
    ] = None,
    create: Annotated[bool, typer.Option("--create", help=N_("Create a new record."))] = False,
    ignore: Annotated[bool, typer.Option("--ignore", help=N_("Leave this record alone."))] = False,
    now: Annotated[
        bool, typer.Option("--now", help=N_("Apply at once (else: next sync)."))
    ] = False,
) -> None:
    from core.service import resolve_conflict

    chosen = [
        a
        for a, on in (("link", link), ("merge", merge), ("create", create), ("ignore", ignore))
        if on
    ]
    if len(chosen) != 1:
        raise BadValue(_("give exactly one of --link, --merge, --create, --ignore"))
    fields = {}
    for f in field or []:
        name, eq, value = f.partition("=")
        if not eq:
            raise BadValue(
                _("{field} is not name=value").format(field=repr(f)), param_hint="--field"
            )
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
            raise BadValue(_("no conflict #{id}").format(id=conflict_id)) from None
        except ValueError as exc:
            raise BadValue(str(exc)) from None
    said = (
        _("#{id}: ignored ({action})") if c.state == "ignored" else _("#{id}: resolved ({action})")
    )
    echo_data(said.format(id=c.id, action=chosen[0]))
