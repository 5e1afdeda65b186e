"""How a runner round is spread over `runner_processes` processes (core/round_workers.py):
which departments each process takes and how many of the round's `runner_concurrency`
slots it gets. Pure functions, so that the split is tested by itself.

A Visma company's departments stay in one process: they share one rate budget and one GL
listing a round (core/transfers/gl_batches.py), and the round's fairness (one department of
each company in turn) is kept within each process. Companies go to the process with the
fewest departments so far, largest company first (greedy balancing: within 4/3 of the best
split); the slots are shared out by the departments each process has, so the round's limit
stays one global limit: their sum is `runner_concurrency`, never more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def split_round(
    order: Sequence[str], company_of: Mapping[str, str], processes: int
) -> list[list[str]]:
    """`order` (the round's order of departments) cut into at most `processes` groups, each
    in that order; a company's departments all in one group; no empty group."""
    companies: dict[str, list[str]] = {}
    for dept in order:
        companies.setdefault(company_of.get(dept, f"d:{dept}"), []).append(dept)
    n = max(1, min(processes, len(companies)))
    loads = [0] * n
    group_of: dict[str, int] = {}
    # Largest first; ties by the company's first department in the order (deterministic).
    first = {c: i for i, c in enumerate(companies)}  # by first appearance in the order
    for company in sorted(companies, key=lambda c: (-len(companies[c]), first[c])):
        k = min(range(n), key=lambda i: (loads[i], i))
        group_of[company] = k
        loads[k] += len(companies[company])
    groups: list[list[str]] = [[] for _ in range(n)]
    for dept in order:
        groups[group_of[company_of.get(dept, f"d:{dept}")]].append(dept)
    return [g for g in groups if g]


def share_slots(sizes: Sequence[int], concurrency: int) -> list[int]:
    """`concurrency` slots shared out over groups of `sizes` departments: in proportion
    (largest remainder), each group at least one, none more than its departments, and the
    sum never above `concurrency` (the caller asks for no more groups than slots)."""
    if not sizes:
        return []
    if len(sizes) > concurrency:
        raise ValueError(f"{len(sizes)} groups cannot share {concurrency} slots")
    total = sum(sizes)
    exact = [concurrency * s / total for s in sizes]
    slots = [max(1, min(s, int(e))) for s, e in zip(sizes, exact, strict=True)]
    # Hand out what is left, largest remainder first, to groups that can use another slot.
    by_remainder = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    while sum(slots) < concurrency:
        open_ = [i for i in by_remainder if slots[i] < sizes[i]]
        if not open_:
            break  # every department has a slot already
        for i in open_:
            if sum(slots) == concurrency:
                break
            slots[i] += 1
    while sum(slots) > concurrency:  # the minimum of one pushed it over: take from the largest
        i = max(range(len(slots)), key=lambda j: (slots[j], -j))
        slots[i] -= 1
    return slots
