"""IL304 vs-route-merge-overlap: two VirtualServices serve the same host on the same gateway and have
overlapping HTTP matches, so which one takes a request depends on an order the user does not control.

On a gateway, istiod builds one Envoy virtual host per host name and route configuration (all plain
HTTP servers of a port share one; each terminating HTTPS server has its own) and appends the routes of
every VirtualService bound to it, in its own internal order (oldest first, not something a manifest
sets); afterwards only catch-all routes are moved to the end. The host of a virtual host is the more
specific of a server host and a VirtualService host that contain one another (Istio's
``Names.Intersection``), so ``*.example.com`` and ``shop.example.com`` share a virtual host on a server
for ``shop.example.com`` but not on a server for ``*``.

Reported conservatively: only when an entry of one VirtualService covers an entry of the other (in
either direction), neither is a catch-all, both are live in their own VirtualService, and the two rules
do something different. The finding sits at the entry of the VirtualService that comes later by
namespace/name. On ``mesh`` two VirtualServices for one host are a host conflict instead (IST0109),
not this rule's business.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Hashable
from typing import Any

from ...analysis.match_cover import http_side_covers, http_sides
from ...hosts import host_covers, normalize_host
from ...record import field, record
from ..gateway.binding import (
    HTTP_PROTOCOLS,
    gateway_index,
    is_istio_gateway,
    server_protocol,
    server_route_kind,
)
from .cover_index import CoverCandidates, freeze
from .ordered import HTTP, Entry, analysis, is_catch_all

CODE = "IL304"
KINDS = ("VirtualService",)
MEMO_KEY = "routing.merge-groups"
MAX_LISTED = 4  # other overlapping entries named after the first one, before "and N more"
MAX_RELATED = 5


@record
class MergeGroups:
    # (gateway "ns/name", scope, virtual host) -> VirtualServices, each once, input order.
    # scope: ("port", n) for plain HTTP servers (one route configuration per port), ("server", i, n)
    # for a terminating HTTPS server (its own route configuration), None when the Gateway is not in
    # the input (then only identical VirtualService hosts are grouped).
    groups: dict[tuple, list[Any]] = field(default_factory=dict)
    by_vs: dict[int, list[tuple]] = field(default_factory=dict)
    pools: dict[tuple, _Pool] = field(default_factory=dict)  # per key, built when first asked


def _intersection(server_host: str, vs_host: str) -> str | None:
    """Istio's ``Names.Intersection`` for one pair: the more specific host when one contains the other."""
    if host_covers(vs_host, server_host):
        return normalize_host(server_host)
    if host_covers(server_host, vs_host):
        return normalize_host(vs_host)
    return None


def _has_http_routes(vs: Any) -> bool:
    routes = vs.get(("spec", "http"))
    return isinstance(routes, list) and bool(routes)


def _scopes(gateway: Any) -> list[tuple | None]:
    """Per server of a Gateway: the route configuration its HTTP routes go to, or None (no HTTP routes,
    or no usable port)."""
    servers = gateway.get(("spec", "servers"))
    out: list[tuple | None] = []
    for i, server in enumerate(servers if isinstance(servers, list) else ()):
        scope = None
        if server_route_kind(server) == HTTP:
            port = server.get("port", {}).get("number") if isinstance(server.get("port"), dict) else None
            if isinstance(port, int) and not isinstance(port, bool):
                scope = ("port", port) if server_protocol(server) in HTTP_PROTOCOLS else ("server", i, port)
        out.append(scope)
    return out


def _keys_for(gateway_key: str, gateway: Any, vs: Any, hosts: tuple, gateways: Any, scopes: list) -> set[tuple]:
    names = [normalize_host(h) for _, h in hosts]
    if gateway is None or not is_istio_gateway(gateway):
        return {(gateway_key, None, h) for h in names if h}
    out: set[tuple] = set()
    server_hosts = gateways.server_hosts(gateway)
    host_index = gateways.server_host_index(gateway)
    for h in names:
        if not h:
            continue
        for k in host_index.intersecting(h):  # the server hosts that may share a virtual host with h
            sh = server_hosts[k]
            i = sh.path[2]
            scope = scopes[i] if i < len(scopes) else None
            if scope is None or not sh.admits(gateway.namespace, vs.namespace):
                continue
            vhost = _intersection(sh.host, h)
            if vhost:
                out.add((gateway_key, scope, vhost))
    return out


