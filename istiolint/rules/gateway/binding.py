"""Gateway ↔ VirtualService binding, shared by the IL2xx rules (a helper module: it declares no CODE).

Istio attaches a VirtualService to a gateway through its top-level ``gateways`` list only (match-level
``gateways`` further restrict single routes, they never attach a VirtualService on their own). Inside
a gateway, a VirtualService serves a server when one of its hosts intersects one of the server's hosts
and the server host's namespace part admits the VirtualService's namespace. Which of its routes serve
the server depends on the server's protocol and TLS mode (see :func:`server_route_kind`).

Everything here reads resources defensively (rules run on invalid input too) and the derived index is
built once per run through ``Index.memo``.
"""

from __future__ import annotations

from typing import Any

from ...hosts import (
    GatewayRef,
    HostIndex,
    expand_short_name,
    resolve_gateway_ref,
    server_host_admits,
    split_namespaced_host,
)
from ...protocols import HTTP_FAMILY
from ...record import field, record

ISTIO_NETWORKING = "networking.istio.io"
K8S_GATEWAY_API = "gateway.networking.k8s.io"

# Route kinds of a VirtualService, and a marker for "any kind will do" (protocol unknown or missing:
# another rule reports the protocol; here we only ask for a matching host).
HTTP, TLS, TCP, ANY = "http", "tls", "tcp", "any"
ROUTE_KINDS = (HTTP, TLS, TCP)

# Istio's protocol.IsHTTP(): these servers always get an HTTP connection manager.
HTTP_PROTOCOLS = HTTP_FAMILY
# Every other protocol Istio accepts on a Gateway server goes through the TCP/TLS filter-chain path.
NON_HTTP_PROTOCOLS = frozenset(("HTTPS", "TLS", "TCP", "MONGO", "REDIS", "MYSQL"))
TERMINATING_MODES = frozenset(("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL", "ISTIO_MUTUAL"))
PASSTHROUGH, AUTO_PASSTHROUGH = "PASSTHROUGH", "AUTO_PASSTHROUGH"

MEMO_KEY = "gateway.binding"


def is_istio_gateway(resource: Any) -> bool:
    return getattr(resource, "kind", None) == "Gateway" and getattr(resource, "group", None) == ISTIO_NETWORKING


def is_k8s_gateway(resource: Any) -> bool:
    """A Gateway API Gateway: VirtualServices may name it in ``gateways`` too (Istio accepts it)."""
    return getattr(resource, "kind", None) == "Gateway" and getattr(resource, "group", None) == K8S_GATEWAY_API


# --------------------------------------------------------------------------- servers


def tls_mode(server: Any) -> str | None:
    """The server's TLS mode, upper-cased; ``PASSTHROUGH`` when a ``tls`` block sets none (the API's
    default); None without a ``tls`` block."""
    tls = server.get("tls") if isinstance(server, dict) else None
    if not isinstance(tls, dict):
        return None
    mode = tls.get("mode")
    return mode.upper() if isinstance(mode, str) and mode else PASSTHROUGH


def server_protocol(server: Any) -> str | None:
    port = server.get("port") if isinstance(server, dict) else None
    protocol = port.get("protocol") if isinstance(port, dict) else None
    return protocol.upper() if isinstance(protocol, str) and protocol else None


def server_route_kind(server: Any) -> str | None:
    """Which VirtualService routes serve this Gateway server: ``http``, ``tls``, ``tcp``, ``any``,
    or None when the server needs no VirtualService at all.

    Mirrors how istiod builds gateway listeners: HTTP-family protocols use ``http`` routes; for every
    other protocol a passthrough server (``tls.mode`` PASSTHROUGH, the default when a ``tls`` block
    names no mode) is routed by SNI with ``tls`` routes, while HTTPS that terminates TLS uses ``http``
    routes and any other terminated/plain stream (TLS terminated, TCP, MONGO, REDIS, MYSQL) uses
    ``tcp`` routes. None for ``tls.httpsRedirect: true`` (answers with a redirect) and for
    AUTO_PASSTHROUGH (routes by SNI to mesh services by itself). ``any`` when the protocol is missing
    or unknown (no route kind can be required).
    """
    if not isinstance(server, dict):
        return None
    tls = server.get("tls")
    if isinstance(tls, dict) and tls.get("httpsRedirect") is True:
        return None
    mode = tls_mode(server)
    if mode == AUTO_PASSTHROUGH:
        return None
    protocol = server_protocol(server)
    if protocol in HTTP_PROTOCOLS:
        return HTTP
    if protocol not in NON_HTTP_PROTOCOLS:
        return ANY
    passthrough = mode == PASSTHROUGH
    if protocol == "HTTPS":
        # HTTPS without a tls block is rejected by validation; istiod would terminate it as HTTP.
        return TLS if passthrough else HTTP
    return TLS if passthrough else TCP


