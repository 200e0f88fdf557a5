"""IL404 destination-port-required: a destination without a port, to a service with several ports."""

from __future__ import annotations

from ...hosts import effective_gateway_refs, expand_short_name
from ...references import registry, resolved_destinations
from .destination_port_not_found import known_ports

CODE = "IL404"
KINDS = ("VirtualService",)


def _self_routed(resource, host: str, cluster_domain: str) -> bool:
    """A mesh-only VirtualService routing its own host: the sidecar picks the service port the request came
    in on, which the service necessarily has, so leaving the port out is unambiguous."""
    if any(not ref.mesh for ref in effective_gateway_refs(resource.spec.get("gateways"), resource.namespace)):
        return False
    hosts = resource.spec.get("hosts")
    own = {(expand_short_name(h, resource.namespace, cluster_domain) or "").lower()
           for h in (hosts if isinstance(hosts, list) else ()) if isinstance(h, str)}
    return host in own


def check(resource, ctx):
    resolved = resolved_destinations(ctx.index, resource, ctx.settings.cluster_domain)
    for path, _, _, _, _, numbered, port_malformed, resolution in resolved.entries:
        if resolution is None or numbered:
            continue  # not a host we can look up, or a port is named
        if port_malformed:
            continue  # the schema rule reports it
        res = resolved.resolutions[resolution]
        known = known_ports(res)
        if known is None or len(known[0]) < 2:
            continue
        if _self_routed(resource, res.host, registry(ctx.index, ctx.settings.cluster_domain).cluster_domain):
            continue
        ports, label = known
        listed = ", ".join(str(p) for p in sorted(ports))
        yield ctx.finding(resource, path + ("host",), (
            f"{label} exposes several ports ({listed}) and this destination names none; on a gateway, or for "
            "a host other than the VirtualService's own, Istio then uses the port the request arrived on, "
            "which may not be a port of this service: set destination.port.number"))
