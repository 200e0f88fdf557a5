"""Gateway servers as istiod sees them: protocols, ports, binds and listener classes (a helper module:
it declares no CODE). Shared by gateway-port-protocol, gateway-port-conflict and
gateway-port-not-in-service.

Everything reads resources defensively (rules run on input that failed schema validation): a field of
the wrong type reads as absent.
"""

from __future__ import annotations

from typing import Any

from ...hosts import split_namespaced_host
from ...protocols import HTTP_FAMILY, PROTOCOLS, parse_protocol  # noqa: F401 (re-exported)
from ...record import record

# protocol.IsTLS(): servers that must have a tls block.
TLS_FAMILY = frozenset(("HTTPS", "TLS"))
TLS_MODES = frozenset(("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"))
PASSTHROUGH_MODES = frozenset(("PASSTHROUGH", "AUTO_PASSTHROUGH"))
UNIX_PREFIX = "unix://"
ISTIO_NETWORKING = "networking.istio.io"

# Listener classes: how istiod merges servers that share a port and bind (model.mergeGateways).
# - HTTP: plain-text HTTP-family servers. They share one HTTP connection manager and one route table
#   (http.<port>); any number of them can share a port.
# - SNI: non-HTTP servers with a tls block (HTTPS or TLS, terminated or passthrough). Each becomes its
#   own filter chain selected by SNI, so several can share a port as long as their hosts differ.
# - OPAQUE: non-HTTP servers without a tls block (TCP, MONGO, REDIS, MYSQL, UDP). Nothing in the byte
#   stream tells two of them apart, so such a server takes the whole port.
# Istio keeps the protocol of the first server on a port: it merges a later server only when both are
# HTTP, or both are SNI (canMergeProtocols and the TLS branch of mergeGateways); every other later
# server is skipped ("conflict with existing server"), including a second OPAQUE server.
HTTP, SNI, OPAQUE = "HTTP", "SNI", "OPAQUE"


def is_istio_gateway(resource: Any) -> bool:
    """An Istio Gateway (kind Gateway exists in the Gateway API too, with another shape)."""
    return getattr(resource, "kind", None) == "Gateway" and getattr(resource, "group", None) == ISTIO_NETWORKING


def int_value(value: Any) -> int | None:
    """An integer field (booleans are not integers, whatever Python says)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@record(frozen=True)
class Server:
    """One entry of a Gateway's ``spec.servers``, read defensively."""

    index: int
    data: dict
    protocol: str | None  # canonical name; None when missing or not accepted by Istio
    number: int | None
    bind: str  # "" when unset (all addresses)
    tls: dict | None  # the tls block, when it is a mapping

    @property
    def path(self) -> tuple:
        return ("spec", "servers", self.index)

    @property
    def port(self) -> dict:
        return _dict(self.data.get("port"))

    @property
    def mode(self) -> str | None:
        """The TLS mode (PASSTHROUGH when the tls block names none: the API's default); None without tls."""
        if self.tls is None:
            return None
        mode = self.tls.get("mode")
        return mode if isinstance(mode, str) and mode else "PASSTHROUGH"

    @property
    def listener_class(self) -> str | None:
        """HTTP, SNI or OPAQUE (see above); None when the protocol is unknown."""
        if self.protocol is None:
            return None
        if self.protocol in HTTP_FAMILY:
            return HTTP
        return SNI if self.tls is not None else OPAQUE

    def hosts(self) -> list[tuple[int, str]]:
        """``(index, dnsName)`` of the server's string hosts, namespace part dropped, lower-cased."""
        hosts = self.data.get("hosts")
        out = []
        for j, raw in enumerate(hosts if isinstance(hosts, list) else ()):
            split = split_namespaced_host(raw)
            if split is not None and split[1]:
                out.append((j, split[1].lower()))
        return out

    def describe(self) -> str:
        """``HTTPS server 'https' on port 443`` for messages."""
        name = self.port.get("name")
        text = f"{self.protocol or 'server'}"
        text += f" server '{name}'" if isinstance(name, str) and name else " server"
        if self.number is not None:
            text += f" on port {self.number}"
        if self.bind:
            text += f" (bind {self.bind})"
        return text


def servers_of(gateway: Any) -> list[Server]:
    """The mapping entries of a Gateway's ``spec.servers``."""
    servers = gateway.get(("spec", "servers"))
    out = []
    for i, data in enumerate(servers if isinstance(servers, list) else ()):
        if not isinstance(data, dict):
            continue
        port = _dict(data.get("port"))
        bind = data.get("bind")
        tls = data.get("tls")
        out.append(Server(i, data, parse_protocol(port.get("protocol")), int_value(port.get("number")),
                          bind if isinstance(bind, str) else "", tls if isinstance(tls, dict) else None))
    return out


def selector_of(gateway: Any) -> dict[str, str]:
    """The Gateway's workload selector as strings (empty when missing or of the wrong type)."""
    selector = gateway.get(("spec", "selector"))
    if not isinstance(selector, dict):
        return {}
    return {str(k): str(v) for k, v in selector.items() if v is not None}