def describe_server(server: Any, kind: str) -> str:
    """``HTTPS server on port 443 (tls.mode PASSTHROUGH, the default)`` and the like, for messages."""
    protocol = server_protocol(server) or "?"
    port = server.get("port") if isinstance(server, dict) else None
    number = port.get("number") if isinstance(port, dict) else None
    text = f"{protocol} server" + (f" on port {number}" if isinstance(number, int) and not isinstance(number, bool) else "")
    mode = tls_mode(server)
    if protocol not in HTTP_PROTOCOLS and mode is not None:
        tls = server.get("tls")
        explicit = isinstance(tls, dict) and isinstance(tls.get("mode"), str) and tls.get("mode")
        text += f" (tls.mode {mode}" + ("" if explicit else ", the default when no mode is set") + ")"
    return text


@record(frozen=True)
class ServerHost:
    """One host of a gateway server (or of a Gateway API listener), split into its parts."""

    path: tuple  # path of the host inside the Gateway resource
    ns_part: str | None  # namespace part as written (None when absent)
    host: str  # the DNS part

    def admits(self, gateway_namespace: Any, vs_namespace: Any) -> bool:
        return server_host_admits(self.ns_part, gateway_namespace, vs_namespace)

    @property
    def text(self) -> str:
        return self.host if self.ns_part is None else f"{self.ns_part}/{self.host}"


def gateway_server_hosts(gateway: Any) -> list[ServerHost]:
    """The hosts of an Istio Gateway's servers, or the listener hostnames of a Gateway API Gateway
    (a listener without ``hostname`` accepts every host; its namespace limits are not modelled)."""
    out: list[ServerHost] = []
    if is_k8s_gateway(gateway):
        listeners = gateway.get(("spec", "listeners"))
        for i, listener in enumerate(listeners if isinstance(listeners, list) else ()):
            if not isinstance(listener, dict):
                continue
            hostname = listener.get("hostname")
            if isinstance(hostname, str) and hostname:
                out.append(ServerHost(("spec", "listeners", i, "hostname"), None, hostname))
            else:
                out.append(ServerHost(("spec", "listeners", i), None, "*"))
        return out
    servers = gateway.get(("spec", "servers"))
    for i, server in enumerate(servers if isinstance(servers, list) else ()):
        hosts = server.get("hosts") if isinstance(server, dict) else None
        for j, raw in enumerate(hosts if isinstance(hosts, list) else ()):
            split = split_namespaced_host(raw)
            if split is None or not split[1]:
                continue
            out.append(ServerHost(("spec", "servers", i, "hosts", j), split[0], split[1]))
    return out


# --------------------------------------------------------------------------- VirtualServices


def vs_hosts(vs: Any, cluster_domain: str) -> list[tuple[int, str]]:
    """``(index, host)`` of a VirtualService's hosts, short names expanded as Istio does."""
    hosts = vs.get(("spec", "hosts"))
    out = []
    for j, raw in enumerate(hosts if isinstance(hosts, list) else ()):
        host = expand_short_name(raw, vs.namespace, cluster_domain)
        if host:
            out.append((j, host))
    return out


def match_gateway_refs(vs: Any) -> list[tuple[tuple, Any]]:
    """``(path, raw value)`` of every match-level gateway reference (http, tls and tcp routes)."""
    out = []
    for kind in ROUTE_KINDS:
        routes = vs.get(("spec", kind))
        for r, route in enumerate(routes if isinstance(routes, list) else ()):
            matches = route.get("match") if isinstance(route, dict) else None
            for m, entry in enumerate(matches if isinstance(matches, list) else ()):
                gateways = entry.get("gateways") if isinstance(entry, dict) else None
                for n, raw in enumerate(gateways if isinstance(gateways, list) else ()):
                    out.append((("spec", kind, r, "match", m, "gateways", n), raw))
    return out


def route_applies_at(route: Any, vs_namespace: Any, gateway: tuple[str, str]) -> bool:
    """Can this route serve traffic at ``gateway`` ((namespace, name))?

    A match entry that names ``gateways`` applies only at those (they replace the VirtualService's
    list for that entry); an entry without them, or a route without match entries, applies wherever
    the VirtualService is bound.
    """
    if not isinstance(route, dict):
        return False
    matches = route.get("match")
    if not isinstance(matches, list) or not matches:
        return True
    for entry in matches:
        gateways = entry.get("gateways") if isinstance(entry, dict) else None
        if not isinstance(gateways, list) or not gateways:
            return True
        for raw in gateways:
            ref = resolve_gateway_ref(raw, vs_namespace)
            if ref is not None and not ref.mesh and (ref.namespace, ref.name) == gateway:
                return True
    return False


