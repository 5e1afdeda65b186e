"""SAF-T Cash Register files (Skatteetaten's schema, core/saft_schema/): read Z-reports from
any cash register system's export, and write Z-reports as a file that validates against the XSD.

A Z-report is an <event> whose <eventReport> has reportType "Z report". Its totals (sales per
VAT rate, payments, tips, returns) come from the event; every vendor id in it (paymentType,
artGroupID …) is read through <basics> (saft_codes). What a Z event does not carry comes from
the receipts it closed (saft_receipts): rounding, gift cards sold, credit sales, items sold and
the business day.

duvi's own export (the sandbox's) has no receipts; what the schema has no element for travels
there in <reportOtherCorrs>: cash rounding (type ROUNDING), gift cards sold (GIFTCARD_SOLD)
and the cash difference (CASH_DIFFERENCE). The reader still reads them. Cost of goods is never
in the file. Pant vouchers taken (payment code 12008) are pant paid back; pant sold has no
element of its own (a file's pant lines are sales of their rate, and so booked); pay-ins and
pay-outs are <reportPayIns>/<reportPayOuts>, by the file's own type ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import xmlschema
from lxml import etree

from core.errors import DataError
from core.i18n import N_, said
from core.models import (
    ROUNDING_PER_CASH_RECEIPT,
    ArticleGroup,
    CashMovement,
    Payment,
    VatSale,
    ZReport,
)
from core.money import round_money, vat_of
from core.saft_codes import NS, PANT_VOUCHER, PAYMENT, PAYMENT_CODES, Z_REPORT_EVENT, Basics
from core.saft_receipts import MixedCredit, Receipt, business_day, figures, read_receipts, spans

SCHEMA_PATH = (
    Path(__file__).parent / "saft_schema" / "Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"
)
STANDARD_VAT_CODES = {
    Decimal(25): "3",
    Decimal(15): "31",
    Decimal("11.11"): "32",
    Decimal(12): "33",
    Decimal(0): "5",
}
ROUNDING, GIFTCARD_SOLD, CASH_DIFF = "ROUNDING", "GIFTCARD_SOLD", "CASH_DIFFERENCE"


class SaftError(DataError):
    """A SAF-T file duvi cannot use; the message names the element and the line. Its message
    and remedy are in the language (`said()`); the SAF-T inbox logs their `english()`."""


_EXPORT_AGAIN = N_(
    "export the file again from DUELL; if it still fails, send it to DUELL support with this "
    "message"
)


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def _parse(data: bytes, source: str) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.ElementTree(etree.fromstring(data, parser=parser))
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else "?"
        raise SaftError(
            said(
                N_("{source} is not well-formed XML (line {line}): {error}"),
                source=source,
                line=line,
                error=exc.msg,
            ),
            said(N_("export the SAF-T file from DUELL again; the file may be cut short")),
        ) from None


def validate(data: bytes, source: str = "the file") -> etree._ElementTree:
    """Parse and validate against the XSD; the first problem becomes a SaftError."""
    tree = _parse(data, source)
    root = tree.getroot()
    if etree.QName(root).namespace != NS or etree.QName(root).localname != "auditfile":
        raise SaftError(
            said(
                N_(
                    "{source} is not a SAF-T Cash Register file (root element <{element}> in "
                    "namespace {namespace})"
                ),
                source=source,
                element=etree.QName(root).localname,
                namespace=repr(etree.QName(root).namespace),
            ),
            said(N_("choose the SAF-T Cash Register export (Kassasystem), not another SAF-T file")),
        )
    for err in schema().iter_errors(tree):
        elem = err.elem if isinstance(err.elem, etree._Element) else None
        where = _element_path(elem) if elem is not None else (err.path or "?")
        line = err.sourceline if err.sourceline is not None else "?"
        reason = re.sub(r" for <class '[^']+'>", "", err.reason or "invalid content")
        raise SaftError(
            said(
                N_(
                    "{source} does not follow the SAF-T Cash Register schema: element {where} "
                    "(line {line}): {reason}"
                ),
                source=source,
                where=where,
                line=line,
                reason=reason,
            ),
            said(_EXPORT_AGAIN),
        )
    return tree


def _element_path(elem: etree._Element | None) -> str:
    names = []
    while elem is not None:
        names.append(etree.QName(elem).localname)
        elem = elem.getparent()
    return "/" + "/".join(reversed(names))


def read_zreports(
    path_or_bytes: Path | bytes, department_id: str, *, cutoff_hour: int = 5
) -> list[ZReport]:
    """Every Z-report event of the file, as duvi's ZReport: one Z series per cash register
    (<cashregister><registerID>). `cutoff_hour`: a moment before it belongs to the day
    before (the business day of a Z-report taken after midnight)."""
    if isinstance(path_or_bytes, Path):
        source = str(path_or_bytes)
        try:
            data = path_or_bytes.read_bytes()
        except OSError as exc:
            raise SaftError(
                said(N_("cannot read {source}: {error}"), source=source, error=exc.strerror),
                said(N_("check the path")),
            ) from None
    else:
        source, data = "the SAF-T file", path_or_bytes
    root = validate(data, source).getroot()
    company = root.find(f"{{{NS}}}company")
    assert company is not None  # the schema requires it
    basics = Basics(company)
    out = []
    for register in company.iterfind(f"{{{NS}}}location/{{{NS}}}cashregister"):
        register_id = _text(register, "registerID")  # the schema requires it
        zs = []
        for event in register.iterfind(f"{{{NS}}}event"):
            event_type = _text(event, "eventType")
            if event_type not in basics.by_id:  # the schema's keyref eventBasicIDRef
                raise SaftError(
                    said(
                        N_(
                            "{source} does not follow the SAF-T Cash Register schema: element "
                            "/auditfile/company/location/cashregister/event/eventType (line "
                            "{line}): {value} is not a basicID of <basics>"
                        ),
                        source=source,
                        line=event.sourceline,
                        value=repr(event_type),
                    ),
                    said(_EXPORT_AGAIN),
                )
            report = event.find(f"{{{NS}}}eventReport")
            if report is None or _text(report, "reportType") != "Z report":
                continue
            taken = _date(event, "eventDate", source) + _time_of_day(event, "eventTime", source)
            zs.append((taken, event, report))
        zs.sort(key=lambda t: t[0])
        receipts = read_receipts(register, basics, _dec, _moment(source))
        for (taken, _event, report), closed in zip(
            zs, spans(receipts, [t for t, _e, _r in zs]), strict=True
        ):
            out.append(
                _zreport(
                    taken, report, closed, basics, department_id, source, register_id, cutoff_hour
                )
            )
    return out


def _moment(source: str) -> Callable[[etree._Element, str, str], datetime]:
    def at(el: etree._Element, day: str, time: str) -> datetime:
        return _date(el, day, source) + _time_of_day(el, time, source)

    return at


def _text(el: etree._Element, name: str) -> str | None:
    child = el.find(f"{{{NS}}}{name}")
    return child.text.strip() if child is not None and child.text else None


def _dec(el: etree._Element, name: str) -> Decimal:
    value = _text(el, name)
    try:
        return Decimal(value) if value is not None else Decimal(0)
    except InvalidOperation:
        raise SaftError(
            said(
                N_("<{element}> on line {line} is not a number: {value}"),
                element=name,
                line=el.sourceline,
                value=repr(value),
            ),
            said(N_("export the file again from DUELL")),
        ) from None


# xs:date and xs:time may carry a timezone (2026-11-10+01:00, 21:36:00Z). A cash register's
# dates and times are its own local calendar and clock (SAF-T Cash Register: "local time"),
# which is what duvi books by; the zone is dropped, never converted: converting would move a
# Z-report taken just after midnight to another business day. Inferred: the SAF-T
# documentation does not say what a zone on these elements means.
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


def _bad_value(el: etree._Element, name: str, value: str | None, source: str) -> SaftError:
    message = (
        N_(
            "{source}: element {where} (line {line}) holds {value}, which duvi cannot read as "
            "a date"
        )
        if "Date" in name
        else N_(
            "{source}: element {where} (line {line}) holds {value}, which duvi cannot read as "
            "a time"
        )
    )
    return SaftError(
        said(
            message,
            source=source,
            where=f"{_element_path(el)}/{name}",
            line=el.sourceline,
            value=repr(value),
        ),
        said(_EXPORT_AGAIN),
    )


def _date(el: etree._Element, name: str, source: str) -> datetime:
    """An xs:date as the midnight that starts it (see _DATE for a timezone)."""
    value = _text(el, name)
    found = _DATE.fullmatch(value or "")
    try:
        if found is None:
            raise ValueError(value)
        year, month, day = (int(g) for g in found.groups())
        return datetime(year, month, day)
    except ValueError:  # a valid xs:date Python cannot hold (year 0, 10000, negative)
        raise _bad_value(el, name, value, source) from None


def _time_of_day(el: etree._Element, name: str, source: str) -> timedelta:
    """An xs:time as the time since midnight; absent: midnight. 24:00:00 is a valid xs:time
    (XML Schema 1.0: the end of the day, the same instant as 00:00:00 of the next) and is read
    as that instant: a Z-report taken "at 24:00" on the 10th closed the 10th, so its closing
    time is the 11th at 00:00 while its business date stays reportDate's (the 10th); read as
    00:00:00 it would be the start of the day it closed."""
    value = _text(el, name)
    if value is None:
        return timedelta(0)
    found = _TIME.fullmatch(value)
    if found is None:
        raise _bad_value(el, name, value, source)
    h, m, sec = (int(g) for g in found.groups())
    if (h, m, sec) == (24, 0, 0) or (h < 24 and m < 60 and sec < 60):
        return timedelta(hours=h, minutes=m, seconds=sec)
    raise _bad_value(el, name, value, source)


# A reportID is unique in the whole file (the schema's key reportIDKey), while Z numbers run
# per register: a file of two registers may write "1" and "K2-1". The Z number is the
# reportID's digits, or its last run of digits after a sign or letter (inferred). ASCII digits
# only: int() also reads "١١٠٠" and fullwidth digits as 1100, and the Z number is part of the
# key that keeps a Z-report from being posted twice.
Z_NUMBER = re.compile(r"(?:.*[^0-9])?([0-9]+)", re.DOTALL)


def _zreport(
    taken: datetime,
    report: etree._Element,
    receipts: list[Receipt],
    basics: Basics,
    department_id: str,
    source: str,
    register_id: str | None,
    cutoff_hour: int,
) -> ZReport:
    q = f"{{{NS}}}"
    report_id = _text(report, "reportID") or ""
    found = Z_NUMBER.fullmatch(report_id)
    if found is None:
        raise SaftError(
            said(
                N_(
                    "{source}: the Z-report on line {line} has reportID {report_id}, which is "
                    "not a number in digits 0-9"
                ),
                source=source,
                line=report.sourceline,
                report_id=repr(report_id),
            ),
            said(N_("check the Z-report numbering in DUELL")),
        )
    z_number = int(found.group(1))
    try:
        got = figures(receipts)
    except MixedCredit as mixed:
        raise SaftError(
            said(
                N_(
                    "{source}: receipt on line {line} (Z-report {report_id}) is a cash and "
                    "credit sale with an unpaid part; duvi cannot split its VAT between the "
                    "till and the customer's account"
                ),
                source=source,
                line=mixed.receipt.line_no,
                report_id=report_id,
            ),
            said(N_("book that receipt's credit part by hand, then import the file again")),
        ) from None
    sales: dict[Decimal, VatSale] = {}
    for line in report.iterfind(f"{q}reportCashSalesVat/{q}reportCashSaleVat"):
        net, vat = _dec(line, "cashSaleAmnt"), _dec(line, "vatAmnt")
        rate = _dec(line, "vatPerc").normalize() + 0
        _add_sale(sales, rate, net + vat, vat)
    # Credit sales (kredittsalg): not cash sales, so not in reportCashSalesVat (inferred from
    # the element's name and Skatteetaten's example); their receipts' lines are the sales and
    # the customer's debt is paid "on invoice".
    for rate, (gross, vat) in got.credit_by_rate.items():
        _add_sale(sales, rate, gross, vat)
    stated = report.find(f"{q}reportCreditSales")
    if stated is not None and _dec(stated, "creditSalesAmnt") != got.credit_sales:
        raise SaftError(
            said(
                N_(
                    "{source}: Z-report {report_id} states credit sales of {stated}, its "
                    "receipts {counted}"
                ),
                source=source,
                report_id=report_id,
                stated=_dec(stated, "creditSalesAmnt"),
                counted=got.credit_sales,
            ),
            said(
                N_(
                    "the file holds only part of the receipts of this Z-report: export a period "
                    "that starts at the Z-report before it"
                )
            ),
        )
    paid: dict[str, Payment] = {}
    pant_refunded = Decimal(0)
    for p in report.iterfind(f"{q}reportPayments/{q}reportPayment"):
        amount = _dec(p, "paymentAmnt")
        if basics.code(_text(p, "paymentType"), PAYMENT) == PANT_VOUCHER:
            pant_refunded += amount
            continue
        kind, label = basics.payment(_text(p, "paymentType") or "")
        before = paid.get(kind)
        paid[kind] = Payment(
            type=kind, amount=amount + (before.amount if before else 0), label=label
        )
    if got.credit_sales:
        before = paid.get("invoice")
        paid["invoice"] = Payment(
            type="invoice", amount=got.credit_sales + (before.amount if before else 0)
        )
    payments = list(paid.values())
    other = {
        (_text(c, "otherCorrType") or ""): _dec(c, "otherCorrAmnt")
        for c in report.iterfind(f"{q}reportOtherCorrs/{q}reportOtherCorr")
    }
    tip = report.find(f"{q}reportTip")
    tips = _dec(tip, "tipAmnt") if tip is not None else got.tips
    # duvi's own export states gift cards sold and rounding as private corrections; a real
    # file only through its receipts.
    gift = other.get(GIFTCARD_SOLD, got.gift_cards_sold)
    total = sum((s.gross for s in sales.values()), Decimal(0)) + gift + tips - pant_refunded
    settled = sum((p.amount for p in payments), Decimal(0))
    rounding = other.get(ROUNDING, got.rounding)
    cash_lines = [
        p
        for p in report.iterfind(f"{q}reportPayments/{q}reportPayment")
        if basics.payment(_text(p, "paymentType") or "")[0] == "cash"
    ]
    cash = sum((int(_text(p, "paymentNum") or 0) for p in cash_lines), 0)
    if settled + rounding != total and ROUNDING not in other:
        # The receipts do not account for it (the file starts after the Z before this one):
        # what is left is rounding only within 50 øre per cash payment of the Z (inferred:
        # cash is rounded to whole kroner, card payments are not rounded).
        residual = total - settled
        if abs(residual) <= ROUNDING_PER_CASH_RECEIPT * cash:
            rounding = residual
    receipt_num = int(_text(report, "reportReceiptNum") or 0)
    groups = [
        ArticleGroup(
            group_id=_text(g, "artGroupID") or "",
            name=_text(g, "accDesc") or basics.desc(_text(g, "artGroupID") or ""),
            gross=_dec(g, "artGroupAmnt"),
        )
        for g in report.iterfind(f"{q}reportArtGroups/{q}reportArtGroup")
        if _dec(g, "artGroupAmnt") or _text(g, "artGroupID") != "-"
    ]
    # The business day: that of the Z-report's last sale, else of the Z-report itself, each
    # with the cut-off hour; never reportDate, which many systems set to the day the report
    # was taken (after midnight: the next day, perhaps the next month and VAT term).
    last_sale = got.last_sale if got.last_sale is not None else taken
    return ZReport(
        department_id=department_id,
        z_number=z_number,
        # Z numbers run per cash register: the event's register (<cashregister><registerID>)
        # is part of its key; the report's own registerID where the register has none.
        register_id=register_id or _text(report, "registerID") or "1",
        business_date=business_day(last_sale, cutoff_hour),
        closed_at=taken,
        sales=list(sales.values()),
        returns_gross=_dec(report, "reportReturnAmnt"),
        payments=payments,
        gift_cards_sold=gift,
        rounding=rounding,
        tips=tips,
        cash_difference=other.get(CASH_DIFF, got.cash_difference),
        pant_refunded=pant_refunded,
        pay_ins=_movements(report, "reportPayIns/{q}reportPayIn", "payIn", basics),
        pay_outs=_movements(report, "reportPayOuts/{q}reportPayOut", "payOut", basics),
        # A count of 0 beside sales is no count (an export that does not keep one).
        receipts=receipt_num or None,
        cash_receipts=cash if cash_lines else None,
        article_groups=groups,
        items_sold=got.items,
        company_ident=_text(report, "companyIdent"),
        company_name=_text(report, "companyName"),
    )


def _movements(report: etree._Element, path: str, name: str, basics: Basics) -> list[CashMovement]:
    """A report's pay-ins (or pay-outs), one per type, by the file's own type id; the label is
    the file's name for it (basicDesc) where <basics> has one."""
    q = f"{{{NS}}}"
    out: dict[str, CashMovement] = {}
    for el in report.iterfind(f"{q}{path.format(q=q)}"):
        kind = _text(el, f"{name}Type") or ""
        amount = _dec(el, f"{name}Amnt") + (out[kind].amount if kind in out else 0)
        label = basics.desc(kind) if kind in basics.by_id else _text(el, "accDesc")
        out[kind] = CashMovement(type=kind, amount=amount, label=label)
    return list(out.values())


