"""A Norwegian Visma.net company's reference data: chart of accounts (accounting-no.md,
Skatteetaten's standard accounts), VAT ids, categories and zones, branches, and a SUBACCOUNT
dimension whose first segment is the department (avdeling) and second the project, item
classes and warehouses."""

from __future__ import annotations

from decimal import Decimal

from core.sandbox.common import Clock
from core.sandbox.visma_state import Company

ACCOUNTS: dict[str, str] = {
    "1460": "Innkjøpte varer for videresalg",
    "1500": "Kundefordringer",
    "1530": "Opptjent, ikke fakturert driftsinntekt",
    "1579": "Andre kortsiktige fordringer (kortoppgjør)",
    "1580": "Oppgjørskonto Visa/Mastercard",
    "1581": "Oppgjørskonto Vipps",
    "1590": "Andre omløpsmidler (Vipps-oppgjør)",
    "1900": "Kontanter NOK",
    "1909": "Kassedifferanse",
    "1920": "Bankinnskudd",
    "2380": "Kassekreditt",
    "2700": "Utgående mva, høy sats",
    "2701": "Utgående mva, middels sats",
    "2702": "Utgående mva, råfisk",
    "2703": "Utgående mva, lav sats",
    "2740": "Oppgjørskonto mva",
    "2900": "Forskudd fra kunder",
    "2901": "Gavekort",
    "2902": "Tilgodelapper",
    "2930": "Skyldig lønn (tips)",
    "3000": "Salg, avgiftspliktig, høy sats",
    "3001": "Salg, avgiftspliktig, middels sats",
    "3002": "Salg, avgiftspliktig, lav sats",
    "3003": "Salg, råfisk",
    "3030": "Salgsinntekt handelsvarer, avgiftspliktig, middels sats",
    "3040": "Salgsinntekt egentilvirkede varer, avgiftspliktig, middels sats",
    "3050": "Salgsinntekt tjenester, avgiftspliktig, lav sats",
    "3100": "Salg, avgiftsfritt",
    "3105": "Salgsinntekt handelsvarer, utførsel, avgiftsfri",
    "3200": "Salg, utenfor avgiftsområdet",
    "3900": "Annen driftsrelatert inntekt",
    "4090": "Beholdningsendring",
    "4390": "Beholdningsendring, varer for videresalg",
    "7740": "Øresavrunding",
    "7770": "Bank- og kortgebyrer",
    "7798": "Annen kostnad, fradragsberettiget (øreavrunding)",
    "7790": "Kassedifferanse",
}

# (vat id, category id, description, rate, SAF-T code)
VAT_CODES: list[tuple[str, str, str, Decimal, str]] = [
    ("3", "1", "Utgående mva, høy sats 25 %", Decimal("25"), "3"),
    ("31", "2", "Utgående mva, middels sats 15 %", Decimal("15"), "31"),
    ("33", "3", "Utgående mva, lav sats 12 %", Decimal("12"), "33"),
    ("32", "6", "Utgående mva, råfisk 11,11 %", Decimal("11.11"), "32"),
    ("5", "4", "Innenlands omsetning, fritatt 0 %", Decimal("0"), "5"),
    ("6", "5", "Omsetning utenfor mva-loven", Decimal("0"), "6"),
]

# Each output VAT id's payable account (VatInformationDto.glAccounts.vatPayableAccount): the
# standard chart's 2700-2703 (accounting-no.md C.3). A line on one of them in a batch that asks
# for VAT transactions must carry the VAT id (core/sandbox/vat_transactions.py).
VAT_ACCOUNTS = {"3": "2700", "31": "2701", "32": "2702", "33": "2703"}

DEPARTMENT_SEGMENT = 1
# (id, description, type): what GET /v1/inventory/itemClass lists; a new item needs one.
ITEM_CLASSES = (
    ("VARER", "Handelsvarer", "FinishedGoodItem"),
    ("TJENESTE", "Tjenester og kurs", "ServiceItem"),
)
# No "MAIN": a warehouse id is the company's own choice (findings B18).
WAREHOUSES = (("HOVED", "Hovedlager"), ("BUTIKK", "Butikklager"))


def _account_type(number: str) -> str:
    return {"1": "Asset", "2": "Liability", "3": "Income"}.get(number[0], "Expense")