def build(index: Any) -> MergeGroups:
    out = MergeGroups()
    gateways = gateway_index(index)
    for namespace, name in sorted(gateways.bound):
        bindings = [b for b in gateways.bindings(namespace, name) if _has_http_routes(b.vs)]
        if len(bindings) < 2:
            continue
        gateway = gateways.istio.get((namespace, name)) or gateways.k8s.get((namespace, name))
        scopes = _scopes(gateway) if gateway is not None and is_istio_gateway(gateway) else []
        key_text = f"{namespace}/{name}"
        found: dict[tuple, dict[int, Any]] = {}
        for b in bindings:
            for key in _keys_for(key_text, gateway, b.vs, b.hosts, gateways, scopes):
                found.setdefault(key, {})[id(b.vs)] = b.vs
        for key, members in found.items():
            if len(members) < 2:
                continue
            out.groups[key] = list(members.values())
            for vs in members.values():
                out.by_vs.setdefault(id(vs), []).append(key)
    return out


def _order(vs: Any) -> tuple:
    return (vs.namespace or "", vs.name or "")


def _action(rule: Any) -> Any:
    """What a rule does, apart from when it applies (two rules doing the same thing cannot conflict)."""
    if not isinstance(rule, dict):
        return None
    return {k: v for k, v in rule.items() if k not in ("match", "name")}


def _candidates(result: Any, port: int | None) -> list[tuple[Entry, Any]]:
    """Live, non-catch-all entries (with their rule) that can exist on this port."""
    out = []
    for rule in result.rules:
        for entry in rule.entries or ():
            if result.is_dead(entry) or is_catch_all(entry) or not isinstance(entry.data, dict):
                continue
            entry_port = entry.data.get("port")
            if port is not None and isinstance(entry_port, int) and entry_port and entry_port != port:
                continue
            out.append((entry, rule.raw))
    return out


# --------------------------------------------------------------------------- one merged virtual host


@record(frozen=True)
class _Row:
    """One live entry of one member VirtualService of a merge group."""

    position: tuple  # (member position, entry position): the order the others are listed in
    cls: int  # the class of identical matches it belongs to
    vs: Any
    entry: Entry
    rule: Any
    action: Hashable
    order: tuple  # _order(vs): only earlier VirtualServices are compared with a later one


class _Pool:
    """The entries of one merge group, as classes of identical matches (``match_cover`` is asked once
    per pair of classes that may cover one another, see ``cover_index``), each class's entries in
    listing order, and sorted by VirtualService order (overall and per action) to count the earlier
    ones with another action by bisection."""

    def __init__(self, key: tuple, members: list[Any], index: Any, covered: dict):
        gateway_key, scope, _ = key
        port = scope[-1] if scope else None
        self.gateway_key = gateway_key
        self.rows_of: dict[int, list[tuple[int, _Row]]] = {}  # id(vs) -> [(class, row)]
        self.rows: list[list[_Row]] = []  # class -> rows in listing order
        self._data: list[Any] = []  # class -> its match entry data
        self._covered = covered  # (frozen E, frozen M, gateway) -> does E cover M (shared by every pool)
        self._frozen: list[Hashable] = []
        classes: dict[Hashable, int] = {}
        for p, vs in enumerate(members):
            for q, (entry, rule) in enumerate(_candidates(analysis(vs, HTTP, index), port)):
                sig = freeze(entry.data)
                c = classes.get(sig)
                if c is None:
                    c = classes[sig] = len(self.rows)
                    self.rows.append([])
                    self._data.append(entry)
                    self._frozen.append(sig)
                row = _Row((p, q), c, vs, entry, rule, freeze(_action(rule)), _order(vs))
                self.rows[c].append(row)
                self.rows_of.setdefault(id(vs), []).append((c, row))
        self._orders = [sorted(r.order for r in rows) for rows in self.rows]
        self._orders_by_action: list[dict[Hashable, list[tuple]]] = []
        for rows in self.rows:
            by_action: dict[Hashable, list[tuple]] = {}
            for r in rows:
                by_action.setdefault(r.action, []).append(r.order)
            for orders in by_action.values():
                orders.sort()
            self._orders_by_action.append(by_action)
        self._related: dict[int, dict[int, str]] | None = None
        self._sides: list[Any] | None = None

    def _side(self, c: int) -> Any:
        """Class ``c``'s match entry read once for match_cover (on this gateway only)."""
        if self._sides is None:
            self._sides = http_sides([entry.data for entry in self._data], [self.gateway_key])
        return self._sides[c]

    def _covers(self, e: int, m: int) -> bool:
        key = (self._frozen[e], self._frozen[m], self.gateway_key)
        found = self._covered.get(key)
        if found is None:
            found = self._covered[key] = http_side_covers(self._side(e), self._side(m))
        return found

    def related(self, c: int) -> dict[int, str]:
        """Classes overlapping class ``c`` -> the direction, phrased from an entry of ``c``."""
        if self._related is None:
            candidates = CoverCandidates()
            for k, entry in enumerate(self._data):
                candidates.add(k, entry.data)
            related: dict[int, dict[int, str]] = {k: {} for k in range(len(self._data))}
            for m, entry in enumerate(self._data):
                for e in candidates.candidates(entry.data):
                    if self._covers(e, m):
                        related[m][e] = THIS_IN_THAT  # wins when each covers the other
                        related[e].setdefault(m, THAT_IN_THIS)
            self._related = related
        return self._related[c]

    def count_earlier(self, c: int, action: Hashable, before: tuple) -> int:
        """Entries of class ``c`` in VirtualServices ordered before ``before`` that do something else."""
        same = self._orders_by_action[c].get(action, [])
        return bisect_left(self._orders[c], before) - bisect_left(same, before)


