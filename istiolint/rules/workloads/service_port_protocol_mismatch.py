"""service-port-protocol-mismatch: a VirtualService route whose kind disagrees with the protocol the
destination Service port declares.

Istio takes a Kubernetes Service port's protocol from ``appProtocol`` when set, else from the port name
(``<protocol>[-<suffix>]``, case-insensitive); a ``protocol: UDP`` port is UDP whatever its name (see
:func:`istiolint.protocols.declared_protocol`). That declared protocol decides how every sidecar (and
the destination's own sidecar) handles the port: an HTTP-family port gets an HTTP connection manager, a
TCP-family port an opaque TCP proxy. So:

- an ``http`` route to a port declared TCP/MONGO/MYSQL/REDIS is never used by sidecars (their listener
  for that port has no HTTP routes) and, from a gateway, reaches a destination sidecar that treats the
  stream as opaque TCP: retries, header matches, timeouts and HTTP telemetry silently do nothing;
- a ``tcp`` route to a port declared HTTP-family is ignored by sidecars, whose listener for that port
  uses HTTP routes;
- a ``tls`` route (SNI passthrough: the bytes stay encrypted) to a port declared plain HTTP-family hands
  TLS bytes to a proxy that expects plain HTTP.

Silent when the destination host is not a Service of the input, when the port cannot be told (no
``port`` on the destination and a Service with several ports) or when the declared protocol is unknown.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...hosts import expand_short_name, is_wildcard, parse_fqdn
from ...protocols import HTTP_FAMILY, OPAQUE_TCP, declared_protocol

CODE = "IL501"
KINDS = ("VirtualService",)

# route kind -> (declared protocols it disagrees with, why)
MISMATCH = {
    "http": (OPAQUE_TCP, "Istio handles that port as opaque TCP: sidecars never apply http routes there and "
                         "HTTP features (retries, header matches, timeouts) do nothing. Declare the port HTTP "
                         "(name it http-… or set appProtocol: http), or route it with a tcp route"),
    "tcp": (HTTP_FAMILY, "Istio handles that port as HTTP: sidecars use http routes there and ignore tcp routes. "
                         "Route it with an http route, or declare the port tcp if it is not HTTP"),
    "tls": (HTTP_FAMILY, "a tls route passes the TLS stream through untouched, but the port is declared plain "
                         "HTTP, so the destination's proxy expects unencrypted requests. Declare the port https "
                         "or tls, or terminate TLS at the gateway and use an http route"),
}


def _service_port(service: Any, number: Any) -> tuple[int, dict] | None:
    """(index, port) of the Service port a destination targets; None when absent or ambiguous."""
    ports = service.get(("spec", "ports"))
    ports = ports if isinstance(ports, list) else []
    if isinstance(number, int) and not isinstance(number, bool):
        for k, port in enumerate(ports):
            if isinstance(port, dict) and port.get("port") == number:
                return k, port
        return None
    if number is None and len(ports) == 1 and isinstance(ports[0], dict):
        return 0, ports[0]
    return None


def check(resource, ctx) -> Iterator:
    domain = ctx.settings.cluster_domain
    for kind, (wrong, why) in MISMATCH.items():
        routes = resource.get(("spec", kind))
        for i, route in enumerate(routes if isinstance(routes, list) else ()):
            targets = route.get("route") if isinstance(route, dict) else None
            for j, target in enumerate(targets if isinstance(targets, list) else ()):
                destination = target.get("destination") if isinstance(target, dict) else None
                if not isinstance(destination, dict):
                    continue
                host = destination.get("host")
                if not isinstance(host, str) or is_wildcard(host):
                    continue
                fqdn = parse_fqdn(expand_short_name(host, resource.namespace, domain), domain)
                service = ctx.index.get("Service", fqdn[1], fqdn[0]) if fqdn else None
                if service is None:
                    continue
                port = destination.get("port")
                found = _service_port(service, port.get("number") if isinstance(port, dict) else None)
                if found is None:
                    continue
                k, service_port = found
                declared = declared_protocol(service_port)
                if declared is None or declared[0] not in wrong:
                    continue
                number = service_port.get("port")
                yield ctx.finding(
                    resource, ("spec", kind, i, "route", j, "destination"),
                    f"this {kind} route sends to port {number} of Service {service.namespace}/{service.name}, "
                    f"declared {declared[0]} by its {declared[1]}: {why}",
                    related=[ctx.related(service, ("spec", "ports", k), f"port declared {declared[0]}")])
