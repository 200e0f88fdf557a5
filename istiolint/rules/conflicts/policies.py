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

from typing import Any, Callable

from ...record import field, record
from ...workloads import workloads
from .common import MAX_NAMED, Claim, Overlap, Pool, SelectorIndex, by_namespace, str_labels

NAMESPACE_WIDE = "namespace-wide"


@record(frozen=True)
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


@record
class Overlaps:
    """Policies of one kind whose selectors apply to one workload, kept as groups, never as pairs.

    Policies with equal selectors form a class. With workloads of their namespace in the input, each
    workload picks a set of classes (every policy of those classes applies to it); without, a class meets
    the classes whose selector is a subset or a superset of its own. A policy meets the policies of the
    classes its class meets, itself excepted.
    """

    policy: PolicyKind
    class_of: dict[int, int] = field(default_factory=dict)  # id(resource) -> class
    labels: list[dict[str, str]] = field(default_factory=list)  # class -> its selector
    members: list[list[Claim]] = field(default_factory=list)  # class -> its policies, in input order
    cliques: list[tuple[frozenset[int], Any]] = field(default_factory=list)  # (classes, first workload)
    cliques_of: dict[int, list[int]] = field(default_factory=dict)  # class -> its cliques, in workload order
    related_classes: dict[int, frozenset[int]] = field(default_factory=dict)  # (no workload) subset/superset
    _pools: dict[frozenset, Pool] = field(default_factory=dict)

    def meets(self, c: int) -> frozenset[int]:
        """The classes whose policies apply to a workload together with those of class ``c``."""
        if c in self.related_classes:
            return self.related_classes[c]
        cliques = self.cliques_of.get(c, ())
        if len(cliques) == 1:
            return self.cliques[cliques[0]][0]  # the usual case: shared, not copied
        return frozenset(d for k in cliques for d in self.cliques[k][0])

    def others(self, resource: Any, limit: int = MAX_NAMED) -> tuple[list[tuple[Any, Overlap]], int]:
        """The first ``limit`` other policies that apply to a workload with this one (and why), and how many."""
        c = self.class_of.get(id(resource))
        if c is None:
            return [], 0
        classes = self.meets(c)
        if not classes:
            return [], 0
        pool = self._pools.get(classes)
        if pool is None:
            pool = self._pools[classes] = Pool.union([Pool(self.members[d]) for d in sorted(classes)]) \
                if len(classes) > 1 else Pool(self.members[next(iter(classes))])
        named, total = pool.others(resource, limit=limit)
        return [(claim.resource, self._why(c, self.class_of[id(claim.resource)])) for claim in named], total

    def _why(self, c: int, d: int) -> Overlap:
        for k in self.cliques_of.get(c, ()):
            classes, workload = self.cliques[k]
            if d in classes:
                return Overlap(workload)
        return Overlap(None)


def overlaps(index, policy: PolicyKind) -> Overlaps:
    """Policies of this kind whose selectors apply to one workload (memoised)."""
    def build(ix) -> Overlaps:
        out = Overlaps(policy)
        per_namespace = _workloads_by_namespace(ix)
        for namespace, resources in by_namespace(ix.of_kind(policy.kind)).items():
            holders = [(r, c) for r in resources if isinstance(c := policy.classify(r), dict)]
            if len(holders) < 2:
                continue
            first_class = len(out.labels)
            by_key: dict[frozenset, int] = {}
            for resource, selector in holders:
                key = frozenset(selector.items())
                if key not in by_key:
                    by_key[key] = len(out.labels)
                    out.labels.append(selector)
                    out.members.append([])
                c = by_key[key]
                out.class_of[id(resource)] = c
                out.members[c].append(Claim(resource, policy.selector_path))
            index_ = SelectorIndex((out.labels[c], c) for c in range(first_class, len(out.labels)))
            candidates = per_namespace.get(namespace)
            if candidates:
                seen: set[frozenset] = set()
                for w in candidates:
                    classes = frozenset(index_.matching(w.labels))
                    if classes and classes not in seen:
                        seen.add(classes)
                        k = len(out.cliques)
                        out.cliques.append((classes, w))
                        for c in classes:
                            out.cliques_of.setdefault(c, []).append(k)
                continue
            # No workload of the namespace in the input: one selector a subset of the other (equal
            # included) means every workload the narrower one selects is selected by both.
            related: dict[int, set[int]] = {}
            for c in range(first_class, len(out.labels)):
                for d in index_.matching(out.labels[c]):  # d's selector is a subset of c's
                    related.setdefault(c, set()).add(d)
                    related.setdefault(d, set()).add(c)
            for c, classes in related.items():
                out.related_classes[c] = frozenset(classes)
        return out

    return index.memo(f"conflicts.overlaps.{policy.kind}", build)


def namespace_wide(index, policy: PolicyKind) -> dict[str, Pool]:
    """Selector-less policies of this kind, one pool per namespace (memoised)."""
    def build(ix) -> dict[str, Pool]:
        out: dict[str, Pool] = {}
        for namespace, resources in by_namespace(ix.of_kind(policy.kind)).items():
            wide = [Claim(r, ("spec",)) for r in resources if policy.classify(r) == NAMESPACE_WIDE]
            if len(wide) > 1:
                out[namespace] = Pool(wide)
        return out

    return index.memo(f"conflicts.namespace-wide.{policy.kind}", build)


def namespace_wide_others(index, policy: PolicyKind, resource: Any) -> tuple[list[Any], int]:
    """The first few other selector-less policies of the resource's namespace, and how many there are."""
    if policy.classify(resource) != NAMESPACE_WIDE:
        return [], 0
    pool = namespace_wide(index, policy).get(resource.namespace or "")
    if pool is None:
        return [], 0
    named, total = pool.others(resource)
    return [c.resource for c in named], total


def selectors(resource: Any, policy: PolicyKind) -> dict[str, str]:
    found = policy.classify(resource)
    return found if isinstance(found, dict) else {}


def describe_overlap(resource: Any, other: Any, overlap: Overlap, policy: PolicyKind) -> str:
    return overlap.describe(selectors(resource, policy), selectors(other, policy))
