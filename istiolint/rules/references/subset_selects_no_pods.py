"""IL406 subset-selects-no-pods: a DestinationRule subset whose labels match none of the Service's pods."""

from __future__ import annotations

from ...hosts import expand_short_name, parse_fqdn
from ...references import format_labels, str_map
from ...workloads import labels_match, workloads_selected

CODE = "IL406"
KINDS = ("DestinationRule",)

# Labels Istio adds to an endpoint from its node (pilot's label augmentation), and those it may add
# that we cannot know offline.
REGION, ZONE, SUBZONE, HOSTNAME = ("topology.kubernetes.io/region", "topology.kubernetes.io/zone",
                                   "topology.istio.io/subzone", "kubernetes.io/hostname")
NODE_KEYS = (REGION, ZONE, SUBZONE)
UNKNOWABLE_KEYS = frozenset(("topology.istio.io/network", "topology.istio.io/cluster"))
# Labels a controller or the sidecar injector puts on the pods it creates: a pod template lacks them.
ADDED_TO_CREATED_PODS = frozenset((
    "pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index", "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid",
    "job-name", "controller-uid", "security.istio.io/tlsMode", "service.istio.io/canonical-name",
    "service.istio.io/canonical-revision",
))


def _endpoint_labels(workload, nodes: dict) -> tuple[dict, set[str]]:
    """The labels Istio matches subsets against, and the keys we cannot know for this workload."""
    labels = dict(workload.labels)
    unknown = set(UNKNOWABLE_KEYS)
    if workload.template_path:
        unknown |= ADDED_TO_CREATED_PODS - set(labels)
    node_name = workload.pod_spec.get("nodeName")
    if isinstance(node_name, str) and node_name:
        labels.setdefault(HOSTNAME, node_name)
        node = nodes.get(node_name)
        if node is None:
            unknown |= set(NODE_KEYS) - set(labels)
        else:
            for key in NODE_KEYS:
                value = node.get(key)
                # Istio derives a locality from these and adds only its non-empty parts.
                if key not in labels and isinstance(value, str) and value:
                    labels[key] = value
    else:
        unknown |= (set(NODE_KEYS) | {HOSTNAME}) - set(labels)
    return labels, unknown


def check(resource, ctx):
    subsets = resource.spec.get("subsets")
    if not isinstance(subsets, list) or not subsets:
        return
    host = expand_short_name(resource.spec.get("host"), resource.namespace, ctx.settings.cluster_domain)
    parsed = parse_fqdn(host, ctx.settings.cluster_domain)
    if parsed is None:
        return  # a ServiceEntry host or a wildcard: its endpoints are not pods we can list
    name, ns = parsed
    service = ctx.index.get("Service", ns, name)
    selector = str_map(service.spec.get("selector")) if service is not None and service.group == "" else None
    if not selector:
        return  # no Service, or one without a selector (its endpoints are managed by hand)
    backing = workloads_selected(ctx.index, ns, selector)
    if not backing and not ctx.settings.strict_references:
        return  # closed world: the Service's workloads are not in the input
    endpoints = _endpoints(ctx.index, ns, selector, backing)
    for i, subset in enumerate(subsets):
        if not isinstance(subset, dict) or not isinstance(subset.get("name"), str):
            continue
        wanted = str_map(subset.get("labels")) or {}
        if any(_maybe_matches(wanted, labels, unknown) for labels, unknown in endpoints):
            continue
        has_labels = subset.get("labels") is not None
        path = ("spec", "subsets", i, "labels") if has_labels else ("spec", "subsets", i)
        if backing:
            detail = _difference(wanted, [labels for labels, _ in endpoints])
            pods = f"any of the {len(backing)} workload(s) behind Service {ns}/{name}"
        else:
            detail, pods = "", f"any workload: the input has none behind Service {ns}/{name}"
        yield ctx.finding(resource, path, (
            f'subset "{subset["name"]}" ({format_labels(wanted)}) does not select {pods} '
            f"(selector {format_labels(selector)}){detail}; traffic routed to this subset has no endpoints "
            "and fails (503): fix the subset labels or the pod labels"), key=has_labels,
            related=[ctx.related(service, ("spec", "selector"), "the Service's selector")])


def _endpoints(index, namespace: str, selector: dict, backing: list) -> list[tuple[dict, set[str]]]:
    """Endpoint labels of the workloads behind one Service selector (memoised: every DestinationRule for
    the Service, and every subset, reads the same)."""
    cache = index.memo("references.subset-endpoints", lambda ix: {})
    key = (namespace, frozenset(selector.items()))
    found = cache.get(key)
    if found is None:
        nodes = index.memo("references.node-labels",
                           lambda ix: {n.name: n.labels for n in ix.of_kind("Node") if n.name})
        found = cache[key] = [_endpoint_labels(w, nodes) for w in backing]
    return found


def _maybe_matches(wanted: dict, labels: dict, unknown: set[str]) -> bool:
    """True unless the subset certainly fails to match (a key we cannot know counts as matching)."""
    return labels_match({k: v for k, v in wanted.items() if k not in unknown}, labels)


def _difference(wanted: dict, endpoint_labels: list[dict]) -> str:
    for key, value in wanted.items():
        values = sorted({labels[key] for labels in endpoint_labels if key in labels})
        if value not in values:
            if not values:
                return f"; no workload has the label {key}"
            shown = ", ".join(values[:5]) + (", ..." if len(values) > 5 else "")
            return f"; the workloads have {key}: {shown}"
    return ""
