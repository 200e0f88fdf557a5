"""Namespace injection labels as Istio reads them (a helper module: no CODE). Shared by
namespace-not-injected (IL550) and namespace-injection-labels-conflict (IL551).

A namespace opts into sidecar injection with ``istio-injection: enabled`` (the legacy label) or
``istio.io/rev: <revision>``; ``istio.io/dataplane-mode: ambient`` enrols it in ambient mode instead.
"""

from __future__ import annotations

from .common import ISTIO_SYSTEM, SYSTEM_NAMESPACES, as_dict

LEGACY = "istio-injection"
REVISION = "istio.io/rev"
DATAPLANE_MODE = "istio.io/dataplane-mode"


def skipped(resource) -> bool:
    """Istio's own namespace and the Kubernetes system namespaces are never injected."""
    return resource.name == ISTIO_SYSTEM or resource.name in SYSTEM_NAMESPACES


def mode_labels(labels: dict) -> list[str]:
    """The labels that choose how the namespace joins the mesh, as ``key=value``. ``istio-injection``
    with any value other than ``enabled`` opts out, which makes the other labels moot."""
    labels = as_dict(labels)
    out = []
    legacy = labels.get(LEGACY)
    if LEGACY in labels:
        out.append(f"{LEGACY}={legacy}")
    for key in (REVISION, DATAPLANE_MODE):
        if key in labels and (LEGACY not in labels or legacy == "enabled"):
            out.append(f"{key}={labels[key]}")
    return out