THIS_IN_THAT = "every request this entry matches also matches that one"
THAT_IN_THIS = "every request that entry matches also matches this one"


def _pool(merge: MergeGroups, key: tuple, index: Any) -> _Pool:
    found = merge.pools.get(key)
    if found is None:
        covered = index.memo("routing.merge-covers", lambda ix: {})
        found = merge.pools[key] = _Pool(key, merge.groups[key], index, covered)
    return found


def check(resource, ctx):
    merge = ctx.index.memo(MEMO_KEY, build)
    keys = merge.by_vs.get(id(resource))
    if not keys:
        return
    mine = _order(resource)
    found: dict[tuple, list] = {}  # entry path -> the first few hits: (entry, rule, other row, key, direction)
    per_key: dict[tuple, list] = {}  # entry path -> [(pool, overlapping classes, earlier entries counted)]
    for key in sorted(keys, key=repr):
        pool = _pool(merge, key, ctx.index)
        for c, row in pool.rows_of.get(id(resource), ()):
            related = pool.related(c)
            count = sum(pool.count_earlier(d, row.action, mine) for d in related)
            if not count:
                continue
            path = row.entry.path
            hits = found.setdefault(path, [])
            per_key.setdefault(path, []).append((pool, related, count, row.action))
            if len(hits) > MAX_LISTED:
                continue  # named enough; the rest is only counted
            seen = {(id(h[2].vs), h[2].entry.path) for h in hits}
            for other in heapq.merge(*(pool.rows[d] for d in related), key=lambda r: r.position):
                if other.order >= mine or other.action == row.action:
                    continue  # reported at the later VirtualService; rules doing the same cannot conflict
                if (id(other.vs), other.entry.path) in seen:
                    continue  # the same pair may meet on several servers or ports: list it once
                seen.add((id(other.vs), other.entry.path))
                hits.append((row.entry, row.rule, other, key, related[other.cls]))
                if len(hits) > MAX_LISTED:
                    break
    for path, hits in found.items():
        entry, rule, other, key, direction = hits[0]
        gateway_key, scope, vhost = key
        where = f" (port {scope[-1]})" if scope else ""
        total = _total(per_key[path], mine)
        more = [f"{h[2].vs.namespace}/{h[2].vs.name} {h[2].entry.label(h[2].rule)}" for h in hits[1:]]
        shown = ", ".join(more[:MAX_LISTED]) + (f" and {total - 1 - MAX_LISTED} more" if total - 1 > MAX_LISTED else "")
        also = f"; it also overlaps {shown}" if more else ""
        message = (
            f"{entry.label(rule)} overlaps {other.entry.label(other.rule)} of VirtualService "
            f"{other.vs.namespace}/{other.vs.name}: both serve host {vhost} on Gateway {gateway_key}{where}, and "
            f"{direction}{also}. Istio merges the routes of VirtualServices that share a host on a gateway in "
            "an order no manifest controls (only catch-all routes are moved last), so which one takes these "
            "requests is undefined; make the matches disjoint, or put both routes into one VirtualService "
            "in the order you want"
        )
        related = [ctx.related(h[2].vs, h[2].entry.path, f"overlapping entry {h[2].entry.label(h[2].rule)} of "
                                                          f"VirtualService {h[2].vs.namespace}/{h[2].vs.name}")
                   for h in hits[:MAX_RELATED]]
        yield ctx.finding(resource, path, message, related=related)


def _total(per_key: list, mine: tuple) -> int:
    """How many entries of earlier VirtualServices overlap one entry, over every merge group it is in
    (a pair meeting on several servers or ports counts once)."""
    if len(per_key) == 1:
        return per_key[0][2]
    pairs = set()
    for pool, related, _, action in per_key:
        for d in related:
            pairs.update((id(r.vs), r.entry.path) for r in pool.rows[d] if r.order < mine and r.action != action)
    return len(pairs)
