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

The default ingress gateway under ``--strict-references``: like the reference rules, we take Istio's
default ingress gateway (``istio: ingressgateway`` in istio-system) to be installed. When the input
declares itself the whole cluster and holds no Service of its own for that gateway, its Service is
taken to be the one the default installation profile creates (istio-ingressgateway: status-port
15021, http2 80 -> 8080, https 443 -> 8443); ``istioctl analyze`` makes the same kind of assumption for
files-only runs. Without strict mode the rule does not guess: installations often add ports.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...references import IMPLICIT_INGRESS_LABELS, ROOT_NAMESPACE
from ...workloads import Workload, labels_match, workloads
from ..bounds import first_few
from .servers import int_value, is_istio_gateway, selector_of, servers_of

CODE = "IL206"
KINDS = ("Gateway",)

MEMO_KEY = "gateway.port-not-in-service"

# The istio-ingressgateway Service of Istio's default installation profile (helm chart
# gateways/istio-ingress values): status-port 15021 -> 15021, http2 80 -> 8080, https 443 -> 8443, all TCP.
# Ports and target ports both count (see above).
DEFAULT_INGRESS_SERVICE = f"{ROOT_NAMESPACE}/istio-ingressgateway"
DEFAULT_INGRESS_PORTS = frozenset((15021, 80, 8080, 443, 8443))


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return
    selector = selector_of(resource)
    if not selector:
        return
    index = ctx.index.memo(MEMO_KEY, _Index)
    key = (frozenset(selector.items()), ctx.settings.strict_references)
    if key not in index.views:  # Gateways on one selector share one answer
        index.views[key] = _view(index, selector, ctx.settings.strict_references)
    view = index.views[key]
    if view is None:
        return
    services, exposed, names, listing = view
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


def _view(index: "_Index", selector: dict, strict: bool) -> tuple | None:
    """(Services, exposed ports, their names and the port listing for messages) of the gateway workload a
    selector picks; None when nothing can be said (no Service in the input, or a port set unknown)."""
    selected = index.workloads_selected(selector)
    services = index.services_for(selector, selected)
    # The input is the whole cluster and Istio's default ingress gateway (assumed installed) is selected,
    # but the input does not hold its Service: take the default profile's.
    assume_default = (strict and labels_match(selector, IMPLICIT_INGRESS_LABELS)
                      and not index.has_default_ingress_service)
    if not services and not assume_default:
        return None  # closed world: the input does not hold the gateway's Service
    exposed: set[int] = set(DEFAULT_INGRESS_PORTS) if assume_default else set()
    for service in services:
        ports = _exposed_ports(service, selected)
        if ports is None:
            return None  # a named targetPort we cannot resolve: the port set is unknown
        exposed |= ports
    named = [f"{s.namespace}/{s.name}" for s in services[:3]]
    if assume_default:
        named.append(f"{DEFAULT_INGRESS_SERVICE} as Istio's default profile creates it, assumed because the "
                     "input holds no Service for the default ingress gateway")
    names = ", ".join(named) + (" and others" if len(services) > 3 else "")
    listing = first_few([str(p) for p in sorted(exposed)], 40) or "none"
    return services, exposed, names, listing


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
        self.views: dict[tuple, tuple | None] = {}  # (selector, strict) -> what check reports from
        self.workloads_by_label: dict[tuple, list[Workload]] = {}
        for w in workloads(index):
            for item in w.labels.items():
                self.workloads_by_label.setdefault(item, []).append(w)
        self.services_by_label: dict[tuple, list[Any]] = {}
        # Does the input hold a Service for the default ingress gateway (its pods are in the root namespace)?
        self.has_default_ingress_service = False
        for service in index.of_kind("Service"):
            selector = service.get(("spec", "selector"))
            if (service.namespace == ROOT_NAMESPACE and isinstance(selector, dict) and selector
                    and labels_match(selector, IMPLICIT_INGRESS_LABELS)):
                self.has_default_ingress_service = True
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
