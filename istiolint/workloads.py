"""Workloads offline: pods and the pod templates of controllers, Services, and label selectors.

``istioctl analyze --use-kube=false`` ignores Pods and Services found in files; we index them, and treat
the pod template of every controller (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
ReplicationController) as a pod, so selectors can be checked without a cluster.
"""

from __future__ import annotations

from typing import Any, Callable

from .model import Index, Resource
from .record import record

# kind → path of the pod template inside the object.
POD_TEMPLATE_PATHS: dict[str, tuple] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
WORKLOAD_KINDS = ("Pod", *POD_TEMPLATE_PATHS)


@record(frozen=True)
class Workload:
    """A pod, or the pods a controller will create: where it lives, its labels and its pod spec."""

    resource: Resource
    namespace: str | None
    labels: dict
    annotations: dict
    pod_spec: dict
    template_path: tuple  # path of the pod template (``()`` for a Pod)

    @property
    def name(self) -> str | None:
        return self.resource.name


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def workload_of(resource: Resource) -> Workload | None:
    if resource.kind == "Pod":
        return Workload(resource, resource.namespace, _str_map(resource.labels), _dict(resource.annotations),
                        resource.spec, ())
    path = POD_TEMPLATE_PATHS.get(resource.kind or "")
    if path is None:
        return None
    template = resource.get(path)
    if not isinstance(template, dict):
        return None
    metadata = _dict(template.get("metadata"))
    return Workload(resource, resource.namespace, _str_map(metadata.get("labels")),
                    _dict(metadata.get("annotations")), _dict(template.get("spec")), path)


def _str_map(value: Any) -> dict[str, str]:
    """Labels as strings (a YAML ``version: 1`` label is the string "1" to Kubernetes once quoted)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def workloads(index: Index) -> list[Workload]:
    """Every pod and pod template of the input (memoised per run)."""
    def build(ix: Index) -> list[Workload]:
        found = []
        for resource in ix.of_kind(*WORKLOAD_KINDS):
            workload = workload_of(resource)
            if workload is not None:
                found.append(workload)
        return found

    return index.memo("workloads", build)


def labels_match(selector: Any, labels: dict) -> bool:
    """A plain ``matchLabels``-style map selects ``labels`` when every pair is present (empty: all)."""
    if not isinstance(selector, dict):
        return False
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


def label_selector_matches(selector: Any, labels: dict) -> bool | None:
    """A Kubernetes ``LabelSelector`` (matchLabels + matchExpressions); None when it cannot be decided."""
    if not isinstance(selector, dict):
        return None
    if not labels_match(selector.get("matchLabels") or {}, labels):
        return False
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, dict):
            return None
        key, operator = expression.get("key"), expression.get("operator")
        values = [str(v) for v in expression.get("values") or []]
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return None
    return True


class LabelIndex:
    """Items with labels and a namespace (workloads), found by selector without looking at every item.

    Items are filed under each of their (namespace, label, value) pairs and under (every namespace, label,
    value); a selector looks only at the items filed under the pair of its that fewest items have, then
    checks the rest of it. Results keep the items' order.
    """

    _ANY = ("<every namespace>",)  # not a namespace (those are strings or None)

    def __init__(self, items: list, labels_of: Callable[[Any], dict], namespace_of: Callable[[Any], Any]):
        self.items = items
        self._labels_of = labels_of
        self._by_namespace: dict[Any, list] = {}
        self._by_pair: dict[tuple, list] = {}
        self._selected: dict[tuple, list] = {}
        for item in items:
            namespace = namespace_of(item)
            self._by_namespace.setdefault(namespace, []).append(item)
            for key, value in labels_of(item).items():
                if isinstance(key, str) and isinstance(value, str):  # only strings equal a selector's
                    self._by_pair.setdefault((namespace, key, value), []).append(item)
                    self._by_pair.setdefault((self._ANY, key, value), []).append(item)

    def in_namespace(self, namespace: Any) -> list:
        return self._by_namespace.get(namespace, [])

    def select(self, selector: Any, namespace: Any = _ANY) -> list:
        """Items (of ``namespace``; of every namespace by default) whose labels ``selector`` (a plain map,
        compared as strings like :func:`labels_match`) matches; an empty selector matches all.

        The list is shared (answers are kept: many resources repeat one selector): do not modify it."""
        if not isinstance(selector, dict):
            return []
        if not selector:
            return self.items if namespace is self._ANY else self.in_namespace(namespace)
        pairs = [(str(k), str(v)) for k, v in selector.items()]
        if len(pairs) == 1:
            return self._by_pair.get((namespace,) + pairs[0], [])
        key = (namespace, frozenset(pairs))
        found = self._selected.get(key)
        if found is None:
            pool = min((self._by_pair.get((namespace, k, v), ()) for k, v in pairs), key=len)
            found = self._selected[key] = [item for item in pool if labels_match(selector, self._labels_of(item))]
        return found


def label_index(index: Index) -> LabelIndex:
    """The workloads of the input, indexed by label (memoised)."""
    return index.memo("workloads:label-index",
                      lambda ix: LabelIndex(workloads(ix), lambda w: w.labels, lambda w: w.namespace))


def workloads_in(index: Index, namespace: str | None) -> list[Workload]:
    """The workloads of one namespace, in input order (memoised)."""
    return label_index(index).in_namespace(namespace)


def workloads_selected(index: Index, namespace: str | None, selector: Any) -> list[Workload]:
    """Workloads in ``namespace`` (every namespace when None) whose labels ``selector`` (a map) matches."""
    found = label_index(index)
    return found.select(selector) if namespace is None else found.select(selector, namespace)


def services_selecting(index: Index, workload: Workload) -> list[Resource]:
    """Services in the workload's namespace whose selector picks it (a Service without one picks none),
    in input order."""
    def build(ix: Index) -> dict[tuple, list[tuple[int, Resource]]]:
        # Each Service under the pair of its selector that fewest Services have: a workload without that
        # pair is not picked, and a workload looks only at the Services filed under its own pairs.
        selectors = []
        frequency: dict[tuple, int] = {}
        for order, s in enumerate(ix.of_kind("Service")):
            selector = s.spec.get("selector")
            if isinstance(selector, dict) and selector:
                pairs = [(s.namespace, str(k), str(v)) for k, v in selector.items()]
                selectors.append((order, s, pairs))
                for pair in pairs:
                    frequency[pair] = frequency.get(pair, 0) + 1
        by_pair: dict[tuple, list[tuple[int, Resource]]] = {}
        for order, s, pairs in selectors:
            by_pair.setdefault(min(pairs, key=lambda pair: (frequency[pair], pair)), []).append((order, s))
        return by_pair

    by_pair = index.memo("workloads:selecting-services", build)
    candidates = sorted((item for key, value in workload.labels.items()
                         for item in by_pair.get((workload.namespace, str(key), value), ())
                         if isinstance(value, str)), key=lambda item: item[0])
    return [s for _, s in candidates if labels_match(s.spec["selector"], workload.labels)]
