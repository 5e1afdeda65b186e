"""The Visma customer of an invoice basis: linked before, matched (org. number, phone, e-mail),
or created. Several candidates are a conflict that waits for a person, never a guess."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

from core.conflicts import Conflicts
from core.customer_record import from_duell, from_visma, visma_keys
from core.errors import DataError
from core.eventlog import EventLog
from core.eventtext import msg
from core.http import about
from core.i18n import N_
from core.matching import CustomerIndex, Keys
from core.models import Customer, Department
from core.store import Store
from core.sync.links import Link, Links
from core.visma.client import VismaClient
from core.visma.models import ContactWrite, CustomerWrite
from core.visma.models import Customer as VismaCustomer


def key_filters(customer: Customer, keys: Keys) -> dict[str, list[tuple[str, str]]]:
    """Per matching key (in matching.PRIORITY's order), the customer-list filters that find
    the Visma customers sharing it: the org. number compacted (`corporateId`), the phone in
    the writings a Norwegian number is stored in (the filter compares the stored text:
    inferred, as the sandbox does) and the e-mail as given and case-folded. Keys that match
    nothing (placeholders, invalid numbers) are not asked for."""
    asked: dict[str, list[tuple[str, str]]] = {}
    if keys.orgnr:
        asked["orgnr"] = [("corporateId", keys.orgnr)]
    if keys.phone:
        forms = [customer.phone or "", keys.phone]
        if keys.phone.startswith("+47") and len(keys.phone) == 11:
            d = keys.phone[3:]
            spaced = f"{d[:3]} {d[3:5]} {d[5:]}"
            forms += [d, f"+47 {spaced}", spaced, f"0047 {d}"]
        asked["phone"] = [("phone", f) for f in dict.fromkeys(forms) if f]
    if keys.email:
        emails = ((customer.email or "").strip(), keys.email)
        asked["email"] = [("email", e) for e in dict.fromkeys(emails) if e]
    return asked


class InvoiceCustomers:
    """One department's invoice customers; Visma's customers and the links are read once."""

    def __init__(self, dept: Department, store: Store, visma: VismaClient, log: EventLog) -> None:
        self.dept = dept
        self.visma = visma
        self.log = log
        self.links = Links(store, dept.id, "customer")
        self.conflicts = Conflicts(store)
        self._linked: dict[str, str] | None = None  # DUELL id -> Visma number
        self._index: tuple[CustomerIndex, dict[Hashable, dict[str, Any]]] | None = None
        self._asked: set[tuple[str, str]] = set()  # the filters read in this run
        self._whole_read = False  # every customer read: no filter is needed any more
        self._budget: float | None = None  # what reading every customer costs, in requests
        self._spent = 0  # requests spent on finding customers in this run

    async def number(self, customer: Customer) -> str:
        """The Visma customer number for a DUELL customer (creating it when nothing matches).
        Raises DataError when a person has to decide."""
        duell_id = str(customer.customer_id)
        if self._linked is None:
            self._linked = {lk.duell_id: lk.visma_id for lk in self.links.all()}
        if duell_id in self._linked:
            return self._linked[duell_id]
        decided = self.conflicts.open_for(self.dept.id, "customer", duell_id)
        if decided is not None and decided.state == "ignored":
            raise DataError(
                f"the customer conflict of '{customer.name}' was set to ignore",
                "reopen it in the conflicts screen and link or create the customer",
            )
        keys = Keys.of(customer.org_no, customer.phone, customer.email)
        create = (
            decided is not None
            and decided.state == "resolved"
            and ((decided.resolution or {}).get("action") == "create")
        )
        if not create:
            matched = await self._match(customer, keys)
            if matched is not None:
                return self._link(duell_id, matched)
        number = await self.visma.create_customer(
            CustomerWrite(
                name=customer.name,
                corporate_id=keys.orgnr,
                main_contact=ContactWrite(email=customer.email, phone1=customer.phone)
                if customer.email or customer.phone
                else None,
            )
        )
        if self._index is not None:  # a later invoice's customer must see the one just made
            index, by_number = self._index
            index.add(number, keys, owner=duell_id)
            by_number[number] = from_duell(customer)
        return self._link(duell_id, number)

    async def _match(self, customer: Customer, keys: Keys) -> str | None:
        """The one Visma customer the keys point at, if any; several are a conflict."""
        index, by_number = await self._visma_customers(customer, keys)
        match = index.match(
            keys,
            allow_duplicates=self.dept.settings.allow_duplicate_customers,
            owner=str(customer.customer_id),
        )
        if match.warning:
            self.log.warning(
                msg(N_("customer '{name}': {warning}"), name=customer.name, warning=match.warning),
                department_id=self.dept.id,
                entity="customer",
            )
        if match.conflict:
            self.conflicts.raise_conflict(
                self.dept.id,
                "customer",
                "duell",
                str(customer.customer_id),
                from_duell(customer),
                [{"id": n, **by_number[n]} for n in match.conflict],
                match.key or "",
            )
            raise DataError(
                f"customer '{customer.name}' matches Visma customer {match.conflict[0]} by "
                f"{match.key}, which is DUELL customer {match.held_by}'s: a person decides "
                "between the candidates"
                if match.held_by is not None
                else f"customer '{customer.name}' has {len(match.conflict)} candidates in "
                f"Visma with the same {match.key}",
                "resolve the duplicate-customer conflict, then retry the invoice",
            )
        return None if match.candidate is None else str(match.candidate)

    async def _visma_customers(
        self, customer: Customer, keys: Keys
    ) -> tuple[CustomerIndex, dict[Hashable, dict[str, Any]]]:
        """Visma's customers that share a key with `customer`, added to the run's index (which
        keeps every customer found, and made, for the later invoices). Found with the customer
        list's own filters (corporateId, phone, email), key by key in matching's order until
        a key has candidates: that key decides (CustomerIndex.match), so the later keys are
        not asked for (nor their "points elsewhere" warning given). Filters cost requests per
        customer, a read of every customer pages: once this run's filters would cost more than
        that read (customer_pages: one request), the customers are read once instead, so a
        run never spends much more than the cheaper of the two."""
        if self._index is None:
            owners: dict[Hashable, Hashable] = {lk.visma_id: lk.duell_id for lk in self.links.all()}
            self._index = (CustomerIndex((), owners), {})
        if self._whole_read:
            return self._index
        asking = key_filters(customer, keys)
        needed = sum(1 for fs in asking.values() for f in fs if f not in self._asked)
        if needed and self._budget is None:
            with about(None):  # for every invoice of the run, not this one's
                pages = await self.visma.customer_pages()
            self._spent += 1
            self._budget = math.inf if pages is None else pages
        if needed and self._budget is not None and self._spent + needed > self._budget:
            with about(None):
                async for c in self.visma.list_customers():
                    self._add(c)
            self._whole_read = True
            return self._index
        index = self._index[0]
        for key, filters in asking.items():
            for name, value in filters:
                if (name, value) in self._asked:
                    continue
                self._asked.add((name, value))
                self._spent += 1
                async for c in self.visma.list_customers(**{name: value}):
                    self._add(c)
            if index.by[key].get(getattr(keys, key)):
                break
        return self._index

    def _add(self, c: VismaCustomer) -> None:
        assert self._index is not None
        index, by_number = self._index
        if c.number not in by_number:
            index.add(c.number, visma_keys(c))
            by_number[c.number] = from_visma(c)

    def _link(self, duell_id: str, visma_number: str) -> str:
        self.links.save_many([Link(duell_id, visma_number, None)])
        assert self._linked is not None
        self._linked[duell_id] = visma_number
        if self._index is not None:
            self._index[0].owners.setdefault(visma_number, duell_id)
        return visma_number
