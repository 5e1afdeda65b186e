"""`duvi transfers [show KEY]` and `duvi release`: the ledger as a person asks about it (the
console's columns: core/readmodels.py), one document as sent, and releasing (bokføre)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core import boot
from core.cli.context import BadValue, echo_data, run_async, runtime
from core.i18n import N_, _, ngettext, parse_date
from core.ledger import UNREADABLE_REMEDY
from core.readmodels import UNREADABLE
from core.textsafe import visible

if TYPE_CHECKING:
    from core.readmodels import TransferDocument, TransferRow

app = typer.Typer(
    help=N_("The transfers: every document with its date, amount, state and Visma number."),
    invoke_without_command=True,
    no_args_is_help=False,
)

DeptOption = Annotated[
    str | None, typer.Option("--dept", "-d", help=N_("Only this department's documents."))
]
JsonOption = Annotated[
    bool, typer.Option("--json", help=N_("JSON (ISO dates, amounts as strings)."))
]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise BadValue(str(exc), param_hint=option) from None


@app.callback(
    help=N_(
        "Every Z-report, invoice and stock issue: business date, Z number and register, "
        "amount, state, Visma's number and status, age; oldest first."
    )
)
def transfers_cmd(
    ctx: typer.Context,
    dept: DeptOption = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help=N_(
                "pending, sent, confirmed, released, held (a mapping missing), attention (a "
                "person decides) or refused (by Visma)."
            ),
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            "--from",
            help=N_("Business dates from this day on: 2026-11-27 or 27.11.2026."),
            metavar="DATE",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--to",
            help=N_("Business dates up to this day (included): 2026-11-27 or 27.11.2026."),
            metavar="DATE",
        ),
    ] = None,
    period_closing: Annotated[
        bool,
        typer.Option(
            "--period-closing",
            help=N_(
                "Only documents not released in a Visma period that ends within "
                "period_close_warn_days or has ended, still open (from the periods the last "
                "run read: no request)."
            ),
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from core.departments import Departments
    from core.readmodels import TRANSFER_STATES, filter_transfers, sort_transfers

    if state is not None and state not in TRANSFER_STATES:
        raise BadValue(
            _("unknown state {state}: use one of {states}").format(
                state=repr(state), states=", ".join(TRANSFER_STATES)
            ),
            param_hint="--state",
        )
    first, last = _day(since, "--since"), _day(until, "--to")
    now = datetime.now(UTC)
    with runtime(ctx) as rt:
        if dept is not None:  # an unknown department is an error, not an empty list
            Departments(rt.store, rt.secrets).require(dept)
        from core.transferview import transfer_rows, transfers_json

        if as_json and not period_closing:
            # written by SQLite; None when a row needs the slow way (it is then made below)
            text = transfers_json(
                rt.store,
                dept,
                now,
                states=frozenset({state}) if state else None,
                since=first,
                until=last,
            )
            if text is not None:
                # color: not looked for (ANSI codes stripped) in 1.4 MB of text that has none
                # (JSON escapes every control character)
                typer.echo(text, color=True)
                return
        rows = transfer_rows(rt.store, dept)
        if period_closing:
            from core.period_close import closing_keys
            from core.service import department_ids

            keys = closing_keys(rt, department_ids(rt, dept), date.today())
            rows = [r for r in rows if r.key in keys]
    rows = filter_transfers(
        rows,
        states=frozenset({state}) if state else None,
        since=first,
        until=last,
    )
    rows = sort_transfers(rows)[::-1]  # oldest first: the newest end next to the prompt
    if as_json:
        typer.echo(flat_json([row_json(r, now) for r in rows]))
    else:
        _table(rows, now)
    bad = [r for r in rows if r.state == UNREADABLE]  # listed, never hidden, never sent
    if bad:
        said = ngettext(
            "{n} ledger row cannot be read", "{n} ledger rows cannot be read", len(bad)
        ).format(n=len(bad))
        typer.echo(f"{said} → {_(UNREADABLE_REMEDY).format(key=bad[0].key)}", err=True)
        raise typer.Exit(1)


def _table(rows: list[TransferRow], now: datetime) -> None:
    from core.readmodels import TRANSFER_COLUMNS, transfer_cells, transfer_column_titles

    if not rows:
        typer.echo(_("no transfers match"), err=True)
        return
    titles = transfer_column_titles()
    # data (an error Visma sent): each control character as its picture, one cell wide
    cells = [tuple(visible(v, keep="") for v in transfer_cells(r, now)) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(titles[:-1])]
    right = {"Z", "Amount", "Age"}

    def line(values: tuple[str, ...]) -> str:
        head = [
            v.rjust(w) if h in right else v.ljust(w)
            for v, w, h in zip(values, widths, TRANSFER_COLUMNS, strict=False)
        ]
        return "  ".join([*head, values[-1]]).rstrip()

    typer.echo(line(titles))
    for c in cells:
        typer.echo(line(c))


def flat_json(rows: list[dict[str, Any]]) -> str:
    """`json.dumps(rows, indent=2, ensure_ascii=False)` to the byte, for rows whose values are
    text, whole numbers or None (row_json's), in a fraction of its time (its indented form is
    written in Python, value by value: 0.15 s for a department's ten years of Z-reports)."""
    if not rows:
        return "[]"

    def value(v: Any) -> str:
        if v is None:
            return "null"
        if isinstance(v, str):
            return text(v)
        if type(v) is int:
            return str(v)
        return json.dumps(v, ensure_ascii=False)

    text = json.encoder.encode_basestring
    names = {k: f"    {text(k)}: " for k in rows[0]}
    return (
        "[\n"
        + ",\n".join(
            "  {\n"
            + ",\n".join(f"{names.get(k) or f'    {text(k)}: '}{value(v)}" for k, v in r.items())
            + "\n  }"
            if r
            else "  {}"
            for r in rows
        )
        + "\n]"
    )


def row_json(r: TransferRow, now: datetime) -> dict[str, Any]:
    """One row as JSON: dates and times in ISO 8601, the amount as a decimal string."""
    from core.readmodels import age_text

    return {
        "key": r.key,
        "department_id": r.department_id,
        "kind": r.kind,
        "business_date": r.business_date.isoformat() if r.business_date else None,
        "z_number": r.z_number,
        "register": r.register or None,
        "amount": None if r.amount is None else f"{r.amount:.2f}",
        "state": r.state,
        "visma_number": r.visma_number or None,
        "visma_status": r.visma_status or None,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "changed_at": r.changed_at.isoformat() if r.changed_at else None,
        "age": age_text(r.changed_at, now),
        "error": r.error or None,
        "reason": r.reason or None,
    }


@app.command(
    "show",
    help=N_(
        "One document as it was sent to Visma (or as it will be): header and lines (account, "
        "subaccount, debit, credit, VAT; an invoice's lines), and Visma's answers."
    ),
)
def show_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=N_("The transfer key, e.g. DUELL-Z-1-1100."))],
    as_json: JsonOption = False,
) -> None:
    from core.departments import Departments
    from core.errors import DataError
    from core.readmodels import document_text
    from core.transferview import transfer_document

    with runtime(ctx) as rt:
        try:
            doc = transfer_document(rt.store, Departments(rt.store, rt.secrets), key)
        except DataError as exc:
            # One line: the key is the whole story (`duvi transfers` lists them).
            raise DataError(
                _("{message} (list them with `duvi transfers`)").format(message=exc.message)
            ) from None
    if as_json:
        typer.echo(json.dumps(document_json(doc), indent=2, ensure_ascii=False))
        return
    echo_data(document_text(doc))


