"""Matching keys and duplicate detection, with properties over any formatting."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from core.matching import CustomerIndex, Keys, duplicate_clusters, normalize_orgnr, phone_key


def _valid(digits: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=47, national_number=int(digits))
    return len(set(digits)) > 1 and phonenumbers.is_valid_number(number)


# Norwegian numbers the numbering plan allocates (phonenumbers' metadata decides).
mobile = st.builds(
    lambda first, rest: f"{first}{rest:07d}", st.sampled_from("234579"), st.integers(0, 9_999_999)
).filter(_valid)


def formats(d: str) -> list[str]:
    return [
        d,
        f"+47 {d[:3]} {d[3:5]} {d[5:]}",
        f"0047 {d}",
        f"+47{d}",
        f"{d[:3]}.{d[3:5]}.{d[5:]}",
        f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
        f"+47-{d}",
        f"+0047 {d}",
        f" {d} ",
    ]


@settings(max_examples=200)
@given(mobile, st.data())
def test_every_formatting_of_a_norwegian_number_matches_itself(digits: str, data) -> None:
    a, b = data.draw(st.sampled_from(formats(digits))), data.draw(st.sampled_from(formats(digits)))
    index = CustomerIndex([("A", Keys.of(None, a, None))])
    match = index.match(Keys.of(None, b, None))
    assert match.candidate == "A" and match.key == "phone"
    assert phone_key(a) == phone_key(b) == f"+47{digits}"


@given(st.sampled_from(formats("99999999") + formats("00000000") + ["12345678"]))
def test_the_placeholder_never_matches(value: str) -> None:
    index = CustomerIndex(
        [("A", Keys.of(None, "99999999", None)), ("B", Keys.of(None, value, None))]
    )
    assert index.match(Keys.of(None, value, None)).is_new


@given(st.text(alphabet="0123456789 ", min_size=0, max_size=12))
def test_an_invalid_org_number_never_matches(value: str) -> None:
    if normalize_orgnr(value) is not None:
        return  # a valid one, by chance
    index = CustomerIndex([("A", Keys(orgnr=value.replace(" ", "") or None))])
    assert index.match(Keys.of(value, None, None)).is_new


@given(mobile, st.emails())
def test_allow_duplicates_never_matches(digits: str, email: str) -> None:
    keys = Keys.of("123456785", digits, email)
    index = CustomerIndex([("A", keys)])
    assert index.match(keys).candidate == "A"
    assert index.match(keys, allow_duplicates=True).is_new


def test_priority_order_conflicts_and_contradictions() -> None:
    index = CustomerIndex(
        [
            ("A", Keys.of("123456785", "91234567", "post@a.no")),
            ("B", Keys.of(None, "41234567", "Post@B.no")),
            ("C", Keys.of(None, "41234567", None)),
        ]
    )
    m = index.match(Keys.of("123 456 785", "41234567", "post@b.no"))
    assert m.candidate == "A" and m.key == "orgnr"
    assert m.warning and "orgnr decides" in m.warning and "email at B" in m.warning
    m = index.match(Keys.of(None, "+47 412 34 567", None))
    assert m.conflict == ["B", "C"] and m.key == "phone" and m.candidate is None
    m = index.match(Keys.of(None, None, "  POST@B.NO "))
    assert m.candidate == "B" and m.key == "email"
    assert index.match(Keys.of("923456780", None, None)).is_new


def test_clusters_find_every_planted_duplicate(seeded_world) -> None:
    records = [
        (c["customer_id"], c.get("org_number"), c.get("phone"), c.get("email"))
        for c in seeded_world.customers
    ]
    clusters = duplicate_clusters(records)
    pairs = {
        kind: {frozenset(c.members) for c in clusters if c.key == kind}
        for kind in ("orgnr", "phone", "email")
    }
    for kind in ("orgnr", "phone", "email"):
        for a, b in seeded_world.planted[kind]:
            assert any({a, b} <= group for group in pairs[kind]), (kind, a, b)
    assert not any(c.value.endswith("99999999") for c in clusters)
