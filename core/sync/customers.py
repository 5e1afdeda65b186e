"""Customers ("kunder") between DUELL and Visma, per the department's customer master.

Matching follows core/matching.py: org. number, then phone, then e-mail; the placeholder
phone never matches; "allow duplicate customer data" means no matching at all. A record with
several candidates becomes a conflict and waits for a person (only that customer is blocked);
a resolved conflict takes effect on the next sync.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from core.customer_record import from_duell, from_visma, to_duell, visma_keys
from core.eventtext import msg
from core.failpoints import Failpoint, failpoint
from core.http import OutcomeUnknownError
from core.i18n import N_
from core.matching import CustomerIndex, Keys
from core.models import Customer, Master
from core.sync.base import MasterDataSync
from core.sync.links import Link, content_hash
from core.sync.products import SyncReport
from core.visma.errors import VismaError
from core.visma.models import AddressWrite, ContactWrite, CustomerWrite
from core.visma.models import Customer as VismaCustomer

ENTITY = "customer"


class CreateLost(VismaError):
    """A create whose answer never came back and that a lookup did not find: it may exist."""


class CustomerSync(MasterDataSync):
    ENTITY = ENTITY

    def master(self) -> Master:
        return self.dept.settings.customer_master

    def _decided(self, incoming_id: str) -> str | None:
        """A person's decision on this record's conflict: 'create', 'ignore', or None."""
        c = self.conflicts.open_for(self.dept.id, ENTITY, incoming_id)
        if c is None or c.state == "open":
            return "open" if c is not None else None
        return (c.resolution or {}).get("action")

    def _merged(self, incoming_id: str) -> dict[str, Any]:
        """The values a person chose field by field when merging this record, if any."""
        c = self.conflicts.open_for(self.dept.id, ENTITY, incoming_id)
        if c is None or c.state != "resolved" or (c.resolution or {}).get("action") != "merge":
            return {}
        return dict((c.resolution or {}).get("fields") or {})

    # -- DUELL -> Visma ------------------------------------------------------------------------

    async def push_to_visma(self) -> SyncReport:
        report = SyncReport()
        links = {lk.duell_id: lk for lk in self.links.all()}
        visma = [c async for c in self.visma.list_customers()]
        records = {c.number: from_visma(c) for c in visma if c.number}  # Visma numbers each
        index = CustomerIndex(
            ((c.number, visma_keys(c)) for c in visma),
            owners={lk.visma_id: lk.duell_id for lk in links.values()},
        )
        new_links: list[Link] = []
        try:
            await self._push(links, records, index, report, new_links)
        finally:  # what was written stays linked, even when the run stops halfway
            self.links.save_many(new_links)
        return report

    def _claim_interrupted(
        self,
        duell: list[Customer],
        links: dict[str, Link],
        records: dict[str, dict[str, Any]],
        index: CustomerIndex,
    ) -> dict[str, str]:
        """The customers that creates sent by an earlier run made (answer lost, or the run
        died before linking), found in this run's listing by what was sent, and given to their
        DUELL customers before anything is matched, so no other DUELL customer can take them."""
        interrupted = self.links.intents() - set(links)
        linked = {lk.visma_id for lk in links.values()}
        claimed: dict[str, str] = {}
        for d in duell:
            did = str(d.customer_id)
            if did not in interrupted:
                continue
            sent = self._sent({**from_duell(d), **self._merged(did)})
            for number, found in records.items():
                if number in linked or number in claimed.values():
                    continue
                if all(found[k] == sent[k] for k in ("name", "orgnr", "email", "phone")):
                    claimed[did] = number
                    index.owners[number] = did
                    break
        return claimed

    async def _push(
        self,
        links: dict[str, Link],
        records: dict[str, dict[str, Any]],
        index: CustomerIndex,
        report: SyncReport,
        new_links: list[Link],
    ) -> None:
        linked = {lk.visma_id for lk in links.values()}
        duell = [d async for d in self.duell.list_customers()]
        claimed = self._claim_interrupted(duell, links, records, index)
        linked |= set(claimed.values())
        for d in duell:
            did = str(d.customer_id)
            fields = {**from_duell(d), **self._merged(did)}
            digest = content_hash(fields)
            link = links.get(did)
            if link is not None and link.content_hash == digest:
                report.unchanged += 1
                continue
            target = link.visma_id if link else claimed.get(did)
            if target is None:
                decided = self._decided(did)
                if decided in ("open", "ignore"):
                    report.conflicts += decided == "open"
                    continue
                if decided != "create":
                    keys = Keys.of(d.org_no, d.phone, d.email)
                    match = index.match(
                        keys,
                        allow_duplicates=self.dept.settings.allow_duplicate_customers,
                        owner=did,
                    )
                    if match.warning:
                        self.log.warning(
                            msg(
                                N_("customer {customer} '{name}': {warning}"),
                                customer=did,
                                name=d.name,
                                warning=match.warning,
                            ),
                            department_id=self.dept.id,
                            entity=ENTITY,
                        )
                    if match.waiting:
                        self.log.info(
                            msg(
                                N_(
                                    "customer {customer} '{name}' waits: it shares a key with "
                                    "a customer whose creation Visma has not confirmed yet; "
                                    "the next sync matches it"
                                ),
                                customer=did,
                                name=d.name,
                            ),
                            department_id=self.dept.id,
                            entity=ENTITY,
                        )
                        continue
                    if match.conflict:
                        if match.held_by is not None:
                            self.log.warning(
                                msg(
                                    N_(
                                        "customer {customer} '{name}': its {field} matches "
                                        "Visma customer {visma}, which is DUELL customer "
                                        "{held_by}'s; a person decides"
                                    ),
                                    customer=did,
                                    name=d.name,
                                    field=match.key,
                                    visma=match.conflict[0],
                                    held_by=match.held_by,
                                ),
                                department_id=self.dept.id,
                                entity=ENTITY,
                            )
                        self.conflicts.raise_conflict(
                            self.dept.id,
                            ENTITY,
                            "duell",
                            did,
                            from_duell(d),
                            [{"id": n, **records[str(n)]} for n in match.conflict],
                            match.key or "",
                        )
                        report.conflicts += 1
                        continue
                    target = str(match.candidate) if match.candidate is not None else None
            try:
                if target is None:
                    self.links.intend(did, fields["name"])
                    try:
                        target = await self._create(fields, records, linked)
                    except CreateLost:
                        # Visma may hold it: what shares its keys waits for the next sync,
                        # which finds it (or sends it) before matching anything.
                        index.hold(self._keys(fields))
                        raise
                    failpoint(Failpoint.CUSTOMER_AFTER_CREATE)
                    records[target] = self._sent(fields)
                    index.add(target, self._keys(fields))
                    report.created += 1
                else:
                    await self.visma.update_customer(target, self._write(fields, new=False))
                    report.updated += 1
                report.writes += 1
            except VismaError as exc:
                report.failed.append(f"{did}: {exc.message}")
                self.log.error(
                    msg(
                        N_("customer {customer} not written to Visma: {message}"),
                        customer=did,
                        message=exc.message,
                    ),
                    department_id=self.dept.id,
                    entity=ENTITY,
                )
                continue
            index.owners.setdefault(target, did)
            new_links.append(Link(did, target, digest))
            linked.add(target)

    async def _create(
        self, fields: dict[str, Any], records: dict[str, dict[str, Any]], linked: set[str]
    ) -> str:
        """Create the customer. Visma numbers customers itself, so when the answer is lost the
        customer is looked for by name: one that was not there when this sync began, is linked
        to nobody and holds what was sent is the one just made. Only when there is none is it
        sent again, so none is ever made twice."""
        write = self._write(fields, new=True)
        for _ in range(3):
            try:
                return await self.visma.create_customer(write)
            except OutcomeUnknownError:
                found = await self._made_earlier(fields, records, linked, new_only=True)
                if found is not None:
                    return found
        raise CreateLost(
            f"Visma's answer to the creation of customer '{fields['name']}' was lost three times",
            "the next sync looks for it again before sending it",
        )

    async def _made_earlier(
        self,
        fields: dict[str, Any],
        records: dict[str, dict[str, Any]],
        linked: set[str],
        *,
        new_only: bool = False,
    ) -> str | None:
        """The customer an earlier create made, if Visma has it: same name, org. number,
        e-mail and phone, linked to nobody (and, for a create of this run, not there when the
        run began)."""
        sent = self._sent(fields)
        async for c in self.visma.list_customers(name=fields["name"]):
            number = c.number or ""
            if number in linked or (new_only and number in records):
                continue
            found = from_visma(c)
            if all(found[k] == sent[k] for k in ("name", "orgnr", "email", "phone")):
                records[number] = found
                return number
        return None

    @classmethod
    def _sent(cls, f: dict[str, Any]) -> dict[str, Any]:
        """The fields as Visma holds them once written (the phone only when it is one)."""
        return {**f, "phone": cls._phone(f)}

    @classmethod
    def _keys(cls, f: dict[str, Any]) -> Keys:
        """The matching keys of the customer as written to Visma."""
        return Keys.of(f["orgnr"], cls._phone(f), f["email"])

    @staticmethod
    def _phone(f: dict[str, Any]) -> str | None:
        """The phone as written to Visma: only one that is a phone number."""
        return f["phone"] if f["phone"] and Keys.of(None, f["phone"], None).phone else None

    @classmethod
    def _write(cls, f: dict[str, Any], *, new: bool) -> CustomerWrite:
        phone = cls._phone(f)
        return CustomerWrite(
            name=f["name"],
            corporate_id=f["orgnr"],
            main_contact=ContactWrite(email=f["email"], phone1=phone)
            if f["email"] or phone
            else None,
            main_address=AddressWrite(
                address_line1=f["address"],
                postal_code=f["zip"],
                city=f["city"],
                country_id="NO" if new else None,
            )
            if f["address"] or f["zip"] or f["city"]
            else None,
        )

    # -- Visma -> DUELL ------------------------------------------------------------------------

    async def pull_from_visma(
        self, *, first_time: bool = False, records: AsyncIterator[VismaCustomer] | None = None
    ) -> SyncReport:
        from core.ledger import Ledger

        report = SyncReport()
        ledger = Ledger(self.store)
        cursor = None if first_time else ledger.cursor(self.dept.id, "customer:visma")
        by_visma = {lk.visma_id: lk for lk in self.links.all()}
        duell = [c async for c in self.duell.list_customers()]
        index = CustomerIndex(
            (str(c.customer_id), Keys.of(c.org_no, c.phone, c.email)) for c in duell
        )
        known = {str(c.customer_id): from_duell(c) for c in duell}
        newest = cursor
        new_links: list[Link] = []
        async for v in records or self.visma.list_customers(modified_since=cursor):
            number = v.number or ""
            newest = max(newest or "", v.last_modified_date_time or "")
            incoming = from_visma(v)
            # DUELL gets what Visma holds (the address stays DUELL's), or what a person chose.
            chosen = {k: incoming[k] for k in ("name", "orgnr", "phone", "email")}
            fields = to_duell({**chosen, **self._merged(number)})
            digest = content_hash(fields)
            link = by_visma.get(number)
            if link is not None and link.content_hash == digest:
                report.unchanged += 1
                continue
            duell_id = link.duell_id if link else None
            if duell_id is None:
                decided = self._decided(number)
                if decided in ("open", "ignore"):
                    report.conflicts += decided == "open"
                    continue
                if decided != "create":
                    match = index.match(
                        visma_keys(v),
                        allow_duplicates=self.dept.settings.allow_duplicate_customers,
                    )
                    if match.conflict:
                        self.conflicts.raise_conflict(
                            self.dept.id,
                            ENTITY,
                            "visma",
                            number,
                            incoming,
                            [{"id": n, **known[str(n)]} for n in match.conflict],
                            match.key or "",
                        )
                        report.conflicts += 1
                        continue
                    duell_id = str(match.candidate) if match.candidate is not None else None
            payload = {k: val for k, val in fields.items() if val}
            if duell_id:
                payload["customer_id"] = duell_id
            saved = await self.duell.save_customer(payload)
            report.writes += 1
            if duell_id:
                report.updated += 1
            else:
                report.created += 1
            new_links.append(Link(str(saved), number, digest))
            report.changed.append((number, v.last_modified_date_time or ""))
        self.links.save_many(new_links)
        if newest and records is None:
            ledger.set_cursor(self.dept.id, "customer:visma", newest)
        return report
