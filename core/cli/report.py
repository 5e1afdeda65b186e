"""`duvi report settlement`: a month's business days, DUELL's Z-reports beside Visma's batches
(core/reconcile.py), as text, JSON or a CSV file for the accountant.

Exit 0 when every day agrees (batches on hold or unreleased are open work, not differences),
1 when a day differs (missing batch, amounts that differ, a batch duvi has no Z-report for).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core import boot
from core.accounting import payment_journal_text, rate_text
from core.cli.context import echo_data, run_async, runtime
from core.i18n import N_, _, date_text, month_text, period_text
from core.money import money_json
from core.readmodels import money_said, money_text, state_text, vat_code_text
from core.settlement import mark_text, marks_text, on_account_text, summary_text

if TYPE_CHECKING:
    from core.settlement import Settlement, SettlementDay

app = typer.Typer(help=N_("Reports for the accountant."), no_args_is_help=True)

# CSV styles. "no" (the default): ';' between fields and ',' before the decimals, what Excel
# with Norwegian regional settings reads as numbers when the file is opened (',' is its
# decimal sign, so it cannot separate fields); with a BOM, so Excel reads the file as UTF-8
# (æøå). "plain": ',' and '.', for programs and Excel in English.
CSV_STYLES = {"no": (";", ","), "plain": (",", ".")}


@app.command(
    "settlement", help=N_("DUELL's days beside Visma's batches; the month's VAT per code.")
)
def settlement_cmd(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help=N_("The month, 2026-11 or 11.2026."))],
    dept: Annotated[
        str | None,
        typer.Option("--dept", "-d", help=N_("The department (default: the only one).")),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help=N_("Also write one row per day to this file."))
    ] = None,
    csv_style: Annotated[
        str,
        typer.Option(
            "--csv-style",
            help=N_("no: ';' and decimal ',' (Excel, Norwegian); plain: ',' and '.'."),
        ),
    ] = "no",
) -> None:
    from core.i18n import parse_month
    from core.reconcile import department_of, settlement

    try:
        first = parse_month(month)
    except ValueError as exc:
        echo_data(_("duvi: error: --month {why}").format(why=exc), err=True)
        raise typer.Exit(2) from None
    if csv_style not in CSV_STYLES:
        echo_data(
            _("duvi: error: --csv-style is no or plain, not {style}").format(style=repr(csv_style)),
            err=True,
        )
        raise typer.Exit(2)
    with runtime(ctx) as rt, boot.connections(rt) as conns:
        dept_id = department_of(rt.store, dept)
        report = run_async(settlement(rt, dept_id, first, connections=conns))
    if csv_file is not None:
        csv_file.write_text(as_csv(report, csv_style), encoding="utf-8-sig")
    if as_json:
        typer.echo(json.dumps(as_dict(report), indent=2, ensure_ascii=False))
    else:
        echo_data("\n".join(text(report)))
    if report.differences:
        raise typer.Exit(1)


def title(r: Settlement) -> str:
    return _("Settlement of department {dept} {name}: {month} (Visma period {periods})").format(
        dept=r.department_id,
        name=r.department_name,
        month=month_text(r.month),
        periods=", ".join(period_text(p) for p in r.periods),
    )


def text(r: Settlement) -> list[str]:
    lines = [title(r), ""]
    # The amounts' columns name the currency in their headings; the cells are bare numbers
    heads = (
        _("Date"),
        _("Sales (NOK)"),
        _("VAT (NOK)"),
        _("Batch"),
        _("In Visma (NOK)"),
        _("Marks"),
    )
    sw, vw, bw = max(12, len(heads[1])), max(10, len(heads[2])), max(12, len(heads[4]))
    lines.append(
        f"{heads[0]:<10} {'Z':>9} {heads[1]:>{sw}} {heads[2]:>{vw}} {heads[3]:>7} "
        f"{heads[4]:>{bw}}  {heads[5]}"
    )
    for d in r.days:
        zs = ",".join(str(z.z_number) for z in d.zreports if z.z_number) or "-"
        lines.append(
            f"{date_text(d.day):<10} {zs:>9} {money_text(d.gross):>{sw}} "
            f"{money_text(d.vat):>{vw}} {d.batches or '-':>7} "
            f"{money_text(d.visma_sales) or '-':>{bw}}  {marks_text(d.marks)}"
        )
        lines += detail(d)
    lines += ["", _("VAT per code in NOK (Visma's batches beside DUELL's Z-reports):")]
    vat = (_("Code"), _("Visma base"), _("Visma VAT"), _("DUELL base"), _("DUELL VAT"))
    codes = [vat_code_text(v.code) for v in r.vat]
    w = max([10, len(vat[0]), *map(len, codes)])  # "rate 25 % (not mapped)" is wider than an id
    n = [max(wide, len(head)) for wide, head in zip((12, 11, 12, 11), vat[1:], strict=True)]
    lines.append(
        f"{vat[0]:<{w}} {vat[1]:>{n[0]}} {vat[2]:>{n[1]}} {vat[3]:>{n[2]}} {vat[4]:>{n[3]}}"
    )
    differs = _("differs")
    for v, code in zip(r.vat, codes, strict=True):
        lines.append(
            f"{code:<{w}} {money_text(v.visma_base):>{n[0]}} {money_text(v.visma_vat):>{n[1]}} "
            f"{money_text(v.duell_base):>{n[2]}} {money_text(v.duell_vat):>{n[3]}}"
            + (f"  {differs}" if v.differs else "")
        )
    lines += ["", summary_text(r)]
    return lines


def detail(d: SettlementDay) -> list[str]:
    """Under a day that is not ok: what differs, with the figures."""
    out = []
    for z in d.zreports:
        shown = [m for m in z.marks if m not in ("on hold", "unreleased")]
        if not shown and not z.note and not z.on_account:
            continue
        who = (
            f"Z {z.z_number} ({z.key})"
            if z.z_number
            else _("batch {batch} ({key})").format(batch=z.batch, key=z.key)
        )
        said = "; ".join(mark_text(m) for m in shown)
        if "missing" in z.marks:
            said = _("{said}, duvi's ledger: {state}").format(
                said=said, state=state_text(z.ledger_state)
            )
        if z.on_account:
            said = "; ".join(p for p in (said, on_account_text(z.on_account)) if p)
        out.append(f"  {who}: {said}")
        for a in z.differences:
            out.append(
                _("    account {account}: DUELL {duell}, Visma {visma}, difference {diff}").format(
                    account=a.account,
                    duell=money_said(a.duell),
                    visma=money_said(a.visma),
                    diff=money_said(a.difference),
                )
            )
        if z.note:
            out.append(f"    {z.note}")
    return out


def as_dict(r: Settlement) -> dict[str, Any]:
    return {
        "department": {"id": r.department_id, "name": r.department_name},
        "month": f"{r.month:%Y-%m}",
        "periods": list(r.periods),
        "days": [
            {
                "date": d.day.isoformat(),
                "sales_incl_vat": money_json(d.gross),
                "vat": money_json(d.vat),
                "sales": [
                    {
                        "rate": rate_text(s.rate),
                        "gross": money_json(s.gross),
                        "net": money_json(s.net),
                        "vat": money_json(s.vat),
                    }
                    for s in d.sales
                ],
                "payments": {t: money_json(a) for t, a in d.payments.items()},
                "gift_cards_sold": money_json(d.gift_cards_sold),
                "tips": money_json(d.tips),
                "rounding": money_json(d.rounding),
                "pant_sold": money_json(d.pant_sold),
                "pant_refunded": money_json(d.pant_refunded),
                "cash_difference": money_json(d.cash_difference),
                "pay_ins": money_json(d.pay_ins),
                "pay_outs": money_json(d.pay_outs),
                "marks": list(d.marks),
                "zreports": [
                    {
                        "key": z.key,
                        "z_number": z.z_number,
                        "register": z.register,
                        "ledger_state": z.ledger_state,
                        "sales": money_json(z.sales),
                        "vat": money_json(z.vat),
                        "batch": z.batch,
                        "status": z.status,
                        "visma_sales": None if z.visma_sales is None else money_json(z.visma_sales),
                        "marks": list(z.marks),
                        "differences": [
                            {
                                "account": a.account,
                                "duell": money_json(a.duell),
                                "visma": money_json(a.visma),
                            }
                            for a in z.differences
                        ],
                        "note": z.note,
                        "on_account": money_json(z.on_account),
                    }
                    for z in d.zreports
                ],
            }
            for d in r.days
        ],
        "vat": [
            {
                "code": v.code,
                "visma_base": money_json(v.visma_base),
                "visma_vat": money_json(v.visma_vat),
                "duell_base": money_json(v.duell_base),
                "duell_vat": money_json(v.duell_vat),
            }
            for v in r.vat
        ],
        "differences": r.differences,
        "open": r.open,
    }


def as_csv(r: Settlement, style: str = "no") -> str:
    """One row per day: DUELL's sales and VAT per rate, payments per means, Visma's batches,
    status and debit total, and the marks."""
    sep, point = CSV_STYLES[style]

    def num(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}".replace(".", point)

    rates = sorted({s.rate for d in r.days for s in d.sales}, reverse=True)
    means = sorted({t for d in r.days for t in d.payments})
    head = ["Dato", "Z-rapporter", "Salg inkl. mva DUELL", "MVA DUELL"]
    head += [f"Salg {rate.normalize():f} %" for rate in rates]
    head += [f"MVA {rate.normalize():f} %" for rate in rates]
    head += [payment_journal_text(t) for t in means]  # the journal's words: "Betaling kort"
    head += ["Gavekort solgt", "Tips", "Øreavrunding", "Bilag Visma", "Status Visma"]
    head += ["Salg inkl. mva Visma", "Merknad"]
    out = io.StringIO()
    w = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    w.writerow(head)
    for d in r.days:
        sales = {s.rate: s for s in d.sales}
        row = [d.day.isoformat(), " ".join(z.key for z in d.zreports)]
        row += [num(d.gross), num(d.vat)]
        row += [num(sales[x].gross) if x in sales else "" for x in rates]
        row += [num(sales[x].vat) if x in sales else "" for x in rates]
        row += [num(d.payments.get(t)) for t in means]
        row += [num(d.gift_cards_sold), num(d.tips), num(d.rounding)]
        row += [d.batches, " ".join(z.status for z in d.zreports if z.status)]
        row += [num(d.visma_sales), marks_text(d.marks)]
        w.writerow(row)
    return out.getvalue()
