"""workload-target-port-conflict: Services selecting one workload send different service ports to the
same container port (IST0137). See ``service_ports.py`` for what is compared."""

from __future__ import annotations

from typing import Iterator

from ...workloads import WORKLOAD_KINDS
from .service_ports import ServicePort, fronted

CODE = "IL525"
KINDS = WORKLOAD_KINDS


def check(resource, ctx) -> Iterator:
    found = fronted(ctx.index).get(id(resource))
    if found is None:
        return
    by_target: dict[int | str, list[ServicePort]] = {}
    for port in found.ports:
        by_target.setdefault(port.target, []).append(port)
    for target in sorted(by_target, key=str):
        ports = by_target[target]
        if not _conflict(ports):
            continue
        shown = ", ".join(p.describe() for p in ports)
        what = f"container port {target}" if isinstance(target, int) else f"the container port named '{target}'"
        message = (f"the Services in front of this {resource.kind} send different service ports to {what}: "
                   f"{shown}. The sidecar derives its inbound handling of a container port from one service "
                   "port, so one Service's port settings silently win over the other's. Services that select "
                   "the same workload and targetPort must use the same port number")
        related = [ctx.related(p.service, p.path, f"service port {p.number} -> {target}") for p in ports]
        yield ctx.finding(resource, found.path, message, related=related)


def _conflict(ports: list[ServicePort]) -> bool:
    """Two different Services map this target from port numbers they do not share.

    A Service exposing one container port under several numbers is plain Kubernetes; two Services are
    consistent as long as they agree on one of those numbers.
    """
    numbers: dict[int, set[int]] = {}
    for port in ports:
        numbers.setdefault(id(port.service), set()).add(port.number)
    sets = list(numbers.values())
    return any(not (sets[i] & sets[j]) for i in range(len(sets)) for j in range(i + 1, len(sets)))
