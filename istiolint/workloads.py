"""Workloads offline: pods and the pod templates of controllers, Services, and label selectors.

``istioctl analyze --use-kube=false`` ignores Pods and Services found in files; we index them, and treat
the pod template of every controller (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
ReplicationController) as a pod, so selectors can be checked without a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Index, Resource

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


@dataclass(frozen=True)
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


def workloads_selected(index: Index, namespace: str | None, selector: Any) -> list[Workload]:
    """Workloads in ``namespace`` (every namespace when None) whose labels ``selector`` (a map) matches."""
    return [w for w in workloads(index)
            if (namespace is None or w.namespace == namespace) and labels_match(selector, w.labels)]


def services_selecting(index: Index, workload: Workload) -> list[Resource]:
    """Services in the workload's namespace whose selector picks it (a Service without one picks none)."""
    return [s for s in index.of_kind("Service")
            if s.namespace == workload.namespace and isinstance(s.spec.get("selector"), dict)
            and s.spec["selector"] and labels_match(s.spec["selector"], workload.labels)]