def document_json(doc: TransferDocument) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if v not in (None, "")}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return str(value) if not isinstance(value, bool | int) else value

    lines = [plain(asdict(ln)) for ln in doc.lines]
    return {
        **row_json(doc.row, datetime.now(UTC)),
        "source": doc.source,
        "header": {label: value for label, value in doc.header},
        "lines": lines,
        "debit": None if doc.debit is None else f"{doc.debit:.2f}",
        "credit": None if doc.credit is None else f"{doc.credit:.2f}",
        "flags": list(doc.flags),
        "problem": doc.problem,
        "answers": [
            {
                "ts": a.ts,
                "method": a.method,
                "path": a.path,
                "status": a.status,
                "location": a.location,
                "body": a.body,
            }
            for a in doc.answers
        ],
    }


@app.command(
    "confirm",
    help=N_(
        "Post a Z-report held because Visma already holds another integration's batch of its "
        "day (DUELL's own Visma module): the day is booked twice unless that batch is "
        "removed. Audited. Asks for --yes."
    ),
)
def confirm_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=N_("The held Z-report's key, e.g. DUELL-Z-3-1325."))],
    yes: Annotated[
        bool, typer.Option("--yes", help=N_("Confirm: post it beside the other batch of its day."))
    ] = False,
) -> None:
    from core.service import confirm_foreign

    if not yes:
        typer.echo(
            _(
                "{key}'s day already has a batch in Visma that duvi did not make; posting "
                "it books the day twice unless that batch is removed. Run again with --yes."
            ).format(key=key),
            err=True,
        )
        raise typer.Exit(1)
    with runtime(ctx) as rt, boot.connections(rt) as conns:
        row = run_async(confirm_foreign(rt, key, connections=conns))
    from core.readmodels import state_text

    if row.visma_number:
        typer.echo(
            _("{key}: {state} as batch {number}").format(
                key=row.key, state=state_text(row.state), number=row.visma_number
            )
        )
    else:
        typer.echo(f"{row.key}: {state_text(row.state)}")
    if row.state not in ("confirmed", "released"):
        echo_data(row.last_error or "", err=True)
        raise typer.Exit(1)


def release_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=N_("The transfer key, e.g. DUELL-Z-1-1100."))],
    yes: Annotated[
        bool, typer.Option("--yes", help=N_("Confirm: post it in Visma for good."))
    ] = False,
) -> None:
    from core.service import release

    if not yes:
        typer.echo(
            _("Releasing {key} posts it in Visma for good. Run again with --yes.").format(key=key),
            err=True,
        )
        raise typer.Exit(1)
    with runtime(ctx) as rt, boot.connections(rt) as conns:
        typer.echo(run_async(release(rt, key, connections=conns)))
