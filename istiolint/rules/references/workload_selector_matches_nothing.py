"""IL407 workload-selector-matches-nothing: a Sidecar, Telemetry, Gateway, EnvoyFilter or WasmPlugin
selector that picks no workload."""

from __future__ import annotations

from ...references import (
    ROOT_NAMESPACE,
    format_labels,
    gateway_workloads_present,
    has_workloads,
    near_miss,
    select,
    str_map,
)

CODE = "IL407"
KINDS = ("Sidecar", "Telemetry", "Gateway", "EnvoyFilter", "WasmPlugin")

# What the selector is, per kind: (path, whether it is limited to the resource's own namespace).
SELECTOR_PATHS = {
    "Sidecar": (("spec", "workloadSelector", "labels"), True),
    "Telemetry": (("spec", "selector", "matchLabels"), True),
    # A Gateway's selector picks proxies in every namespace (unless istiod is told to scope it).
    "Gateway": (("spec", "selector"), False),
    # Own namespace, except in the config root namespace, where they apply to matching workloads of
    # every namespace (EnvoyFilter's and WasmPlugin's documented scope).
    "EnvoyFilter": (("spec", "workloadSelector", "labels"), True),
    "WasmPlugin": (("spec", "selector", "matchLabels"), True),
}
MESH_WIDE_IN_ROOT = frozenset(("EnvoyFilter", "WasmPlugin"))
EFFECTS = {
    "EnvoyFilter": "its patches apply to no proxy",
    "WasmPlugin": "the plugin runs in no proxy",
}


def check(resource, ctx):
    if resource.kind in ("Telemetry", "EnvoyFilter", "WasmPlugin") and (
            resource.spec.get("targetRef") or resource.spec.get("targetRefs")):
        return  # policy attachment by reference: the selector is not what applies it
    path, same_namespace = SELECTOR_PATHS[resource.kind]
    selector = str_map(resource.get(path))
    if not selector:
        return  # no selector: the whole namespace (or mesh), or every proxy (Gateway)
    mesh_wide = resource.kind in MESH_WIDE_IN_ROOT and resource.namespace == ROOT_NAMESPACE
    namespace = resource.namespace if same_namespace and not mesh_wide else None
    if select(ctx.index, selector, namespace):
        return
    strict = ctx.settings.strict_references
    if resource.kind == "Gateway":
        # Closed world: the input holds gateway deployments, so it could have held this one.
        if not strict and not gateway_workloads_present(ctx.index):
            return
        scope = "in any namespace"
        effect = "no proxy serves this Gateway's servers"
    else:
        # Closed world: the input holds workloads there, so it could have held this one.
        if not strict and not has_workloads(ctx.index, namespace):
            return
        scope = (f"in any namespace, which a {resource.kind} in the root namespace selects from" if mesh_wide
                 else f"in namespace {namespace}")
        effect = EFFECTS.get(resource.kind, f"this {resource.kind} applies to nothing")
    hint = near_miss(ctx.index, selector, namespace)
    yield ctx.finding(resource, path, (
        f"selector {format_labels(selector)} matches no pod or pod template {scope}"
        + (f" ({hint})" if hint else "") + f"; {effect}: fix the labels or deploy the workload"), key=True)
