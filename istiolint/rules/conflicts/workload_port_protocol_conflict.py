"""workload-port-protocol-conflict: Services selecting one workload declare the same port number with
different protocols (IST0116). See ``service_ports.py`` for what is compared and where it is reported."""

from __future__ import annotations

from typing import Iterator

from ...workloads import WORKLOAD_KINDS
from .common import identity, label, listed
from .service_ports import Fronted, PortConflict, by_service, first_port, fronted, services_of

CODE = "IL524"
KINDS = (*WORKLOAD_KINDS, "Service")

MEMO_KEY = "conflicts.service-port-protocols"
WHY = ("The sidecar handles an inbound port with one protocol, so traffic sent through the other Service is "
       "treated as the wrong protocol (HTTP features lost, or raw bytes parsed as HTTP). Declare the port with "
       "the same protocol in every Service that selects these pods")


def conflicts(found: Fronted) -> list[PortConflict]:
    """Port numbers that the Services in front of this workload declare with different protocols."""
    by_number: dict[int, list] = {}
    for port in found.ports:
        if port.protocol is not None:
            by_number.setdefault(port.number, []).append(port)
    out = []
    for number in sorted(by_number):
        ports = by_number[number]
        if len({p.protocol for p in ports}) > 1 and services_of(ports) > 1:
            out.append(PortConflict(found, number, ports))
    return out


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
    clauses = [f"port {c.what}: " + ", ".join(f"{p.service.namespace}/{p.service.name} declares it {p.protocol}"
                                              for p in c.ports) for c in clashes]
    what = clauses[0] if len(clashes) == 1 else f"{len(clashes)} ports: {listed(clauses)}"
    message = f"the Services in front of this {resource.kind} disagree on the protocol of {what}. {WHY}"
    related = [ctx.related(p.service, p.path, f"port {c.what} declared {p.protocol}") for c in clashes for p in c.ports]
    yield ctx.finding(resource, found.path, message, related=related)


def _service_side(resource, ctx) -> Iterator:
    mine = by_service(ctx.index, MEMO_KEY, conflicts).get(id(resource))
    if not mine:
        return
    clauses, related, own_ports = [], [], []
    named: set[int] = set()
    for c in mine:
        own = next(p for p in c.ports if p.service is resource)
        others = [p for p in c.ports if identity(p.service) != identity(resource) and p.protocol != own.protocol]
        if not others:
            continue
        workload = c.fronted.workload
        said = ", ".join(f"{label(p.service)} declares it {p.protocol}" for p in others)
        clauses.append(f"port {c.what} is declared {own.protocol} here, but {said}, and "
                       f"{'both' if len(others) == 1 else 'all'} select {workload.resource.kind} "
                       f"{workload.namespace}/{workload.name}")
        own_ports.append(own)
        if id(workload.resource) not in named:  # one related location per workload
            named.add(id(workload.resource))
            related.append(ctx.related(workload.resource, c.fronted.path, "the workload these Services select"))
        related.extend(ctx.related(p.service, p.path, f"port {c.what} declared {p.protocol}") for p in others)
    if clauses:
        yield ctx.finding(resource, first_port(resource, own_ports).path, f"{listed(clauses)}. {WHY}",
                          related=related)