def route_kinds_at(vs: Any, gateway: tuple[str, str]) -> set[str]:
    """The route kinds (http/tls/tcp) of a VirtualService that have a route applying at ``gateway``."""
    kinds = set()
    for kind in ROUTE_KINDS:
        routes = vs.get(("spec", kind))
        if isinstance(routes, list) and any(route_applies_at(r, vs.namespace, gateway) for r in routes):
            kinds.add(kind)
    return kinds


# --------------------------------------------------------------------------- the index


@record(frozen=True)
class Binding:
    """A VirtualService bound to a gateway through ``spec.gateways[position]``."""

    vs: Any
    position: int
    ref: GatewayRef
    hosts: tuple[tuple[int, str], ...]  # (index in spec.hosts, expanded host)


@record
class GatewayIndex:
    """Gateways by (namespace, name), and the VirtualServices bound to each."""

    istio: dict[tuple[str, str], Any] = field(default_factory=dict)
    k8s: dict[tuple[str, str], Any] = field(default_factory=dict)
    namespaces: set[str] = field(default_factory=set)  # namespaces holding a Gateway of either API
    bound: dict[tuple[str, str], list[Binding]] = field(default_factory=dict)
    _derived: dict[tuple, Any] = field(default_factory=dict, repr=False)  # per-gateway lookups, built once

    def server_hosts(self, gateway: Any) -> list[ServerHost]:
        """:func:`gateway_server_hosts` of a Gateway (kept: every VirtualService bound to it asks)."""
        key = ("hosts", id(gateway))
        if key not in self._derived:
            self._derived[key] = gateway_server_hosts(gateway)
        return self._derived[key]

    def server_host_index(self, gateway: Any) -> HostIndex:
        """The Gateway's server hosts (:meth:`server_hosts`, same positions) indexed for intersection."""
        key = ("host-index", id(gateway))
        if key not in self._derived:
            self._derived[key] = HostIndex([h.host for h in self.server_hosts(gateway)])
        return self._derived[key]

    def find(self, ref: GatewayRef | None) -> Any:
        """The Gateway a reference names (an Istio Gateway first, else a Gateway API one), or None."""
        if ref is None or ref.mesh:
            return None
        key = (ref.namespace, ref.name)
        return self.istio.get(key) or self.k8s.get(key)

    def bindings(self, namespace: str, name: str) -> list[Binding]:
        """VirtualServices bound to this gateway, each once (a VirtualService may name it twice).
        The list is shared: do not modify it."""
        key = ("bindings", namespace, name)
        found = self._derived.get(key)
        if found is None:
            seen: set[int] = set()
            found = []
            for binding in self.bound.get((namespace, name), ()):
                if id(binding.vs) not in seen:
                    seen.add(id(binding.vs))
                    found.append(binding)
            self._derived[key] = found
        return found

    def keys(self) -> list[tuple[str, str]]:
        return sorted(set(self.istio) | set(self.k8s))


def build_gateway_index(index: Any) -> GatewayIndex:
    out = GatewayIndex()
    for gateway in index.of_kind("Gateway"):
        if not gateway.name or not gateway.namespace:
            continue
        key = (gateway.namespace, gateway.name)
        if is_istio_gateway(gateway):
            out.istio.setdefault(key, gateway)
        elif is_k8s_gateway(gateway):
            out.k8s.setdefault(key, gateway)
        else:
            continue
        out.namespaces.add(gateway.namespace)
    domain = getattr(index, "cluster_domain", None) or "cluster.local"
    for vs in index.of_kind("VirtualService"):
        gateways = vs.get(("spec", "gateways"))
        if not isinstance(gateways, list):
            continue
        hosts: tuple | None = None
        for position, raw in enumerate(gateways):
            ref = resolve_gateway_ref(raw, vs.namespace)
            if ref is None or ref.mesh:
                continue
            if hosts is None:
                hosts = tuple(vs_hosts(vs, domain))
            out.bound.setdefault((ref.namespace, ref.name), []).append(Binding(vs, position, ref, hosts))
    return out


def gateway_index(index: Any) -> GatewayIndex:
    """The run's :class:`GatewayIndex`, built on first use and shared by the IL2xx rules."""
    return index.memo(MEMO_KEY, build_gateway_index)

