"""IL408 policy-selector-matches-nothing: an AuthorizationPolicy, RequestAuthentication or
PeerAuthentication whose workloads do not exist."""

from __future__ import annotations

from ...references import ROOT_NAMESPACE, format_labels, has_workloads, near_miss, select, str_map

CODE = "IL408"
KINDS = ("AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication")


def check(resource, ctx):
    spec = resource.spec
    if spec.get("targetRef") or spec.get("targetRefs"):
        return  # attached to a gateway or service by reference, not by selector
    namespace = resource.namespace
    strict = ctx.settings.strict_references
    selector = str_map(resource.get(("spec", "selector", "matchLabels")))
    if not selector:
        if namespace == ROOT_NAMESPACE:
            return  # mesh-wide policy
        # Namespace-wide: harmless but dead when the namespace has no workloads; only a closed world
        # (--strict-references) can tell the namespace really is empty.
        if strict and not has_workloads(ctx.index, namespace):
            yield ctx.finding(resource, ("metadata", "namespace") if resource.metadata.get("namespace")
                              else ("metadata", "name"), (
                f"this {resource.kind} applies to every workload of namespace {namespace}, and the input "
                "has none there; it has no effect"))
        return
    mesh_wide = namespace == ROOT_NAMESPACE  # a selector in the root namespace picks workloads anywhere
    scope_ns = None if mesh_wide else namespace
    if select(ctx.index, selector, scope_ns):
        return
    if not strict and not has_workloads(ctx.index, scope_ns):
        return  # closed world: the input holds no workloads there, so it could not have held these
    scope = "in any namespace (the policy is in the root namespace)" if mesh_wide else f"in namespace {namespace}"
    hint = near_miss(ctx.index, selector, scope_ns)
    effect = {"AuthorizationPolicy": "its rules protect nothing",
              "RequestAuthentication": "no JWT is validated by it",
              "PeerAuthentication": "its mTLS mode applies to nothing"}[resource.kind]
    yield ctx.finding(resource, ("spec", "selector", "matchLabels"), (
        f"selector {format_labels(selector)} matches no pod or pod template {scope}"
        + (f" ({hint})" if hint else "") + f"; {effect}: fix the labels or deploy the workload"), key=True)