def seed_company(tenant_id: str, name: str, clock: Clock, departments: list[str]) -> Company:
    c = Company(tenant_id=tenant_id, name=name, clock=clock)
    stamp = clock.stamp()
    for i, (number, desc) in enumerate(ACCOUNTS.items(), start=1):
        c.accounts[number] = {
            "accountID": i,
            "accountCD": number,
            "accountGroupCD": number[:2],
            "type": _account_type(number),
            "active": True,
            "description": desc,
            "lastModifiedDateTime": stamp,
        }
    for vat_id, cat_id, desc, rate, _saft in VAT_CODES:
        c.vat[vat_id] = {
            "vatId": vat_id,
            "vatCategoryId": cat_id,
            "description": desc,
            "type": "Sales" if rate else "ExemptVat",
            "documentText": desc,
            "lastModifiedDateTime": stamp,
        }
        if vat_id in VAT_ACCOUNTS:
            acc = VAT_ACCOUNTS[vat_id]
            c.vat[vat_id]["glAccounts"] = {
                "vatPayableAccount": {"number": acc, "description": ACCOUNTS[acc]}
            }
        c.vat_categories[cat_id] = {
            "vatCategoryId": cat_id,
            "description": desc,
            "active": True,
            "excludeListedTaxes": False,
            "lastModifiedDateTime": stamp,
            "vatCategoryLines": [
                {
                    "vatId": vat_id,
                    "description": desc,
                    "type": "Sales" if rate else "ExemptVat",
                    "calculateOn": "ExtractFromItemAmount",
                    "vatRates": [{"vatRate": rate, "startDate": "2016-01-01T00:00:00"}],
                }
            ],
        }
    c.vat_zones["01"] = {"id": "01", "description": "Innenlands", "defaultVatCategory": "1"}
    c.vat_zones["02"] = {"id": "02", "description": "Eksport", "defaultVatCategory": "4"}
    # Visma names a company's main branch after the company: setup shows it as the company.
    for number, bname, main in (("1", name, True), ("2", "Filial Bergen", False)):
        c.branches[number] = {
            "branchId": int(number),
            "number": number,
            "name": bname,
            "isMainBranch": main,
            "isActive": True,
            "lastModifiedDateTime": stamp,
        }
    values = [{"valueId": "00", "description": "Felles", "active": True}] + [
        {"valueId": d.zfill(2), "description": f"Avdeling {d}", "active": True} for d in departments
    ]
    c.dimensions["SUBACCOUNT"] = {
        "id": "SUBACCOUNT",
        "description": "Subaccount",
        "length": 5,
        "segments": [
            {
                "segmentId": DEPARTMENT_SEGMENT,
                "description": "Avdeling",
                "length": 2,
                "segmentValues": values,
            },
            {
                "segmentId": 2,
                "description": "Prosjekt",
                "length": 3,
                "segmentValues": [{"valueId": "000", "description": "Ingen", "active": True}],
            },
        ],
    }
    for cid, cdesc, ctype in ITEM_CLASSES:
        c.item_classes[cid] = {"id": cid, "description": cdesc, "type": ctype}
    for wid, wdesc in WAREHOUSES:
        c.warehouses[wid] = {
            "warehouseID": wid,
            "description": wdesc,
            "active": True,
            "locationEntry": "ValidateAndWarn",
            "timestamp": "0x0000000000000001",
        }
    c.dimensions["ACCOUNT"] = {
        "id": "ACCOUNT",
        "description": "Account",
        "length": 4,
        "segments": [],
    }
    for i, v in enumerate(values, start=1):
        number = f"{v['valueId']}-000"
        c.subaccounts[number] = {
            "subaccountNumber": number,
            "subaccountId": i,
            "description": v["description"],
            "active": True,
            "lastModifiedDateTime": stamp,
            "segments": [
                {
                    "segmentId": 1,
                    "segmentDescription": "Avdeling",
                    "segmentValue": v["valueId"],
                    "segmentValueDescription": v["description"],
                },
                {
                    "segmentId": 2,
                    "segmentDescription": "Prosjekt",
                    "segmentValue": "000",
                    "segmentValueDescription": "Ingen",
                },
            ],
        }
    return c
