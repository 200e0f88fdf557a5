"""Shared pieces of the conflict rules (a helper module: it declares no CODE).

- **Where a conflict is reported: on every resource involved.** A conflict is a fact about two (or more)
  resources, and the fix may go into any of them, so each analysed side gets a finding, phrased from its
  side, naming the other(s) in the message and pointing at them in ``related``. This is istioctl's way
  (IST0109, IST0110, IST0177... name every party), and it is what a pre-commit run needs: with
  ``--context`` only the edited file is analysed, and the finding must show on whichever side was
  edited. Context-only resources (``analyze`` False) are never reported (the engine does not call
  ``check`` on them), so the analysed side always carries the finding itself.
- **One finding per resource per rule.** A resource that conflicts on several hosts, ports or servers
  gets one finding listing them all (at the first of its own locations involved), as istioctl reports a
  resource once per conflict kind.
- **A resource never conflicts with itself**, nor with another document of the same kind, namespace and
  name (applying both leaves one object in the cluster).
- **exportTo scopes**: where a VirtualService or ServiceEntry is visible, as ``ALL`` or a set of
  namespaces (the same reading as ``hosts.visible_to``).
- **Selector overlap**: which policies (Sidecar, Telemetry, Gateway) apply to one workload.
- **In the mesh**: whether a workload gets a sidecar, as far as the input tells.

Everything here reads resources defensively and never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Callable, Iterable, Iterator

from ...workloads import Workload

# --------------------------------------------------------------------------- order and sides

MAX_NAMED = 5  # other resources named in a message before "and N more" (all are in ``related``)


def order_key(resource: Any) -> tuple:
    """Namespace, name, then input position: a stable order for listing the other sides."""
    line, column = resource.position(())
    return (resource.namespace or "", resource.name or "", resource.file, line, column)


def same_object(a: Any, b: Any) -> bool:
    """The same resource, or two documents for one object (same kind, namespace and name)."""
    if a is b:
        return True
    return a.name is not None and (a.kind, a.namespace, a.name) == (b.kind, b.namespace, b.name)


def identity(resource: Any) -> tuple:
    """What makes two documents one object: kind, namespace and name (the document itself if unnamed)."""
    if resource.name is None:
        return ("document", id(resource))
    return (resource.kind, resource.namespace, resource.name)


def label(resource: Any) -> str:
    """``Kind namespace/name`` for messages."""
    return f"{resource.kind} {resource.namespace + '/' if resource.namespace else ''}{resource.name or '?'}"


def listed(items: list[str], limit: int = MAX_NAMED) -> str:
    """``a; b; c`` — at most ``limit`` items, then ``and N more``."""
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


@dataclass
class Pending:
    """One conflict as seen from one of its sides."""

    path: tuple  # where on this side
    other: Any
    other_path: tuple
    detail: Any = None  # rule-specific, phrased for this side (e.g. the other's host, a witness)


@dataclass
class Reports:
    """Conflicts collected per side (by resource identity), deduplicated, in a stable order."""

    by_target: dict[int, list[Pending]] = field(default_factory=dict)
    _seen: set = field(default_factory=set)

    def add(self, a: Any, a_path: tuple, b: Any, b_path: tuple, detail: Any = None,
            key: Any = None, detail_b: Any = None) -> None:
        """Record a conflict between ``a`` (at ``a_path``) and ``b`` (at ``b_path``) on both sides.

        ``detail`` is kept on ``a``'s side, ``detail_b`` (default: ``detail``) on ``b``'s. A side that is
        only context is skipped: it is never reported.
        """
        if same_object(a, b):
            return
        self._record(a, a_path, b, b_path, detail, key)
        self._record(b, b_path, a, a_path, detail if detail_b is None else detail_b, key)

    def _record(self, target: Any, path: tuple, other: Any, other_path: tuple, detail: Any, key: Any) -> None:
        if not target.analyze:
            return
        dedupe = (id(target), path, identity(other), key)
        if dedupe in self._seen:
            return
        self._seen.add(dedupe)
        self.by_target.setdefault(id(target), []).append(Pending(path, other, other_path, detail))

    def of(self, resource: Any) -> list[Pending]:
        """The resource's conflicts, by its own location (document order), then by the other side."""
        found = self.by_target.get(id(resource), [])
        return sorted(found, key=lambda p: (resource.position(p.path), tuple(map(str, p.path)),
                                            order_key(p.other)))

    def grouped(self, resource: Any) -> list[tuple[tuple, list[Pending]]]:
        """The resource's conflicts grouped by its own location, in document order."""
        groups: dict[tuple, list[Pending]] = {}
        for pending in self.of(resource):
            groups.setdefault(pending.path, []).append(pending)
        return list(groups.items())


def names(resources: Iterable[Any]) -> str:
    """``a/x, b/y`` (namespace/name), in order."""
    return ", ".join(f"{r.namespace + '/' if r.namespace else ''}{r.name or '?'}" for r in resources)


# --------------------------------------------------------------------------- exportTo scopes

ALL = None  # visible in every namespace


def export_scope(export_to: Any, own_namespace: str | None) -> frozenset[str] | None:
    """Where a resource with this ``exportTo`` is visible: ``ALL`` (None) or a set of namespaces.

    Unset, empty or of the wrong type: everywhere (Istio's default, no mesh-wide override modelled).
    ``*`` anywhere wins; else ``~`` anywhere hides it from every namespace; ``.`` is the own namespace.
    """
    if not isinstance(export_to, list) or not export_to:
        return ALL
    values = {e for e in export_to if isinstance(e, str)}
    if "*" in values:
        return ALL
    if "~" in values:
        return frozenset()
    out = {own_namespace if e == "." else e for e in values}
    out.discard(None)
    out.discard("")
    return frozenset(out)


