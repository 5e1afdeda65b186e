"""Products ("varer") between DUELL and Visma, per the department's product master.

- DUELL master: DUELL products -> Visma inventory items. Matched on item number; a
  product_number that DUELL uses for several products is a conflict, not a guess.
- Visma master (and the first-time pull, its own action): Visma items -> DUELL products,
  read with a lastModifiedDateTime cursor. An item without a name gets its item number; the
  cost price is Visma's average or last cost, per the setting.
- The barcode travels in the Visma cross-reference of the configured type; the VAT rate and
  Visma's VAT category meet through the department's VAT mapping.
- A linked pair whose content hash is unchanged is not written: a resync with nothing
  changed makes zero writes. DUELL writes go in batches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.eventlog import WarnOnce
from core.eventtext import msg, plural_msg
from core.failpoints import Failpoint, failpoint
from core.http import OutcomeUnknownError
from core.i18n import N_
from core.models import Master, Product
from core.sync.base import MasterDataSync
from core.sync.links import Link, content_hash
from core.visma.errors import VismaError
from core.visma.models import CrossReferenceLine, InventoryItem, InventoryWrite

ENTITY = "product"
SHARED_NUMBER = "shared product number"  # the kind of warning, logged once per state
NO_ITEM_CLASS = (
    "no Visma item class is chosen for department {dept}, and Visma creates no item without "
    "one: choose one in its setup (duvi departments setup {dept} --item-class ID)"
)


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    failed: list[str] = field(default_factory=list)
    writes: int = 0  # requests that changed something
    changed: list[tuple[str, str]] = field(default_factory=list)  # (visma id, lastModified)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ProductSync(MasterDataSync):
    ENTITY = ENTITY

    def master(self) -> Master:
        return self.dept.settings.product_master

    async def _vat_maps(self) -> tuple[dict[Decimal, str], dict[str, Decimal]]:
        """DUELL rate -> Visma VAT category, and back, through the department's VAT mapping."""
        vat = {v.vat_id: v.vat_category_id for v in await self.visma.list_vat()}
        to_cat: dict[Decimal, str] = {}
        for rate, m in self.departments.vat_mappings(self.dept.id).items():
            if m.visma_vat_id and vat.get(m.visma_vat_id):
                to_cat[rate] = vat[m.visma_vat_id] or ""
        return to_cat, {cat: rate for rate, cat in to_cat.items()}

    # -- DUELL -> Visma ------------------------------------------------------------------------

    async def push_to_visma(self) -> SyncReport:
        report = SyncReport()
        to_cat, _ = await self._vat_maps()
        xref = self.dept.settings.barcode_cross_reference
        products = [p async for p in self.duell.list_products()]
        by_number: dict[str, list[Product]] = defaultdict(list)
        for p in products:
            by_number[p.product_number].append(p)
        links = {lk.duell_id: lk for lk in self.links.all()}
        items = {i.inventory_number: i async for i in self.visma.list_items(cross_references=True)}
        new_links: list[Link] = []
        try:
            # Every DUELL product passes: a shared number's warning is logged once per state.
            with self.log.warnings_once(self.dept.id, ENTITY, SHARED_NUMBER) as once:
                await self._push(
                    products, by_number, links, items, to_cat, xref, report, new_links, once
                )
        finally:  # what was written stays linked, even when the run stops halfway
            self.links.save_many(new_links)
        return report

    async def _push(
        self,
        products: list[Product],
        by_number: dict[str, list[Product]],
        links: dict[str, Link],
        items: dict[str | None, InventoryItem],
        to_cat: dict[Decimal, str],
        xref: str,
        report: SyncReport,
        new_links: list[Link],
        once: WarnOnce,
    ) -> None:
        item_class = self.dept.settings.item_class
        unclassed: list[str] = []
        for p in products:
            fields = self._visma_fields(p, to_cat)
            digest = content_hash(fields)
            link = links.get(str(p.product_id))
            if link is None:
                if len(by_number[p.product_number]) > 1:
                    self._conflict(p, by_number[p.product_number], once)
                    report.conflicts += 1
                    continue
            elif link.content_hash == digest:
                report.unchanged += 1
                continue
            number = link.visma_id if link else p.product_number
            if number not in items and not item_class:
                unclassed.append(p.product_number)  # Visma would refuse it: not sent
                continue
            try:
                if number in items:
                    await self.visma.update_item(number, self._write(fields, items[number], xref))
                    report.updated += 1
                else:
                    await self._create(number, self._write(fields, None, xref, item_class))
                    failpoint(Failpoint.PRODUCT_AFTER_CREATE)
                    report.created += 1
                report.writes += 1
            except VismaError as exc:
                report.failed.append(f"{p.product_number}: {exc.message}")
                self.log.error(
                    msg(
                        N_("product {number} not written to Visma: {message}"),
                        number=p.product_number,
                        message=exc.message,
                    ),
                    department_id=self.dept.id,
                    entity=ENTITY,
                )
                continue
            new_links.append(Link(str(p.product_id), number, digest))
        if unclassed:
            # Every new item needs an item class (S11: itemClass "Mandatory"): one line for
            # all of them, not one per product.
            why = NO_ITEM_CLASS.format(dept=self.dept.id)
            report.failed += [f"{n}: {why}" for n in unclassed]
            self.log.error(
                plural_msg(
                    "{n} new product not created in Visma: {why}",
                    "{n} new products not created in Visma: {why}",
                    n=len(unclassed),
                    why=why,
                ),
                department_id=self.dept.id,
                entity=ENTITY,
            )

    async def _create(self, number: str, write: InventoryWrite) -> None:
        """Create the item. When the answer is lost, its item number tells whether Visma made
        it; only an item that is not there is sent again, so none is ever made twice."""
        for _ in range(3):
            try:
                await self.visma.create_item(write)
                return
            except OutcomeUnknownError:
                try:
                    await self.visma.get_item(number)
                    return  # it was made
                except VismaError as exc:
                    if exc.status != 404:
                        raise
        raise VismaError(
            f"Visma's answer to the creation of item {number} was lost three times",
            "the next sync looks the item up again before sending it",
        )

    @staticmethod
    def _visma_fields(p: Product, to_cat: dict[Decimal, str]) -> dict[str, Any]:
        return {
            "number": p.product_number,
            "name": p.name,
            "price": str(p.price_inc_vat),
            "category": to_cat.get(p.vat_rate),
            "barcode": p.barcode,
        }

    @staticmethod
    def _write(
        fields: dict[str, Any],
        existing: InventoryItem | None,
        xref: str,
        item_class: str | None = None,
    ) -> InventoryWrite:
        refs = None
        if fields["barcode"] and (existing is None or existing.barcode(xref) != fields["barcode"]):
            refs = [CrossReferenceLine(alternate_type=xref, alternate_id=fields["barcode"])]
        return InventoryWrite(
            inventory_number=fields["number"] if existing is None else None,
            item_class=item_class if existing is None else None,
            description=fields["name"],
            default_price=Decimal(fields["price"]),
            vat_code=fields["category"],
            cross_references=refs,
        )

    def _conflict(self, p: Product, same: list[Product], once: WarnOnce) -> None:
        candidates = [{"id": str(o.product_id), **o.model_dump(mode="json")} for o in same]
        self.conflicts.raise_conflict(
            self.dept.id,
            ENTITY,
            "duell",
            str(p.product_id),
            p.model_dump(mode="json"),
            candidates,
            "product_number",
        )
        # The same products sharing the same number: the same warning as last time.
        fingerprint = f"{p.product_number}:{','.join(sorted(str(o.product_id) for o in same))}"
        once.warn(
            str(p.product_id),
            fingerprint,
            msg(
                N_(
                    "product number {number} is used by {n} DUELL products: which one is "
                    "Visma's item is for a person to decide"
                ),
                number=p.product_number,
                n=len(same),
            ),
        )

    # -- Visma -> DUELL ------------------------------------------------------------------------

    async def pull_from_visma(
        self, *, first_time: bool = False, records: AsyncIterator[InventoryItem] | None = None
    ) -> SyncReport:
        """Visma items into DUELL. The first-time pull reads everything; later runs only what
        changed since the cursor; a webhook hands over the records it re-read."""
        from core.ledger import Ledger

        report = SyncReport()
        ledger = Ledger(self.store)
        cursor = None if first_time else ledger.cursor(self.dept.id, "product:visma")
        _, from_cat = await self._vat_maps()
        xref = self.dept.settings.barcode_cross_reference
        by_visma = {lk.visma_id: lk for lk in self.links.all()}
        duell_by_number: dict[str, list[Product]] = defaultdict(list)
        async for p in self.duell.list_products():
            duell_by_number[p.product_number].append(p)
        updates: list[dict[str, Any]] = []
        pending_links: list[tuple[str | None, str, str]] = []  # (duell id or None, visma, hash)
        newest = cursor
        source = records or self.visma.list_items(
            modified_since=cursor, cost_statistics=True, cross_references=True
        )
        async for item in source:
            number = item.inventory_number or ""
            newest = max(newest or "", item.last_modified_date_time or "")
            fields = self._duell_fields(item, from_cat, xref)
            digest = content_hash(fields)
            link = by_visma.get(number)
            if link is not None and link.content_hash == digest:
                report.unchanged += 1
                continue
            duell_id = link.duell_id if link else None
            if duell_id is None:
                same = duell_by_number.get(number, [])
                if len(same) > 1:
                    self.conflicts.raise_conflict(
                        self.dept.id,
                        ENTITY,
                        "visma",
                        number,
                        fields,
                        [{"id": str(o.product_id), **o.model_dump(mode="json")} for o in same],
                        "product_number",
                    )
                    report.conflicts += 1
                    continue
                duell_id = str(same[0].product_id) if same else None
            entry = {k: v for k, v in fields.items() if v is not None}
            if duell_id:
                entry["product_id"] = int(duell_id)
                report.updated += 1
            else:
                report.created += 1
            updates.append(entry)
            pending_links.append((duell_id, number, digest))
            report.changed.append((number, item.last_modified_date_time or ""))
        if updates:
            ids = await self.duell.save_products(updates)
            report.writes += (len(updates) + 99) // 100
            self.links.save_many(
                [
                    Link(str(pid), visma, digest)
                    for pid, (_, visma, digest) in zip(ids, pending_links, strict=True)
                ]
            )
        if newest and records is None:
            ledger.set_cursor(self.dept.id, "product:visma", newest)
        return report

    def _duell_fields(
        self, item: InventoryItem, from_cat: dict[str, Decimal], xref: str
    ) -> dict[str, Any]:
        stats = item.cost_price_statistics
        cost = None
        if stats is not None:
            cost = (
                stats.average_cost
                if self.dept.settings.cost_price_field == "average"
                else (stats.last_cost)
            )
        rate = from_cat.get(item.vat_code.id) if item.vat_code and item.vat_code.id else None
        return {
            "product_number": item.inventory_number,
            "product_name": item.description or item.inventory_number,  # nameless: its number
            "price_inc_vat": float(item.default_price) if item.default_price is not None else None,
            "cost_price": float(cost) if cost is not None else None,
            "vatrate_percent": float(rate) if rate is not None else None,
            "barcode": item.barcode(xref),
        }
