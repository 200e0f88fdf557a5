"""gateway-port-conflict: servers that cannot share a gateway listener, within one Gateway or across
Gateways that select the same gateway workload.

How istiod builds a gateway proxy's listeners (model.mergeGateways): it takes every Gateway whose
selector matches the proxy's labels, walks their servers in order and groups them by port number and
bind address; one group is one listener. The first server of a group fixes the listener's kind (see
``servers.py`` for the HTTP / SNI / OPAQUE classes); a later server joins only when both are HTTP or
both are SNI, otherwise it is skipped. Among servers with a ``tls`` block, hosts become SNI filter-chain
matches that must be unique, so a server repeating such a host is skipped whole. Across Gateways, the
same port with overlapping hosts is what ``istioctl analyze`` reports as IST0145 ConflictingGateways.

Which Gateways share a proxy: a Gateway selector matches workloads in every namespace (unless istiod
runs with PILOT_SCOPE_GATEWAY_TO_NAMESPACE, which this rule does not model). Two Gateways share a
proxy when both select one workload of the input (a Pod or a controller's pod template), or when a pod
labelled with one Gateway's selector would be selected by the other (equal selectors, or one a subset
of the other). Gateways without a selector are left out of the cross-Gateway checks: an empty selector
matches every gateway proxy, and Gateways written that way are usually applied to one of several
gateway deployments chosen elsewhere.

The derived index is built once per run (``Index.memo``): Gateways are grouped by the proxies they
apply to and servers by listener; hosts are compared through a suffix index, so the work grows with the
number of servers that really share a listener, not with the number of Gateway pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable, Iterator

from ...finding import Severity
from ...hosts import hosts_intersect
from ...workloads import workloads
from .servers import HTTP, OPAQUE, SNI, Server, is_istio_gateway, selector_of, servers_of

CODE = "IL205"
KINDS = ("Gateway",)

MEMO_KEY = "gateway.port-conflicts"
MAX_SUBSET_LABELS = 8  # enumerate label subsets up to this many labels; scan candidates beyond


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return
    conflicts = ctx.index.memo(MEMO_KEY, _build).get(id(resource), ())
    for c in conflicts:
        related = [ctx.related(c.other, c.other_path, c.other_note)]
        yield ctx.finding(resource, c.path, c.message, related=related,
                          severity=Severity.WARNING if c.warning else None)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Conflict:
    path: tuple
    message: str
    other: Any
    other_path: tuple
    other_note: str
    warning: bool = False


@dataclass
class _Entry:
    """A server placed on a listener of some proxy."""

    order: int  # position of its Gateway in the input
    gateway: Any
    server: Server


def _same_gateway(a: Any, b: Any) -> bool:
    """One Gateway object: the same resource, or two copies of one namespace/name (the later one
    replaces the earlier when applied, so they never coexist)."""
    return a is b or (a.namespace, a.name) == (b.namespace, b.name)


def _compatible(first: str, later: str) -> bool:
    """Can a server of class ``later`` join a listener whose first server is of class ``first``?"""
    return first == later and first in (HTTP, SNI)


def _why_incompatible(first: Server, later: Server) -> str:
    opaque = first if first.listener_class == OPAQUE else later if later.listener_class == OPAQUE else None
    if opaque is not None:
        return (f"a {opaque.protocol} server without TLS takes the whole port (nothing in a raw stream tells "
                "two servers apart)")
    return "plain-text HTTP and TLS cannot be served on one port"


def _gateway_label(gateway: Any) -> str:
    return f"Gateway {gateway.namespace}/{gateway.name}"


# --------------------------------------------------------------------------- host index


def _label_suffixes(text: str) -> list[str]:
    """``"a.b.c"`` -> ``["", ".b.c", ".c"]``; ``".b.c"`` -> ``["", ".b.c", ".c"]``."""
    out = [""]
    i = text.find(".")
    while i != -1:
        out.append(text[i:])
        i = text.find(".", i + 1)
    return out


@dataclass
class _HostIndex:
    """Hosts already placed on one listener, found by intersection without scanning them all.

    A wildcard ``*X`` matches names ending with ``X``; Gateway hosts only allow ``*`` or a whole
    leftmost ``*.`` label, so ``X`` is empty or starts at a label boundary. Candidates are confirmed
    with ``hosts_intersect`` (the shared definition), so an invalid partial wildcard can only be missed,
    never matched wrongly.
    """

    exact: dict[str, list] = field(default_factory=dict)
    exact_sfx: dict[str, list] = field(default_factory=dict)
    wild: dict[str, list] = field(default_factory=dict)
    wild_sfx: dict[str, list] = field(default_factory=dict)

    def add(self, host: str, item: Any) -> None:
        if host.startswith("*"):
            rest = host[1:]
            self.wild.setdefault(rest, []).append((host, item))
            for t in {rest, *_label_suffixes(rest)}:
                self.wild_sfx.setdefault(t, []).append((host, item))
        else:
            self.exact.setdefault(host, []).append((host, item))
            for t in _label_suffixes(host):
                self.exact_sfx.setdefault(t, []).append((host, item))

    def same(self, host: str) -> list:
        return (self.wild if host.startswith("*") else self.exact).get(host[1:] if host.startswith("*") else host, [])

    def intersecting(self, host: str) -> Iterator[tuple[str, Any]]:
        if host.startswith("*"):
            rest = host[1:]
            pools: Iterable[list] = [self.exact_sfx.get(rest, []), self.wild_sfx.get(rest, []),
                                     *(self.wild.get(t, []) for t in {rest, *_label_suffixes(rest)})]
        else:
            pools = [self.exact.get(host, []), *(self.wild.get(t, []) for t in _label_suffixes(host))]
        seen: set[int] = set()
        for pool in pools:
            for other, item in pool:
                if id(item) not in seen and hosts_intersect(host, other):
                    seen.add(id(item))
                    yield other, item


# --------------------------------------------------------------------------- proxies


def _selector_index(gateways: list[Any]) -> dict[frozenset, list[int]]:
    by_selector: dict[frozenset, list[int]] = {}
    for i, gateway in enumerate(gateways):
        selector = selector_of(gateway)
        if selector:
            by_selector.setdefault(frozenset(selector.items()), []).append(i)
    return by_selector


def _gateways_selecting(labels: dict[str, str], by_selector: dict[frozenset, list[int]],
                        by_item: dict[tuple, list[frozenset]]) -> frozenset[int]:
    """Gateways (by position) whose non-empty selector is a subset of ``labels``."""
    items = list(labels.items())
    found: set[int] = set()
    if len(items) <= MAX_SUBSET_LABELS:
        for size in range(1, len(items) + 1):
            for subset in combinations(items, size):
                found.update(by_selector.get(frozenset(subset), ()))
    else:
        have = set(items)
        for item in items:
            for selector in by_item.get(item, ()):
                if selector <= have:
                    found.update(by_selector[selector])
    return frozenset(found)


def _proxy_groups(index, gateways: list[Any]) -> dict[frozenset[int], str]:
    """Sets of Gateways (by position) that apply to one gateway proxy, with a description of that proxy."""
    by_selector = _selector_index(gateways)
    by_item: dict[tuple, list[frozenset]] = {}
    for selector in by_selector:
        for item in selector:
            by_item.setdefault(item, []).append(selector)
    groups: dict[frozenset[int], str] = {}
    for w in workloads(index):
        found = _gateways_selecting(w.labels, by_selector, by_item)
        if len(found) > 1 and found not in groups:
            groups[found] = f"both select {w.resource.kind} {w.namespace}/{w.name}"
    for selector in by_selector:
        found = _gateways_selecting(dict(selector), by_selector, by_item)
        if len(found) > 1 and found not in groups:
            labels = ",".join(f"{k}={v}" for k, v in sorted(selector))
            groups[found] = f"a gateway pod labelled {labels} is selected by both"
    return groups


# --------------------------------------------------------------------------- building


class _Collector:
    """Conflicts per reporting Gateway, at most one per (later server, earlier server)."""

    def __init__(self) -> None:
        self.by_gateway: dict[int, list[Conflict]] = {}
        self.pairs: set[tuple] = set()
        self.reported_servers: set[tuple] = set()

    def add(self, later: _Entry, earlier: _Entry, path: tuple, message: str, note: str,
            warning: bool = False, once_per_server: bool = False) -> None:
        key = (later.order, later.server.index, earlier.order, earlier.server.index)
        server_key = (later.order, later.server.index, "host-overlap")
        if key in self.pairs or (once_per_server and server_key in self.reported_servers):
            return
        self.pairs.add(key)
        if once_per_server:
            self.reported_servers.add(server_key)
        # Report on the later server; if only the earlier Gateway is being analyzed, report it there.
        target, other, other_path = later, earlier, earlier.server.path
        if not later.gateway.analyze and earlier.gateway.analyze:
            target, other, other_path = earlier, later, later.server.path
            path = earlier.server.path
            message = f"{message} (reported here because {_gateway_label(later.gateway)} is context only)"
        self.by_gateway.setdefault(id(target.gateway), []).append(
            Conflict(path, message, other.gateway, other_path, note, warning))


def _place(entries: list[_Entry], collect: _Collector, cross_reason: str | None) -> None:
    """Place servers (in order) on listeners and record what istiod would refuse or merge.

    ``cross_reason`` is None for the servers of one Gateway; otherwise it says why these Gateways share
    a proxy, and only pairs of servers from different Gateways are reported.
    """
    listeners: dict[tuple, tuple[_Entry, _HostIndex, _HostIndex]] = {}
    for entry in entries:
        server = entry.server
        if server.number is None or server.listener_class is None:
            continue
        key = (server.number, server.bind)
        if key not in listeners:
            listeners[key] = (entry, _HostIndex(), _HostIndex())
        first, hosts, tls_hosts = listeners[key]
        same_gateway = _same_gateway(first.gateway, entry.gateway)
        if entry is not first and not _compatible(first.server.listener_class, server.listener_class):
            if (cross_reason is None) == same_gateway:
                where = f"spec.servers[{first.server.index}]" if same_gateway else \
                    f"spec.servers[{first.server.index}] of {_gateway_label(first.gateway)} ({cross_reason})"
                collect.add(entry, first, server.path,
                            f"{server.describe()} cannot share the listener with the {first.server.describe()} "
                            f"at {where}: {_why_incompatible(first.server, server)}. Istio keeps the first "
                            "server of a port and skips this one; use another port",
                            "first server on this port")
            continue  # skipped by istiod: it takes no part in the listener
        if _check_hosts(entry, hosts, tls_hosts, collect, cross_reason):
            continue  # skipped by istiod for a repeated TLS host
        for _, host in server.hosts():
            hosts.add(host, entry)
            if server.tls is not None:
                tls_hosts.add(host, entry)


def _check_hosts(entry: _Entry, hosts: _HostIndex, tls_hosts: _HostIndex, collect: _Collector,
                 cross_reason: str | None) -> bool:
    """Report host conflicts of a server joining a listener; True when istiod would skip the server."""
    server = entry.server
    skipped = False
    port = server.number
    for j, host in server.hosts():
        path = server.path + ("hosts", j)
        if server.tls is not None:
            for _, other in tls_hosts.same(host):
                if _same_gateway(other.gateway, entry.gateway) == (cross_reason is None):
                    where = _where(other, entry, cross_reason)
                    collect.add(entry, other, path,
                                f"host '{host}' on port {port} is already served with TLS by {where}: TLS hosts "
                                "become SNI matches that must be unique on a port, so Istio skips this whole "
                                "server", "the same host is served here")
                    return True
            if tls_hosts.same(host):
                skipped = True  # a repeat from the other pass: istiod skips the server all the same
        if cross_reason is not None:
            for other_host, other in hosts.intersecting(host):
                if not _same_gateway(other.gateway, entry.gateway):
                    collect.add(entry, other, path,
                                f"host '{host}' on port {port} overlaps host '{other_host}' of {_where(other, entry, cross_reason)}: "
                                "conflicting Gateways (IST0145): the two servers compete for the same "
                                "connections and which one's routes apply is undefined. Use distinct hosts or "
                                "ports, or merge the Gateways",
                                "overlapping server", once_per_server=True)
                    return skipped
        else:
            for _, other in hosts.same(host):
                if other.gateway is entry.gateway and other.server.index != server.index:
                    collect.add(entry, other, path,
                                f"host '{host}' on port {port} is already served by spec.servers[{other.server.index}] "
                                "of this Gateway: both servers merge into one virtual host, so their settings "
                                "(such as httpsRedirect) mix. Keep the host in one server",
                                "the same host is served here", warning=True)
                    return skipped
    return skipped


def _where(other: _Entry, entry: _Entry, cross_reason: str | None) -> str:
    text = f"the {other.server.describe()} at spec.servers[{other.server.index}]"
    if _same_gateway(other.gateway, entry.gateway):
        return text + " of this Gateway"
    return f"{text} of {_gateway_label(other.gateway)} ({cross_reason})"


def _build(index) -> dict[int, list[Conflict]]:
    gateways = [g for g in index.of_kind("Gateway") if is_istio_gateway(g)]
    servers = [servers_of(g) for g in gateways]
    collect = _Collector()
    for order, gateway in enumerate(gateways):
        _place([_Entry(order, gateway, s) for s in servers[order]], collect, None)
    for group, reason in _proxy_groups(index, gateways).items():
        entries = [_Entry(order, gateways[order], s) for order in sorted(group) for s in servers[order]]
        _place(entries, collect, reason)
    return collect.by_gateway
