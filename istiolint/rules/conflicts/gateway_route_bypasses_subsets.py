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

from collections import Counter
from typing import Any, Iterator

from ...hosts import effective_gateway_refs, expand_short_name, is_wildcard
from ...paths import format_path
from ...record import field, record
from .common import MAX_NAMED, capped, identity, joined, label, listed, order_key

CODE = "IL311"
KINDS = ("VirtualService",)

MEMO_KEY = "conflicts.subset-routing"


@record
class Bypass:
    """A gateway route destination without subset whose host a mesh VirtualService routes by subset."""

    vs: Any  # the gateway-bound VirtualService
    path: tuple  # its destination
    written: Any  # the host as written
    gateways: list[str]
    host: str  # expanded


@record
class Tally:
    """Distinct names in sorted order with how many entries give each: the first few of them, leaving
    out what one object contributes, without rebuilding the list for every reader."""

    counts: Counter

    def __post_init__(self) -> None:
        self.order = sorted(self.counts)

    def first(self, limit: int, without: Counter | None = None) -> tuple[list[str], int]:
        without = without or Counter()
        gone = sum(1 for name, n in without.items() if self.counts.get(name, 0) - n <= 0)
        shown = []
        for name in self.order:
            if len(shown) == limit:
                break
            if self.counts[name] - without.get(name, 0) > 0:
                shown.append(name)
        return shown, len(self.order) - gone


@record
class HostRouting:
    """One host: the mesh VirtualServices routing it by subset, and the gateway routes that bypass them."""

    splitters: list[tuple] = field(default_factory=list)  # (mesh VS, path of its first subset, names), input order
    bypasses: list[Bypass] = field(default_factory=list)  # by (order_key(vs), position of the destination)
    splitter_ids: Counter = field(default_factory=Counter)
    bypass_ids: Counter = field(default_factory=Counter)
    labels: Tally | None = None
    subsets: Tally | None = None

    def contribution(self, vs: Any) -> tuple[Counter, Counter]:
        """What the splitters of one object add to ``labels`` and ``subsets`` (to leave it out)."""
        labels, subsets = Counter(), Counter()
        if self.splitter_ids.get(identity(vs)):
            for s in self.splitters:
                if identity(s[0]) == identity(vs):
                    labels[label(s[0])] += 1
                    subsets.update(s[2])
        return labels, subsets


@record
class SubsetRouting:
    hosts: dict[str, HostRouting] = field(default_factory=dict)
    by_gateway_vs: dict[int, list[Bypass]] = field(default_factory=dict)
    by_mesh_vs: dict[int, list[tuple[str, tuple]]] = field(default_factory=dict)  # (host, splitter)


def check(resource, ctx) -> Iterator:
    domain = ctx.settings.cluster_domain
    found: SubsetRouting = ctx.index.memo(MEMO_KEY, lambda ix: _build(ix, domain))
    for bypass in found.by_gateway_vs.get(id(resource), ()):
        yield _gateway_side(bypass, found.hosts[bypass.host], ctx)
    splits = found.by_mesh_vs.get(id(resource))
    if splits:
        finding = _mesh_side(resource, splits, found, ctx)
        if finding is not None:
            yield finding


def _gateway_side(b: Bypass, routing: HostRouting, ctx) -> Any:
    mine_labels, mine_subsets = routing.contribution(b.vs)
    subsets, subsets_total = routing.subsets.first(MAX_NAMED, mine_subsets)
    others, others_total = routing.labels.first(MAX_NAMED, mine_labels)
    who = (" and ".join(others) if others_total == len(others)
           else f"{', '.join(others)} and {others_total - len(others)} more")
    message = (f"this route sends gateway traffic ({', '.join(b.gateways)}) to '{b.written}' without a subset, "
               f"but {who} route{'s' if others_total == 1 else ''} that host by subset "
               f"({joined(subsets, subsets_total - len(subsets))}) for in-mesh callers: a gateway applies only the "
               "VirtualServices bound to it, so requests entering here reach every version of the service. Add "
               "the subset to this route, or bind the subset-routing VirtualService to this gateway as well")
    own = identity(b.vs)
    related = capped(ctx.related(s[0], s[1], "routes this host by subset for sidecars")
                     for s in routing.splitters if identity(s[0]) != own)
    return ctx.finding(b.vs, b.path, message, related=related)


