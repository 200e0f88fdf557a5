"""gateway-port-conflict: servers that cannot share a gateway listener, within one Gateway or across
Gateways that select the same gateway workload.

How istiod builds a gateway proxy's listeners (model.mergeGateways): it takes every Gateway whose
selector matches the proxy's labels, walks their servers in order and groups them by port number and
bind address; one group is one listener. The first server of a group fixes the listener's kind (see
``servers.py`` for the HTTP / SNI / OPAQUE classes); a later server joins only when both are HTTP or
both are SNI, otherwise it is skipped. Among servers with a ``tls`` block, hosts become SNI filter-chain
matches that must be unique, so a server repeating such a host is skipped whole. Across Gateways, the
same port with overlapping hosts is what ``istioctl analyze`` reports as IST0145 ConflictingGateways.

Where it is reported: within one Gateway once, at the later server (input order). Between Gateways on
both sides, as istioctl does: the later server names the earlier one, and the earlier server gets one
finding naming the later server(s) of other Gateways, so the conflict shows whichever file is linted
(with ``--context`` the other Gateway may be context only, and context resources are never reported).

Which Gateways share a proxy: a Gateway selector matches workloads in every namespace (unless istiod
runs with PILOT_SCOPE_GATEWAY_TO_NAMESPACE, which this rule does not model). Two Gateways share a
proxy when both select one workload of the input (a Pod or a controller's pod template), or when a pod
labelled with one Gateway's selector would be selected by the other (equal selectors, or one a subset
of the other). Gateways without a selector are left out of the cross-Gateway checks: an empty selector
matches every gateway proxy, and Gateways written that way are usually applied to one of several
gateway deployments chosen elsewhere.

The derived index is built once per run (``Index.memo``): Gateways are grouped by the proxies they
apply to and servers by listener; hosts are compared through a suffix index, so the work grows with the
number of servers that really share a listener, not with the number of Gateway pairs. Host overlaps are
echoed onto the earlier server by a second, backward walk over the servers that joined a listener,
which also stops at the first match per server.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable, Iterator

from ...finding import Severity
from ...hosts import hosts_intersect
from ...record import field, record
from ...workloads import workloads
from .servers import HTTP, OPAQUE, SNI, Server, is_istio_gateway, selector_of, servers_of

CODE = "IL205"
KINDS = ("Gateway",)

MEMO_KEY = "gateway.port-conflicts"
MAX_SUBSET_LABELS = 8  # enumerate label subsets up to this many labels; scan candidates beyond
MAX_RELATED = 3  # later servers named as related locations of an earlier server's finding


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return
    conflicts = ctx.index.memo(MEMO_KEY, _build).get(id(resource), ())
    for c in conflicts:
        related = [ctx.related(other, path, note) for other, path, note in c.related]
        yield ctx.finding(resource, c.path, c.message, related=related,
                          severity=Severity.WARNING if c.warning else None)


# --------------------------------------------------------------------------- model


@record(frozen=True)
class Conflict:
    path: tuple
    message: str
    related: tuple  # ((Gateway, path, note), ...)
    warning: bool = False


@record
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


@record
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
    """Conflicts per reporting Gateway.

    The later server of a pair (input order) gets one finding per earlier server it clashes with (one
    in all for overlapping hosts). Across Gateways the earlier server is reported too, so the conflict
    shows whichever of the two files is linted (with ``--context``, only one may be): an "echo" per
    earlier server, phrased from its side and naming the later server(s).
    """

    def __init__(self) -> None:
        self.by_gateway: dict[int, list[Conflict]] = {}
        self.pairs: set[tuple] = set()
        self.reported_servers: set[tuple] = set()
        self.echoes: dict[tuple, tuple[_Entry, list[tuple[tuple, str, _Entry, str]]]] = {}
        self.echo_pairs: set[tuple] = set()

    def add(self, later: _Entry, earlier: _Entry, path: tuple, message: str, note: str,
            warning: bool = False, once_per_server: bool = False) -> bool:
        """Report ``later`` (at ``path``); False when this pair or server was reported already."""
        key = (later.order, later.server.index, earlier.order, earlier.server.index)
        server_key = (later.order, later.server.index, "host-overlap")
        if key in self.pairs or (once_per_server and server_key in self.reported_servers):
            return False
        self.pairs.add(key)
        if once_per_server:
            self.reported_servers.add(server_key)
        self.by_gateway.setdefault(id(later.gateway), []).append(
            Conflict(path, message, ((earlier.gateway, earlier.server.path, note),), warning))
        return True

    def echo(self, earlier: _Entry, later: _Entry, message: str, note: str) -> None:
        """Record that ``later`` (another Gateway) clashes with ``earlier``; phrased from earlier's side."""
        if not earlier.gateway.analyze:
            return  # context only: it is never reported
        key = (earlier.order, earlier.server.index, later.order, later.server.index)
        if key in self.echo_pairs:
            return
        self.echo_pairs.add(key)
        _, found = self.echoes.setdefault((earlier.order, earlier.server.index), (earlier, []))
        found.append(((later.order, later.server.index), message, later, note))

    def conflicts(self) -> dict[int, list[Conflict]]:
        """All findings: the later servers' and one per earlier server that another Gateway clashes with."""
        out = {k: list(v) for k, v in self.by_gateway.items()}
        for earlier, found in self.echoes.values():
            found.sort(key=lambda f: f[0])
            message = found[0][1]
            if len(found) > 1:
                more = len(found) - 1
                message += (f". {more} more server{'s' if more > 1 else ''} of other Gateways "
                            f"clash{'' if more > 1 else 'es'} with it too (see the related locations)")
            related = tuple((later.gateway, later.server.path, note) for _, _, later, note in found[:MAX_RELATED])
            out.setdefault(id(earlier.gateway), []).append(Conflict(earlier.server.path, message, related))
        return out


