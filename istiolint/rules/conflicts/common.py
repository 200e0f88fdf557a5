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
- **Bounded output.** A finding names at most ``MAX_NAMED`` other resources per list ("and N more") and
  points at most ``MAX_RELATED`` of them in ``related``: N resources claiming one host make N findings,
  not N² lines. Nor is the work quadratic: conflicts are kept as groups (``Pool``: every claimant of one
  host, certificate, namespace...), never as pairs, and a claimant's first few others are read off the
  group in a stable order.
- **A resource never conflicts with itself**, nor with another document of the same kind, namespace and
  name (applying both leaves one object in the cluster).
- **exportTo scopes**: where a VirtualService or ServiceEntry is visible, as ``ALL`` or a set of
  namespaces (the same reading as ``hosts.visible_to``).
- **Selector overlap**: which policies (Sidecar, Telemetry, Gateway) apply to one workload.
- **In the mesh**: whether a workload gets a sidecar, as far as the input tells.

Everything here reads resources defensively and never raises.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable, Iterable

from ...record import record
from ...workloads import Workload

# --------------------------------------------------------------------------- order and sides

from ..bounds import MAX_NAMED, MAX_RELATED, capped, joined  # noqa: F401 (shared by the conflict rules)


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


def listed(items: list[str], limit: int = MAX_NAMED, total: int | None = None) -> str:
    """``a; b; c`` — at most ``limit`` items, then ``and N more`` (``total``: how many there are in all,
    when only the first ``items`` were built)."""
    return joined(items[:limit], (len(items) if total is None else total) - len(items[:limit]), "; ")


def names(resources: Iterable[Any], more: int = 0) -> str:
    """``a/x, b/y`` (namespace/name), in order, then ``and N more``."""
    return joined([f"{r.namespace + '/' if r.namespace else ''}{r.name or '?'}" for r in resources], more)


# --------------------------------------------------------------------------- groups of claimants

ALL = None  # visible in every namespace


@record(frozen=True)
class Claim:
    """One resource's part in a group: where (``path``), where it is visible (``scope``), and what the
    rule needs to phrase it (``detail``: its host, protocol, ...)."""

    resource: Any
    path: tuple
    scope: frozenset[str] | None = ALL
    detail: Any = None


class Pool:
    """The claims of one group (every VirtualService claiming a host, every Gateway serving a certificate
    on a port...), one per object, in a stable order (``order_key``).

    ``others`` answers "which other objects does this claimant meet, and how many" without enumerating
    pairs: the first few are read off the sorted claims; with exportTo scopes, claims visible everywhere
    and those of the namespaces in question (a per-namespace index) are merged.
    """

    def __init__(self, claims: Iterable[Claim]):
        first: dict[tuple, Claim] = {}
        for claim in claims:  # in input order: an object's first claim stands for it
            if claim.scope is not ALL and not claim.scope:
                continue  # visible nowhere: meets nobody
            first.setdefault(identity(claim.resource), claim)
        self.claims: list[Claim] = sorted(first.values(), key=lambda c: order_key(c.resource))
        self._by_identity = first
        self._everywhere = [i for i, c in enumerate(self.claims) if c.scope is ALL]
        self._by_namespace: dict[str, list[int]] = {}
        for i, c in enumerate(self.claims):
            for namespace in c.scope or ():
                self._by_namespace.setdefault(namespace, []).append(i)
        self._scoped: dict[frozenset, list[int]] = {}

    def __len__(self) -> int:
        return len(self.claims)

    def _meeting(self, scope: frozenset[str]) -> list[int]:
        """Positions of the claims with a scope (not ``ALL``) that shares a namespace with ``scope``."""
        found = self._scoped.get(scope)
        if found is None:
            if len(scope) == 1:
                found = self._by_namespace.get(next(iter(scope)), [])
            else:
                found = sorted({i for namespace in scope for i in self._by_namespace.get(namespace, ())})
            self._scoped[scope] = found
        return found

    def others(self, resource: Any, scope: frozenset[str] | None = ALL,
               limit: int = MAX_NAMED) -> tuple[list[Claim], int]:
        """The first ``limit`` claims of other objects visible somewhere together with ``scope``, and how
        many such objects there are in all."""
        own = identity(resource)
        if scope is ALL:
            positions: Iterable[int] = range(len(self.claims))
            total = len(self.claims)
        else:
            scoped = self._meeting(scope)
            positions = heapq.merge(self._everywhere, scoped)
            total = len(self._everywhere) + len(scoped)
        mine = self._by_identity.get(own)
        if mine is not None and (scope is ALL or mine.scope is ALL or mine.scope & scope):
            total -= 1
        named: list[Claim] = []
        if limit > 0 and total > 0:
            for i in positions:
                claim = self.claims[i]
                if identity(claim.resource) != own:
                    named.append(claim)
                    if len(named) == limit:
                        break
        return named, total

    @staticmethod
    def union(pools: list["Pool"]) -> "Pool":
        """One pool of the claims of several (an object in more than one counts once)."""
        if len(pools) == 1:
            return pools[0]
        return Pool(c for pool in pools for c in pool.claims)


# --------------------------------------------------------------------------- exportTo scopes


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

    Each distinct selector is filed under one of its pairs, the one fewest selectors have: a selector
    that is a subset of the query has that pair, so a query looks only at the selectors filed under its
    own pairs -- few, even when thousands of selectors share a common pair such as ``app: web``.
    """

    def __init__(self, items: Iterable[tuple[dict[str, str], Any]]):
        self._by_selector: dict[frozenset, list] = {}
        for selector, item in items:
            if selector:
                self._by_selector.setdefault(frozenset(selector.items()), []).append(item)
        frequency: dict[tuple, int] = {}
        for key in self._by_selector:
            for pair in key:
                frequency[pair] = frequency.get(pair, 0) + 1
        self._by_pair: dict[tuple, list[frozenset]] = {}
        for key in self._by_selector:
            rarest = min(key, key=lambda pair: (frequency[pair], pair))
            self._by_pair.setdefault(rarest, []).append(key)

    def matching(self, labels: dict[str, str]) -> list:
        """Items whose selector is a subset of ``labels``."""
        return [item for key in self.matching_selectors(labels) for item in self._by_selector[key]]

    def matching_selectors(self, labels: dict[str, str]) -> list[frozenset]:
        """The distinct selectors (as frozensets of pairs) that are a subset of ``labels``."""
        have = labels.items()
        return [key for pair in have for key in self._by_pair.get(pair, ()) if key <= have]

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_selector.values())


@record(frozen=True)
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