def shared_scope(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Namespaces where both are visible: ``ALL`` (None) or a set (empty: nowhere together)."""
    if a is ALL:
        return b
    if b is ALL:
        return a
    return a & b


def describe_scope(scope: frozenset[str] | None) -> str:
    if scope is ALL:
        return "in every namespace"
    shown = sorted(scope)
    text = ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")
    return f"in namespace{'s' if len(shown) > 1 else ''} {text}"


# --------------------------------------------------------------------------- selectors


def str_labels(value: Any) -> dict[str, str]:
    """A label map as Kubernetes stores it (strings); empty when not a mapping."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def format_labels(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


class SelectorIndex:
    """Items keyed by a non-empty label selector; finds those whose selector is a subset of some labels.

    Each query looks only at selectors sharing a label with the query, so it costs the number of such
    selectors, not the number of items.
    """

    def __init__(self, items: Iterable[tuple[dict[str, str], Any]]):
        self._by_selector: dict[frozenset, list] = {}
        self._by_pair: dict[tuple, list[frozenset]] = {}
        for selector, item in items:
            if not selector:
                continue
            key = frozenset(selector.items())
            if key not in self._by_selector:
                for pair in key:
                    self._by_pair.setdefault(pair, []).append(key)
            self._by_selector.setdefault(key, []).append(item)

    def matching(self, labels: dict[str, str]) -> list:
        """Items whose selector is a subset of ``labels`` (each selector looked at once)."""
        have = frozenset(labels.items())
        seen: set[frozenset] = set()
        out: list = []
        for pair in have:
            for key in self._by_pair.get(pair, ()):
                if key not in seen:
                    seen.add(key)
                    if key <= have:
                        out.extend(self._by_selector[key])
        return out

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_selector.values())


@dataclass(frozen=True)
class Overlap:
    """Why two selector-holders apply to the same workloads."""

    workload: Workload | None  # a workload of the input both select, or None (selector subset)

    def describe(self, a_labels: dict[str, str], b_labels: dict[str, str]) -> str:
        if self.workload is not None:
            w = self.workload
            return f"both select {w.resource.kind} {w.namespace}/{w.name}"
        if a_labels == b_labels:
            return f"both select the workloads labelled {format_labels(a_labels)}"
        narrow = a_labels if len(a_labels) > len(b_labels) else b_labels
        return f"every workload labelled {format_labels(narrow)} is selected by both"


def selector_overlaps(holders: list[tuple[Any, dict[str, str]]], candidates: list[Workload] | None,
                      ) -> Iterator[tuple[Any, Any, Overlap]]:
    """Pairs of holders (resource, selector) that apply to one workload, once each.

    With ``candidates`` (the workloads of the input they could select), two holders overlap when one of
    those workloads matches both. With ``candidates`` None (the input holds no workload they could
    select) they overlap when one selector is a subset of the other (equal included): every workload the
    narrower one selects is then selected by both.
    """
    index = SelectorIndex((selector, k) for k, (_, selector) in enumerate(holders))
    if len(index) < 2:
        return
    seen: set[tuple[int, int]] = set()
    if candidates is not None:
        for w in candidates:
            found = sorted(set(index.matching(w.labels)))
            for i, j in combinations(found, 2):
                if (i, j) not in seen:
                    seen.add((i, j))
                    yield holders[i][0], holders[j][0], Overlap(w)
        return
    for k, (_, selector) in enumerate(holders):
        for other in index.matching(selector):
            pair = (min(k, other), max(k, other))
            if other != k and pair not in seen:
                seen.add(pair)
                yield holders[pair[0]][0], holders[pair[1]][0], Overlap(None)


def by_namespace(resources: Iterable[Any], keep: Callable[[Any], bool] = lambda r: True) -> dict[str, list]:
    out: dict[str, list] = {}
    for resource in resources:
        if keep(resource):
            out.setdefault(resource.namespace or "", []).append(resource)
    return out


# --------------------------------------------------------------------------- in the mesh

SIDECAR_INJECT = "sidecar.istio.io/inject"
INJECTION_LABEL = "istio-injection"
REVISION_LABEL = "istio.io/rev"


def in_mesh(workload: Workload, namespaces: dict[str, Any]) -> bool:
    """Does this workload get a sidecar, as far as the input tells? (True when it cannot tell.)

    Like Istio's own test: an ``istio-proxy`` container means yes; else the pod's
    ``sidecar.istio.io/inject`` label, then annotation, decides ("true" or not); else the Namespace, when
    the input holds it: injection enabled by ``istio-injection=enabled`` or an ``istio.io/rev`` label.
    Unlike Istio, a workload whose Namespace is not in the input counts as in the mesh: files linted
    alone rarely carry their Namespace.
    """
    containers = workload.pod_spec.get("containers")
    for container in containers if isinstance(containers, list) else ():
        if isinstance(container, dict) and container.get("name") == "istio-proxy" and container.get("image"):
            return True
    for source in (workload.labels, workload.annotations):
        value = source.get(SIDECAR_INJECT) if isinstance(source, dict) else None
        if value is not None:
            return str(value) == "true"
    namespace = namespaces.get(workload.namespace or "")
    if namespace is None:
        return True
    labels = namespace.labels
    return labels.get(INJECTION_LABEL) == "enabled" or bool(labels.get(REVISION_LABEL))


def namespace_objects(index: Any) -> dict[str, Any]:
    """Namespace objects of the input by name (memoised)."""
    return index.memo("conflicts.namespaces",
                      lambda ix: {r.name: r for r in ix.of_kind("Namespace") if r.name})
