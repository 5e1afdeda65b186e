"""Customer matching keys and duplicate detection.

Keys, in priority order: org. number (python-stdnum: validated, compacted), phone
(phonenumbers, region NO, E.164), e-mail (trimmed, case-folded). DUELL's placeholder phones
for "no phone" (99999999 and the like) never match; neither does an invalid org. number or
phone. The first key that finds exactly one candidate decides; a key that finds several is a
conflict for a person; when keys point at different customers the priority decides and the
disagreement is reported as a warning.

Duplicate detection is keyed grouping, linear in the number of records: a cheap canonical key
groups the records, and only keys shared by two or more records are validated in full.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from stdnum.exceptions import ValidationError
from stdnum.no import mva, orgnr

PRIORITY = ("orgnr", "phone", "email")
_SEPARATORS = str.maketrans("", "", " .-()/\t")
_NO_NUMBER = re.compile(r"^(?:\+47|0047|47)?(\d{8})$")


def is_placeholder_phone(digits: str) -> bool:
    """99999999, 00000000, 12345678 and the like: "no phone" in DUELL."""
    return len(set(digits)) == 1 or digits in ("12345678", "87654321")


def normalize_orgnr(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip()
    try:
        if text.upper().startswith("NO") or text.upper().endswith("MVA"):
            return mva.validate(text).removeprefix("NO").removesuffix("MVA")
        return orgnr.validate(text)
    except ValidationError:
        return None


def phone_key(value: str | None) -> str | None:
    """A cheap canonical form for grouping; validated in full only when it collides."""
    if not value:
        return None
    text = value.translate(_SEPARATORS).lstrip("*#")
    m = _NO_NUMBER.match(text.replace("+0047", "0047"))
    if m:
        return None if is_placeholder_phone(m.group(1)) else f"+47{m.group(1)}"
    return normalize_phone(value)


@lru_cache(maxsize=65536)
def normalize_phone(value: str | None) -> str | None:
    """E.164 for a valid number (Norwegian unless it says otherwise), else None."""
    if not value:
        return None
    text = value.strip().replace("+0047", "+47")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "NO")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code == 47 and is_placeholder_phone(str(number.national_number).zfill(8)):
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip().casefold()
    local, at, domain = text.partition("@")
    return text if at and local and "." in domain else None


@dataclass(frozen=True)
class Keys:
    orgnr: str | None = None
    phone: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, org_no: str | None, phone: str | None, email: str | None) -> Keys:
        return cls(normalize_orgnr(org_no), normalize_phone(phone), normalize_email(email))


@dataclass
class Match:
    """The outcome for one incoming record."""

    candidate: Hashable | None = None  # the one customer it matched
    key: str | None = None  # which key decided (or found several)
    conflict: list[Hashable] = field(default_factory=list)  # several candidates
    warning: str | None = None  # keys that point at different customers
    held_by: Hashable | None = None  # the one candidate belongs to another record already
    waiting: bool = False  # a key is held by a create whose outcome is not known yet

    @property
    def is_new(self) -> bool:
        return self.candidate is None and not self.conflict and not self.waiting


class CustomerIndex:
    """The records to match against, indexed by each key, with the record each one is linked
    to already (its owner). A run adds the records it creates, so what it matches does not
    depend on whether a create's answer came back in this run or the next: a record linked to
    another owner is never taken without a person deciding (a conflict), and the keys of a
    create whose outcome is unknown hold every record that shares them until it is known."""

    def __init__(
        self,
        records: Iterable[tuple[Hashable, Keys]],
        owners: Mapping[Hashable, Hashable] | None = None,
    ) -> None:
        self.by: dict[str, dict[str, list[Hashable]]] = {k: defaultdict(list) for k in PRIORITY}
        self.owners: dict[Hashable, Hashable] = dict(owners or {})
        self.held: dict[str, set[str]] = {k: set() for k in PRIORITY}
        for rid, keys in records:
            self.add(rid, keys)

    def add(self, rid: Hashable, keys: Keys, owner: Hashable | None = None) -> None:
        """A record to match against (one this run created, with the record it was made for)."""
        for k in PRIORITY:
            value = getattr(keys, k)
            if value and rid not in self.by[k][value]:
                self.by[k][value].append(rid)
        if owner is not None:
            self.owners[rid] = owner

    def hold(self, keys: Keys) -> None:
        """A create whose outcome is unknown: what shares its keys waits until it is known."""
        for k in PRIORITY:
            value = getattr(keys, k)
            if value:
                self.held[k].add(value)

    def match(
        self, keys: Keys, *, allow_duplicates: bool = False, owner: Hashable | None = None
    ) -> Match:
        """The one record `keys` point at. Given the `owner` asking, a candidate linked to
        another owner is a conflict, never a match."""
        if allow_duplicates:  # DUELL's "allow duplicate customer data": no matching at all
            return Match()
        if any(getattr(keys, k) in self.held[k] for k in PRIORITY if getattr(keys, k)):
            return Match(waiting=True)
        found: dict[str, list[Hashable]] = {}
        for k in PRIORITY:
            value = getattr(keys, k)
            if value:
                found[k] = self.by[k].get(value, [])
        for k in PRIORITY:
            cands = found.get(k) or []
            if len(cands) > 1:
                return Match(key=k, conflict=list(cands))
            if len(cands) == 1:
                others = {
                    o: c[0] for o, c in found.items() if o != k and len(c) == 1 and c[0] != cands[0]
                }
                warning = None
                if others:
                    warning = (
                        f"{k} points at {cands[0]} but "
                        + ", ".join(f"{o} at {c}" for o, c in others.items())
                        + f": {k} decides"
                    )
                held_by = self.owners.get(cands[0])
                if owner is not None and held_by is not None and held_by != owner:
                    return Match(key=k, conflict=[cands[0]], held_by=held_by, warning=warning)
                return Match(candidate=cands[0], key=k, warning=warning)
        return Match()


@dataclass(frozen=True)
class Cluster:
    key: str  # orgnr / phone / email
    value: str
    members: tuple[Hashable, ...]


def duplicate_clusters(
    records: Iterable[tuple[Hashable, str | None, str | None, str | None]],
) -> list[Cluster]:
    """Groups of records sharing a key: (id, org_no, phone, email) in, clusters out.
    Linear: one pass to group on cheap keys, full validation only where keys collide."""
    groups: dict[str, dict[str, list[Hashable]]] = {k: defaultdict(list) for k in PRIORITY}
    for rid, org, phone, email in records:
        if org:
            groups["orgnr"][
                org.translate(_SEPARATORS).upper().removeprefix("NO").removesuffix("MVA")
            ].append(rid)
        if key := phone_key(phone):
            groups["phone"][key].append(rid)
        if email and "@" in email:
            groups["email"][email.strip().casefold()].append(rid)
    out = []
    for kind in PRIORITY:
        for value, members in groups[kind].items():
            if len(members) < 2:
                continue
            if kind == "orgnr":
                valid = normalize_orgnr(value)
            elif kind == "phone":
                valid = normalize_phone(value)
            else:
                valid = normalize_email(value)
            if valid:
                out.append(Cluster(kind, valid, tuple(members)))
    return out
