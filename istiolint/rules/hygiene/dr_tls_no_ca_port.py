"""dr-tls-no-ca-port (IL602): a DestinationRule's port-level TLS settings name no CA certificate.

The port-level twin of dr-tls-no-ca (IL601): an entry of ``portLevelSettings`` (of the rule or of a
subset) with TLS mode SIMPLE or MUTUAL and no ``caCertificates``. One finding per such entry, as Istio
reports one per port.
"""

from __future__ import annotations

from typing import Iterator

from .common import as_dict, as_list
from .tls_verification import has_workload_selector, traffic_policies, unverified

CODE = "IL602"
KINDS = ("DestinationRule",)


def check(resource, ctx) -> Iterator:
    selector = has_workload_selector(resource)
    host = resource.spec.get("host")
    for path, policy in traffic_policies(resource):
        for i, setting in enumerate(as_list(policy.get("portLevelSettings"))):
            mode = unverified(as_dict(setting).get("tls"), selector)
            if mode is None:
                continue
            number = as_dict(as_dict(setting).get("port")).get("number")
            yield ctx.finding(
                resource, path + ("portLevelSettings", i, "tls", "mode"),
                f"TLS mode {mode} to {host} port {number} without caCertificates: the server's certificate "
                f"is not checked against a CA you chose. Set caCertificates (or a credentialName whose secret "
                f"holds ca.crt, with a workloadSelector), or use ISTIO_MUTUAL for mesh services")
