"""Services in front of a workload, port by port (a helper module: it declares no CODE). Shared by
workload-port-protocol-conflict (IL524) and workload-target-port-conflict (IL525).

A workload here is a Pod or the pod template of a controller (``workloads.py``). The Services in front
of it are those of its namespace whose non-empty ``selector`` its labels satisfy. Only TCP ports count:
Istio's sidecar does not proxy UDP or SCTP, so a UDP and a TCP port with the same number never meet.
A Service port's protocol is the one Istio declares for it (``appProtocol``, else the port name's
prefix; ``protocols.declared_protocol``); ports whose protocol Istio would detect by sniffing count
as unknown and are not compared.

Workloads that get no sidecar (``sidecar.istio.io/inject: "false"``, or a Namespace in the input without
injection enabled) are left out: both conflicts are about the sidecar's inbound configuration.

Every resource involved is reported (see ``common.py``), once per rule: the workload (as istioctl does),
listing each conflicting port, and each Service that takes part, at its first conflicting port, naming
the workload and the other Services (the Service is what a change usually touches, and with
``--context`` the workload may be context only).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ...record import field, record
from ...workloads import Workload, services_selecting, workloads
from ...protocols import declared_protocol
from .common import MAX_NAMED, capped, identity, in_mesh, label, listed, namespace_objects

MEMO_KEY = "conflicts.service-ports"


@record(frozen=True)
class ServicePort:
    service: Any
    index: int  # position in spec.ports
    number: int
    target: int | str  # container port number, or the unresolved port name
    protocol: str | None  # Istio's declared protocol; None when it would be sniffed

    @property
    def path(self) -> tuple:
        return ("spec", "ports", self.index)

    def describe(self) -> str:
        return f"{label(self.service)} port {self.number}"


@record(frozen=True)
class Fronted:
    """A workload in the mesh and the TCP ports of the Services that select it."""

    workload: Workload
    ports: list[ServicePort]

    @property
    def path(self) -> tuple:
        """Where the workload's labels are (what the Services select)."""
        return self.workload.template_path + ("metadata", "labels")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _container_ports(pod_spec: dict) -> dict[str, int]:
    """Named container ports of a pod spec (the names a Service targetPort may use)."""
    out: dict[str, int] = {}
    containers = pod_spec.get("containers")
    for container in containers if isinstance(containers, list) else ():
        ports = container.get("ports") if isinstance(container, dict) else None
        for port in ports if isinstance(ports, list) else ():
            if isinstance(port, dict) and isinstance(port.get("name"), str) and _int(port.get("containerPort")):
                out.setdefault(port["name"], port["containerPort"])
    return out


def _tcp(port: dict) -> bool:
    transport = port.get("protocol")
    return not (isinstance(transport, str) and transport.upper() in ("UDP", "SCTP"))


def service_ports(service: Any, named: dict[str, int]) -> list[ServicePort]:
    ports = service.get(("spec", "ports"))
    out = []
    for k, port in enumerate(ports if isinstance(ports, list) else ()):
        if not isinstance(port, dict) or not _tcp(port):
            continue
        number = _int(port.get("port"))
        if number is None:
            continue
        target = port.get("targetPort")
        if _int(target) is not None and target != 0:
            resolved: int | str = target
        elif isinstance(target, str) and target:
            resolved = named.get(target, target)
        else:
            resolved = number  # unset targetPort: the same as port
        declared = declared_protocol(port)
        out.append(ServicePort(service, k, number, resolved, declared[0] if declared else None))
    return out


