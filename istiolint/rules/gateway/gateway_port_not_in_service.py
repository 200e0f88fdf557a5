"""gateway-port-not-in-service: a Gateway server port that the gateway workload's Service does not expose.

A Gateway server makes the gateway proxy listen on ``port.number``; clients reach that listener only
through a Service of the gateway pods. Istio also translates a server port that equals a Service
``port`` to that port's ``targetPort`` (so ``number: 80`` works for the usual 80 -> 8080 mapping),
which is why a server port counts as exposed when it is a Service ``port`` or ``targetPort``. Like
``istioctl analyze`` (IST0162), only TCP Service ports count, and one Service exposing the port is
enough when several select the gateway.

Closed world: the rule speaks only when the input holds a Service for the gateway workload, found two
ways: Services selecting a Pod or pod template that the Gateway selects (Services select pods of their
own namespace only), and Services whose selector is a subset of the Gateway's selector (they would
select any pod the Gateway is meant for). A Gateway without a selector is skipped.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...workloads import Workload, labels_match, workloads
from .servers import int_value, is_istio_gateway, selector_of, servers_of

CODE = "IL206"
KINDS = ("Gateway",)

MEMO_KEY = "gateway.port-not-in-service"


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return
    selector = selector_of(resource)
    if not selector:
        return
    index = ctx.index.memo(MEMO_KEY, _Index)
    selected = index.workloads_selected(selector)
    services = index.services_for(selector, selected)
    if not services:
        return  # closed world: the input does not hold the gateway's Service
    exposed: set[int] = set()
    for service in services:
        ports = _exposed_ports(service, selected)
        if ports is None:
            return  # a named targetPort we cannot resolve: the port set is unknown
        exposed |= ports
    names = ", ".join(f"{s.namespace}/{s.name}" for s in services[:3]) + (" and others" if len(services) > 3 else "")
    listing = ", ".join(str(p) for p in sorted(exposed)) or "none"
    for server in servers_of(resource):
        number = server.number
        if number is None or not 1 <= number <= 65535 or number in exposed:
            continue
        yield ctx.finding(
            resource, server.path + ("port", "number"),
            f"port {number} is not exposed by the Service of the gateway workload ({names}; TCP ports and "
            f"target ports: {listing}): no traffic reaches this server. Add the port to the Service, or use "
            "one of its ports",
            related=[ctx.related(s, ("spec", "ports"), "gateway Service") for s in services[:3]])


def _exposed_ports(service: Any, selected: list[Workload]) -> set[int] | None:
    """TCP ``port`` and ``targetPort`` numbers of a Service; None when a named targetPort is unresolved."""
    out: set[int] = set()
    ports = service.get(("spec", "ports"))
    for port in ports if isinstance(ports, list) else ():
        if not isinstance(port, dict):
            continue
        protocol = port.get("protocol", "TCP")
        if not isinstance(protocol, str) or protocol.upper() != "TCP":
            continue
        number = int_value(port.get("port"))
        if number is not None:
            out.add(number)
        target = port.get("targetPort")
        if int_value(target) is not None:
            out.add(target)
        elif isinstance(target, str):
            if target.isdigit():
                out.add(int(target))
                continue
            resolved = _container_port(target, service, selected)
            if resolved is None:
                return None
            out |= resolved
    return out


def _container_port(name: str, service: Any, selected: list[Workload]) -> set[int] | None:
    """Numbers of the container ports called ``name`` in the workloads the Service selects."""
    found: set[int] = set()
    selector = service.get(("spec", "selector"))
    for w in selected:
        if w.namespace != service.namespace or not labels_match(selector, w.labels):
            continue
        containers = w.pod_spec.get("containers")
        for container in containers if isinstance(containers, list) else ():
            ports = container.get("ports") if isinstance(container, dict) else None
            for port in ports if isinstance(ports, list) else ():
                if isinstance(port, dict) and port.get("name") == name and int_value(port.get("containerPort")):
                    found.add(port["containerPort"])
    return found or None


class _Index:
    """Workloads by label and Services by selector label, so each Gateway looks at its candidates only."""

    def __init__(self, index) -> None:
        self.workloads_by_label: dict[tuple, list[Workload]] = {}
        for w in workloads(index):
            for item in w.labels.items():
                self.workloads_by_label.setdefault(item, []).append(w)
        self.services_by_label: dict[tuple, list[Any]] = {}
        for service in index.of_kind("Service"):
            selector = service.get(("spec", "selector"))
            if isinstance(selector, dict) and selector:
                for k, v in selector.items():
                    self.services_by_label.setdefault((str(k), str(v)), []).append(service)

    def workloads_selected(self, selector: dict[str, str]) -> list[Workload]:
        postings = [self.workloads_by_label.get(item, []) for item in selector.items()]
        smallest = min(postings, key=len)
        return [w for w in smallest if labels_match(selector, w.labels)]

    def services_for(self, selector: dict[str, str], selected: list[Workload]) -> list[Any]:
        found: dict[int, Any] = {}
        for item in selector.items():
            for service in self.services_by_label.get(item, ()):
                if labels_match(service.get(("spec", "selector")), selector):
                    found.setdefault(id(service), service)
        for w in selected:
            for item in w.labels.items():
                for service in self.services_by_label.get(item, ()):
                    if service.namespace == w.namespace and labels_match(service.get(("spec", "selector")), w.labels):
                        found.setdefault(id(service), service)
        return sorted(found.values(), key=lambda s: (s.namespace or "", s.name or ""))
