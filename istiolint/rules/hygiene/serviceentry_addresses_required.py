"""serviceentry-addresses-required (IL430): a ServiceEntry with TCP ports but no addresses.

A sidecar can tell HTTP and TLS destinations apart by the Host header or SNI, but plain TCP carries no
name: without a virtual IP (``addresses``) Istio builds the outbound TCP listener on ``0.0.0.0:<port>``,
so the entry captures every TCP connection to that port that matches nothing more specific, or
conflicts with other services on the port. Istio asks for addresses on ports whose protocol is TCP or
unset (unset counts as TCP in a ServiceEntry).

Silent when the ServiceEntry already has addresses allocated in ``status.addresses``, or when a mesh
config in the input (ConfigMap ``istio``) turns on DNS capture with automatic address allocation. One
finding per ServiceEntry (Istio reports it once), at its first such port.
"""

from __future__ import annotations

from typing import Iterator

from ...meshconfig import dns_auto_allocation
from ..bounds import capped, first_few
from .common import as_dict, as_list

CODE = "IL430"
KINDS = ("ServiceEntry",)


def _needs_address(port) -> bool:
    if not isinstance(port, dict):
        return False
    protocol = port.get("protocol")
    # Istio compares the TCP name case-insensitively; an absent or empty protocol counts as TCP.
    return protocol is None or protocol == "" or (isinstance(protocol, str) and protocol.upper() == "TCP")


def check(resource, ctx) -> Iterator:
    if as_list(resource.spec.get("addresses")) or as_list(as_dict(resource.data.get("status")).get("addresses")):
        return
    ports = as_list(resource.spec.get("ports"))
    bad = [i for i, port in enumerate(ports) if _needs_address(port)]
    if not bad or dns_auto_allocation(ctx.index):
        return
    numbers = first_few([str(ports[i].get("number")) for i in bad])
    yield ctx.finding(
        resource, ("spec", "ports", bad[0]),
        f"this ServiceEntry has no addresses but serves TCP (or unset) protocol on port(s) {numbers}: "
        f"without a virtual IP the sidecar listens on 0.0.0.0 for that port and cannot tell this "
        f"service's connections from any other's. Add spec.addresses, declare the real protocol (HTTP, "
        f"TLS, ...) if it has one, or enable DNS capture with address auto-allocation",
        related=capped(ctx.related(resource, ("spec", "ports", i), "also this port") for i in bad[1:]))
