"""gateway-route-bypasses-subsets: a gateway-bound VirtualService routes to a host without a subset while
the mesh VirtualService of that host splits its traffic by subsets.

A gateway proxy applies only the VirtualServices bound to it. When it forwards to ``reviews`` it picks an
endpoint of the whole service: the mesh VirtualService for ``reviews`` (which sends everything to
``subset: v1``, say) is a sidecar-side rule and never runs for that request. So requests entering
through the gateway reach every version, which is rarely what a version-routing setup intends. Istio
reports this as IST0140 (IngressRouteRulesNotAffected).

- The routing VirtualService is bound to at least one gateway other than ``mesh``; its ``http`` route
  destinations without ``subset`` are checked.
- The other VirtualService (not the same object) is bound to the mesh, has the destination's host among
  its hosts, and routes that host to a subset in one of its ``http`` routes.
- Hosts are compared after short-name expansion in each VirtualService's own namespace.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...hosts import effective_gateway_refs, expand_short_name, is_wildcard
from .common import label, same_object

CODE = "IL311"
KINDS = ("VirtualService",)

MEMO_KEY = "conflicts.subset-routing"


def check(resource, ctx) -> Iterator:
    refs = effective_gateway_refs(resource.get(("spec", "gateways")), resource.namespace)
    gateways = [r.key for r in refs if not r.mesh]
    if not gateways:
        return
    domain = ctx.settings.cluster_domain
    by_host = ctx.index.memo(MEMO_KEY, lambda ix: _build(ix, domain))
    if not by_host:
        return
    http = resource.get(("spec", "http"))
    for i, rule in enumerate(http if isinstance(http, list) else ()):
        routes = rule.get("route") if isinstance(rule, dict) else None
        for j, target in enumerate(routes if isinstance(routes, list) else ()):
            destination = target.get("destination") if isinstance(target, dict) else None
            if not isinstance(destination, dict) or _subset(destination):
                continue
            host = _host(destination.get("host"), resource.namespace, domain)
            splitters = [s for s in by_host.get(host, ()) if not same_object(s[0], resource)] if host else []
            if not splitters:
                continue
            subsets = sorted({name for s in splitters for name in s[2]})
            others = sorted({label(s[0]) for s in splitters})
            via = ", ".join(gateways)
            message = (f"this route sends gateway traffic ({via}) to '{destination.get('host')}' without a subset, "
                       f"but {' and '.join(others)} route{'s' if len(others) == 1 else ''} that host by subset "
                       f"({', '.join(subsets)}) for in-mesh callers: a gateway applies only the VirtualServices bound "
                       "to it, so requests entering here reach every version of the service. Add the subset to "
                       "this route, or bind the subset-routing VirtualService to this gateway as well")
            related = [ctx.related(s[0], s[1], f"routes {host} by subset for sidecars") for s in splitters]
            yield ctx.finding(resource, ("spec", "http", i, "route", j, "destination"), message, related=related)


def _subset(destination: dict) -> bool:
    subset = destination.get("subset")
    return isinstance(subset, str) and subset != ""


def _host(host: Any, namespace: Any, domain: str) -> str | None:
    if not isinstance(host, str) or not host or is_wildcard(host):
        return None
    expanded = expand_short_name(host, namespace, domain)
    return expanded.lower() if expanded else None


def _build(index, domain: str) -> dict[str, list[tuple]]:
    """Expanded host -> [(mesh VirtualService, path of its first subset, subset names)] for hosts a mesh
    VirtualService routes by subset."""
    out: dict[str, list[tuple]] = {}
    for vs in index.of_kind("VirtualService"):
        if not any(r.mesh for r in effective_gateway_refs(vs.get(("spec", "gateways")), vs.namespace)):
            continue
        hosts = vs.get(("spec", "hosts"))
        own = {_host(h, vs.namespace, domain) for h in (hosts if isinstance(hosts, list) else ())}
        own.discard(None)
        if not own:
            continue
        http = vs.get(("spec", "http"))
        found: dict[str, tuple] = {}
        for i, rule in enumerate(http if isinstance(http, list) else ()):
            routes = rule.get("route") if isinstance(rule, dict) else None
            for j, target in enumerate(routes if isinstance(routes, list) else ()):
                destination = target.get("destination") if isinstance(target, dict) else None
                if not isinstance(destination, dict) or not _subset(destination):
                    continue
                host = _host(destination.get("host"), vs.namespace, domain)
                if host not in own:
                    continue
                if host not in found:
                    found[host] = (vs, ("spec", "http", i, "route", j, "destination", "subset"), [])
                if destination["subset"] not in found[host][2]:
                    found[host][2].append(destination["subset"])
        for host, entry in found.items():
            out.setdefault(host, []).append(entry)
    return out