def _place(entries: list[_Entry], collect: _Collector, cross_reason: str | None) -> None:
    """Place servers (in order) on listeners and record what istiod would refuse or merge.

    ``cross_reason`` is None for the servers of one Gateway; otherwise it says why these Gateways share
    a proxy, and only pairs of servers from different Gateways are reported.
    """
    listeners: dict[tuple, tuple[_Entry, _HostIndex, _HostIndex, list[_Entry]]] = {}
    for entry in entries:
        server = entry.server
        if server.number is None or server.listener_class is None:
            continue
        key = (server.number, server.bind)
        if key not in listeners:
            listeners[key] = (entry, _HostIndex(), _HostIndex(), [])
        first, hosts, tls_hosts, joined = listeners[key]
        same_gateway = _same_gateway(first.gateway, entry.gateway)
        if entry is not first and not _compatible(first.server.listener_class, server.listener_class):
            if (cross_reason is None) == same_gateway:
                where = f"spec.servers[{first.server.index}]" if same_gateway else \
                    f"spec.servers[{first.server.index}] of {_gateway_label(first.gateway)} ({cross_reason})"
                why = _why_incompatible(first.server, server)
                if collect.add(entry, first, server.path,
                               f"{server.describe()} cannot share the listener with the {first.server.describe()} "
                               f"at {where}: {why}. Istio keeps the first server of a port and skips this one; "
                               "use another port", "first server on this port") and not same_gateway:
                    collect.echo(first, entry,
                                 f"{first.server.describe()} cannot share the listener with the {server.describe()} "
                                 f"at {_other_server(entry, cross_reason)}: {why}. Istio keeps the first server of a "
                                 "port (this one, in input order) and skips the other; move one of them to another "
                                 "port", "server skipped on this port")
            continue  # skipped by istiod: it takes no part in the listener
        if _check_hosts(entry, hosts, tls_hosts, collect, cross_reason):
            continue  # skipped by istiod for a repeated TLS host
        joined.append(entry)
        for _, host in server.hosts():
            hosts.add(host, entry)
            if server.tls is not None:
                tls_hosts.add(host, entry)
    if cross_reason is not None:
        for _, _, _, joined in listeners.values():
            _echo_overlaps(joined, collect, cross_reason)


