"""A department's whole subaccount: the cost bearer it chose, every other SUBACCOUNT segment
from the company's default subaccount. Visma lines take a subaccount as a list of segments;
a list missing a segment, or a combination a company that validates combinations has not
made, may be refused (findings B12; community answers list every segment, S14)."""

from __future__ import annotations

from core.errors import ConfigError
from core.visma.models import Subaccount


def _values(sub: Subaccount) -> dict[int, str]:
    return {
        s.segment_id: s.segment_value
        for s in sub.segments
        if s.segment_id is not None and s.segment_value is not None
    }


def default_segments(
    segment_ids: list[int], subaccounts: list[Subaccount], cost_bearer: tuple[int, str]
) -> dict[int, str]:
    """The values of every segment but the cost bearer's (segment id -> value).

    The company's default subaccount is its first active one by subaccount id (inferred: the
    API names no default; Visma makes the all-defaults subaccount when the company is set up).
    When the company already has active subaccounts carrying the cost bearer and the default
    filled in is none of them, the first of those is taken instead (inferred: a company that
    validates combinations accepts only the ones it made)."""
    active = sorted(
        (s for s in subaccounts if s.active is not False),
        key=lambda s: (s.subaccount_id is None, s.subaccount_id or 0),
    )
    segment, value = cost_bearer
    filled = {**(_values(active[0]) if active else {}), segment: value}
    carrying = [_values(s) for s in active if _values(s).get(segment) == value]
    if carrying and filled not in carrying:
        filled = carrying[0]
    missing = [i for i in segment_ids if i not in filled]
    if missing:
        raise ConfigError(
            "the company has no subaccount to fill SUBACCOUNT segment "
            + ", ".join(str(i) for i in missing)
            + " from",
            "create the company's default subaccount in Visma (GL203000), then run setup again",
        )
    return {i: filled[i] for i in sorted(segment_ids) if i != segment}
