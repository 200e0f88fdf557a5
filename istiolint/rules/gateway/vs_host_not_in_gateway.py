"""IL203 vs-host-not-in-gateway: a VirtualService host that none of its gateways serves.

Two shapes, both Istio's IST0132:
- at ``spec.hosts[i]``: the host intersects no server host (with the namespace limit) of any of the
  VirtualService's gateways, and the VirtualService is not bound to ``mesh`` either — the host is
  served nowhere;
- at ``spec.gateways[i]``: none of the VirtualService's hosts is served by that gateway, although the
  VirtualService serves its hosts elsewhere (another gateway, or ``mesh``) — the binding is dead.
Nothing is reported when a referenced gateway is missing from the input (IL202's concern: the missing
one may serve the host) or when the VirtualService binds only to ``mesh``.
"""

from __future__ import annotations

from .binding import gateway_index, is_k8s_gateway, vs_hosts
from ...hosts import resolve_gateway_ref

CODE = "IL203"
KINDS = ("VirtualService",)
MAX_LISTED = 5


def _listing(hosts):
    texts = list(dict.fromkeys(h.text for h in hosts))
    shown = ", ".join(texts[:MAX_LISTED])
    return shown + (f" and {len(texts) - MAX_LISTED} more" if len(texts) > MAX_LISTED else "")


class _Bound:
    """One gateway as seen from one namespace: its server hosts that admit the namespace and those that
    do not (shared by every VirtualService of that namespace bound to it)."""

    def __init__(self, index, gateway, namespace):
        self.hosts = index.server_hosts(gateway)
        self.host_index = index.server_host_index(gateway)
        if is_k8s_gateway(gateway):
            self.admits = [True] * len(self.hosts)
        else:
            self.admits = [h.admits(gateway.namespace, namespace) for h in self.hosts]
        self.admitted = [h for h, ok in zip(self.hosts, self.admits) if ok]
        self.admitted_text = _listing(self.admitted)

    def serves(self, host) -> bool:
        return any(self.admits[i] for i in self.host_index.intersecting(host))

    def near(self, host) -> list:
        """Server hosts that match ``host`` but do not admit the namespace."""
        return [self.hosts[i] for i in self.host_index.intersecting(host) if not self.admits[i]]


def _bound(ctx, index, gateway, namespace) -> _Bound:
    cache = ctx.index.memo("gateway.vs-host-not-in-gateway", lambda ix: {})
    key = (id(gateway), namespace)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _Bound(index, gateway, namespace)
    return found


def check(resource, ctx):
    raw_gateways = resource.get(("spec", "gateways"))
    if not isinstance(raw_gateways, list) or not raw_gateways:
        return  # bound to mesh only
    index = gateway_index(ctx.index)
    mesh = False
    bound = []  # (position, key text, gateway resource, its hosts as seen from this namespace)
    for position, raw in enumerate(raw_gateways):
        ref = resolve_gateway_ref(raw, resource.namespace)
        if ref is None:
            return  # an unresolvable reference: it might have been the gateway serving the hosts
        if ref.mesh:
            mesh = True
            continue
        gateway = index.find(ref)
        if gateway is None:
            return  # missing gateway: reported by vs-gateway-not-found; it may serve these hosts
        bound.append((position, ref.key, gateway, _bound(ctx, index, gateway, resource.namespace)))
    if not bound:
        return
    hosts = vs_hosts(resource, ctx.settings.cluster_domain)
    served_by: dict[int, set[int]] = {}
    for j, host in hosts:
        served_by[j] = {position for position, _, _, seen in bound if seen.serves(host)}
    served_anywhere = mesh or any(served_by.values())

    if not mesh:
        for j, host in hosts:
            if served_by[j]:
                continue
            yield _host_finding(resource, ctx, j, host, bound)

    if served_anywhere:
        for position, key, gateway, seen in bound:
            if any(position in s for s in served_by.values()):
                continue
            elsewhere = any(served_by.values())
            where = ("its other gateways and the mesh" if mesh and elsewhere
                     else "the mesh" if mesh else "its other gateways")
            yield ctx.finding(
                resource, ("spec", "gateways", position),
                f"none of this VirtualService's hosts matches a server host of Gateway {key} admitting "
                f"namespace {resource.namespace} ({seen.admitted_text or 'no host'}): the VirtualService "
                f"applies only to {where}, so this binding has no effect; add the gateway's host to "
                "`hosts` or drop the gateway",
                related=[ctx.related(gateway, ("spec",), f"Gateway {key} is here")],
            )


def _host_finding(resource, ctx, j, host, bound):
    parts = []
    related = []
    for _, key, gateway, seen in bound:
        near = seen.near(host)
        text = f"Gateway {key} ({seen.admitted_text or 'no host'}"
        if near:
            limit = gateway.namespace if near[0].ns_part == "." else near[0].ns_part
            text += f"; {_listing(near)} would match but admit{'s' if len(near) == 1 else ''} only namespace {limit}"
            related.extend(ctx.related(gateway, h.path, "server host that would match, for another namespace")
                           for h in near[:MAX_LISTED])
        else:
            related.append(ctx.related(gateway, ("spec",), f"Gateway {key} is here"))
        parts.append(text + ")")
    raw = resource.get(("spec", "hosts", j))
    shown = repr(raw) if raw == host else f"{raw!r} ({host})"
    return ctx.finding(
        resource, ("spec", "hosts", j),
        f"host {shown} matches no server host admitting namespace {resource.namespace} of "
        f"{' or '.join(parts)}: Istio ignores the host there and, without `mesh` in `gateways`, nothing "
        "routes it with this VirtualService; fix the host or add it to a server of the Gateway",
        related=related,
    )
