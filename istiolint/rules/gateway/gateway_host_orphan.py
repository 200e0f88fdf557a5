"""IL201 gateway-host-orphan: a Gateway server host that no bound VirtualService serves.

Closed world: a Gateway file linted alone would make every server host an orphan, so a host is only
reported when the input could have held its VirtualService — some VirtualService in the input binds
to this Gateway (whatever its hosts) — or when ``--strict-references`` is set.
"""

from __future__ import annotations

from .binding import (
    ANY,
    describe_server,
    gateway_index,
    is_istio_gateway,
    route_kinds_at,
    server_route_kind,
)
from ...hosts import HostIndex, server_host_admits, split_namespaced_host

CODE = "IL201"
KINDS = ("Gateway",)
MAX_NAMED = 5  # VirtualServices named (and pointed at) in one finding before "and N more"

KIND_HINT = {
    "http": "`http` routes",
    "tls": "`tls` routes (matched by SNI: the gateway does not decrypt this traffic)",
    "tcp": "`tcp` routes",
}


def _admits_text(ns_part: str | None, gateway_namespace: str) -> str:
    if ns_part == ".":
        return f"only VirtualServices of the Gateway's own namespace {gateway_namespace}"
    return f"only VirtualServices of namespace {ns_part}"


def _bound_hosts(bindings) -> HostIndex:
    """The hosts of the VirtualServices bound to one gateway, indexed (one entry per host, in order)."""
    return HostIndex([h for b in bindings for _, h in b.hosts])


def _matching(bindings, owners: list[int], hosts: HostIndex, host) -> list:
    """The bindings with a host intersecting ``host``, in binding order."""
    return [bindings[k] for k in sorted({owners[i] for i in hosts.intersecting(host)})]


def check(resource, ctx):
    if not is_istio_gateway(resource) or not resource.name:
        return
    index = gateway_index(ctx.index)
    key = (resource.namespace, resource.name)
    bindings = index.bindings(*key)
    if not bindings and not ctx.settings.strict_references:
        return  # the VirtualServices may live in files that are not part of this run
    owners = [k for k, b in enumerate(bindings) for _ in b.hosts]  # host position -> binding
    bound_hosts = _bound_hosts(bindings)
    kinds_of: dict[int, set] = {}
    servers = resource.get(("spec", "servers"))
    for i, server in enumerate(servers if isinstance(servers, list) else ()):
        kind = server_route_kind(server)
        if kind is None:
            continue  # httpsRedirect or AUTO_PASSTHROUGH: the server needs no VirtualService
        hosts = server.get("hosts")
        for j, raw in enumerate(hosts if isinstance(hosts, list) else ()):
            split = split_namespaced_host(raw)
            if split is None or not split[1]:
                continue
            ns_part, host = split
            path = ("spec", "servers", i, "hosts", j)
            matching = _matching(bindings, owners, bound_hosts, host)
            admitted = [b for b in matching if server_host_admits(ns_part, resource.namespace, b.vs.namespace)]
            if not admitted:
                yield _orphan(resource, ctx, path, raw, host, ns_part, matching, bool(bindings))
                continue
            if kind == ANY:
                continue
            for b in admitted:
                if id(b.vs) not in kinds_of:
                    kinds_of[id(b.vs)] = route_kinds_at(b.vs, key)
            kinds_by_vs = [(b, kinds_of[id(b.vs)]) for b in admitted]
            if any(kind in kinds for _, kinds in kinds_by_vs):
                continue
            present = sorted(set().union(*(kinds for _, kinds in kinds_by_vs)))
            names = _names([b for b, _ in kinds_by_vs])
            has = ("only " + " and ".join(f"`{k}`" for k in present) + " routes") if present else "no routes"
            several = len(kinds_by_vs) > 1
            yield ctx.finding(
                resource, path,
                f"the {describe_server(server, kind)} is served by {KIND_HINT[kind]}, but the "
                f"VirtualService{'s' if several else ''} bound to this Gateway for host {raw!r} ({names}) "
                f"ha{'ve' if several else 's'} {has} that apply here: connections "
                f"for {host!r} are not routed; add `{kind}` routes or change the server's protocol/TLS mode",
                related=[ctx.related(b.vs, ("spec", "gateways", b.position),
                                     f"VirtualService {b.vs.namespace}/{b.vs.name} binds here")
                         for b, _ in kinds_by_vs[:MAX_NAMED]],
            )


def _names(bindings) -> str:
    """``ns/name, ...`` of the first few VirtualServices, then how many more."""
    shown = ", ".join(f"{b.vs.namespace}/{b.vs.name}" for b in bindings[:MAX_NAMED])
    return shown + (f", and {len(bindings) - MAX_NAMED} more" if len(bindings) > MAX_NAMED else "")


def _orphan(resource, ctx, path, raw, host, ns_part, matching, any_bound):
    gateway = f"{resource.namespace}/{resource.name}"
    if matching:
        names = _names(matching)
        message = (
            f"server host {raw!r} admits {_admits_text(ns_part, resource.namespace)}, and no VirtualService "
            f"there serves it: {names} bind{'s' if len(matching) == 1 else ''} to Gateway {gateway} with a "
            f"matching host but from another namespace, so Istio ignores {'it' if len(matching) == 1 else 'them'} "
            "for this host; move the VirtualService or change the host's namespace part"
        )
        related = [ctx.related(b.vs, ("metadata",), f"VirtualService {b.vs.namespace}/{b.vs.name} is here")
                   for b in matching[:MAX_NAMED]]
    else:
        bound = "no VirtualService bound to" if any_bound else "no VirtualService in the input binds to"
        message = (
            f"{bound} Gateway {gateway} has a host matching {host!r}: requests for it are not routed "
            f"(HTTP answers 404); add a VirtualService with this host and `gateways: [{gateway}]`, or remove "
            "the host"
        )
        related = []
    return ctx.finding(resource, path, message, related=related)
