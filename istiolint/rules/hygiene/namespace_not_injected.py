"""namespace-not-injected (IL550): a namespace with workloads but no injection label.

A namespace without ``istio-injection`` or ``istio.io/rev`` (and not ambient) gets no sidecars: its pods
run outside the mesh unless each opts in. Istio reports every such namespace; most namespaces of a
cluster are not meant for the mesh, so by default this rule reports only a namespace that the input shows
is: it holds workloads that neither opt in nor out themselves, and Istio configuration
(networking/security/telemetry resources). ``--strict-references`` (the input is the whole cluster)
reports every namespace without a label, as Istio does. Silent when the input's injector configuration
enables namespaces by default (``enableNamespacesByDefault``).
"""

from __future__ import annotations

from typing import Iterator

from ...meshconfig import namespaces_injected_by_default
from ...workloads import workloads
from .namespace_injection import DATAPLANE_MODE, LEGACY, REVISION, skipped

CODE = "IL550"
KINDS = ("Namespace",)
INJECT = "sidecar.istio.io/inject"


def _decides_itself(workload) -> bool:
    """A workload that opts in (label sidecar.istio.io/inject=true, istio.io/rev) or out (inject=false in
    label or annotation, host network), so the namespace label does not matter for it."""
    labels, annotations = workload.labels, workload.annotations
    return (INJECT in labels or REVISION in labels or str(annotations.get(INJECT, "")).lower() == "false"
            or workload.pod_spec.get("hostNetwork") is True)


def _mesh_namespaces(index) -> set[str]:
    """Namespaces holding both workloads that follow the namespace label and Istio configuration."""
    def build(ix) -> set[str]:
        following = {w.namespace for w in workloads(ix) if not _decides_itself(w)}
        istio = {r.namespace for r in ix.resources if r.is_istio and r.namespace}
        return following & istio

    return index.memo("hygiene.mesh-namespaces", build)


def check(resource, ctx) -> Iterator:
    labels = resource.labels
    if skipped(resource) or labels.get(LEGACY) or REVISION in labels or labels.get(DATAPLANE_MODE) == "ambient":
        return
    if namespaces_injected_by_default(ctx.index):
        return
    if not ctx.settings.strict_references and resource.name not in _mesh_namespaces(ctx.index):
        return
    yield ctx.finding(
        resource, ("metadata", "name"),
        f"namespace {resource.name} is not enabled for sidecar injection: its pods run without a proxy. "
        f"Label it istio-injection=enabled (or istio.io/rev=<revision>), or istio-injection=disabled to say "
        f"it is meant to stay out of the mesh")
