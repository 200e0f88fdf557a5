"""workload-target-port-conflict: Services selecting one workload send different service ports to the
same container port (IST0137). See ``service_ports.py`` for what is compared and where it is reported."""

from __future__ import annotations

from typing import Iterator

from ...workloads import WORKLOAD_KINDS
from .common import identity, listed
from .service_ports import Fronted, PortConflict, ServicePort, by_service, first_port, fronted

CODE = "IL525"
KINDS = (*WORKLOAD_KINDS, "Service")

MEMO_KEY = "conflicts.service-target-ports"
WHY = ("The sidecar derives its inbound handling of a container port from one service port, so one "
       "Service's port settings silently win over the other's. Services that select the same workload and "
       "targetPort must use the same port number")


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
    consistent as long as they agree on one of those numbers.
    """
    sets = list(_numbers(ports).values())
    return any(not (sets[i] & sets[j]) for i in range(len(sets)) for j in range(i + 1, len(sets)))


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
    clauses = [f"{_what(c.what)} from {', '.join(p.describe() for p in c.ports)}" for c in clashes]
    message = (f"the Services in front of this {resource.kind} send different service ports to the same "
               f"container port: {listed(clauses)}. {WHY}")
    related = [ctx.related(p.service, p.path, f"service port {p.number} -> {c.what}") for c in clashes for p in c.ports]
    yield ctx.finding(resource, found.path, message, related=related)


def _service_side(resource, ctx) -> Iterator:
    mine = by_service(ctx.index, MEMO_KEY, conflicts).get(id(resource))
    if not mine:
        return
    clauses, related, own_ports = [], [], []
    named: set[int] = set()
    for c in mine:
        numbers = _numbers(c.ports)
        own = numbers[identity(resource)]
        others = [p for p in c.ports if identity(p.service) != identity(resource)
                  and not (numbers[identity(p.service)] & own)]
        if not others:
            continue  # this Service agrees with every other one; the conflict is between others
        workload = c.fronted.workload
        shown = ", ".join(str(n) for n in sorted(own))
        said = ", ".join(p.describe() for p in others)
        reach = "reaches" if len(others) == 1 else "reach"
        clauses.append(f"port {shown} of this Service reaches {_what(c.what)} of {workload.resource.kind} "
                       f"{workload.namespace}/{workload.name}, which {said} also {reach}")
        own_ports.extend(p for p in c.ports if p.service is resource)
        if id(workload.resource) not in named:  # one related location per workload
            named.add(id(workload.resource))
            related.append(ctx.related(workload.resource, c.fronted.path, "the workload these Services select"))
        related.extend(ctx.related(p.service, p.path, f"service port {p.number} -> {c.what}") for p in others)
    if clauses:
        yield ctx.finding(resource, first_port(resource, own_ports).path, f"{listed(clauses)}. {WHY}",
                          related=related)
