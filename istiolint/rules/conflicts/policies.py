"""Per-namespace policies that a workload may have only one of: Sidecar and Telemetry (a helper module: it
declares no CODE). Shared by sidecar-selector-conflict, sidecar-default-conflict,
telemetry-selector-conflict and telemetry-default-conflict.

Istio applies to a workload at most one Sidecar and one Telemetry *with a selector* (of the workload's
namespace), and uses at most one *selector-less* one per namespace; with several, which one it picks is
undefined (istiod takes the oldest). So two selector-holders that select one workload conflict, and so do
two selector-less ones of one namespace.

- Sidecar: ``spec.workloadSelector.labels``; no ``workloadSelector`` at all is namespace-wide (a
  ``workloadSelector`` with no labels is rejected by Istio's validation and left out here).
- Telemetry: ``spec.selector.matchLabels``; no selector, or empty ``matchLabels``, is namespace-wide
  (Istio treats both alike); a Telemetry with ``targetRef``/``targetRefs`` applies to a Gateway or
  Service, not by labels, and is left out.
- Selectors apply to workloads of the policy's own namespace (for Telemetry in the root namespace too:
  Istio ignores selectors there for other namespaces). Overlap: a Pod or pod template of that namespace
  in the input matches both; when the input holds no workload of that namespace, one selector being a
  subset of the other (equal included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ...workloads import workloads
from .common import Overlap, Reports, by_namespace, selector_overlaps, str_labels

NAMESPACE_WIDE = "namespace-wide"


@dataclass(frozen=True)
class PolicyKind:
    kind: str
    selector_path: tuple  # where the label map lives
    classify: Callable[[Any], Any]  # -> NAMESPACE_WIDE, a non-empty label dict, or None (left out)


def _sidecar(resource: Any) -> Any:
    selector = resource.get(("spec", "workloadSelector"))
    if selector is None:
        return NAMESPACE_WIDE
    if not isinstance(selector, dict):
        return None
    labels = str_labels(selector.get("labels"))
    return labels or None


def _telemetry(resource: Any) -> Any:
    if resource.get(("spec", "targetRef")) is not None or resource.get(("spec", "targetRefs")):
        return None
    selector = resource.get(("spec", "selector"))
    if selector is None:
        return NAMESPACE_WIDE
    if not isinstance(selector, dict):
        return None
    labels = str_labels(selector.get("matchLabels"))
    return labels or NAMESPACE_WIDE


SIDECAR = PolicyKind("Sidecar", ("spec", "workloadSelector", "labels"), _sidecar)
TELEMETRY = PolicyKind("Telemetry", ("spec", "selector", "matchLabels"), _telemetry)


def _workloads_by_namespace(index) -> dict[str, list]:
    return index.memo("conflicts.workloads-by-namespace",
                      lambda ix: by_namespace(workloads(ix)))


def overlaps(index, policy: PolicyKind) -> Reports:
    """Conflicts between policies of this kind whose selectors apply to one workload (memoised)."""
    def build(ix) -> Reports:
        reports = Reports()
        per_namespace = _workloads_by_namespace(ix)
        for namespace, resources in by_namespace(ix.of_kind(policy.kind)).items():
            holders = [(r, c) for r in resources if isinstance(c := policy.classify(r), dict)]
            if len(holders) < 2:
                continue
            candidates = per_namespace.get(namespace) or None
            for a, b, overlap in selector_overlaps(holders, candidates):
                reports.add(a, policy.selector_path, b, policy.selector_path, detail=overlap, key="selector")
        return reports

    return index.memo(f"conflicts.overlaps.{policy.kind}", build)


def namespace_wide(index, policy: PolicyKind) -> Reports:
    """Conflicts between selector-less policies of one namespace (memoised)."""
    def build(ix) -> Reports:
        reports = Reports()
        for resources in by_namespace(ix.of_kind(policy.kind)).values():
            wide = [r for r in resources if policy.classify(r) == NAMESPACE_WIDE]
            for i in range(len(wide)):
                for j in range(i + 1, len(wide)):
                    reports.add(wide[i], ("spec",), wide[j], ("spec",), key="namespace-wide")
        return reports

    return index.memo(f"conflicts.namespace-wide.{policy.kind}", build)


def selectors(resource: Any, policy: PolicyKind) -> dict[str, str]:
    found = policy.classify(resource)
    return found if isinstance(found, dict) else {}


def describe_overlap(resource: Any, other: Any, overlap: Overlap, policy: PolicyKind) -> str:
    return overlap.describe(selectors(resource, policy), selectors(other, policy))
