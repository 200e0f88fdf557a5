"""IL407 workload-selector-matches-nothing: a Sidecar, Telemetry or Gateway selector that picks no workload."""

from __future__ import annotations

from ...references import format_labels, gateway_workloads_present, has_workloads, near_miss, select, str_map

CODE = "IL407"
KINDS = ("Sidecar", "Telemetry", "Gateway")

# What the selector is, per kind: (path, whether it is limited to the resource's own namespace).
SELECTOR_PATHS = {
    "Sidecar": (("spec", "workloadSelector", "labels"), True),
    "Telemetry": (("spec", "selector", "matchLabels"), True),
    # A Gateway's selector picks proxies in every namespace (unless istiod is told to scope it).
    "Gateway": (("spec", "selector"), False),
}


def check(resource, ctx):
    if resource.kind == "Telemetry" and (resource.spec.get("targetRef") or resource.spec.get("targetRefs")):
        return  # policy attachment by reference: the selector is not what applies it
    path, same_namespace = SELECTOR_PATHS[resource.kind]
    selector = str_map(resource.get(path))
    if not selector:
        return  # no selector: the whole namespace (Sidecar, Telemetry) or every proxy (Gateway)
    namespace = resource.namespace if same_namespace else None
    if select(ctx.index, selector, namespace):
        return
    strict = ctx.settings.strict_references
    if same_namespace:
        # Closed world: the input holds workloads of that namespace, so it could have held this one.
        if not strict and not has_workloads(ctx.index, namespace):
            return
        scope = f"in namespace {namespace}"
        effect = f"this {resource.kind} applies to nothing"
    else:
        # Closed world: the input holds gateway deployments, so it could have held this one.
        if not strict and not gateway_workloads_present(ctx.index):
            return
        scope = "in any namespace"
        effect = "no proxy serves this Gateway's servers"
    hint = near_miss(ctx.index, selector, namespace)
    yield ctx.finding(resource, path, (
        f"selector {format_labels(selector)} matches no pod or pod template {scope}"
        + (f" ({hint})" if hint else "") + f"; {effect}: fix the labels or deploy the workload"), key=True)