def _check_hosts(entry: _Entry, hosts: _HostIndex, tls_hosts: _HostIndex, collect: _Collector,
                 cross_reason: str | None) -> bool:
    """Report host conflicts of a server joining a listener; True when istiod would skip the server."""
    server = entry.server
    port = server.number
    skipped = False
    if server.tls is not None:
        for j, host in server.hosts():
            repeats = tls_hosts.same(host)
            for _, other in repeats:
                if _same_gateway(other.gateway, entry.gateway) == (cross_reason is None):
                    if collect.add(entry, other, server.path + ("hosts", j),
                                   f"host '{host}' on port {port} is already served with TLS by "
                                   f"{_where(other, entry, cross_reason)}: TLS hosts become SNI matches that must "
                                   "be unique on a port, so Istio skips this whole server",
                                   "the same host is served here") and cross_reason is not None:
                        collect.echo(other, entry,
                                     f"host '{host}' on port {port} is served with TLS again by the "
                                     f"{server.describe()} at {_other_server(entry, cross_reason)}: TLS hosts become "
                                     "SNI matches that must be unique on a port, so Istio skips the later server "
                                     "(the other one, in input order) whole. Keep each TLS host in one server",
                                     "server skipped for the repeated host")
                    return True
            # A repeat reported by the other pass (same / other Gateway): istiod skips the server all the same.
            skipped = skipped or bool(repeats)
    if skipped:
        return True
    for j, host in server.hosts():
        path = server.path + ("hosts", j)
        if cross_reason is not None:
            for other_host, other in hosts.intersecting(host):
                if not _same_gateway(other.gateway, entry.gateway):
                    collect.add(entry, other, path, _overlap_message(host, port, other_host,
                                                                     _where(other, entry, cross_reason)),
                                "overlapping server", once_per_server=True)
                    return False
        else:
            for _, other in hosts.same(host):
                if other.gateway is entry.gateway and other.server.index != server.index:
                    collect.add(entry, other, path,
                                f"host '{host}' on port {port} is already served by spec.servers[{other.server.index}] "
                                "of this Gateway: both servers merge into one virtual host, so their settings "
                                "(such as httpsRedirect) mix. Keep the host in one server",
                                "the same host is served here", warning=True)
                    return False
    return False


def _echo_overlaps(joined: list[_Entry], collect: _Collector, cross_reason: str) -> None:
    """Echo host overlaps onto the earlier server of each pair: walk the servers that joined one listener
    backwards, so every server meets the later ones; the first later server of another Gateway found is
    named (one lookup that stops early per server, like the forward pass: no pairwise blow-up)."""
    later_hosts = _HostIndex()
    for entry in reversed(joined):
        if entry.gateway.analyze:
            _echo_first_overlap(entry, later_hosts, collect, cross_reason)
        for _, host in entry.server.hosts():
            later_hosts.add(host, entry)


def _echo_first_overlap(entry: _Entry, later_hosts: _HostIndex, collect: _Collector, cross_reason: str) -> None:
    for _, host in entry.server.hosts():
        for other_host, other in later_hosts.intersecting(host):
            if not _same_gateway(other.gateway, entry.gateway):
                collect.echo(entry, other,
                             _overlap_message(host, entry.server.number, other_host,
                                              f"the {other.server.describe()} at {_other_server(other, cross_reason)}"),
                             "overlapping server")
                return


def _overlap_message(host: str, port: int | None, other_host: str, where: str) -> str:
    return (f"host '{host}' on port {port} overlaps host '{other_host}' of {where}: conflicting Gateways "
            "(IST0145): the two servers compete for the same connections and which one's routes apply is "
            "undefined. Use distinct hosts or ports, or merge the Gateways")


def _other_server(entry: _Entry, cross_reason: str) -> str:
    return f"spec.servers[{entry.server.index}] of {_gateway_label(entry.gateway)} ({cross_reason})"


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
    return collect.conflicts()
