"""Helpers shared by the hygiene rules (a helper module: it declares no CODE)."""

from __future__ import annotations

from typing import Any

# Kubernetes namespaces Istio never injects and whose Services it does not check
# (pkg/kube/inject IgnoredNamespaces).
SYSTEM_NAMESPACES = frozenset(("kube-system", "kube-public", "kube-node-lease", "local-path-storage"))
ISTIO_SYSTEM = "istio-system"
# Names of the containers Istio itself adds to a pod or runs as part of the control plane.
ISTIO_CONTAINERS = frozenset(("istio-proxy", "istio-operator"))


def is_control_plane(labels: Any) -> bool:
    """Istio's own components (label ``istio`` or ``release: istio``), which Istio's checks skip."""
    return isinstance(labels, dict) and ("istio" in labels or labels.get("release") == "istio")


def int_value(value: Any) -> int | None:
    """An integer field (booleans are not integers, whatever Python says)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
