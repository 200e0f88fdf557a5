"""service-port-name-no-protocol (IL502): a Service port whose protocol Istio cannot tell.

Istio reads a port's protocol from ``appProtocol`` or, without it, from the port name
(``<protocol>[-<suffix>]``); :func:`istiolint.protocols.declared_protocol` says how. A port that
declares nothing (no name, a name like ``web`` or ``api-v1``, or an appProtocol Istio does not know) is
handled by protocol sniffing: Istio guesses HTTP or TCP from the first bytes of each connection, which
costs a detection delay, fails for server-first protocols, and gives HTTP features only when the guess
is HTTP. ExternalName Services are left to external-name-port-name (IL503), as Istio does.
"""

from __future__ import annotations

from typing import Iterator

from ...protocols import declared_protocol
from .common import as_list
from .service_ports import checked, is_external_name

CODE = "IL502"
KINDS = ("Service",)


def check(resource, ctx) -> Iterator:
    if not checked(resource) or is_external_name(resource):
        return
    for i, port in enumerate(as_list(resource.spec.get("ports"))):
        if not isinstance(port, dict) or declared_protocol(port) is not None:
            continue
        name, number = port.get("name"), port.get("port")
        what = f"port {number}" if name in (None, "") else f"port {number} ('{name}')"
        app = port.get("appProtocol")
        why = (f"appProtocol '{app}' is not a protocol Istio knows (the port name is then not consulted)"
               if isinstance(app, str) and app else "its name does not start with a protocol and it has no appProtocol")
        yield ctx.finding(
            resource, ("spec", "ports", i),
            f"{what} of this Service declares no protocol Istio knows: {why}, so Istio sniffs each "
            f"connection's protocol. Name it <protocol>[-<suffix>] (http-web, grpc, tcp-db, ...) or set "
            f"appProtocol (http, http2, grpc, tcp, tls, ...)")