def _mesh_side(resource: Any, splits: list[tuple[str, tuple]], found: SubsetRouting, ctx) -> Any:
    own = identity(resource)
    splits = sorted(splits, key=lambda e: (resource.position(e[1][1]), order_key(e[1][0])))
    named: list[Bypass] = []
    total = 0
    subsets: set[str] = set()
    first_path = None
    for host, splitter in splits:
        routing = found.hosts[host]
        count = len(routing.bypasses) - routing.bypass_ids.get(own, 0)
        if count <= 0:
            continue
        total += count
        subsets.update(splitter[2])
        first_path = first_path or splitter[1]
        for b in routing.bypasses:
            if len(named) == MAX_NAMED:
                break
            if identity(b.vs) != own:
                named.append(b)
    if not named:
        return None
    routes = [f"{label(b.vs)} at {format_path(b.path)} (gateway {', '.join(b.gateways)}, host '{b.written}')"
              for b in named]
    message = (f"this VirtualService routes by subset ({', '.join(sorted(subsets))}) for in-mesh callers, but "
               f"gateway traffic reaches the same host without a subset: {listed(routes, total=total)}. A gateway "
               "applies only the VirtualServices bound to it, so requests entering there reach every version of "
               "the service. Add the subset to those routes, or bind this VirtualService to the gateway as well")
    related = capped(ctx.related(b.vs, b.path, "gateway route without a subset") for b in named)
    return ctx.finding(resource, first_path, message, related=related)


def _subset(destination: dict) -> bool:
    subset = destination.get("subset")
    return isinstance(subset, str) and subset != ""


def _host(host: Any, namespace: Any, domain: str) -> str | None:
    if not isinstance(host, str) or not host or is_wildcard(host):
        return None
    expanded = expand_short_name(host, namespace, domain)
    return expanded.lower() if expanded else None


def _splitters(mesh_bound: list, hosts: _Hosts) -> dict[str, list[tuple]]:
    """Expanded host -> [(mesh VirtualService, path of its first subset, subset names)] for hosts a mesh
    VirtualService routes by subset."""
    out: dict[str, list[tuple]] = {}
    for vs in mesh_bound:
        with_subset = [(path, destination) for path, destination in _destinations(vs) if _subset(destination)]
        if not with_subset:
            continue  # most VirtualServices route without subsets: their hosts need no expanding
        declared = vs.get(("spec", "hosts"))
        own = {hosts.expand(h, vs.namespace) for h in (declared if isinstance(declared, list) else ())}
        own.discard(None)
        if not own:
            continue
        found: dict[str, tuple] = {}
        for path, destination in with_subset:
            host = hosts.expand(destination.get("host"), vs.namespace)
            if host not in own:
                continue
            if host not in found:
                found[host] = (vs, path + ("subset",), [])
            if destination["subset"] not in found[host][2]:
                found[host][2].append(destination["subset"])
        for host, entry in found.items():
            out.setdefault(host, []).append(entry)
    return out


class _Hosts:
    """`_host` of each (host, namespace), once per build: routes name the same few hosts over and over."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self._expanded: dict[tuple, str | None] = {}

    def expand(self, host: Any, namespace: Any) -> str | None:
        if not isinstance(host, str):
            return None
        key = (host, namespace)  # a Resource's namespace: a string or None
        try:
            return self._expanded[key]
        except KeyError:
            found = self._expanded[key] = _host(host, namespace, self.domain)
            return found


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
    """Every gateway route destination without subset whose host a mesh VirtualService (another object)
    routes by subset, kept per host and indexed from both sides."""
    out = SubsetRouting()
    mesh_bound, gateway_bound = [], []
    for vs in index.of_kind("VirtualService"):
        refs = effective_gateway_refs(vs.get(("spec", "gateways")), vs.namespace)
        if any(r.mesh for r in refs):
            mesh_bound.append(vs)
        gateways = [r.key for r in refs if not r.mesh]
        if gateways:
            gateway_bound.append((vs, gateways))
    hosts = _Hosts(domain)
    by_host = _splitters(mesh_bound, hosts)
    if not by_host:
        return out
    for vs, gateways in gateway_bound:
        for path, destination in _destinations(vs):
            if _subset(destination):
                continue
            host = hosts.expand(destination.get("host"), vs.namespace)
            splitters = by_host.get(host) if host else None
            if not splitters:
                continue
            routing = out.hosts.get(host)
            if routing is None:
                routing = out.hosts[host] = HostRouting(
                    splitters, splitter_ids=Counter(identity(s[0]) for s in splitters))
            if routing.splitter_ids.get(identity(vs), 0) == len(splitters):
                continue  # the only VirtualService routing this host by subset is this one
            bypass = Bypass(vs, path, destination.get("host"), gateways, host)
            routing.bypasses.append(bypass)
            routing.bypass_ids[identity(vs)] += 1
            if vs.analyze:
                out.by_gateway_vs.setdefault(id(vs), []).append(bypass)
    for host, routing in out.hosts.items():
        routing.bypasses.sort(key=lambda b: (order_key(b.vs), b.vs.position(b.path)))
        routing.labels = Tally(Counter(label(s[0]) for s in routing.splitters))
        routing.subsets = Tally(Counter(name for s in routing.splitters for name in s[2]))
        for splitter in routing.splitters:
            if splitter[0].analyze:
                out.by_mesh_vs.setdefault(id(splitter[0]), []).append((host, splitter))
    return out
