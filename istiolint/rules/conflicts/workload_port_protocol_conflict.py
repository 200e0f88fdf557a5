"""workload-port-protocol-conflict: Services selecting one workload declare the same port number with
different protocols (IST0116). See ``service_ports.py`` for what is compared."""

from __future__ import annotations

from typing import Iterator

from ...workloads import WORKLOAD_KINDS
from .service_ports import ServicePort, fronted

CODE = "IL524"
KINDS = WORKLOAD_KINDS


def check(resource, ctx) -> Iterator:
    found = fronted(ctx.index).get(id(resource))
    if found is None:
        return
    by_number: dict[int, list[ServicePort]] = {}
    for port in found.ports:
        if port.protocol is not None:
            by_number.setdefault(port.number, []).append(port)
    for number in sorted(by_number):
        ports = by_number[number]
        if len({p.protocol for p in ports}) < 2 or len({id(p.service) for p in ports}) < 2:
            continue
        shown = "; ".join(f"{p.service.namespace}/{p.service.name} declares it {p.protocol}" for p in ports)
        message = (f"the Services in front of this {resource.kind} disagree on the protocol of port {number}: "
                   f"{shown}. The sidecar handles an inbound port with one protocol, so traffic sent through "
                   "the other Service is treated as the wrong protocol (HTTP features lost, or raw bytes "
                   "parsed as HTTP). Declare the port with the same protocol in every Service that selects "
                   "these pods")
        related = [ctx.related(p.service, p.path, f"port {number} declared {p.protocol}") for p in ports]
        yield ctx.finding(resource, found.path, message, related=related)
