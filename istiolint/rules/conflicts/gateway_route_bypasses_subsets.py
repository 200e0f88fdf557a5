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

Both sides are reported (see ``common.py``): the gateway-bound VirtualService at each route destination
that bypasses the subsets (each is its own fix, and istioctl reports IST0140 per destination too), and
the subset-routing mesh VirtualService once, at its first subset route that gateway traffic bypasses,
naming the gateway routes (istioctl reports only the gateway side; the mesh side is where the version
routing was written, often in another file, and a change there should show what it does not cover).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from ...hosts import effective_gateway_refs, expand_short_name, is_wildcard
from ...paths import format_path
from .common import label, listed, order_key, same_object

CODE = "IL311"
KINDS = ("VirtualService",)

MEMO_KEY = "conflicts.subset-routing"


@dataclass
class Bypass:
    """A gateway route destination without subset, and the mesh VirtualServices whose subsets it skips."""

    vs: Any  # the gateway-bound VirtualService
    path: tuple  # its destination
    written: Any  # the host as written
    gateways: list[str]
    splitters: list[tuple]  # (mesh VirtualService, path of its first subset for the host, subset names)


@dataclass
class SubsetRouting:
    by_gateway_vs: dict[int, list[Bypass]] = field(default_factory=dict)
    by_mesh_vs: dict[int, list[tuple[Bypass, tuple]]] = field(default_factory=dict)  # (bypass, splitter)


def check(resource, ctx) -> Iterator:
    domain = ctx.settings.cluster_domain
    found: SubsetRouting = ctx.index.memo(MEMO_KEY, lambda ix: _build(ix, domain))
    for bypass in found.by_gateway_vs.get(id(resource), ()):
        yield _gateway_side(bypass, ctx)
    seen = found.by_mesh_vs.get(id(resource))
    if seen:
        yield _mesh_side(resource, seen, ctx)


def _gateway_side(b: Bypass, ctx) -> Any:
    subsets = sorted({name for s in b.splitters for name in s[2]})
    others = sorted({label(s[0]) for s in b.splitters})
    message = (f"this route sends gateway traffic ({', '.join(b.gateways)}) to '{b.written}' without a subset, "
               f"but {' and '.join(others)} route{'s' if len(others) == 1 else ''} that host by subset "
               f"({', '.join(subsets)}) for in-mesh callers: a gateway applies only the VirtualServices bound "
               "to it, so requests entering here reach every version of the service. Add the subset to "
               "this route, or bind the subset-routing VirtualService to this gateway as well")
    related = [ctx.related(s[0], s[1], "routes this host by subset for sidecars") for s in b.splitters]
    return ctx.finding(b.vs, b.path, message, related=related)


def _mesh_side(resource: Any, seen: list[tuple[Bypass, tuple]], ctx) -> Any:
    seen = sorted(seen, key=lambda e: (resource.position(e[1][1]), order_key(e[0].vs), e[0].vs.position(e[0].path)))
    routes = [f"{label(b.vs)} at {format_path(b.path)} (gateway {', '.join(b.gateways)}, host '{b.written}')"
              for b, _ in seen]
    subsets = sorted({name for _, s in seen for name in s[2]})
    message = (f"this VirtualService routes by subset ({', '.join(subsets)}) for in-mesh callers, but gateway "
               f"traffic reaches the same host without a subset: {listed(routes)}. A gateway applies only the "
               "VirtualServices bound to it, so requests entering there reach every version of the service. Add "
               "the subset to those routes, or bind this VirtualService to the gateway as well")
    related = [ctx.related(b.vs, b.path, "gateway route without a subset") for b, _ in seen]
    return ctx.finding(resource, seen[0][1][1], message, related=related)


def _subset(destination: dict) -> bool:
    subset = destination.get("subset")
    return isinstance(subset, str) and subset != ""


def _host(host: Any, namespace: Any, domain: str) -> str | None:
    if not isinstance(host, str) or not host or is_wildcard(host):
        return None
    expanded = expand_short_name(host, namespace, domain)
    return expanded.lower() if expanded else None


def _splitters(index, domain: str) -> dict[str, list[tuple]]:
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
        found: dict[str, tuple] = {}
        for path, destination in _destinations(vs):
            if not _subset(destination):
                continue
            host = _host(destination.get("host"), vs.namespace, domain)
            if host not in own:
                continue
            if host not in found:
                found[host] = (vs, path + ("subset",), [])
            if destination["subset"] not in found[host][2]:
                found[host][2].append(destination["subset"])
        for host, entry in found.items():
            out.setdefault(host, []).append(entry)
    return out


def _destinations(vs: Any) -> Iterator[tuple[tuple, dict]]:
    """``(path, destination)`` of each ``http`` route destination."""
    http = vs.get(("spec", "http"))
    for i, rule in enumerate(http if isinstance(http, list) else ()):
        routes = rule.get("route") if isinstance(rule, dict) else None
        for j, target in enumerate(routes if isinstance(routes, list) else ()):
            destination = target.get("destination") if isinstance(target, dict) else None
            if isinstance(destination, dict):
                yield ("spec", "http", i, "route", j, "destination"), destination


def _build(index, domain: str) -> SubsetRouting:
    """Every gateway route destination without subset whose host a mesh VirtualService routes by subset,
    indexed from both sides."""
    out = SubsetRouting()
    by_host = _splitters(index, domain)
    if not by_host:
        return out
    for vs in index.of_kind("VirtualService"):
        refs = effective_gateway_refs(vs.get(("spec", "gateways")), vs.namespace)
        gateways = [r.key for r in refs if not r.mesh]
        if not gateways:
            continue
        for path, destination in _destinations(vs):
            if _subset(destination):
                continue
            host = _host(destination.get("host"), vs.namespace, domain)
            splitters = [s for s in by_host.get(host, ()) if not same_object(s[0], vs)] if host else []
            if not splitters:
                continue
            bypass = Bypass(vs, path, destination.get("host"), gateways, splitters)
            if vs.analyze:
                out.by_gateway_vs.setdefault(id(vs), []).append(bypass)
            for splitter in splitters:
                if splitter[0].analyze:
                    out.by_mesh_vs.setdefault(id(splitter[0]), []).append((bypass, splitter))
    return out
