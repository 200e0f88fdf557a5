"""workload-port-protocol-conflict: Services selecting one workload declare the same port number with
different protocols (IST0116). See ``service_ports.py`` for what is compared and where it is reported."""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Iterator

from ...workloads import WORKLOAD_KINDS
from .common import MAX_NAMED, capped, identity, joined, label, listed
from .service_ports import (
    Fronted, PortConflict, ServicePort, ServiceSide, fronted, service_side_finding, services_of,
)

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
    clauses = [f"port {c.what}: " + joined([f"{p.service.namespace}/{p.service.name} declares it {p.protocol}"
                                            for p in c.ports[:MAX_NAMED]], len(c.ports) - MAX_NAMED)
               for c in clashes[:MAX_NAMED]]
    what = clauses[0] if len(clashes) == 1 else f"{len(clashes)} ports: {listed(clauses, total=len(clashes))}"
    message = f"the Services in front of this {resource.kind} disagree on the protocol of {what}. {WHY}"
    related = capped(ctx.related(p.service, p.path, f"port {c.what} declared {p.protocol}")
                     for c in clashes for p in c.ports)
    yield ctx.finding(resource, found.path, message, related=related)


class _Protocols:
    """One conflict's ports by protocol, to read "the ports declared otherwise than mine" in Service order
    without scanning every port for every Service."""

    def __init__(self, conflict: PortConflict):
        self.ports = conflict.ports
        self.by_protocol: dict[str, list[int]] = {}  # protocol -> positions in ``ports``
        self.own: dict[int, ServicePort] = {}  # id(service) -> its first port here
        self.of_object: dict[tuple, Counter] = {}  # identity -> protocol -> its ports
        for i, port in enumerate(conflict.ports):
            self.by_protocol.setdefault(port.protocol, []).append(i)
            self.own.setdefault(id(port.service), port)
            self.of_object.setdefault(identity(port.service), Counter())[port.protocol] += 1

    def others(self, service, protocol: str) -> tuple[list[ServicePort], int]:
        """Ports of other Services declared with another protocol: the first few, and how many."""
        own = identity(service)
        lists = [positions for other, positions in self.by_protocol.items() if other != protocol]
        total = sum(len(positions) for positions in lists) - sum(
            n for other, n in self.of_object.get(own, Counter()).items() if other != protocol)
        named = []
        for i in heapq.merge(*lists):
            if len(named) == MAX_NAMED:
                break
            if identity(self.ports[i].service) != own:
                named.append(self.ports[i])
        return named, total


def _service_side(resource, ctx) -> Iterator:
    def side(c: PortConflict) -> ServiceSide | None:
        protocols = c.cache.get(CODE)
        if protocols is None:
            protocols = c.cache[CODE] = _Protocols(c)
        own = protocols.own[id(resource)]
        others, total = protocols.others(resource, own.protocol)
        workload = c.fronted.workload

        def phrase() -> str:
            said = joined([f"{label(p.service)} declares it {p.protocol}" for p in others], total - len(others))
            return (f"port {c.what} is declared {own.protocol} here, but {said}, and "
                    f"{'both' if total == 1 else 'all'} select {workload.resource.kind} "
                    f"{workload.namespace}/{workload.name}")

        return ServiceSide(others, total, [own], phrase, lambda p: f"port {c.what} declared {p.protocol}")

    yield from service_side_finding(resource, ctx, MEMO_KEY, conflicts, side, WHY)
