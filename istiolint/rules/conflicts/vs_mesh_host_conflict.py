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
claim it. It is an error when some host is claimed exactly, a warning when all are wildcard overlaps.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...finding import Severity
from ...hosts import effective_gateway_refs, expand_short_name, hosts_intersect, is_wildcard
from .common import Pending, Reports, describe_scope, export_scope, label, listed, shared_scope

CODE = "IL310"
KINDS = ("VirtualService",)

MEMO_KEY = "conflicts.vs-mesh-hosts"
EXACT, OVERLAP = "exact", "overlap"


def check(resource, ctx) -> Iterator:
    reports: Reports = ctx.index.memo(MEMO_KEY, lambda ix: _build(ix, ctx.settings.cluster_domain))
    groups = reports.grouped(resource)
    if not groups:
        return
    domain = ctx.settings.cluster_domain
    exact: list[tuple[str, str]] = []  # (this host, who else claims it)
    overlaps: list[tuple[str, str]] = []
    chosen: list[Pending] = []
    first_exact = None
    for path, group in groups:
        host = _shown(resource.get(path), resource.namespace, domain)
        same = [p for p in group if p.detail[0] == EXACT]
        wide = [p for p in group if p.detail[0] == OVERLAP]
        if same:
            first_exact = first_exact or path
            exact.append((host, ", ".join(f"{label(p.other)} ({describe_scope(p.detail[2])})" for p in same)))
        if wide:
            overlaps.append((host, ", ".join(f"'{p.detail[1]}' of {label(p.other)} ({describe_scope(p.detail[2])})"
                                             for p in wide)))
        chosen.extend(same + wide)
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
    related = [ctx.related(p.other, p.other_path,
                           "the other VirtualService claiming this host" if p.detail[0] == EXACT
                           else "the other VirtualService's overlapping host")
               for p in chosen]
    path = first_exact or groups[0][0]
    yield ctx.finding(resource, path, ". ".join(sentences), related=related,
                      severity=None if exact else Severity.WARNING)


def _shown(host: Any, namespace: Any, domain: str) -> str:
    """The host as written, with its expansion when a short name was expanded."""
    expanded = expand_short_name(host, namespace, domain)
    if isinstance(host, str) and expanded != host:
        return f"'{host}' ({expanded})"
    return f"'{host}'"


def _mesh_hosts(vs: Any, domain: str) -> list[tuple[int, str]]:
    """``(index, expanded host)`` of a mesh-bound VirtualService (empty when not bound to the mesh)."""
    if not any(ref.mesh for ref in effective_gateway_refs(vs.get(("spec", "gateways")), vs.namespace)):
        return []
    hosts = vs.get(("spec", "hosts"))
    out = []
    for j, host in enumerate(hosts if isinstance(hosts, list) else ()):
        if not isinstance(host, str) or not host or host == "*":
            continue
        expanded = expand_short_name(host, vs.namespace, domain)
        if expanded:
            out.append((j, expanded.lower()))
    return out


def _build(index, domain: str) -> Reports:
    reports = Reports()
    # (vs, host index, host, scope) grouped by exact host; wildcard hosts also kept aside for overlaps.
    exact: dict[str, list[tuple]] = {}
    wildcards: list[tuple] = []
    for vs in index.of_kind("VirtualService"):
        scope = export_scope(vs.get(("spec", "exportTo")), vs.namespace)
        if scope is not None and not scope:
            continue  # exported nowhere
        seen_here: set[str] = set()
        for j, host in _mesh_hosts(vs, domain):
            if host in seen_here:
                continue  # a host repeated inside one VirtualService is not a conflict with itself
            seen_here.add(host)
            entry = (vs, j, host, scope)
            exact.setdefault(host, []).append(entry)
            if is_wildcard(host):
                wildcards.append(entry)
    for entries in exact.values():
        for a in range(len(entries)):
            for b in range(a + 1, len(entries)):
                _pair(reports, entries[a], entries[b], EXACT)
    if wildcards:
        _overlaps(reports, exact, wildcards)
    return reports


def _pair(reports: Reports, x: tuple, y: tuple, kind: str) -> None:
    scope = shared_scope(x[3], y[3])
    if scope is not None and not scope:
        return
    vs_x, j, host_x, _ = x
    vs_y, k, host_y, _ = y
    reports.add(vs_x, ("spec", "hosts", j), vs_y, ("spec", "hosts", k),
                detail=(kind, host_y, scope), detail_b=(kind, host_x, scope), key=kind)


def _suffix_keys(host: str) -> list[str]:
    """The label suffixes of a concrete host: ``a.b.c`` -> ``.b.c``, ``.c``."""
    out = []
    i = host.find(".")
    while i != -1:
        out.append(host[i:])
        i = host.find(".", i + 1)
    return out


def _overlaps(reports: Reports, exact: dict[str, list[tuple]], wildcards: list[tuple]) -> None:
    """Pairs of different hosts where one is a wildcard that intersects the other.

    Concrete hosts are found through their label suffixes (``*.b.c`` and ``*x.b.c`` both look up
    ``.b.c``), then confirmed with ``hosts_intersect``; wildcard pairs are few and compared directly.
    """
    by_suffix: dict[str, list[tuple]] = {}
    for host, entries in exact.items():
        if not is_wildcard(host):
            for key in _suffix_keys(host):
                by_suffix.setdefault(key, []).extend(entries)
    wild_hosts = sorted({w[2] for w in wildcards})
    for w in wildcards:
        rest = w[2][1:]
        if rest.startswith("."):
            candidates = by_suffix.get(rest, [])
        elif "." in rest:
            candidates = by_suffix.get(rest[rest.find("."):], [])
        else:
            candidates = [e for h, es in exact.items() if not is_wildcard(h) for e in es]
        for other in candidates:
            if hosts_intersect(w[2], other[2]):
                _pair(reports, w, other, OVERLAP)
        for other_host in wild_hosts:
            if other_host > w[2] and hosts_intersect(w[2], other_host):
                for other in exact[other_host]:
                    _pair(reports, w, other, OVERLAP)
