"""IL303 tls-match-duplicate: a ``tls`` match entry that repeats an earlier one (same SNI hosts,
destination subnets and port, for the same proxies), which istiod drops.

TLS routes are not tried in order: each match becomes an Envoy filter chain, and Envoy picks the chain
by destination address, then the most specific server name (exact before wildcard). A later
``orders.example.com`` is therefore *not* hidden by an earlier ``*.example.com``; only an identical set
of runtime predicates is, because istiod keeps the first chain for it and discards the rest.
"""

from __future__ import annotations

from ...analysis.match_cover import tls_match_duplicate
from ...hosts import MESH_GATEWAY
from .ordered import TLS, effective_gateways, rule_entries, vs_gateways

CODE = "IL303"
KINDS = ("VirtualService",)


def _sni(data) -> str:
    hosts = data.get("sniHosts") if isinstance(data, dict) else None
    if isinstance(hosts, list) and hosts:
        return ", ".join(str(h) for h in hosts)
    return "(none)"


def _same_order(e, m) -> bool:
    return all(e.data.get(k) == m.data.get(k) for k in ("sniHosts", "destinationSubnets"))


def _consequence(e, m, gateways) -> str:
    if _same_order(e, m) or MESH_GATEWAY not in effective_gateways(m.data, gateways):
        return "istiod keeps the first filter chain for these predicates and drops this one, so its route " \
               "never receives traffic."
    # istiod's sidecar de-duplication compares the lists as written; gateways compare hosts one by one.
    return "On gateways istiod drops it; on sidecars istiod compares the lists as written, emits both, and " \
           "Envoy rejects a listener whose filter chains match the same connections. Either way this route " \
           "never receives traffic."


def check(resource, ctx):
    routes = resource.get(("spec", TLS))
    if not isinstance(routes, list):
        return
    gateways = vs_gateways(resource)
    earlier = []
    for j, route in enumerate(routes):
        entries = rule_entries(TLS, j, route, resource.namespace, implicit=False) or []
        for m in entries:
            for e in earlier:
                if tls_match_duplicate(e.data, m.data, gateways, gateways) is not True:
                    continue
                rule = routes[e.rule] if 0 <= e.rule < len(routes) else None
                where = f"{e.label(rule)}, earlier in this route" if e.rule == j else e.label(rule)
                yield ctx.finding(
                    resource, m.path,
                    f"{m.label(route)} repeats {where}: the same SNI hosts ({_sni(m.data)}) and destination "
                    f"subnets, and that match applies wherever this one does. {_consequence(e, m, gateways)} "
                    "Remove the entry or merge the two routes; to send one name elsewhere give it its own "
                    "exact SNI host, which wins over a wildcard regardless of order",
                    related=[ctx.related(resource, e.path, f"{e.label(rule)} has the same SNI match")],
                )
                break
            earlier.append(m)
