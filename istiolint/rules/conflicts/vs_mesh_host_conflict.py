"""vs-mesh-host-conflict: two VirtualServices bound to the mesh claim the same host where both are visible.

On a gateway, VirtualServices for one host are merged; on sidecars (the ``mesh`` gateway) they are not:
each outbound route table gets one virtual host per domain, istiod builds them from the VirtualServices
visible in the sidecar's namespace (oldest first) and drops a later duplicate domain. So two mesh-bound
VirtualServices naming the same host, both visible in some namespace, leave one of them without effect
there, and which one depends on creation order. Istio reports this as IST0109.

- A VirtualService is bound to the mesh when ``gateways`` is unset/empty or lists ``mesh``.
- Hosts are compared after short-name expansion in each VirtualService's own namespace
  (``ratings`` in ``foo`` is ``ratings.foo.svc.<domain>``), case-insensitively.
- Visibility: ``exportTo`` (``.``, names, ``*``; unset = everywhere). Two VirtualServices conflict only
  if some namespace sees both.
- Identical hosts are an error. A wildcard host that intersects another host (``*.example.com`` and
  ``api.example.com``) is a warning: nothing is dropped, but for the names both match Envoy picks the
  more specific domain, so the other VirtualService's routes never apply to them (Istio reports such an
  overlap when one side is exported everywhere and the other is not).
- ``*`` alone is not compared (Istio rejects it for mesh-bound VirtualServices).

Every VirtualService involved is reported (see ``common.py``), once: a VirtualService that shares several
hosts gets one finding, at its first shared host, listing each host with the VirtualServices that also
claim it (the first few, then how many more). It is an error when some host is claimed exactly, a warning
when all are wildcard overlaps. The claimants of a host are kept as one group, so a thousand
VirtualServices for one host cost a thousand short findings, not a million pairs.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...finding import Severity
from ...hosts import effective_gateway_refs, expand_short_name, hosts_intersect, is_wildcard
from ...record import field, record
from .common import Claim, Pool, capped, describe_scope, export_scope, joined, label, listed, shared_scope

CODE = "IL310"
KINDS = ("VirtualService",)

MEMO_KEY = "conflicts.vs-mesh-hosts"
EMPTY = Pool(())


def check(resource, ctx) -> Iterator:
    domain = ctx.settings.cluster_domain
    claims: MeshHosts = ctx.index.memo(MEMO_KEY, lambda ix: _build(ix, domain))
    hosts = claims.shared.get(id(resource))
    if not hosts:
        return  # none of its hosts is claimed by another VirtualService
    scope = export_scope(resource.get(("spec", "exportTo")), resource.namespace)
    exact: list[tuple[str, str]] = []  # (this host, who else claims it)
    overlaps: list[tuple[str, str]] = []
    related = []
    first_exact = first = None
    for j, host in hosts:
        same, same_total = claims.pool(host).others(resource, scope)
        wide, wide_total = claims.overlapping(host).others(resource, scope)
        if not same and not wide:
            continue
        path = ("spec", "hosts", j)
        first = first or path
        shown = _shown(resource.get(path), resource.namespace, domain)
        if same:
            first_exact = first_exact or path
            exact.append((shown, joined([f"{label(c.resource)} ({describe_scope(shared_scope(scope, c.scope))})"
                                         for c in same], same_total - len(same))))
        if wide:
            overlaps.append((shown, joined([f"'{c.detail}' of {label(c.resource)} "
                                            f"({describe_scope(shared_scope(scope, c.scope))})" for c in wide],
                                           wide_total - len(wide))))
        related.extend(ctx.related(c.resource, c.path, "the other VirtualService claiming this host") for c in same)
        related.extend(ctx.related(c.resource, c.path, "the other VirtualService's overlapping host") for c in wide)
    if first is None:
        return
    sentences = []
    if exact:
        if len(exact) == 1:
            claim = f"host {exact[0][0]} is also claimed on the mesh gateway by {exact[0][1]}"
        else:
            claim = (f"{len(exact)} hosts of this VirtualService are also claimed on the mesh gateway: "
                     + listed([f"{host} by {who}" for host, who in exact]))
        sentences.append(f"{claim}. Sidecars do not merge VirtualServices: istiod keeps the oldest one for a host "
                         "and ignores the others, so which routes apply depends on creation order. Merge them into "
                         "one VirtualService, or separate them with exportTo")
    if overlaps:
        overlap = listed([f"host {host} overlaps {who}" for host, who in overlaps])
        sentences.append(f"{'Also, ' if exact else ''}{overlap}: for the names both match, sidecars use only the "
                         "more specific host's routes. If that is not intended, use distinct hosts or merge the "
                         "VirtualServices")
    yield ctx.finding(resource, first_exact or first, ". ".join(sentences), related=capped(related),
                      severity=None if exact else Severity.WARNING)


def _shown(host: Any, namespace: Any, domain: str) -> str:
    """The host as written, with its expansion when a short name was expanded."""
    expanded = expand_short_name(host, namespace, domain)
    if isinstance(host, str) and expanded != host:
        return f"'{host}' ({expanded})"
    return f"'{host}'"


def _mesh_hosts(vs: Any, domain: str) -> list[tuple[int, str]]:
    """``(index, expanded host)`` of a mesh-bound VirtualService, each host once (a host repeated inside
    one VirtualService is not a conflict with itself); empty when not bound to the mesh."""
    if not any(ref.mesh for ref in effective_gateway_refs(vs.get(("spec", "gateways")), vs.namespace)):
        return []
    hosts = vs.get(("spec", "hosts"))
    out = []
    seen: set[str] = set()
    for j, host in enumerate(hosts if isinstance(hosts, list) else ()):
        if not isinstance(host, str) or not host or host == "*":
            continue
        expanded = expand_short_name(host, vs.namespace, domain)
        if expanded and expanded.lower() not in seen:
            seen.add(expanded.lower())
            out.append((j, expanded.lower()))
    return out


@record
class MeshHosts:
    """Mesh-bound VirtualServices by the host they claim (``exact``), and which hosts overlap which."""

    exact: dict[str, list[Claim]] = field(default_factory=dict)  # host -> its claims, input order
    overlaps: dict[str, list[str]] = field(default_factory=dict)  # host -> other hosts it intersects
    shared: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # id(vs) -> its mesh hosts, when
    # one of them is claimed more than once or overlaps another
    _pools: dict[str, Pool] = field(default_factory=dict)
    _unions: dict[tuple, Pool] = field(default_factory=dict)

    def pool(self, host: str) -> Pool:
        """The claimants of ``host`` (a host claimed once meets nobody: no pool is built for it)."""
        claims = self.exact.get(host, ())
        if len(claims) < 2:
            return EMPTY
        found = self._pools.get(host)
        if found is None:
            found = self._pools[host] = Pool(claims)
        return found

    def overlapping(self, host: str) -> Pool:
        """Every claimant of a host that intersects ``host`` without being it (one pool per set of hosts)."""
        hosts = tuple(self.overlaps.get(host, ()))
        if not hosts:
            return EMPTY
        found = self._unions.get(hosts)
        if found is None:
            found = self._unions[hosts] = Pool.union([Pool(self.exact[h]) for h in hosts])
        return found


def _build(index, domain: str) -> MeshHosts:
    claims: dict[str, list[Claim]] = {}
    mine: dict[int, list[tuple[int, str]]] = {}
    for vs in index.of_kind("VirtualService"):
        scope = export_scope(vs.get(("spec", "exportTo")), vs.namespace)
        if scope is not None and not scope:
            continue  # exported nowhere
        hosts = mine[id(vs)] = _mesh_hosts(vs, domain)
        for j, host in hosts:
            claims.setdefault(host, []).append(Claim(vs, ("spec", "hosts", j), scope, host))
    out = MeshHosts(claims)
    wildcards = sorted(h for h in claims if is_wildcard(h))
    if wildcards:
        pairs: dict[str, set[str]] = {}
        for a, b in _overlapping_hosts(list(claims), wildcards):
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
        out.overlaps = {host: sorted(others) for host, others in pairs.items()}
    for host, found in claims.items():
        if len(found) > 1 or host in out.overlaps:
            for claim in found:
                out.shared.setdefault(id(claim.resource), [])
    for vs_id in out.shared:
        out.shared[vs_id] = mine[vs_id]
    return out


def _suffix_keys(host: str) -> list[str]:
    """The label suffixes of a concrete host: ``a.b.c`` -> ``.b.c``, ``.c``."""
    out = []
    i = host.find(".")
    while i != -1:
        out.append(host[i:])
        i = host.find(".", i + 1)
    return out


def _overlapping_hosts(hosts: list[str], wildcards: list[str]) -> Iterator[tuple[str, str]]:
    """Pairs of different (distinct) hosts where one is a wildcard that intersects the other.

    Concrete hosts are found through their label suffixes (``*.b.c`` and ``*x.b.c`` both look up
    ``.b.c``), then confirmed with ``hosts_intersect``; wildcard pairs are few and compared directly.
    """
    by_suffix: dict[str, list[str]] = {}
    concrete = [h for h in hosts if not is_wildcard(h)]
    for host in concrete:
        for key in _suffix_keys(host):
            by_suffix.setdefault(key, []).append(host)
    for w in wildcards:
        rest = w[1:]
        if rest.startswith("."):
            candidates = by_suffix.get(rest, [])
        elif "." in rest:
            candidates = by_suffix.get(rest[rest.find("."):], [])
        else:
            candidates = concrete
        for other in candidates:
            if hosts_intersect(w, other):
                yield w, other
        for other in wildcards:
            if other > w and hosts_intersect(w, other):
                yield w, other
