"""dr-tls-no-ca (IL601): a DestinationRule's TLS settings (SIMPLE or MUTUAL) name no CA certificate.

With ``mode: SIMPLE`` or ``MUTUAL`` the sidecar originates TLS itself. Without ``caCertificates`` it has
no CA of the author's choosing to check the server certificate against: depending on the Istio version
and proxy settings it either accepts any certificate or trusts whatever the OS bundle accepts, so the
server's identity is not pinned. One finding per DestinationRule (Istio reports it once), for the
traffic policy of the whole rule or of a subset; port-level settings are dr-tls-no-ca-port (IL602).
"""

from __future__ import annotations

from typing import Iterator

from ..bounds import capped
from .tls_verification import has_workload_selector, traffic_policies, unverified

CODE = "IL601"
KINDS = ("DestinationRule",)


def check(resource, ctx) -> Iterator:
    selector = has_workload_selector(resource)
    found = [(path, mode) for path, policy in traffic_policies(resource)
             if (mode := unverified(policy.get("tls"), selector)) is not None]
    if not found:
        return
    path, mode = found[0]
    host = resource.spec.get("host")
    yield ctx.finding(
        resource, path + ("tls", "mode"),
        f"TLS mode {mode} to {host} without caCertificates: the server's certificate is not checked "
        f"against a CA you chose. Set caCertificates (or a credentialName whose secret holds ca.crt, with a "
        f"workloadSelector), or use ISTIO_MUTUAL for mesh services",
        related=capped(ctx.related(resource, p + ("tls", "mode"), f"also TLS mode {m} without caCertificates")
                       for p, m in found[1:]))