def fronted(index) -> dict[int, Fronted]:
    """Workloads in the mesh with two or more selecting Services, by resource identity (memoised)."""
    def build(ix) -> dict[int, Fronted]:
        services_by_ns: dict[str, list] = {}
        for service in ix.of_kind("Service"):
            selector = service.get(("spec", "selector"))
            if isinstance(selector, dict) and selector:
                services_by_ns.setdefault(service.namespace or "", []).append(service)
        namespaces = namespace_objects(ix)
        out: dict[int, Fronted] = {}
        for w in workloads(ix):
            candidates = services_by_ns.get(w.namespace or "")
            if not candidates:
                continue
            selecting = services_selecting(ix, w)  # indexed by selector pair: not every Service of the namespace
            if len(selecting) < 2 or not in_mesh(w, namespaces):
                continue
            named = _container_ports(w.pod_spec)
            ports = [p for s in selecting for p in service_ports(s, named)]
            out[id(w.resource)] = Fronted(w, ports)
        return out

    return index.memo(MEMO_KEY, build)


@record(eq=False)
class PortConflict:
    """Services in front of one workload that disagree about one port (a number, or a container port)."""

    fronted: Fronted
    what: int | str  # the service port number (IL524) or the container port targeted (IL525)
    ports: list[ServicePort]  # every Service port involved, in Service order
    cache: dict = field(default_factory=dict, repr=False)  # what a rule derives once per conflict


def services_of(ports: list[ServicePort]) -> int:
    """How many different Service objects these ports belong to (copies of one object count once)."""
    return len({identity(p.service) for p in ports})


def by_service(index, memo_key: str, find: Callable[[Fronted], list[PortConflict]]) -> dict[int, list[PortConflict]]:
    """Service (by resource identity) -> the conflicts it takes part in (memoised per rule)."""
    def build(ix) -> dict[int, list[PortConflict]]:
        out: dict[int, list[PortConflict]] = {}
        for found in fronted(ix).values():
            for conflict in find(found):
                for service in {id(p.service): p.service for p in conflict.ports}.values():
                    if service.analyze:
                        out.setdefault(id(service), []).append(conflict)
        return out

    return index.memo(memo_key, build)


def first_port(service: Any, ports: list[ServicePort]) -> ServicePort:
    """The first of these ports in the Service's document (where its finding goes)."""
    return min(ports, key=lambda p: (service.position(p.path), p.index))


@record
class ServiceSide:
    """What one port conflict means for one of its Services (see `service_side_finding`)."""

    others: list[ServicePort]  # the first few ports of other Services it disagrees with
    total: int  # how many such ports in all
    own_ports: list[ServicePort]  # this Service's ports involved (the finding goes at the first)
    phrase: Callable[[], str]  # the clause for this conflict (called only for the first few)
    note: Callable[[ServicePort], str]  # the related note on another Service's port


def service_side_finding(resource, ctx, memo_key: str, find: Callable[[Fronted], list[PortConflict]],
                         side: Callable[[PortConflict], ServiceSide | None], why: str) -> Iterator:
    """The one finding on a Service for the workload port conflicts it takes part in: a clause per
    conflict (``side`` says, in the rule's words, how this Service disagrees there, or None when it
    agrees with every other one), the workloads and the other Services' ports as related locations."""
    mine = by_service(ctx.index, memo_key, find).get(id(resource))
    if not mine:
        return
    clauses, related, own_ports = [], [], []
    named_workloads: set[int] = set()
    count = 0
    for conflict in mine:
        part = side(conflict)
        if part is None or not part.total:
            continue  # this Service agrees with every other one; the conflict is between others
        count += 1
        own_ports.extend(part.own_ports)
        if len(clauses) == MAX_NAMED:
            continue  # counted, not phrased
        clauses.append(part.phrase())
        if len(related) < MAX_NAMED:
            workload = conflict.fronted.workload
            if id(workload.resource) not in named_workloads:  # one related location per workload
                named_workloads.add(id(workload.resource))
                related.append(ctx.related(workload.resource, conflict.fronted.path,
                                           "the workload these Services select"))
            related.extend(ctx.related(p.service, p.path, part.note(p)) for p in part.others)
    if clauses:
        yield ctx.finding(resource, first_port(resource, own_ports).path, f"{listed(clauses, total=count)}. {why}",
                          related=capped(related))

