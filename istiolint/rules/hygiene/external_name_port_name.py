"""external-name-port-name (IL503): an ExternalName Service port Istio cannot forward correctly.

For a Service of ``type: ExternalName`` Istio builds an outbound listener for each port. When the port
declares no protocol (no name, or a name without a known prefix) or is named exactly ``tcp``, the
listener is a plain TCP one: it takes all traffic on that port that matches nothing more specific, and
traffic for other TCP destinations on the same port can be sent to the external name. One finding per
Service (Istio reports the Service once), at its first such port.
"""

from __future__ import annotations

from typing import Iterator

from ...protocols import declared_protocol
from ..bounds import capped, first_few
from .common import as_list
from .service_ports import checked, is_external_name

CODE = "IL503"
KINDS = ("Service",)


def check(resource, ctx) -> Iterator:
    if not checked(resource) or not is_external_name(resource):
        return
    bad = []
    for i, port in enumerate(as_list(resource.spec.get("ports"))):
        if isinstance(port, dict) and (declared_protocol(port) is None or port.get("name") == "tcp"):
            bad.append(i)
    if not bad:
        return
    ports = resource.spec["ports"]
    numbers = first_few([str(ports[i].get("port")) for i in bad])
    yield ctx.finding(
        resource, ("spec", "ports", bad[0]),
        f"this ExternalName Service has port(s) {numbers} without a specific protocol (unnamed, a name "
        f"Istio does not read as a protocol, or just 'tcp'): Istio proxies such a port as plain TCP, which "
        f"can swallow or misdirect other TCP traffic on that port. Name the port after its protocol "
        f"(http, https, tls, tcp-<suffix>, ...) or set appProtocol",
        related=capped(ctx.related(resource, ("spec", "ports", i), "also this port") for i in bad[1:]))
