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

from dataclasses import dataclass, field
from typing import Any

from ...hosts import host_covers, normalize_host
from ..gateway.binding import HTTP_PROTOCOLS, gateway_index, gateway_server_hosts, is_istio_gateway, \
    server_protocol, server_route_kind
from .ordered import HTTP, Entry, analysis, covers, is_catch_all, listing

CODE = "IL304"
KINDS = ("VirtualService",)
MEMO_KEY = "routing.merge-groups"


@dataclass
class MergeGroups:
    # (gateway "ns/name", scope, virtual host) -> VirtualServices, each once, input order.
    # scope: ("port", n) for plain HTTP servers (one route configuration per port), ("server", i, n)
    # for a terminating HTTPS server (its own route configuration), None when the Gateway is not in
    # the input (then only identical VirtualService hosts are grouped).
    groups: dict[tuple, list[Any]] = field(default_factory=dict)
    by_vs: dict[int, list[tuple]] = field(default_factory=dict)


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


def _keys_for(gateway_key: str, gateway: Any, vs: Any, hosts: tuple) -> set[tuple]:
    out: set[tuple] = set()
    names = [normalize_host(h) for _, h in hosts]
    if gateway is None or not is_istio_gateway(gateway):
        return {(gateway_key, None, h) for h in names if h}
    servers = gateway.get(("spec", "servers"))
    server_hosts = gateway_server_hosts(gateway)
    for i, server in enumerate(servers if isinstance(servers, list) else ()):
        if server_route_kind(server) != HTTP:
            continue
        port = server.get("port", {}).get("number") if isinstance(server.get("port"), dict) else None
        if not isinstance(port, int) or isinstance(port, bool):
            continue
        scope = ("port", port) if server_protocol(server) in HTTP_PROTOCOLS else ("server", i, port)
        for sh in server_hosts:
            if sh.path[:3] != ("spec", "servers", i) or not sh.admits(gateway.namespace, vs.namespace):
                continue
            for h in names:
                vhost = _intersection(sh.host, h) if h else None
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
        key_text = f"{namespace}/{name}"
        found: dict[tuple, dict[int, Any]] = {}
        for b in bindings:
            for key in _keys_for(key_text, gateway, b.vs, b.hosts):
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


def check(resource, ctx):
    merge = ctx.index.memo(MEMO_KEY, build)
    keys = merge.by_vs.get(id(resource))
    if not keys:
        return
    mine = analysis(resource, HTTP, ctx.index)
    found: dict[tuple, list] = {}  # entry path -> [(entry, other vs, other entry, other rule, key, direction)]
    order: list[tuple] = []
    for key in sorted(keys, key=repr):
        gateway_key, scope, vhost = key
        port = scope[-1] if scope else None
        ours = _candidates(mine, port)
        if not ours:
            continue
        for other in merge.groups[key]:
            if _order(other) >= _order(resource):
                continue  # reported at the later VirtualService (or the same one twice)
            theirs = _candidates(analysis(other, HTTP, ctx.index), port)
            for entry, rule in ours:
                for other_entry, other_rule in theirs:
                    if _action(rule) == _action(other_rule):
                        continue
                    if covers(HTTP, other_entry, entry, [gateway_key], [gateway_key]):
                        direction = "every request this entry matches also matches that one"
                    elif covers(HTTP, entry, other_entry, [gateway_key], [gateway_key]):
                        direction = "every request that entry matches also matches this one"
                    else:
                        continue
                    if entry.path not in found:
                        order.append(entry.path)
                    hits = found.setdefault(entry.path, [])
                    # The same pair may meet on several servers or ports: list it once.
                    if not any(h[2] is other and h[3].path == other_entry.path for h in hits):
                        hits.append((entry, rule, other, other_entry, other_rule, key, direction))
    for path in order:
        hits = found[path]
        entry, rule, other, other_entry, other_rule, key, direction = hits[0]
        gateway_key, scope, vhost = key
        where = f" (port {scope[-1]})" if scope else ""
        more = [f"{h[2].namespace}/{h[2].name} {h[3].label(h[4])}" for h in hits[1:]]
        also = f"; it also overlaps {listing(more)}" if more else ""
        message = (
            f"{entry.label(rule)} overlaps {other_entry.label(other_rule)} of VirtualService "
            f"{other.namespace}/{other.name}: both serve host {vhost} on Gateway {gateway_key}{where}, and "
            f"{direction}{also}. Istio merges the routes of VirtualServices that share a host on a gateway in "
            "an order no manifest controls (only catch-all routes are moved last), so which one takes these "
            "requests is undefined; make the matches disjoint, or put both routes into one VirtualService "
            "in the order you want"
        )
        related = []
        for _, _, o, oe, orule, _, _ in hits:
            related.append(ctx.related(o, oe.path, f"overlapping entry {oe.label(orule)} of VirtualService "
                                                    f"{o.namespace}/{o.name}"))
        yield ctx.finding(resource, path, message, related=related)
