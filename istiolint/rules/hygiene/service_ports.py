"""Which Services the port naming checks (IL502, IL503) look at, shared (a helper module: no CODE)."""

from __future__ import annotations

from .common import SYSTEM_NAMESPACES, as_dict, is_control_plane

# Services that Istio's gateway controllers generate (label gateway.istio.io/managed): not written by
# users, so not checked.
GATEWAY_MANAGED_LABEL = "gateway.istio.io/managed"
GATEWAY_MANAGED_VALUES = frozenset((
    "istio.io-gateway-controller", "istio.io-mesh-controller", "istio.io-eastwest-controller",
))


def checked(resource) -> bool:
    """Istio checks port names of every Service except those in Kubernetes system namespaces, those of
    its own control plane, and those its gateway controllers generate."""
    if resource.namespace in SYSTEM_NAMESPACES or is_control_plane(resource.labels):
        return False
    return as_dict(resource.labels).get(GATEWAY_MANAGED_LABEL) not in GATEWAY_MANAGED_VALUES


def is_external_name(resource) -> bool:
    return resource.spec.get("type") == "ExternalName"
