"""Istio's protocol names and how it reads the protocol of a Kubernetes Service port, in one place.

Used by the gateway rules (server protocols), service-port-protocol-mismatch (IL501) and the port
naming rules (IL502, IL503). Pure functions; every input may be of the wrong type (rules run on
resources that failed schema validation) and then reads as "unknown".
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HTTP_FAMILY",
    "K8S_APP_PROTOCOLS",
    "OPAQUE_TCP",
    "PROTOCOLS",
    "WELL_KNOWN_TCP_PORTS",
    "declared_protocol",
    "parse_protocol",
]

# Istio's protocol names, parsed case-insensitively (protocol.Parse); anything else is "unsupported".
PROTOCOLS = {
    "http": "HTTP", "https": "HTTPS", "http2": "HTTP2", "grpc": "GRPC", "grpc-web": "GRPC-WEB",
    "tcp": "TCP", "tls": "TLS", "mongo": "MONGO", "redis": "REDIS", "mysql": "MYSQL", "udp": "UDP",
    "http_proxy": "HTTP_PROXY",
}
# protocol.IsHTTP(): ports and servers that always get an HTTP connection manager.
HTTP_FAMILY = frozenset(("HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"))
# Protocols proxied as an opaque byte stream (no TLS, no HTTP).
OPAQUE_TCP = frozenset(("TCP", "MONGO", "MYSQL", "REDIS"))
# The application protocols Kubernetes itself defines for appProtocol, as Istio maps them.
K8S_APP_PROTOCOLS = {"kubernetes.io/h2c": "HTTP2", "kubernetes.io/ws": "HTTP", "kubernetes.io/wss": "HTTPS"}
# Ports Istio treats as TCP when the name says nothing (protocol sniffing would break these servers,
# which speak first): SMTP, DNS, MySQL, MongoDB.
WELL_KNOWN_TCP_PORTS = frozenset((25, 53, 3306, 27017))


def parse_protocol(value: Any) -> str | None:
    """The canonical protocol name for ``value`` (any letter case), or None when Istio does not know it."""
    return PROTOCOLS.get(value.lower()) if isinstance(value, str) else None


def _from_text(text: str) -> str | None:
    """A port name or appProtocol as Istio reads it: ``grpc-web…`` first (it contains the separator),
    else the part before the first ``-``."""
    if text[:8].lower() == "grpc-web":
        return "GRPC-WEB"
    return parse_protocol(text.partition("-")[0])


def declared_protocol(port: Any) -> tuple[str, str] | None:
    """(protocol, what declared it) of a Kubernetes Service port, the way Istio reads it; None when
    Istio cannot tell (it then sniffs the protocol of each connection).

    - ``protocol: UDP`` makes the port UDP whatever its name.
    - ``appProtocol``, when set, decides alone: the port name is not consulted, even when the
      appProtocol value is not one Istio knows.
    - Otherwise the port name, ``<protocol>[-<suffix>]``, any letter case.
    - A port whose name (or appProtocol) says nothing is TCP on the well-known ports 25, 53, 3306 and
      27017.
    """
    if not isinstance(port, dict):
        return None
    protocol = port.get("protocol")
    if isinstance(protocol, str) and protocol.upper() == "UDP":
        return "UDP", "protocol: UDP"
    app = port.get("appProtocol")
    name = port.get("name")
    if isinstance(app, str) and app:
        found = K8S_APP_PROTOCOLS.get(app) or _from_text(app)
        source = f"appProtocol: {app}"
    elif isinstance(name, str) and name:
        found = _from_text(name)
        source = f"port name '{name}'"
    else:
        found, source = None, ""
    if found:
        return found, source
    number = port.get("port")
    if isinstance(number, int) and not isinstance(number, bool) and number in WELL_KNOWN_TCP_PORTS:
        return "TCP", f"well-known port {number}"
    return None