def _add_sale(sales: dict[Decimal, VatSale], rate: Decimal, gross: Decimal, vat: Decimal) -> None:
    before = sales.get(rate)
    if before is None:
        sales[rate] = VatSale(rate=rate, gross=gross, net=gross - vat, vat=vat)
        return
    vat_sum = (before.vat or Decimal(0)) + vat
    gross_sum = before.gross + gross
    sales[rate] = VatSale(rate=rate, gross=gross_sum, net=gross_sum - vat_sum, vat=vat_sum)


# -- export ---------------------------------------------------------------------------------


def export_zreports(
    reports: Iterable[ZReport],
    *,
    company_ident: str,
    company_name: str,
    software: str = "duvi sandbox",
    created: datetime | None = None,
) -> bytes:
    """A SAF-T Cash Register file holding `reports` as Z-report events."""
    reports = list(reports)
    created = created or datetime.now().replace(microsecond=0)
    # lxml takes None as the default namespace's prefix; lxml-stubs types the keys as str only.
    root = etree.Element(f"{{{NS}}}auditfile", nsmap={None: NS})  # type: ignore[dict-item]

    days = sorted(r.business_date for r in reports) or [created.date()]
    header = _add(root, "header")
    for name, value in (
        ("fiscalYear", days[0].year),
        ("startDate", days[0]),
        ("endDate", days[-1]),
        ("curCode", "NOK"),
        ("dateCreated", created.date()),
        ("timeCreated", created.time().isoformat()),
        ("softwareDesc", software),
        ("softwareVersion", "1"),
        ("softwareCompanyName", "duvi"),
        ("auditfileVersion", "1.0"),
    ):
        _add(header, name, value)
    company = _add(root, "company")
    _add(company, "companyIdent", company_ident)
    _add(company, "companyName", company_name)
    basics = _add(company, "basics")
    basic = _add(basics, "basic")
    for name, value in (
        ("basicType", "13"),
        ("basicID", Z_REPORT_EVENT),
        ("predefinedBasicID", Z_REPORT_EVENT),
        ("basicDesc", "Z report"),
    ):
        _add(basic, name, value)
    location = _add(company, "location")
    by_register: dict[str, list[ZReport]] = {}
    for r in reports:
        by_register.setdefault(r.register_id, []).append(r)
    for register_id, items in by_register.items():
        register = _add(location, "cashregister")
        _add(register, "registerID", register_id)
        for r in items:
            _event(register, r, company_ident, company_name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _add(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        el.text = str(text)
    return el


def _amount(value: Decimal) -> str:
    return str(round_money(value))


def _event(register: etree._Element, r: ZReport, company_ident: str, company_name: str) -> None:
    event = _add(register, "event")
    _add(event, "eventID", f"Z{r.z_number}")
    _add(event, "eventType", Z_REPORT_EVENT)
    _add(event, "eventDate", r.closed_at.date().isoformat())
    _add(event, "eventTime", r.closed_at.time().replace(microsecond=0).isoformat())
    rep = _add(event, "eventReport")
    for name, value in (
        ("reportID", r.z_number),
        ("reportType", "Z report"),
        ("companyIdent", company_ident),
        ("companyName", company_name),
        ("reportDate", r.business_date.isoformat()),
        ("reportTime", r.closed_at.time().replace(microsecond=0).isoformat()),
        ("registerID", r.register_id),
    ):
        _add(rep, name, value)
    sales_total = sum((s.gross for s in _with_pant(r)), Decimal(0))
    _add(_add(rep, "reportTotalCashSales"), "totalCashSaleAmnt", _amount(sales_total))
    groups = _add(rep, "reportArtGroups")
    for g in r.article_groups or [ArticleGroup(group_id="-", name="", gross=Decimal(0))]:
        line = _add(groups, "reportArtGroup")
        _add(line, "artGroupID", g.group_id)
        _add(line, "artGroupNum", "1")
        _add(line, "artGroupAmnt", _amount(g.gross))
        if g.name:
            _add(line, "accDesc", g.name)
    pays = _add(rep, "reportPayments")
    refunded = [Payment(type=PANT_VOUCHER, amount=r.pant_refunded)] if r.pant_refunded else []
    for p in [*r.payments, *refunded]:
        line = _add(pays, "reportPayment")
        _add(line, "paymentType", PAYMENT_CODES.get(p.type, p.type))
        count = r.cash_receipts if p.type == "cash" and r.cash_receipts is not None else 1
        _add(line, "paymentNum", count)
        _add(line, "paymentAmnt", _amount(p.amount))
    if r.tips:
        tip = _add(rep, "reportTip")
        _add(tip, "tipNum", "1")
        _add(tip, "tipAmnt", _amount(r.tips))
    vats = _add(rep, "reportCashSalesVat")
    for s in _with_pant(r):
        vat = s.vat if s.vat is not None else vat_of(s.gross, s.rate)
        line = _add(vats, "reportCashSaleVat")
        code = STANDARD_VAT_CODES.get(s.rate)
        if code:
            _add(line, "vatCode", code)
        _add(line, "vatPerc", round_money(s.rate, Decimal("0.001")))  # a rate, 3 decimals
        _add(line, "cashSaleAmnt", _amount(s.gross - vat))
        _add(line, "vatAmnt", _amount(vat))
    _add(rep, "reportOpeningChangeFloat", "0.00")
    _add(rep, "reportReceiptNum", r.receipts or 0)
    for name in ("reportOpenCashBoxNum", "reportReceiptCopyNum"):
        _add(rep, name, "0")
    _add(rep, "reportReceiptCopyAmnt", "0.00")
    _add(rep, "reportReceiptProformaNum", "0")
    _add(rep, "reportReceiptProformaAmnt", "0.00")
    _add(rep, "reportReturnNum", "1" if r.returns_gross else "0")
    _add(rep, "reportReturnAmnt", _amount(r.returns_gross))
    _add(rep, "reportDiscountNum", "0")
    _add(rep, "reportDiscountAmnt", "0.00")
    _add(rep, "reportVoidTransNum", "0")
    _add(rep, "reportVoidTransAmnt", "0.00")
    corr = _add(_add(rep, "reportCorrLines"), "reportCorrLine")
    _add(corr, "corrLineType", "none")
    _add(corr, "corrLineNum", "0")
    _add(corr, "corrLineAmnt", "0.00")
    inq = _add(_add(rep, "reportPriceInquiries"), "reportPriceInquiry")
    _add(inq, "priceInquiryGroup", "none")
    _add(inq, "priceInquiryNum", "0")
    _add(inq, "priceInquiryAmnt", "0.00")
    others = _add(rep, "reportOtherCorrs")
    for kind, amount in (
        (ROUNDING, r.rounding),
        (GIFTCARD_SOLD, r.gift_cards_sold),
        (CASH_DIFF, r.cash_difference),
    ):
        line = _add(others, "reportOtherCorr")
        _add(line, "otherCorrType", kind)
        _add(line, "otherCorrNum", "1" if amount else "0")
        _add(line, "otherCorrAmnt", _amount(amount))
    _add(rep, "reportReceiptDeliveryNum", "0")
    _add(rep, "reportReceiptDeliveryAmnt", "0.00")
    _add(rep, "reportTrainingNum", "0")
    _add(rep, "reportTrainingAmnt", "0.00")
    for element, name, moves in (
        ("reportPayIns", "payIn", r.pay_ins),
        ("reportPayOuts", "payOut", r.pay_outs),
    ):
        if moves:
            group = _add(rep, element)
            for m in moves:
                line = _add(group, element[:-1])
                _add(line, f"{name}Type", m.type)
                _add(line, f"{name}Num", "1")
                _add(line, f"{name}Amnt", _amount(m.amount))
                if m.label:
                    _add(line, "accDesc", m.label)
    _add(rep, "reportGrandTotalSales", _amount(sales_total + r.returns_gross))
    _add(rep, "reportGrandTotalReturn", _amount(r.returns_gross))
    _add(rep, "reportGrandTotalSalesNet", _amount(sales_total))


def _with_pant(r: ZReport) -> list[VatSale]:
    """The sales per rate with the pant sold at it: a SAF-T file has no element for pant, whose
    lines are sales of their rate."""
    out: dict[Decimal, VatSale] = {}
    for s in [*r.sales, *r.pant_sold]:
        vat = s.vat if s.vat is not None else vat_of(s.gross, s.rate)
        _add_sale(out, s.rate, s.gross, vat)
    return list(out.values())
