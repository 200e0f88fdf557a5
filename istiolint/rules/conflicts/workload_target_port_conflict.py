"""workload-target-port-conflict: Services selecting one workload send different service ports to the
same container port (IST0137). See ``service_ports.py`` for what is compared and where it is reported."""

from __future__ import annotations

from itertools import combinations
from typing import Iterator

from ...workloads import WORKLOAD_KINDS
from .common import MAX_NAMED, capped, identity, joined, listed
from .service_ports import Fronted, PortConflict, ServicePort, ServiceSide, fronted, service_side_finding

CODE = "IL525"
KINDS = (*WORKLOAD_KINDS, "Service")

MEMO_KEY = "conflicts.service-target-ports"
WHY = ("The sidecar derives its inbound handling of a container port from one service port, so one "
       "Service's port settings silently win over the other's. Services that select the same workload and "
       "targetPort must use the same port number")
MAX_SUBSET_NUMBERS = 8  # port-number sets up to this size are counted by their subsets (2^n of them)


def conflicts(found: Fronted) -> list[PortConflict]:
    """Container ports that two Services in front of this workload reach from port numbers they do not share."""
    by_target: dict[int | str, list[ServicePort]] = {}
    for port in found.ports:
        by_target.setdefault(port.target, []).append(port)
    return [PortConflict(found, target, by_target[target]) for target in sorted(by_target, key=str)
            if _conflict(by_target[target])]


def _numbers(ports: list[ServicePort]) -> dict[tuple, set[int]]:
    numbers: dict[tuple, set[int]] = {}
    for port in ports:
        numbers.setdefault(identity(port.service), set()).add(port.number)
    return numbers


def _conflict(ports: list[ServicePort]) -> bool:
    """Two different Services map this target from port numbers they do not share.

    A Service exposing one container port under several numbers is plain Kubernetes; two Services are
    consistent as long as they agree on one of those numbers. (Decided on the distinct sets of numbers:
    Services with equal sets agree, and a number every set holds settles it at once.)
    """
    sets = list({frozenset(s) for s in _numbers(ports).values()})
    if len(sets) < 2:
        return False
    common = frozenset.intersection(*sets)
    if common:
        return False
    return any(a.isdisjoint(b) for a, b in combinations(sets, 2))


def _what(target: int | str) -> str:
    return f"container port {target}" if isinstance(target, int) else f"the container port named '{target}'"


def check(resource, ctx) -> Iterator:
    if resource.kind == "Service":
        yield from _service_side(resource, ctx)
        return
    found = fronted(ctx.index).get(id(resource))
    if found is None:
        return
    clashes = conflicts(found)
    if not clashes:
        return
    clauses = [f"{_what(c.what)} from {joined([p.describe() for p in c.ports[:MAX_NAMED]], len(c.ports) - MAX_NAMED)}"
               for c in clashes[:MAX_NAMED]]
    message = (f"the Services in front of this {resource.kind} send different service ports to the same "
               f"container port: {listed(clauses, total=len(clashes))}. {WHY}")
    related = capped(ctx.related(p.service, p.path, f"service port {p.number} -> {c.what}")
                     for c in clashes for p in c.ports)
    yield ctx.finding(resource, found.path, message, related=related)


class _NumberSets:
    """One conflict's Services by the set of port numbers each sends to the target: which ports belong to
    Services sharing no number with a given set, counted without comparing every pair of Services.

    The ports of Services whose set meets ``own`` are counted by inclusion-exclusion over the subsets of
    ``own`` (``covering[T]``: ports of Services whose set contains T); sets too large for that are checked
    directly.
    """

    def __init__(self, conflict: PortConflict):
        self.ports = conflict.ports
        self.numbers = {k: frozenset(v) for k, v in _numbers(conflict.ports).items()}
        self.covering: dict[frozenset, int] = {}
        self.large: list[tuple[frozenset, int]] = []  # (set, ports) of sets with many numbers
        per_set: dict[frozenset, int] = {}
        self.of_service: dict[int, list[ServicePort]] = {}  # id(service) -> its ports here
        for port in conflict.ports:
            self.of_service.setdefault(id(port.service), []).append(port)
            key = self.numbers[identity(port.service)]
            per_set[key] = per_set.get(key, 0) + 1
        for key, count in per_set.items():
            if len(key) > MAX_SUBSET_NUMBERS:
                self.large.append((key, count))
                continue
            items = sorted(key)
            for size in range(1, len(items) + 1):
                for subset in combinations(items, size):
                    subset = frozenset(subset)
                    self.covering[subset] = self.covering.get(subset, 0) + count
        self.per_set = per_set
        self._counts: dict[frozenset, int] = {}

    def disjoint(self, own: frozenset) -> int:
        """How many ports belong to Services whose numbers are disjoint from ``own``."""
        found = self._counts.get(own)
        if found is not None:
            return found
        if len(own) > MAX_SUBSET_NUMBERS:
            meeting = sum(n for key, n in self.per_set.items() if not key.isdisjoint(own))
        else:
            meeting = 0
            items = sorted(own)
            for size in range(1, len(items) + 1):
                sign = 1 if size % 2 else -1
                for subset in combinations(items, size):
                    meeting += sign * self.covering.get(frozenset(subset), 0)
            meeting += sum(n for key, n in self.large if not key.isdisjoint(own))
        found = self._counts[own] = len(self.ports) - meeting
        return found

    def others(self, service) -> tuple[frozenset, list[ServicePort], int]:
        """This Service's numbers, and the ports of Services sharing none of them: the first few, how many."""
        own = self.numbers[identity(service)]
        total = self.disjoint(own)
        named = []
        if total:
            for port in self.ports:
                if self.numbers[identity(port.service)].isdisjoint(own):
                    named.append(port)
                    if len(named) == MAX_NAMED:
                        break
        return own, named, total


def _service_side(resource, ctx) -> Iterator:
    def side(c: PortConflict) -> ServiceSide | None:
        sets = c.cache.get(CODE)
        if sets is None:
            sets = c.cache[CODE] = _NumberSets(c)
        own, others, total = sets.others(resource)
        workload = c.fronted.workload

        def phrase() -> str:
            shown = ", ".join(str(n) for n in sorted(own))
            said = joined([p.describe() for p in others], total - len(others))
            reach = "reaches" if total == 1 else "reach"
            return (f"port {shown} of this Service reaches {_what(c.what)} of {workload.resource.kind} "
                    f"{workload.namespace}/{workload.name}, which {said} also {reach}")

        return ServiceSide(others, total, list(sets.of_service.get(id(resource), ())), phrase,
                           lambda p: f"service port {p.number} -> {c.what}")

    yield from service_side_finding(resource, ctx, MEMO_KEY, conflicts, side, WHY)
