"""Where a DestinationRule originates TLS without a CA to check the server against (a helper module:
no CODE). Shared by dr-tls-no-ca (IL601) and dr-tls-no-ca-port (IL602)."""

from __future__ import annotations

from typing import Any, Iterator

from .common import as_dict, as_list

# Client TLS modes in which the sidecar originates TLS with certificates the user supplies. DISABLE sends
# plain text and ISTIO_MUTUAL uses the mesh's own CA, so neither needs caCertificates.
USER_TLS_MODES = frozenset(("SIMPLE", "MUTUAL"))


def unverified(tls: Any, has_workload_selector: bool) -> str | None:
    """The TLS mode when this ``tls`` block originates TLS without naming a CA, else None.

    Not unverified: ``caCertificates`` set; a ``credentialName`` on a DestinationRule with a
    ``workloadSelector`` (the secret can carry the CA, and Istio uses it there); an explicit
    ``insecureSkipVerify: true`` (the author chose not to verify: a decision, not an omission).
    """
    if not isinstance(tls, dict) or tls.get("mode") not in USER_TLS_MODES:
        return None
    if isinstance(tls.get("caCertificates"), str) and tls["caCertificates"]:
        return None
    if has_workload_selector and isinstance(tls.get("credentialName"), str) and tls["credentialName"]:
        return None
    if tls.get("insecureSkipVerify") is True:
        return None
    return tls["mode"]


def traffic_policies(resource) -> Iterator[tuple[tuple, dict]]:
    """(path, trafficPolicy) of the DestinationRule and of each of its subsets."""
    policy = resource.spec.get("trafficPolicy")
    if isinstance(policy, dict):
        yield ("spec", "trafficPolicy"), policy
    for j, subset in enumerate(as_list(resource.spec.get("subsets"))):
        policy = as_dict(subset).get("trafficPolicy")
        if isinstance(policy, dict):
            yield ("spec", "subsets", j, "trafficPolicy"), policy


def has_workload_selector(resource) -> bool:
    return isinstance(resource.spec.get("workloadSelector"), dict)

