"""Who serves on which reception: fair assignment of a roster's deputies, as a pure function.

`plan_duties` fills every shift that may still be filled (generated, never changed) to the site's size from
the deputies assigned to the site. Greedy in date order, always taking the deputies with the fewest shifts at
this site so far (then the one who served least recently, then the given order), which keeps max − min ≤ 1;
unavailable dates and commitments elsewhere can push it apart, so a last pass moves new duties from the
busiest to the least busy deputy wherever the latter is free. Existing duties are never moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Commitment:
    """A time a deputy is already taken: a shift (`key`) from `start` to `end`, at this site or another."""

    key: int
    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: Commitment) -> bool:
        return self.key != other.key and self.start < other.end and self.end > other.start


@dataclass(frozen=True)
class Slot:
    """One reception of the roster: its shift's key, its times, its local day, who is on it already, and
    whether the planner may add deputies to it (only to shifts generated and never changed since)."""

    key: int
    start: dt.datetime
    end: dt.datetime
    day: dt.date
    on_duty: frozenset[int] = frozenset()
    fillable: bool = True

    @property
    def commitment(self) -> Commitment:
        return Commitment(self.key, self.start, self.end)


@dataclass(frozen=True)
class Assignment:
    shift: int
    deputy: int


@dataclass(frozen=True)
class Shortfall:
    """A shift that got fewer deputies than it needs (everyone free was already on it)."""

    shift: int
    needed: int
    got: int


@dataclass
class DutyPlan:
    assignments: list[Assignment] = field(default_factory=list)
    short: list[Shortfall] = field(default_factory=list)


class _Ledger:
    """Who is on which shift, how often each deputy serves and when they last did, while the plan grows."""

    def __init__(
        self,
        slots: Sequence[Slot],
        deputies: Sequence[int],
        busy: Mapping[int, Sequence[Commitment]],
        unavailable: set[tuple[int, dt.date]],
    ) -> None:
        self.deputies = list(deputies)
        self.order = {pk: index for index, pk in enumerate(deputies)}
        self.position = {slot.key: index for index, slot in enumerate(slots)}
        self.on_shift = {slot.key: set(slot.on_duty) for slot in slots}
        self.busy = {pk: list(busy.get(pk, ())) for pk in deputies}
        self.unavailable = unavailable
        self.counts = dict.fromkeys(deputies, 0)
        self.last_served = dict.fromkeys(deputies, -1)
        for slot in slots:
            for pk in slot.on_duty:
                if pk in self.counts:
                    self.counts[pk] += 1
                    self.last_served[pk] = self.position[slot.key]

    def free(self, pk: int, slot: Slot) -> bool:
        return (
            pk not in self.on_shift[slot.key]
            and (pk, slot.day) not in self.unavailable
            and not any(other.overlaps(slot.commitment) for other in self.busy[pk])
        )

    def candidates(self, slot: Slot) -> list[int]:
        """The deputies free for the slot, those who served least (then least recently) first."""
        free = (pk for pk in self.deputies if self.free(pk, slot))
        return sorted(free, key=lambda pk: (self.counts[pk], self.last_served[pk], self.order[pk]))

    def take(self, pk: int, slot: Slot) -> None:
        self.on_shift[slot.key].add(pk)
        self.busy[pk].append(slot.commitment)
        self.counts[pk] += 1
        self.last_served[pk] = self.position[slot.key]

    def hand_over(self, slot: Slot, *, giver: int, taker: int) -> None:
        self.on_shift[slot.key].discard(giver)
        self.on_shift[slot.key].add(taker)
        self.busy[giver] = [other for other in self.busy[giver] if other.key != slot.key]
        self.busy[taker].append(slot.commitment)
        self.counts[giver] -= 1
        self.counts[taker] += 1


def _targets(slots: Sequence[Slot], fillable: Sequence[Slot], size: int, pool: int) -> list[int]:
    """How many deputies each fillable slot should end with. Each needs the site's size (fewer if the site has
    fewer deputies); when there are more deputies than places, some take one more so that every deputy serves
    ("代表进站全员化"), spread evenly over the year."""
    per_shift = min(size, pool)
    base, extra = divmod(max(len(slots) * per_shift, pool), len(slots))
    extra_at = {round(i * len(fillable) / extra) for i in range(extra)} if extra and fillable else set()
    return [min(base + (1 if index in extra_at else 0), pool) for index in range(len(fillable))]


def _rebalance_once(ledger: _Ledger, plan: DutyPlan, slots: Mapping[int, Slot]) -> bool:
    """Move one new duty from a deputy with at least two more shifts than another to that other, if free."""
    ranked = sorted(ledger.deputies, key=lambda pk: (ledger.counts[pk], ledger.order[pk]))
    for low in ranked:
        for high in reversed(ranked):
            if ledger.counts[high] - ledger.counts[low] <= 1:
                break
            for position, assignment in enumerate(plan.assignments):
                slot = slots[assignment.shift]
                if assignment.deputy == high and ledger.free(low, slot):
                    ledger.hand_over(slot, giver=high, taker=low)
                    plan.assignments[position] = Assignment(slot.key, low)
                    return True
    return False


def plan_duties(
    *,
    slots: Sequence[Slot],
    deputies: Sequence[int],
    size: int,
    busy: Mapping[int, Sequence[Commitment]] | None = None,
    unavailable: set[tuple[int, dt.date]] | None = None,
) -> DutyPlan:
    """The duties to add to a roster's `slots` (in date order) from the site's `deputies` (in the order ties are
    broken, e.g. by name); `size` deputies per shift; `busy` maps a deputy to the shifts they already serve
    (anywhere), `unavailable` holds (deputy, day) pairs. The same input always gives the same plan."""
    fillable = [slot for slot in slots if slot.fillable]
    if not deputies:
        return DutyPlan(short=[Shortfall(slot.key, size, len(slot.on_duty)) for slot in fillable])
    if not slots:
        return DutyPlan()
    ledger = _Ledger(slots, deputies, busy or {}, unavailable or set())
    plan = DutyPlan()
    for slot, target in zip(fillable, _targets(slots, fillable, size, len(deputies)), strict=True):
        need = target - len(ledger.on_shift[slot.key])
        if need <= 0:
            continue
        candidates = ledger.candidates(slot)
        for pk in candidates[:need]:
            ledger.take(pk, slot)
            plan.assignments.append(Assignment(slot.key, pk))
        if len(candidates) < need:
            plan.short.append(Shortfall(slot.key, target, len(ledger.on_shift[slot.key])))
    by_key = {slot.key: slot for slot in slots}
    while _rebalance_once(ledger, plan, by_key):
        pass
    return plan


@dataclass(frozen=True)
class Fairness:
    """How evenly a year's duties fall on the deputies: each one's count, the spread (max − min), and who has
    fewer (short) or more (over) than an even share would give them (the mean, rounded down and up)."""

    counts: dict[int, int]
    spread: int
    low: int
    high: int
    short: frozenset[int]
    over: frozenset[int]

    @property
    def is_even(self) -> bool:
        return self.spread <= 1


def assess_fairness(counts: Mapping[int, int]) -> Fairness:
    """`counts` maps every deputy who may serve (those with no duty at 0) to their duties in the year."""
    if not counts:
        return Fairness(counts={}, spread=0, low=0, high=0, short=frozenset(), over=frozenset())
    total, people = sum(counts.values()), len(counts)
    low, high = total // people, -(-total // people)
    return Fairness(
        counts=dict(counts),
        spread=max(counts.values()) - min(counts.values()),
        low=low,
        high=high,
        short=frozenset(pk for pk, count in counts.items() if count < low),
        over=frozenset(pk for pk, count in counts.items() if count > high),
    )
